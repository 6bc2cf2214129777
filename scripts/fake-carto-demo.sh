#!/usr/bin/env bash
# Starts fake-carto over HTTPS for the README demo (no CARTO key needed) and prints the cartopull
# source block that points at it. Stops it on Ctrl-C.
# Usage: scripts/fake-carto-demo.sh [build-dir] [port] [extra fake-carto flags...]
set -euo pipefail
build=${1:-build}
port=${2:-8443}
shift $(( $# > 2 ? 2 : $# ))
dir=$(mktemp -d)
"$build/tests/fake-carto" --tls --port "$port" --ca-out "$dir/fake-carto-ca.pem" "$@" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$dir"' EXIT INT TERM
for _ in $(seq 50); do [[ -s "$dir/fake-carto-ca.pem" ]] && break; sleep 0.1; done
cat <<YAML
# cartopull source for the running fake-carto (user demo, master key "master-key"):
sources:
  fake:
    shape: v1
    base_url: https://localhost:$port/api/v1/
    user: demo
    api_key: master-key
    tls: {ca_file: $dir/fake-carto-ca.pem}
  fake_seed:
    shape: seed
    base_url: https://localhost:$port/v1/
    api_key: master-key
    tls: {ca_file: $dir/fake-carto-ca.pem}
YAML
wait $pid
