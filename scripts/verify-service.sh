#!/usr/bin/env bash
# The post-deploy check of a live service: N consecutive healthy rounds within a deadline.
#
#   verify-service.sh [verify] --url URL [--expect-version V] [--verifier PATH]
#                     [--health-path P] [--version-path P [--version-json-path JQ_PATH |
#                      --version-header NAME] | --health-only]
#                     [--consecutive N] [--deadline-s S] [--interval-s S | --interval-ms MS]
#                     [--ca-file FILE] [--connect-to HOST[:PORT]]
#   verify-service.sh --write-verifier FILE [the options that describe the service]
#
# A round: GET URL+--health-path (default /health) must answer 200; then, unless
# --version-path is empty, GET URL+--version-path (default /info) must answer 200 and
# carry a version: the value of --version-json-path in its JSON body (a jq path of object
# keys, default .version; a string or a number), or with --version-header the value of
# that response header. With --expect-version that version must be V; without it any
# version passes. Any problem resets the streak. With --version-path "" only health is
# checked, and --expect-version is refused (there would be nothing to compare).
# --health-only checks health only too, but accepts an --expect-version (and says it was
# not checked): for a written verifier, whose callers always pass the version they expect.
# The defaults are hello-service's own endpoints; the options describe any other image's.
#
# Who checks:
#   - --verifier PATH, the hello-service binary taken out of the deployed image, for an
#     http:// URL: `PATH verify` runs the same rounds itself (the binary speaks no TLS,
#     so an https:// URL is checked here, with curl, by the same rules);
#   - --verifier PATH, a file written by --write-verifier: it is run for any URL, and
#     checks the service with the paths and version source written into it;
#   - otherwise this script, with curl (http:// or https://).
# --write-verifier FILE writes an executable FILE that runs this script with the options
# that describe the service, and takes the rest (URL, version, rounds) from its caller:
# the deploy scripts take it where they take the hello-service binary (their --verifier),
# and run it the way they run that binary (`PATH verify --url ... --expect-version V`).
# The leading word `verify` is accepted for that reason.
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
# Each request is cut at 5 s. Exit 0 on success, 1 when the deadline passes, 2 on bad
# arguments.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/common.sh
source "$here/lib/common.sh"

show_help() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }

# The second line of a verifier this script writes, by which it is known again.
readonly WRITTEN_MARK="# verify-service.sh curl verifier"

url="" expected="" verifier="" consecutive=5 deadline_s=300 interval_ms=2000 ca_file="" connect_to=""
health_path=/health version_path=/info json_path=.version header="" health_only=false
version_path_given=false write_verifier=""
described=()
while [ "$#" -gt 0 ]; do
  case $1 in
    # The subcommand word of `hello-service verify`, wherever a written verifier puts it.
    verify) shift ;;
    --url) url=$(option_value "$@"); shift 2 ;;
    --expect-version) expected=$(option_value "$@"); shift 2 ;;
    --verifier) verifier=$(option_value "$@"); shift 2 ;;
    --health-path) health_path=$(option_value "$@"); described+=("$1" "$health_path"); shift 2 ;;
    # An empty --version-path is allowed: health only.
    --version-path) [ "$#" -ge 2 ] || usage_error "--version-path needs a value (\"\" for health only)"
      version_path=$2; version_path_given=true; described+=("$1" "$2"); shift 2 ;;
    --version-json-path) json_path=$(option_value "$@"); described+=("$1" "$json_path"); shift 2 ;;
    --version-header) header=$(option_value "$@"); described+=("$1" "$header"); shift 2 ;;
    --health-only) health_only=true; described+=("$1"); shift ;;
    --consecutive) consecutive=$(option_value "$@"); shift 2 ;;
    --deadline-s) deadline_s=$(option_value "$@"); shift 2 ;;
    --interval-ms) interval_ms=$(option_value "$@"); shift 2 ;;
    --interval-s) interval_s=$(option_value "$@")
      [[ $interval_s =~ ^[0-9]+$ ]] || usage_error "--interval-s must be a whole number of seconds"
      interval_ms=$((interval_s * 1000)); shift 2 ;;
    --ca-file) ca_file=$(option_value "$@"); shift 2 ;;
    --connect-to) connect_to=$(option_value "$@"); shift 2 ;;
    --write-verifier) write_verifier=$(option_value "$@"); shift 2 ;;
    -h | --help) show_help; exit 0 ;;
    *) usage_error "unknown argument '$1'" ;;
  esac
done

# --- what the service is: its paths and where its version is ----------------------------
path_ok() { [[ $1 =~ ^/[A-Za-z0-9._~!\$\&\'()*+,\;=:@%/?-]*$ ]]; }
path_ok "$health_path" || usage_error "--health-path '$health_path' is not an absolute URL path (/...)"
[ -z "$version_path" ] || path_ok "$version_path" || usage_error "--version-path '$version_path' is not an absolute URL path (/...), or \"\" for health only"
if [ -n "$header" ]; then
  [[ $header =~ ^[A-Za-z0-9!#\$%\&\'*+.^_\`|~-]+$ ]] || usage_error "--version-header '$header' is not a header name"
fi
[[ $json_path =~ ^(\.[A-Za-z_][A-Za-z0-9_]*)+$ ]] || usage_error "--version-json-path '$json_path' is not a path of object keys (.a.b)"
if [ "$health_only" = true ]; then
  [ "$version_path_given" = false ] || usage_error "--health-only and --version-path contradict each other"
  version_path=""
fi

if [ -n "$write_verifier" ]; then
  [ -z "$url" ] || usage_error "--write-verifier writes the service's settings only; the URL comes from the verifier's caller"
  [ -z "$verifier" ] || usage_error "--write-verifier and --verifier contradict each other"
  {
    printf '#!/usr/bin/env bash\n'
    printf '%s (written by verify-service.sh --write-verifier): this service'"'"'s health and version checks.\n' "$WRITTEN_MARK"
    printf 'exec %q' "$here/verify-service.sh"
    [ "${#described[@]}" -eq 0 ] || printf ' %q' "${described[@]}"
    printf ' "$@"\n'
  } >"$write_verifier"
  chmod 0755 "$write_verifier"
  log "verifier written to $write_verifier: $here/verify-service.sh ${described[*]:-(the defaults)}"
  exit 0
fi

# --- the round's settings ----------------------------------------------------------------
[ -n "$url" ] || usage_error "--url is required"
is_positive_int "$consecutive" || usage_error "--consecutive must be a positive integer"
is_positive_int "$deadline_s" || usage_error "--deadline-s must be a positive integer"
[[ $interval_ms =~ ^[0-9]+$ ]] || usage_error "--interval-ms must be a whole number of milliseconds"
case $url in
  http://?* | https://?*) ;;
  *) usage_error "--url '$url' must start with http:// or https://" ;;
esac
url_re='^(https?)://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:([0-9]{1,5}))?(/.*)?$'
[[ $url =~ $url_re ]] || usage_error "--url '$url' is not http(s)://HOST[:PORT][/PATH]"
scheme=${BASH_REMATCH[1]} url_host=${BASH_REMATCH[2]} url_port=${BASH_REMATCH[4]}
[ -n "$url_port" ] || url_port=$([ "$scheme" = https ] && echo 443 || echo 80)
if [ "$scheme" = http ] && { [ -n "$ca_file" ] || [ -n "$connect_to" ]; }; then
  usage_error "--connect-to and --ca-file are for https:// URLs (over http:// the check connects to the URL's host)"
fi
if [ -n "$ca_file" ] && ! [ -r "$ca_file" ]; then usage_error "--ca-file '$ca_file' not found"; fi
if [ -n "$connect_to" ]; then
  target='^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:([0-9]{1,5}))?$'
  [[ $connect_to =~ $target ]] || usage_error "--connect-to '$connect_to' is not HOST[:PORT]"
  connect_host=${BASH_REMATCH[1]} connect_port=${BASH_REMATCH[3]:-$url_port}
fi

# --- who checks --------------------------------------------------------------------------
round_args=(--url "$url" --consecutive "$consecutive" --deadline-s "$deadline_s" --interval-ms "$interval_ms")
[ -z "$expected" ] || round_args+=(--expect-version "$expected")
if [ -n "$verifier" ]; then
  { [ -x "$verifier" ] && [ -f "$verifier" ]; } || die "verifier '$verifier' is not an executable"
  if [ "$(LC_ALL=C head -c 4096 "$verifier" | sed -n 2p | cut -c1-${#WRITTEN_MARK})" = "$WRITTEN_MARK" ]; then
    [ "${#described[@]}" -eq 0 ] ||
      usage_error "${described[0]}: the service's checks are written in the verifier '$verifier'; give one or the other"
    [ -z "$ca_file" ] || round_args+=(--ca-file "$ca_file")
    [ -z "$connect_to" ] || round_args+=(--connect-to "$connect_to")
    exec "$verifier" verify "${round_args[@]}"
  fi
  # The hello-service binary: it checks its own /health and /info.
  [ "${#described[@]}" -eq 0 ] ||
    usage_error "${described[0]} describes another service; the hello-service verifier checks /health and /info (leave --verifier out to check with curl)"
  if [ "$scheme" = http ]; then
    exec "$verifier" verify "${round_args[@]}"
  fi
fi

# --- this script, with curl --------------------------------------------------------------
if [ "$health_only" = true ] && [ -n "$expected" ]; then
  log "health only: version $expected is not checked (this service has no version to compare)"
  expected=""
elif [ -n "$expected" ] && [ -z "$version_path" ]; then
  usage_error "--expect-version needs a version to compare: give --version-path (it is \"\", health only)"
fi
require_commands curl jq
curl_args=(--silent --show-error --max-time 5 --proto "=$scheme")
[ -z "$ca_file" ] || curl_args+=(--cacert "$ca_file")
# curl's --connect-to HOST1:PORT1:HOST2:PORT2: requests for the URL's host and port go to
# the other address; the TLS name check and SNI still use the URL's host.
[ -z "$connect_to" ] || curl_args+=(--connect-to "$url_host:$url_port:$connect_host:$connect_port")
base=${url%/}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# get PATH: the status of one GET (body to $tmp/body, headers to $tmp/headers) on stdout;
# on a failed request, curl's own error on one line instead, and a non-zero return. (curl
# writes its --write-out even when the request fails: "000", which is not part of the
# reason.)
get() {
  local status
  if status=$(curl "${curl_args[@]}" --dump-header "$tmp/headers" --output "$tmp/body" \
    --write-out '%{http_code}' "$base$1" 2>"$tmp/err"); then
    printf '%s' "$status"
  else
    tr '\n' ' ' <"$tmp/err" | sed -e 's/[[:space:]]*$//'
    return 1
  fi
}

# One round; prints the problem, or nothing for a healthy round.
check_once() {
  local status version
  if ! status=$(get "$health_path"); then
    printf '%s: %s' "$health_path" "$status"
    return
  fi
  [ "$status" = 200 ] || { printf '%s answered %s' "$health_path" "$status"; return; }
  [ -n "$version_path" ] || return 0
  if ! status=$(get "$version_path"); then
    printf '%s: %s' "$version_path" "$status"
    return
  fi
  [ "$status" = 200 ] || { printf '%s answered %s' "$version_path" "$status"; return; }
  if [ -n "$header" ]; then
    # The last response's headers (after any 1xx); names are case-insensitive.
    version=$(tr -d '\r' <"$tmp/headers" | awk -v name="$header" '
      /^HTTP\// { value = "" }
      { split($0, kv, ":") }
      tolower(kv[1]) == tolower(name) { sub(/^[^:]*:[ \t]*/, ""); sub(/[ \t]+$/, ""); value = $0 }
      END { printf "%s", value }')
    [ -n "$version" ] || { printf '%s has no %s header' "$version_path" "$header"; return; }
  else
    version=$(jq -r "if type == \"object\" then ($json_path | if type == \"string\" or type == \"number\" then tostring else empty end) else empty end" \
      "$tmp/body" 2>/dev/null || true)
    [ -n "$version" ] || { printf '%s is not JSON with a version at %s' "$version_path" "$json_path"; return; }
  fi
  if [ -n "$expected" ] && [ "$version" != "$expected" ]; then
    printf '%s reports version %s, expected %s' "$version_path" "$version" "$expected"
  fi
}

interval_s=$(awk -v ms="$interval_ms" 'BEGIN { printf "%.3f", ms / 1000 }')
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
  if [ $(((SECONDS - start) * 1000 + interval_ms)) -ge $((deadline_s * 1000)) ]; then
    break
  fi
  sleep "$interval_s"
done
printf 'verify: FAIL %s%s: no %d consecutive healthy answers within %d s (best streak %d, %d attempts); last problem: %s\n' \
  "$url" "${connect_to:+ (connected to $connect_to)}" "$consecutive" "$deadline_s" "$best" "$attempts" "$last"
exit 1
