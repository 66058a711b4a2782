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
expect_eq "all their checks are counted" "4 passed, 0 failed" "$(tail -1 <<<"$out")"
script test-dies.sh 'echo "PASS: first check"; exit 3'
expect_fail "a script that dies after printing only PASS lines fails the run" 1 "test-dies.sh exited with an error" "$runner"
expect_eq "its PASS line still counts, the run still fails" "5 passed, 0 failed" "$(tail -1 <<<"$out")"
rm "$tmp/tests/pipeline/test-dies.sh"
expect_ok "named scripts run alone" "$runner" test-alpha.sh
expect_eq "named scripts run alone: one check" "1 passed, 0 failed" "$(tail -1 <<<"$out")"

finish
