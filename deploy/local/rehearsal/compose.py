"""The Docker Compose variant of the stack (deploy/local/compose.yaml): two replicas, each
in a network namespace of its own on Docker's default bridge (as awsvpc gives each task
its own) with its container port published on 127.0.0.1, and HAProxy on the host
network, rendered from the same sources as the Podman stack (the ECS
container-definition template, haproxy.cfg.tmpl, the timing budget), and a rolling
deploy through Compose.

  deploy/local/stack compose render [VERSION] [--time-scale F] [--port N|auto] [SERVICE]
      writes compose.env, haproxy.cfg and replica-N.env to STACK_COMPOSE_DIR
      (default build/stack-compose)
  deploy/local/stack compose up [VERSION] [--time-scale F] [--port N|auto] [SERVICE]
      renders, `compose up -d`, waits until HAProxy has both replicas UP
  deploy/local/stack compose deploy [VERSION] [SERVICE]
      rolling, one replica at a time, as ECS with a minimum healthy percent of 50:
      Compose recreates the replica (SIGTERM: the service drains while HAProxy's health
      check takes it out), HAProxy must see the new one healthy within the grace
      period; then the live listener is verified. A failure puts the old release back.
  deploy/local/stack compose down

SERVICE, as for the Podman stack (defaults: ours, localhost/hello-service:VERSION):
--image REF (from Docker's store; VERSION defaults to its tag), --container-port,
--health-path, --version-path, and --ready-path (HAProxy's health check, set at up).
Our image is verified by its own `hello-service verify`, another by
scripts/verify-service.sh (curl). Neither is ever built or pulled here.

Compose is `docker-compose` (1.29, Debian's) or, without it, `docker compose` (the
plugin); STACK_COMPOSE overrides. The engine is `docker` on PATH, at DOCKER_HOST.
STACK_HAPROXY_IMAGE names the HAProxy image (default haproxy:2.6, Docker Hub's)."""
import os
import shlex
import shutil
import subprocess
import time
from pathlib import Path

from . import haproxy, images, poll, ports, replicas, stack as stack_module, timing
from .checks import check_path, check_port, check_time_scale, check_version, release_of, service_arguments
from .images import DEFAULT_HEALTH_PATH, DEFAULT_PORT, DEFAULT_READY_PATH, DEFAULT_VERSION_PATH, Release
from .output import DeployFailed, StackError, UsageError
from .state import Slot

REPLICAS = 2
PROJECT = "hello-stack-compose"
ACTIONS = ("render", "up", "deploy", "down")


def add_parser(sub):
    compose = sub.add_parser("compose", help="the Docker Compose variant (deploy/local/compose.yaml)",
                             description=__doc__.split("\n\n")[0])
    actions = compose.add_subparsers(dest="action", required=True, metavar="ACTION")
    version_help = "the version (ours: localhost/hello-service:VERSION; with --image: default its tag)"
    for name, text in (("render", "write compose.yaml's inputs for VERSION"),
                       ("up", "render, start with Compose, wait until HAProxy has both replicas UP")):
        p = actions.add_parser(name, help=text)
        p.add_argument("version", metavar="VERSION", nargs="?", help=version_help)
        p.add_argument("--time-scale", default="1", help="0.05 to 1 (default 1: the real timings)")
        p.add_argument("--port", default="8080",
                       help="live listener N (test N+1, statistics N+2, replicas N+11 and N+12), or auto")
        service_arguments(p, True, store="Docker's store", ours="built beforehand")
    deploy = actions.add_parser("deploy", help="rolling deploy of VERSION through Compose, one replica at a time")
    deploy.add_argument("version", metavar="VERSION", nargs="?", help=version_help)
    service_arguments(deploy, False, store="Docker's store", ours="built beforehand")
    actions.add_parser("down", help="stop and remove the Compose stack")
    return compose


def compose_command():
    chosen = os.environ.get("STACK_COMPOSE")
    if chosen:
        return shlex.split(chosen)
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return ["docker", "compose"]


def read_env(path):
    values = {}
    for line in Path(path).read_text().splitlines():
        name, sep, value = line.partition("=")
        if sep:
            values[name] = value
    return values


def write_env(path, values):
    tmp = Path(f"{path}.tmp")
    tmp.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    tmp.replace(path)


def set_replica(root, out_dir, env, i, release, budget):
    """Replica i runs the release: its environment file, rendered from the ECS container
    definition on the release's container port, and the release in compose.env's values
    (IMAGE_i, CONTAINER_PORT_i, ...; written by the caller)."""
    definition = replicas.container_definition(root, release.image, release.port, budget)
    write_env(Path(out_dir) / f"replica-{i}.env", {e["name"]: str(e["value"]) for e in definition["environment"]})
    env.update({f"IMAGE_{i}": release.image, f"VERSION_{i}": release.version, f"REF_{i}": release.ref,
                f"CONTAINER_PORT_{i}": release.port, f"HEALTH_PATH_{i}": release.health_path,
                f"VERSION_PATH_{i}": release.version_path})


def release_of_replica(env, i):
    """The release replica i runs, from compose.env's values."""
    port = env.get(f"CONTAINER_PORT_{i}", "")
    return Release(version=env[f"VERSION_{i}"], ref=env.get(f"REF_{i}", ""),
                   port=int(port) if port.isdigit() else DEFAULT_PORT,
                   health_path=env.get(f"HEALTH_PATH_{i}", DEFAULT_HEALTH_PATH),
                   version_path=env.get(f"VERSION_PATH_{i}", DEFAULT_VERSION_PATH))


def render(root, out_dir, release, scale, listeners, slots, ready_path=DEFAULT_READY_PATH):
    """The inputs of compose.yaml: two replicas and HAProxy, rendered like the Podman
    stack's. Compose starts both replicas at once: they begin enabled in HAProxy."""
    budget = timing.load(root / "infrastructure/terraform/timing.json", scale)
    out_dir = Path(out_dir)
    (out_dir / "run").mkdir(parents=True, exist_ok=True)
    values = haproxy.config_values(budget, scale, "/run/hello-stack/haproxy.sock", listeners, slots,
                                   servers_enabled=True, ready_path=ready_path)
    (out_dir / "haproxy.cfg").write_text(haproxy.render_config(root / "deploy/local/haproxy.cfg.tmpl", values))
    haproxy.check_config(out_dir / "haproxy.cfg")
    env = {"STACK_COMPOSE_DIR": str(out_dir), "STOP_TIMEOUT_S": timing.whole_s(budget["stop_timeout_s"]),
           "HAPROXY_IMAGE": os.environ.get("STACK_HAPROXY_IMAGE") or "haproxy:2.6", "TIME_SCALE": scale,
           "LIVE_PORT": listeners["live"], "TEST_PORT": listeners["test"], "STATS_PORT": listeners["stats"],
           "READY_PATH": ready_path}
    for i, slot in enumerate(slots, 1):
        env[f"PORT_{i}"] = slot.port
        set_replica(root, out_dir, env, i, release, budget)
    write_env(out_dir / "compose.env", env)
    return budget


class ComposeStack:
    """A rendered Compose stack in its directory, driven with Compose and watched through
    HAProxy's runtime API (its socket is in the mounted run/ directory)."""

    def __init__(self, root, out_dir, out):
        self.root = Path(root)
        self.dir = Path(out_dir)
        self.out = out
        self.env_file = self.dir / "compose.env"

    def command(self, *args):
        return [*compose_command(), "-p", os.environ.get("STACK_COMPOSE_PROJECT") or PROJECT,
                "--env-file", str(self.env_file), "-f", str(self.root / "deploy/local/compose.yaml"), *args]

    def compose(self, *args, timeout=600):
        cmd = self.command(*args)
        try:
            result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as err:
            raise StackError(f"{' '.join(cmd)} did not finish within {timeout} s") from err
        if result.returncode != 0:
            raise StackError(f"{' '.join(cmd)} failed (exit {result.returncode}):\n{result.stderr.strip()}")
        return result

    def env(self):
        if not self.env_file.exists():
            raise StackError(f"no Compose stack in {images.show(self.root, self.dir)}; "
                             "'deploy/local/stack compose up VERSION' starts one")
        return read_env(self.env_file)

    def budget(self):
        return timing.load(self.root / "infrastructure/terraform/timing.json", float(self.env()["TIME_SCALE"]))

    def traffic(self):
        return haproxy.Traffic(self.dir / "run/haproxy.sock")

    def url(self):
        return f"http://127.0.0.1:{self.env()['LIVE_PORT']}"

    def wait_healthy(self, slots, since, grace):
        """Until HAProxy has each slot UP in live, within the grace period from `since`."""
        pending = set(slots)
        for _ in poll.ticks():
            servers = self.traffic().servers("live")
            for slot in sorted(pending):
                if servers[slot].up:
                    pending.discard(slot)
                    self.out.say(f"HAProxy (live) sees {slot} healthy, {time.monotonic() - since:.1f} s after its start")
            if not pending:
                return
            if time.monotonic() - since > grace:
                raise DeployFailed(f"{', '.join(sorted(pending))} not healthy in HAProxy within the {grace:g} s "
                                   "grace period")

    def image_present(self, release):
        """The release's image must be in Docker's store: nothing is built or pulled here."""
        result = subprocess.run(["docker", "image", "inspect", "--format", "{{.Id}}", release.image],
                                capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise StackError(f"image {release.image} is not in Docker's store: build or load it first (nothing is "
                             "pulled here); see deploy/local/README.md, 'Docker Compose'")

    def verify(self, release, budget):
        """As the Podman stack verifies: ours by the pipeline's verifier from the
        release's image, then /info's fault on every answer; another image by
        scripts/verify-service.sh (curl: health path, version, ready path)."""
        url = self.url()
        # The real grace period whatever TIME_SCALE: the verifier's rounds are processes
        # (curl and jq, or a container) whose speed on a loaded machine the scale does not
        # change; scaled to 6 s, four passing rounds of verify-service.sh ran out of time.
        # Only a failing verification waits that long.
        deadline = timing.whole_s(timing.load(self.root / "infrastructure/terraform/timing.json", 1.0)
                                  ["health_check_grace_period_s"])
        if not release.ours:
            ok, line = replicas.verify_curl(self.root, url, release, self.env()["READY_PATH"], deadline)
            self.out.say(f"verify-service.sh: {line}")
            return ok
        result = subprocess.run(
            ["docker", "run", "--rm", "--network", "host", "--read-only", "--cap-drop", "ALL", release.image,
             "verify", "--url", url, "--expect-version", release.version, "--consecutive", "5",
             "--interval-ms", "200", "--deadline-s", str(deadline)], capture_output=True, text=True,
            timeout=deadline + 120)
        lines = (result.stdout.strip() or result.stderr.strip()).splitlines()
        self.out.say(f"hello-service verify: {lines[-1] if lines else f'(no output, exit {result.returncode})'}")
        if result.returncode != 0:
            return False
        seen = {(info or {}).get("fault", "") for info in (stack_module.served_info(url) for _ in range(8))}
        if seen != {release.fault}:
            self.out.say(f"verify: /info's fault should be {release.fault or 'absent'}; it was {sorted(seen)}")
            return False
        return True

    # ---- the actions ------------------------------------------------------------------
    def up(self, release, scale, port_spec, ready_path=DEFAULT_READY_PATH):
        if self.env_file.exists():
            raise StackError(f"a Compose stack is rendered in {images.show(self.root, self.dir)} already; "
                             "'deploy/local/stack compose down' removes it first")
        self.image_present(release)
        listeners, slot_ports, reservation = ports.plan(port_spec, REPLICAS, self.out.words)
        with reservation:
            slots = [Slot(f"s{i + 1}", p) for i, p in enumerate(slot_ports)]
            budget = render(self.root, self.dir, release, scale, listeners, slots, ready_path)
        self.out.say(f"compose up: 2 x {release}, HAProxy ({self.env()['HAPROXY_IMAGE']}) on {self.url()}")
        started = time.monotonic()
        try:
            self.compose("up", "-d")
            # The runtime API socket appears once HAProxy runs.
            self.traffic().wait_answering(timeout_s=60)
            self.wait_healthy([s.name for s in slots], started, budget["health_check_grace_period_s"] + 30)
        except BaseException:
            self.out.warn("compose up did not complete: removing what it started")
            self.down(quiet=True)
            raise
        self.out.say(f"compose stack up: 2 replicas of {release} behind {self.url()}")

    def deploy(self, release, ready_path=None):
        env = self.env()
        budget = self.budget()
        old = release_of_replica(env, 1)
        if release_of_replica(env, 2) != old:
            raise StackError(f"the Compose stack runs {old} and {release_of_replica(env, 2)}: "
                             f"deploy one of them again first")
        if ready_path is not None and ready_path != env["READY_PATH"]:
            raise UsageError(f"--ready-path {ready_path}: the stack's health check is on {env['READY_PATH']}, set at "
                             "compose up (the target group's, which a deploy does not change)")
        if release == old:
            self.out.say(f"the Compose stack already runs {release}: nothing to deploy")
            return 0
        self.image_present(release)
        self.out.say(f"compose deploy {release} over {old} (rolling, one replica at a time)")
        start = time.monotonic()
        try:
            for i in range(1, REPLICAS + 1):
                self.replace(i, release, budget)
            if not self.verify(release, budget):
                raise DeployFailed("verification through the live listener failed")
        except (DeployFailed, StackError, KeyboardInterrupt) as err:
            self.out.say(f"FAILED: {err or type(err).__name__}; ROLLBACK to {old}")
            # Every replica Compose was asked to move (replace() skips those on old).
            for i in reversed(range(1, REPLICAS + 1)):
                self.replace(i, old, budget)
            if not self.verify(old, budget):
                raise StackError(f"ROLLBACK FAILED: the live listener does not verify as {old}") from err
            self.out.say(f"deploy of {release} FAILED ({err}); rolled back: both replicas serve {old} again")
            return 1
        self.out.say(f"deployed {release} through Compose in {time.monotonic() - start:.1f} s: both replicas "
                     "serve it")
        return 0

    def replace(self, i, release, budget):
        """Replica i on the release: Compose recreates it (SIGTERM to the old one, which
        drains while HAProxy's health check takes it out), then HAProxy must see the new
        one healthy within the grace period, and the replica itself must report the
        release in /info (so that an UP left over from the old one cannot pass)."""
        env = self.env()
        slot, port = f"s{i}", int(env[f"PORT_{i}"])
        if release_of_replica(env, i) == release:
            return
        set_replica(self.root, self.dir, env, i, release, budget)
        write_env(self.env_file, env)
        self.out.say(f"replica-{i} ({slot}): recreating with {release}: SIGTERM to the old one (ours drains for "
                     f"{budget['drain_delay_s']:g} s) while HAProxy's health check takes it out")
        cmd = self.command("up", "-d", "--no-deps", f"replica-{i}")
        before = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        seen_down = None
        for elapsed in poll.ticks():
            if seen_down is None and not self.traffic().servers("live")[slot].up:
                seen_down = elapsed
                self.out.say(f"HAProxy marked {slot} DOWN {elapsed:.1f} s after Compose began (its health check saw "
                             f"{env['READY_PATH']} fail): no new requests go there")
            if proc.poll() is not None:
                break
            if elapsed > 600:
                proc.kill()
        _, err = proc.communicate()
        if proc.returncode != 0:
            raise StackError(f"{' '.join(cmd)} failed (exit {proc.returncode}):\n{err.strip()}")
        started = time.monotonic()
        self.out.say(f"replica-{i} ({slot}): Compose replaced it in {started - before:.1f} s")
        grace = budget["health_check_grace_period_s"]
        self.wait_healthy([slot], started, grace)
        if not release.reports_version:
            return
        info = poll.until(lambda: (replicas.info(port, release.version_path) or {}).get("version") == release.version,
                          grace)
        if not info:
            raise DeployFailed(f"{slot} does not report {release.version} in its own {release.version_path}")

    def down(self, quiet=False):
        if self.env_file.exists():
            self.compose("down", "--remove-orphans")
        shutil.rmtree(self.dir, ignore_errors=True)
        if not quiet:
            self.out.plain("==> Compose stack down")


class Command:
    packages = ("haproxy", "jq", "curl")

    def __init__(self, args, words):
        self.action = args.action
        if self.action not in ACTIONS:
            raise UsageError(f"compose {self.action}: allowed are {', '.join(ACTIONS)}")
        self.release = self.ready_path = None
        if self.action != "down":
            version, service = release_of(words, args, "", check_version(words, args.version), False)
            if version is None:
                raise UsageError(f"compose {self.action}: VERSION is required (ours, "
                                 "localhost/hello-service:VERSION), or --image REF (another image)")
            self.release = Release(version, **service)
            self.ready_path = check_path(words, "ready_path", args.ready_path,
                                         None if self.action == "deploy" else DEFAULT_READY_PATH)
        self.scale = check_time_scale(words, getattr(args, "time_scale", "1"))
        self.port = check_port(words, getattr(args, "port", "8080"))

    def run(self, stack, root, out):
        out_dir = Path(os.environ.get("STACK_COMPOSE_DIR") or root / "build/stack-compose")
        compose_stack = ComposeStack(root, out_dir, out)
        if self.action == "render":
            listeners, slot_ports, reservation = ports.plan(self.port, REPLICAS, out.words)
            reservation.release()
            slots = [Slot(f"s{i + 1}", p) for i, p in enumerate(slot_ports)]
            render(root, out_dir, self.release, self.scale, listeners, slots, self.ready_path)
            shown = images.show(root, out_dir)
            out.plain(f"==> wrote {shown}/: compose.env, haproxy.cfg, replica-1.env, replica-2.env "
                      f"(live listener 127.0.0.1:{listeners['live']})")
            out.plain(f"    docker compose -p {PROJECT} --env-file {shown}/compose.env -f deploy/local/compose.yaml "
                      "up -d")
            return 0
        if self.action == "up":
            compose_stack.up(self.release, self.scale, self.port, self.ready_path)
            return 0
        if self.action == "deploy":
            return compose_stack.deploy(self.release, self.ready_path)
        compose_stack.down()
        return 0
