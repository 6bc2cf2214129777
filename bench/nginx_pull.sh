#!/usr/bin/env bash
# The cartopull part of bench/peers.sh, narrowed for A/B work on its CPU per tile: `cartopull run` of
# a z0-MAX_ZOOM pyramid of distinct PNG tiles from a private nginx into a fresh database, RUNS times
# per build, the builds taking turns so that each sees the same load. Per run it prints tiles/s and
# the CPU per tile, in µs, of cartopull's event-loop thread (all, and user space only), its writer
# thread, the whole process and nginx's worker (threads sampled from /proc every 10 ms; the process
# from wait4's rusage), and the peak RSS.
#   bench/nginx_pull.sh [MAX_ZOOM=8] [RUNS=3] BUILD_DIR [BUILD_DIR...]
#   env: SCHEME=http|https (default http); QUEUE_BYTES (store.queue_bytes, default the daemon's)
# Needs nginx, openssl, curl, python3 (scripts/install-bench-deps.sh). z8 uses ~1 GB of /tmp.
set -euo pipefail
zoom=${1:-8}
runs=${2:-3}
shift 2 || true
[ $# -gt 0 ] || set -- build
builds=()
for b in "$@"; do builds+=("$(realpath "$b")"); done
scheme=${SCHEME:-http}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/cartopull-nginx-pull.XXXXXX)
chmod 755 "$work"
nginx_pid=""
cleanup() {
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
# shellcheck source=bench/nginx_tiles.sh
. "$here/nginx_tiles.sh"

"${builds[0]}/bench/tile_pyramid_gen" "$work/tiles" "$zoom" >/dev/null
total=$(( ( (1 << (2 * (zoom + 1))) - 1) / 3 ))
start_nginx "$work"
[ "$scheme" = https ] && base="https://127.0.0.1:$tls_port/" || base="http://127.0.0.1:$port/"
queue=""
[ -z "${QUEUE_BYTES:-}" ] || queue=", queue_bytes: $QUEUE_BYTES"
cat >"$work/c.yaml" <<YAML
store: {path: $work/c.db$queue}
defaults:
  concurrency: {max: 32, initial: 32, adaptive: false}
  rate_limits: {tile: {rate: 100000, burst: 100000}}
  http: {max_connections_per_origin: 32}
sources:
  s: {shape: seed, base_url: "$base", auth: none, tls: {ca_file: $work/cert.pem}}
jobs:
  - name: pull
    source: s
    resources: [{name: tiles, kind: tiles, tiles: {min_zoom: 0, max_zoom: $zoom}}]
YAML
# Warm nginx's page cache and open-file state once, so the first measured run is not the odd one out.
rm -f "$work"/c.db*
"${builds[0]}/daemon/cartopull" run -c "$work/c.yaml" pull --log-level warn >/dev/null

echo "== z0-$zoom, $total tiles, $scheme, $runs runs per build; load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-28s %4s %8s %9s %9s %9s %9s %9s %9s %7s %6s\n' build run wall_s tiles/s loop_us loop_user \
  writer_us proc_us nginx_us rss_MB load1
for run in $(seq "$runs"); do
  for b in "${builds[@]}"; do
    rm -f "$work"/c.db*
    before=$(nginx_ticks)
    line=$(python3 - "$b/daemon/cartopull" "$work/c.yaml" <<'PY'
import os, subprocess, sys, time
tick = os.sysconf("SC_CLK_TCK")
start = time.monotonic()
p = subprocess.Popen([sys.argv[1], "run", "-c", sys.argv[2], "pull", "--log-level", "warn"],
                     stdout=subprocess.DEVNULL)
last = {}  # tid -> (user, system) CPU ticks at its last sample
while True:
    try:
        for tid in os.listdir(f"/proc/{p.pid}/task"):
            with open(f"/proc/{p.pid}/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            last[int(tid)] = (int(fields[11]), int(fields[12]))  # utime, stime
    except (FileNotFoundError, ProcessLookupError):
        pass
    pid, status, usage = os.wait4(p.pid, os.WNOHANG)
    if pid:
        break
    time.sleep(0.01)
wall = time.monotonic() - start
if status != 0:
    sys.exit(f"cartopull exited with status {status}")
loop_user, loop_sys = last.get(p.pid, (0, 0))
others = sorted((sum(v) for t, v in last.items() if t != p.pid), reverse=True)
writer = others[0] / tick if others else 0.0
print(f"{wall:.3f} {(loop_user + loop_sys) / tick:.3f} {loop_user / tick:.3f} {writer:.3f} "
      f"{usage.ru_utime + usage.ru_stime:.3f} {usage.ru_maxrss / 1024:.1f}")
PY
)
    after=$(nginx_ticks)
    read -r wall loop loop_user writer proc rss <<<"$line"
    tiles=$(sqlite3 "$work/c.db" "SELECT count(*) FROM tiles" 2>/dev/null || echo "$total")
    [ "$tiles" = "$total" ] || { echo "nginx_pull.sh: $b stored $tiles tiles, want $total" >&2; exit 1; }
    awk -v b="$(basename "$(dirname "$b")")/$(basename "$b")" -v r="$run" -v n="$total" -v w="$wall" \
      -v l="$loop" -v lu="$loop_user" -v wr="$writer" -v p="$proc" -v ng=$((after - before)) -v k="$(getconf CLK_TCK)" \
      -v rss="$rss" -v la="$(cut -d' ' -f1 /proc/loadavg)" \
      'BEGIN { printf "%-28s %4d %8.2f %9.0f %9.1f %9.1f %9.1f %9.1f %9.1f %7.1f %6s\n", b, r, w, n / w,
               l / n * 1e6, lu / n * 1e6, wr / n * 1e6, p / n * 1e6, ng / k / n * 1e6, rss, la }'
  done
done
