#!/usr/bin/env bash
# Fails when a C++ file is not clang-formatted (.clang-format; `--fix` rewrites them) or holds the
# g++ 12 coroutine pattern scripts/lint-coroutines.py flags.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.cpp' '*.hpp')
[ ${#files[@]} -eq 0 ] && exit 0
if [ "${1:-}" = "--fix" ]; then
  clang-format -i "${files[@]}"
else
  clang-format --dry-run --Werror "${files[@]}"
fi
# The g++ 12 coroutine lint: no braced temporary or lambda inside a co_await operand. Its fixture
# must still be flagged exactly three times, so the check itself cannot silently stop working.
python3 scripts/lint-coroutines.py
[ "$(python3 scripts/lint-coroutines.py tests/lint/coroutine_temporaries.txt | wc -l)" -eq 3 ]
