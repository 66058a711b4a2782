"""The stack: HAProxy and the replicas in their slots, and the steps every deployment
strategy is made of (start, wait until HAProxy sees it healthy, admit, drain, stop)."""
import fcntl
import hashlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import haproxy, replicas, timing

BACKENDS = ("live", "test")
# Weights are percentages of a full share: a canary at 10 % against the old version at
# 90 % is the same split whatever the number of replicas.
FULL_WEIGHT = 100
POLL_S = 0.1


class StackError(Exception):
    pass


class DeployFailed(Exception):
    """A step of a deployment failed: the deployment rolls back."""


class Clock:
    def __init__(self):
        self.start = time.monotonic()

    def elapsed(self):
        return time.monotonic() - self.start


def say(clock, text):
    """Progress lines. A closed output (a pipe to `head`, a closed terminal) must not
    stop a deployment half-way, least of all its rollback: the lines are dropped."""
    try:
        print(f"[{clock.elapsed():6.1f}s] {text}", flush=True)
    except OSError:
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except OSError:
            pass


def port_free(port):
    """Whether a listener could bind the port (as HAProxy and the service do, with
    SO_REUSEADDR: connections in TIME_WAIT from an earlier run do not count)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def socket_path(state_dir):
    """The runtime API socket: in the state directory, unless that path is too long
    for a Unix socket (108 bytes on Linux); then in the temporary directory."""
    path = Path(state_dir).resolve() / "haproxy.sock"
    if len(str(path)) < 100:
        return str(path)
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:12]
    return str(Path(tempfile.gettempdir()) / f"hello-stack-{digest}.sock")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Stack:
    def __init__(self, root, state_dir, name):
        self.root = Path(root)
        self.dir = Path(state_dir)
        self.name = name
        self.state_file = self.dir / "stack.json"
        self.state = None
        self.clock = Clock()
        self._lock = None

    # ---- state ------------------------------------------------------------------------
    def show(self, path):
        """A path for messages: relative to the repository when inside it."""
        path = Path(path)
        return str(path.relative_to(self.root)) if path.is_relative_to(self.root) else str(path)

    def lock(self):
        """One command at a time per stack: two deploys never race."""
        self.dir.mkdir(parents=True, exist_ok=True)
        self._lock = open(self.dir / "lock", "w")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as err:
            raise StackError(f"another stack command is running on {self.show(self.dir)} (lock held)") from err

    def load(self):
        if not self.state_file.exists():
            raise StackError(f"no stack is up (no {self.show(self.state_file)}); start one with 'make stack-up'")
        self.state = json.loads(self.state_file.read_text())
        if not haproxy.running(self.state["pid_file"]):
            raise StackError(f"the stack's HAProxy is not running (see {self.show(self.state['log'])}); "
                             "'make stack-down' cleans up, 'make stack-up' starts again")
        return self

    @property
    def budget(self):
        return self.state["budget"]

    @property
    def api(self):
        return haproxy.Api(self.state["socket"])

    def slot_port(self, slot):
        return dict(self.state["slots"])[slot]

    def slot_names(self):
        return [name for name, _ in self.state["slots"]]

    def faults(self):
        return set(self.state.get("faults", []))

    def url(self, listener):
        return f"http://127.0.0.1:{self.state['ports'][listener]}"

    # ---- bring up and down -----------------------------------------------------------
    def up(self, version, count, scale, port, faults, access_log):
        if self.state_file.exists():
            old = json.loads(self.state_file.read_text())
            if haproxy.running(old["pid_file"]):
                raise StackError(f"a stack is already up (HAProxy on {old['ports']['live']}); "
                                 "'make stack-status' shows it, 'make stack-down' stops it")
        replicas.remove(*replicas.list_replicas(self.name))
        budget = timing.load(self.root / "infrastructure/terraform/timing.json", scale)
        say(self.clock, timing.describe(budget, scale))
        ensure_image(self.root, version, None, self.clock)

        slot_count = 2 * count
        if port == "auto":
            ports = {"live": free_port(), "test": free_port(), "stats": free_port()}
            slot_ports = [free_port() for _ in range(slot_count)]
        else:
            base = int(port)
            ports = {"live": base, "test": base + 1, "stats": base + 2}
            slot_ports = [base + 11 + i for i in range(slot_count)]
        for p in [*ports.values(), *slot_ports]:
            if not port_free(p):
                raise StackError(f"port {p} on 127.0.0.1 is in use; choose other ports with STACK_PORT=N "
                                 "(N, N+1, N+2 and N+11 onwards) or STACK_PORT=auto")
        slots = [(f"s{i + 1}", p) for i, p in enumerate(slot_ports)]
        self.dir.mkdir(parents=True, exist_ok=True)
        self.state = {
            "name": self.name, "replicas": count, "time_scale": scale, "budget": budget,
            "ports": ports, "slots": slots, "faults": sorted(faults), "access_log": access_log,
            "socket": socket_path(self.dir), "pid_file": str(self.dir / "haproxy.pid"),
            "config": str(self.dir / "haproxy.cfg"), "log": str(self.dir / "haproxy.log"),
        }
        values = haproxy.config_values(budget, scale, self.state["socket"], ports, slots,
                                       retries="no-retries" not in faults)
        Path(self.state["config"]).write_text(
            haproxy.render_config(self.root / "deploy/local/haproxy.cfg.tmpl", values))
        haproxy.check_config(self.state["config"])
        if faults:
            say(self.clock, f"WARNING: deliberately unsafe settings (STACK_FAULT): {', '.join(sorted(faults))}")
        pid = haproxy.start(self.state["config"], self.state["pid_file"], self.state["log"])
        self.state_file.write_text(json.dumps(self.state, indent=2) + "\n")
        self.api.run("show info")  # waits until the runtime API answers
        say(self.clock, f"HAProxy {pid} listens on {self.url('live')} (test listener {self.url('test')}, "
                        f"statistics {self.url('stats')}/), config {self.show(self.state['config'])}")
        try:
            new = [self.start_replica(slot, version) for slot, _ in slots[:count]]
            self.wait_up(new)
        except (DeployFailed, replicas.ReplicaError) as err:
            raise StackError(f"{err}; 'make stack-down' cleans up") from err
        self.admit(new, FULL_WEIGHT)
        say(self.clock, f"stack up: {count} replicas of {version} behind {self.url('live')}")

    def down(self):
        state = json.loads(self.state_file.read_text()) if self.state_file.exists() else None
        found = replicas.list_replicas(self.name)
        replicas.remove(*found)
        print(f"==> removed {len(found)} replica pod(s)")
        if state and haproxy.stop(state["pid_file"]):
            print("==> stopped HAProxy")
        if state:
            self.state_file.unlink()
            Path(state["socket"]).unlink(missing_ok=True)
        print("==> stack down")

    # ---- steps ------------------------------------------------------------------------
    def replicas(self):
        return {r.slot: r for r in replicas.list_replicas(self.name)}

    def free_slots(self):
        taken = self.replicas()
        return [s for s in self.slot_names() if s not in taken]

    def start_replica(self, slot, version):
        definition = replicas.container_definition(self.root, version, self.slot_port(slot), self.budget)
        extra = {"HOST": "127.0.0.1", "ACCESS_LOG": "on" if self.state["access_log"] else "off"}
        replica = replicas.start(self.dir, self.name, slot, version, definition, extra)
        # Counters per slot run on from earlier replicas: status counts from here.
        base = self.baselines()
        counters = self.api.stats().get(("live", slot), {})
        base[slot] = {"responses": counters.get("responses", 0), "5xx": counters.get("5xx", 0)}
        (self.dir / "baselines.json").write_text(json.dumps(base) + "\n")
        say(self.clock, f"started {version} in slot {slot} (127.0.0.1:{self.slot_port(slot)}, pod {replica.pod})")
        return replica

    def enlist(self, reps, backend):
        """HAProxy starts checking the slots; in `live` they get no traffic yet (drain),
        in `test` they get it as soon as the check passes. Leaving maintenance, HAProxy
        would count a server up at once; marking it down makes it earn its way in with
        the healthy threshold, as a new ALB target does."""
        commands = []
        for r in reps:
            state = "drain" if backend == "live" else "ready"
            commands += [f"set server {backend}/{r.slot} state {state}", f"set server {backend}/{r.slot} health down"]
        self.api.run(*commands)

    def wait_up(self, reps, backends=("live",), guard=None):
        """Enlists the replicas in the backends and waits until HAProxy's health check
        passes on each, within the health-check grace period (counted from the start
        of the replica, as ECS counts it from the start of a task)."""
        for backend in backends:
            self.enlist(reps, backend)
        grace = self.budget["health_check_grace_period_s"]
        start = min(r.started for r in reps)
        pending = {(b, r.slot) for b in backends for r in reps}
        while pending:
            servers = {b: self.api.servers(b) for b in backends}
            for backend, slot in sorted(pending):
                if servers[backend][slot].up:
                    pending.discard((backend, slot))
                    say(self.clock, f"HAProxy ({backend}) sees {slot} healthy, {time.monotonic() - start:.1f} s "
                                    "after its start")
            if guard:
                guard()
            if pending and time.monotonic() - start > grace:
                slots = sorted({s for _, s in pending})
                detail = ", ".join(f"{s}: /ready answers {replicas.ready(self.slot_port(s)) or 'nothing'}"
                                   for s in slots)
                raise DeployFailed(f"{', '.join(slots)} not healthy in HAProxy within the {grace:g} s "
                                   f"grace period ({detail})")
            if pending:
                time.sleep(POLL_S)

    def admit(self, reps, weight):
        commands = []
        for r in reps:
            commands += [f"set weight live/{r.slot} {weight}", f"set server live/{r.slot} state ready"]
        self.api.run(*commands)

    def shift(self, weights, drain=(), snapshot=False):
        """Sets weights and drains in one runtime API call; with snapshot, the call ends
        with `show stat`, so the counters are those of the moment of the switch."""
        commands = []
        for slot, weight in weights.items():
            commands += [f"set weight live/{slot} {weight}", f"set server live/{slot} state ready"]
        commands += [f"set server live/{slot} state drain" for slot in drain]
        if snapshot:
            commands.append("show stat")
        return self.api.run(*commands)

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
            say(self.clock, f"STACK_FAULT=no-drain: killing {names} at once (SIGKILL, no drain)")
            for r in reps:
                replicas.signal(r, "KILL")
            self._forget(reps)
            return
        say(self.clock, f"stopping {names} ({how}): SIGTERM; /ready turns 503 and the service serves on for its "
                        f"{budget['drain_delay_s']:g} s drain delay")
        start = time.monotonic()
        for r in reps:
            replicas.signal(r, "TERM")
        # HAProxy needs at most interval x unhealthy threshold (+ a check timeout) to see
        # /ready fail; the drain delay is longer by the budget's rule.
        not_down = {r.slot for r in reps}
        running = {r.slot: r for r in reps}
        failure = None
        warned = False
        while running:
            elapsed = time.monotonic() - start
            servers = self.api.servers("live")
            for slot in sorted(not_down):
                if not servers[slot].up:
                    not_down.discard(slot)
                    say(self.clock, f"HAProxy marked {slot} DOWN {elapsed:.1f} s after SIGTERM (its health check "
                                    "saw /ready fail): no new requests go there")
            if not_down and not warned and elapsed > budget["drain_delay_s"]:
                warned = True
                say(self.clock, f"WARNING: HAProxy still counted {', '.join(sorted(not_down))} up when the drain "
                                "delay ended")
            for slot, r in sorted(running.items()):
                code = replicas.exit_code(r)
                if code is not None:
                    del running[slot]
                    say(self.clock, f"{slot} ({r.version}) exited with code {code} {elapsed:.1f} s after SIGTERM")
            if running and elapsed > budget["stop_timeout_s"]:
                for slot, r in sorted(running.items()):
                    replicas.signal(r, "KILL")
                    say(self.clock, f"WARNING: {slot} still ran at its {budget['stop_timeout_s']:g} s stop "
                                    "timeout: SIGKILL")
                running.clear()
            if guard and failure is None:
                try:
                    guard()
                except DeployFailed as err:
                    failure = err
                    say(self.clock, f"FAILED: {err}; finishing the stop of {names} first")
            if running:
                time.sleep(POLL_S)
        # The deregistration delay's end: whatever HAProxy still holds is closed.
        self._forget(reps)
        if failure:
            raise failure

    def baselines(self):
        try:
            return json.loads((self.dir / "baselines.json").read_text())
        except (OSError, ValueError):
            return {}

    def remove_now(self, reps):
        """For replicas that never got live traffic: no drain needed."""
        if not reps:
            return
        self._forget(reps)
        say(self.clock, f"removed {', '.join(r.slot for r in reps)} (never took live traffic)")

    def leave_test(self, reps):
        """The test listener is done with them once they take live traffic."""
        self.api.run(*[f"set server test/{r.slot} state maint" for r in reps])

    def _forget(self, reps):
        commands = []
        for r in reps:
            for backend in BACKENDS:
                commands += [f"set server {backend}/{r.slot} state maint",
                             f"shutdown sessions server {backend}/{r.slot}",
                             f"set weight {backend}/{r.slot} {FULL_WEIGHT}"]
        self.api.run(*commands)
        replicas.remove(*reps)

    def verify(self, url, version):
        """The pipeline's check, run from the image being deployed (so no host build is
        needed): N consecutive healthy answers with the expected version in /info."""
        deadline = timing.whole_s(self.budget["health_check_grace_period_s"])
        cmd = ["podman", "run", "--rm", "--network", "host", "--read-only", "--cap-drop", "ALL",
               replicas.image_ref(version), "verify", "--url", url, "--expect-version", version,
               "--consecutive", "5", "--interval-ms", "200", "--deadline-s", str(deadline)]
        result = subprocess.run(cmd, capture_output=True, text=True)
        verdict = (result.stdout.strip() or result.stderr.strip()).splitlines()
        line = verdict[-1] if verdict else f"(no output, exit {result.returncode})"
        say(self.clock, f"hello-service verify: {line}")
        return result.returncode == 0

    # ---- status -----------------------------------------------------------------------
    def status(self):
        """Rows: one per slot that has a replica or takes part in HAProxy."""
        reps = self.replicas()
        live = self.api.servers("live")
        test = self.api.servers("test")
        stats = self.api.stats()
        base = self.baselines()
        rows = []
        for slot in self.slot_names():
            r = reps.get(slot)
            if r is None and live[slot].maint and test[slot].maint:
                continue
            port = self.slot_port(slot)
            info = replicas.info(port) if r else None
            counters = stats.get(("live", slot), {})
            rows.append({
                "slot": slot, "port": port,
                "pod": r.pod if r else "-", "container": r.state if r else "-",
                "version": (info or {}).get("version", "-") if r else "-",
                "image_version": r.version if r else "-",
                "ready": replicas.ready(port) if r else None,
                "haproxy": "UP" if live[slot].up else "DOWN",
                "admin": live[slot].admin, "weight": live[slot].weight,
                "test_listener": "-" if test[slot].maint else ("UP" if test[slot].up else "DOWN"),
                "responses": counters.get("responses", 0) - (base.get(slot, {}).get("responses", 0) if r else 0),
                "5xx": counters.get("5xx", 0) - (base.get(slot, {}).get("5xx", 0) if r else 0),
            })
        return rows


def ensure_image(root, version, fault, clock):
    """Builds localhost/hello-service:VERSION from this tree when it is missing, or
    always when a fault is asked for (so the tag holds that fault)."""
    if fault is None and replicas.image_exists(version):
        return
    say(clock, f"building {replicas.image_ref(version)} from this tree (VERSION={version}"
               f"{f', FAULT={fault}' if fault else ''})")
    env = dict(os.environ, CONTAINER_ENGINE="podman", VERSION=version, TAG=replicas.image_ref(version),
               FAULT=fault or "", PLATFORM="")
    result = subprocess.run([str(root / "container/build-image.sh")], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise StackError(f"building the image failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    say(clock, result.stdout.strip().splitlines()[-1] if result.stdout.strip() else "built")
