#!/usr/bin/env bash
# Run the pipeline's test scripts and print one closing "N passed, M failed" line.
#   tests/pipeline/run.sh [TEST_SCRIPT...]   (default: every tests/pipeline/test-*.sh)
# A test that reads MOTO_ENDPOINT runs under tools/with-moto (a fresh moto_server).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
log=$(mktemp)
trap 'rm -f "$log"' EXIT

tests=("$@")
if [ "${#tests[@]}" -eq 0 ]; then
  for path in "$here"/test-*.sh; do
    [ -e "$path" ] && tests+=("${path##*/}")
  done
fi
if [ "${#tests[@]}" -eq 0 ]; then
  echo "error: no test scripts (test-*.sh) in $here" >&2
  exit 1
fi
status=0
for t in "${tests[@]}"; do
  echo "--- $t"
  start=$SECONDS
  if grep -q 'MOTO_ENDPOINT' "$here/$t"; then
    cmd=("$root/tools/with-moto" "$here/$t")
  else
    cmd=("$here/$t")
  fi
  # With pipefail the pipeline fails when the script does, even if it printed only
  # PASS lines before it died.
  if ! "${cmd[@]}" 2>&1 | grep -v -E '"(GET|POST) /' | tee -a "$log"; then
    status=1
    echo "--- $t exited with an error"
  fi
  echo "--- $t: $((SECONDS - start)) s"
done
passed=$(grep -c '^PASS: ' "$log" || true)
failed=$(grep -c '^FAIL: ' "$log" || true)
echo "$passed passed, $failed failed"
if [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then status=1; fi
exit "$status"
