"""deploy/local/stack COMMAND: up, status, deploy, down (see deploy/local/README.md)."""
import argparse
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from . import haproxy, replicas, timing
from .deploy import STRATEGIES, Deployment
from .stack import DeployFailed, Stack, StackError, ensure_image, say

FAULTS = ("no-retries", "no-drain")


def default_version(root):
    """The version `make image` gives a build of this tree (container/build-image.sh)."""
    result = subprocess.run(["git", "-C", str(root), "describe", "--tags", "--always", "--dirty",
                             "--match", "v[0-9]*"], capture_output=True, text=True)
    described = result.stdout.strip().removeprefix("v") if result.returncode == 0 else ""
    if not described:
        return "0.0.0-dev"
    if described[0].isdigit() and "." in described:
        return described
    return f"0.0.0-dev+{described}"


def valid_version(text):
    ok = text and all(c.isalnum() or c in "._+-" for c in text) and len(text) <= 120
    if not ok:
        raise argparse.ArgumentTypeError(f"'{text}' is not a version: use letters, digits and . _ + -")
    return text


def time_scale(text):
    try:
        value = float(text)
    except ValueError:
        value = -1
    if not 0.05 <= value <= 1:
        raise argparse.ArgumentTypeError(f"TIME_SCALE='{text}': allowed is a number from 0.05 to 1")
    return value


def parse_faults(text):
    faults = {f for f in (text or "").replace(",", " ").split() if f}
    unknown = faults - set(FAULTS)
    if unknown:
        raise StackError(f"STACK_FAULT='{text}': allowed are {', '.join(FAULTS)} (comma separated)")
    return faults


def print_status(stack, as_json):
    rows = stack.status()
    if as_json:
        print(json.dumps({"ports": stack.state["ports"], "time_scale": stack.state["time_scale"],
                          "replicas": stack.state["replicas"], "slots": rows}, indent=2))
        return
    state = stack.state
    scale = state["time_scale"]
    print(f"stack {stack.name}: live {stack.url('live')}  test {stack.url('test')}  "
          f"statistics {stack.url('stats')}/  timings {'real' if scale == 1 else f'x {scale}'}"
          f"{'  FAULTS: ' + ','.join(state['faults']) if state['faults'] else ''}")
    total = sum(r["weight"] for r in rows if r["admin"] == "READY" and r["haproxy"] == "UP")
    header = ("slot", "port", "version", "/ready", "HAProxy", "state", "weight", "share", "responses", "5xx",
              "test")
    table = [header]
    for r in rows:
        takes = r["admin"] == "READY" and r["haproxy"] == "UP" and total
        table.append((r["slot"], str(r["port"]), r["version"], str(r["ready"] or "-"), r["haproxy"], r["admin"],
                      str(r["weight"]), f"{100 * r['weight'] / total:.0f} %" if takes else "0 %",
                      str(r["responses"]), str(r["5xx"]), r["test_listener"]))
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        print("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    if not rows:
        print("  (no replicas)")


def render_compose(root, out, version, scale):
    """The inputs of deploy/local/compose.yaml: two replicas on 8091 and 8092, HAProxy
    on 8080 (test listener 8081, statistics 8082), rendered like the Podman stack's."""
    budget = timing.load(root / "infrastructure/terraform/timing.json", scale)
    (out / "run").mkdir(parents=True, exist_ok=True)
    ports = {"live": 8080, "test": 8081, "stats": 8082}
    slots = [("s1", 8091), ("s2", 8092)]
    values = haproxy.config_values(budget, scale, "/run/hello-stack/haproxy.sock", ports, slots)
    # Compose starts both replicas at once: they begin enabled in the live backend.
    values["live_servers"] = "\n".join(f"  server {n} 127.0.0.1:{p}" for n, p in slots)
    (out / "haproxy.cfg").write_text(haproxy.render_config(root / "deploy/local/haproxy.cfg.tmpl", values))
    haproxy.check_config(out / "haproxy.cfg")
    for i, (_, port) in enumerate(slots, 1):
        definition = replicas.container_definition(root, version, port, budget)
        env = {e["name"]: str(e["value"]) for e in definition["environment"]}
        env.setdefault("HOST", "127.0.0.1")
        (out / f"replica-{i}.env").write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    (out / "compose.env").write_text(
        f"IMAGE={replicas.image_ref(version)}\nSTOP_TIMEOUT_S={timing.whole_s(budget['stop_timeout_s'])}\n"
        f"STACK_COMPOSE_DIR={out}\n")


def interrupted(signum, _frame):
    raise KeyboardInterrupt(f"stopped by signal {signal.Signals(signum).name}")


def main(argv=None):
    root = Path(os.environ.get("HELLO_ROOT") or Path(__file__).resolve().parents[3])
    parser = argparse.ArgumentParser(prog="deploy/local/stack", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start HAProxy and the replicas")
    up.add_argument("--version", type=valid_version, help="image version (default: this tree's, as make image)")
    up.add_argument("--replicas", type=int, default=2, help="replicas (default 2, the seed's desired count)")
    up.add_argument("--time-scale", type=time_scale, default=1.0,
                    help="one factor for every duration of the timing budget (default 1: the real timings)")
    up.add_argument("--port", default="8080",
                    help="live listener N (test N+1, statistics N+2, replicas N+11...), or auto (default 8080)")
    status = sub.add_parser("status", help="replicas, versions from /info, health, HAProxy weights")
    status.add_argument("--json", action="store_true")
    deploy = sub.add_parser("deploy", help="replace the running version")
    deploy.add_argument("--strategy", required=True, choices=STRATEGIES)
    deploy.add_argument("--version", required=True, type=valid_version)
    deploy.add_argument("--fault", choices=("ready-never", "root-500"),
                        help="build VERSION with a deliberate fault first (to rehearse a rollback)")
    deploy.add_argument("--canary-percent", type=int, default=10)
    deploy.add_argument("--bake-s", type=float,
                        help="canary bake time (default 30 s x TIME_SCALE; CodeDeploy's canary bakes 5 minutes)")
    sub.add_parser("down", help="stop and remove everything")
    sub.add_parser("stats", help="HAProxy's per-server counters as JSON")
    compose = sub.add_parser("compose", help="render the inputs of deploy/local/compose.yaml (Docker Compose)")
    compose.add_argument("version", type=valid_version)
    compose.add_argument("--time-scale", type=time_scale, default=1.0)
    args = parser.parse_args(argv)

    stack = Stack(root, os.environ.get("STACK_DIR") or root / "build/stack",
                  os.environ.get("STACK_NAME") or "hello-stack")
    try:
        if args.command == "up":
            if not 1 <= args.replicas <= 8:
                raise StackError(f"REPLICAS={args.replicas}: allowed are 1 to 8")
            if args.port != "auto" and not (args.port.isdigit() and 1024 <= int(args.port) <= 65000):
                raise StackError(f"STACK_PORT='{args.port}': use a port from 1024 to 65000, or auto")
            stack.lock()
            stack.up(args.version or default_version(root), args.replicas, args.time_scale, args.port,
                     parse_faults(os.environ.get("STACK_FAULT")),
                     os.environ.get("STACK_ACCESS_LOG", "on") not in ("off", "0", "false", "no"))
            print_status(stack, False)
        elif args.command == "status":
            print_status(stack.load(), args.json)
        elif args.command == "stats":
            stats = stack.load().api.stats()
            print(json.dumps({f"{b}/{s}": c for (b, s), c in stats.items()}, indent=2))
        elif args.command == "compose":
            out = Path(os.environ.get("STACK_COMPOSE_DIR") or root / "build/stack-compose")
            render_compose(root, out, args.version, args.time_scale)
            shown = stack.show(out)
            print(f"==> wrote {shown}/: compose.env, haproxy.cfg, replica-1.env, replica-2.env")
            print(f"    docker compose --env-file {shown}/compose.env -f deploy/local/compose.yaml up -d")
        elif args.command == "down":
            stack.lock()
            stack.down()
        elif args.command == "deploy":
            stack.lock()
            stack.load()
            if not 1 <= args.canary_percent <= 50:
                raise StackError(f"CANARY_PERCENT={args.canary_percent}: allowed are 1 to 50")
            bake = args.bake_s if args.bake_s is not None else 30 * stack.state["time_scale"]
            ensure_image(root, args.version, args.fault, stack.clock)
            # A stop request rolls back like a failure does (SIGINT already raises this).
            for sig in (signal.SIGTERM, signal.SIGHUP):
                signal.signal(sig, interrupted)
            deployment = Deployment(stack, args.strategy, args.version, args.canary_percent, bake)
            rc = deployment.run()
            try:
                print_status(stack, False)
            except OSError:
                pass
            return rc
    except (StackError, timing.TimingError, haproxy.HAProxyError, replicas.ReplicaError, DeployFailed) as err:
        say(stack.clock, f"error: {err}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
