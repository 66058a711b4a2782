#!/usr/bin/env bash
# verify-service.sh: https:// URLs against a real TLS server on 127.0.0.1 (hello-service's
# endpoints, and another service's through a written curl verifier), and http:// URLs
# handed to the verifier binary.
#
# The TLS server is HAProxy (Debian's), as the ALB terminating TLS in front of the
# service: its certificate is made here by a CA made here, for the name
# service.example.test, not for the address it listens on. So a check by that name
# must connect elsewhere (--connect-to 127.0.0.1, as a check of the user's domain
# connects to the load balancer before DNS points at it), and a check by the bare
# address must fail on the name.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
verify=$SCRIPTS/verify-service.sh
python=${PYTHON:-/usr/bin/python3}
"$REPO_ROOT/tools/ensure-packages" haproxy openssl curl jq
tmp=$(mktemp -d)
backend_pid="" haproxy_pid=""
cleanup() {
  local pid
  for pid in "$haproxy_pid" "$backend_pid"; do
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
name=service.example.test

# A CA, and a server certificate it signed for $name only.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=hello-service test CA" \
  -keyout "$tmp/ca-key.pem" -out "$tmp/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=$name" -keyout "$tmp/server-key.pem" -out "$tmp/server.csr" 2>/dev/null
printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\n' "$name" >"$tmp/server.ext"
openssl x509 -req -in "$tmp/server.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca-key.pem" -CAcreateserial -days 1 \
  -extfile "$tmp/server.ext" -out "$tmp/server.pem" 2>/dev/null
cat "$tmp/server.pem" "$tmp/server-key.pem" >"$tmp/haproxy.pem"

# The service behind it: plain HTTP whose answers a file decides, "<health status>
# <version>", read on every request; it records the Host and SNI HAProxy saw. It also
# answers as another service would: /healthz always 200, /version with the version in
# the X-App-Version header.
echo "200 1.2.3" >"$tmp/state"
cat >"$tmp/backend.py" <<'PY'
import http.server, json, sys
state, seen, port_file = sys.argv[1:4]

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with open(state) as f:
            health, version = f.read().split()
        with open(seen, "w") as f:
            f.write(f"{self.headers.get('Host')} {self.headers.get('X-Tls-Sni')}\n")
        headers = {}
        if self.path == "/health":
            code, body = int(health), b"{}"
        elif self.path == "/info":
            code, body = 200, json.dumps({"version": version}).encode()
        # Another service's endpoints: always healthy, the version in a header.
        elif self.path == "/healthz":
            code, body = 200, b"ok"
        elif self.path == "/version":
            code, body = 200, b"{}"
            headers["X-App-Version"] = version
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
"$python" "$tmp/backend.py" "$tmp/state" "$tmp/seen" "$tmp/backend-port" &
backend_pid=$!
for _ in $(seq 1 100); do [ -s "$tmp/backend-port" ] && break; sleep 0.1; done
[ -s "$tmp/backend-port" ] || { fail "the backend starts" "no port after 10 s"; finish; exit 1; }

# HAProxy on a free loopback port (chosen, then bound: tried again if taken meanwhile).
for _ in 1 2 3; do
  port=$("$python" "$REPO_ROOT/bench/benchlib.py" free-port)
  cat >"$tmp/haproxy.cfg" <<CFG
global
  maxconn 100
defaults
  mode http
  timeout connect 2s
  timeout client 10s
  timeout server 10s
frontend tls
  bind 127.0.0.1:$port ssl crt $tmp/haproxy.pem
  http-request set-header X-Tls-Sni %[ssl_fc_sni]
  default_backend service
backend service
  server service 127.0.0.1:$(cat "$tmp/backend-port")
CFG
  haproxy -db -f "$tmp/haproxy.cfg" >"$tmp/haproxy.log" 2>&1 &
  haproxy_pid=$!
  for _ in $(seq 1 50); do
    if curl -s -o /dev/null --max-time 1 --cacert "$tmp/ca.pem" --connect-to "$name:$port:127.0.0.1:$port" "https://$name:$port/health"; then
      break 2
    fi
    kill -0 "$haproxy_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill "$haproxy_pid" 2>/dev/null || true
  wait "$haproxy_pid" 2>/dev/null || true
  haproxy_pid=""
done
[ -n "$haproxy_pid" ] || { fail "HAProxy starts with TLS on 127.0.0.1" "$(cat "$tmp/haproxy.log")"; finish; exit 1; }
url="https://$name:$port"
direct=(--connect-to 127.0.0.1 --ca-file "$tmp/ca.pem")

# --- verification by the certificate's name, connecting to the address -----------------
rm -f "$tmp/seen"
expect_ok "https by name: N consecutive healthy answers with the expected version pass" \
  "$verify" --url "$url/" --expect-version 1.2.3 --consecutive 3 --interval-s 0 --deadline-s 10 "${direct[@]}"
if grep -q "verify: PASS $url/ (connected to 127.0.0.1): 3 consecutive healthy answers, version 1.2.3" <<<"$out"; then
  pass "https by name: one PASS verdict line, saying where it connected"
else
  fail "https by name: one PASS verdict line, saying where it connected" "$out"
fi
expect_eq "https by name: the name went out as SNI and Host" "$name:$port $name" "$(cat "$tmp/seen")"
expect_fail "https by the bare address: fails on the name (the certificate is for $name)" 1 \
  "last problem: /health: curl: \(60\) SSL: no alternative certificate subject name matches target host name '127.0.0.1'" \
  "$verify" --url "https://127.0.0.1:$port" --interval-s 1 --deadline-s 2 --ca-file "$tmp/ca.pem"
expect_fail "https by name without --connect-to: the name does not resolve here" 1 \
  "last problem: /health: curl: \(6\) Could not resolve host: $name" \
  "$verify" --url "$url" --interval-s 1 --deadline-s 2 --ca-file "$tmp/ca.pem"
expect_ok "https by name on the default port: --connect-to HOST:PORT gives the port" \
  "$verify" --url "https://$name" --consecutive 2 --interval-s 0 --deadline-s 10 --connect-to "127.0.0.1:$port" --ca-file "$tmp/ca.pem"
expect_fail "--connect-to must be HOST[:PORT]" 2 "--connect-to 'a b' is not HOST\[:PORT\]" \
  "$verify" --url "$url" --connect-to "a b"
expect_fail "--connect-to is for https:// URLs" 2 "--connect-to and --ca-file are for https:// URLs" \
  "$verify" --url http://127.0.0.1:9/ --verifier /bin/true --connect-to 127.0.0.1

# --- the same rules as the verifier binary -----------------------------------------------
expect_fail "https: another version fails at the deadline, saying which" 1 \
  "verify: FAIL .*last problem: /info reports version 1.2.3, expected 9.9.9" \
  "$verify" --url "$url" --expect-version 9.9.9 --interval-s 1 --deadline-s 2 "${direct[@]}"
echo "503 1.2.3" >"$tmp/state"
expect_fail "https: an unhealthy service fails" 1 "last problem: /health answered 503" \
  "$verify" --url "$url" --interval-s 1 --deadline-s 2 "${direct[@]}"
echo "200 1.2.3" >"$tmp/state"
expect_fail "https: a certificate nobody trusts fails (no --ca-file)" 1 "last problem: /health: curl: \([0-9]+\) .*certificate" \
  "$verify" --url "$url" --interval-s 1 --deadline-s 2 --connect-to 127.0.0.1
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
expect_fail "http: without a verifier, curl checks it (nothing listens on port 9)" 1 \
  "last problem: /health: curl: \(7\) Failed to connect to 127\.0\.0\.1 port 9" \
  "$verify" --url http://127.0.0.1:9/ --interval-s 1 --deadline-s 2

# --- an image that is not ours, over https:// ---------------------------------------------
# Its own paths, written into a curl verifier (what the deploy job writes for
# `verifier: curl`), and verify-service.sh handed that verifier and an https:// URL, as
# deploy.sh hands it the test listener and rollback.sh the service's URL. /health answers
# 503 meanwhile: a check of hello-service's own endpoints would fail.
"$verify" --write-verifier "$tmp/curl-verifier" --health-path /healthz --version-path /version \
  --version-header X-App-Version 2>/dev/null
echo "503 2.0.1" >"$tmp/state"
expect_ok "https, another service: the written verifier checks its own paths over TLS" \
  "$verify" --verifier "$tmp/curl-verifier" --url "$url" --expect-version 2.0.1 --consecutive 2 --interval-s 0 \
  --deadline-s 10 "${direct[@]}"
if grep -q "verify: PASS $url (connected to 127.0.0.1): 2 consecutive healthy answers, version 2.0.1" <<<"$out"; then
  pass "https, another service: its PASS line, connected where it was told"
else
  fail "https, another service: its PASS line, connected where it was told" "$out"
fi
expect_fail "https, another service: another version in its header fails" 1 \
  "last problem: /version reports version 2.0.1, expected 2.0.2" \
  "$verify" --verifier "$tmp/curl-verifier" --url "$url" --expect-version 2.0.2 --interval-s 1 --deadline-s 2 "${direct[@]}"
expect_ok "https, another service: the same check by options, without a written verifier" \
  "$verify" --url "$url" --health-path /healthz --version-path /version --version-header X-App-Version \
  --expect-version 2.0.1 --consecutive 2 --interval-s 0 --deadline-s 10 "${direct[@]}"
echo "200 1.2.3" >"$tmp/state"
expect_fail "a URL of another scheme is a usage error" 2 "must start with http:// or https://" \
  "$verify" --url ftp://127.0.0.1/ --verifier "$tmp/verifier"

finish
