#!/usr/bin/env bash
# `make test-docker`: the Docker path for real, on Debian's Docker Engine (docker.io,
# 20.10) and docker-compose (1.29), which this script starts and removes itself:
#
#   1. its own dockerd, isolated from anything else on the machine: data root under
#      build/docker-test/, exec root, pid file and Unix socket in a directory of its own
#      under /run, overlay2 storage, its own bridge (hello-docker0, 172.31.213.0/24), and no
#      iptables chains of its own (--iptables=false). The builds' apt-get reaches Debian's
#      archive through one MASQUERADE and two FORWARD rules this script adds, marked with
#      the comment hello-service-test-docker. So it never touches docker0 or the DOCKER
#      chains, which a system Docker on the same machine may own;
#   2. the build stage's base image from Podman's store (podman save | docker load):
#      nothing can be pulled here;
#   3. container/test-image.sh with CONTAINER_ENGINE=docker: the real Dockerfile built
#      with BuildKit (DOCKER_BUILDKIT=1 and the engine's own 20.10 client, which has
#      BuildKit built in), then every check the Podman image passes;
#   4. the Compose variant of the local stack through a rolling deploy under load
#      (deploy/local/tests/test_compose.py), with an HAProxy image built from Debian's
#      package (deploy/local/haproxy-image/);
#   5. whatever ends it (a failure, Ctrl-C): every container removed, dockerd stopped by
#      its pid, its mounts, bridge, rules and directories removed, ip_forward as it was.
#
# Needs root (dockerd, the bridge, iptables). One run at a time per machine (a lock).
set -euo pipefail
# shellcheck source=container/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$HELLO_ROOT"
started=$(date +%s)

readonly BRIDGE=hello-docker0 SUBNET=172.31.213.0/24 GATEWAY=172.31.213.1/24 MARK=hello-service-test-docker
readonly DATA=$HELLO_ROOT/build/docker-test RUN_DIR=/run/hello-service-test-docker
readonly VERSION_A=1.0.0-docker-a VERSION_B=1.0.0-docker-b
readonly HAPROXY_IMAGE=localhost/hello-stack-haproxy:2.6-debian
readonly START_LIMIT_S=60 STOP_LIMIT_S=60

[ "$(id -u)" -eq 0 ] || die "test-docker starts its own dockerd, a bridge and iptables rules: run it as root"
"$HELLO_ROOT/tools/ensure-packages" docker.io docker-compose iptables iproute2 util-linux python3 curl binutils \
  podman runc jq haproxy

# The lock is the machine's, not the checkout's: the bridge, the subnet, the rules and
# RUN_DIR are shared by every checkout on the machine, and a second run would tear down
# the first one's daemon. (Beside RUN_DIR, not in it: the clean-up removes RUN_DIR.)
readonly LOCK=${HELLO_TEST_DOCKER_LOCK:-/run/lock/hello-service-test-docker.lock}
mkdir -p "$HELLO_STATE_DIR" "$(dirname "$LOCK")"
exec 8>>"$LOCK"
flock -n 8 || die "another make test-docker runs on this machine, maybe from another checkout (lock $LOCK)"

# ---- clean-up: also what a killed earlier run left ------------------------------------
ip_forward_before=$(cat /proc/sys/net/ipv4/ip_forward)

daemon_pid() {
  local pid
  pid=$(cat "$RUN_DIR/dockerd.pid" 2>/dev/null) || return 1
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ] || return 1
  echo "$pid"
}

remove_rules() {  # every rule carrying this script's comment, in filter and nat
  local table line
  for table in filter nat; do
    iptables -t "$table" -S 2>/dev/null | grep -F -- "--comment $MARK" | while read -r line; do
      # shellcheck disable=SC2086  # the rule's words, as iptables -S prints them
      iptables -t "$table" -D ${line#-A }
    done
  done
}

# A subshell, so that its `set +e` stays in it: it runs first, then again on exit.
cleanup() (
  rc=$?
  set +e
  if pid=$(daemon_pid); then
    ids=$(timeout 60 docker ps -aq 2>/dev/null)
    # shellcheck disable=SC2086  # container ids
    [ -z "$ids" ] || timeout 120 docker rm -f $ids >/dev/null 2>&1
    kill -TERM "$pid"
    for _ in $(seq 1 "$STOP_LIMIT_S"); do [ -d "/proc/$pid" ] || break; sleep 1; done
    if [ -d "/proc/$pid" ]; then
      echo "warning: dockerd $pid still ran $STOP_LIMIT_S s after SIGTERM: SIGKILL" >&2
      kill -KILL "$pid"
    fi
  fi
  # dockerd's own containerd, if it outlived it.
  pid=$(cat "$RUN_DIR/exec/containerd/containerd.pid" 2>/dev/null) && kill -TERM "$pid" 2>/dev/null
  for dir in "$RUN_DIR" "$DATA"; do
    findmnt -rn -o TARGET | grep -F "$dir/" | sort -r | while read -r mount; do umount -l "$mount"; done
  done
  remove_rules
  ip link delete "$BRIDGE" 2>/dev/null
  rm -rf "$RUN_DIR" "$DATA"
  if [ "$(cat /proc/sys/net/ipv4/ip_forward)" != "$ip_forward_before" ]; then
    echo "$ip_forward_before" >/proc/sys/net/ipv4/ip_forward
  fi
  exit "$rc"
)
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
cleanup  # what a killed run may have left

# ---- 1. the daemon ----------------------------------------------------------------------
if ip route | grep -F "${SUBNET%.*}." | grep -qvF "$BRIDGE"; then
  die "$SUBNET is routed already on this machine: test-docker needs it for its bridge"
fi
log "starting dockerd (Docker Engine $(dpkg-query -W -f='${Version}' docker.io)) on its own bridge $BRIDGE"
ip link add name "$BRIDGE" type bridge
ip addr add "$GATEWAY" dev "$BRIDGE"
ip link set "$BRIDGE" up
iptables -t nat -A POSTROUTING -s "$SUBNET" ! -o "$BRIDGE" -m comment --comment "$MARK" -j MASQUERADE
iptables -I FORWARD 1 -i "$BRIDGE" -m comment --comment "$MARK" -j ACCEPT
iptables -I FORWARD 1 -o "$BRIDGE" -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment "$MARK" -j ACCEPT
mkdir -p "$DATA/bin" "$RUN_DIR"
# Its own session: a Ctrl-C reaches this script, whose clean-up stops the daemon in order.
setsid dockerd --data-root "$DATA/root" --exec-root "$RUN_DIR/exec" --pidfile "$RUN_DIR/dockerd.pid" \
  --host "unix://$RUN_DIR/docker.sock" --storage-driver overlay2 --bridge "$BRIDGE" --iptables=false --ip-masq=false \
  </dev/null >"$DATA/dockerd.log" 2>&1 &
export DOCKER_HOST=unix://$RUN_DIR/docker.sock
# The engine's own client first on PATH: a newer docker CLI (23 and later) builds with
# BuildKit only through the buildx plugin, which Debian 12 does not have.
ln -sf /usr/bin/docker "$DATA/bin/docker"
export PATH=$DATA/bin:$PATH
ready=0
for _ in $(seq 1 "$START_LIMIT_S"); do
  if timeout 10 docker info >/dev/null 2>&1; then ready=1; break; fi
  sleep 1
done
if [ "$ready" != 1 ]; then
  tail -n 30 "$DATA/dockerd.log" >&2
  die "dockerd did not answer within $START_LIMIT_S s (log above)"
fi
log "dockerd $(daemon_pid) answers on $DOCKER_HOST: $(docker version --format 'engine {{.Server.Version}}, API {{.Server.APIVersion}}'), storage $(docker info --format '{{.Driver}}')"

# ---- 2. the base image ----------------------------------------------------------------------
CONTAINER_ENGINE=podman container/base-image.sh
log "loading docker.io/library/debian:bookworm-slim from Podman's store into Docker"
container/podman save docker.io/library/debian:bookworm-slim | docker load

# ---- 3. the image, with BuildKit, and test-image's checks ------------------------------------
failures=()
log "container/test-image.sh on Docker"
CONTAINER_ENGINE=docker container/test-image.sh || failures+=("test-image on Docker")

# ---- 4. the Compose stack through a deploy ---------------------------------------------------
log "building $VERSION_A and $VERSION_B, and HAProxy from Debian's package, for Compose"
for version in "$VERSION_A" "$VERSION_B"; do
  CONTAINER_ENGINE=docker VERSION=$version TAG=localhost/hello-service:$version FAULT='' PLATFORM='' \
    ARM64_BINARY='' container/build-image.sh >"$DATA/build-$version.log" 2>&1 ||
    { tail -n 30 "$DATA/build-$version.log" >&2; die "building $version with Docker failed"; }
  tail -n 1 "$DATA/build-$version.log"
done
DOCKER_BUILDKIT=1 docker build -q -t "$HAPROXY_IMAGE" deploy/local/haproxy-image >/dev/null
STACK_HAPROXY_IMAGE=$HAPROXY_IMAGE STACK_COMPOSE_DIR=$DATA/compose \
  /usr/bin/python3 -B deploy/local/tests/test_compose.py "$VERSION_A" "$VERSION_B" || failures+=("Compose deploy")

echo "test-docker: $(($(date +%s) - started)) s in all${failures[*]:+; FAILED: ${failures[*]}}"
[ "${#failures[@]}" -eq 0 ]
