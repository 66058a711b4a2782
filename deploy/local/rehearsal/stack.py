"""The stack: HAProxy and the replicas in their slots, and the steps every deployment
strategy is made of (start, wait until HAProxy sees it healthy, admit, drain, stop,
verify), with the state they keep (state.py).

Its parts: `haproxy.Traffic` for everything HAProxy is told or asked, `replicas` for
the Podman pods, `images` for what they run, `ports` for where, `output` for what the
user sees. A Stack is built without touching anything; `lock`, `load` and `up` do."""
import fcntl
import hashlib
import json
import tempfile
import urllib.request
from pathlib import Path

from . import haproxy, images, poll, ports, replicas, state, timing
from .haproxy import FULL_WEIGHT
from .images import Release
from .output import DeployFailed, StackError
from .state import Counters, Ports, Slot, StackState

def socket_path(state_dir):
    """The runtime API socket: in the state directory, unless that path is too long
    for a Unix socket (108 bytes on Linux); then in the temporary directory."""
    path = Path(state_dir).resolve() / "haproxy.sock"
    if len(str(path)) < 100:
        return str(path)
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:12]
    return str(Path(tempfile.gettempdir()) / f"hello-stack-{digest}.sock")


def served_info(url, timeout_s=2.0):
    """GET {url}/info on a new connection (so the load balancer picks again)."""
    request = urllib.request.Request(f"{url}/info", headers={"Connection": "close"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return json.loads(response.read())
    except (OSError, ValueError):
        return None


class Stack:
    def __init__(self, root, state_dir, name, out, runtime=replicas, traffic=haproxy.Traffic,
                 fetch_info=served_info):
        self.root = Path(root)
        self.dir = Path(state_dir)
        self.name = name
        self.out = out
        self.runtime = runtime
        self._traffic = traffic
        self.fetch_info = fetch_info
        self.state_file = self.dir / "stack.json"
        self.state = None
        self._lock = None

    # ---- state ------------------------------------------------------------------------
    def show(self, path):
        return images.show(self.root, path)

    def lock(self):
        """One command at a time per stack: two deploys never race."""
        self.dir.mkdir(parents=True, exist_ok=True)
        self._lock = open(self.dir / "lock", "w")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as err:
            raise StackError(f"another stack command is running on {self.show(self.dir)} (lock held)") from err

    def load(self):
        words = self.out.words
        self.state = state.load(self.state_file, self.show(self.state_file))
        if self.state is None:
            raise StackError(f"no stack is up (no {self.show(self.state_file)}); start one with "
                             f"'{words.command('up')}'")
        if not haproxy.running(self.state.pid_file):
            raise StackError(f"the stack's HAProxy is not running (see {self.show(self.state.log)}); "
                             f"'{words.command('down')}' cleans up, '{words.command('up')}' starts again")
        return self

    def save(self):
        state.save(self.state_file, self.state)

    @property
    def budget(self):
        return self.state.budget

    @property
    def traffic(self):
        return self._traffic(self.state.socket)

    def faults(self):
        return set(self.state.faults)

    def url(self, listener):
        return f"http://127.0.0.1:{getattr(self.state.ports, listener)}"

    # ---- bring up and down -----------------------------------------------------------
    def up(self, release, count, scale, port_spec, faults, access_log, ready_path=images.DEFAULT_READY_PATH):
        """HAProxy and `count` replicas of the release, HAProxy's health check on
        ready_path (the target group's). Either all of it comes up, or what was started
        is removed again (a failure, Ctrl-C)."""
        words = self.out.words
        old = state.load(self.state_file, self.show(self.state_file))
        if old and haproxy.running(old.pid_file):
            raise StackError(f"a stack is already up (HAProxy on {old.ports.live}); '{words.command('status')}' "
                             f"shows it, '{words.command('down')}' stops it")
        budget = timing.load(self.root / "infrastructure/terraform/timing.json", scale)
        # Ports before the build: a taken port fails in a second, not after minutes.
        listeners, slot_ports, reservation = ports.plan(port_spec, 2 * count, words)
        with reservation:
            self.runtime.remove(*self.runtime.list_replicas(self.name))
            self.out.say(timing.describe(budget, scale, ready_path))
            images.ensure(self.root, release, self.dir, self.out, self.runtime.podman)
            self.dir.mkdir(parents=True, exist_ok=True)
            self.state = StackState(
                name=self.name, replicas=count, time_scale=scale, budget=budget, ports=Ports(**listeners),
                slots=[Slot(f"s{i + 1}", p) for i, p in enumerate(slot_ports)], faults=sorted(faults),
                access_log=access_log, socket=socket_path(self.dir), pid_file=str(self.dir / "haproxy.pid"),
                config=str(self.dir / "haproxy.cfg"), log=str(self.dir / "haproxy.log"), ready_path=ready_path)
            values = haproxy.config_values(budget, scale, self.state.socket, listeners, self.state.slots,
                                           ready_path=ready_path)
            Path(self.state.config).write_text(
                haproxy.render_config(self.root / "deploy/local/haproxy.cfg.tmpl", values))
            haproxy.check_config(self.state.config)
        try:
            if faults:
                self.out.warn(f"deliberately unsafe settings (STACK_FAULT): {', '.join(sorted(faults))}")
            pid = haproxy.start(self.state.config, self.state.pid_file, self.state.log)
            self.save()
            self.traffic.wait_answering()
            self.out.say(f"HAProxy {pid} listens on {self.url('live')} (test listener {self.url('test')}, "
                         f"statistics {self.url('stats')}/), config {self.show(self.state.config)}")
            started = []
            for slot in self.state.slot_names()[:count]:
                started.append(self.start_replica(slot, release))
                self.enlist([started[-1]])
            self.wait_up(started)
            self.traffic.shift({r.slot: FULL_WEIGHT for r in started})
        except BaseException as err:
            self.out.warn(f"stack up did not complete ({str(err) or type(err).__name__}): removing what it started")
            self.down(quiet=True)
            raise
        self.out.say(f"stack up: {count} replicas of {release} behind {self.url('live')}")

    def down(self, quiet=False):
        old = state.load(self.state_file, self.show(self.state_file)) if self.state_file.exists() else None
        found = self.runtime.list_replicas(self.name)
        self.runtime.remove(*found)
        stopped = bool(old) and haproxy.stop(old.pid_file)
        if old:
            Path(old.socket).unlink(missing_ok=True)
        self.state_file.unlink(missing_ok=True)
        if not quiet:
            self.out.plain(f"==> removed {len(found)} replica pod(s)")
            if stopped:
                self.out.plain("==> stopped HAProxy")
            self.out.plain("==> stack down")

    # ---- steps ------------------------------------------------------------------------
    def replicas(self):
        return {r.slot: r for r in self.runtime.list_replicas(self.name)}

    def free_slots(self):
        taken = self.replicas()
        return [s for s in self.state.slot_names() if s not in taken]

    def start_replica(self, slot, release):
        port = self.state.slot(slot).port
        definition = self.runtime.container_definition(self.root, release.image, release.port, self.budget)
        extra = {"ACCESS_LOG": "on" if self.state.access_log else "off"} if release.ours else {}
        replica = self.runtime.start(self.dir, self.name, slot, port, release, definition, extra)
        # Counters per slot run on from earlier replicas: status counts from here.
        counters = self.traffic.counters().get(("live", slot))
        self.state.baselines[slot] = Counters(counters.responses, counters.errors_5xx) if counters else Counters()
        self.save()
        self.out.say(f"started {release} in slot {slot} (127.0.0.1:{port} -> container port {release.port}, "
                     f"pod {replica.pod})")
        return replica

    def enlist(self, reps, backends=("live",)):
        for backend in backends:
            self.traffic.enlist([r.slot for r in reps], backend)

    def wait_up(self, reps, backends=("live",), guard=None):
        """Waits until HAProxy's health check passes on each replica in each backend
        (enlisted beforehand), within the health-check grace period counted from each
        replica's start, as ECS counts it from the start of a task."""
        grace = self.budget["health_check_grace_period_s"]
        pending = {(b, r.slot): r for b in backends for r in reps}
        for _ in poll.ticks():
            servers = {b: self.traffic.servers(b) for b in backends}
            now = self.runtime.now()
            for (backend, slot), r in sorted(pending.items()):
                if servers[backend][slot].up:
                    del pending[(backend, slot)]
                    self.out.say(f"HAProxy ({backend}) sees {slot} healthy, {now - r.started:.1f} s after its start")
            if guard:
                guard()
            late = sorted({slot for (_, slot), r in pending.items() if now - r.started > grace})
            if late:
                path = self.state.ready_path
                detail = ", ".join(f"{s}: {path} answers "
                                   f"{self.runtime.ready(self.state.slot(s).port, path) or 'nothing'}" for s in late)
                raise DeployFailed(f"{', '.join(late)} not healthy in HAProxy within the {grace:g} s grace period "
                                   f"({detail})")
            if not pending:
                return

    def retire(self, reps, how, guard=None):
        """Stops replicas the way ECS stops tasks: SIGTERM, the service's /ready fails
        and HAProxy's health check takes the replica out, the service drains and exits
        by itself; SIGKILL only after the stop timeout. `how` says whether HAProxy was
        already told to drain them (a traffic switch) or learns it from /ready. A
        failure the guard finds meanwhile is raised once the stop is complete (a
        SIGTERM cannot be taken back)."""
        if not reps:
            return
        budget = self.budget
        names = ", ".join(r.slot for r in reps)
        if "no-drain" in self.faults():
            self.out.say(f"STACK_FAULT=no-drain: killing {names} at once (SIGKILL, no drain)")
            for r in reps:
                self.runtime.signal(r, "KILL")
            self._forget(reps)
            return
        path = self.state.ready_path
        if all(r.release.ours for r in reps):
            self.out.say(f"stopping {names} ({how}): SIGTERM; {path} turns 503 and the service serves on for its "
                         f"{budget['drain_delay_s']:g} s drain delay")
        else:
            self.out.say(f"stopping {names} ({how}): SIGTERM; what the image does then is its own (ours fails "
                         f"{path} and serves on for the drain delay)")
        for r in reps:
            self.runtime.signal(r, "TERM")
        # HAProxy needs at most interval x unhealthy threshold (+ a check timeout) to see
        # /ready fail; the drain delay is longer by the budget's rule.
        not_down = {r.slot for r in reps}
        running = {r.slot: r for r in reps}
        failure = None
        warned = False
        for elapsed in poll.ticks():
            servers = self.traffic.servers("live")
            for slot in sorted(not_down):
                if not servers[slot].up:
                    not_down.discard(slot)
                    self.out.say(f"HAProxy marked {slot} DOWN {elapsed:.1f} s after SIGTERM (its health check "
                                 f"saw {path} fail): no new requests go there")
            if not_down and not warned and elapsed > budget["drain_delay_s"]:
                warned = True
                self.out.warn(f"HAProxy still counted {', '.join(sorted(not_down))} up when the drain delay ended")
            for slot, r in sorted(running.items()):
                code = self.runtime.exit_code(r)
                if code is not None:
                    del running[slot]
                    self.out.say(f"{slot} ({r.release}) exited with code {code} {elapsed:.1f} s after SIGTERM")
            if running and elapsed > budget["stop_timeout_s"]:
                for slot, r in sorted(running.items()):
                    self.runtime.signal(r, "KILL")
                    self.out.warn(f"{slot} still ran at its {budget['stop_timeout_s']:g} s stop timeout: SIGKILL")
                running.clear()
            if guard and failure is None:
                try:
                    guard()
                except DeployFailed as err:
                    failure = err
                    self.out.say(f"FAILED: {err}; finishing the stop of {names} first")
            if not running:
                break
        # The deregistration delay's end: whatever HAProxy still holds is closed.
        self._forget(reps)
        if failure:
            raise failure

    def remove_now(self, reps):
        """For replicas that never got live traffic: no drain needed."""
        if not reps:
            return
        self._forget(reps)
        self.out.say(f"removed {', '.join(r.slot for r in reps)} (never took live traffic)")

    def _forget(self, reps):
        self.traffic.forget([r.slot for r in reps])
        self.runtime.remove(*reps)

    def verify(self, url, release):
        """The pipeline's check. For our image, run from the image being deployed (so no
        host build is needed): N consecutive healthy answers with the expected version in
        /info. Then /info's `fault`, which the pipeline's verifier does not read: every
        answer must come from the build expected (a fault build reports its fault there).
        For another image (IMAGE=), the curl verifier the pipeline runs for such images
        (scripts/verify-service.sh): its health path, its version, its ready path."""
        deadline = timing.whole_s(self.budget["health_check_grace_period_s"])
        if not release.ours:
            ok, line = self.runtime.verify_curl(self.root, url, release, self.state.ready_path, deadline)
            self.out.say(f"verify-service.sh: {line}")
            return ok
        ok, line = self.runtime.verify(url, release, deadline)
        self.out.say(f"hello-service verify: {line}")
        if not ok:
            return False
        # Each request on a new connection, so that every replica in rotation answers some.
        seen = {}
        for _ in range(4 * self.state.replicas):
            info = self.fetch_info(url) or {}
            key = (info.get("version", "(no answer)"), info.get("fault", ""))
            seen[key] = seen.get(key, 0) + 1
        expected = (release.version, release.fault)
        if set(seen) != {expected}:
            found = ", ".join(f"{n} x {Release(v, f)}" for (v, f), n in sorted(seen.items()))
            self.out.say(f"verify: /info through {url} should report {release} only; it reported {found}")
            return False
        self.out.say(f"verify: /info's fault is {release.fault or 'absent'} in {sum(seen.values())} answers, as "
                     f"expected of {release}")
        return True

    # ---- status -----------------------------------------------------------------------
    def status(self):
        """Rows: one per slot that has a replica or takes part in HAProxy."""
        reps = self.replicas()
        live = self.traffic.servers("live")
        test = self.traffic.servers("test")
        counters = self.traffic.counters()
        rows = []
        for slot in self.state.slots:
            r = reps.get(slot.name)
            if r is None and live[slot.name].maint and test[slot.name].maint:
                continue
            info = self.runtime.info(slot.port, r.release.version_path) if r else None
            count = counters.get(("live", slot.name))
            base = self.state.baseline(slot.name) if r else Counters()
            rows.append({
                "slot": slot.name, "port": slot.port,
                "pod": r.pod if r else "-", "container": r.state if r else "-",
                "version": str((info or {}).get("version", "-")) if r and r.release.reports_version
                else (f"{r.version} (label)" if r else "-"),
                "fault": (info or {}).get("fault", "") if r else "",
                "image_version": r.version if r else "-",
                "ready": self.runtime.ready(slot.port, self.state.ready_path) if r else None,
                "haproxy": "UP" if live[slot.name].up else "DOWN",
                "admin": live[slot.name].admin, "weight": live[slot.name].weight,
                "test_listener": "-" if test[slot.name].maint else ("UP" if test[slot.name].up else "DOWN"),
                "responses": (count.responses if count else 0) - base.responses,
                "5xx": (count.errors_5xx if count else 0) - base.errors_5xx,
            })
        return rows
