#!/usr/bin/env bash
# Makes sure the build stage's base image, docker.io/library/debian:bookworm-slim, is in
# the engine's store: present already -> nothing to do; else pull it; and only when the
# pull fails (no registry reachable, as on this project's CI machines) build it offline
# from Debian's packages and import it under the same name, once.
#
# The offline image: debootstrap's minbase variant of bookworm, slimmed the way the
# official image is (no documentation, man pages or locales; apt keeps no package lists
# or downloaded packages; dpkg skips those paths from then on), with bookworm,
# bookworm-updates and bookworm-security in its sources. It is labelled as made here,
# so that nobody mistakes it for the official one.
#
# Environment: DEBIAN_MIRROR (default http://deb.debian.org/debian),
# DEBIAN_SECURITY_MIRROR (default http://deb.debian.org/debian-security),
# BASE_IMAGE_OFFLINE=1 to skip the pull.
set -euo pipefail
# shellcheck source=container/lib.sh
. "$(dirname "$0")/lib.sh"

readonly IMAGE=docker.io/library/debian:bookworm-slim
readonly SUITE=bookworm
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}

container_init

if engine image inspect "$IMAGE" >/dev/null 2>&1; then
  origin=$(engine image inspect --format '{{index .Config.Labels "org.opencontainers.image.vendor"}}' "$IMAGE" 2>/dev/null || true)
  log "base image $IMAGE present${origin:+ ($origin)}"
  exit 0
fi

if [ "${BASE_IMAGE_OFFLINE:-0}" != 1 ]; then
  log "pulling $IMAGE"
  if timeout 300 "${ENGINE_CMD[@]}" pull "$IMAGE"; then
    exit 0
  fi
  log "the pull failed: building $IMAGE offline from Debian's packages instead"
fi

[ "$(id -u)" -eq 0 ] || die "debootstrap needs root to build the base image offline"
"$HELLO_ROOT/tools/ensure-packages" debootstrap debian-archive-keyring

mkdir -p "$HELLO_STATE_DIR"
exec 9>"$HELLO_STATE_DIR/base-image.lock"
flock 9
# Another run may have imported it while this one waited for the lock.
if engine image inspect "$IMAGE" >/dev/null 2>&1; then
  log "base image $IMAGE present"
  exit 0
fi

rootfs=$(mktemp -d "$HELLO_STATE_DIR/rootfs.XXXXXX")
# debootstrap mounts proc and sys inside the target while it works, and a run stopped
# half-way leaves them mounted: unmount whatever is below the target before removing it,
# and never let rm cross into another filesystem (the host's /proc, /sys).
cleanup() {
  awk -v root="$rootfs/" 'index($2, root) == 1 { print $2 }' /proc/self/mounts | sort -r |
    while read -r mounted; do umount -l "$mounted" 2>/dev/null || true; done
  rm -rf --one-file-system "$rootfs"
}
trap cleanup EXIT

start=$(date +%s)
log "debootstrap --variant=minbase $SUITE from $MIRROR (about a minute)"
debootstrap --variant=minbase --keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
  "$SUITE" "$rootfs" "$MIRROR" >"$HELLO_STATE_DIR/debootstrap.log" 2>&1 ||
  { tail -20 "$HELLO_STATE_DIR/debootstrap.log" >&2; die "debootstrap failed (log: $HELLO_STATE_DIR/debootstrap.log)"; }

log "slimming the root file system"
# Sources: the release, its updates and its security fixes, as in the official image.
rm -f "$rootfs/etc/apt/sources.list"
cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $SECURITY_MIRROR
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF

# dpkg: leave documentation, manuals and translations out of every later install too
# (copyright files stay: they are the licences).
cat >"$rootfs/etc/dpkg/dpkg.cfg.d/hello-slim" <<'EOF'
# Made by container/base-image.sh: keep the image small.
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
# A container is thrown away, not crashed: skip dpkg's fsync calls.
echo force-unsafe-io >"$rootfs/etc/dpkg/dpkg.cfg.d/hello-unsafe-io"

# apt: no downloaded packages kept after an install, no translations, compressed lists,
# and suggestions never keep a package installed.
cat >"$rootfs/etc/apt/apt.conf.d/hello-slim" <<'EOF'
// Made by container/base-image.sh: keep the image small.
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
Acquire::Languages "none";
Acquire::GzipIndexes "true";
Acquire::CompressionTypes::Order:: "gz";
Apt::AutoRemove::SuggestsImportant "false";
EOF

# What the first install left behind, and files that belong to the host, not the image
# (the engine provides resolv.conf, hosts and hostname to each container).
find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
rm -rf "$rootfs"/usr/share/{man,groff,info,lintian,linda}/*
find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* "$rootfs"/var/cache/debconf/*-old \
  "$rootfs"/var/lib/dpkg/*-old "$rootfs"/tmp/* "$rootfs"/var/tmp/*
find "$rootfs/var/log" -type f -delete
rm -f "$rootfs/etc/resolv.conf" "$rootfs/etc/hostname" "$rootfs/etc/hosts"
: >"$rootfs/etc/machine-id"

log "importing it as $IMAGE"
tar --numeric-owner --xattrs -C "$rootfs" -c . |
  engine import \
    --change 'CMD ["bash"]' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'LABEL org.opencontainers.image.vendor="made offline by container/base-image.sh from Debian packages"' \
    - "$IMAGE" >/dev/null
size=$(engine image inspect --format '{{.Size}}' "$IMAGE")
log "base image $IMAGE built offline in $(($(date +%s) - start)) s, $((size / 1000000)) MB"
