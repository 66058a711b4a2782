#!/usr/bin/env python3
"""Side-by-side benchmark: hello-service, nginx and the seed's Flask/gunicorn stack.

Every server answers GET /health on 127.0.0.1, pinned to CPU 0; wrk runs pinned to
CPU 1. For 1, 64 and 256 connections it records requests/s, p50 and p99 latency and the
server's CPU time per request (from /proc, whole process tree); it records resident
memory idle and after load, the time from exec to the first 200, and the 64-connection
case again with the server held to 0.25 vCPU (a CFS quota of 25 ms per 100 ms, as on a
Fargate task of that size). Results go to build/bench/results.json (written after each
phase, so that a run that fails keeps what it measured) and into the "The service
against nginx" section of docs/OPTIMIZATION.md.

Everything the run needs (tools, the binary, a CPU cgroup it can create) is checked
before it starts. Usage: bench/run.py [--duration S] [--no-docs] [--no-quota] [--out FILE]
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import DocError, free_port, replace_section  # noqa: E402 (bench/ is on the path only now)
import request_path  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVICE = os.path.join(ROOT, "build", "release", "src", "hello-service")
SEED_DIR = os.path.join(ROOT, "bench", "seed")
DOC = os.path.join(ROOT, "docs", "OPTIMIZATION.md")
SECTION = "## The service against nginx and the seed's Flask stack"
PATH_SECTION = "## What one request costs: syscalls, instructions, the example routes"
SERVER_CPU = "0"
CLIENT_CPU = "1"
CONNECTIONS = (1, 64, 256)
QUOTA_US, PERIOD_US = 25000, 100000


def log(message):
    print(f"==> {message}", flush=True)


def get_status(port, path="/health", timeout=0.5):
    """One GET; returns the status code or None."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n".encode())
            data = s.recv(64)
            match = re.match(rb"HTTP/1\.[01] (\d{3})", data)
            return int(match.group(1)) if match else None
    except OSError:
        return None


def tree(pid):
    """The pid and all its descendants."""
    pids = [pid]
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
        except OSError:
            continue
    i = 0
    while i < len(pids):
        pids.extend(children.get(pids[i], []))
        i += 1
    return pids


def cpu_seconds(pid):
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in tree(pid):
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except OSError:
            pass
    return total / ticks


def rss_kib(pid):
    total = 0
    for p in tree(pid):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


class Quota:
    """A CPU cgroup holding a server to 0.25 vCPU (cgroup v1 cpu controller or v2).

    Making the object changes nothing; create() makes the cgroup and, if any step of it
    fails, removes what it made before raising QuotaError."""

    V1 = "/sys/fs/cgroup/cpu"
    V2 = "/sys/fs/cgroup"

    def __init__(self, name):
        if os.path.exists(os.path.join(self.V1, "cpu.cfs_quota_us")):
            self.path = os.path.join(self.V1, name)
            self.settings = [("cpu.cfs_period_us", PERIOD_US), ("cpu.cfs_quota_us", QUOTA_US)]
        elif os.path.exists(os.path.join(self.V2, "cgroup.controllers")):
            self.path = os.path.join(self.V2, name)
            self.settings = [("cpu.max", f"{QUOTA_US} {PERIOD_US}")]
        else:
            self.path = None
            self.settings = []

    def create(self):
        if self.path is None:
            raise QuotaError(f"no CPU cgroup controller found (neither {self.V1}/cpu.cfs_quota_us "
                             f"nor {self.V2}/cgroup.controllers)")
        try:
            os.mkdir(self.path)
        except OSError as e:
            raise QuotaError(f"cannot create the CPU cgroup {self.path}: {e.strerror}") from e
        try:
            for name, value in self.settings:
                self._write(name, value)
        except OSError as e:
            self.remove()
            raise QuotaError(f"cannot set the CPU quota in {self.path}: {e}") from e
        return self

    def _write(self, name, value):
        with open(os.path.join(self.path, name), "w") as f:
            f.write(str(value))

    def wrap(self, argv):
        """A command that joins the cgroup, then execs argv."""
        procs = os.path.join(self.path, "cgroup.procs")
        return ["sh", "-c", f'echo $$ > {procs} && exec "$@"', "sh"] + argv

    def remove(self):
        """Removes the cgroup (waiting up to 5 s for its processes to go); True if gone."""
        for _ in range(50):
            try:
                os.rmdir(self.path)
                return True
            except FileNotFoundError:
                return True
            except OSError:
                time.sleep(0.1)
        return False


class QuotaError(RuntimeError):
    pass


def quota_problem():
    """Why the 0.25 vCPU runs could not hold a server to its quota, or None: creates a
    probe cgroup, sets the quota, moves a process into it, and removes it again."""
    quota = Quota(f"hello-bench-probe-{os.getpid()}")
    try:
        quota.create()
    except QuotaError as e:
        return str(e)
    try:
        joined = subprocess.run(quota.wrap(["true"]), capture_output=True, text=True)
        if joined.returncode != 0:
            return f"cannot move a process into the CPU cgroup {quota.path}: {joined.stderr.strip()}"
        return None
    finally:
        if not quota.remove():
            print(f"warning: could not remove the probe cgroup {quota.path}", file=sys.stderr)


class Server:
    def __init__(self, name, work):
        self.name = name
        self.work = work
        self.port = free_port()
        self.proc = None
        self.cpu = SERVER_CPU

    def command(self):
        raise NotImplementedError

    def env(self):
        return dict(os.environ)

    def start(self, quota=None, wrapper=None):
        """Starts the server (held to the quota's cgroup, or under wrapper(argv), such as
        valgrind) and returns the seconds from exec to its first 200."""
        argv = self.command()
        if wrapper:
            argv = wrapper(argv)
        argv = ["taskset", "-c", self.cpu] + argv
        if quota:
            argv = quota.wrap(argv)
        out = open(os.path.join(self.work, f"{self.name}.out"), "ab")
        started = time.perf_counter()
        self.proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=self.env(),
                                     start_new_session=True)
        deadline = started + (60 if wrapper else 20)
        while time.perf_counter() < deadline:
            if get_status(self.port, timeout=0.2) == 200:
                return time.perf_counter() - started
            if self.proc.poll() is not None:
                break
            time.sleep(0.0002)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer 200 on /health (see {self.work}/{self.name}.out)")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc = None


class HelloService(Server):
    def __init__(self, name, work, access_log=True, binary=SERVICE, extra_env=None):
        super().__init__(name, work)
        self.access_log = access_log
        self.binary = binary
        self.extra_env = extra_env or {}

    def command(self):
        return [self.binary]

    def env(self):
        # Production defaults (access log on), one worker thread like a 0.25 vCPU task;
        # the metadata endpoint is absent, as off ECS.
        env = {k: v for k, v in os.environ.items() if k != "ECS_CONTAINER_METADATA_URI_V4"}
        env.update({"PORT": str(self.port), "HOST": "127.0.0.1", "WORKERS": "1", "DRAIN_DELAY_S": "0",
                    "ACCESS_LOG": "on" if self.access_log else "off"})
        env.update(self.extra_env)
        return env


class Nginx(Server):
    """nginx answering GET /health. single_process: no master (`master_process off`), so
    that callgrind sees the one process that serves."""

    def __init__(self, name, work, single_process=False, access_log=True):
        super().__init__(name, work)
        self.single_process = single_process
        self.access_log = access_log

    def command(self):
        conf = os.path.join(self.work, f"{self.name}.conf")
        master = "master_process off;\n" if self.single_process else ""
        access_log = f"{self.work}/{self.name}-access.log" if self.access_log else "off"
        with open(conf, "w") as f:
            f.write(f"""{master}worker_processes 1;
pid {self.work}/{self.name}.pid;
error_log {self.work}/{self.name}-error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log {access_log};
  # As long-lived as hello-service's connections, so both do the same work per request.
  keepalive_requests 1000000;
  keepalive_timeout 75s;
  client_body_temp_path {self.work}/nginx-body;
  proxy_temp_path {self.work}/nginx-proxy;
  fastcgi_temp_path {self.work}/nginx-fastcgi;
  uwsgi_temp_path {self.work}/nginx-uwsgi;
  scgi_temp_path {self.work}/nginx-scgi;
  server {{
    listen 127.0.0.1:{self.port};
    location = /health {{
      default_type application/json;
      return 200 '{{"status":"healthy"}}';
    }}
  }}
}}
""")
        return ["nginx", "-c", conf, "-p", self.work, "-g", "daemon off;"]


class Seed(Server):
    def command(self):
        return ["gunicorn", "--chdir", SEED_DIR, "--bind", f"127.0.0.1:{self.port}", "--workers", "2", "app:app"]


def wrk(port, connections, duration, path="/health", script=None):
    argv = ["taskset", "-c", CLIENT_CPU, "wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--timeout", "5s",
            "--latency"]
    if script:
        argv += ["-s", script]
    argv.append(f"http://127.0.0.1:{port}{path}")
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout

    def seconds(text):
        value, unit = re.match(r"([\d.]+)(us|ms|s|m)", text).groups()
        return float(value) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]

    requests = int(re.search(r"(\d+) requests in", out).group(1))
    errors = 0
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out):
        errors += sum(int(x) for x in m.groups())
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        errors += int(m.group(1))
    return {
        "requests": requests,
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        # The "Latency Distribution" rows; anchored, so that a "+/- Stdev" figure such
        # as "75.50%" is never taken for one.
        "p50_ms": seconds(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)) * 1e3,
        "p99_ms": seconds(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)) * 1e3,
        "errors": errors,
    }


def measure(server, duration, starts):
    result = {"name": server.name}
    # Exec to first 200: the median of several cold starts.
    times = []
    for _ in range(starts):
        times.append(server.start())
        server.stop()
    times.sort()
    result["first_200_ms"] = times[len(times) // 2] * 1e3
    server.start()
    time.sleep(1.0)
    result["rss_idle_kib"] = rss_kib(server.proc.pid)
    result["load"] = {}
    for connections in CONNECTIONS:
        wrk(server.port, connections, 1)  # warm-up
        before = cpu_seconds(server.proc.pid)
        run = wrk(server.port, connections, duration)
        used = cpu_seconds(server.proc.pid) - before
        run["cpu_us_per_request"] = used / max(run["requests"], 1) * 1e6
        result["load"][str(connections)] = run
        log(f"{server.name:14} c={connections:<4} {run['rps']:>10.0f} req/s  p50 {run['p50_ms']:.3f} ms  "
            f"p99 {run['p99_ms']:.3f} ms  {run['cpu_us_per_request']:.1f} us CPU/req  errors {run['errors']}")
    result["rss_loaded_kib"] = rss_kib(server.proc.pid)
    server.stop()
    return result


def median_run(runs):
    """The run with the median requests/s, with every run's figure beside it."""
    ordered = sorted(runs, key=lambda r: r["rps"])
    chosen = dict(ordered[len(ordered) // 2])
    chosen["all_rps"] = [round(r["rps"]) for r in runs]
    return chosen


def measure_quota(server, duration, repeats):
    """Requests/s at 0.25 vCPU: the median of `repeats` runs (throttling makes single runs noisy)."""
    quota = Quota(f"hello-bench-{server.name}").create()
    try:
        server.start(quota)
        wrk(server.port, 64, 1)
        runs = [wrk(server.port, 64, duration) for _ in range(repeats)]
        run = median_run(runs)
        log(f"{server.name:14} 0.25 vCPU c=64 {run['rps']:>8.0f} req/s (runs: {run['all_rps']})  "
            f"p99 {run['p99_ms']:.3f} ms  errors {sum(r['errors'] for r in runs)}")
        return run
    finally:
        server.stop()
        if not quota.remove():
            print(f"warning: could not remove the CPU cgroup {quota.path}", file=sys.stderr)


def measure_access_log_cost(work, duration, repeats):
    """CPU per request with and without the access log: two servers, runs alternated so
    that drift on the machine hits both alike; the medians are compared."""
    servers = {True: HelloService("hello-service", work), False: HelloService("hello-service-off", work, False)}
    cpu = {True: [], False: []}
    try:
        for server in servers.values():
            server.start()
            wrk(server.port, 64, 1)
        for _ in range(repeats):
            for on, server in servers.items():
                before = cpu_seconds(server.proc.pid)
                run = wrk(server.port, 64, duration)
                cpu[on].append((cpu_seconds(server.proc.pid) - before) / max(run["requests"], 1) * 1e6)
    finally:
        for server in servers.values():
            server.stop()
    result = {("on" if on else "off"): sorted(v)[len(v) // 2] for on, v in cpu.items()}
    result["runs"] = {("on" if on else "off"): [round(x, 2) for x in v] for on, v in cpu.items()}
    log(f"access log on {result['on']:.2f} us/req, off {result['off']:.2f} us/req (runs {result['runs']})")
    return result


LOAD_CONNECTIONS = 64


def measure_request_path(work, duration, baseline=None):
    """Syscalls and user-space instructions per request at 64 connections, for
    hello-service (and a baseline binary, if given) and nginx on GET /health, and for the
    service's example routes; then what a new connection per call costs its caller."""
    results = {"servers": {}, "routes": {}}
    callgrind_duration = max(3, duration // 2)
    candidates = [("hello-service", lambda: HelloService("hello-service-path", work)),
                  ("nginx", lambda: Nginx("nginx-path", work)),
                  ("nginx-callgrind", lambda: Nginx("nginx-path-cg", work, single_process=True))]
    if baseline:
        candidates.insert(1, ("baseline", lambda: HelloService("hello-baseline-path", work, binary=baseline)))
    for name, make in candidates:
        if name == "nginx-callgrind":
            continue
        server = make()
        figures = {}
        try:
            server.start()
            wrk(server.port, LOAD_CONNECTIONS, 1)
            run, counts = request_path.count_syscalls(tree(server.proc.pid),
                                                      lambda s=server: wrk(s.port, LOAD_CONNECTIONS, duration))
            figures["rps"] = run["rps"]
            figures["syscalls"] = request_path.per_request(counts, run["requests"])
        finally:
            server.stop()
        # nginx under callgrind runs without its master process: one process serves.
        server = dict(candidates)["nginx-callgrind"]() if name == "nginx" else make()
        figures["instructions"] = callgrind_per_request(server, work, callgrind_duration)
        results["servers"][name] = figures
        log(f"{name:14} c={LOAD_CONNECTIONS} {figures['syscalls']['total']:.2f} syscalls/req "
            f"({figures['syscalls']}), {figures['instructions']:.0f} instructions/req")

    if baseline:
        results["cpu_vs_baseline"] = cpu_against_baseline(work, duration, baseline)

    dependency = Nginx("dependency", work, access_log=False)
    dependency.cpu = CLIENT_CPU  # beside wrk, so that the service keeps CPU 0 to itself
    dependency.start()
    try:
        greetings = request_path.write_script(work, "greetings.lua", request_path.GREETINGS_SCRIPT)
        routes = [("GET /health", "/health", None, None), ("POST /v1/greetings", "/v1/greetings", greetings, None),
                  ("GET /v1/dependency", "/v1/dependency", None, None)]
        if baseline:
            # The outbound client's changes show here: the same route on the baseline.
            routes.append(("GET /v1/dependency, baseline", "/v1/dependency", None, baseline))
        extra = {"DEPENDENCY_URL": f"http://127.0.0.1:{dependency.port}/health"}
        for label, path, script, binary in routes:
            server = HelloService("hello-service-routes", work, extra_env=extra, binary=binary or SERVICE)
            try:
                server.start()
                wrk(server.port, LOAD_CONNECTIONS, 1, path, script)
                before = cpu_seconds(server.proc.pid)
                run, counts = request_path.count_syscalls(
                    tree(server.proc.pid), lambda s=server: wrk(s.port, LOAD_CONNECTIONS, duration, path, script))
                run["cpu_us_per_request"] = (cpu_seconds(server.proc.pid) - before) / max(run["requests"], 1) * 1e6
                run["syscalls"] = request_path.per_request(counts, run["requests"])
            finally:
                server.stop()
            run["instructions"] = callgrind_per_request(
                HelloService("hello-service-routes-cg", work, extra_env=extra, binary=binary or SERVICE), work,
                callgrind_duration, path, script)
            results["routes"][label] = run
            log(f"{label:20} {run['rps']:>8.0f} req/s  p99 {run['p99_ms']:.3f} ms  "
                f"{run['cpu_us_per_request']:.1f} us CPU/req  {run['syscalls']['total']:.2f} syscalls/req  "
                f"{run['instructions']:.0f} instructions/req  errors {run['errors']}")
        results["connection"] = connection_cost(dependency, work, duration)
    finally:
        dependency.stop()
    return results


def cpu_against_baseline(work, duration, baseline, repeats=3):
    """Server CPU per GET /health at 64 connections, this build and the baseline up at
    once, their runs alternated so that the machine's drift hits both alike; medians."""
    servers = {"hello-service": HelloService("hello-service-cpu", work),
               "baseline": HelloService("hello-baseline-cpu", work, binary=baseline)}
    cpu = {name: [] for name in servers}
    try:
        for server in servers.values():
            server.start()
            wrk(server.port, LOAD_CONNECTIONS, 1)
        for _ in range(repeats):
            for name, server in servers.items():
                before = cpu_seconds(server.proc.pid)
                run = wrk(server.port, LOAD_CONNECTIONS, duration)
                cpu[name].append((cpu_seconds(server.proc.pid) - before) / max(run["requests"], 1) * 1e6)
    finally:
        for server in servers.values():
            server.stop()
    result = {name: sorted(v)[len(v) // 2] for name, v in cpu.items()}
    result["runs"] = {name: [round(x, 2) for x in v] for name, v in cpu.items()}
    log(f"CPU per request: this build {result['hello-service']:.2f} us, baseline {result['baseline']:.2f} us "
        f"(runs {result['runs']})")
    return result


def callgrind_per_request(server, work, duration, path="/health", script=None):
    callgrind = request_path.Callgrind(work, server.name, server.env())
    try:
        server.start(wrapper=callgrind.wrap)
        wrk(server.port, LOAD_CONNECTIONS, 2, path, script)  # warm-up: connections and buffers at size
        run, instructions = callgrind.measure(server.proc.pid,
                                              lambda: wrk(server.port, LOAD_CONNECTIONS, duration, path, script))
    finally:
        server.stop()
    if run["errors"]:
        raise RuntimeError(f"{server.name} under callgrind: {run['errors']} errors on {path}")
    return instructions / max(run["requests"], 1)


def connection_cost(server, work, duration):
    """The caller's CPU per request with keep-alive and with a new connection per request
    (wrk as the caller, against the same server): what an outbound client pays for not
    keeping its connections."""
    close = request_path.write_script(work, "close.lua", request_path.CLOSE_SCRIPT)
    result = {}
    for mode, script in (("keep-alive", None), ("new connection", close)):
        wrk(server.port, LOAD_CONNECTIONS, 1, "/health", script)
        before = request_path.child_cpu_seconds()
        run = wrk(server.port, LOAD_CONNECTIONS, duration, "/health", script)
        run["caller_cpu_us_per_request"] = (request_path.child_cpu_seconds() - before) / max(run["requests"], 1) * 1e6
        result[mode] = run
        log(f"caller, {mode:15} {run['rps']:>8.0f} req/s  {run['caller_cpu_us_per_request']:.1f} us caller CPU/req")
    return result


def machine():
    model = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    debian = open("/etc/debian_version").read().strip() if os.path.exists("/etc/debian_version") else "?"
    versions = {
        "nginx": subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr.strip(),
        "gunicorn": subprocess.run(["gunicorn", "--version"], capture_output=True, text=True).stdout.strip(),
        "hello-service": subprocess.run([SERVICE, "version"], capture_output=True, text=True).stdout.strip(),
    }
    return {"cpu": model, "cores": os.cpu_count(), "kernel": platform.release(), "debian": debian,
            "versions": versions}


def verdicts(results):
    s, n, f = results["hello-service"], results["nginx"], results["seed"]
    rows = []

    def row(target, value, goal, ok):
        rows.append((target, value, goal, "met" if ok else "MISSED"))

    s_cpu, n_cpu = s["load"]["64"]["cpu_us_per_request"], n["load"]["64"]["cpu_us_per_request"]
    row("server CPU per request at 64 connections", f"{s_cpu:.1f} us (nginx {n_cpu:.1f} us, ratio {s_cpu / n_cpu:.2f})",
        "<= nginx", s_cpu <= n_cpu)
    s_p99, n_p99 = s["load"]["64"]["p99_ms"], n["load"]["64"]["p99_ms"]
    row("p99 latency at 64 connections", f"{s_p99:.3f} ms (nginx {n_p99:.3f} ms)", "<= nginx", s_p99 <= n_p99)
    row("resident memory idle", f"{s['rss_idle_kib'] / 1024:.2f} MiB", "<= 4 MiB", s["rss_idle_kib"] <= 4096)
    row("exec to first 200", f"{s['first_200_ms']:.1f} ms", "<= 10 ms", s["first_200_ms"] <= 10)
    sq, nq, fq = s["quota"]["rps"], n["quota"]["rps"], f["quota"]["rps"]
    row("req/s at 0.25 vCPU, 64 connections", f"{sq:.0f} (nginx {nq:.0f}, ratio {sq / nq:.2f})", ">= nginx", sq >= nq)
    row("req/s at 0.25 vCPU vs the seed stack", f"{sq / max(fq, 1e-9):.0f}x ({fq:.0f} req/s)", ">= 30x",
        sq >= 30 * fq)
    return rows


def markdown(results, rows, meta, command):
    names = ["hello-service", "nginx", "seed"]
    label = {"hello-service": "hello-service", "nginx": "nginx, 1 worker", "seed": "seed: Flask + gunicorn (2 sync)"}
    out = [SECTION, "",
           f"Measured by `{command}` on {meta['date']}: {meta['machine']['cpu']}, {meta['machine']['cores']} cores, "
           f"Linux {meta['machine']['kernel']}, Debian {meta['machine']['debian']}; "
           f"{meta['machine']['versions']['nginx']}; gunicorn {meta['machine']['versions']['gunicorn']}; "
           f"`{meta['machine']['versions']['hello-service']}`. Server pinned to CPU {SERVER_CPU}, wrk (1 thread) to "
           f"CPU {CLIENT_CPU}, `GET /health` on 127.0.0.1, {meta['duration']} s per run after a 1 s warm-up. "
           "hello-service runs with its production defaults (JSON access log on, to a file); nginx with its access "
           "log on (to a file) and `keepalive_requests` raised so that neither server reconnects during a run; the "
           "seed as it describes itself (2 sync workers, no access log). CPU per request is user + system time of "
           "the server's whole process tree divided by the requests wrk completed.", "",
           "| server | connections | req/s | p50 ms | p99 ms | server CPU per request | errors |",
           "|---|---:|---:|---:|---:|---:|---:|"]
    for name in names:
        for c in CONNECTIONS:
            r = results[name]["load"][str(c)]
            out.append(f"| {label[name]} | {c} | {r['rps']:.0f} | {r['p50_ms']:.3f} | {r['p99_ms']:.3f} | "
                       f"{r['cpu_us_per_request']:.1f} us | {r['errors']} |")
    out += ["", "| server | resident memory idle | after load | exec to first 200 | req/s at 0.25 vCPU (c=64, median; runs) | "
                "p99 at 0.25 vCPU |", "|---|---:|---:|---:|---:|---:|"]
    for name in names:
        r = results[name]
        out.append(f"| {label[name]} | {r['rss_idle_kib'] / 1024:.1f} MiB | {r['rss_loaded_kib'] / 1024:.1f} MiB | "
                   f"{r['first_200_ms']:.1f} ms | {r['quota']['rps']:.0f} ({', '.join(map(str, r['quota']['all_rps']))}) | "
                   f"{r['quota']['p99_ms']:.1f} ms |")
    out += ["", access_log_text(results["access_log"])]
    out += ["", "Targets (hello-service, production defaults):", "", "| target | measured | goal | verdict |",
            "|---|---|---|---|"]
    out += [f"| {t} | {v} | {g} | {ok} |" for t, v, g, ok in rows]
    out += ["", ""]  # a blank line before the next section
    return "\n".join(out)


def access_log_text(access_log):
    """The access log's cost, as a comparison only. Its runs (two servers up at once,
    runs alternated) give their own CPU-per-request figures, which differ from the
    table's by the run-to-run drift; printing both would give two figures for one thing.
    The table's is the service's figure; these say what the log adds to it."""
    on, off = access_log["on"], access_log["off"]
    # The noise is how far one server's own runs spread (the two servers' runs pooled
    # together would spread by the very difference being measured).
    noise = max(max(runs) - min(runs) for runs in access_log["runs"].values())
    difference = (on - off) / on * 100
    spread = noise / on * 100
    count = len(access_log["runs"]["on"])
    if on - off > noise:
        verdict = (f"the access log costs {difference:.0f} % of the server CPU per request, more than the "
                   f"{spread:.0f} % by which one server's runs spread")
    else:
        verdict = (f"a difference of {difference:+.0f} % of the server CPU per request, inside the "
                   f"{spread:.0f} % by which one server's runs spread: too small for this machine to measure")
    return (f"The access log's cost, at 64 connections: a server with it and one without it (`ACCESS_LOG=off`), "
            f"{count} alternated runs each, medians compared: {verdict}. (These runs compare the two servers; the "
            "service's own CPU per request is the table's.) Lines are formatted on the worker (about 230 bytes "
            "into a reused buffer) and written by a background thread in batches, so no request waits for the disk.")


def path_markdown(path, meta, command, baseline):
    """The section on what one request costs; ratios are within this one run."""
    servers, routes, conn = path["servers"], path["routes"], path["connection"]
    s, n = servers["hello-service"], servers["nginx"]
    label = {"hello-service": "hello-service", "baseline": f"hello-service, baseline (`{baseline}`)",
             "nginx": "nginx, 1 worker"}
    out = [PATH_SECTION, "",
           f"Measured by `{command}` on {meta['date']}: {meta['machine']['cpu']}, {meta['machine']['cores']} cores, "
           f"Linux {meta['machine']['kernel']}; `{meta['machine']['versions']['hello-service']}`; "
           f"{meta['machine']['versions']['nginx']}; load average {meta['load']} when it began (times and "
           "rates are only as good as the machine was quiet; counts of instructions are not affected, counts of "
           f"`EAGAIN` are). Server on CPU {SERVER_CPU}, wrk (1 thread, "
           f"{LOAD_CONNECTIONS} connections, keep-alive) on CPU {CLIENT_CPU}, both access logs on. Syscalls are "
           "counted by `perf stat` on the kernel's syscall tracepoints over one wrk run of "
           f"{meta['duration']} s, for every thread of the server (no ptrace: the server runs at full speed); "
           "EAGAIN is a receive that found nothing to read. Instructions are user-space instructions counted by "
           "`valgrind --tool=callgrind`, switched on only for one wrk run after a warm-up (nginx without its "
           "master process there, so that one process serves); they repeat within about 1 % from run to run "
           "whatever the machine is doing, unlike times.", "",
           "| server, GET /health | req/s (perf run) | syscalls per request | of which: receive, EAGAIN receive, "
           "send, epoll_wait | instructions per request | instructions vs nginx |",
           "|---|---:|---:|---|---:|---:|"]
    for name in ("hello-service", "baseline", "nginx"):
        if name not in servers:
            continue
        f = servers[name]
        c = f["syscalls"]
        receive = c.get("recvfrom", 0) + c.get("recvmsg", 0)
        again = c.get("recvfrom EAGAIN", 0) + c.get("recvmsg EAGAIN", 0)
        send = c.get("sendto", 0) + c.get("sendmsg", 0) + c.get("writev", 0)
        out.append(f"| {label[name]} | {f['rps']:.0f} | {c['total']:.2f} | {receive:.2f}, {again:.2f}, {send:.2f}, "
                   f"{c.get('epoll_wait', 0):.2f} | {f['instructions']:,.0f} | "
                   f"{f['instructions'] / n['instructions']:.2f} |")
    if "baseline" in servers:
        b = servers["baseline"]
        c = path["cpu_vs_baseline"]
        out += ["", f"Against the baseline in this run: syscalls per request {s['syscalls']['total']:.2f} vs "
                    f"{b['syscalls']['total']:.2f}; instructions per request {s['instructions']:,.0f} vs "
                    f"{b['instructions']:,.0f} (ratio {s['instructions'] / b['instructions']:.2f}); server CPU per "
                    f"request {c['hello-service']:.2f} us vs {c['baseline']:.2f} us (ratio "
                    f"{c['hello-service'] / c['baseline']:.2f}; medians of {len(c['runs']['baseline'])} alternated "
                    f"runs each, both servers up at once; runs {c['runs']['hello-service']} and "
                    f"{c['runs']['baseline']})."]
    out += ["", "The example routes, hello-service alone (the dependency is nginx on 127.0.0.1, pinned to "
                f"CPU {CLIENT_CPU} beside wrk; its CPU is not the service's):", "",
            "| route | req/s | p50 ms | p99 ms | server CPU per request | syscalls per request | "
            "instructions per request | errors |", "|---|---|---:|---:|---:|---:|---:|---:|"]
    for label_, r in routes.items():
        shown = f"`{label_[:-len(', baseline')]}`, baseline" if label_.endswith(", baseline") else f"`{label_}`"
        out.append(f"| {shown} | {r['rps']:.0f} | {r['p50_ms']:.3f} | {r['p99_ms']:.3f} | "
                   f"{r['cpu_us_per_request']:.1f} us | {r['syscalls']['total']:.2f} | {r['instructions']:,.0f} | "
                   f"{r['errors']} |")
    def setup_calls(route):
        return sum(route["syscalls"].get(k, 0) for k in ("socket", "connect", "close"))

    dep = routes["GET /v1/dependency"]
    ka, nc = conn["keep-alive"], conn["new connection"]
    extra = nc["caller_cpu_us_per_request"] - ka["caller_cpu_us_per_request"]
    text = (f"The outbound connections: the dependency route makes {setup_calls(dep):.2f} socket, connect and "
            f"close calls per request (of its {dep['syscalls']['total']:.2f} syscalls)")
    base = routes.get("GET /v1/dependency, baseline")
    if base:
        text += (f", the baseline {setup_calls(base):.2f} (of {base['syscalls']['total']:.2f}); server CPU per "
                 f"request {dep['cpu_us_per_request']:.1f} us against the baseline's "
                 f"{base['cpu_us_per_request']:.1f} us (ratio "
                 f"{dep['cpu_us_per_request'] / base['cpu_us_per_request']:.2f}), one run each")
    text += (f". What a new connection per call costs a caller, measured on one: wrk against the dependency "
             f"server, {LOAD_CONNECTIONS} connections, spends {ka['caller_cpu_us_per_request']:.1f} us of its own "
             f"CPU per request with keep-alive and {nc['caller_cpu_us_per_request']:.1f} us with a new connection "
             f"per request (`Connection: close`, {nc['rps']:.0f} req/s against {ka['rps']:.0f}): {extra:+.1f} us "
             "per call.")
    out += ["", text, "", ""]
    return "\n".join(out)


def preflight(args):
    """Every reason the run could not complete, found before it starts."""
    problems = []
    if (os.cpu_count() or 1) < 2:
        problems.append("the benchmark needs 2 CPUs (server on one, load generator on the other)")
    for tool in ("wrk", "nginx", "gunicorn", "taskset"):
        if not shutil.which(tool):
            problems.append(f"{tool} not found (bench/run.sh installs it)")
    if not os.access(SERVICE, os.X_OK):
        problems.append(f"{SERVICE} missing: run `make build` first")
    if args.baseline and not os.access(args.baseline, os.X_OK):
        problems.append(f"the baseline binary {args.baseline} is missing or not executable")
    problems += request_path.problems()
    if not args.no_quota:
        problem = quota_problem()
        if problem:
            problems.append(f"{problem}: the 0.25 vCPU runs need a CPU cgroup, which needs root "
                            "(or run with --no-quota to skip them)")
    return problems


def save(path, results, meta, complete, error=None, rows=None):
    """results.json: written after every phase, so that a failure keeps what was measured."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    document = {"meta": meta, "complete": complete, "results": results}
    if error:
        document["error"] = error
    if rows is not None:
        document["targets"] = rows
    with open(path + ".tmp", "w") as f:
        json.dump(document, f, indent=2)
    os.replace(path + ".tmp", path)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=8, help="seconds per wrk run (default 8)")
    parser.add_argument("--starts", type=int, default=7, help="cold starts for exec-to-first-200 (default 7)")
    parser.add_argument("--repeats", type=int, default=3,
                        help="runs per 0.25 vCPU figure and per access-log figure; medians are reported (default 3)")
    parser.add_argument("--no-docs", action="store_true", help="do not update docs/OPTIMIZATION.md")
    parser.add_argument("--no-quota", action="store_true",
                        help="skip the 0.25 vCPU runs (they need root for their CPU cgroup); implies --no-docs")
    parser.add_argument("--baseline", default=os.environ.get("BENCH_BASELINE") or None,
                        help="another hello-service binary (an earlier commit's release build) measured beside this "
                             "one for syscalls and instructions per request (default: $BENCH_BASELINE)")
    parser.add_argument("--path-only", action="store_true",
                        help="measure only syscalls, instructions and the example routes (their section of the doc)")
    parser.add_argument("--out", default=os.path.join(ROOT, "build", "bench", "results.json"),
                        help="where the raw figures go (default build/bench/results.json)")
    args = parser.parse_args(argv)

    problems = preflight(args)
    if problems:
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        sys.exit(1)

    meta = {"date": datetime.date.today().isoformat(), "machine": machine(), "duration": args.duration,
            "load": " ".join(f"{x:.1f}" for x in os.getloadavg())}
    work = tempfile.mkdtemp(prefix="hello-bench-")
    results = {}
    servers = [HelloService("hello-service", work), Nginx("nginx", work), Seed("seed", work)]
    try:
        log("what one request costs: syscalls (perf), instructions (callgrind), the example routes")
        results["path"] = measure_request_path(work, args.duration, args.baseline)
        save(args.out, results, meta, complete=False)
        if args.path_only:
            servers = []
        for server in servers:
            log(f"{server.name}: cold starts, memory, load at {', '.join(map(str, CONNECTIONS))} connections")
            results[server.name] = measure(server, args.duration, args.starts if server.name != "seed" else 3)
            save(args.out, results, meta, complete=False)
        if not args.no_quota and not args.path_only:
            for server in servers:
                results[server.name]["quota"] = measure_quota(server, args.duration, args.repeats)
                save(args.out, results, meta, complete=False)
        if not args.path_only:
            results["access_log"] = measure_access_log_cost(work, args.duration, args.repeats)
    except BaseException as e:
        reason = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
        save(args.out, results, meta, complete=False, error=reason)
        print(f"error: the run stopped ({reason}); what it measured is in {args.out}", file=sys.stderr)
        if isinstance(e, Exception):
            sys.exit(1)
        raise
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)

    baseline = None
    if args.baseline:
        baseline = subprocess.run([args.baseline, "version"], capture_output=True, text=True).stdout.strip()
    command = "bench/run.py --path-only" if args.path_only else "make bench"
    path_section = path_markdown(results["path"], meta, command, baseline)
    print()
    print(path_section)
    if not args.no_docs and (args.path_only or not args.no_quota):
        try:
            replace_section(DOC, PATH_SECTION, path_section)
        except DocError as e:
            sys.exit(f"error: {e} (the figures are printed above and saved in the results file)")
    if args.no_quota or args.path_only:
        save(args.out, results, meta, complete=True)
        if args.path_only:
            where = "" if args.no_docs else f" and their section of {os.path.relpath(DOC, ROOT)}"
            log(f"wrote the figures to {args.out}{where}")
        else:
            log(f"wrote the figures to {args.out} (no 0.25 vCPU runs, so no targets and no docs)")
        return
    rows = verdicts(results)
    save(args.out, results, meta, complete=True, rows=rows)
    section = markdown(results, rows, meta, "make bench")
    print()
    print(section)
    if not args.no_docs:
        try:
            replace_section(DOC, SECTION, section)
        except DocError as e:
            sys.exit(f"error: {e} (the figures are printed above and saved in the results file)")
        log(f"wrote the figures to {os.path.relpath(DOC, ROOT)}")


if __name__ == "__main__":
    main()
