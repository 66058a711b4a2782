"""HAProxy, the local stand-in for the ALB: its configuration (rendered from the template
and the timing budget), its process, and `Traffic`, the one place that speaks HAProxy's
runtime API (the stats socket): server states, weights, drains and counters.

Like an ALB, HAProxy here never retries a failed request, on the same server or another:
`retries 0`, no `option redispatch`, no `retry-on`. A replica that dies fails the
requests it held and those sent to it until the health check takes it out, as a task
that crashes behind an ALB does."""
import csv
import io
import os
import signal
import socket
import string
import subprocess
from dataclasses import dataclass
from pathlib import Path

from . import poll, timing
from .output import StackError

BACKENDS = ("live", "test")
# Weights are percentages of a full share: a canary at 10 % against the old version at
# 90 % is the same split whatever the number of replicas.
FULL_WEIGHT = 100

# srv_admin_state bits (HAProxy's server.h): forced, inherited, resolver and health
# maintenance; forced and inherited drain.
ADMIN_MAINT = 0x01 | 0x02 | 0x20 | 0x40
ADMIN_DRAIN = 0x08 | 0x10
OP_RUNNING = 2
# What `show stat` counts as responses.
RESPONSE_COLUMNS = ("hrsp_1xx", "hrsp_2xx", "hrsp_3xx", "hrsp_4xx", "hrsp_5xx", "hrsp_other")


class HAProxyError(StackError):
    pass


# ---- configuration ----------------------------------------------------------------------
def render_config(template, values):
    """Fills ${name} placeholders; a placeholder without a value is an error."""
    try:
        return string.Template(Path(template).read_text()).substitute(values)
    except KeyError as err:
        raise HAProxyError(f"{template}: no value for placeholder {err}") from err


def config_values(budget, scale, socket_path, ports, slots, servers_enabled=False, ready_path="/ready"):
    """The template's values. Slots start disabled (maintenance) unless servers_enabled
    (Compose starts every replica at once). ready_path: the health check's path."""
    disabled = "" if servers_enabled else " disabled"
    servers = "\n".join(f"  server {s.name} 127.0.0.1:{s.port}{disabled}" for s in slots)
    return {
        "timing_note": "real timings" if scale == 1 else f"every duration x {scale}",
        "socket": socket_path,
        "live_port": ports["live"],
        "test_port": ports["test"],
        "stats_port": ports["stats"],
        "alb_idle_timeout_ms": timing.ms(budget["alb_idle_timeout_s"]),
        "alb_health_check_timeout_ms": timing.ms(budget["alb_health_check_timeout_s"]),
        "alb_health_check_interval_ms": timing.ms(budget["alb_health_check_interval_s"]),
        "alb_unhealthy_threshold": budget["alb_unhealthy_threshold"],
        "alb_healthy_threshold": budget["alb_healthy_threshold"],
        "ready_path": ready_path,
        "live_servers": servers,
        "test_servers": servers,
    }


def check_config(path):
    result = subprocess.run(["haproxy", "-c", "-q", "-f", str(path)], capture_output=True, text=True)
    if result.returncode != 0:
        raise HAProxyError(f"haproxy -c rejects {path}:\n{result.stdout}{result.stderr}")


# ---- the process ------------------------------------------------------------------------
def start(config, pid_file, log_file):
    """Starts HAProxy in the foreground of its own session (not as a system service),
    its output to log_file; returns its pid."""
    with open(log_file, "ab") as log:
        process = subprocess.Popen(["haproxy", "-db", "-f", str(config)], stdin=subprocess.DEVNULL,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    Path(pid_file).write_text(f"{process.pid}\n")
    return process.pid


def running(pid_file):
    try:
        pid = int(Path(pid_file).read_text())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    # A recycled pid is not ours: it must be an haproxy process.
    try:
        if Path(f"/proc/{pid}/comm").read_text().strip() != "haproxy":
            return None
    except OSError:
        return None
    return pid


def stop(pid_file, timeout_s=5.0):
    pid = running(pid_file)
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    if not poll.until(lambda: not running(pid_file), timeout_s, interval_s=0.05):
        os.kill(pid, signal.SIGKILL)
    return True


# ---- the runtime API ----------------------------------------------------------------------
@dataclass
class Server:
    backend: str
    name: str
    op_state: int
    admin_state: int
    weight: int

    @property
    def up(self):
        return self.op_state == OP_RUNNING

    @property
    def maint(self):
        return bool(self.admin_state & ADMIN_MAINT)

    @property
    def drain(self):
        return bool(self.admin_state & ADMIN_DRAIN)

    @property
    def admin(self):
        return "MAINT" if self.maint else "DRAIN" if self.drain else "READY"

    @property
    def takes_traffic(self):
        return self.up and not self.maint and not self.drain and self.weight > 0


@dataclass
class ServerCounters:
    responses: int
    errors_5xx: int
    sessions: int
    status: str
    weight: int


def parse_servers_state(text):
    """`show servers state` by column name: the header line names them
    (# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight ...)."""
    columns = None
    result = {}
    for line in text.splitlines():
        if line.startswith("#") and "srv_name" in line.split():
            columns = line.lstrip("# ").split()
            continue
        if columns is None or not line.strip() or line.startswith("#"):
            continue
        row = dict(zip(columns, line.split()))
        try:
            server = Server(backend=row["be_name"], name=row["srv_name"], op_state=int(row["srv_op_state"]),
                            admin_state=int(row["srv_admin_state"]), weight=int(row["srv_uweight"]))
        except (KeyError, ValueError) as err:
            raise HAProxyError(f"unexpected 'show servers state' row {line!r} ({err})") from err
        result[(server.backend, server.name)] = server
    if columns is None:
        raise HAProxyError(f"no column header in HAProxy's 'show servers state' answer: {text[:200]!r}")
    return result


def parse_stats(text):
    """Per-server counters from `show stat` (CSV with a '# pxname,...' header):
    {(backend, server): ServerCounters}."""
    start = text.find("# pxname")
    if start < 0:
        raise HAProxyError("no 'show stat' output found")
    result = {}
    for row in csv.DictReader(io.StringIO(text[start + 2:])):
        if not row.get("svname") or row["svname"] in ("FRONTEND", "BACKEND"):
            continue
        result[(row["pxname"], row["svname"])] = ServerCounters(
            responses=sum(int(row.get(k) or 0) for k in RESPONSE_COLUMNS),
            errors_5xx=int(row.get("hrsp_5xx") or 0),
            sessions=int(row.get("stot") or 0),
            status=row.get("status", ""),
            weight=int(row.get("weight") or 0))
    return result


class Traffic:
    """What the deployments ask of the load balancer, in their words: enlist a slot for
    health checks, admit it at a weight, shift the weights, drain, forget. Several
    commands sent together run in one connection, one after the other, with nothing else
    in between: a traffic switch and the counter snapshot that goes with it are one step."""

    def __init__(self, socket_path):
        self.socket_path = str(socket_path)

    # -- reading --
    def servers(self, backend):
        """{slot: Server} of one backend."""
        rows = parse_servers_state(self._run(f"show servers state {backend}"))
        return {name: s for (b, name), s in rows.items() if b == backend}

    def counters(self):
        return parse_stats(self._run("show stat"))

    def wait_answering(self, timeout_s=5.0):
        self._run("show info", connect_timeout_s=timeout_s)

    # -- changing --
    def enlist(self, slots, backend):
        """HAProxy starts checking the slots; in `live` they get no traffic yet (drain),
        in `test` they get it as soon as the check passes. Leaving maintenance, HAProxy
        would count a server up at once; marking it down makes it earn its way in with
        the healthy threshold, as a new ALB target does."""
        state = "drain" if backend == "live" else "ready"
        commands = []
        for slot in slots:
            commands += [f"set server {backend}/{slot} state {state}", f"set server {backend}/{slot} health down"]
        self._run(*commands)

    def shift(self, weights, drain=(), snapshot=False):
        """Sets live weights (each slot named ready) and drains other slots in one call;
        with snapshot, the call ends with the counters of that very moment."""
        commands = []
        for slot, weight in weights.items():
            commands += [f"set weight live/{slot} {weight}", f"set server live/{slot} state ready"]
        commands += [f"set server live/{slot} state drain" for slot in drain]
        if snapshot:
            commands.append("show stat")
        out = self._run(*commands)
        return parse_stats(out) if snapshot else None

    def drain(self, slots):
        """No new requests to these slots in live; what they hold finishes."""
        self._run(*[f"set server live/{slot} state drain" for slot in slots])

    def leave_test(self, slots):
        """The test listener is done with them once they take live traffic."""
        self._run(*[f"set server test/{slot} state maint" for slot in slots])

    def forget(self, slots):
        """Empties the slots in both backends: maintenance, sessions closed (the end of
        the deregistration delay), weight reset for the next replica."""
        commands = []
        for slot in slots:
            for backend in BACKENDS:
                commands += [f"set server {backend}/{slot} state maint",
                             f"shutdown sessions server {backend}/{slot}",
                             f"set weight {backend}/{slot} {FULL_WEIGHT}"]
        self._run(*commands)

    # -- the socket --
    def _run(self, *commands, connect_timeout_s=5.0):
        if not commands:
            return ""
        text = "; ".join(commands) + "\n"
        failure = []

        def attempt():
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                    sock.settimeout(5)
                    sock.connect(self.socket_path)
                    sock.sendall(text.encode())
                    chunks = []
                    while chunk := sock.recv(65536):
                        chunks.append(chunk)
                    # A tuple: an empty answer (a change that worked) is still an answer.
                    return (b"".join(chunks).decode(),)
            except (FileNotFoundError, ConnectionRefusedError) as err:
                failure[:] = [err]
                return None

        answer = poll.until(attempt, connect_timeout_s, interval_s=0.05)
        if answer is None:
            raise HAProxyError(f"HAProxy's runtime API at {self.socket_path} does not answer: {failure[0]}")
        (out,) = answer
        for line in out.splitlines():
            # Commands that change something answer nothing when they work.
            if line.startswith(("No such", "Unknown command", "Require ", "Invalid ", "'set server")):
                raise HAProxyError(f"HAProxy refused '{text.strip()}': {line}")
        return out
