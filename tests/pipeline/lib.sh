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

# --- an AWS CLI stand-in (fake-aws/aws) ------------------------------------------------
# fake_aws DIR: puts the stand-in first on PATH, recording into (and answering from) DIR,
# which starts empty.
fake_aws() {
  FAKE_AWS_DIR=$1
  rm -rf "$FAKE_AWS_DIR"
  mkdir -p "$FAKE_AWS_DIR/answers"
  : >"$FAKE_AWS_DIR/calls"
  export FAKE_AWS_DIR
  case ":$PATH:" in
    *":$REPO_ROOT/tests/pipeline/fake-aws:"*) ;;
    *) PATH="$REPO_ROOT/tests/pipeline/fake-aws:$PATH" ;;
  esac
}
# answer SERVICE OPERATION[@ARG]: the next answer to that call (with @ARG: to the calls
# that have ARG among their arguments) is the bash text on stdin.
answer() {
  local dir=$FAKE_AWS_DIR/answers/$1.$2 n
  mkdir -p "$dir"
  n=$(find "$dir" -maxdepth 1 -type f | wc -l)
  cat >"$dir/$(printf '%02d' "$((n + 1))")"
}
# answer_json SERVICE OPERATION JSON [STDERR]: a successful call, optionally with a line
# on stderr (the CLI's warnings go there, on calls that succeed too).
answer_json() {
  printf 'cat <<'\''JSON'\''\n%s\nJSON\n%s\nexit 0\n' "$3" \
    "${4:+printf '%s\\n' $(printf '%q' "$4") >&2}" | answer "$1" "$2"
}
# answer_error SERVICE OPERATION CODE MESSAGE: the CLI's report of a service error.
answer_error() {
  local op
  op=$(sed -E 's/(^|-)([a-z])/\U\2/g' <<<"${2%%@*}")
  printf 'printf %q >&2\nexit 254\n' \
    "$(printf '\nAn error occurred (%s) when calling the %s operation: %s\n' "$3" "$op" "$4")" | answer "$1" "$2"
}
# calls_of SERVICE OPERATION: how many times the stand-in was called for it.
calls_of() {
  grep -c "^$1 $2\( \|$\)" "$FAKE_AWS_DIR/calls" || true
}
# A warning the AWS CLI prints on stderr of a call that succeeds.
# shellcheck disable=SC2034 # for the test scripts
CLI_WARNING="PythonDeprecationWarning: Boto3 will no longer support Python 3.8 starting April 29, 2025. To continue receiving service updates, bug fixes, and security updates please upgrade to Python 3.9 or later."
