"""An in-memory stand-in for the stack's two outside parts, Podman's pods (the
`replicas` module) and HAProxy (`haproxy.Traffic`), for the unit tests of what the
rehearsal decides: which replicas a deploy starts, stops and records. What Podman and
HAProxy really do is `make test-stack`'s business (test_stack.py)."""
import time
from pathlib import Path

from rehearsal import timing
from rehearsal.haproxy import FULL_WEIGHT, Server, ServerCounters
from rehearsal.images import Release
from rehearsal.output import Output, Words
from rehearsal.replicas import Replica, ReplicaError
from rehearsal.stack import Stack
from rehearsal.state import Ports, Slot, StackState

ROOT = Path(__file__).resolve().parents[3]
ADMIN_BITS = {"ready": 0, "drain": 0x08, "maint": 0x01}


class FakeWorld:
    """Pods and HAProxy servers. `fail_start` and `fail_verify` are sets of releases
    (or slot names for fail_start) whose start or verification fails;
    `interrupt_verify`, releases whose verification is interrupted by Ctrl-C."""

    def __init__(self, slots):
        self.slots = slots
        self.pods = {}
        self.admin = {(b, s): "maint" for b in ("live", "test") for s in slots}
        self.weight = {(b, s): FULL_WEIGHT for b in ("live", "test") for s in slots}
        self.fail_start = set()
        self.fail_verify = set()
        self.interrupt_verify = set()
        self.started = []
        self.calls = []

    # ---- the replicas module's interface ----
    def container_definition(self, root, image, port, budget):
        self.calls.append(("container_definition", image))
        return {"image": image}

    def start(self, state_dir, stack_name, slot, host_port, release, definition, extra_env):
        self.calls.append(("start", slot, str(release)))
        if slot in self.fail_start or release in self.fail_start:
            raise ReplicaError(f"podman play kube failed for {slot} (a test's fault)")
        rep = Replica(slot=slot, release=release, pod=f"{stack_name}-{slot}", state="running",
                      started=time.monotonic())
        self.pods[slot] = rep
        self.started.append(rep)
        return rep

    def list_replicas(self, stack_name):
        self.calls.append(("list_replicas",))
        return [Replica(r.slot, r.release, r.pod, r.state) for _, r in sorted(self.pods.items())]

    def remove(self, *reps):
        self.calls.append(("remove", *[r.slot for r in reps]))
        for r in reps:
            self.pods.pop(r.slot, None)

    def signal(self, rep, sig):
        self.calls.append(("signal", rep.slot, sig))
        if rep.slot in self.pods:
            self.pods[rep.slot].state = "exited"

    def exit_code(self, rep):
        return 0 if self.pods.get(rep.slot) is None or self.pods[rep.slot].state == "exited" else None

    def ready(self, port, path="/ready", timeout_s=1.0):
        return 200

    def info(self, port, path="/info", timeout_s=1.0):
        return None

    @staticmethod
    def now():
        return time.monotonic()

    def verify(self, url, release, deadline_s):
        self.calls.append(("verify", str(release)))
        if release in self.interrupt_verify:
            raise KeyboardInterrupt("Ctrl-C (a test's)")
        ok = release not in self.fail_verify
        return ok, "verify: PASS" if ok else "verify: FAIL (a test's fault)"

    def verify_curl(self, root, url, release, ready_path, deadline_s):
        self.calls.append(("verify_curl", str(release), ready_path))
        ok = release not in self.fail_verify
        return ok, "verify-service: PASS" if ok else "verify-service: FAIL (a test's fault)"

    @staticmethod
    def podman(*args, check=True, timeout=120):
        raise AssertionError("the unit tests run no podman")

    # ---- haproxy.Traffic's interface ----
    def traffic(self, socket_path):
        return self

    def _up(self, backend, slot):
        rep = self.pods.get(slot)
        return rep is not None and rep.state == "running" and self.admin[(backend, slot)] != "maint"

    def servers(self, backend):
        return {s: Server(backend, s, 2 if self._up(backend, s) else 0, ADMIN_BITS[self.admin[(backend, s)]],
                          self.weight[(backend, s)]) for s in self.slots}

    def counters(self):
        return {(b, s): ServerCounters(0, 0, 0, "UP", self.weight[(b, s)]) for b in ("live", "test")
                for s in self.slots}

    def wait_answering(self, timeout_s=5.0):
        pass

    def enlist(self, slots, backend):
        for s in slots:
            self.admin[(backend, s)] = "drain" if backend == "live" else "ready"

    def shift(self, weights, drain=(), snapshot=False):
        for s, w in weights.items():
            self.weight[("live", s)] = w
            self.admin[("live", s)] = "ready"
        for s in drain:
            self.admin[("live", s)] = "drain"
        return self.counters() if snapshot else None

    def drain(self, slots):
        for s in slots:
            self.admin[("live", s)] = "drain"

    def leave_test(self, slots):
        for s in slots:
            self.admin[("test", s)] = "maint"

    def forget(self, slots):
        for s in slots:
            for b in ("live", "test"):
                self.admin[(b, s)] = "maint"
                self.weight[(b, s)] = FULL_WEIGHT

    def fetch_info(self, url):
        """/info through the listener: the test listener is on port 2 (fake_stack)."""
        backend = "test" if url.endswith(":2") else "live"
        serving = [r for s, r in sorted(self.pods.items())
                   if self.admin[(backend, s)] == "ready" and r.state == "running"]
        if not serving:
            return None
        release = serving[0].release
        return {"version": release.version, **({"fault": release.fault} if release.fault else {})}


def fake_stack(state_dir, count=2, quiet=True):
    """A Stack on a FakeWorld, as `stack up` leaves it: `count` replicas of 1.0.0 taking
    live traffic. Timings x 0.05, so that the waits are short."""
    slots = [f"s{i + 1}" for i in range(2 * count)]
    world = FakeWorld(slots)
    out = QuietOutput(Words(via_make=False)) if quiet else Output(Words(via_make=False))
    stack = Stack(ROOT, state_dir, "fake", out, runtime=world, traffic=world.traffic, fetch_info=world.fetch_info)
    stack.state = StackState(
        name="fake", replicas=count, time_scale=0.05,
        budget=timing.load(ROOT / "infrastructure/terraform/timing.json", 0.05),
        ports=Ports(1, 2, 3), slots=[Slot(s, 20000 + i) for i, s in enumerate(slots)], faults=[],
        access_log=False, socket=str(Path(state_dir) / "none.sock"), pid_file="", config="", log="")
    for s in slots[:count]:
        world.start(state_dir, "fake", s, 0, Release("1.0.0"), {}, {})
        world.enlist([s], "live")
        world.shift({s: FULL_WEIGHT})
    world.calls.clear()
    world.started.clear()
    return stack, world


class QuietOutput(Output):
    """Keeps the lines for the test to read instead of printing them."""

    def __init__(self, words):
        super().__init__(words)
        self.lines = []

    def _write(self, stream, text):
        self.lines.append(text)
