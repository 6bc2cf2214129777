#!/usr/bin/env bash
# Measures fake-carto throughput with wrk on loopback: the server pinned to one core, wrk to another,
# keep-alive, a 10 KB PNG tile (10030 bytes) on the v1 tile route. Prints wall req/s and requests per
# second of server CPU time (the figure that stays honest on a shared, loaded machine).
# Usage: scripts/fake-carto-bench.sh [build-dir] [seconds] [connections]
set -euo pipefail
build=${1:-build}
secs=${2:-10}
conns=${3:-32}
bin="$build/tests/fake-carto"
[[ -x "$bin" ]] || { echo "build $bin first (ninja -C $build fake-carto)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is missing (apt-get install -y wrk)" >&2; exit 1; }
portfile=$(mktemp)
taskset -c 0 "$bin" --port-file "$portfile" --log-capacity 1000 >/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$portfile"' EXIT
for _ in $(seq 50); do [[ -s "$portfile" ]] && break; sleep 0.05; done
port=$(cat "$portfile")
config='{"version":"1.3.0","layers":[{"type":"mapnik","options":{"cartocss_version":"2.1.1","cartocss":"#l{}","sql":"select 1","interactivity":"cartodb_id"}}]}'
token=$(curl -s -X POST -H 'Content-Type: application/json' -d "$config" "http://127.0.0.1:$port/api/v1/map" |
  sed -E 's/.*"layergroupid":"([^"]+)".*/\1/')
url="http://127.0.0.1:$port/api/v1/map/$token/6/11/3.png"
bytes=$(curl -s -o /dev/null -w '%{size_download}' "$url")
echo "tile body: $bytes bytes  url: $url"
tck=$(getconf CLK_TCK)
before=$(awk '{print $14+$15}' /proc/$pid/stat)
out=$(taskset -c 1 wrk -t1 -c"$conns" -d"${secs}s" --latency "$url")
after=$(awk '{print $14+$15}' /proc/$pid/stat)
echo "$out"
reqs=$(echo "$out" | awk '/requests in/ {print $1}')
cpu=$(echo "scale=2; ($after - $before) / $tck" | bc)
echo "server CPU: ${cpu}s for $reqs requests => $(echo "scale=0; $reqs / $cpu" | bc) requests per CPU-second"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
