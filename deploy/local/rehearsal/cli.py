"""deploy/local/stack COMMAND: up, status, deploy, down, stats, compose (deploy/local/README.md).

The front door: the arguments are read and checked first (`--help` and a bad value
change nothing and install nothing), then the packages the command needs are
installed, then it runs. Usage errors exit 2, naming the option as the user gave it
(make's VERSION=... or the command line's --version ...); other errors exit 1; an
interrupted command exits 130 after saying what it left and how to repair it."""
import argparse
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from . import compose, images, replicas, stack as stack_module
from .checks import (MAX_REPLICAS, check_bake, check_fault, check_int, check_path, check_port, check_strategy,
                     check_time_scale, check_version, release_of, service_arguments, stack_faults)
from .deploy import STRATEGIES, Deployment
from .images import Release
from .output import Output, StackError, UsageError, Words

def parser():
    p = argparse.ArgumentParser(prog="deploy/local/stack", description=__doc__.split("\n\n")[0],
                                epilog="See deploy/local/README.md. The make targets stack-up, stack-deploy, "
                                       "stack-status and stack-down call this command.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    up = sub.add_parser("up", help="start HAProxy and the replicas")
    up.add_argument("--version", help="image version (default: this tree's, as make image gives it)")
    up.add_argument("--replicas", default="2", help=f"replicas, 1 to {MAX_REPLICAS} (default 2, the seed's "
                                                    "desired count)")
    up.add_argument("--time-scale", default="1",
                    help="one factor for every duration of the timing budget, 0.05 to 1 (default 1: the real timings)")
    up.add_argument("--port", default="8080",
                    help="live listener N (test N+1, statistics N+2, replicas N+11...), or auto (default 8080)")
    service_arguments(up, True)
    status = sub.add_parser("status", help="replicas, versions from /info, health, HAProxy weights")
    status.add_argument("--json", action="store_true", help="machine-readable")
    deploy = sub.add_parser("deploy", help="replace the running version; roll back on failure")
    deploy.add_argument("--strategy", help=f"{', '.join(STRATEGIES)} (blue_green is accepted too)")
    deploy.add_argument("--version", help="the version to deploy (its image is built from this tree if missing)")
    deploy.add_argument("--fault", help=f"build VERSION with a deliberate fault ({', '.join(images.FAULTS)}) to "
                                        "rehearse a rollback; never the running version")
    deploy.add_argument("--canary-percent", default="10", help="canary share of live traffic, 1 to 50 (default 10)")
    deploy.add_argument("--bake-s", help="canary bake time (default 30 s x TIME_SCALE; CodeDeploy's canary bakes "
                                         "5 minutes)")
    service_arguments(deploy, False)
    sub.add_parser("down", help="stop and remove everything")
    sub.add_parser("stats", help="HAProxy's per-server counters as JSON")
    compose.add_parser(sub)
    return p


# ---- what a command needs -----------------------------------------------------------------
def prepare_environment(root, packages):
    """Installs the packages a command needs from Debian (what is missing) and points
    Podman at the project's settings (container/lib.sh's podman_project_env, so that
    both agree). Podman runs with runc (container/containers.conf says why not crun),
    and its pods' infra containers need catatonit; jq is the container-definition
    renderer's."""
    if packages:
        subprocess.run([str(root / "tools/ensure-packages"), *packages], check=True, stdout=sys.stderr)
    if "podman" in packages:
        result = subprocess.run(
            ["bash", "-c", '. "$1" && podman_project_env && printf "%s\\n%s\\n" "$CONTAINERS_CONF" '
                           '"$CONTAINERS_STORAGE_CONF"', "_", str(root / "container/lib.sh")],
            capture_output=True, text=True, check=True)
        conf, storage = result.stdout.splitlines()
        os.environ["CONTAINERS_CONF"], os.environ["CONTAINERS_STORAGE_CONF"] = conf, storage


def print_status(stack, as_json):
    rows = stack.status()
    state = stack.state
    if as_json:
        print(json.dumps({"ports": state.ports.as_dict(), "time_scale": state.time_scale,
                          "replicas": state.replicas, "slots": rows}, indent=2))
        return
    scale = state.time_scale
    print(f"stack {stack.name}: live {stack.url('live')}  test {stack.url('test')}  "
          f"statistics {stack.url('stats')}/  timings {'real' if scale == 1 else f'x {scale}'}"
          f"{'  FAULTS: ' + ','.join(state.faults) if state.faults else ''}")
    total = sum(r["weight"] for r in rows if r["admin"] == "READY" and r["haproxy"] == "UP")
    header = ("slot", "port", "version", state.ready_path, "HAProxy", "state", "weight", "share", "responses", "5xx",
              "test")
    table = [header]
    for r in rows:
        takes = r["admin"] == "READY" and r["haproxy"] == "UP" and total
        version = r["version"] + (f" FAULT={r['fault']}" if r["fault"] else "")
        table.append((r["slot"], str(r["port"]), version, str(r["ready"] or "-"), r["haproxy"], r["admin"],
                      str(r["weight"]), f"{100 * r['weight'] / total:.0f} %" if takes else "0 %",
                      str(r["responses"]), str(r["5xx"]), r["test_listener"]))
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        print("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    if not rows:
        print("  (no replicas)")


def interrupted(signum, _frame):
    raise KeyboardInterrupt(f"stopped by signal {signal.Signals(signum).name}")


# ---- the commands ---------------------------------------------------------------------------
# Each command checks its arguments when it is built (nothing else: no side effects),
# and does its work in run(). `packages` are installed in between.
class Up:
    packages = ("haproxy", "podman", "runc", "catatonit", "jq", "curl")

    def __init__(self, args, words):
        self.version, self.service = release_of(words, args, "", check_version(words, args.version), False)
        self.ready_path = check_path(words, "ready_path", args.ready_path, images.DEFAULT_READY_PATH)
        self.replicas = check_int(words, "replicas", args.replicas, 1, MAX_REPLICAS, "the number of replicas")
        self.scale = check_time_scale(words, args.time_scale)
        self.port = check_port(words, args.port)
        self.faults = stack_faults(os.environ.get("STACK_FAULT"))
        self.access_log = os.environ.get("STACK_ACCESS_LOG", "on") not in ("off", "0", "false", "no")

    def run(self, stack, root, out):
        stack.lock()
        version = self.version or images.default_version(root)
        stack.up(Release(version, **self.service), self.replicas, self.scale, self.port, self.faults,
                 self.access_log, self.ready_path)
        print_status(stack, False)
        return 0


class Deploy:
    packages = ("haproxy", "podman", "runc", "catatonit", "jq", "curl")

    def __init__(self, args, words):
        self.strategy = check_strategy(words, args.strategy)
        self.fault = check_fault(words, args.fault)
        self.version, self.service = release_of(words, args, self.fault, check_version(words, args.version), True)
        self.ready_path = check_path(words, "ready_path", args.ready_path, None)
        self.canary = check_int(words, "canary_percent", args.canary_percent, 1, 50, "the canary's share in percent")
        self.bake = check_bake(words, args.bake_s)

    def run(self, stack, root, out):
        words = out.words
        stack.lock()
        stack.load()
        release = Release(self.version, self.fault, **self.service)
        if self.ready_path is not None and self.ready_path != stack.state.ready_path:
            raise UsageError(f"{words.given('ready_path', self.ready_path)}: the stack's health check is on "
                             f"{stack.state.ready_path}, set at stack up (the target group's, which a deploy does not "
                             f"change); '{words.command('down')}' and '{words.command('up')}' with it to change it")
        if self.fault and any(r.version == self.version for r in stack.replicas().values()):
            raise UsageError(f"{words.given('fault', self.fault)} with {words.given('version', self.version)}: the "
                             f"stack runs {self.version}, and a fault build of the running version is refused (its "
                             "rollback would go back to that same version); rehearse the fault on another version")
        bake = self.bake if self.bake is not None else 30 * stack.state.time_scale
        images.ensure(root, release, stack.dir, out, replicas.podman)
        rc = Deployment(stack, self.strategy, release, self.canary, bake).run()
        # The deploy's outcome is decided; a failure to show the table must not change it.
        try:
            print_status(stack, False)
        except Exception as err:  # noqa: BLE001 - whatever it is, only the table is missing
            out.warn(f"the deploy's outcome stands; showing the status failed: {err}")
        return rc


class Status:
    packages = ("podman", "runc")

    def __init__(self, args, words):
        self.json = args.json

    def run(self, stack, root, out):
        print_status(stack.load(), self.json)
        return 0


class Stats:
    packages = ()

    def __init__(self, args, words):
        pass

    def run(self, stack, root, out):
        counters = stack.load().traffic.counters()
        print(json.dumps({f"{b}/{s}": {"responses": c.responses, "5xx": c.errors_5xx, "sessions": c.sessions,
                                       "status": c.status, "weight": c.weight}
                          for (b, s), c in counters.items()}, indent=2))
        return 0


class Down:
    packages = ("podman", "runc")

    def __init__(self, args, words):
        pass

    def run(self, stack, root, out):
        stack.lock()
        stack.down()
        return 0


COMMANDS = {"up": Up, "deploy": Deploy, "status": Status, "stats": Stats, "down": Down, "compose": compose.Command}
# What to run when a command was interrupted half-way.
REPAIR = {
    "up": "{down} removes what is left, if anything",
    "deploy": "{status} shows what runs; the next {deploy} repairs it first, or {down} and {up} start afresh",
    "down": "{down} again finishes it",
}


def main(argv=None):
    root = Path(os.environ.get("HELLO_ROOT") or Path(__file__).resolve().parents[3])
    args = parser().parse_args(argv)
    words = Words(via_make=os.environ.get("STACK_VIA_MAKE") == "1")
    out = Output(words)
    stack = stack_module.Stack(root, os.environ.get("STACK_DIR") or root / "build/stack",
                               os.environ.get("STACK_NAME") or "hello-stack", out)
    try:
        command = COMMANDS[args.command](args, words)
        prepare_environment(root, command.packages)
        # A stop request ends a command as Ctrl-C does: a deploy rolls back, an
        # unfinished stack-up removes what it started.
        for sig in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, interrupted)
        return command.run(stack, root, out)
    except StackError as err:
        out.error(str(err))
        return err.exit_code
    except subprocess.CalledProcessError as err:
        out.error(f"{' '.join(map(str, err.cmd))} failed (exit {err.returncode})")
        return 1
    except KeyboardInterrupt as err:
        names = {k: f"'{words.command(k)}'" for k in ("down", "status", "deploy", "up")}
        hint = REPAIR.get(args.command, "").format(**names)
        out.error(f"interrupted ({err or 'Ctrl-C'}){'; ' + hint if hint else ''}")
        return 130
