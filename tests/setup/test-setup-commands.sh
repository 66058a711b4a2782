#!/usr/bin/env bash
# The commands docs/SETUP.md shows, as far as they run without AWS or GitHub: checked
# against the repository (tests/setup/check-setup.py), and step 4's post-deploy check run
# for real, the binary SETUP names against that binary serving on 127.0.0.1 (the URL and
# the expected version are the only words changed).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

verify=$(/usr/bin/python3 tests/setup/check-setup.py "$root") || { echo "error: docs/SETUP.md disagrees with the repository (above)" >&2; exit 1; }
echo "==> SETUP.md: its outputs, files, engine wrapper, teardown and release tag agree with the repository"

binary=build/release/src/hello-service
if [ ! -x "$binary" ]; then
  echo "NOT RUN: step 4's check needs $binary (make build, or make test-service-release, builds it)" >&2
  exit 0
fi
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
PORT=$port DRAIN_DELAY_S=0 "$binary" serve >/dev/null 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT
version=$("$binary" version | awk '{ print $2 }')
# SETUP's command, with this server's URL and version.
command=${verify//\"\$(terraform output -raw alb_url)\"/http://127.0.0.1:$port}
command=${command//--expect-version 0.1.0/--expect-version $version}
[ "$command" != "$verify" ] || { echo "error: could not put the local URL into '$verify'" >&2; exit 1; }
read -r -a args <<<"$command"
"$binary" "${args[@]}"
echo "==> SETUP.md step 4: '$binary ${args[*]}' passes against a local server"
# And it can fail: another version is refused.
wrong=("${args[@]}")
for i in "${!wrong[@]}"; do
  case ${wrong[$i]} in --expect-version) wrong[i + 1]=0.0.0-not-deployed ;; --deadline-s) wrong[i + 1]=3 ;; esac
done
if "$binary" "${wrong[@]}" >/dev/null 2>&1; then
  echo "error: the step 4 check passed for a version the server does not run" >&2
  exit 1
fi
echo "==> SETUP.md step 4: the same check fails for a version the server does not run"
