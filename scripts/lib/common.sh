# Shared helpers for the deploy scripts. Source it; it defines functions only.
# shellcheck shell=bash

# Messages go to stderr so that a script's stdout stays machine-readable.
log() { printf '==> %s\n' "$*" >&2; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}
usage_error() {
  printf 'error: %s\n' "$*" >&2
  printf "run '%s --help' for usage\n" "$(basename "$0")" >&2
  exit 2
}

require_commands() {
  local cmd
  for cmd in "$@"; do
    command -v "$cmd" >/dev/null 2>&1 || die "'$cmd' is not installed (needed by $(basename "$0"))"
  done
}

# Prints the value following an option, or fails if there is none.
option_value() {
  local option=$1
  shift
  if [ "$#" -lt 1 ] || [ -z "$1" ]; then
    usage_error "$option needs a value"
  fi
  printf '%s' "$1"
}

# Appends name=value to the step outputs when running in GitHub Actions, and always
# echoes it on stdout so a person running the script sees it too.
emit_output() {
  local name=$1 value=$2
  printf '%s=%s\n' "$name" "$value"
  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    printf '%s=%s\n' "$name" "$value" >>"$GITHUB_OUTPUT"
  fi
}

is_positive_int() { [[ $1 =~ ^[1-9][0-9]*$ ]]; }
