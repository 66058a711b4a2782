#!/usr/bin/env bash
# Run the pipeline's test scripts and print one closing "N passed, M failed" line.
#   tests/pipeline/run.sh [TEST_SCRIPT...]   (default: every tests/pipeline/test-*.sh)
# A test that reads MOTO_ENDPOINT runs under tools/with-moto (a fresh moto_server).
# PIPELINE_JOBS scripts run at once (default 2: most of them wait on moto or the AWS CLI's
# start-up); each one's output is shown whole, in the order they start, once it has ended.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
jobs=${PIPELINE_JOBS:-2}
case $jobs in '' | *[!0-9]* | 0) echo "error: PIPELINE_JOBS must be a whole number > 0, not '$jobs'" >&2; exit 2 ;; esac
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

tests=("$@")
if [ "${#tests[@]}" -eq 0 ]; then
  # The ones on moto_server first: they take longest, and start while the others fill the
  # second slot.
  on_moto=() others=()
  for path in "$here"/test-*.sh; do
    [ -e "$path" ] || continue
    if grep -q 'MOTO_ENDPOINT' "$path"; then on_moto+=("${path##*/}"); else others+=("${path##*/}"); fi
  done
  tests=(${on_moto[@]+"${on_moto[@]}"} ${others[@]+"${others[@]}"})
fi
if [ "${#tests[@]}" -eq 0 ]; then
  echo "error: no test scripts (test-*.sh) in $here" >&2
  exit 1
fi

# One script, its output (less the access-log lines of servers it starts) to OUT/N.log,
# then its exit status to OUT/N.rc and its seconds to OUT/N.s.
run_one() { # N SCRIPT
  local n=$1 t=$2 cmd start=$SECONDS rc=0
  if grep -q 'MOTO_ENDPOINT' "$here/$t"; then
    cmd=("$root/tools/with-moto" "$here/$t")
  else
    cmd=("$here/$t")
  fi
  # With pipefail the pipeline fails when the script does, even if it printed only
  # PASS lines before it died.
  "${cmd[@]}" 2>&1 </dev/null | grep -v -E '"(GET|POST) /' >"$out/$n.log" || rc=$?
  echo "$((SECONDS - start))" >"$out/$n.s"
  echo "$rc" >"$out/$n.rc"
}

status=0
shown=0
# Show, in the order listed, every script that has ended and whose predecessors have.
show_ended() {
  while [ "$shown" -lt "${#tests[@]}" ] && [ -e "$out/$shown.rc" ]; do
    echo "--- ${tests[$shown]}"
    cat "$out/$shown.log"
    if [ "$(cat "$out/$shown.rc")" -ne 0 ]; then
      status=1
      echo "--- ${tests[$shown]} exited with an error"
    fi
    echo "--- ${tests[$shown]}: $(cat "$out/$shown.s") s"
    shown=$((shown + 1))
  done
}
for i in "${!tests[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
    wait -n || true
    show_ended
  done
  run_one "$i" "${tests[$i]}" &
done
wait
show_ended
passed=$(cat "$out"/*.log | grep -c '^PASS: ' || true)
failed=$(cat "$out"/*.log | grep -c '^FAIL: ' || true)
echo "$passed passed, $failed failed"
if [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then status=1; fi
exit "$status"
