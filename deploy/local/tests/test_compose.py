#!/usr/bin/env python3
"""The Compose variant of the stack through a deploy (run by container/test-docker.sh
against its own Docker engine): `deploy/local/stack compose up VERSION_A` (ours, by
version), then a rolling `compose deploy --image localhost/hello-service:VERSION_B`
(the same kind of image taken as any other image, by reference: verified with curl by
scripts/verify-service.sh, not by our binary) while 64 keep-alive connections send
GET / through HAProxy, as test_stack.py does for the Podman stack:
  * each replica runs in a network namespace of its own (Docker's bridge), its
    container port published on 127.0.0.1 only;
  * the deploy succeeds, verified with curl; zero non-2xx and zero connection errors;
    load in every second; the clients saw A, then only B;
  * afterwards each replica's own /info reports B, and HAProxy has both UP;
  * `compose down` leaves no container of the project.
One deploy, as before the IMAGE= path existed: the test takes no longer.

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


def replica_networks():
    """Each replica's network mode and published ports, from `docker inspect`."""
    ids = subprocess.run(["docker", "ps", "-q", "--filter", f"label=com.docker.compose.project={PROJECT}",
                          "--filter", "name=replica"], capture_output=True, text=True, check=True).stdout.split()
    if not ids:
        return []
    out = subprocess.run(["docker", "inspect", *ids], capture_output=True, text=True, check=True).stdout
    return [(c["HostConfig"]["NetworkMode"], c["HostConfig"].get("PortBindings") or {}) for c in json.loads(out)]


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
        networks = replica_networks()
        check(f"compose up: each replica in a network namespace of its own, its container port on 127.0.0.1 only "
              f"({networks})",
              len(networks) == 2 and all(mode == "bridge" and set(bindings) == {"5000/tcp"}
                                         and all(b["HostIp"] == "127.0.0.1" for b in bindings["5000/tcp"])
                                         for mode, bindings in networks))
        image_b = f"localhost/hello-service:{version_b}"
        print(f"==> Compose rolling deploy {version_a} -> IMAGE={image_b} (any image's path) under load")
        (rc, out), load, seconds = harness.under_load(
            int(env["LIVE_PORT"]), COMPOSE_DIR / "load.ready", RATE,
            lambda: stack("compose", "deploy", "--image", image_b, check_rc=False))
        zero_loss(results, "compose rolling", load, rc, seconds, version_b, version_a, RATE)
        check("the image given by reference was verified with curl (verify-service.sh), not our binary",
              f"version {version_b}" in out and "verify-service.sh: verify: PASS" in out
              and "hello-service verify" not in out)
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
