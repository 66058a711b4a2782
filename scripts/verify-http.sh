#!/usr/bin/env bash
# The post-deploy check of any service over HTTP or HTTPS, with curl: N consecutive healthy
# rounds within a deadline, for images that do not carry the hello-service binary (whose
# `verify` subcommand is this check for our own image).
#
#   verify-http.sh [verify] --url URL [--health-path P] [--version-path P
#                  [--version-json-path JQ_PATH | --version-header NAME] | --health-only]
#                  [--expect-version V]
#                  [--consecutive N] [--deadline-s S] [--interval-ms MS | --interval-s S]
#                  [--ca-file FILE] [--connect-to HOST[:PORT]]
#   verify-http.sh --write-verifier FILE [the options that describe the service]
#
# A round: GET URL+--health-path (default /health) must answer 200; then, unless
# --version-path is empty, GET URL+--version-path (default /info) must answer 200 and
# carry a version: the value of --version-json-path in its JSON body (a jq path, default
# .version; a string or a number), or with --version-header the value of that response
# header. With --expect-version that version must be V; without it any version passes.
# Any problem resets the streak. With --version-path "" only health is checked, and
# --expect-version is refused (there would be nothing to compare). --health-only checks
# health only too, but accepts an --expect-version (and says it was not checked): for a
# written verifier, whose callers always pass the version they expect.
#
# The leading word `verify` and the options --url, --expect-version, --consecutive,
# --deadline-s and --interval-ms are those of `hello-service verify`, so this script can
# stand where the deploy scripts expect that binary (their --verifier). The paths and the
# version's source are the service's own: --write-verifier FILE writes an executable FILE
# that runs this script with them, and takes the rest from its caller.
#
# https:// only: --ca-file trusts the CAs in FILE instead of the system's; --connect-to
# connects to HOST (PORT defaults to the URL's) while TLS still checks the URL's host name.
# Each request is cut at 5 s. Exit 0 on success, 1 when the deadline passes, 2 on bad
# arguments.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/common.sh
source "$here/lib/common.sh"

show_help() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }

url="" health_path=/health version_path=/info json_path=.version header="" expected="" consecutive=5
deadline_s=300 interval_ms=2000 ca_file="" connect_to="" write_verifier="" health_only=false version_path_given=false
described=()
while [ "$#" -gt 0 ]; do
  case $1 in
    # The subcommand word of `hello-service verify`, wherever a written verifier puts it.
    verify) shift ;;
    --url) url=$(option_value "$@"); shift 2 ;;
    --health-path) health_path=$(option_value "$@"); described+=("$1" "$health_path"); shift 2 ;;
    # An empty --version-path is allowed: health only.
    --version-path) [ "$#" -ge 2 ] || usage_error "--version-path needs a value (\"\" for health only)"
      version_path=$2; version_path_given=true; described+=("$1" "$2"); shift 2 ;;
    --version-json-path) json_path=$(option_value "$@"); described+=("$1" "$json_path"); shift 2 ;;
    --version-header) header=$(option_value "$@"); described+=("$1" "$header"); shift 2 ;;
    --health-only) health_only=true; described+=("$1"); shift ;;
    --expect-version) expected=$(option_value "$@"); shift 2 ;;
    --consecutive) consecutive=$(option_value "$@"); shift 2 ;;
    --deadline-s) deadline_s=$(option_value "$@"); shift 2 ;;
    --interval-ms) interval_ms=$(option_value "$@"); shift 2 ;;
    --interval-s) interval_ms=$(($(option_value "$@") * 1000)); shift 2 ;;
    --ca-file) ca_file=$(option_value "$@"); described+=("$1" "$ca_file"); shift 2 ;;
    --connect-to) connect_to=$(option_value "$@"); described+=("$1" "$connect_to"); shift 2 ;;
    --write-verifier) write_verifier=$(option_value "$@"); shift 2 ;;
    -h | --help) show_help; exit 0 ;;
    *) usage_error "unknown argument '$1'" ;;
  esac
done

path_ok() { [[ $1 =~ ^/[A-Za-z0-9._~!\$\&\'()*+,\;=:@%/?-]*$ ]]; }
path_ok "$health_path" || usage_error "--health-path '$health_path' is not an absolute URL path (/...)"
[ -z "$version_path" ] || path_ok "$version_path" || usage_error "--version-path '$version_path' is not an absolute URL path (/...), or \"\" for health only"
if [ -n "$header" ]; then
  [[ $header =~ ^[A-Za-z0-9!#\$%\&\'*+.^_\`|~-]+$ ]] || usage_error "--version-header '$header' is not a header name"
fi
require_commands curl jq
[[ $json_path =~ ^(\.[A-Za-z_][A-Za-z0-9_]*)+$ ]] || usage_error "--version-json-path '$json_path' is not a path of object keys (.a.b)"
if [ "$health_only" = true ]; then
  [ "$version_path_given" = false ] || usage_error "--health-only and --version-path contradict each other"
  version_path=""
  if [ -n "$expected" ]; then
    log "health only: version $expected is not checked (this service has no version to compare)"
    expected=""
  fi
elif [ -n "$expected" ] && [ -z "$version_path" ]; then
  usage_error "--expect-version needs a version to compare: give --version-path (it is \"\", health only)"
fi
if [ -n "$ca_file" ] && ! [ -r "$ca_file" ]; then usage_error "--ca-file '$ca_file' not found"; fi

if [ -n "$write_verifier" ]; then
  [ -z "$url" ] || usage_error "--write-verifier writes the service's settings only; the URL comes from the verifier's caller"
  {
    printf '#!/usr/bin/env bash\n'
    printf '# Written by verify-http.sh --write-verifier: this service'"'"'s health and version checks.\n'
    printf 'exec %q' "$here/verify-http.sh"
    [ "${#described[@]}" -eq 0 ] || printf ' %q' "${described[@]}"
    printf ' "$@"\n'
  } >"$write_verifier"
  chmod 0755 "$write_verifier"
  log "verifier written to $write_verifier: $here/verify-http.sh ${described[*]:-(the defaults)}"
  exit 0
fi

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

curl_args=(--silent --show-error --max-time 5 --proto "=$scheme")
if [ "$scheme" = http ] && { [ -n "$ca_file" ] || [ -n "$connect_to" ]; }; then
  usage_error "--ca-file and --connect-to are for https:// URLs"
fi
[ -z "$ca_file" ] || curl_args+=(--cacert "$ca_file")
if [ -n "$connect_to" ]; then
  target='^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:([0-9]{1,5}))?$'
  [[ $connect_to =~ $target ]] || usage_error "--connect-to '$connect_to' is not HOST[:PORT]"
  curl_args+=(--connect-to "$url_host:$url_port:${BASH_REMATCH[1]}:${BASH_REMATCH[3]:-$url_port}")
fi
base=${url%/}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# get PATH: the status of one GET (body to $tmp/body, headers to $tmp/headers) on stdout;
# on a failed request, curl's own error on one line instead, and a non-zero return.
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
