#!/usr/bin/env bash
# verify-service.sh's curl check, for images without the hello-service binary, against a
# real HTTP server on 127.0.0.1 whose answers a file decides: health path and status,
# version in a JSON body at a nested path or in a response header. And the same check
# standing in for the hello-service binary: deploy.sh, codedeploy-deploy.sh and
# rollback.sh hand a URL to `verify-service.sh --verifier PATH`, so the file
# --write-verifier writes is run exactly that way here. (Over https://, with HAProxy
# terminating TLS: test-verify.sh.)
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
check=$SCRIPTS/verify-service.sh
python=${PYTHON:-/usr/bin/python3}
"$REPO_ROOT/tools/ensure-packages" curl jq
tmp=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# The service: /healthz answers the status in the state file; /version answers
# {"build": {"version": V}} and the header X-App-Version: V; anything else 404.
echo "200 2.4.0" >"$tmp/state"
cat >"$tmp/server.py" <<'PY'
import http.server, json, sys
state, port_file = sys.argv[1:3]

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with open(state) as f:
            health, version = f.read().split()
        headers = {}
        if self.path == "/healthz":
            code, body = int(health), b"ok"
        elif self.path == "/version":
            code, body = 200, json.dumps({"build": {"version": version}}).encode()
            headers["X-App-Version"] = version
        elif self.path == "/flaky":
            Handler.flaky = not getattr(Handler, "flaky", False)
            code, body = (200 if Handler.flaky else 503), b"{}"
        elif self.path == "/plain":
            code, body = 200, b"not json"
        else:
            code, body = 404, b"{}"
        self.send_response(code)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(port_file, "w") as f:
    f.write(str(server.server_address[1]))
server.serve_forever()
PY
"$python" "$tmp/server.py" "$tmp/state" "$tmp/port" &
server_pid=$!
for _ in $(seq 1 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
[ -s "$tmp/port" ] || { fail "the test server starts" "no port after 10 s"; finish; exit 1; }
url=http://127.0.0.1:$(cat "$tmp/port")
fast=(--consecutive 3 --interval-ms 100)
svc=(--health-path /healthz --version-path /version)

expect_ok "http: health and a version at a nested JSON path pass" \
  "$check" --url "$url" "${svc[@]}" --version-json-path .build.version --expect-version 2.4.0 "${fast[@]}" --deadline-s 5
expect_ok "http: a version in a response header (any case) passes" \
  "$check" --url "$url" "${svc[@]}" --version-header x-app-version --expect-version 2.4.0 "${fast[@]}" --deadline-s 5
expect_ok "http: health only (--version-path \"\") passes" \
  "$check" --url "$url" --health-path /healthz --version-path "" "${fast[@]}" --deadline-s 5
expect_fail "http: another version fails, naming both" 1 "/version reports version 2.4.0, expected 2.5.0" \
  "$check" --url "$url" "${svc[@]}" --version-json-path .build.version --expect-version 2.5.0 "${fast[@]}" --deadline-s 2
expect_fail "http: the default JSON path (.version) not in the body fails" 1 "/version is not JSON with a version at .version" \
  "$check" --url "$url" "${svc[@]}" --expect-version 2.4.0 "${fast[@]}" --deadline-s 2
expect_fail "http: a missing header fails" 1 "/version has no X-Build header" \
  "$check" --url "$url" "${svc[@]}" --version-header X-Build "${fast[@]}" --deadline-s 2
expect_fail "http: a body that is not JSON fails" 1 "/plain is not JSON with a version" \
  "$check" --url "$url" --health-path /healthz --version-path /plain "${fast[@]}" --deadline-s 2
expect_fail "http: the default health path (/health) answering 404 fails" 1 "/health answered 404" \
  "$check" --url "$url" --version-path "" "${fast[@]}" --deadline-s 2
echo "503 2.4.0" >"$tmp/state"
expect_fail "http: an unhealthy service fails within the deadline" 1 "FAIL .*last problem: /healthz answered 503" \
  "$check" --url "$url" "${svc[@]}" --version-json-path .build.version "${fast[@]}" --deadline-s 2
echo "200 2.4.0" >"$tmp/state"
expect_fail "http: nothing listening fails with curl's reason" 1 "/healthz: curl: \(7\)" \
  "$check" --url "http://127.0.0.1:1" --health-path /healthz "${fast[@]}" --deadline-s 1

# A streak, not single answers: /flaky answers 200 and 503 in turn.
expect_fail "http: healthy answers that are not in a row do not pass (best streak 1 of 3)" 1 "best streak 1, " \
  "$check" --url "$url" --health-path /flaky --version-path "" "${fast[@]}" --deadline-s 2

expect_ok "http: --health-only accepts the version a caller expects, and says it is not checked" \
  "$check" verify --url "$url" --health-path /healthz --health-only --expect-version 7.7.7 "${fast[@]}" --deadline-s 5
if grep -q "version 7.7.7 is not checked" <<<"$out" && ! grep -q "version 7.7.7$" <<<"$out"; then
  pass "http: --health-only: the PASS line claims no version"
else
  fail "http: --health-only: the PASS line claims no version" "$out"
fi
expect_fail "http: --health-only with a --version-path is refused" 2 "contradict each other" \
  "$check" --url "$url" --health-only --version-path /version

# Bad arguments.
expect_fail "http: --expect-version with health only is refused" 2 "needs a version to compare" \
  "$check" --url "$url" --version-path "" --expect-version 1.0.0
expect_fail "http: a JSON path that is not .a.b is refused" 2 "is not a path of object keys" \
  "$check" --url "$url" --version-json-path '.build | env'
expect_fail "http: a relative health path is refused" 2 "is not an absolute URL path" \
  "$check" --url "$url" --health-path healthz
expect_fail "http: --connect-to on http:// is refused" 2 "are for https:// URLs" \
  "$check" --url "$url" --connect-to 127.0.0.1
expect_fail "http: a URL without a scheme is refused" 2 "must start with http:// or https://" \
  "$check" --url "127.0.0.1:80"

# The written verifier, where the deploy scripts put the hello-service binary: run by
# verify-service.sh (exactly as deploy.sh and rollback.sh run it).
expect_ok "verifier: --write-verifier writes the service's checks" \
  "$check" --write-verifier "$tmp/verifier" "${svc[@]}" --version-header X-App-Version
if [ -x "$tmp/verifier" ]; then pass "verifier: the file is executable"; else fail "verifier: the file is executable"; fi
expect_ok "verifier: verify-service.sh --verifier <written file> passes the service at its version" \
  "$SCRIPTS/verify-service.sh" --verifier "$tmp/verifier" --url "$url" --expect-version 2.4.0 \
  --consecutive 3 --interval-s 0 --deadline-s 5
if grep -q "verify: PASS $url: 3 consecutive healthy answers, version 2.4.0" <<<"$out"; then
  pass "verifier: it answered as the binary does (PASS line)"
else
  fail "verifier: it answered as the binary does (PASS line)" "$out"
fi
expect_fail "verifier: and fails it at another version" 1 "/version reports version 2.4.0, expected 9.9.9" \
  "$SCRIPTS/verify-service.sh" --verifier "$tmp/verifier" --url "$url" --expect-version 9.9.9 \
  --consecutive 3 --interval-s 0 --deadline-s 2
expect_fail "verifier: the service's paths given beside a written verifier are refused (one or the other)" 2 \
  "the service's checks are written in the verifier" \
  "$SCRIPTS/verify-service.sh" --verifier "$tmp/verifier" --url "$url" --health-path /other
expect_fail "the hello-service binary with another service's paths is refused" 2 \
  "--health-path describes another service; the hello-service verifier checks /health and /info" \
  "$check" --verifier /bin/true --url "$url" --health-path /healthz
expect_fail "verifier: --write-verifier with a URL is refused (the caller gives it)" 2 "the URL comes from the verifier's caller" \
  "$check" --write-verifier "$tmp/other" --url "$url"
expect_fail "verifier: a path with a space is refused, never written into the file" 2 "is not an absolute URL path" \
  "$check" --write-verifier "$tmp/spaced" --health-path "/health check;rm"
if [ -e "$tmp/spaced" ]; then fail "verifier: no file written for a refused path"; else pass "verifier: no file written for a refused path"; fi

finish
