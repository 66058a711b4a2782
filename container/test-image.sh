#!/usr/bin/env bash
# The image, end to end (`make test-image`). Builds it under a test tag (removed first;
# the layer cache is used, so a warm run rebuilds only what changed: NO_CACHE=1 for a
# build from nothing), then checks, one line per assertion:
#   the Dockerfile installs the packages of a local build; size <= 5 MB uncompressed;
#   config (user, port, stop signal, exec-form health check, entrypoint) and OCI labels;
#   the file system holds the one static binary and no shell;
#   run with -p 127.0.0.1:<free port>:5000 --read-only --cap-drop=ALL: / and /health
#   answer; every uid and gid is 65532, no capability, the root file system read-only;
#   the health check turns healthy; a host name resolves inside the image (static
#   glibc); SIGTERM under real traffic: no request lost that was in flight, exit 0 within
#   the drain deadline; a bad setting exits 2 with its message in the log;
#   the arm64 image, assembled from the cross-compiled binary, has the same config.
#
# ARM64_BINARY=PATH: the arm64 image is assembled from that binary (built and tested
# elsewhere by `make test-arm64`, as CI's Debian 12 job does) instead of one
# cross-compiled here, and the image must hold exactly that file.
set -euo pipefail
# shellcheck source=container/lib.sh
. "$(dirname "$0")/lib.sh"
resolve_arm64_binary
cd "$HELLO_ROOT"

readonly MAX_BYTES=5000000
readonly DRAIN_DELAY_S=3 SHUTDOWN_TIMEOUT_S=12
# TEST_IMAGE_TAG: another tag, for two checkouts testing at once on one machine.
TAG=${TEST_IMAGE_TAG:-localhost/hello-service:test-image}
TAG_ARM64=$TAG-arm64
VERSION=0.0.0-test.$(date +%s)
REVISION=$(git rev-parse HEAD 2>/dev/null || echo unknown)
CREATED=2000-01-01T00:00:00Z
SOURCE=https://example.invalid/hello-service
name=hello-service-test-$$
started=$(date +%s)

"$HELLO_ROOT/tools/ensure-packages" curl python3 binutils
container_init

passed=0
failed=0
check() {  # check DESCRIPTION COMMAND...
  if "${@:2}"; then
    echo "ok: $1"
    passed=$((passed + 1))
  else
    echo "FAIL: $1" >&2
    failed=$((failed + 1))
  fi
}
# Container runs, execs and stops each get a time bound (engine_bounded): a hung engine
# or service fails the test with a message instead of hanging it.
readonly RUN_LIMIT_S=60 EXEC_LIMIT_S=30
cleanup() {
  engine_bounded "$RUN_LIMIT_S" rm -f "$name" "$name-bad" >/dev/null 2>&1 || true
  remove_temps
}
trap cleanup EXIT
cleanup

# ---- the Dockerfile builds with the packages of a local build ------------------------
local_packages=$(sed -n 's/^SERVICE_PACKAGES := //p' mk/10-service.mk | tr ' ' '\n' | grep -vx git | sort | xargs)
image_packages=$(grep -o 'apt-get install -y --no-install-recommends [^&]*' Dockerfile |
  sed 's/.*--no-install-recommends //' | tr ' ' '\n' | grep -E '^[a-z0-9][a-z0-9.+-]+$' | sort | xargs)
same_nonempty() { [ -n "$1" ] && [ "$1" = "$2" ]; }
check "the build stage installs the local build's packages ($image_packages)" \
  same_nonempty "$local_packages" "$image_packages"

# ---- build ---------------------------------------------------------------------------
log "building $TAG from a clean tag (layer cache allowed)"
engine rmi -f "$TAG" "$TAG_ARM64" >/dev/null 2>&1 || true
build_start=$(date +%s)
VERSION=$VERSION REVISION=$REVISION CREATED=$CREATED SOURCE=$SOURCE FAULT='' TAG=$TAG PLATFORM='' ARM64_BINARY='' \
  container/build-image.sh
build_s=$(($(date +%s) - build_start))

# ---- image configuration -------------------------------------------------------------
config_check() {  # config_check IMAGE ARCH: compares the inspected config with what it must be
  engine image inspect "$1" | python3 -c '
import json, sys
image = json.load(sys.stdin)[0]
config = image["Config"]
health = config.get("Healthcheck") or image.get("Healthcheck") or {}
want = {
    "Architecture": sys.argv[1],
    "User": "65532:65532",
    "ExposedPorts": ["5000/tcp"],
    "StopSignal": "SIGTERM",
    "Entrypoint": ["/hello-service"],
    "Cmd": ["serve"],
    "Healthcheck": ["CMD", "/hello-service", "healthcheck"],
    "org.opencontainers.image.title": "hello-service",
    "org.opencontainers.image.version": sys.argv[2],
    "org.opencontainers.image.revision": sys.argv[3],
    "org.opencontainers.image.created": sys.argv[4],
    "org.opencontainers.image.source": sys.argv[5],
}
labels = config.get("Labels") or {}
got = {
    "Architecture": image.get("Architecture"),
    "User": config.get("User"),
    "ExposedPorts": sorted(config.get("ExposedPorts") or {}),
    "StopSignal": config.get("StopSignal"),
    "Entrypoint": config.get("Entrypoint"),
    "Cmd": config.get("Cmd"),
    "Healthcheck": health.get("Test"),
}
got.update({k: labels.get(k) for k in want if k.startswith("org.")})
bad = {k: (got[k], want[k]) for k in want if got[k] != want[k]}
for key, (have, expected) in bad.items():
    print(f"    {key}: {have!r}, expected {expected!r}", file=sys.stderr)
sys.exit(1 if bad else 0)
' "$2" "$VERSION" "$REVISION" "$CREATED" "$SOURCE"
}
size=$(engine image inspect --format '{{.Size}}' "$TAG")
check "image size $size bytes uncompressed is at most $MAX_BYTES" [ "$size" -le "$MAX_BYTES" ]
check "config: user 65532, port 5000, SIGTERM, exec-form health check, entrypoint, OCI labels" \
  config_check "$TAG" amd64

# ---- file system: the static binary and nothing else ----------------------------------
temp_dir
image_dir=$TEMP_DIR
files=$(engine save "$TAG" 2>/dev/null | python3 container/image_files.py --extract /hello-service "$image_dir" | xargs)
check "the image's only file is hello-service (found: ${files:-nothing})" [ "$files" = hello-service ]
check "there is no /bin/sh in the image" bash -c "! grep -qw 'bin/sh' <<<'$files'"
check "/hello-service is a static executable (no program interpreter)" elf_static "$image_dir/hello-service"

# ---- run it as production does ----------------------------------------------------------
port=$(free_port)
engine_bounded "$RUN_LIMIT_S" run -d --name "$name" -p "127.0.0.1:$port:5000" --read-only --cap-drop=ALL \
  -e DRAIN_DELAY_S=$DRAIN_DELAY_S -e SHUTDOWN_TIMEOUT_S=$SHUTDOWN_TIMEOUT_S -e ACCESS_LOG=false \
  "$TAG" >/dev/null 2>"$HELLO_STATE_DIR/run.err" || { cat "$HELLO_STATE_DIR/run.err" >&2; die "the container did not start"; }
url=http://127.0.0.1:$port
for _ in $(seq 1 100); do
  curl -fsS -o /dev/null --max-time 2 "$url/health" 2>/dev/null && break
  sleep 0.2
done
check "GET /health answers 200 through 127.0.0.1:$port" curl -fsS -o /dev/null --max-time 5 "$url/health"
root=$(curl -fsS --max-time 5 "$url/" || true)
check "GET / answers the hello JSON with version $VERSION" grep -q "\"version\":\"$VERSION\"" <<<"$root"

pid=$(engine_bounded "$EXEC_LIMIT_S" inspect --format '{{.State.Pid}}' "$name")
status=/proc/$pid/status
ids_are() {
  awk -v id="$2" -v key="$1:" '$1 == key && $2 == id && $3 == id && $4 == id && $5 == id { ok = 1 } END { exit !ok }' "$status"
}
check "the service runs as uid 65532 (real, effective, saved, fs)" ids_are Uid 65532
check "the service runs as gid 65532" ids_are Gid 65532
check "the service has no capabilities (CapEff and CapBnd are 0)" \
  bash -c "grep -qx 'CapEff:[[:space:]]*0000000000000000' '$status' && grep -qx 'CapBnd:[[:space:]]*0000000000000000' '$status'"
check "the container's root file system is mounted read-only" \
  bash -c "awk '\$5 == \"/\" { split(\$6, o, \",\"); if (o[1] == \"ro\") found = 1 } END { exit !found }' /proc/$pid/mountinfo"

# Health: Docker runs the image's HEALTHCHECK on its own schedule. Podman schedules it
# with systemd timers, which build machines without systemd do not have, so here it is
# run on demand: the same configured command, in the container, same status bookkeeping.
healthy=0
for _ in $(seq 1 30); do
  if [ "$ENGINE" = podman ]; then engine_bounded "$EXEC_LIMIT_S" healthcheck run "$name" >/dev/null 2>&1 || true; fi
  if [ "$(engine inspect --format '{{.State.Health.Status}}' "$name")" = healthy ]; then healthy=1; break; fi
  sleep 1
done
check "the image's health check reports healthy" [ "$healthy" = 1 ]
check "there is no shell to run in the container (exec /bin/sh fails)" \
  bash -c "! timeout $EXEC_LIMIT_S ${ENGINE_CMD[*]} exec '$name' /bin/sh -c true >/dev/null 2>&1"

# Name resolution in a static binary: glibc 2.36 has its files and dns lookups built in,
# so getaddrinfo reads the /etc/hosts the engine provides, with no NSS modules to load.
check "a host name resolves inside the image (verify --url http://localhost:5000/)" \
  engine_bounded "$EXEC_LIMIT_S" exec "$name" /hello-service verify --url http://localhost:5000/ --consecutive 2 --deadline-s 10

# ---- stop under real traffic ------------------------------------------------------------
log "stopping the container under load (drain delay ${DRAIN_DELAY_S} s)"
probe=$(python3 container/drain_probe.py --port "$port" --drain-delay-s "$DRAIN_DELAY_S" -- \
  timeout "$RUN_LIMIT_S" "${ENGINE_CMD[@]}" stop -t 30 "$name") || true
echo "    $probe"
check "SIGTERM under traffic: every request in flight was answered" \
  python3 -c 'import json, sys; s = json.loads(sys.argv[1]); sys.exit(1 if s["failures"] else 0)' "${probe:-"{\"failures\": [\"no output\"]}"}"
exit_code=$(engine inspect --format '{{.State.ExitCode}}' "$name")
check "the container exited with code 0 (got $exit_code)" [ "$exit_code" = 0 ]
stopped_s=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["stopped_after_s"])' "$probe" 2>/dev/null || echo 999)
check "it stopped ${stopped_s} s after SIGTERM, within the ${SHUTDOWN_TIMEOUT_S} s deadline" \
  python3 -c "import sys; sys.exit(0 if float('$stopped_s') < $SHUTDOWN_TIMEOUT_S else 1)"
check "its log says the drain completed" bash -c "${ENGINE_CMD[*]} logs '$name' 2>/dev/null | grep -q 'drain complete'"

# ---- a bad setting ---------------------------------------------------------------------
bad_rc=0
engine_bounded "$RUN_LIMIT_S" run --name "$name-bad" --read-only --cap-drop=ALL -e LOG_LEVEL=loud "$TAG" \
  >/dev/null 2>&1 || bad_rc=$?
check "LOG_LEVEL=loud makes the container exit 2 (got $bad_rc)" [ "$bad_rc" = 2 ]
check "and its log names the setting" bash -c "${ENGINE_CMD[*]} logs '$name-bad' 2>&1 | grep -q LOG_LEVEL"

# ---- arm64: assembled from the cross-compiled binary --------------------------------------
if [ -n "$ARM64_BINARY" ]; then
  log "arm64 image from the binary given in ARM64_BINARY ($ARM64_BINARY)"
fi
VERSION=$VERSION REVISION=$REVISION CREATED=$CREATED SOURCE=$SOURCE FAULT='' TAG=$TAG_ARM64 \
  PLATFORM=linux/arm64 ARM64_BINARY=$ARM64_BINARY container/build-image.sh
size_arm64=$(engine image inspect --format '{{.Size}}' "$TAG_ARM64")
check "arm64 image size $size_arm64 bytes is at most $MAX_BYTES" [ "$size_arm64" -le "$MAX_BYTES" ]
check "arm64 image: architecture arm64, same config and labels" config_check "$TAG_ARM64" arm64
temp_dir
arm64_dir=$TEMP_DIR
engine save "$TAG_ARM64" 2>/dev/null | python3 container/image_files.py --extract /hello-service "$arm64_dir" >/dev/null
problem=$(static_arm64_problem "$arm64_dir/hello-service")
check "the arm64 image's /hello-service is a static AArch64 executable${problem:+ (it $problem)}" [ -z "$problem" ]
if [ -n "$ARM64_BINARY" ]; then
  packaged=$(sha256sum <"$arm64_dir/hello-service" | cut -d' ' -f1)
  given=$(sha256sum <"$ARM64_BINARY" | cut -d' ' -f1)
  check "the arm64 image's /hello-service is the ARM64_BINARY given (sha256 ${packaged:0:12}...)" [ "$packaged" = "$given" ]
  # A downloaded CI artifact has lost its execute bit; the image must not have.
  mode=$(stat -c %a "$arm64_dir/hello-service")
  check "the arm64 image's /hello-service is executable by everyone (mode $mode)" [ "$mode" = 755 ]
fi

engine rmi -f "$TAG" "$TAG_ARM64" >/dev/null 2>&1 || true
echo "test-image: image $size bytes (arm64 $size_arm64), build ${build_s} s, whole test $(($(date +%s) - started)) s with $ENGINE"
echo "test-image: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
