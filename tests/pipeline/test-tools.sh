#!/usr/bin/env bash
# The tools the make targets lean on: tools/ensure-packages off Debian, make bench writing
# the capacity plan after its figures, and bench/run.py's handling of its CPU cgroup and
# of a run that fails half-way (without running the benchmark itself: `make bench` takes
# minutes and is never part of make test).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
python=${PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- tools/ensure-packages -------------------------------------------------------------
# A machine without dpkg: the project's own message, not "dpkg: command not found".
mkdir -p "$tmp/no-dpkg"
expect_fail "ensure-packages: without dpkg, says the project targets Debian 12" 1 \
  "error: no dpkg: this project targets Debian 12 \(install these packages by hand: jq curl\)" \
  env PATH="$tmp/no-dpkg" "$BASH" "$REPO_ROOT/tools/ensure-packages" jq curl
# dpkg but no apt-get, and a package missing: named, with the same message.
mkdir -p "$tmp/no-apt"
printf '#!/bin/sh\necho amd64\n' >"$tmp/no-apt/dpkg"
printf '#!/bin/sh\nexit 1\n' >"$tmp/no-apt/dpkg-query"
chmod +x "$tmp/no-apt/dpkg" "$tmp/no-apt/dpkg-query"
expect_fail "ensure-packages: without apt-get, names the missing packages" 1 \
  "missing packages \(jq\) and no apt-get: this project targets Debian 12" \
  env PATH="$tmp/no-apt" "$BASH" "$REPO_ROOT/tools/ensure-packages" jq
# Another install holding dpkg's lock (a parallel make job on one machine) is waited for,
# not a failure: every apt-get call asks for a lock timeout.
mkdir -p "$tmp/locked"
cp "$tmp/no-apt/dpkg" "$tmp/no-apt/dpkg-query" "$tmp/locked/"
printf '#!/bin/sh\necho "$*" >>"%s/apt-calls"\n' "$tmp" >"$tmp/locked/apt-get"
chmod +x "$tmp/locked/apt-get"
expect_ok "ensure-packages: installs through apt-get" env PATH="$tmp/locked:/usr/bin:/bin" "$BASH" "$REPO_ROOT/tools/ensure-packages" jq
if [ -s "$tmp/apt-calls" ] && ! grep -qv -- '-o DPkg::Lock::Timeout=' "$tmp/apt-calls"; then
  pass "ensure-packages: every apt-get call waits for dpkg's lock"
else
  fail "ensure-packages: every apt-get call waits for dpkg's lock" "$(cat "$tmp/apt-calls" 2>/dev/null)"
fi
expect_fail "ensure-packages: no package named is a usage error" 2 "usage: " "$REPO_ROOT/tools/ensure-packages"
# Two lanes of `make test` installing at once: the second waits for the first's whole
# install (apt's lock timeout does not cover every lock a list refresh takes).
mkdir -p "$tmp/lockdir"
flock "$tmp/lockdir/hello-service-ensure-packages.lock" sleep 2 &
holder=$!
sleep 0.3
before=$(date +%s%N)
: >"$tmp/apt-calls"
expect_ok "ensure-packages: installs after another install ends" \
  env TMPDIR="$tmp/lockdir" PATH="$tmp/locked:/usr/bin:/bin" "$BASH" "$REPO_ROOT/tools/ensure-packages" jq
waited_ms=$((($(date +%s%N) - before) / 1000000))
wait "$holder"
if [ "$waited_ms" -ge 1500 ] && [ -s "$tmp/apt-calls" ]; then
  pass "ensure-packages: one install at a time (waited $waited_ms ms for the other)"
else
  fail "ensure-packages: one install at a time" "apt-get ran after $waited_ms ms, while the other install held the lock 2000 ms"
fi

# --- bench/run.py -------------------------------------------------------------------------
# Without root it cannot make its CPU cgroup: it must say so before measuring anything,
# within seconds (it used to find out after about 90 s of measuring, and lose them).
if setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
  start=$SECONDS
  expect_fail "bench: without root, the CPU cgroup problem is found before the run starts" 1 \
    "error: cannot create the CPU cgroup .*: the 0.25 vCPU runs need a CPU cgroup, which needs root \(or run with --no-quota" \
    timeout 120 setpriv --reuid=65534 --regid=65534 --clear-groups "$python" "$REPO_ROOT/bench/run.py" --no-docs
  if [ $((SECONDS - start)) -lt 30 ] && ! grep -q "^==> " <<<"$out"; then
    pass "bench: the refusal comes at once, having measured nothing"
  else
    fail "bench: the refusal comes at once, having measured nothing" "took $((SECONDS - start)) s"
  fi
else
  fail "bench: without root (setpriv to nobody)" "setpriv cannot switch to uid 65534 here"
fi

# Failures half-way, with bench/run.py imported and its measuring replaced: the cgroup
# it made is removed when setting the quota fails, and what was measured before a
# failure is saved. (Creating a cgroup needs root, as `make bench` does.)
cat >"$tmp/bench_failures.py" <<'PY'
import importlib.util, json, os, sys

root, out = sys.argv[1:3]
spec = importlib.util.spec_from_file_location("bench_run", os.path.join(root, "bench", "run.py"))
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)


def check(name, ok, detail=""):
    print(("PASS: " if ok else "FAIL: ") + name)
    if not ok and detail:
        print("      " + str(detail))


# 1. Setting the quota fails after the cgroup was made: the cgroup must not stay behind.
name = f"hello-bench-test-{os.getpid()}"
v1 = "/sys/fs/cgroup/cpu"
base = v1 if os.path.exists(os.path.join(v1, "cpu.cfs_quota_us")) else "/sys/fs/cgroup"
path = os.path.join(base, name)
real_write = bench.Quota._write


def failing_write(self, setting, value):
    raise OSError(22, f"Invalid argument (writing {setting}, failed on purpose)")


bench.Quota._write = failing_write
error = None
try:
    quota = bench.Quota(name)
    if hasattr(quota, "create"):
        quota.create()
except Exception as e:  # what the run would report
    error = e
finally:
    bench.Quota._write = real_write
left_behind = os.path.isdir(path)
if left_behind:
    os.rmdir(path)
check("bench: a quota that cannot be set leaves no cgroup behind", error is not None and not left_behind,
      f"error {error!r}, {path} left behind: {left_behind}")
check("bench: that failure names the cgroup and the reason",
      error is not None and path in str(error) and "failed on purpose" in str(error), repr(error))

# 2. The second server fails: the first one's figures are saved, marked incomplete.
def fake_measure(server, duration, starts):
    if server.name != "hello-service":
        raise RuntimeError(f"{server.name} did not answer 200 on /health")
    return {"name": server.name, "first_200_ms": 2.0, "load": {}}


bench.measure = fake_measure
# The request-path phase runs first and needs perf, valgrind and wrk: it is not what this
# checks, and a machine without them would fail here for that reason alone.
bench.measure_request_path = lambda work, duration, baseline=None: {"syscalls": "stubbed"}
bench.preflight = lambda args: []
bench.machine = lambda: {"cpu": "test"}
try:
    bench.main(["--no-docs", "--out", out])
    stopped = "it returned"
except SystemExit as e:
    stopped = f"exit {e.code}"
except Exception as e:
    stopped = f"{type(e).__name__}: {e}"
try:
    with open(out) as f:
        saved = json.load(f)
except (OSError, ValueError) as e:
    saved = {"unreadable": str(e)}
check("bench: a run that fails exits 1", stopped == "exit 1", stopped)
check("bench: what was measured before the failure is saved",
      saved.get("results", {}).get("hello-service", {}).get("first_200_ms") == 2.0, saved)
check("bench: the saved run is marked incomplete, with the reason",
      saved.get("complete") is False and "nginx did not answer" in saved.get("error", ""), saved)

# 3. One CPU-per-request figure for the service: the access log's paragraph compares, and
# points at no file outside the repository.
text = bench.access_log_text({"on": 9.6, "off": 9.3, "runs": {"on": [9.6, 9.7, 8.7], "off": [9.3, 9.2, 9.5]}}) \
    if hasattr(bench, "access_log_text") else "(no access_log_text)"
check("bench: the access log's paragraph gives no CPU-per-request figure of its own",
      " us" not in text and "%" in text, text)
PY
if [ "$(id -u)" -eq 0 ]; then
  "$python" "$tmp/bench_failures.py" "$REPO_ROOT" "$tmp/partial.json" >"$tmp/bench.out" 2>&1 || true
  cat "$tmp/bench.out"
  failures=$((failures + $(grep -c '^FAIL: ' "$tmp/bench.out" || true)))
  grep -q '^PASS: bench: the access log' "$tmp/bench.out" || grep -q '^FAIL: bench: the access log' "$tmp/bench.out" \
    || fail "bench: the failure checks ran to the end" "$(tail -5 "$tmp/bench.out")"
else
  fail "bench: failures half-way" "creating a CPU cgroup needs root; run make test as root, as CI does"
fi

# make bench writes the capacity plan after the benchmark's figures, from them: the
# recipe as make would run it (make -n runs nothing but prints every command).
run_capture make -n -s -C "$REPO_ROOT" bench
bench_line=$({ grep -nE '(^|/)bench/run\.sh( |$)' <<<"$out" | head -1 || true; } | cut -d: -f1)
plan_line=$({ grep -nE 'bench/capacity\.py --write( |$)' <<<"$out" | head -1 || true; } | cut -d: -f1)
if [ "$rc" -eq 0 ] && [ -n "$bench_line" ] && [ -n "$plan_line" ] && [ "$plan_line" -gt "$bench_line" ]; then
  pass "make bench: bench/capacity.py --write runs after bench/run.sh (lines $bench_line, $plan_line)"
else
  fail "make bench: bench/capacity.py --write runs after bench/run.sh" "make -n exit $rc;" \
    "bench/run.sh at line ${bench_line:-none}, capacity.py --write at line ${plan_line:-none}" "$out"
fi

# The committed figures: one CPU-per-request figure per server and run, and no pointer to
# a file the repository does not hold (build/ is ignored).
doc=$REPO_ROOT/docs/OPTIMIZATION.md
section=$(sed -n "/^## The service against nginx/,/^## Reading the figures/p" "$doc")
if grep -q "The access log's cost" <<<"$section" && ! grep "The access log's cost" <<<"$section" | grep -qE '[0-9] us\b'; then
  pass "OPTIMIZATION.md: the access log's paragraph adds no second CPU-per-request figure"
else
  fail "OPTIMIZATION.md: the access log's paragraph adds no second CPU-per-request figure" "$(grep "The access log" <<<"$section")"
fi
if grep -q 'build/' "$doc"; then
  fail "OPTIMIZATION.md points at no build output" "$(grep -n 'build/' "$doc")"
else
  pass "OPTIMIZATION.md points at no build output"
fi

finish
