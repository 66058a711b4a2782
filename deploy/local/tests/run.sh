#!/usr/bin/env bash
# `make test-stack`: lint the rehearsal's code, run its unit tests (test_units.py), build
# the two test images from this tree, then run deploy/local/tests/test_stack.py (what it
# checks is described there). TIME_SCALE (default 0.2) and LOAD_RATE (requests/s,
# default 2000) are passed on.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
cd "$root"
started=$(date +%s)

"$root/tools/ensure-packages" shellcheck python3 python3-pyflakes haproxy podman runc catatonit jq docker-compose git
echo "==> lint: shellcheck, pyflakes, the Compose file (docker-compose config)"
shellcheck -x -P SCRIPTDIR deploy/local/stack deploy/local/tests/run.sh deploy/local/seed/build.sh
/usr/bin/python3 -m pyflakes deploy/local
# Ours by version, and another image by reference on another container port.
for service in "0.0.0-compose-check" "--image localhost/compose-check:1.0.0 --container-port 5001 --ready-path /health"; do
  # shellcheck disable=SC2086  # the options, split on purpose
  STACK_COMPOSE_DIR="$root/build/stack-test-compose" deploy/local/stack compose render $service >/dev/null
  docker-compose --env-file "$root/build/stack-test-compose/compose.env" -f deploy/local/compose.yaml config -q
done

echo "==> unit tests (deploy/local/tests/test_units.py)"
mkdir -p "$root/build"
if ! /usr/bin/python3 -B "$here/test_units.py" >"$root/build/stack-test-units.log" 2>&1; then
  cat "$root/build/stack-test-units.log" >&2
  exit 1
fi
tail -n 3 "$root/build/stack-test-units.log"

# Rebuilt on every run (the layer cache makes each a few seconds), so that the images
# are this tree's and not a tag left from an older one. The bad build (FAULT=root-500)
# is the deploy command's own business: test_stack.py asks for it.
# Versions of this checkout's own: the tags are shared by every checkout on the machine,
# and another's test run must not rebuild them under this one.
checkout=$(printf '%s' "$root" | sha256sum | cut -c1-8)
a=1.0.0-rehearsal-a.$checkout b=1.0.0-rehearsal-b.$checkout
for version in "$a" "$b"; do
  echo "==> building localhost/hello-service:$version"
  CONTAINER_ENGINE=podman VERSION=$version TAG=localhost/hello-service:$version FAULT='' PLATFORM='' \
    container/build-image.sh >"$root/build/stack-test-build.log" 2>&1 \
    || { cat "$root/build/stack-test-build.log" >&2; exit 1; }
  tail -n 1 "$root/build/stack-test-build.log"
done
# The seed's stack (bench/seed) as another image, in two versions.
"$root/deploy/local/seed/build.sh" "$a" "$b"
echo "==> images built in $(($(date +%s) - started)) s"

/usr/bin/python3 -B "$here/test_stack.py" "$a" "$b" "localhost/hello-seed:$a" "localhost/hello-seed:$b"
echo "==> test-stack took $(($(date +%s) - started)) s in all"
