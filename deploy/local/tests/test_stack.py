#!/usr/bin/env python3
"""The local rehearsal's test (`make test-stack`): each strategy under load, a bad
canary, and a control run that must lose requests.

A stack of its own (STACK_NAME hello-stack-test, free ports, state in
build/stack-test) with the timing budget scaled by TIME_SCALE (default 0.2). For each
strategy, 64 keep-alive connections send GET / through HAProxy for the whole deploy:
  * zero non-2xx responses and zero connection errors, load in every second;
  * afterwards every replica serves the new version (its own /info), HAProxy sends all
    traffic to exactly those, and the last second of load saw only the new version;
  * canary: HAProxy's counters show the new version got its 10 % share during the bake.
A canary of a build whose `/` answers 500: the command fails with a clear message, the
stack is back on the old version by itself, the bad version got no more than its share
(HAProxy's per-server counters), and every non-2xx the clients saw is one of its 500s.
A control run with HAProxy's retries and the replicas' drain switched off must lose
requests: proof that the load generator sees what it should.

Usage: test_stack.py VERSION_A VERSION_B VERSION_BAD (images built beforehand)."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
STACK = [str(ROOT / "deploy/local/stack")]
CONNECTIONS = 64
RATE = float(os.environ.get("LOAD_RATE", "2000"))
SCALE = os.environ.get("TIME_SCALE", "0.2")
REPLICAS = 2
CANARY_PERCENT = 10
# A canary's share is exact with HAProxy's weighted round robin; what the counters can
# add is the requests in flight at the two switches: at most one per connection.
SHARE_SLACK_REQUESTS = CONNECTIONS
GOOD_CANARY_TOLERANCE_POINTS = 1.0

ENV = dict(os.environ, STACK_NAME="hello-stack-test", STACK_DIR=str(ROOT / "build/stack-test"),
           STACK_ACCESS_LOG="off")
# Only to watch this test fail: STACK_TEST_FAULT=no-drain,no-retries runs the main stack
# with those unsafe settings (see deploy/local/README.md).
ENV.pop("STACK_FAULT", None)
if os.environ.get("STACK_TEST_FAULT"):
    ENV["STACK_FAULT"] = os.environ["STACK_TEST_FAULT"]

passed, failed = 0, 0
summary = []


def check(description, ok):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok: {description}", flush=True)
    else:
        failed += 1
        print(f"FAIL: {description}", file=sys.stderr, flush=True)
    return ok


def stack(*args, env=ENV, echo=True, check_rc=True):
    """Runs deploy/local/stack, echoing its output indented; returns (rc, output)."""
    proc = subprocess.Popen([*STACK, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if echo:
            print(f"    | {line}", end="", flush=True)
    rc = proc.wait()
    if check_rc and rc != 0:
        if not echo:
            sys.stdout.write("".join(lines))
        raise SystemExit(f"error: deploy/local/stack {' '.join(args)} exited {rc}")
    return rc, "".join(lines)


def status(env=ENV):
    _, out = stack("status", "--json", env=env, echo=False)
    return json.loads(out)


def stats(env=ENV):
    _, out = stack("stats", env=env, echo=False)
    return json.loads(out)


class Load:
    def __init__(self, port):
        self.ready = ROOT / "build/stack-test/load.ready"
        self.ready.unlink(missing_ok=True)
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "loadgen.py"), "--port", str(port), "--connections", str(CONNECTIONS),
             "--rate", str(RATE), "--max-s", "300", "--ready-file", str(self.ready)],
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


def run_deploy(strategy, version, env=ENV):
    """A deploy under load: returns (rc, output, load summary, seconds)."""
    live = status(env)["ports"]["live"]
    load = Load(live)
    time.sleep(1)  # load on the old version before the deploy starts
    start = time.monotonic()
    rc, out = stack("deploy", "--strategy", strategy, "--version", version, env=env, check_rc=False)
    seconds = time.monotonic() - start
    time.sleep(1)  # and on the result after it
    return rc, out, load.stop(), seconds


def describe_load(load):
    versions = ", ".join(f"{v} {n}" for v, n in load["versions"].items())
    return (f"{load['requests']} requests, {load['non2xx']} non-2xx, {load['errors']} connection errors "
            f"(versions answered: {versions})")


def steady(expected_version, when):
    """Every replica serves the version, and HAProxy sends all live traffic to them."""
    st = status()
    slots = st["slots"]
    running = [s for s in slots if s["container"] == "running"]
    check(f"{when}: {REPLICAS} replicas run (found {len(running)}: "
          f"{', '.join(s['slot'] + ' ' + s['version'] for s in running)})", len(running) == REPLICAS)
    check(f"{when}: each replica's own /info reports {expected_version}",
          bool(running) and all(s["version"] == expected_version for s in running))
    check(f"{when}: HAProxy has each of them UP, ready, full weight, and no other slot in use",
          all(s["haproxy"] == "UP" and s["admin"] == "READY" and s["weight"] == 100 for s in running)
          and all(s["admin"] == "MAINT" for s in slots if s not in running))
    check(f"{when}: nothing is left on the test listener", all(s["test_listener"] == "-" for s in slots))
    return st


def zero_loss(name, load, rc, seconds, expected_version, old_version):
    print(f"==> {name}: deploy {seconds:.1f} s; {describe_load(load)}")
    check(f"{name}: the deploy command succeeded", rc == 0)
    check(f"{name}: zero connection errors ({load['error_kinds'] or 'none'})", load["errors"] == 0)
    check(f"{name}: zero non-2xx responses (status counts {load['status']})", load["non2xx"] == 0)
    floor = int(0.5 * RATE * seconds)
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
    summary.append((name, seconds, load))


def main():
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    version_a, version_b, version_bad = sys.argv[1:]
    started = time.monotonic()
    print(f"==> test stack: {REPLICAS} replicas, TIME_SCALE={SCALE} (every duration of the timing budget x "
          f"{SCALE}), load {CONNECTIONS} connections at {RATE:g} requests/s on 127.0.0.1")
    stack("down", echo=False)
    stack("up", "--version", version_a, "--replicas", str(REPLICAS), "--time-scale", SCALE, "--port", "auto")
    steady(version_a, "after stack up")

    # ---- the three strategies --------------------------------------------------------
    for strategy, old, new in (("rolling", version_a, version_b), ("blue-green", version_b, version_a),
                               ("canary", version_a, version_b)):
        print(f"==> {strategy}: {old} -> {new} under load")
        rc, out, load, seconds = run_deploy(strategy, new)
        zero_loss(strategy, load, rc, seconds, new, old)
        steady(new, f"after {strategy}")
        if strategy == "canary":
            record = json.loads((ROOT / "build/stack-test/last-deploy.json").read_text())
            share = record.get("canary_share_percent", -1)
            check(f"canary: during the bake HAProxy counted {share} % of live responses from {new} "
                  f"(target {CANARY_PERCENT} % +- {GOOD_CANARY_TOLERANCE_POINTS:g})",
                  abs(share - CANARY_PERCENT) <= GOOD_CANARY_TOLERANCE_POINTS)

    # ---- a bad canary ----------------------------------------------------------------
    print(f"==> bad canary: {version_b} -> {version_bad} (its / answers 500) under load")
    before = status()
    before_slots = {s["slot"] for s in before["slots"] if s["container"] == "running"}
    before_stats = stats()
    rc, out, load, seconds = run_deploy("canary", version_bad)
    after_stats = stats()
    print(f"==> bad canary: deploy {seconds:.1f} s; {describe_load(load)}")
    check(f"bad canary: the deploy command failed (exit {rc})", rc != 0)
    check("bad canary: its output says it failed and rolled back",
          f"deploy of {version_bad} FAILED" in out and "rolled back" in out)
    steady(version_b, "after the bad canary")
    check(f"bad canary: zero connection errors ({load['error_kinds'] or 'none'})", load["errors"] == 0)
    check(f"bad canary: every non-2xx was a 500 (status counts {load['status']})",
          set(load["status"]) <= {"200", "500"})
    canary_keys = [k for k in after_stats if k.startswith("live/") and k[5:] not in before_slots]

    def delta(key, field):
        return after_stats[key][field] - before_stats.get(key, {}).get(field, 0)

    canary_responses = sum(delta(k, "responses") for k in canary_keys)
    canary_5xx = sum(delta(k, "5xx") for k in canary_keys)
    check(f"bad canary: it answered live traffic ({canary_responses} responses), so the share check means "
          "something", canary_responses > 0)
    check(f"bad canary: the 500s the clients saw ({load['status'].get('500', 0)}) are the bad version's "
          f"5xx in HAProxy's counters ({canary_5xx})", load["status"].get("500", 0) == canary_5xx)
    record = json.loads((ROOT / "build/stack-test/last-deploy.json").read_text())
    snaps = record.get("snapshots", {})
    if check("bad canary: the deploy recorded HAProxy's counters when the canary started and stopped",
             "canary_start" in snaps and "canary_end" in snaps):
        window = sum(snaps["canary_end"][k]["responses"] - snaps["canary_start"][k]["responses"]
                     for k in snaps["canary_end"])
        limit = CANARY_PERCENT / 100 * window + SHARE_SLACK_REQUESTS
        print(f"    the bad version answered {canary_responses} of {window} live responses while it was in "
              f"({100 * canary_responses / max(window, 1):.1f} %)")
        check(f"bad canary: it got no more than its {CANARY_PERCENT} % share: {canary_responses} <= "
              f"{CANARY_PERCENT} % of {window} + {SHARE_SLACK_REQUESTS} in flight = {limit:.0f}",
              canary_responses <= limit)
    summary.append(("bad canary", seconds, load))

    # ---- control: without drain and retries, requests are lost -----------------------
    print("==> control: rolling with STACK_FAULT=no-drain,no-retries (replicas killed, HAProxy without "
          "retries) must lose requests")
    stack("down", echo=False)
    fault_env = dict(ENV, STACK_FAULT="no-drain,no-retries")
    stack("up", "--version", version_a, "--replicas", str(REPLICAS), "--time-scale", SCALE, "--port", "auto",
          env=fault_env, echo=False)
    rc, out, load, seconds = run_deploy("rolling", version_b, env=fault_env)
    print(f"==> control: deploy {seconds:.1f} s; {describe_load(load)}")
    check(f"control: the unsafe rolling deploy lost requests ({load['errors']} connection errors, "
          f"{load['non2xx']} non-2xx): the test sees losses when there are any",
          load["errors"] + load["non2xx"] > 0)
    summary.append(("control (unsafe)", seconds, load))
    stack("down", echo=False)

    print("==> requests and errors per run (64 connections, loopback)")
    for name, seconds, load in summary:
        print(f"    {name:<17} deploy {seconds:5.1f} s  {load['requests']:7d} requests  {load['non2xx']:4d} non-2xx  "
              f"{load['errors']:4d} connection errors")
    print(f"test-stack: {passed} passed, {failed} failed, {time.monotonic() - started:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        subprocess.run([*STACK, "down"], env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
