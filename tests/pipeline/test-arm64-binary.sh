#!/usr/bin/env bash
# `make image PLATFORM=linux/arm64 ARM64_BINARY=...` (what CI's container job runs through
# `make test-image`) refuses what it cannot package, before any engine is started: a
# missing file, a file that is not an AArch64 executable, and ARM64_BINARY given for
# another platform. (Packaging a good binary is `make test-image ARM64_BINARY=...`, which
# builds and inspects the image: CI's container job runs it.)
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
build_image=$REPO_ROOT/container/build-image.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# CONTAINER_ENGINE names an engine that does not exist: reaching container_init would
# fail with another message, so each refusal below is the script's own, made first.
build() { # ENV... : container/build-image.sh with these settings
  env CONTAINER_ENGINE=none VERSION=1.2.3 REVISION=abc CREATED=2000-01-01T00:00:00Z "$@" "$build_image"
}

expect_fail "ARM64_BINARY: a missing file is named" 1 "ARM64_BINARY='$tmp/nothing': no such file" \
  build PLATFORM=linux/arm64 ARM64_BINARY="$tmp/nothing"

printf 'not a program\n' >"$tmp/text"
expect_fail "ARM64_BINARY: a file that is not ELF is refused" 1 \
  "ARM64_BINARY='$tmp/text' is not an AArch64 executable \(readelf says 'not an ELF file'\)" \
  build PLATFORM=linux/arm64 ARM64_BINARY="$tmp/text"

# This machine's own `true`: on x86-64 a foreign machine; on an aarch64 machine an
# AArch64 executable, but a dynamically linked one, which the scratch image cannot run.
host_binary=$(readlink -f "$(type -P true)")
case "$(uname -m)" in
  x86_64)
    expect_fail "ARM64_BINARY: an executable for another machine is refused, naming its machine" 1 \
      "ARM64_BINARY='$host_binary' is not an AArch64 executable \(readelf says 'Advanced Micro Devices X86-64'\)" \
      build PLATFORM=linux/arm64 ARM64_BINARY="$host_binary"
    ;;
  aarch64)
    expect_fail "ARM64_BINARY: a dynamically linked executable is refused" 1 \
      "ARM64_BINARY='$host_binary' is dynamically linked" \
      build PLATFORM=linux/arm64 ARM64_BINARY="$host_binary"
    ;;
  *) fail "ARM64_BINARY: a binary of this machine is refused" "no expectation for a $(uname -m) machine" ;;
esac

expect_fail "ARM64_BINARY with PLATFORM=linux/amd64 is refused" 1 \
  "ARM64_BINARY is for PLATFORM=linux/arm64 \(PLATFORM is linux/amd64\)" \
  build PLATFORM=linux/amd64 ARM64_BINARY="$tmp/text"

# A relative path is the caller's, not the repository root's.
mkdir -p "$tmp/here"
cp "$tmp/text" "$tmp/here/relative"
from_here() { (cd "$tmp/here" && build PLATFORM=linux/arm64 ARM64_BINARY=relative); }
expect_fail "ARM64_BINARY: a relative path is read from the caller's directory" 1 \
  "ARM64_BINARY='$tmp/here/relative' is not an AArch64 executable" from_here

finish
