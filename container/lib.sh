# shellcheck shell=bash
# shellcheck disable=SC2034  # ENGINE and ENGINE_CMD are for the scripts that source this
# Shared by the container scripts (source it; it defines functions and sets nothing else
# until one is called).
#
#   container_init        picks the engine and sets ENGINE (docker or podman) and
#                         ENGINE_CMD (the command to run it with)
#   engine ARGS...        runs the chosen engine
#   engine_bounded S ARGS...  the same, ended after S seconds (exit 124 and a message)
#   bounded S CMD...      any command, ended after S seconds (exit 124 and a message)
#   wait_bounded PID S    waits for a background child; SIGKILL after S seconds (124)
#   temp_dir              a new temporary directory, named in TEMP_DIR; removed by
#                         remove_temps, which each script's EXIT trap calls
#   podman_project_env    exports CONTAINERS_CONF and CONTAINERS_STORAGE_CONF for podman
#   free_port             prints a free TCP port on 127.0.0.1
#   elf_machine FILE      the machine readelf names for FILE; nothing if it is not ELF
#   elf_static FILE       FILE is ELF and names no program interpreter
#   static_arm64_problem FILE  why FILE is not a static AArch64 executable; nothing if it is
#   log, warn, die        messages, all on stderr (scripts/lib/common.sh, shared with the
#                         deploy scripts)
#
# Docker is used when its engine answers (a developer's laptop, a hosted CI runner);
# otherwise Podman, with the settings in container/containers.conf and storage.conf.
# CONTAINER_ENGINE=docker|podman overrides the choice.

HELLO_ROOT=${HELLO_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
HELLO_STATE_DIR=${HELLO_STATE_DIR:-$HELLO_ROOT/build/container}

# shellcheck source=scripts/lib/common.sh
. "$HELLO_ROOT/scripts/lib/common.sh"

# The project's Podman settings. The repository's containers.conf is used as it is
# unless the shell's hard limits are below its ulimits: then a copy with those limits
# goes to build/container/ (a process cannot raise its own hard limit, and the runtime
# would fail to start any container).
podman_project_env() {
  local conf="$HELLO_ROOT/container/containers.conf"
  local hard_nofile hard_nproc want=16384 nofile nproc
  hard_nofile=$(ulimit -Hn)
  hard_nproc=$(ulimit -Hu)
  nofile=$want
  nproc=$want
  if [ "$hard_nofile" != unlimited ] && [ "$hard_nofile" -lt "$want" ]; then nofile=$hard_nofile; fi
  if [ "$hard_nproc" != unlimited ] && [ "$hard_nproc" -lt "$want" ]; then nproc=$hard_nproc; fi
  if [ "$nofile" != "$want" ] || [ "$nproc" != "$want" ]; then
    mkdir -p "$HELLO_STATE_DIR"
    sed -e "s/\"nofile=$want:$want\"/\"nofile=$nofile:$nofile\"/" \
        -e "s/\"nproc=$want:$want\"/\"nproc=$nproc:$nproc\"/" \
        "$conf" >"$HELLO_STATE_DIR/containers.conf"
    conf=$HELLO_STATE_DIR/containers.conf
  fi
  export CONTAINERS_CONF=$conf
  export CONTAINERS_STORAGE_CONF=$HELLO_ROOT/container/storage.conf
}

# ARM64_BINARY (optional) made absolute: a relative path is relative to where the
# caller stands, and the scripts change to the repository root afterwards.
resolve_arm64_binary() {
  ARM64_BINARY=${ARM64_BINARY:-}
  if [ -n "$ARM64_BINARY" ]; then
    [ -f "$ARM64_BINARY" ] || die "ARM64_BINARY='$ARM64_BINARY': no such file"
    ARM64_BINARY=$(realpath "$ARM64_BINARY")
  fi
}

docker_answers() {
  command -v docker >/dev/null 2>&1 && timeout 10 docker info >/dev/null 2>&1
}

container_init() {
  local choice=${CONTAINER_ENGINE:-}
  # Scratch files of the scripts (error output, lowered limits) live here; a fresh clone
  # has no build/ yet.
  mkdir -p "$HELLO_STATE_DIR"
  if [ -z "$choice" ]; then
    if docker_answers; then choice=docker; else choice=podman; fi
  fi
  case "$choice" in
    docker)
      docker_answers || die "CONTAINER_ENGINE=docker, but no Docker engine answers ('docker info' fails)"
      ENGINE=docker
      ENGINE_CMD=(docker)
      export DOCKER_BUILDKIT=1
      ;;
    podman)
      # runc: see containers.conf for why not crun.
      "$HELLO_ROOT/tools/ensure-packages" podman runc
      podman_project_env
      ENGINE=podman
      ENGINE_CMD=(podman)
      ;;
    *) die "CONTAINER_ENGINE='$choice': use docker or podman" ;;
  esac
}

engine() {
  "${ENGINE_CMD[@]}" "$@"
}

# A command that could hang (a container run in the foreground, an exec, a stop) gets a
# time bound: SIGTERM after LIMIT seconds, SIGKILL 10 s later. Returns the command's
# exit code, or 124 (137 if it had to be killed) with a line on stderr saying so.
bounded() {  # bounded LIMIT COMMAND...
  local limit=$1 rc=0
  shift
  timeout --kill-after=10 "$limit" "$@" || rc=$?
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    echo "error: '$*' did not finish within $limit s (stopped)" >&2
  fi
  return "$rc"
}

engine_bounded() {  # engine_bounded LIMIT ARGS...
  local limit=$1
  shift
  bounded "$limit" "${ENGINE_CMD[@]}" "$@"
}

# Waits for a background child of this shell, at most LIMIT seconds; then SIGKILL, a
# line on stderr and exit code 124. Otherwise the child's own exit code.
wait_bounded() {  # wait_bounded PID LIMIT
  local pid=$1 limit=$2 rc=0 line state deadline
  # Wall-clock microseconds (bash 5's EPOCHREALTIME), not a count of polls: a loaded
  # machine makes each poll slower.
  deadline=$((${EPOCHREALTIME/./} + limit * 1000000))
  while { read -r line <"/proc/$pid/stat"; } 2>/dev/null; do
    # The state follows the command name in parentheses; a child that has exited stays
    # a zombie (Z) until it is waited for.
    state=${line##*) }
    [ "${state%% *}" != Z ] || break
    if [ "${EPOCHREALTIME/./}" -ge "$deadline" ]; then
      kill -KILL "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
      echo "error: process $pid still ran $limit s later: killed" >&2
      return 124
    fi
    sleep 0.1
  done
  wait "$pid" || rc=$?
  return "$rc"
}

# Temporary directories, removed by remove_temps whatever ends the script: each
# script's EXIT trap calls remove_temps. The new one is named in TEMP_DIR. Not in a
# $(...) subshell: the list of directories to remove would be lost.
temp_dir() {
  TEMP_DIR=$(mktemp -d "${TMPDIR:-/tmp}/hello-service.XXXXXX")
  HELLO_TEMPS+=("$TEMP_DIR")
}

remove_temps() {
  if [ -n "${HELLO_TEMPS+set}" ]; then
    rm -rf "${HELLO_TEMPS[@]}"
  fi
}

# A free TCP port on 127.0.0.1 (bench/benchlib.py's free_port: the kernel picks it; a
# tiny race remains until the caller binds it, which is fine for tests that publish it
# at once).
free_port() {
  python3 "$HELLO_ROOT/bench/benchlib.py" free-port
}

# The machine readelf names in FILE's ELF header ("AArch64", "Advanced Micro Devices
# X86-64"); nothing when FILE is not ELF (readelf fails, which is not an error here).
elf_machine() {  # elf_machine FILE
  { LC_ALL=C readelf -h "$1" 2>/dev/null || true; } | awk -F: '/Machine:/ {gsub(/^ +/, "", $2); print $2}'
}

# FILE is ELF and names no program interpreter (the dynamic loader): it runs in an image
# without libraries.
elf_static() {  # elf_static FILE
  local headers
  headers=$(LC_ALL=C readelf -l "$1" 2>/dev/null) || return 1
  ! grep -q 'program interpreter' <<<"$headers"
}

# Why FILE cannot be the arm64 image's binary, as the end of a sentence that starts with
# its name; nothing when it is a static AArch64 executable.
static_arm64_problem() {  # static_arm64_problem FILE
  local machine
  machine=$(elf_machine "$1")
  if [ "$machine" != AArch64 ]; then
    echo "is not an AArch64 executable (readelf says '${machine:-not an ELF file}')"
  elif ! elf_static "$1"; then
    echo "is dynamically linked; the image has no libraries (build it with the release-arm64 preset)"
  fi
}
