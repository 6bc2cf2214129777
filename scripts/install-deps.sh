#!/usr/bin/env bash
# Installs cartopull's build and test dependencies from Debian 12 packages.
# Idempotent: packages already present are skipped, so a second run does no apt work.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config ccache
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev libsqlite3-dev sqlite3 libyaml-cpp-dev libspdlog-dev prometheus-cpp-dev
  libsystemd-dev libgtest-dev libgmock-dev zlib1g-dev
  openssl clang-format tzdata
  clang-14 libclang-rt-14-dev  # scripts/fuzz.sh: libFuzzer, ASan and UBSan runtimes for clang
  prometheus  # promtool: lints /metrics output, alert rules and the scrape config in tests
  logrotate systemd dpkg-dev
  python3  # scripts/lint-coroutines.py and scripts/fault_soak.py (stdlib only, with the sqlite3 CLI)
)
# Optional: a faster linker where the archive has it.
optional=(mold)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
opt_missing=()
for p in "${optional[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || opt_missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ] && [ ${#opt_missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if [ ${#opt_missing[@]} -gt 0 ]; then
  $sudo apt-get install -y -qq --no-install-recommends "${opt_missing[@]}" || echo "install-deps: optional ${opt_missing[*]} not installed"
fi
