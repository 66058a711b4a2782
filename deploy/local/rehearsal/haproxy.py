"""HAProxy: its configuration (rendered from the template and the timing budget), its
process, and its runtime API (the stats socket) for states, weights and counters."""
import csv
import io
import os
import signal
import socket
import string
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from . import timing

# Retries that hide a replica going away between HAProxy's choice of it and the
# request reaching it: a refused or reset connection, or a connection closed with no
# answer, is tried again on another server. Only requests that got no response at all
# are retried, so a 5xx from a bad version is never hidden.
RETRY_SETTINGS = """  retries 3
  option redispatch 1
  retry-on conn-failure empty-response"""

# srv_admin_state bits (HAProxy's server.h): forced, inherited, resolver and health
# maintenance; forced and inherited drain.
ADMIN_MAINT = 0x01 | 0x02 | 0x20 | 0x40
ADMIN_DRAIN = 0x08 | 0x10
OP_RUNNING = 2


class HAProxyError(Exception):
    pass


def render_config(template, values):
    """Fills ${name} placeholders; a placeholder without a value is an error."""
    try:
        return string.Template(Path(template).read_text()).substitute(values)
    except KeyError as err:
        raise HAProxyError(f"{template}: no value for placeholder {err}") from err


def config_values(budget, scale, socket_path, ports, slots, retries=True):
    servers = "\n".join(f"  server {name} 127.0.0.1:{port} disabled" for name, port in slots)
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
        "retry_settings": RETRY_SETTINGS if retries else
        "  # STACK_FAULT=no-retries: no retries, no redispatch (a deliberately unsafe setup)",
        "live_servers": servers,
        "test_servers": servers,
    }


def check_config(path):
    result = subprocess.run(["haproxy", "-c", "-q", "-f", str(path)], capture_output=True, text=True)
    if result.returncode != 0:
        raise HAProxyError(f"haproxy -c rejects {path}:\n{result.stdout}{result.stderr}")


def start(config, pid_file, log_file):
    """Starts HAProxy in the foreground of its own session (not as a system service),
    its output to log_file; returns its pid once the runtime API answers."""
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
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and running(pid_file):
        time.sleep(0.05)
    if running(pid_file):
        os.kill(pid, signal.SIGKILL)
    return True


@dataclass
class Server:
    backend: str
    name: str
    op_state: int
    admin_state: int
    weight: int
    check_health: int

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


class Api:
    """The runtime API on the stats socket. Several commands joined by ';' run in one
    connection, one after the other, with nothing else in between: a traffic switch and
    the counter snapshot that goes with it are one step."""

    def __init__(self, socket_path):
        self.socket_path = str(socket_path)

    def run(self, *commands):
        text = "; ".join(commands) + "\n"
        deadline = time.monotonic() + 5
        while True:
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                    sock.settimeout(5)
                    sock.connect(self.socket_path)
                    sock.sendall(text.encode())
                    chunks = []
                    while True:
                        chunk = sock.recv(65536)
                        if not chunk:
                            break
                        chunks.append(chunk)
                break
            except (FileNotFoundError, ConnectionRefusedError) as err:
                if time.monotonic() > deadline:
                    raise HAProxyError(f"HAProxy's runtime API at {self.socket_path} does not answer: {err}") from err
                time.sleep(0.05)
        out = b"".join(chunks).decode()
        for line in out.splitlines():
            # Commands that change something answer nothing when they work.
            if line.startswith(("No such", "Unknown command", "Require ", "Invalid ", "'set server")):
                raise HAProxyError(f"HAProxy refused '{text.strip()}': {line}")
        return out

    def servers(self, backend):
        out = self.run(f"show servers state {backend}")
        result = {}
        for line in out.splitlines():
            fields = line.split()
            if len(fields) < 13 or not fields[0].isdigit():
                continue
            result[fields[3]] = Server(backend=fields[1], name=fields[3], op_state=int(fields[5]),
                                       admin_state=int(fields[6]), weight=int(fields[7]),
                                       check_health=int(fields[12]))
        return result

    def stats(self, text=None):
        """Per-server counters from `show stat` (or from its saved output): a dict of
        (backend, server) -> {responses, 5xx, sessions, status}."""
        if text is None:
            text = self.run("show stat")
        return parse_stats(text)


def parse_stats(text):
    start = text.find("# pxname")
    if start < 0:
        raise HAProxyError("no 'show stat' output found")
    rows = csv.DictReader(io.StringIO(text[start + 2:]))
    result = {}
    for row in rows:
        if not row.get("svname") or row["svname"] in ("FRONTEND", "BACKEND"):
            continue
        responses = sum(int(row.get(k) or 0) for k in
                        ("hrsp_1xx", "hrsp_2xx", "hrsp_3xx", "hrsp_4xx", "hrsp_5xx", "hrsp_other"))
        result[(row["pxname"], row["svname"])] = {
            "responses": responses,
            "5xx": int(row.get("hrsp_5xx") or 0),
            "sessions": int(row.get("stot") or 0),
            "status": row.get("status", ""),
            "weight": int(row.get("weight") or 0),
        }
    return result
