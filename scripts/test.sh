#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds with warnings as errors, runs CTest.
#   scripts/test.sh              unit, integration and whole-binary tests
#   scripts/test.sh --sanitize   the same under AddressSanitizer + UndefinedBehaviorSanitizer
#   scripts/test.sh --tsan       the tests where threads meet (store writer, fake-carto, HTTP client and
#                                executor, whole daemon) under ThreadSanitizer, in build-tsan/
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
if [ "${1:-}" = "--tsan" ]; then
  # Suppressions (tsan.supp) name proven false positives only, each with its reason.
  export TSAN_OPTIONS="halt_on_error=1:abort_on_error=1:second_deadlock_stack=1:suppressions=$PWD/scripts/tsan.supp"
  ./scripts/build.sh --tsan integration_tests system_tests
  # Unit tests run no threads; the ship tests check packaging files, not concurrency. One at a time: the
  # crash harness and the signal tests time child processes, and TSan makes those 5-15x slower already.
  ctest --test-dir build-tsan --output-on-failure --timeout 300 -L 'integration|system' -E '^Ship'
  exit 0
fi
./scripts/build.sh "${args[@]}"
ctest --test-dir "$dir" --output-on-failure --parallel 2 --timeout 300
