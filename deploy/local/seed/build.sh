#!/usr/bin/env bash
# Builds the seed's stack as images for the local rehearsal: localhost/hello-seed:VERSION
# for each VERSION given (default 1.0.0 1.1.0).
#
#   deploy/local/seed/build.sh [VERSION...]
#
# The seed's image is bench/seed/Dockerfile as it stands (the benchmarks' peer: Flask
# under gunicorn, 2 sync workers, user 65532, port 5000, on debian:bookworm-slim with
# Debian's python3-flask and gunicorn, so it builds offline), on the base image
# container/base-image.sh provides; each version adds one layer that fixes the version
# the app reports (Containerfile beside this script). Then:
#
#   make stack-up IMAGE=localhost/hello-seed:1.0.0 READY_PATH=/health
#   make stack-deploy STRATEGY=rolling IMAGE=localhost/hello-seed:1.1.0
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
readonly REPOSITORY=localhost/hello-seed BASE_TAG=localhost/hello-seed:rehearsal-base

usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }
versions=()
for arg in "$@"; do
  case $arg in
    -h | --help) usage; exit 0 ;;
    -*) echo "error: unknown option '$arg' (usage: deploy/local/seed/build.sh [VERSION...])" >&2; exit 2 ;;
    *)
      if ! [[ $arg =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$ ]]; then
        echo "error: '$arg' is not a version (letters, digits and . _ -, starting with a letter or digit)" >&2
        exit 2
      fi
      versions+=("$arg") ;;
  esac
done
[ "${#versions[@]}" -gt 0 ] || versions=(1.0.0 1.1.0)

"$root/tools/ensure-packages" podman runc >&2
export HELLO_ROOT=$root CONTAINER_ENGINE=podman
# shellcheck source=../../../container/lib.sh
. "$root/container/lib.sh"
podman_project_env
"$root/container/base-image.sh"

log=$root/build/stack/seed-build.log
mkdir -p "$(dirname "$log")"
started=$(date +%s)
echo "==> building the seed's image from bench/seed/Dockerfile as $BASE_TAG (log: build/stack/seed-build.log)"
if ! podman build --format docker --tag "$BASE_TAG" "$root/bench/seed" >"$log" 2>&1; then
  tail -n 25 "$log" >&2
  echo "error: building bench/seed failed; the whole log is build/stack/seed-build.log" >&2
  exit 1
fi
for version in "${versions[@]}"; do
  # --no-cache: Buildah 1.28 reuses a cached ENV layer built with another VERSION (its
  # cache key does not take the build argument's value), which gave 1.1.0 the 1.0.0
  # layer. The layer is metadata only, so this costs nothing.
  if ! podman build --no-cache --format docker --build-arg "BASE=$BASE_TAG" --build-arg "VERSION=$version" \
      --tag "$REPOSITORY:$version" --file "$here/Containerfile" "$here" >>"$log" 2>&1; then
    tail -n 25 "$log" >&2
    echo "error: building $REPOSITORY:$version failed; the whole log is build/stack/seed-build.log" >&2
    exit 1
  fi
  reported=$(podman image inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$REPOSITORY:$version" \
    | sed -n 's/^APP_VERSION=//p')
  if [ "$reported" != "$version" ]; then
    echo "error: $REPOSITORY:$version would report version '$reported' (its APP_VERSION)" >&2
    exit 1
  fi
  size=$(podman image inspect --format '{{.Size}}' "$REPOSITORY:$version")
  echo "==> $REPOSITORY:$version ($((size / 1000000)) MB)"
done
echo "==> seed images built in $(($(date +%s) - started)) s"
