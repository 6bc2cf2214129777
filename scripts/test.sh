#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds with warnings as errors, runs CTest.
#   scripts/test.sh              unit, integration and whole-binary tests
#   scripts/test.sh --sanitize   the same under AddressSanitizer + UndefinedBehaviorSanitizer
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh

dir=build
args=()
if [ "${1:-}" = "--sanitize" ]; then
  dir=build-asan
  args=(--sanitize)
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fi
./scripts/build.sh "${args[@]}"
ctest --test-dir "$dir" --output-on-failure --parallel 2 --timeout 300
