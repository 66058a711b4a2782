#!/usr/bin/env bash
# The image benchmark (`make bench-image`, part of `make bench`): hello-service's image
# beside the seed's (Flask + gunicorn on debian:bookworm-slim, bench/seed/), in one run
# on one machine. For each image: its uncompressed size; and, over ROUNDS runs taken in
# turn, the time from `run` to the first 200 from /health (polled every 10 ms from the
# host), from `run` to its own health check passing (run back to back, as often as the
# engine allows), and the resident memory of its processes once healthy.
# Writes the "## Container image" section of docs/OPTIMIZATION.md.
#
#   bench/image.sh            ROUNDS=5 by default
set -euo pipefail
# shellcheck source=container/lib.sh
. "$(dirname "$0")/../container/lib.sh"
cd "$HELLO_ROOT"

ROUNDS=${ROUNDS:-5}
[[ "$ROUNDS" =~ ^[1-9][0-9]?$ ]] || die "ROUNDS='$ROUNDS': use 1 to 99"
readonly SERVICE_TAG=localhost/hello-service:bench SEED_TAG=localhost/hello-seed:bench
readonly DOC=docs/OPTIMIZATION.md
temp_dir
results=$TEMP_DIR/results
name=""
poller=""
# Stops at once (the measurement is over; no drain to wait for) and removes.
discard() {
  engine stop -t 0 "$1" >/dev/null 2>&1 || true
  engine rm -f "$1" >/dev/null 2>&1 || true
}
# Whatever ends the run: the /health poller stopped, the container removed, the
# scratch files gone.
cleanup() {
  if [ -n "$poller" ]; then kill "$poller" 2>/dev/null || true; fi
  [ -z "$name" ] || discard "$name"
  remove_temps
}
trap cleanup EXIT

"$HELLO_ROOT/tools/ensure-packages" python3 procps
container_init
log "building both images ($ENGINE)"
TAG=$SERVICE_TAG container/build-image.sh >/dev/null
seed_args=(--tag "$SEED_TAG")
[ "$ENGINE" = podman ] && seed_args+=(--format docker)
engine build "${seed_args[@]}" bench/seed >/dev/null

# first_200 START PORT: seconds from START (epoch) to the first 200 from /health.
first_200() {
  python3 - "$1" "$2" <<'EOF'
import socket, sys, time
start, port = float(sys.argv[1]), int(sys.argv[2])
while time.time() - start < 60:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"GET /health HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
            if s.recv(64).startswith(b"HTTP/1.1 200"):
                print(f"{time.time() - start:.3f}")
                sys.exit(0)
    except OSError:
        pass
    time.sleep(0.01)
sys.exit("no 200 from /health within 60 s")
EOF
}

# measure LABEL TAG ROUND: one round for one image; prints "image first_200_s healthy_s rss_kib".
measure() {
  local label=$1 tag=$2 port start f200 healthy rss pid
  name=hello-bench-$$-$label-$3
  port=$(free_port)
  start=$(date +%s.%N)
  first_200 "$start" "$port" >"$results.f200" &
  poller=$!
  engine run -d --name "$name" -p "127.0.0.1:$port:5000" --read-only --cap-drop=ALL \
    ${ENGINE_HEALTH_FLAGS[@]+"${ENGINE_HEALTH_FLAGS[@]}"} "$tag" >/dev/null 2>"$results.err" ||
    { grep -v systemd "$results.err" >&2; die "$label: the container did not start"; }
  healthy=""
  for _ in $(seq 1 600); do
    if [ "$ENGINE" = podman ]; then
      engine healthcheck run "$name" >/dev/null 2>&1 || true
    fi
    if [ "$(engine inspect --format '{{.State.Health.Status}}' "$name" 2>/dev/null)" = healthy ]; then
      healthy=$(python3 -c "import time; print(f'{time.time() - $start:.3f}')")
      break
    fi
    sleep 0.05
  done
  wait "$poller" || { poller=""; die "$label: no 200 from /health"; }
  poller=""
  f200=$(cat "$results.f200")
  [ -n "$healthy" ] || die "$label: the health check did not pass within the bound"
  sleep 1  # settle: workers forked, first requests served
  pid=$(engine inspect --format '{{.State.Pid}}' "$name")
  rss=$(ps -o rss= --pid "$pid" --ppid "$pid" | awk '{ sum += $1 } END { print sum }')
  discard "$name"
  echo "$label $f200 $healthy $rss"
}

# Docker runs health checks on its own schedule: make it as frequent as it allows.
ENGINE_HEALTH_FLAGS=()
[ "$ENGINE" = docker ] && ENGINE_HEALTH_FLAGS=(--health-interval=1s --health-start-period=0s)

log "timing $ROUNDS rounds of run -> first 200 -> healthy, the two images in turn"
for round in $(seq 1 "$ROUNDS"); do
  measure hello-service "$SERVICE_TAG" "$round" >>"$results"
  measure seed "$SEED_TAG" "$round" >>"$results"
  echo "    round $round done"
done
service_size=$(engine image inspect --format '{{.Size}}' "$SERVICE_TAG")
seed_size=$(engine image inspect --format '{{.Size}}' "$SEED_TAG")

section=$(python3 - "$results" "$service_size" "$seed_size" "$ENGINE" "$ROUNDS" <<'EOF'
import statistics, subprocess, sys
path, service_size, seed_size, engine, rounds = sys.argv[1:]
rows = {}
for line in open(path):
    label, f200, healthy, rss = line.split()
    rows.setdefault(label, []).append((float(f200), float(healthy), int(rss)))
def med(label, index):
    return statistics.median(r[index] for r in rows[label])
sizes = {"hello-service": int(service_size), "seed": int(seed_size)}
names = {"hello-service": "hello-service (`scratch`, one static binary)",
         "seed": "the seed (Flask + gunicorn, 2 sync workers, `debian:bookworm-slim`)"}
cores = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown CPU")
out = [
    f"Measured by `make bench-image` (bench/image.sh) with {engine}, {rounds} rounds, the two images",
    f"in turn, on {cpu} ({cores} cores); medians. Both run with `--read-only --cap-drop=ALL`.",
    "\"First 200\" is polled from the host every 10 ms; \"healthy\" is the image's own health check",
    "run back to back until it passes (Podman has no systemd timers here to run it by itself),",
    "so it includes starting that check's process in the container each time.",
    "",
    "| image | size (uncompressed) | run to first 200 | run to healthy | memory once healthy (RSS) |",
    "|---|---:|---:|---:|---:|",
]
for label in ("hello-service", "seed"):
    out.append(f"| {names[label]} | {sizes[label] / 1e6:.1f} MB | {med(label, 0) * 1000:.0f} ms | "
               f"{med(label, 1) * 1000:.0f} ms | {med(label, 2) / 1024:.1f} MiB |")
ratio = sizes["seed"] / sizes["hello-service"]
out += [
    "",
    f"The seed's image is {ratio:.0f} times larger; hello-service answers its first request "
    f"{med('seed', 0) / med('hello-service', 0):.1f} times sooner after `run`, and uses "
    f"{med('seed', 2) / med('hello-service', 2):.0f} times less memory.",
    "Most of hello-service's time to its first 200 is the engine creating the container and its",
    "network; the binary itself answers within milliseconds of exec. Its health check is the",
    "binary again (`/hello-service healthcheck`), so checking costs one small static process;",
    "the seed's check starts a Python interpreter each time.",
]
print("\n".join(out))
EOF
)
python3 - "$DOC" "$section" <<'EOF'
import re, sys
path, section = sys.argv[1], sys.argv[2]
text = open(path).read()
heading = "## Container image"
if heading not in text:
    sys.exit(f"{path} has no '{heading}' section")
before, _, rest = text.partition(heading)
following = re.search(r"^## ", rest, flags=re.M)
after = rest[following.start():] if following else ""
open(path, "w").write(f"{before}{heading}\n\n{section}\n" + (f"\n{after}" if after else ""))
EOF
echo "$section"
log "wrote the \"## Container image\" section of $DOC"
