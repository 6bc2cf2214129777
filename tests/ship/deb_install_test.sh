#!/usr/bin/env bash
# Installs the CPack .deb with apt into a fresh debian:bookworm container (the base image
# scripts/container-build.sh imports) and runs it: proves the package's Depends: bring every runtime
# library, and that the files land where docs/operations.md says. Needs network to the Debian mirror.
#   tests/ship/deb_install_test.sh [BUILD_DIR]      (default build; needs cmake/Packaging.cmake included)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
[ -f "$build/CPackConfig.cmake" ] || { echo "deb-install-test: $build/CPackConfig.cmake missing (include cmake/Packaging.cmake)" >&2; exit 1; }
cache=${CARTOPULL_CONTAINER_CACHE:-/var/cache/cartopull-container}
# shellcheck source=scripts/container-env.sh
. scripts/container-env.sh
write_containers_conf "$cache"
podman image exists localhost/debian:bookworm || { echo "deb-install-test: run scripts/container-build.sh first" >&2; exit 1; }
dist=$(mktemp -d /tmp/cartopull-deb.XXXXXX)
trap 'rm -rf "$dist"' EXIT
cpack -G DEB --config "$build/CPackConfig.cmake" -B "$dist" >/dev/null 2>&1
deb=$(basename "$(ls "$dist"/*.deb)")
out=$(podman run --rm --no-healthcheck "${podman_run_args[@]}" -v "$dist/$deb:/tmp/$deb:ro" \
  localhost/debian:bookworm /bin/sh -c "
    set -e
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends /tmp/$deb >/dev/null
    cartopull version
    test -f /lib/systemd/system/cartopull.service
    test -f /etc/cartopull/cartopull.example.yaml
    test -f /usr/share/doc/cartopull/operations.md
    CARTO_API_KEY=k cartopull check-config /etc/cartopull/cartopull.example.yaml
    dpkg -s cartopull | sed -n 's/^Depends: //p'
  " 2>&1) || { echo "$out" >&2; echo "deb-install-test: 0 passed, 1 failed"; exit 1; }
echo "$out"
echo "deb-install-test: 1 passed, 0 failed"
