# Assertions for the pipeline tests. Each check prints one "PASS: name" or "FAIL: name"
# line; tests/pipeline/run.sh counts them.
# shellcheck shell=bash

# (The paths below are for the test scripts that source this file.)
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck disable=SC2034
{
SCRIPTS=$REPO_ROOT/scripts
FIXTURES=$REPO_ROOT/tests/pipeline/fixtures
TEMPLATE=$REPO_ROOT/infrastructure/terraform/modules/ecs/templates/container-definitions.json.tftpl
}
failures=0

pass() { printf 'PASS: %s\n' "$1"; }
fail() {
  printf 'FAIL: %s\n' "$1"
  shift
  if [ "$#" -gt 0 ]; then printf '      %s\n' "$@"; fi
  failures=$((failures + 1))
}

# run_capture CMD...: runs CMD, leaving its exit code in $rc and stdout+stderr in $out.
run_capture() {
  set +e
  out=$("$@" 2>&1)
  rc=$?
  set -e
}

# expect_ok NAME CMD...: CMD must exit 0.
expect_ok() {
  local name=$1
  shift
  run_capture "$@"
  if [ "$rc" -eq 0 ]; then pass "$name"; else fail "$name" "exit $rc, output:" "$out"; fi
}

# expect_fail NAME CODE REGEX CMD...: CMD must exit with CODE and print a line matching REGEX.
expect_fail() {
  local name=$1 code=$2 regex=$3
  shift 3
  run_capture "$@"
  if [ "$rc" -ne "$code" ]; then
    fail "$name" "expected exit $code, got $rc; output:" "$out"
  elif ! grep -qE -- "$regex" <<<"$out"; then
    fail "$name" "exit $rc as expected, but no line matches /$regex/; output:" "$out"
  else
    pass "$name"
  fi
}

# expect_eq NAME EXPECTED ACTUAL
expect_eq() {
  if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "expected: $2" "actual:   $3"; fi
}

finish() {
  [ "$failures" -eq 0 ]
}
