#!/usr/bin/env bash
# End to end: `cartopull run` of a seed-shape tile pyramid against the fake-carto binary on loopback.
# Prints tiles/s, CPU seconds and peak RSS for (1) a cold run (fake-carto renders every tile: its
# first PNG render, ~4.6 ms on one thread, bounds this run), (2) a run into a fresh database with
# fake-carto's cache warm (what cartopull itself sustains), (3) a revalidation run (304s).
#   bench/e2e_pyramid.sh [BUILD_DIR=build] [MAX_ZOOM=7]
set -euo pipefail
build=${1:-build}
zoom=${2:-7}
work=$(mktemp -d)
trap 'kill "$fake" 2>/dev/null || true; rm -rf "$work"' EXIT
# shellcheck source=bench/fake_carto_pyramid.sh
. "$(dirname "$0")/fake_carto_pyramid.sh"
start_fake_carto "$build" "$work"
write_pyramid_config "$work" pyramid 0 "$zoom" png 8
run() {
  /usr/bin/time -f "%e %U %S %M" -o "$work/time" env BENCH_KEY=bench-key \
    "$build/daemon/cartopull" run -c "$work/c.yaml" pyramid --log-level warn >"$work/out"
  read -r wall user sys rss <"$work/time"
  items=$(awk '/items/ {print $2}' "$work/out")
  awk -v n="$1" -v i="$items" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" 'BEGIN {
    printf "%-34s %7d items  %8.0f items/s  cpu %5.2fs  peak RSS %6.1f MB\n", n, i, i / w, u + s, r / 1024 }'
}
run "cold (fake-carto renders)"
rm -rf "$work/db"
run "warm source, fresh database"
run "revalidation (304 Not Modified)"
