#!/usr/bin/env bash
# Scale: the cost of scheduled jobs that are waiting. `cartopull serve` with N jobs (default 1,000),
# each on its own schedule (odd jobs every 1-6 h, even jobs a daily cron 2-21 hours ahead, so none is due
# during the measurement), no source reachable. After a settle period the daemon's CPU time is read from
# /proc/PID/stat over a window while Prometheus-style scrapes hit /metrics every 15 s.
# Target (issue 9): < 1% of one core.
#   bench/idle_jobs.sh [BUILD_DIR=build] [JOBS=1000] [WINDOW_S=60]
set -euo pipefail
build=${1:-build}
jobs=${2:-1000}
window=${3:-60}
work=$(mktemp -d)
cleanup() {
  kill "$daemon" 2>/dev/null || true
  wait "$daemon" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
hour=$((10#$(date -u +%H))) # crons fire at least two hours from now (UTC), never inside the window
{
  echo "store: {path: $work/c.db}"
  echo "server: {listen: 127.0.0.1:$port}"
  echo "sources:"
  echo "  s: {shape: seed, base_url: \"http://127.0.0.1:9/v1/\", api_key: idle-key}"
  echo "jobs:"
  for i in $(seq 1 "$jobs"); do
    if ((i % 2)); then
      echo "  - {name: job$i, source: s, schedule: {every: $((1 + i % 6))h}, resources: [{name: m, kind: map}]}"
    else
      echo "  - {name: job$i, source: s, schedule: {cron: \"$((i % 60)) $(((hour + 2 + i % 20) % 24)) * * *\"}, resources: [{name: m, kind: map}]}"
    fi
  done
} >"$work/c.yaml"
"$build/daemon/cartopull" serve -c "$work/c.yaml" --log-level warn >"$work/log" 2>&1 &
daemon=$!
for _ in $(seq 200); do
  curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.05
done
sleep 5 # settle: startup planning is not the idle cost
ticks() { awk '{print $14 + $15}' "/proc/$daemon/stat"; }
hz=$(getconf CLK_TCK)
before=$(ticks)
t0=$(date +%s.%N)
end=$(($(date +%s) + window))
scrapes=0
while [ "$(date +%s)" -lt "$end" ]; do
  curl -fs "http://127.0.0.1:$port/metrics" >/dev/null && scrapes=$((scrapes + 1))
  sleep 15
done
after=$(ticks)
t1=$(date +%s.%N)
rss=$(awk '/^VmRSS/ {print $2}' "/proc/$daemon/status")
# Every job must be scheduled (a next_run) and none may have run: otherwise this is not the idle cost.
scheduled=$(curl -fs "http://127.0.0.1:$port/api/jobs" | python3 -c '
import json, sys
jobs = json.load(sys.stdin)
jobs = jobs.get("jobs", jobs) if isinstance(jobs, dict) else jobs
print(sum(1 for j in jobs if j.get("next_run")), sum(1 for j in jobs if j.get("runs") or j.get("last_start")))')
read -r planned ran <<<"$scheduled"
awk -v a="$before" -v b="$after" -v hz="$hz" -v t0="$t0" -v t1="$t1" -v n="$jobs" -v s="$scrapes" -v rss="$rss" -v planned="$planned" -v ran="$ran" 'BEGIN {
  cpu = (b - a) / hz; wall = t1 - t0; pct = 100 * cpu / wall
  printf "%d idle jobs: %.2f CPU-s over %.1f s wall (%d /metrics scrapes) = %.3f%% of one core, RSS %.1f MB\n", n, cpu, wall, s, pct, rss / 1024
  printf "jobs with a next run: %d, jobs that ran: %d\n", planned, ran
  ok = pct < 1 && planned == n && ran == 0
  printf "%s: %.3f%% against the 1%% bound\n", (ok ? "PASS" : "FAIL"), pct
  exit !ok
}'
