#!/usr/bin/env bash
# verify-service.sh: https:// URLs against a real TLS server on 127.0.0.1 (a certificate
# made here, trusted with --ca-file), and http:// URLs handed to the verifier binary.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
verify=$SCRIPTS/verify-service.sh
python=${PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# A certificate for 127.0.0.1, and a server whose answers a file decides:
# "<health status> <version>", read on every request.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null
echo "200 1.2.3" >"$tmp/state"
cat >"$tmp/server.py" <<'PY'
import http.server, json, ssl, sys
state, cert, key, port_file = sys.argv[1:5]

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        health, version = open(state).read().split()
        if self.path == "/health":
            code, body = int(health), b"{}"
        elif self.path == "/info":
            code, body = 200, json.dumps({"version": version}).encode()
        else:
            code, body = 404, b"{}"
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
with open(port_file, "w") as f:
    f.write(str(server.server_address[1]))
server.serve_forever()
PY
"$python" "$tmp/server.py" "$tmp/state" "$tmp/cert.pem" "$tmp/key.pem" "$tmp/port" &
server_pid=$!
for _ in $(seq 1 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
[ -s "$tmp/port" ] || { fail "the TLS test server starts" "no port after 5 s"; finish; exit 1; }
url="https://127.0.0.1:$(cat "$tmp/port")"

expect_ok "https: N consecutive healthy answers with the expected version pass" \
  "$verify" --url "$url/" --expect-version 1.2.3 --consecutive 3 --interval-s 0 --deadline-s 10 --ca-file "$tmp/cert.pem"
if grep -q "verify: PASS $url/: 3 consecutive healthy answers, version 1.2.3" <<<"$out"; then
  pass "https: one PASS verdict line"
else
  fail "https: one PASS verdict line" "$out"
fi
expect_fail "https: another version fails at the deadline, saying which" 1 \
  "verify: FAIL .*last problem: /info reports version 1.2.3, expected 9.9.9" \
  "$verify" --url "$url" --expect-version 9.9.9 --interval-s 1 --deadline-s 2 --ca-file "$tmp/cert.pem"
echo "503 1.2.3" >"$tmp/state"
expect_fail "https: an unhealthy service fails" 1 "last problem: /health answered 503" \
  "$verify" --url "$url" --interval-s 1 --deadline-s 2 --ca-file "$tmp/cert.pem"
echo "200 1.2.3" >"$tmp/state"
expect_fail "https: a certificate nobody trusts fails (no --ca-file)" 1 "last problem: /health: curl: \([0-9]+\) .*certificate" \
  "$verify" --url "$url" --interval-s 1 --deadline-s 2
if grep -q "000$" <<<"$out"; then
  fail "https: curl's error is reported without the status it writes on failure (000)" "$out"
else
  pass "https: curl's error is reported without the status it writes on failure (000)"
fi
expect_fail "https: a refused connection fails with curl's reason" 1 \
  "last problem: /health: curl: \(7\) Failed to connect to 127\.0\.0\.1 port 1 " \
  "$verify" --url https://127.0.0.1:1 --interval-s 1 --deadline-s 2
refused='last problem: /health: curl: \(7\) Failed to connect to 127\.0\.0\.1 port 1 after [0-9]+ ms: [^0-9]+$'
if [[ $(tail -1 <<<"$out") =~ $refused ]]; then
  pass "https: the verdict line ends with curl's reason, on one line, with no 000"
else
  fail "https: the verdict line ends with curl's reason, on one line, with no 000" "$out"
fi

# http:// goes to the verifier binary (here one that records its arguments; the real
# binary's verify is tested with the service).
printf '#!/bin/sh\nprintf "%%s\\n" "$@" >"%s"\n' "$tmp/args" >"$tmp/verifier"
chmod +x "$tmp/verifier"
expect_ok "http: handed to the verifier" "$verify" --url http://127.0.0.1:9/ --expect-version 1.2.3 --verifier "$tmp/verifier"
expect_eq "http: the verifier gets the URL, the rules and the version" \
  "verify --url http://127.0.0.1:9/ --consecutive 5 --deadline-s 300 --interval-ms 2000 --expect-version 1.2.3" \
  "$(paste -sd ' ' "$tmp/args")"
expect_fail "http: without a verifier it is a usage error" 2 "--verifier \(the hello-service binary\) is required" \
  "$verify" --url http://127.0.0.1:9/
expect_fail "a URL of another scheme is a usage error" 2 "must start with http:// or https://" \
  "$verify" --url ftp://127.0.0.1/ --verifier "$tmp/verifier"

finish
