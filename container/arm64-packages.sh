#!/usr/bin/env bash
# What cross-compiling and testing for linux/arm64 needs: Debian's aarch64 toolchain,
# qemu-user to run the results, the build's own packages, and, once unit tests exist
# (tests/unit/), GoogleTest for arm64 from Debian's arm64 packages (multiarch: the
# arm64 architecture is added to dpkg, which changes nothing for amd64 packages).
set -euo pipefail
# shellcheck source=container/lib.sh
. "$(dirname "$0")/lib.sh"
ensure=$HELLO_ROOT/tools/ensure-packages

"$ensure" g++ cmake ninja-build libboost-dev nlohmann-json3-dev \
  g++-aarch64-linux-gnu qemu-user-static binutils-aarch64-linux-gnu

if [ -d "$HELLO_ROOT/tests/unit" ]; then
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    log "adding arm64 to dpkg's architectures (for libgtest-dev:arm64)"
    if [ "$(id -u)" -eq 0 ]; then sudo=(); else sudo=(sudo); fi
    "${sudo[@]}" dpkg --add-architecture arm64
    "${sudo[@]}" apt-get update -q
  fi
  "$ensure" libgtest-dev:arm64 libgmock-dev:arm64
fi
