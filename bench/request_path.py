"""What one request costs, counted rather than timed, for bench/run.py.

- syscalls per request: `perf stat` on the kernel's syscall tracepoints, attached to the
  server's processes for exactly one wrk run (no ptrace, so the server runs at its usual
  speed and its read pattern is the real one, unlike under strace);
- user-space instructions per request: callgrind, its instrumentation switched on only
  for one wrk run after a warm-up (callgrind_control), so start-up is not counted;
- the example routes (`POST /v1/greetings`, `GET /v1/dependency` against a dependency on
  127.0.0.1) measured like `/health`;
- what a new TCP connection per call costs its caller: wrk's own CPU per request with and
  without `Connection: close`, against the same server.

Every load goes to 127.0.0.1 and is bounded in time (wrk -d)."""
import glob
import os
import re
import resource
import signal
import subprocess
import time

# The tracepoints counted beside the total (raw_syscalls:sys_enter). EAGAIN from a
# receive is counted on the exit tracepoints with a filter (ret == -EAGAIN).
SYSCALLS = ("recvfrom", "recvmsg", "sendto", "sendmsg", "writev", "write", "epoll_wait", "epoll_ctl", "futex",
            "socket", "connect", "close")
EAGAIN = 11


def perf_events():
    events = ["raw_syscalls:sys_enter"]
    events += [f"syscalls:sys_enter_{name}" for name in SYSCALLS]
    return events


def problems():
    """Why this part of the benchmark could not run, as a list of messages."""
    found = []
    for tool in ("perf", "valgrind", "callgrind_control"):
        if not _which(tool):
            found.append(f"{tool} not found (bench/run.sh installs it)")
    if _which("perf"):
        probe = subprocess.run(["perf", "stat", "-x,", "-e", "raw_syscalls:sys_enter", "--", "true"],
                               capture_output=True, text=True)
        if probe.returncode != 0 or "<not supported>" in probe.stderr or "not counted" in probe.stderr:
            found.append("perf cannot count the syscall tracepoints here (needs root or "
                         f"perf_event_paranoid <= -1): {probe.stderr.strip()[:200]}")
    return found


def _which(tool):
    return any(os.access(os.path.join(d, tool), os.X_OK) for d in os.environ.get("PATH", "").split(os.pathsep))


def count_syscalls(pids, load):
    """Runs load() while perf counts the syscalls of every thread of `pids`; returns
    (load's result, {event: count})."""
    out = f"/tmp/hello-bench-perf-{os.getpid()}.csv"
    argv = ["perf", "stat", "-x,", "-o", out, "-p", ",".join(map(str, pids))]
    for event in perf_events():
        argv += ["-e", event]
    for name in ("recvfrom", "recvmsg"):
        argv += ["-e", f"syscalls:sys_exit_{name}", "--filter", f"ret == -{EAGAIN}"]
    perf = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    time.sleep(0.5)  # perf attaches before the load begins
    try:
        result = load()
    finally:
        perf.send_signal(signal.SIGINT)
        try:
            perf.wait(timeout=10)
        except subprocess.TimeoutExpired:
            perf.kill()
            perf.wait()
    counts = {}
    try:
        with open(out) as f:
            exits = 0
            for line in f:
                fields = line.strip().split(",")
                if len(fields) < 3 or not fields[0].strip().isdigit():
                    continue
                event = fields[2]
                if event.startswith("syscalls:sys_exit_"):
                    # The two filtered exit counters, in the order given.
                    name = ("recvfrom", "recvmsg")[exits]
                    exits += 1
                    counts[f"{name} EAGAIN"] = int(fields[0])
                else:
                    counts[event.replace("syscalls:sys_enter_", "").replace("raw_syscalls:sys_enter", "total")] = \
                        int(fields[0])
    finally:
        if os.path.exists(out):
            os.unlink(out)
    if "total" not in counts:
        raise RuntimeError(f"perf stat counted nothing for pids {pids}: {perf.stderr.read().decode()[:300]}")
    return result, counts


def per_request(counts, requests):
    """Counts per request, the non-zero ones only, rounded."""
    return {k: round(v / max(requests, 1), 3) for k, v in counts.items() if v}


class Callgrind:
    """A server under `valgrind --tool=callgrind`, instrumentation off until measure()."""

    def __init__(self, work, name, env):
        self.work = work
        self.name = name
        # callgrind_control finds the server through vgdb's files in /tmp, which are named
        # after the user and the HOST variable of the valgrind process: it must run with
        # the same values (hello-service's HOST is its listening address).
        self.env = env
        # vgdb's pipes and shared memory files go into the run's work directory (removed
        # at the end), not /tmp, where a killed server would leave them behind.
        self.vgdb_prefix = os.path.join(work, f"vgdb-{name}")

    def wrap(self, argv):
        prefix = os.path.join(self.work, f"callgrind.{self.name}")
        return ["valgrind", "--tool=callgrind", "--instr-atstart=no", "--vgdb=yes", f"--vgdb-prefix={self.vgdb_prefix}",
                "--dump-instr=no", f"--callgrind-out-file={prefix}.%p"] + argv

    def measure(self, pid, load):
        """Instructions (Ir) executed by every thread of pid during load(); returns
        (load's result, instructions)."""
        prefix = os.path.join(self.work, f"callgrind.{self.name}.{pid}")
        self._control(pid, "--zero")
        self._control(pid, "--instr=on")
        result = load()
        self._control(pid, "--instr=off")
        before = set(glob.glob(prefix + "*"))
        self._control(pid, "--dump=bench")
        deadline = time.time() + 20
        while time.time() < deadline:
            new = [p for p in glob.glob(prefix + "*") if p not in before]
            for path in new:
                total = _totals(path)
                if total is not None:
                    return result, total
            time.sleep(0.2)
        raise RuntimeError(f"callgrind wrote no dump for {self.name} (pid {pid}) in {self.work}")

    def _control(self, pid, option):
        done = subprocess.run(["callgrind_control", f"--vgdb-prefix={self.vgdb_prefix}", option, str(pid)],
                              capture_output=True, text=True, timeout=60, env=self.env)
        if done.returncode != 0 or "OK" not in done.stdout:
            raise RuntimeError(f"callgrind_control {option} {pid} failed: {(done.stdout + done.stderr).strip()[:300]}")


def _totals(path):
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        return None
    m = re.search(r"^totals:\s+(\d+)", text, re.M)
    return int(m.group(1)) if m else None


def child_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


GREETINGS_SCRIPT = """-- POST /v1/greetings with a JSON body, as a client of the example route would send it.
wrk.method = "POST"
wrk.path = "/v1/greetings"
wrk.body = '{"name":"Ada"}'
wrk.headers["Content-Type"] = "application/json"
"""

CLOSE_SCRIPT = """-- Every request on a new connection: the server answers with Connection: close.
wrk.headers["Connection"] = "close"
"""


def write_script(work, name, text):
    path = os.path.join(work, name)
    with open(path, "w") as f:
        f.write(text)
    return path
