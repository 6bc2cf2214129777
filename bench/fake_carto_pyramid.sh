# Sourced by bench/e2e_pyramid.sh and bench/million_tiles.sh: fake-carto on a free loopback port and a
# one-job config that pulls a seed-shape tile pyramid from it, with rate limits out of the way.

# start_fake_carto BUILD WORK [fake-carto options...]: sets $fake (its pid) and writes WORK/port.
start_fake_carto() {
  local build=$1 work=$2
  shift 2
  "$build/tests/fake-carto" --port 0 --port-file "$work/port" --seed-api-key bench-key "$@" >/dev/null 2>&1 &
  fake=$!
  for _ in $(seq 100); do
    [ -s "$work/port" ] && return 0
    sleep 0.05
  done
  echo "fake-carto did not start" >&2
  return 1
}

# write_pyramid_config WORK JOB MIN_ZOOM MAX_ZOOM FORMAT INITIAL_CONCURRENCY: writes WORK/c.yaml
# (database WORK/db/c.db; the key comes from $BENCH_KEY at run time).
write_pyramid_config() {
  cat >"$1/c.yaml" <<YAML
store: {path: $1/db/c.db}
defaults:
  concurrency: {max: 32, initial: $6}
  rate_limits: {tile: {rate: 100000, burst: 10000}}
sources:
  s: {shape: seed, base_url: "http://127.0.0.1:$(cat "$1/port")/v1/", api_key: "\${BENCH_KEY}"}
jobs:
  - name: $2
    source: s
    resources:
      - {name: tiles, kind: tiles, tiles: {min_zoom: $3, max_zoom: $4, formats: [$5]}}
YAML
}
