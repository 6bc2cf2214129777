#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/*_fuzzer.cpp, clang++-14, ASan+UBSan) into build-fuzz/ and runs
# each for N seconds from its seed corpus fuzz/corpus/<name>/ (copied to a temp dir: the repo is not
# modified). Fails on any crash, leak, timeout or broken invariant; the input is kept in build-fuzz/crashes/.
#   scripts/fuzz.sh [--seconds N] [--target NAME]     NAME e.g. config_loader (default: every target)
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh

seconds=30
only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift ;;
    --target) only=${2%_fuzzer}; shift ;;
    *) echo "usage: $0 [--seconds N] [--target NAME]" >&2; exit 2 ;;
  esac
  shift
done

dir=build-fuzz
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if [ ! -f "$dir/CMakeCache.txt" ]; then
  # Debug keeps asserts on; -O1 and line tables only keep the sanitizer build fast to compile.
  cmake -S . -B "$dir" "${generator[@]}" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -gline-tables-only" \
    -DCMAKE_CXX_COMPILER=clang++-14 \
    -DCARTOPULL_FUZZ=ON -DCARTOPULL_WERROR=ON -DCARTOPULL_TESTS=OFF -DCARTOPULL_BENCH=OFF
fi
cmake --build "$dir" --parallel 2

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$dir/crashes"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
failed=()
total=0
printf '%-16s %10s %10s %8s %8s\n' target execs exec/s corpus seconds
for src in fuzz/*_fuzzer.cpp; do
  name=$(basename "$src" _fuzzer.cpp)
  [ -n "$only" ] && [ "$only" != "$name" ] && continue
  corpus="$work/corpus-$name"
  mkdir -p "$corpus"
  if [ -d "fuzz/corpus/$name" ]; then cp fuzz/corpus/"$name"/* "$corpus"/; fi
  log="$work/$name.log"
  start=$(date +%s)
  # -timeout: one input taking 10 s is a hang; -rss_limit_mb: a runaway allocation is a bug too.
  if ! "$dir/fuzz/${name}_fuzzer" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$dir/crashes/${name}-" >"$log" 2>&1; then
    failed+=("$name")
    echo "---- $name failed; last lines of its log:" >&2
    tail -n 40 "$log" >&2
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  files=$(find "$corpus" -type f | wc -l)
  printf '%-16s %10s %10s %8s %8s\n' "$name" "${execs:-?}" "${rate:-?}" "$files" "$(($(date +%s) - start))"
  total=$((total + ${execs:-0}))
done
echo "total executions: $total"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]} (inputs in $dir/crashes/; rerun: $dir/fuzz/NAME_fuzzer FILE)" >&2
  exit 1
fi
echo "fuzz: ok"
