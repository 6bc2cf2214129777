#!/usr/bin/env bash
# The README's first command: install dependencies, build, and run the daemon on config/demo.yaml.
# With no CARTO_API_KEY in the environment it starts the bundled fake CARTO server on loopback and
# points the demo source at it. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh

export CARTOPULL_STATE_DIR=${CARTOPULL_STATE_DIR:-$PWD/demo-state}
mkdir -p "$CARTOPULL_STATE_DIR"

fake_pid=""
cleanup() { [ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null || true; }
trap cleanup EXIT

if [ -z "${CARTO_API_KEY:-}" ]; then
  if [ -x build/tests/fake-carto ]; then
    export CARTO_API_KEY=demo-key
    port_file="$CARTOPULL_STATE_DIR/fake-carto.port"
    rm -f "$port_file"
    build/tests/fake-carto --listen 127.0.0.1:0 --port-file "$port_file" --api-key "$CARTO_API_KEY" &
    fake_pid=$!
    for _ in $(seq 100); do [ -s "$port_file" ] && break; sleep 0.1; done
    export CARTO_BASE_URL="http://127.0.0.1:$(cat "$port_file")/v1/"
    echo "demo: fake CARTO server at $CARTO_BASE_URL"
  else
    echo "demo: no CARTO_API_KEY and no fake-carto binary; the demo source points at ${CARTO_BASE_URL:-http://127.0.0.1:8080/v1/}"
  fi
fi
echo "demo: state in $CARTOPULL_STATE_DIR; metrics on 127.0.0.1:${CARTOPULL_METRICS_PORT:-9464}; Ctrl-C stops"
build/daemon/cartopull serve -c config/demo.yaml &
daemon_pid=$!
trap 'kill -INT $daemon_pid 2>/dev/null || true' INT TERM
wait $daemon_pid || true
wait $daemon_pid 2>/dev/null
