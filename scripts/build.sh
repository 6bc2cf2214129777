#!/usr/bin/env bash
# Configures and builds cartopull into a build directory (default build/).
#   scripts/build.sh [--sanitize|--tsan] [--dir DIR] [--type RelWithDebInfo|Debug|Release] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."

dir=build
type=RelWithDebInfo
sanitize=OFF
tsan=OFF
bench=ON
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --sanitize) sanitize=ON; dir=build-asan; type=Debug ;;
    --tsan) tsan=ON; bench=OFF; dir=build-tsan; type=Debug ;;  # benchmarks run no threads under test
    --dir) dir=$2; shift ;;
    --type) type=$2; shift ;;
    *) targets+=("$1") ;;
  esac
  shift
done

generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if [ ! -f "$dir/CMakeCache.txt" ]; then
  cmake -S . -B "$dir" "${generator[@]}" -DCMAKE_BUILD_TYPE="$type" \
    -DCARTOPULL_WERROR=ON -DCARTOPULL_SANITIZE="$sanitize" -DCARTOPULL_TSAN="$tsan" \
    -DCARTOPULL_BENCH="$bench"
fi
jobs=$(nproc 2>/dev/null || echo 2)
cmake --build "$dir" --parallel "$jobs" ${targets[@]:+--target "${targets[@]}"}
