#!/usr/bin/env python3
"""The local rehearsal's test (`make test-stack`): each strategy under load, a bad
canary, a replica that crashes, the front door's promises, and a control run that must
lose requests.

A stack of its own (STACK_NAME hello-stack-test-<checkout>, so that test runs from two
checkouts on one machine never touch each other's pods; free ports; state in
build/stack-test) with the timing budget scaled by TIME_SCALE (default 0.2). For each
strategy, 64 keep-alive connections send GET / through HAProxy for the whole deploy:
  * zero non-2xx responses and zero connection errors, load in every second;
  * afterwards every replica serves the new version (its own /info), HAProxy sends all
    traffic to exactly those, and the last second of load saw only the new version;
  * canary: HAProxy's counters show the new version got its 10 % share during the bake.
A canary of VERSION_A built with FAULT=root-500 (its `/` answers 500), by the deploy
command itself: the command fails with a clear message, the stack is back on the old
version by itself, the bad version got no more than its share (HAProxy's per-server
counters), every non-2xx the clients saw is one of its 500s, and the good image of
VERSION_A is untouched (a fault build has its own tag). A fault build of the running
version is refused before anything is built.
A replica killed with SIGKILL under load: HAProxy, like an ALB, retries nothing, so the
requests it held and those sent to it until the health check takes it out fail; the
test reports how many, and checks that the failures stop once HAProxy marks it DOWN.
The front door: `stack up` checks its ports before it builds anything, and a Ctrl-C
during `stack up` leaves no replica and no HAProxy behind.
A control run with the replicas' drain switched off must lose requests: proof that the
load generator sees what it should.
Any image, side by side (part `seed`): ours and the seed's stack (Flask under gunicorn,
deploy/local/seed/build.sh, by IMAGE= and READY_PATH=/health) each on a fresh stack,
through the same rolling deploy under the same load with the budget scaled the same
way, SEED_TIME_SCALE (default 1, the real budget: the seed's new replica must pass
HAProxy's health check within the grace period, and its start does not shrink with the
scale. At 0.5 (a grace period of 15 s) a run failed on a loaded 2-core machine: the seed
was healthy only after it, and the deploy rolled back; at 1 it passed within 30 s, 22 s
at the worst seen. Our start takes milliseconds).
Ours must lose nothing, as above. The seed is verified without our binary
(scripts/verify-service.sh: health, version, ready path); its requests and errors are
reported beside ours, not required to be zero (the seed has no drain: what it loses is
the measured case for ours). Then a bad deploy of the seed (the new image with a
CONTAINER_PORT it does not listen on): never healthy, rolled back, and no request lost,
since it never took traffic.

Usage: test_stack.py VERSION_A VERSION_B [SEED_A SEED_B] (images built beforehand;
SEED_A/B: the seed's image references, for the part `seed`). TEST_STACK_PARTS (comma
separated, default all of them) runs only some parts, in this order: front-door,
strategies, refuse, bad-canary, crash, control, seed."""
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT / "deploy/local"))
sys.path.insert(0, str(HERE))
import harness  # noqa: E402
from harness import CONNECTIONS, Load, Results, describe_load, zero_loss  # noqa: E402
from rehearsal import haproxy, ports, state  # noqa: E402

STACK = [str(ROOT / "deploy/local/stack")]
STATE_DIR = ROOT / "build/stack-test"
RATE = float(os.environ.get("LOAD_RATE", "2000"))
SCALE = os.environ.get("TIME_SCALE", "0.2")
SEED_SCALE = os.environ.get("SEED_TIME_SCALE", "1")
REPLICAS = 2
CANARY_PERCENT = 10
# A canary's share is exact with HAProxy's weighted round robin; what the counters can
# add is the requests in flight at the two switches: at most one per connection.
SHARE_SLACK_REQUESTS = CONNECTIONS
GOOD_CANARY_TOLERANCE_POINTS = 1.0

# One name per checkout: `stack down` removes every pod of its name.
STACK_NAME = "hello-stack-test-" + hashlib.sha256(str(ROOT).encode()).hexdigest()[:8]
ENV = dict(os.environ, STACK_NAME=STACK_NAME, STACK_DIR=str(STATE_DIR), STACK_ACCESS_LOG="off")
ENV.pop("STACK_VIA_MAKE", None)
# Only to watch this test fail: STACK_TEST_FAULT=no-drain runs the main stack with that
# unsafe setting (see deploy/local/README.md).
ENV.pop("STACK_FAULT", None)
if os.environ.get("STACK_TEST_FAULT"):
    ENV["STACK_FAULT"] = os.environ["STACK_TEST_FAULT"]

results = Results()
check = results.check
summary = results.summary


def stack(*args, env=ENV, echo=True, check_rc=True):
    """Runs deploy/local/stack, echoing its output; returns (rc, output)."""
    return harness.run([*STACK, *args], env, echo, check_rc)


def status(env=ENV):
    _, out = stack("status", "--json", env=env, echo=False)
    return json.loads(out)


def stats(env=ENV):
    _, out = stack("stats", env=env, echo=False)
    return json.loads(out)


def podman(*args):
    return subprocess.run(["podman", *args], capture_output=True, text=True, timeout=120,
                          env=dict(ENV, CONTAINERS_CONF=PODMAN_ENV["CONTAINERS_CONF"],
                                   CONTAINERS_STORAGE_CONF=PODMAN_ENV["CONTAINERS_STORAGE_CONF"]))


def podman_env():
    out = subprocess.run(["bash", "-c", '. "$1" && podman_project_env && echo "$CONTAINERS_CONF" && '
                                        'echo "$CONTAINERS_STORAGE_CONF"', "_", str(ROOT / "container/lib.sh")],
                         capture_output=True, text=True, check=True).stdout.split()
    return {"CONTAINERS_CONF": out[0], "CONTAINERS_STORAGE_CONF": out[1]}


PODMAN_ENV = podman_env()


def image_id(ref):
    result = podman("image", "inspect", "--format", "{{.Id}}", ref)
    return result.stdout.strip() if result.returncode == 0 else None


def traffic():
    """HAProxy's runtime API of the test stack, through the rehearsal's own facade."""
    return haproxy.Traffic(state.load(STATE_DIR / "stack.json", "stack.json").socket)


def run_deploy(strategy, version, env=ENV, fault=None, extra=()):
    """A deploy under load: returns (rc, output, load summary, seconds). extra: more
    options (another image's)."""
    live = status(env)["ports"]["live"]
    version_args = ["--version", version] if version else []
    (rc, out), load, seconds = harness.under_load(
        live, STATE_DIR / "load.ready", RATE,
        lambda: stack("deploy", "--strategy", strategy, *version_args, *(["--fault", fault] if fault else []),
                      *extra, env=env, check_rc=False))
    return rc, out, load, seconds


def steady(expected_version, when):
    """Every replica serves the version, and HAProxy sends all live traffic to them."""
    st = status()
    slots = st["slots"]
    running = [s for s in slots if s["container"] == "running"]
    check(f"{when}: {REPLICAS} replicas run (found {len(running)}: "
          f"{', '.join(s['slot'] + ' ' + s['version'] for s in running)})", len(running) == REPLICAS)
    check(f"{when}: each replica's own /info reports {expected_version}, and no fault",
          bool(running) and all(s["version"] == expected_version and not s["fault"] for s in running))
    check(f"{when}: HAProxy has each of them UP, ready, full weight, and no other slot in use",
          all(s["haproxy"] == "UP" and s["admin"] == "READY" and s["weight"] == 100 for s in running)
          and all(s["admin"] == "MAINT" for s in slots if s not in running))
    check(f"{when}: nothing is left on the test listener", all(s["test_listener"] == "-" for s in slots))
    return st


def front_door(version_a):
    """Before any stack runs: ports are checked before a build, and a Ctrl-C during
    `stack up` leaves nothing behind."""
    print("==> front door: a taken port fails `stack up` at once, before any build")
    unbuilt = "1.0.0-rehearsal-never-built"
    podman("rmi", "-f", f"localhost/hello-service:{unbuilt}")
    # A port the stack's own helper finds free and holds (listening): taken for `stack up`.
    # Its neighbours (N+1, N+2, ...) may be taken too; the message must name this one.
    with ports.reserve_free(1) as taken:
        port = taken.ports[0]
        start = time.monotonic()
        rc, out = stack("up", "--version", unbuilt, "--port", str(port), check_rc=False)
        seconds = time.monotonic() - start
    named = re.search(rf"ports? [0-9, ]*\b{port}\b[0-9, ]* on 127\.0\.0\.1 (is|are) in use", out)
    check(f"stack up on a taken port failed (exit {rc}) naming the port", rc == 1 and bool(named))
    check(f"and built nothing first ({seconds:.1f} s; no image {unbuilt})",
          "building" not in out and image_id(f"localhost/hello-service:{unbuilt}") is None)

    print("==> front door: Ctrl-C during `stack up` leaves no replica and no HAProxy")
    # As from a terminal: its own process group, and SIGINT at its default whatever this
    # test inherited (a job started in the background of a shell without job control,
    # `make test-stack &` in a script, has SIGINT ignored, and Python then keeps it so).
    proc = subprocess.Popen([*STACK, "up", "--version", version_a, "--replicas", str(REPLICAS), "--time-scale", SCALE,
                             "--port", "auto"], env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    lines = []
    for line in proc.stdout:
        lines.append(line)
        print(f"    | {line}", end="", flush=True)
        if "started " in line and " in slot s1 " in line:
            # What a terminal does on Ctrl-C: SIGINT to the whole foreground process group.
            os.killpg(proc.pid, signal.SIGINT)
    rc = proc.wait()
    out = "".join(lines)
    check(f"Ctrl-C: stack up exited 130 (got {rc}) and said it was interrupted", rc == 130 and "interrupted" in out)
    pods = podman("ps", "-a", "--filter", f"label=hello-stack/name={STACK_NAME}", "--format", "{{.Names}}")
    check(f"Ctrl-C: no replica left ({pods.stdout.split() or 'none'})", pods.returncode == 0 and not pods.stdout.strip())
    _, status_out = stack("status", check_rc=False, echo=False)
    check("Ctrl-C: no stack left (status says no stack is up)", "no stack is up" in status_out)


def refuse_fault_of_running(running):
    print(f"==> a fault build of the running version ({running}) is refused before any build")
    fault_image = f"localhost/hello-service-fault:{running}-root-500"
    podman("rmi", "-f", fault_image)
    rc, out = stack("deploy", "--strategy", "canary", "--version", running, "--fault", "root-500", check_rc=False)
    check(f"refused with exit 2 (got {rc}), naming the running version", rc == 2 and "refused" in out)
    check("and nothing was built", "building" not in out and image_id(fault_image) is None)


def crash(running_version):
    """SIGKILL one replica under load: what the crash costs until HAProxy's health check
    takes it out. HAProxy retries nothing, as an ALB retries nothing."""
    st = status()
    budget = state.load(STATE_DIR / "stack.json", "stack.json").budget
    victim = next(s for s in st["slots"] if s["container"] == "running")
    detect_s = (budget["alb_health_check_interval_s"] * (budget["alb_unhealthy_threshold"] + 1)
                + budget["alb_health_check_timeout_s"])
    print(f"==> crash: SIGKILL {victim['slot']} under load; HAProxy should mark it DOWN within {detect_s:.1f} s "
          f"(interval x (unhealthy threshold + 1) + timeout)")
    load = Load(st["ports"]["live"], STATE_DIR / "load.ready", RATE)
    time.sleep(2)
    api = traffic()
    killed_at = time.monotonic()
    kill = podman("kill", "--signal", "KILL", f"{STACK_NAME}-{victim['slot']}-service")
    down_at = None
    while time.monotonic() - killed_at < 30:
        if not api.servers("live")[victim["slot"]].up:
            down_at = time.monotonic()
            break
        time.sleep(0.05)
    time.sleep(3)
    result = load.stop()
    check(f"crash: podman kill worked ({kill.stderr.strip() or 'ok'})", kill.returncode == 0)
    if not check("crash: HAProxy marked the killed replica DOWN", down_at is not None):
        return
    down_s = down_at - killed_at
    lost = result["non2xx"] + result["errors"]
    kill_second = killed_at - result["started_monotonic"]
    before = [b for b in result["timeline"] if b["second"] < int(kill_second) - 1]
    after = [b for b in result["timeline"][:-1] if b["second"] > kill_second + down_s + 1]
    print(f"==> crash: HAProxy marked {victim['slot']} DOWN {down_s:.1f} s after SIGKILL; {describe_load(result)}; "
          f"{lost} requests failed (status {result['status']}, errors {result['error_kinds'] or 'none'})")
    check(f"crash: DOWN within {detect_s:.1f} s ({down_s:.1f} s)", down_s <= detect_s + 0.5)
    check("crash: no failure before the kill", all(b["non2xx"] + b["errors"] == 0 for b in before) and bool(before))
    check(f"crash: the crash cost requests ({lost}): nothing retried them, as an ALB would not", lost > 0)
    check("crash: no failure once HAProxy had taken it out",
          bool(after) and all(b["non2xx"] + b["errors"] == 0 for b in after))
    check(f"crash: failures were 502/503 from HAProxy or connection errors (status {result['status']})",
          set(result["status"]) <= {"200", "502", "503"})
    summary.append(("crash (SIGKILL)", down_s, result))


def strategies(version_a, version_b):
    """Rolling a -> b, blue-green (the pipeline's spelling) b -> a, canary a -> b."""
    for strategy, old, new in (("rolling", version_a, version_b), ("blue_green", version_b, version_a),
                               ("canary", version_a, version_b)):
        print(f"==> {strategy}: {old} -> {new} under load")
        rc, out, load, seconds = run_deploy(strategy, new)
        zero_loss(results, strategy, load, rc, seconds, new, old, RATE)
        steady(new, f"after {strategy}")
        if strategy == "canary":
            record = json.loads((STATE_DIR / "last-deploy.json").read_text())
            share = record.get("canary_share_percent", -1)
            check(f"canary: during the bake HAProxy counted {share} % of live responses from {new} "
                  f"(target {CANARY_PERCENT} % +- {GOOD_CANARY_TOLERANCE_POINTS:g})",
                  abs(share - CANARY_PERCENT) <= GOOD_CANARY_TOLERANCE_POINTS)


def bad_canary(version_b, version_a):
    """A canary of version_a built with FAULT=root-500, over version_b (running)."""
    print(f"==> bad canary: {version_b} -> {version_a} built with FAULT=root-500 (its / answers 500) under load")
    good_a = image_id(f"localhost/hello-service:{version_a}")
    before = status()
    before_slots = {s["slot"] for s in before["slots"] if s["container"] == "running"}
    before_stats = stats()
    rc, out, load, seconds = run_deploy("canary", version_a, fault="root-500")
    after_stats = stats()
    print(f"==> bad canary: deploy {seconds:.1f} s; {describe_load(load)}")
    check(f"bad canary: the deploy command failed (exit {rc})", rc != 0)
    check("bad canary: its output says it failed and rolled back",
          f"deploy of {version_a} (FAULT=root-500) FAILED" in out and "rolled back" in out)
    steady(version_b, "after the bad canary")
    check(f"bad canary: the good image of {version_a} is the one it was ({(good_a or '?')[:12]}): the fault build "
          "has its own tag", good_a is not None and image_id(f"localhost/hello-service:{version_a}") == good_a)
    record = json.loads((STATE_DIR / "last-deploy.json").read_text())
    check(f"bad canary: last-deploy.json says rolled back ({record.get('result')})", record.get("result") == "rolled back")
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


def control(version_a, version_b):
    """Without the drain, a rolling deploy loses requests."""
    print("==> control: rolling with STACK_FAULT=no-drain (old replicas killed, not drained) must lose requests")
    stack("down", echo=False)
    fault_env = dict(ENV, STACK_FAULT="no-drain")
    stack("up", "--version", version_a, "--replicas", str(REPLICAS), "--time-scale", SCALE, "--port", "auto",
          env=fault_env, echo=False)
    rc, out, load, seconds = run_deploy("rolling", version_b, env=fault_env)
    print(f"==> control: deploy {seconds:.1f} s; {describe_load(load)}")
    check(f"control: the unsafe rolling deploy lost requests ({load['errors']} connection errors, "
          f"{load['non2xx']} non-2xx): the test sees losses when there are any",
          load["errors"] + load["non2xx"] > 0)
    summary.append(("control (no drain)", seconds, load))


def seed(ours_a, ours_b, seed_a, seed_b):
    """Ours, then the seed's stack, through the same rolling deploy at SEED_TIME_SCALE.
    The seed's version is its image's tag; the rehearsal verifies it with curl
    (scripts/verify-service.sh)."""
    print(f"==> side by side at TIME_SCALE={SEED_SCALE}: ours, rolling {ours_a} -> {ours_b} under load")
    stack("down", echo=False)
    stack("up", "--version", ours_a, "--replicas", str(REPLICAS), "--time-scale", SEED_SCALE, "--port", "auto",
          echo=False)
    steady(ours_a, f"ours at {SEED_SCALE}: after stack up")
    rc, out, load, seconds = run_deploy("rolling", ours_b)
    zero_loss(results, f"rolling (ours, x{SEED_SCALE})", load, rc, seconds, ours_b, ours_a, RATE)
    steady(ours_b, f"ours at {SEED_SCALE}: after rolling")

    version_a, version_b = (ref.rsplit(":", 1)[1] for ref in (seed_a, seed_b))
    print(f"==> seed: stack up with IMAGE={seed_a} READY_PATH=/health (Flask under gunicorn, port 5000), "
          f"TIME_SCALE={SEED_SCALE}")
    stack("down", echo=False)
    stack("up", "--image", seed_a, "--ready-path", "/health", "--replicas", str(REPLICAS), "--time-scale", SEED_SCALE,
          "--port", "auto")
    st = steady(version_a, "seed: after stack up")
    check("seed: HAProxy checks /health, the READY_PATH given",
          "uri /health " in Path(state.load(STATE_DIR / "stack.json", "stack.json").config).read_text())
    print(f"==> seed: rolling {seed_a} -> {seed_b} under load")
    rc, out, load, seconds = run_deploy("rolling", None, extra=("--image", seed_b))
    print(f"==> seed rolling: deploy {seconds:.1f} s; {describe_load(load)}")
    check(f"seed rolling: the deploy command succeeded (exit {rc})", rc == 0)
    check("seed rolling: verified with curl (verify-service.sh: health, version, ready path), not our binary",
          f"version {version_b}" in out and "verify-service.sh: verify: PASS" in out and "hello-service verify" not in out)
    check(f"seed rolling: the load was real: {load['responses']} responses during a {seconds:.1f} s deploy",
          load["responses"] >= 0.1 * RATE * seconds)
    check(f"seed rolling: clients saw the old version, then the new ({', '.join(load['versions'])})",
          load["versions"].get(version_a, 0) > 0 and load["versions"].get(version_b, 0) > 0)
    last = load["timeline"][-2]["versions"] if len(load["timeline"]) >= 2 else {}
    check(f"seed rolling: in the last full second every response came from {version_b} ({last})",
          set(last) == {version_b})
    # Reported, not required to be zero: gunicorn closes its socket on SIGTERM and HAProxy
    # retries nothing, as an ALB would not. What the seed loses, ours does not.
    check(f"seed rolling: any failure is HAProxy's 502/503 or a connection error, never the app's "
          f"(status {load['status']})", set(load["status"]) <= {"200", "502", "503"})
    for sample in load["samples"][:5]:
        print(f"    sample failure: {sample}")
    summary.append((f"rolling (seed, x{SEED_SCALE})", seconds, load))
    steady(version_b, "seed: after rolling")

    print(f"==> seed: a bad deploy: {seed_a} with CONTAINER_PORT=5001 (the image listens on 5000) under load")
    rc, out, load, seconds = run_deploy("rolling", None, extra=("--image", seed_a, "--container-port", "5001"))
    print(f"==> seed bad deploy: {seconds:.1f} s; {describe_load(load)}")
    check(f"seed bad deploy: the command failed (exit {rc}), never healthy, and rolled back",
          rc == 1 and "not healthy in HAProxy within" in out and "rolled back" in out)
    record = json.loads((STATE_DIR / "last-deploy.json").read_text())
    check(f"seed bad deploy: last-deploy.json says rolled back ({record.get('result')})",
          record.get("result") == "rolled back")
    check(f"seed bad deploy: no request lost, the bad replica never took traffic ({load['non2xx']} non-2xx, "
          f"{load['errors']} connection errors)", load["non2xx"] == 0 and load["errors"] == 0)
    check(f"seed bad deploy: clients saw only {version_b} ({dict(load['versions'])})",
          set(load["versions"]) == {version_b})
    summary.append((f"bad deploy (seed, x{SEED_SCALE})", seconds, load))
    steady(version_b, "seed: after the bad deploy")
    return st


PARTS = ("front-door", "strategies", "refuse", "bad-canary", "crash", "control", "seed")


def main():
    if len(sys.argv) not in (3, 5):
        raise SystemExit(__doc__)
    version_a, version_b = sys.argv[1:3]
    seeds = sys.argv[3:5]
    parts = os.environ.get("TEST_STACK_PARTS", ",".join(PARTS)).split(",")
    if set(parts) - set(PARTS):
        raise SystemExit(f"TEST_STACK_PARTS: unknown {', '.join(sorted(set(parts) - set(PARTS)))}; "
                         f"parts are {', '.join(PARTS)}")
    started = time.monotonic()
    print(f"==> test stack: {REPLICAS} replicas, TIME_SCALE={SCALE} (every duration of the timing budget x "
          f"{SCALE}), load {CONNECTIONS} connections at {RATE:g} requests/s on 127.0.0.1")
    if parts != list(PARTS):
        print(f"==> only these parts (TEST_STACK_PARTS): {', '.join(parts)}")
    stack("down", echo=False)
    if "front-door" in parts:
        front_door(version_a)
    if not set(parts) & {"strategies", "refuse", "bad-canary", "crash"}:
        parts_with_stack = []
    else:
        parts_with_stack = parts
        stack("up", "--version", version_a, "--replicas", str(REPLICAS), "--time-scale", SCALE, "--port", "auto")
        steady(version_a, "after stack up")
    running, other = version_a, version_b
    if "strategies" in parts_with_stack:
        strategies(version_a, version_b)
        running, other = version_b, version_a
    if "refuse" in parts_with_stack:
        refuse_fault_of_running(running)
    if "bad-canary" in parts_with_stack:
        bad_canary(running, other)
    if "crash" in parts_with_stack:
        crash(running)
    if "control" in parts:
        control(version_a, version_b)
    if "seed" in parts:
        if not seeds:
            raise SystemExit("error: the part seed needs SEED_A and SEED_B (the seed's image references)")
        seed(version_a, version_b, *seeds)
    stack("down", echo=False)

    return results.print_summary("test-stack", started)


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        subprocess.run([*STACK, "down"], env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
