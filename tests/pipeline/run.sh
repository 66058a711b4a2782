#!/usr/bin/env bash
# Run the pipeline's test scripts and print one closing "N passed, M failed" line.
#   tests/pipeline/run.sh [TEST_SCRIPT...]   (default: all; test-moto.sh under with-moto)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
log=$(mktemp)
trap 'rm -f "$log"' EXIT

tests=("$@")
if [ "${#tests[@]}" -eq 0 ]; then
  tests=(test-render.sh test-version.sh test-verdict.sh test-verify.sh test-permissions.sh test-workflows.sh test-arm64-binary.sh test-moto.sh)
fi
status=0
for t in "${tests[@]}"; do
  echo "--- $t"
  start=$SECONDS
  if [ "$t" = test-moto.sh ]; then
    cmd=("$root/tools/with-moto" "$here/$t")
  else
    cmd=("$here/$t")
  fi
  if ! "${cmd[@]}" 2>&1 | grep -v -E '"(GET|POST) /' | tee -a "$log"; then
    status=1
  fi
  # A script that died before its last check must not pass silently.
  if [ "${PIPESTATUS[0]}" -ne 0 ]; then status=1; fi
  echo "--- $t: $((SECONDS - start)) s"
done
passed=$(grep -c '^PASS: ' "$log" || true)
failed=$(grep -c '^FAIL: ' "$log" || true)
echo "$passed passed, $failed failed"
if [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then status=1; fi
exit "$status"
