#!/usr/bin/env bash
# Builds the cartopull image with podman and no registry: a Debian 12 base made by debootstrap and
# `podman import`ed as debian:bookworm and debian:bookworm-slim, then `podman build --isolation=chroot`.
#   scripts/container-build.sh [--tag NAME] [--rebuild-base]   (--rebuild-base re-imports the cached tree;
#   delete the cache directory to debootstrap again)
# Cache (debootstrap tree, containers.conf): $CARTOPULL_CONTAINER_CACHE, default /var/cache/cartopull-container.
# Must run as root (debootstrap; podman with runc and host networking). Prints build time and image size.
set -euo pipefail
cd "$(dirname "$0")/.."

tag=localhost/cartopull:latest
rebuild_base=0
while [ $# -gt 0 ]; do
  case "$1" in
    --tag) tag=$2; shift ;;
    --rebuild-base) rebuild_base=1 ;;
    *) echo "usage: $0 [--tag NAME] [--rebuild-base]" >&2; exit 64 ;;
  esac
  shift
done

cache=${CARTOPULL_CONTAINER_CACHE:-/var/cache/cartopull-container}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
# shellcheck source=scripts/container-env.sh
. scripts/container-env.sh

if [ "$(id -u)" -ne 0 ]; then
  echo "container-build: run as root (debootstrap and podman with runc)" >&2
  exit 77
fi
need=()
for tool in debootstrap podman runc; do command -v "$tool" >/dev/null || need+=("$tool"); done
if [ ${#need[@]} -gt 0 ]; then
  echo "container-build: installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
write_containers_conf "$cache"

# The base images: one minbase debootstrap tree; slim drops docs, man pages and locales as Docker's does.
base_image() { podman image exists "localhost/debian:$1"; }
if [ $rebuild_base -eq 1 ] || ! base_image bookworm || ! base_image bookworm-slim; then
  start=$(date +%s)
  rootfs="$cache/rootfs"
  if [ ! -f "$rootfs/.complete" ]; then
    rm -rf "$rootfs" "$rootfs.tmp"
    echo "container-build: debootstrap bookworm from $mirror into $rootfs"
    debootstrap --variant=minbase bookworm "$rootfs.tmp" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
      { tail -20 "$cache/debootstrap.log" >&2; exit 1; }
    touch "$rootfs.tmp/.complete"
    mv "$rootfs.tmp" "$rootfs"
  fi
  # As Docker's debian images: bookworm, -updates and -security; no recommends; no apt caches in layers.
  cat >"$rootfs/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb ${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security} bookworm-security main
EOF
  printf 'APT::Install-Recommends "false";\n' >"$rootfs/etc/apt/apt.conf.d/90container"
  cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/cache/apt/*.bin
  tar --numeric-owner --exclude=./.complete -C "$rootfs" -c . |
    podman import --change 'CMD ["/bin/bash"]' - localhost/debian:bookworm >/dev/null
  # slim: the same tree without documentation, and dpkg told not to install it again.
  slim="$cache/rootfs-slim"
  rm -rf "$slim" && cp -a "$rootfs" "$slim"
  find "$slim/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  rm -rf "$slim"/usr/share/man/* "$slim"/usr/share/info/* "$slim"/usr/share/locale/* "$slim"/usr/share/groff/*
  cat >"$slim/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
EOF
  tar --numeric-owner --exclude=./.complete -C "$slim" -c . |
    podman import --change 'CMD ["/bin/bash"]' - localhost/debian:bookworm-slim >/dev/null
  rm -rf "$slim"
  echo "container-build: base images debian:bookworm and debian:bookworm-slim imported in $(($(date +%s) - start)) s"
fi

# --format docker keeps HEALTHCHECK (the OCI image format has no field for it).
start=$(date +%s)
podman build --isolation=chroot --network=host --pull=never --format docker \
  --ulimit "nofile=$(ulimit -Sn):$(ulimit -Hn)" -t "$tag" -f Dockerfile .
elapsed=$(($(date +%s) - start))
size=$(podman image inspect --format '{{.Size}}' "$tag")
echo "container-build: $tag built in ${elapsed} s; image size $((size / 1024 / 1024)) MiB ($size bytes)"
