#!/usr/bin/env bash
# tests/pipeline/run.sh itself, on a copy beside test scripts made here: every
# test-*.sh is run (a new one cannot be forgotten), a script that dies fails the run
# even after printing only PASS lines, a script that reads MOTO_ENDPOINT runs under
# tools/with-moto, and an empty directory is an error.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/tests/pipeline" "$tmp/tools"
cp "$REPO_ROOT/tests/pipeline/run.sh" "$tmp/tests/pipeline/"
runner=$tmp/tests/pipeline/run.sh
# A stand-in for tools/with-moto: sets MOTO_ENDPOINT and runs the command.
printf '#!/bin/sh\nMOTO_ENDPOINT=http://127.0.0.1:1 exec "$@"\n' >"$tmp/tools/with-moto"
chmod +x "$tmp/tools/with-moto"
script() { # NAME BODY
  printf '#!/usr/bin/env bash\n%s\n' "$2" >"$tmp/tests/pipeline/$1"
  chmod +x "$tmp/tests/pipeline/$1"
}

expect_fail "no test scripts is an error" 1 "no test scripts" "$runner"
script test-alpha.sh 'echo "PASS: alpha"'
script test-zeta-new.sh 'echo "PASS: zeta"; echo "PASS: zeta again"'
# shellcheck disable=SC2016 # the script's text, expanded when it runs
script test-moto-like.sh '[ -n "${MOTO_ENDPOINT:-}" ] && echo "PASS: under with-moto" || echo "FAIL: not under with-moto"'
expect_ok "every test-*.sh runs, with no list to update" "$runner"
expect_eq "the ones on moto start first" "test-moto-like.sh" "$(grep -m1 '^--- ' <<<"$out" | cut -c5-)"
expect_eq "all their checks are counted" "4 passed, 0 failed" "$(tail -1 <<<"$out")"
script test-dies.sh 'echo "PASS: first check"; exit 3'
expect_fail "a script that dies after printing only PASS lines fails the run" 1 "test-dies.sh exited with an error" "$runner"
expect_eq "its PASS line still counts, the run still fails" "5 passed, 0 failed" "$(tail -1 <<<"$out")"
rm "$tmp/tests/pipeline/test-dies.sh"
expect_ok "named scripts run alone" "$runner" test-alpha.sh
expect_eq "named scripts run alone: one check" "1 passed, 0 failed" "$(tail -1 <<<"$out")"

# Two at once by default: each of these passes only when the other runs at the same time
# (each waits up to 10 s for the other's mark). Their output still comes in listed order,
# though the second ends first.
rm "$tmp/tests/pipeline/"test-*.sh
# shellcheck disable=SC2016 # the scripts' text, expanded when they run
script test-one.sh 'touch "$(dirname "$0")/one.mark"; for _ in $(seq 1 100); do [ -e "$(dirname "$0")/two.mark" ] && break; sleep 0.1; done
sleep 0.5; [ -e "$(dirname "$0")/two.mark" ] && echo "PASS: one saw two" || echo "FAIL: one ran alone"'
# shellcheck disable=SC2016
script test-two.sh 'touch "$(dirname "$0")/two.mark"; for _ in $(seq 1 100); do [ -e "$(dirname "$0")/one.mark" ] && break; sleep 0.1; done
[ -e "$(dirname "$0")/one.mark" ] && echo "PASS: two saw one" || echo "FAIL: two ran alone"'
expect_ok "two scripts run at the same time" "$runner"
expect_eq "both saw the other" "2 passed, 0 failed" "$(tail -1 <<<"$out")"
expect_eq "their output in the order listed" "--- test-one.sh,PASS: one saw two,--- test-one.sh: 1 s" \
  "$(grep -E '^(---|PASS|FAIL)' <<<"$out" | head -3 | sed 's/: [0-9]* s$/: 1 s/' | paste -sd, -)"
rm -f "$tmp/tests/pipeline/"*.mark
expect_fail "PIPELINE_JOBS=1 runs them one after another" 1 "FAIL: one ran alone" env PIPELINE_JOBS=1 "$runner"
expect_fail "a bad PIPELINE_JOBS is refused" 2 "PIPELINE_JOBS must be" env PIPELINE_JOBS=two "$runner"

finish
