"""The Docker Compose variant of the stack (deploy/local/compose.yaml): its inputs,
rendered from the same sources as the Podman stack's (the ECS container-definition
template, haproxy.cfg.tmpl, the timing budget).

  deploy/local/stack compose render VERSION [--time-scale F] [--port N|auto]
writes compose.env, haproxy.cfg and replica-N.env to STACK_COMPOSE_DIR (default
build/stack-compose)."""
import os
from pathlib import Path

from . import haproxy, images, ports, replicas, timing
from .checks import check_port, check_time_scale, check_version
from .images import Release
from .output import UsageError
from .state import Slot

REPLICAS = 2


def add_parser(sub):
    compose = sub.add_parser("compose", help="the Docker Compose variant (deploy/local/compose.yaml)")
    actions = compose.add_subparsers(dest="action", required=True, metavar="ACTION")
    render = actions.add_parser("render", help="write compose.yaml's inputs for VERSION")
    render.add_argument("version", metavar="VERSION")
    render.add_argument("--time-scale", default="1", help="0.05 to 1 (default 1: the real timings)")
    render.add_argument("--port", default="8080",
                        help="live listener N (test N+1, statistics N+2, replicas N+11 and N+12), or auto")
    return compose


def render(root, out_dir, release, scale, listeners, slots):
    """The inputs of compose.yaml: two replicas and HAProxy, rendered like the Podman
    stack's. Compose starts both replicas at once: they begin enabled in HAProxy."""
    budget = timing.load(root / "infrastructure/terraform/timing.json", scale)
    out_dir = Path(out_dir)
    (out_dir / "run").mkdir(parents=True, exist_ok=True)
    values = haproxy.config_values(budget, scale, "/run/hello-stack/haproxy.sock", listeners, slots,
                                   servers_enabled=True)
    (out_dir / "haproxy.cfg").write_text(haproxy.render_config(root / "deploy/local/haproxy.cfg.tmpl", values))
    haproxy.check_config(out_dir / "haproxy.cfg")
    env_lines = [f"STACK_COMPOSE_DIR={out_dir}", f"STOP_TIMEOUT_S={timing.whole_s(budget['stop_timeout_s'])}",
                 f"LIVE_PORT={listeners['live']}"]
    for i, slot in enumerate(slots, 1):
        definition = replicas.container_definition(root, release.image, slot.port, budget)
        env = {e["name"]: str(e["value"]) for e in definition["environment"]}
        env.setdefault("HOST", "127.0.0.1")
        (out_dir / f"replica-{i}.env").write_text("".join(f"{k}={v}\n" for k, v in env.items()))
        env_lines.append(f"IMAGE_{i}={release.image}")
    (out_dir / "compose.env").write_text("\n".join(env_lines) + "\n")
    return budget


class Command:
    packages = ("haproxy", "jq")

    def __init__(self, args, words):
        self.action = args.action
        self.release = Release(check_version(words, args.version, required=True))
        self.scale = check_time_scale(words, args.time_scale)
        self.port = check_port(words, args.port)
        if self.action != "render":
            raise UsageError(f"compose {self.action}: unknown action")

    def run(self, stack, root, out):
        out_dir = Path(os.environ.get("STACK_COMPOSE_DIR") or root / "build/stack-compose")
        listeners, slot_ports, reservation = ports.plan(self.port, REPLICAS, out.words)
        reservation.release()
        slots = [Slot(f"s{i + 1}", p) for i, p in enumerate(slot_ports)]
        render(root, out_dir, self.release, self.scale, listeners, slots)
        shown = images.show(root, out_dir)
        out.plain(f"==> wrote {shown}/: compose.env, haproxy.cfg, replica-1.env, replica-2.env "
                  f"(live listener 127.0.0.1:{listeners['live']})")
        out.plain(f"    docker compose --env-file {shown}/compose.env -f deploy/local/compose.yaml up -d")
        return 0
