"""What the rehearsal's load tests share (test_stack.py for the Podman stack,
test_compose.py for the Compose one): one line per check, commands echoed as they
run, the load generator (loadgen.py) around a deploy, and the zero-loss checks."""
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CONNECTIONS = 64
LOAD_FLOOR = 0.25


class Results:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.summary = []  # (name, seconds, load summary) per run under load

    def check(self, description, ok):
        if ok:
            self.passed += 1
            print(f"ok: {description}", flush=True)
        else:
            self.failed += 1
            print(f"FAIL: {description}", file=sys.stderr, flush=True)
        return ok

    def print_summary(self, name, started):
        print(f"==> requests and errors per run ({CONNECTIONS} connections, loopback)")
        for run, seconds, load in self.summary:
            what = "DOWN after" if run.startswith("crash") else "deploy"
            print(f"    {run:<25} {what} {seconds:5.1f} s  {load['requests']:7d} requests  "
                  f"{load['non2xx']:4d} non-2xx  {load['errors']:4d} connection errors")
        print(f"{name}: {self.passed} passed, {self.failed} failed, {time.monotonic() - started:.0f} s")
        return 1 if self.failed else 0


def run(cmd, env, echo=True, check_rc=True):
    """Runs a command, echoing its output (stdout and stderr) indented; returns (rc, output)."""
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if echo:
            print(f"    | {line}", end="", flush=True)
    rc = proc.wait()
    if check_rc and rc != 0:
        if not echo:
            sys.stdout.write("".join(lines))
        raise SystemExit(f"error: {' '.join(map(str, cmd))} exited {rc}")
    return rc, "".join(lines)


class Load:
    """loadgen.py on a port of 127.0.0.1 until stop(), which returns its summary."""

    def __init__(self, port, ready_file, rate):
        self.ready = Path(ready_file)
        self.ready.parent.mkdir(parents=True, exist_ok=True)
        self.ready.unlink(missing_ok=True)
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "loadgen.py"), "--port", str(port), "--connections", str(CONNECTIONS),
             "--rate", str(rate), "--max-s", "300", "--ready-file", str(self.ready)],
            stdout=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 10
        while not self.ready.exists():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.proc.kill()
                raise SystemExit("error: the load generator got no response within 10 s")
            time.sleep(0.05)

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        out, _ = self.proc.communicate(timeout=30)
        return json.loads(out)


def under_load(port, ready_file, rate, action):
    """Runs action() with the load on before (1 s) and after (1 s) it: returns
    (action's result, load summary, seconds the action took)."""
    load = Load(port, ready_file, rate)
    time.sleep(1)
    start = time.monotonic()
    result = action()
    seconds = time.monotonic() - start
    time.sleep(1)
    return result, load.stop(), seconds


def describe_load(load):
    versions = ", ".join(f"{v} {n}" for v, n in load["versions"].items())
    return (f"{load['requests']} requests, {load['non2xx']} non-2xx, {load['errors']} connection errors "
            f"(versions answered: {versions})")


def zero_loss(results, name, load, rc, seconds, expected_version, old_version, rate):
    """A deploy under load lost nothing and switched the clients from old to new."""
    check = results.check
    print(f"==> {name}: deploy {seconds:.1f} s; {describe_load(load)}")
    check(f"{name}: the deploy command succeeded", rc == 0)
    check(f"{name}: zero connection errors ({load['error_kinds'] or 'none'})", load["errors"] == 0)
    check(f"{name}: zero non-2xx responses (status counts {load['status']})", load["non2xx"] == 0)
    # A quarter of the rate asked for: on a 2-core machine shared with other work, the
    # Python load generator got under half of it (about 960 of 2,000 requests/s) while
    # every request still succeeded; the check is that load flowed through the whole
    # deploy, which the per-second check below makes exact.
    floor = int(LOAD_FLOOR * rate * seconds)
    check(f"{name}: the load was real: {load['responses']} responses during a {seconds:.1f} s deploy "
          f"(at least {floor})", load["responses"] >= floor)
    inner = load["timeline"][:-1]  # the last second is cut short by the stop
    check(f"{name}: every second of the run had successful responses (no stall)",
          bool(inner) and all(b["ok"] > 0 for b in inner) and len(inner) == inner[-1]["second"] + 1)
    check(f"{name}: clients saw the old version, then the new ({', '.join(load['versions'])})",
          load["versions"].get(old_version, 0) > 0 and load["versions"].get(expected_version, 0) > 0)
    last = load["timeline"][-2]["versions"] if len(load["timeline"]) >= 2 else {}
    check(f"{name}: in the last full second every response came from {expected_version} ({last})",
          set(last) == {expected_version})
    for sample in load["samples"][:5]:
        print(f"    sample failure: {sample}")
    results.summary.append((name, seconds, load))
