#!/usr/bin/env bash
# The README's first command, for real: `make run` on a free port answers /health, and
# Ctrl-C (SIGINT) stops it cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
log=$(mktemp)
trap 'rm -f "$log"' EXIT
setsid make --no-print-directory run PORT="$port" >"$log" 2>&1 &
pid=$!

ok=""
for _ in $(seq 1 200); do
  if curl -fsS -o /dev/null "http://127.0.0.1:$port/health" 2>/dev/null; then
    ok=yes
    break
  fi
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$ok" ]; then
  echo "FAIL: make run did not serve /health on port $port; its output:" >&2
  cat "$log" >&2
  kill -- "-$pid" 2>/dev/null || true
  exit 1
fi
body=$(curl -fsS "http://127.0.0.1:$port/")
case "$body" in
  *'"message":"Hello, World!"'*) ;;
  *) echo "FAIL: GET / answered: $body" >&2; exit 1 ;;
esac
# Ctrl-C at a terminal signals the whole process group.
kill -INT -- "-$pid"
rc=0
wait "$pid" || rc=$?
if [ "$rc" -ne 0 ]; then
  echo "FAIL: make run exited $rc after SIGINT; its output:" >&2
  cat "$log" >&2
  exit 1
fi
echo "ok: make run served / and /health on port $port and stopped cleanly on SIGINT"
