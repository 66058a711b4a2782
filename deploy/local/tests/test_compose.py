#!/usr/bin/env python3
"""The Compose variant of the stack through a deploy (run by container/test-docker.sh
against its own Docker engine): `deploy/local/stack compose up VERSION_A`, then a
rolling `compose deploy VERSION_B` while 64 keep-alive connections send GET / through
HAProxy, as test_stack.py does for the Podman stack:
  * the deploy succeeds; zero non-2xx and zero connection errors; load in every second;
    the clients saw A, then only B;
  * afterwards each replica's own /info reports B, and HAProxy has both UP;
  * `compose down` leaves no container of the project.

Usage: test_compose.py VERSION_A VERSION_B (images built, DOCKER_HOST and
STACK_COMPOSE_DIR set, STACK_HAPROXY_IMAGE naming an HAProxy image the engine has)."""
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT / "deploy/local"))
sys.path.insert(0, str(HERE))
import harness  # noqa: E402
from harness import Results, zero_loss  # noqa: E402
from rehearsal import haproxy  # noqa: E402
from rehearsal.compose import PROJECT, read_env  # noqa: E402

STACK = [str(ROOT / "deploy/local/stack")]
RATE = float(os.environ.get("LOAD_RATE", "2000"))
SCALE = os.environ.get("TIME_SCALE", "0.2")
ENV = dict(os.environ)
ENV.pop("STACK_VIA_MAKE", None)
COMPOSE_DIR = Path(os.environ["STACK_COMPOSE_DIR"])
results = Results()
check = results.check


def stack(*args, check_rc=True):
    return harness.run([*STACK, *args], ENV, check_rc=check_rc)


def own_info(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/info", timeout=2) as response:
            return json.loads(response.read())
    except (OSError, ValueError):
        return {}


def project_containers():
    out = subprocess.run(["docker", "ps", "-a", "--filter", f"label=com.docker.compose.project={PROJECT}",
                          "--format", "{{.Names}} {{.Status}}"], capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if line.strip()]


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    version_a, version_b = sys.argv[1:]
    started = time.monotonic()
    print(f"==> Compose stack: 2 replicas of {version_a} and HAProxy ({os.environ.get('STACK_HAPROXY_IMAGE')}), "
          f"TIME_SCALE={SCALE}")
    stack("compose", "down")
    try:
        stack("compose", "up", version_a, "--time-scale", SCALE, "--port", "auto")
        running = project_containers()
        check(f"compose up: three containers run ({running})",
              len(running) == 3 and all(" Up " in f" {line} " for line in running))
        env = read_env(COMPOSE_DIR / "compose.env")
        print(f"==> Compose rolling deploy {version_a} -> {version_b} under load")
        (rc, _), load, seconds = harness.under_load(
            int(env["LIVE_PORT"]), COMPOSE_DIR / "load.ready", RATE,
            lambda: stack("compose", "deploy", version_b, check_rc=False))
        zero_loss(results, "compose rolling", load, rc, seconds, version_b, version_a, RATE)
        versions = [own_info(env[f"PORT_{i}"]).get("version") for i in (1, 2)]
        check(f"after the deploy each replica's own /info reports {version_b} ({versions})",
              versions == [version_b, version_b])
        servers = haproxy.Traffic(COMPOSE_DIR / "run/haproxy.sock").servers("live")
        check("HAProxy has both replicas UP and taking traffic",
              all(servers[s].takes_traffic for s in ("s1", "s2")))
    finally:
        stack("compose", "down", check_rc=False)
    left = project_containers()
    check(f"compose down: no container of {PROJECT} left ({left or 'none'})", not left)
    return results.print_summary("test-compose", started)


if __name__ == "__main__":
    sys.exit(main())
