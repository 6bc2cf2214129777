#!/usr/bin/env bash
# Fault soak: a multi-job `cartopull serve` against fake-carto with rotating faults, SIGKILL +
# restart at seeded random moments, then one clean run of every job and the checks (integrity,
# tiles byte-identical, rate limits, dead letters, API key). Exit 1 on any failed check.
#   scripts/fault-soak.sh [--build DIR] [--seconds N] [--seed S] [--keep]
# The short form runs in CI (--seconds 60); the long form is docs/soak.md (--seconds 1800).
set -euo pipefail
cd "$(dirname "$0")/.."
build=build
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --build=*) build=${1#--build=}; shift ;;
    -h|--help) exec python3 scripts/fault_soak.py --help ;;
    *) args+=("$1"); shift ;;
  esac
done
for bin in "$build/daemon/cartopull" "$build/tests/fake-carto"; do
  [ -x "$bin" ] || { echo "fault-soak: $bin missing (ninja -C $build cartopull fake-carto)" >&2; exit 2; }
done
command -v sqlite3 >/dev/null || { echo "fault-soak: sqlite3 CLI missing (scripts/install-deps.sh)" >&2; exit 2; }
exec python3 scripts/fault_soak.py --build "$build" "${args[@]}"
