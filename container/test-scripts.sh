#!/usr/bin/env bash
# The container scripts cannot hang or leak (part of `make test-image`, about 30 s):
#   - bounded, engine_bounded and wait_bounded (container/lib.sh) end what overruns, with
#     a message and exit 124;
#   - a temporary directory made with temp_dir is gone after a script fails under set -e;
#   - arm64-smoke.sh, given a "binary" that ignores SIGTERM (a stand-in run by a stand-in
#     qemu-aarch64-static on PATH), fails within its bound instead of waiting forever;
#   - test-image.sh runs, execs and stops containers only through a time bound, and
#     bench/image.sh stops its /health poller whatever ends it.
set -euo pipefail
# shellcheck source=container/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$HELLO_ROOT"
"$HELLO_ROOT/tools/ensure-packages" python3 curl binutils qemu-user-static

passed=0
failed=0
check() {  # check DESCRIPTION COMMAND...
  if "${@:2}"; then
    echo "ok: $1"
    passed=$((passed + 1))
  else
    echo "FAIL: $1" >&2
    failed=$((failed + 1))
  fi
}
trap remove_temps EXIT
temp_dir
work=$TEMP_DIR

# ---- the helpers -------------------------------------------------------------------------
start=$(date +%s)
rc=0
bounded 1 sleep 30 2>"$work/bounded.err" || rc=$?
took=$(($(date +%s) - start))
check "bounded 1 sleep 30 ends with 124 (got $rc) within 3 s (took $took s)" [ "$rc" = 124 ] && [ "$took" -le 3 ]
check "and says so on stderr" grep -q "did not finish within 1 s" "$work/bounded.err"
rc=0
bounded 5 sh -c 'exit 3' || rc=$?
check "bounded passes a command's own exit code on (3, got $rc)" [ "$rc" = 3 ]

bash -c 'trap "" TERM; touch "$0"; sleep 30' "$work/trapped" &
stubborn=$!
until [ -e "$work/trapped" ]; do sleep 0.05; done  # its trap is set
kill -TERM "$stubborn"
start=$(date +%s)
rc=0
wait_bounded "$stubborn" 1 2>"$work/wait.err" || rc=$?
took=$(($(date +%s) - start))
check "wait_bounded kills a child that ignores SIGTERM: 124 (got $rc) within 3 s (took $took s)" \
  [ "$rc" = 124 ] && [ "$took" -le 3 ]
check "and the child is gone" bash -c "! kill -0 $stubborn 2>/dev/null"
(exit 5) &
rc=0
wait_bounded $! 5 || rc=$?
check "wait_bounded passes an exited child's code on (5, got $rc)" [ "$rc" = 5 ]

cat >"$work/leaky.sh" <<'EOF'
set -euo pipefail
. "$1/container/lib.sh"
trap remove_temps EXIT
temp_dir
echo "$TEMP_DIR"
false
EOF
made=$(bash "$work/leaky.sh" "$HELLO_ROOT" || true)
check "a temp_dir is removed when its script fails under set -e ($made)" bash -c "[ -n '$made' ] && [ ! -e '$made' ]"

# ---- arm64-smoke.sh against a service that ignores SIGTERM --------------------------------
# The stand-in qemu runs a small Python service instead of the binary it is given: it
# answers /health, /ready and /info, and ignores SIGTERM.
mkdir -p "$work/bin"
cat >"$work/bin/qemu-aarch64-static" <<'EOF'
#!/usr/bin/env bash
case "${2:-}" in
  version) echo "hello-service 0.0.0-stubborn"; exit 0 ;;
  healthcheck) exit 0 ;;
esac
exec python3 -c '
import http.server, os, signal
signal.signal(signal.SIGTERM, signal.SIG_IGN)
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"{\"version\":\"0.0.0-stubborn\"}"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
'
EOF
chmod +x "$work/bin/qemu-aarch64-static"
printf 'not an elf\n' >"$work/stubborn"
chmod +x "$work/stubborn"
start=$(date +%s)
rc=0
PATH="$work/bin:$PATH" timeout 120 container/arm64-smoke.sh "$work/stubborn" >"$work/smoke.out" 2>&1 || rc=$?
took=$(($(date +%s) - start))
check "arm64-smoke.sh with a service that ignores SIGTERM fails (exit $rc, not 0 and not the 120 s timeout's 124)" \
  bash -c "[ $rc -ne 0 ] && [ $rc -ne 124 ]"
check "within its bound: the drain deadline + 5 s, plus start-up (took $took s, at most 40)" [ "$took" -le 40 ]
check "it says the process was killed after its bound" grep -q "still ran 15 s later: killed" "$work/smoke.out"

# ---- the scripts use the bounds ------------------------------------------------------------
unbounded=$(grep -nE '(^|[;&|(]|then|do)[[:space:]]*engine (run|exec|healthcheck|stop|start|wait)\b' \
  container/test-image.sh || true)
check "test-image.sh runs, execs and stops containers only with a bound (${unbounded:-none unbounded})" \
  [ -z "$unbounded" ]
bounds=$(grep -cE '(engine_bounded|timeout) ' container/test-image.sh)
check "and the bounds are there ($bounds uses of engine_bounded or timeout)" [ "$bounds" -ge 7 ]
bare_wait=$(grep -nE '^[[:space:]]*wait "?\$' container/arm64-smoke.sh || true)
check "arm64-smoke.sh waits for the service only with a bound (${bare_wait:-no bare wait})" [ -z "$bare_wait" ]
stray=$(grep -lE 'mktemp' container/*.sh bench/image.sh | grep -vE 'container/(lib|base-image|test-scripts)\.sh' || true)
check "temporary files come from temp_dir (mktemp elsewhere: ${stray:-none})" [ -z "$stray" ]
check "bench/image.sh's EXIT trap stops the /health poller" \
  bash -c "sed -n '/^cleanup() {/,/^}/p' bench/image.sh | grep -q 'kill \"\$poller\"'"

echo "test-scripts: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
