#!/usr/bin/env bash
# Functional smoke test of the cross-compiled arm64 binary under qemu-user, on
# 127.0.0.1: it is an aarch64 static executable; it serves /health and /info; its own
# healthcheck subcommand passes; SIGTERM turns /ready to 503 and then ends the process
# with exit code 0 before the drain deadline.
#
#   container/arm64-smoke.sh [BINARY]   (default build/release-arm64/src/hello-service)
set -euo pipefail
# shellcheck source=container/lib.sh
. "$(dirname "$0")/lib.sh"

binary=${1:-$HELLO_ROOT/build/release-arm64/src/hello-service}
[ -x "$binary" ] || die "no arm64 binary at $binary (make build-arm64 builds it)"
"$HELLO_ROOT/tools/ensure-packages" qemu-user-static binutils curl python3
qemu=$(command -v qemu-aarch64-static) || die "qemu-aarch64-static not found (Debian package qemu-user-static)"

failures=0
check() {  # check DESCRIPTION COMMAND...: one line per assertion
  if "${@:2}"; then echo "ok: $1"; else echo "FAIL: $1" >&2; failures=$((failures + 1)); fi
}

problem=$(static_arm64_problem "$binary")
check "the binary is a static AArch64 executable${problem:+ (it $problem)}" [ -z "$problem" ]

port=$(free_port)
temp_dir
log=$TEMP_DIR/service.log
drain_s=2
deadline_s=10
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill -KILL "$pid" 2>/dev/null || true; fi
  remove_temps
}
trap cleanup EXIT
PORT=$port HOST=127.0.0.1 DRAIN_DELAY_S=$drain_s SHUTDOWN_TIMEOUT_S=$deadline_s LOG_FORMAT=text \
  "$qemu" "$binary" serve >"$log" 2>&1 &
pid=$!

url=http://127.0.0.1:$port
up=0
for _ in $(seq 1 100); do  # up to 20 s: qemu starts a static binary in well under 1 s
  if curl -fsS -o /dev/null --max-time 2 "$url/health" 2>/dev/null; then up=1; break; fi
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.2
done
if [ "$up" != 1 ]; then
  cat "$log" >&2
  die "the arm64 binary did not answer /health on $url under qemu"
fi

check "GET /health answers 200" curl -fsS -o /dev/null --max-time 5 "$url/health"
info=$(curl -fsS --max-time 5 "$url/info" || true)
expected=$("$qemu" "$binary" version | awk '{print $2}')
check "GET /info reports the binary's version ($expected)" grep -q "\"version\":\"$expected\"" <<<"$info"
check "the healthcheck subcommand passes under qemu" \
  "$qemu" "$binary" healthcheck --port "$port" --timeout-ms 3000

kill -TERM "$pid"
signalled=$(date +%s%N)
# kill returns once the signal is sent, not once the service has acted on it: under qemu
# on a loaded machine a request sent at once can still be answered first (seen: /ready
# 200, then "drain started" 12 ms later). Asked every 50 ms for 1 s, half the drain
# delay, before which the listener stays open.
ready=""
for _ in $(seq 1 20); do
  ready=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url/ready" || true)
  [ "$ready" = 503 ] && break
  sleep 0.05
done
check "within 1 s of SIGTERM, /ready answers 503 (last answer: $ready)" [ "$ready" = 503 ]
# Bounded: a binary that ignores SIGTERM fails the check below instead of hanging.
rc=0
wait_bounded "$pid" $((deadline_s + 5)) || rc=$?
pid=""
elapsed_ms=$((($(date +%s%N) - signalled) / 1000000))
check "after SIGTERM the process exits 0 (got $rc)" [ "$rc" = 0 ]
within() { [ "$1" -ge "$2" ] && [ "$1" -lt "$3" ]; }
check "it exits after the drain delay and before the deadline (${elapsed_ms} ms; ${drain_s}-${deadline_s} s)" \
  within "$elapsed_ms" $((drain_s * 1000)) $((deadline_s * 1000))

if [ "$failures" -gt 0 ]; then
  echo "--- service log ---" >&2
  cat "$log" >&2
  die "arm64 smoke test: $failures check(s) failed"
fi
echo "arm64 smoke test passed under $(basename "$qemu")"
