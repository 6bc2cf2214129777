#!/usr/bin/env bash
# Installs the peers that bench/peers.sh measures against (Debian 12 packages). Bench only: CI's
# scripts/install-deps.sh does not need them. Idempotent: present packages are skipped.
set -euo pipefail

packages=(nginx-light wrk mapproxy curl sqlite3 time openssl python3)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-bench-deps: all packages present"
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
$sudo apt-get update -qq
# The nginx package's own service is not used: peers.sh runs nginx with its own config as any user.
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
