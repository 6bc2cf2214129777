#!/usr/bin/env bash
# Lints the Dockerfile with dockerfilelint (npm; hadolint has no Debian package). The tool is installed
# once, pinned, into a cache directory outside the repository.
#   scripts/lint-dockerfile.sh [DOCKERFILE]
set -euo pipefail
cd "$(dirname "$0")/.."
dockerfile=${1:-Dockerfile}
version=1.8.0
tools=${CARTOPULL_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/cartopull/tools}
lint="$tools/node_modules/.bin/dockerfilelint"

if ! command -v npm >/dev/null; then
  echo "lint-dockerfile: npm is missing (apt-get install npm)" >&2
  exit 1
fi
if [ ! -x "$lint" ] || [ "$(cd "$tools" && npm ls --depth=0 --parseable=false dockerfilelint 2>/dev/null | grep -o "dockerfilelint@[0-9.]*")" != "dockerfilelint@$version" ]; then
  mkdir -p "$tools"
  echo "lint-dockerfile: installing dockerfilelint@$version into $tools"
  npm install --prefix "$tools" --no-audit --no-fund --silent "dockerfilelint@$version" >/dev/null
fi
# --output json would need a parser; the default text report plus the exit status is enough here.
"$lint" "$dockerfile"
