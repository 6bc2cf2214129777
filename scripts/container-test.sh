#!/usr/bin/env bash
# Runs the image built by scripts/container-build.sh with podman (runc, --network=host) and checks:
#   1. `cartopull version`; `check-config` on a mounted config (ok: 0, broken: 78); the key from an
#      environment variable and from a mounted secret file, never printed;
#   2. `serve` as the non-root user with the data volume mounted, then SIGTERM: exit 0, "stopped";
#   3. once the tree has the admin server (lib/http/admin_server.hpp) and the extraction engine
#      (lib/extract/): against fake-carto on loopback, /healthz healthy through the image's HEALTHCHECK,
#      and a finished run with tiles in the database in the mounted volume.
#   scripts/container-test.sh [--tag NAME]
# Slow (tens of seconds): not part of ctest; CI may run it after scripts/container-build.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
tag=localhost/cartopull:latest
[ "${1:-}" = "--tag" ] && tag=$2
cache=${CARTOPULL_CONTAINER_CACHE:-/var/cache/cartopull-container}
# shellcheck source=scripts/container-env.sh
. scripts/container-env.sh
write_containers_conf "$cache"

key="ContainerTestKey-$RANDOM$RANDOM"
work=$(mktemp -d /tmp/cartopull-container-test.XXXXXX)
name="cartopull-test-$$"
fake_pid=""
cleanup() {
  podman rm -f -t 0 "$name" >/dev/null 2>&1 || true
  if [ -n "$fake_pid" ]; then kill "$fake_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "container-test: FAIL: $*" >&2
  if [ -n "${show_logs:-}" ]; then podman logs "$name" >&2 || true; fi
  exit 1
}
pass() { echo "container-test: ok: $*"; passed=$((passed + 1)); }
passed=0

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
mkdir -p "$work/data" "$work/secrets"
chown 10001:10001 "$work/data"  # the image's cartopull user
printf '%s' "$key" >"$work/secrets/carto_api_key"
chmod 0644 "$work/secrets/carto_api_key"

# $1: base URL; $2: the api_key line (a literal ${...} for the daemon to expand)
# shellcheck disable=SC2016
write_config() {
  cat >"$work/cartopull.yaml" <<EOF
store: {path: /var/lib/cartopull/cartopull.db}
server: {listen: "127.0.0.1:$port", shutdown_timeout: 5s}
sources:
  demo:
    shape: seed
    base_url: $1
    $2
jobs:
  - name: demo
    source: demo
    schedule: {every: 1h, run_at_start: true}
    resources:
      - {name: map, kind: map, path: map}
      - {name: layergroup, kind: layergroup, path: layergroup, data_selector: /layergroupid}
      - name: tiles
        kind: tiles
        path: "tiles/{z}/{x}/{y}.{format}"
        tiles: {min_zoom: 0, max_zoom: 2, formats: [png]}
EOF
}
run_image() {
  podman run --rm --no-healthcheck "${podman_run_args[@]}" -v "$work/cartopull.yaml:/etc/cartopull/cartopull.yaml:ro,Z" "$@"
}

# 1. version and check-config
out=$(podman run --rm --no-healthcheck "${podman_run_args[@]}" "$tag" version) || fail "version exited $?"
[[ $out == "cartopull "* ]] || fail "version printed '$out'"
pass "version: $out"
[ "$(podman image inspect --format '{{.Config.User}}' "$tag")" = "cartopull:cartopull" ] || fail "image user is not cartopull"
pass "image runs as cartopull:cartopull"

# shellcheck disable=SC2016
write_config "http://127.0.0.1:9/v1/" 'api_key: ${CARTO_API_KEY}'
out=$(run_image -e CARTO_API_KEY="$key" "$tag" check-config 2>&1) || fail "check-config exited $?: $out"
[[ $out == *": ok (1 source, 1 job)"* ]] || fail "check-config printed '$out'"
[[ $out != *"$key"* ]] || fail "check-config printed the key"
pass "check-config on the mounted config, key from the environment"

set +e
out=$(run_image "$tag" check-config 2>&1)
status=$?
set -e
[ $status -eq 78 ] || fail "check-config without the key exited $status, not 78: $out"
[[ $out == *"CARTO_API_KEY is not set"* ]] || fail "no reason in '$out'"
pass "check-config without the key exits 78 naming the variable"

write_config "http://127.0.0.1:9/v1/" 'api_key_file: /run/secrets/carto_api_key'
out=$(run_image -v "$work/secrets/carto_api_key:/run/secrets/carto_api_key:ro,Z" "$tag" check-config 2>&1) ||
  fail "check-config with a secret file exited $?: $out"
[[ $out != *"$key"* ]] || fail "check-config printed the key"
pass "check-config with the key in a mounted secret file"

# 2. serve, then SIGTERM
integrated=0
[ -f lib/http/admin_server.hpp ] && [ -d lib/extract ] && integrated=1
base="http://127.0.0.1:9/v1/"
if [ $integrated -eq 1 ]; then
  fake=build/tests/fake-carto
  [ -x "$fake" ] || fail "$fake is missing: build it first (ninja -C build fake-carto)"
  "$fake" --host 127.0.0.1 --port 0 --port-file "$work/fake.port" --seed-api-key "$key" >"$work/fake.log" 2>&1 &
  fake_pid=$!
  for _ in $(seq 100); do [ -s "$work/fake.port" ] && break; sleep 0.1; done
  [ -s "$work/fake.port" ] || fail "fake-carto did not start: $(cat "$work/fake.log")"
  base="http://127.0.0.1:$(cat "$work/fake.port")/v1/"
fi
# shellcheck disable=SC2016
write_config "$base" 'api_key: ${CARTO_API_KEY}'
# The image's HEALTHCHECK asks 127.0.0.1:9464; on the host network the test's port is a free one, so
# the same command is given that port (and the image's own command is checked to be that curl).
hc=$(podman image inspect --format '{{json .Config.Healthcheck.Test}}' "$tag")
[[ $hc == *'"curl"'*'"--fail"'*'/healthz"'* ]] || fail "the image's HEALTHCHECK is not curl --fail .../healthz: $hc"
pass "image HEALTHCHECK: $hc"
# podman cannot start HEALTHCHECK timers without systemd and says so on stderr: kept for failures only.
podman run -d --name "$name" "${podman_run_args[@]}" --health-interval=disable -e CARTO_API_KEY="$key" \
  --health-cmd "curl --fail --silent --show-error --max-time 4 --output /dev/null http://127.0.0.1:$port/healthz" \
  -v "$work/cartopull.yaml:/etc/cartopull/cartopull.yaml:ro,Z" -v "$work/data:/var/lib/cartopull:Z" \
  "$tag" >/dev/null 2>"$work/podman-run.err" || fail "podman run failed: $(cat "$work/podman-run.err")"
show_logs=1
# The logs are read whole, then matched: `podman logs | grep -q` fails under pipefail on an early match.
logs() { podman logs "$name" 2>&1; }
for _ in $(seq 100); do [[ $(logs) == *serving* ]] && break; sleep 0.1; done
[[ $(logs) == *serving* ]] || fail "the daemon did not start serving"
pass "serve started as $(podman exec "$name" id -un) with the volume mounted"

if [ $integrated -eq 1 ]; then
  healthy=0
  for _ in $(seq 50); do
    if podman healthcheck run "$name" >/dev/null 2>&1; then healthy=1; break; fi
    sleep 0.2
  done
  [ $healthy -eq 1 ] || fail "HEALTHCHECK (curl /healthz) never passed"
  pass "HEALTHCHECK: /healthz healthy"
  rows=0
  for _ in $(seq 150); do
    rows=$(sqlite3 -readonly "$work/data/cartopull.db" \
      "select count(*) from runs r join jobs j on j.id = r.job_id where j.name = 'demo' and r.status = 'ok'" \
      2>/dev/null || echo 0)
    [ "${rows:-0}" -ge 1 ] && break
    sleep 0.2
  done
  [ "${rows:-0}" -ge 1 ] || fail "no finished run of job demo in the mounted database"
  tiles=$(sqlite3 -readonly "$work/data/cartopull.db" "select count(*) from tiles")
  [ "$tiles" -ge 21 ] || fail "$tiles tiles stored, expected 21 (zoom 0-2)"
  pass "job demo ran: $rows ok run(s), $tiles tiles in the mounted volume"
else
  echo "container-test: skipped: /healthz and rows need lib/http/admin_server.hpp and lib/extract/ in this tree"
fi

start=$(date +%s%N)
podman kill --signal TERM "$name" >/dev/null
status=$(podman wait "$name")
stop_ms=$((($(date +%s%N) - start) / 1000000))
[ "$status" = "0" ] || fail "exit status $status after SIGTERM"
out=$(logs)
[[ $out == *"received SIGTERM, stopping"* ]] || fail "no 'received SIGTERM' line"
[[ $out == *stopped* ]] || fail "no 'stopped' line"
[[ $out != *"$key"* ]] || fail "the key appears in the logs"
pass "SIGTERM: exit 0 in ${stop_ms} ms, key never logged"
echo "container-test: $passed passed, 0 failed"
