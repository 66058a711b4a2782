#!/usr/bin/env bash
# The post-deploy check of a live service: N consecutive healthy answers (/health 200,
# /info 200 with the expected version) within a deadline.
#
#   verify-service.sh --url URL [--expect-version V] [--verifier PATH]
#                     [--consecutive N] [--deadline-s S] [--interval-s S]
#                     [--ca-file FILE] [--connect-to HOST[:PORT]]
#
# http:// URLs are checked by the shipped binary itself, `PATH verify` (--verifier, the
# hello-service binary taken out of the deployed image). That binary speaks no TLS (the
# image carries no CA certificates), and with a certificate the load balancer redirects
# HTTP to HTTPS, so https:// URLs are checked here with curl by the same rules:
# each round asks /health, then /info; any problem resets the streak.
#
# https:// only:
#   --ca-file FILE            trust the CAs in FILE (a certificate of your own; tests)
#                             instead of the system's;
#   --connect-to HOST[:PORT]  connect to HOST (a name or an address; PORT defaults to
#                             the URL's) instead of resolving the URL's host, while TLS
#                             still checks the certificate against the URL's host name
#                             and sends it as SNI and Host: to verify the service by
#                             its domain before (or without) the domain's DNS pointing at
#                             it, e.g. --url https://hello.example.com --connect-to
#                             my-alb-123.eu-west-1.elb.amazonaws.com.
# Exit 0 on success, 1 when the deadline passes, 2 on bad arguments.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

show_help() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }

url="" expected="" verifier="" consecutive=5 deadline_s=300 interval_s=2 ca_file="" connect_to=""
while [ "$#" -gt 0 ]; do
  case $1 in
    --url) url=$(option_value "$@"); shift 2 ;;
    --expect-version) expected=$(option_value "$@"); shift 2 ;;
    --verifier) verifier=$(option_value "$@"); shift 2 ;;
    --consecutive) consecutive=$(option_value "$@"); shift 2 ;;
    --deadline-s) deadline_s=$(option_value "$@"); shift 2 ;;
    --interval-s) interval_s=$(option_value "$@"); shift 2 ;;
    --ca-file) ca_file=$(option_value "$@"); shift 2 ;;
    --connect-to) connect_to=$(option_value "$@"); shift 2 ;;
    -h | --help) show_help; exit 0 ;;
    *) usage_error "unknown argument '$1'" ;;
  esac
done
[ -n "$url" ] || usage_error "--url is required"
is_positive_int "$consecutive" || usage_error "--consecutive must be a positive integer"
is_positive_int "$deadline_s" || usage_error "--deadline-s must be a positive integer"
[[ $interval_s =~ ^[0-9]+$ ]] || usage_error "--interval-s must be a whole number of seconds"

case $url in
  http://*)
    if [ -n "$connect_to" ] || [ -n "$ca_file" ]; then
      usage_error "--connect-to and --ca-file are for https:// URLs (the verifier binary connects to the URL's host)"
    fi
    [ -n "$verifier" ] || usage_error "--verifier (the hello-service binary) is required for http:// URLs"
    [ -x "$verifier" ] || die "verifier '$verifier' is not an executable"
    args=(verify --url "$url" --consecutive "$consecutive" --deadline-s "$deadline_s" --interval-ms "$((interval_s * 1000))")
    [ -z "$expected" ] || args+=(--expect-version "$expected")
    exec "$verifier" "${args[@]}"
    ;;
  https://*) ;;
  *) usage_error "--url '$url' must start with http:// or https://" ;;
esac

# https://HOST[:PORT][/...]; HOST a name, an IPv4 address or [an IPv6 address].
https_url='^https://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:([0-9]{1,5}))?(/.*)?$'
[[ $url =~ $https_url ]] || usage_error "--url '$url' is not https://HOST[:PORT][/PATH]"
url_host=${BASH_REMATCH[1]} url_port=${BASH_REMATCH[3]:-443}
require_commands curl jq
curl_args=(--silent --show-error --max-time 5 --proto "=https")
if [ -n "$ca_file" ]; then
  [ -r "$ca_file" ] || usage_error "--ca-file '$ca_file' not found"
  curl_args+=(--cacert "$ca_file")
fi
if [ -n "$connect_to" ]; then
  target='^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:([0-9]{1,5}))?$'
  [[ $connect_to =~ $target ]] || usage_error "--connect-to '$connect_to' is not HOST[:PORT]"
  # curl's --connect-to HOST1:PORT1:HOST2:PORT2: requests for the URL's host and port go
  # to the other address; the TLS name check and SNI still use the URL's host.
  curl_args+=(--connect-to "$url_host:$url_port:${BASH_REMATCH[1]}:${BASH_REMATCH[3]:-$url_port}")
fi
base=${url%/}
body=$(mktemp)
trap 'rm -f "$body" "$body.err"' EXIT

# curl_status URL OUT: the HTTP status of one GET (body into OUT) on stdout; on a failed
# request, curl's own error (stderr, one line) instead, and a non-zero return. (curl
# writes its --write-out even when the request fails: "000", which is not part of the
# reason.)
curl_status() {
  local status
  if status=$(curl "${curl_args[@]}" --output "$2" --write-out '%{http_code}' "$1" 2>"$body.err"); then
    printf '%s' "$status"
  else
    tr '\n' ' ' <"$body.err" | sed -e 's/[[:space:]]*$//'
    return 1
  fi
}

# One round; prints the problem, or nothing for a healthy round.
check_once() {
  local status version
  if ! status=$(curl_status "$base/health" /dev/null); then
    printf '/health: %s' "$status"
    return
  fi
  [ "$status" = 200 ] || { printf '/health answered %s' "$status"; return; }
  if ! status=$(curl_status "$base/info" "$body"); then
    printf '/info: %s' "$status"
    return
  fi
  [ "$status" = 200 ] || { printf '/info answered %s' "$status"; return; }
  version=$(jq -r 'if type == "object" and (.version | type) == "string" then .version else empty end' "$body" 2>/dev/null || true)
  [ -n "$version" ] || { printf '/info is not JSON with a version'; return; }
  if [ -n "$expected" ] && [ "$version" != "$expected" ]; then
    printf '/info reports version %s, expected %s' "$version" "$expected"
  fi
}

start=$SECONDS streak=0 best=0 attempts=0 last="no answer yet"
while :; do
  attempts=$((attempts + 1))
  problem=$(check_once)
  if [ -z "$problem" ]; then
    streak=$((streak + 1))
    [ "$streak" -le "$best" ] || best=$streak
    if [ "$streak" -ge "$consecutive" ]; then
      printf 'verify: PASS %s%s: %d consecutive healthy answers%s after %d s (%d attempts)\n' \
        "$url" "${connect_to:+ (connected to $connect_to)}" "$streak" "${expected:+, version $expected}" "$((SECONDS - start))" "$attempts"
      exit 0
    fi
  else
    if [ "$problem" != "$last" ] || [ "$streak" -gt 0 ]; then
      printf 'verify: attempt %d: %s\n' "$attempts" "$problem" >&2
    fi
    streak=0
    last=$problem
  fi
  if [ $((SECONDS - start + interval_s)) -ge "$deadline_s" ]; then
    break
  fi
  sleep "$interval_s"
done
printf 'verify: FAIL %s%s: no %d consecutive healthy answers within %d s (best streak %d, %d attempts); last problem: %s\n' \
  "$url" "${connect_to:+ (connected to $connect_to)}" "$consecutive" "$deadline_s" "$best" "$attempts" "$last"
exit 1
