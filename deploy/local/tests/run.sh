#!/usr/bin/env bash
# `make test-stack`: lint the rehearsal's code, build the three test images from this
# tree, then run deploy/local/tests/test_stack.py (what it checks is described there).
# TIME_SCALE (default 0.2) and LOAD_RATE (requests/s, default 2000) are passed on.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
cd "$root"
started=$(date +%s)

"$root/tools/ensure-packages" shellcheck python3 python3-pyflakes haproxy catatonit jq docker-compose
echo "==> lint: shellcheck, pyflakes, the Compose file (docker-compose config; it is not run here)"
shellcheck -x -P SCRIPTDIR deploy/local/stack deploy/local/tests/run.sh
/usr/bin/python3 -m pyflakes deploy/local
STACK_COMPOSE_DIR="$root/build/stack-test-compose" deploy/local/stack compose 0.0.0-compose-check >/dev/null
docker-compose --env-file "$root/build/stack-test-compose/compose.env" -f deploy/local/compose.yaml config -q

# Rebuilt on every run (the layer cache makes each a few seconds), so that the images
# are this tree's and not a tag left from an older one.
a=1.0.0-rehearsal-a b=1.0.0-rehearsal-b bad=1.0.0-rehearsal-bad
build() {  # build VERSION FAULT
  echo "==> building localhost/hello-service:$1${2:+ (FAULT=$2)}"
  CONTAINER_ENGINE=podman VERSION=$1 TAG=localhost/hello-service:$1 FAULT=$2 PLATFORM='' \
    container/build-image.sh >"$root/build/stack-test-build.log" 2>&1 \
    || { cat "$root/build/stack-test-build.log" >&2; exit 1; }
  tail -n 1 "$root/build/stack-test-build.log"
}
mkdir -p "$root/build"
build "$a" ""
build "$b" ""
build "$bad" root-500
echo "==> images built in $(($(date +%s) - started)) s"

/usr/bin/python3 -B "$here/test_stack.py" "$a" "$b" "$bad"
echo "==> test-stack took $(($(date +%s) - started)) s in all"
