#!/usr/bin/env bash
# Scale: one `cartopull run` of a 1,048,576-tile job (zoom 10, the whole world, MVT so fake-carto's
# single thread is not the bound) against fake-carto on loopback, sampling the daemon's RSS every
# second. Prints the RSS peak of each quarter of the run (flat = bounded), the overall peak and tiles/s.
# Target (issue 9): RSS stays flat and the peak stays <= 100 MB.
#   bench/million_tiles.sh [BUILD_DIR=build] [ZOOM=10]
set -euo pipefail
build=${1:-build}
zoom=${2:-10}
work=$(mktemp -d)
cleanup() {
  kill "$fake" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
# shellcheck source=bench/fake_carto_pyramid.sh
. "$(dirname "$0")/fake_carto_pyramid.sh"
start_fake_carto "$build" "$work" --tile-cache-mb 16 --log-capacity 1000
write_pyramid_config "$work" million "$zoom" "$zoom" mvt 16
/usr/bin/time -f "%e %U %S %M" -o "$work/time" env BENCH_KEY=bench-key \
  "$build/daemon/cartopull" run -c "$work/c.yaml" million --log-level warn >"$work/out" &
timer=$!
# /usr/bin/time's child is the daemon; sample its resident set once a second.
daemon=""
for _ in $(seq 100); do
  daemon=$(pgrep -P "$timer" -x cartopull || true)
  [ -n "$daemon" ] && break
  sleep 0.05
done
: >"$work/rss"
while kill -0 "$daemon" 2>/dev/null; do
  awk '/^VmRSS/ {print $2}' "/proc/$daemon/status" 2>/dev/null >>"$work/rss" || true
  sleep 1
done
wait "$timer"
read -r wall user sys peak <"$work/time"
items=$(awk '/items/ {print $2}' "$work/out")
tiles=$(sqlite3 "$work/db/c.db" 'select count(*) from tiles' 2>/dev/null || echo "?")
awk -v items="$items" -v tiles="$tiles" -v wall="$wall" -v user="$user" -v sys="$sys" -v peak="$peak" '
  { rss[NR] = $1 }
  END {
    n = NR
    printf "items %d (tile rows with content %s; blank tiles answer 204 and store no row)\n", items, tiles
    printf "wall %.1f s  %.0f items/s  cpu %.1f s\n", wall, items / wall, user + sys
    printf "RSS max per quarter of the run (%d samples):", n
    for (k = 1; k <= 4; k++) {
      m = 0
      for (i = int((k - 1) * n / 4) + 1; i <= int(k * n / 4); i++) if (rss[i] > m) m = rss[i]
      printf " %.1f", m / 1024
    }
    printf " MB; peak (time -f %%M) %.1f MB\n", peak / 1024
    ok = peak / 1024 <= 100
    printf "%s: peak RSS %.1f MB against the 100 MB bound\n", (ok ? "PASS" : "FAIL"), peak / 1024
    exit !ok
  }' "$work/rss"
