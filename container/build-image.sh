#!/usr/bin/env bash
# Builds the container image (`make image`). Settings come from the environment, each
# with a default taken from git the way the binary's own build identity is:
#
#   VERSION   version reported by /info and the label (default: tools/default-version,
#             the rule of the binary's own build identity)
#   REVISION  git commit (default: HEAD)
#   CREATED   RFC 3339 time (default: the commit's time, so that a rebuild is the same)
#   FAULT     empty, ready-never or root-500: a deliberately bad build for rehearsals
#   SOURCE    repository URL for the label (default: the git remote "origin", if any)
#   TAG       image reference (default: localhost/hello-service:VERSION, with + as -)
#   PLATFORM  linux/amd64 or linux/arm64 (default: the build machine's)
#   NO_CACHE  1: build without the layer cache
#   ARM64_BINARY  with PLATFORM=linux/arm64: an arm64 binary built and tested elsewhere
#             (`make test-arm64` in a Debian 12 CI job) to package instead of
#             cross-compiling here; it must be a static AArch64 executable. Its build
#             identity is the builder's business: build it with the same VERSION,
#             REVISION and CREATED as given here (the labels come from these).
#
# The build machine's own platform is compiled in the Dockerfile's build stage. arm64 on
# an amd64 machine is cross-compiled on the host (cmake preset release-arm64, the binary
# `make test-arm64` tests) or taken from ARM64_BINARY, and the image assembled from it
# (Dockerfile target `prebuilt`): no step runs under emulation.
set -euo pipefail
# shellcheck source=container/lib.sh
. "$(dirname "$0")/lib.sh"
resolve_arm64_binary
cd "$HELLO_ROOT"

git_in_tree() { git -C "$HELLO_ROOT" rev-parse --git-dir >/dev/null 2>&1; }

[ -n "${VERSION:-}" ] || VERSION=$("$HELLO_ROOT/tools/default-version" "$HELLO_ROOT")
if [ -z "${REVISION:-}" ]; then
  REVISION=unknown
  git_in_tree && REVISION=$(git rev-parse HEAD)
fi
if [ -z "${CREATED:-}" ]; then
  CREATED=unknown
  git_in_tree && CREATED=$(TZ=UTC git log -1 --date=format-local:%Y-%m-%dT%H:%M:%SZ --format=%cd)
fi
if [ -z "${SOURCE:-}" ]; then
  SOURCE=unknown
  if git_in_tree && origin=$(git remote get-url origin 2>/dev/null); then
    # git@github.com:owner/repo.git -> https://github.com/owner/repo
    SOURCE=$(sed -E -e 's#^git@([^:]+):#https://\1/#' -e 's#\.git$##' <<<"$origin")
  fi
fi
FAULT=${FAULT:-}
case "$FAULT" in
  "" | ready-never | root-500) ;;
  *) die "FAULT='$FAULT': allowed are empty, ready-never, root-500" ;;
esac
for value in "$VERSION" "$REVISION" "$CREATED"; do
  [[ "$value" =~ ^[A-Za-z0-9._:+-]+$ ]] || die "build identity '$value' has characters outside [A-Za-z0-9._:+-]"
done
TAG=${TAG:-localhost/hello-service:${VERSION//+/-}}

case "$(uname -m)" in
  x86_64) native=linux/amd64 ;;
  aarch64) native=linux/arm64 ;;
  *) die "unsupported build machine architecture $(uname -m)" ;;
esac
PLATFORM=${PLATFORM:-$native}
if [ -n "$ARM64_BINARY" ]; then
  [ "$PLATFORM" = linux/arm64 ] || die "ARM64_BINARY is for PLATFORM=linux/arm64 (PLATFORM is $PLATFORM)"
  "$HELLO_ROOT/tools/ensure-packages" binutils
  problem=$(static_arm64_problem "$ARM64_BINARY")
  [ -z "$problem" ] || die "ARM64_BINARY='$ARM64_BINARY' $problem"
fi

container_init
build_args=(
  --build-arg "VERSION=$VERSION" --build-arg "REVISION=$REVISION"
  --build-arg "CREATED=$CREATED" --build-arg "FAULT=$FAULT" --build-arg "SOURCE=$SOURCE"
  --platform "$PLATFORM" --tag "$TAG" --file Dockerfile
)
# The Dockerfile sets these labels from the same arguments; they are given again here
# because Buildah (1.28 and later) reuses a cached LABEL step even when the argument in
# it changed, which would leave a new image with an old version's labels.
for label in version=$VERSION revision=$REVISION created=$CREATED source=$SOURCE; do
  build_args+=(--label "org.opencontainers.image.$label")
done
[ "$ENGINE" = podman ] && build_args+=(--format docker)
[ "${NO_CACHE:-0}" = 1 ] && build_args+=(--no-cache)

start=$(date +%s)
if [ -n "$ARM64_BINARY" ]; then
  log "packaging the arm64 binary built elsewhere: $ARM64_BINARY (sha256 $(sha256sum "$ARM64_BINARY" | cut -d' ' -f1))"
  mkdir -p build/image/linux-arm64
  # A downloaded CI artifact has lost its execute bit; the image's file gets 0755 either way.
  if [ "$ARM64_BINARY" != "$(realpath -m build/image/linux-arm64/hello-service)" ]; then
    cp "$ARM64_BINARY" build/image/linux-arm64/hello-service
  fi
  chmod 0755 build/image/linux-arm64/hello-service
  build_args+=(--target prebuilt)
elif [ "$PLATFORM" = "$native" ]; then
  "$HELLO_ROOT/container/base-image.sh"
  build_args+=(--target compiled)
elif [ "$PLATFORM" = linux/arm64 ]; then
  log "cross-compiling hello-service for linux/arm64 (cmake preset release-arm64)"
  "$HELLO_ROOT/container/arm64-packages.sh"
  cmake --preset release-arm64 "-DHELLO_VERSION=$VERSION" "-DHELLO_GIT_SHA=$REVISION" \
    "-DHELLO_BUILD_TIME=$CREATED" "-DHELLO_FAULT=$FAULT" >/dev/null
  cmake --build --preset release-arm64 --target hello-service
  mkdir -p build/image/linux-arm64
  cp build/release-arm64/src/hello-service build/image/linux-arm64/hello-service
  build_args+=(--target prebuilt)
else
  die "PLATFORM='$PLATFORM': use linux/amd64 or linux/arm64 (this machine is $native)"
fi

log "building $TAG for $PLATFORM with $ENGINE (version $VERSION${FAULT:+, fault $FAULT})"
engine build "${build_args[@]}" .
size=$(engine image inspect --format '{{.Size}}' "$TAG")
log "built $TAG: $size bytes uncompressed, in $(($(date +%s) - start)) s"
