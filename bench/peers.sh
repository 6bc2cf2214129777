#!/usr/bin/env bash
# End-to-end benchmark against the peers, on the same generated tiles in one run:
#   wrk (loopback ceiling), curl --parallel into files, a raw SQLite insert (storage ceiling),
#   mapproxy-seed (MBTiles cache) and `cartopull run` over HTTP and HTTPS, all from a local nginx.
# Prints tiles/s, CPU seconds (tool; nginx worker from /proc), peak RSS, the ratios vs the targets,
# and verifies every stored byte (and the MBTiles TMS row flip) of cartopull and mapproxy.
#   bench/peers.sh [BUILD_DIR=build] [MAX_ZOOM=8] [MAPPROXY_MAX_ZOOM=MAX_ZOOM]
# Needs scripts/install-bench-deps.sh. Uses ~4 GB of temporary disk at z8 (deleted at exit).
set -euo pipefail
build=$(realpath "${1:-build}")
zoom=${2:-8}
mp_zoom=${3:-$zoom}  # mapproxy-seed does ~1,000 tiles/s here: the whole z8 pyramid takes ~1.5 min
[ "$mp_zoom" -le "$zoom" ] || mp_zoom=$zoom
here=$(cd "$(dirname "$0")" && pwd)
for tool in nginx wrk mapproxy-seed curl sqlite3 openssl python3 /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "peers.sh: $tool missing: run scripts/install-bench-deps.sh" >&2; exit 1; }
done
work=$(mktemp -d /tmp/cartopull-peers.XXXXXX)
chmod 755 "$work"  # nginx workers may run as nobody when started by root
nginx_pid=""
cleanup() {
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
[ -z "${PEERS_KEEP:-}" ] || trap 'kill "$nginx_pid" 2>/dev/null; echo "kept $work"' EXIT
tick=$(getconf CLK_TCK)
# shellcheck source=bench/nginx_tiles.sh
. "$here/nginx_tiles.sh"

echo "== load average at start: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
echo "== generating z0-$zoom tiles"
"$build/bench/tile_pyramid_gen" "$work/tiles" "$zoom"
total=$(( ( (1 << (2 * (zoom + 1))) - 1) / 3 ))
mp_total=$(( ( (1 << (2 * (mp_zoom + 1))) - 1) / 3 ))
# Every tile path, for wrk's cycle and curl's config.
python3 - "$work" "$zoom" <<'PY'
import sys
work, zoom = sys.argv[1], int(sys.argv[2])
with open(f"{work}/paths", "w") as p:
    for z in range(zoom + 1):
        for x in range(1 << z):
            for y in range(1 << z):
                p.write(f"/tiles/{z}/{x}/{y}.png\n")
PY

# nginx: own prefix, one worker, keep-alive, no access log, HTTP and HTTPS (self-signed, made now).
start_nginx "$work"

results=$work/results
: >"$results"
# measure NAME TILES [RATE_OVERRIDE] -- CMD...: records wall, tiles/s, tool CPU, nginx CPU, RSS.
measure() {
  local name=$1 tiles=$2 rate=$3
  shift 4
  local before after wall user sys rss
  before=$(nginx_ticks)
  /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" >"$work/out.$name" 2>&1 || {
    echo "peers.sh: $name failed:" >&2
    tail -20 "$work/out.$name" >&2
    exit 1
  }
  after=$(nginx_ticks)
  read -r wall user sys rss <"$work/time"
  [ -n "$rate" ] || rate=$(awk -v n="$tiles" -v w="$wall" 'BEGIN { printf "%.0f", n / w }')
  echo "$name $tiles $wall $rate $(awk -v u="$user" -v s="$sys" 'BEGIN{print u + s}') \
$(awk -v t=$((after - before)) -v k="$tick" 'BEGIN{print t / k}') $rss" >>"$results"
}
# override FIELD VALUE: replaces a field (2 = tiles, 4 = tiles/s) of the last measurement.
override() { sed -i "\$s/^\(\([^ ]* \)\{$(($1 - 1))\}\)[^ ]*/\1$2/" "$results"; }
show() { tail -n 1 "$results" | awk '{ printf "   %-16s %7d tiles %8.2f s %8d tiles/s\n", $1, $2, $3, $4 }'; }

echo "== wrk (loopback ceiling), 10 s, 1 thread, 32 connections, cycling through every tile"
cat >"$work/cycle.lua" <<LUA
local paths = {}
for line in io.lines("$work/paths") do paths[#paths + 1] = line end
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
LUA
for scheme in http https; do
  [ "$scheme" = http ] && url="http://127.0.0.1:$port" || url="https://127.0.0.1:$tls_port"
  measure "wrk_$scheme" 0 "" -- wrk -t1 -c32 -d10s -s "$work/cycle.lua" "$url"
  override 2 "$(awk '/requests in/ {print $1}' "$work/out.wrk_$scheme")"
  override 4 "$(awk '/Requests\/sec/ {printf "%.0f", $2}' "$work/out.wrk_$scheme")"
  show
done

echo "== curl --parallel --parallel-max 32 into files"
awk -v base="http://127.0.0.1:$port" -v out="$work/curl" \
  '{ printf "url = \"%s%s\"\noutput = \"%s%s\"\n", base, $0, out, substr($0, 7) }' "$work/paths" >"$work/curl.cfg"
measure curl_http "$total" "" -- curl -s --fail --parallel --parallel-max 32 --create-dirs -K "$work/curl.cfg"
show
diff -rq "$work/tiles" "$work/curl" >/dev/null || { echo "peers.sh: curl's files differ" >&2; exit 1; }
rm -rf "$work/curl"

echo "== raw SQLite insert (storage ceiling; cartopull's pragmas; inserts timed, file reads not)"
measure raw_sqlite "$total" "" -- "$build/bench/raw_sqlite_insert" "$work/tiles" "$zoom" "$work/raw.db"
override 4 "$(awk '/tiles\/s/ {print $(NF-1)}' "$work/out.raw_sqlite")"
show
rm -f "$work"/raw.db*

verify() {  # verify MBTILES MAX_ZOOM: every tile present once, bytes equal, tile_row = 2^z-1-y
  python3 - "$work/tiles" "$1" "$2" <<'PY'
import sqlite3, sys
tiles, path, zoom = sys.argv[1], sys.argv[2], int(sys.argv[3])
db = sqlite3.connect(path)
seen = 0
for z, col, row, data in db.execute("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles"):
    y = (1 << z) - 1 - row
    with open(f"{tiles}/{z}/{col}/{y}.png", "rb") as f:
        if f.read() != bytes(data):
            sys.exit(f"{path}: tile {z}/{col}/{y} (row {row}) differs from the source file")
    seen += 1
want = ((1 << (2 * (zoom + 1))) - 1) // 3
if seen != want:
    sys.exit(f"{path}: {seen} tiles, want {want}")
print(f"   verified {seen} tiles byte for byte with tile_row = 2^z - 1 - y")
PY
}

echo "== mapproxy-seed z0-$mp_zoom (tile source -> MBTiles cache, WAL, 2 processes)"
cat >"$work/mapproxy.yaml" <<YAML
services:
  tms:
layers:
  - name: tiles
    title: tiles
    sources: [tiles_cache]
caches:
  tiles_cache:
    grids: [webmercator_tms]
    sources: [nginx]
    format: image/png
    cache:
      type: mbtiles
      filename: $work/mapproxy.mbtiles
      sqlite_wal: true
sources:
  nginx:
    type: tile
    url: http://127.0.0.1:$port/tiles/%(z)s/%(x)s/%(y)s.png
    grid: webmercator_xyz
grids:
  # The MBTiles cache writes its grid's rows as they are: a south-west origin gives TMS rows.
  webmercator_tms:
    base: GLOBAL_WEBMERCATOR
    origin: sw
  webmercator_xyz:
    base: GLOBAL_WEBMERCATOR
    origin: nw
YAML
cat >"$work/seed.yaml" <<YAML
seeds:
  all:
    caches: [tiles_cache]
    levels:
      to: $mp_zoom
YAML
measure mapproxy_http "$mp_total" "" -- mapproxy-seed -f "$work/mapproxy.yaml" -s "$work/seed.yaml" -c 2 --quiet
show
verify "$work/mapproxy.mbtiles" "$mp_zoom"
rm -f "$work"/mapproxy.mbtiles*

echo "== cartopull run (seed-shape source on nginx; concurrency 32, rate limits out of the way)"
cat >"$work/cartopull.yaml" <<YAML
store: {path: $work/cartopull.db}
defaults:
  concurrency: {max: 32, initial: 32, adaptive: false}
  rate_limits: {tile: {rate: 100000, burst: 100000}}
  http: {max_connections_per_origin: 32}
sources:
  http: {shape: seed, base_url: "http://127.0.0.1:$port/", auth: none}
  https: {shape: seed, base_url: "https://127.0.0.1:$tls_port/", auth: none, tls: {ca_file: $work/cert.pem}}
jobs:
  - name: http
    source: http
    resources: [{name: tiles, kind: tiles, tiles: {min_zoom: 0, max_zoom: $zoom}}]
  - name: https
    source: https
    resources: [{name: tiles, kind: tiles, tiles: {min_zoom: 0, max_zoom: $zoom}}]
YAML
for scheme in http https; do
  rm -f "$work"/cartopull.db*
  measure "cartopull_$scheme" "$total" "" -- "$build/daemon/cartopull" run -c "$work/cartopull.yaml" "$scheme" \
    --log-level warn
  show
  "$build/daemon/cartopull" export -c "$work/cartopull.yaml" mbtiles "$scheme/tiles/png" \
    "$work/$scheme.mbtiles" >/dev/null
  verify "$work/$scheme.mbtiles" "$zoom"
  rm -f "$work/$scheme.mbtiles"
done
# The same HTTP run with a 64 MiB write queue (the default before 16 MiB): how much of the RSS is that bound.
rm -f "$work"/cartopull.db*
sed 's|^store: {path: \(.*\)}$|store: {path: \1, queue_bytes: 67108864}|' "$work/cartopull.yaml" >"$work/q64.yaml"
measure cartopull_http_q64 "$total" "" -- "$build/daemon/cartopull" run -c "$work/q64.yaml" http --log-level warn
show

echo
echo "== figures (load average now: $(cut -d' ' -f1-3 /proc/loadavg); MAX_ZOOM=$zoom)"
printf '%-16s %8s %8s %10s %9s %9s %8s\n' tool tiles wall_s tiles/s cpu_s nginx_s rss_MB
awk '{ printf "%-16s %8d %8.2f %10d %9.2f %9.2f %8.1f\n", $1, $2, $3, $4, $5, $6, $7 / 1024 }' "$results"
echo
awk -v mpz="$mp_zoom" -v z="$zoom" '
  { rate[$1] = $4; rss[$1] = $7 / 1024 }
  function line(what, value, target, ok) {
    printf "%-52s %8.2f  target %-8s %s\n", what, value, target, ok ? "met" : "MISSED"
  }
  END {
    cp = rate["cartopull_http"]
    line("cartopull / raw SQLite insert", cp / rate["raw_sqlite"], ">= 0.8", cp >= 0.8 * rate["raw_sqlite"])
    line("cartopull / curl --parallel into files", cp / rate["curl_http"], ">= 2", cp >= 2 * rate["curl_http"])
    line("cartopull / mapproxy-seed" (mpz < z ? " (mapproxy on z0-" mpz ")" : ""), cp / rate["mapproxy_http"],
         ">= 50", cp >= 50 * rate["mapproxy_http"])
    m = rss["cartopull_http"] > rss["cartopull_https"] ? rss["cartopull_http"] : rss["cartopull_https"]
    line("cartopull max RSS, MB (default 16 MiB write queue)", m, "<= 64", m <= 64)
    line("cartopull max RSS, MB (queue_bytes 64 MiB)", rss["cartopull_http_q64"], "<= 64",
         rss["cartopull_http_q64"] <= 64)
    line("cartopull HTTPS / HTTP", rate["cartopull_https"] / cp, ">= 0.6", rate["cartopull_https"] >= 0.6 * cp)
    line("cartopull / wrk (share of the loopback ceiling)", cp / rate["wrk_http"], "-", 1)
    # A target above the storage ceiling cannot be met by any tool that stores into SQLite here.
    printf "2 x curl = %d tiles/s and 50 x mapproxy = %d tiles/s, against the storage ceiling of %d tiles/s\n",
           2 * rate["curl_http"], 50 * rate["mapproxy_http"], rate["raw_sqlite"]
  }' "$results"
