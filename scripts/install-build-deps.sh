#!/usr/bin/env bash
# Installs the Debian packages chroma-migrate builds and tests with. Idempotent; needs root.
set -euo pipefail
PKGS=(build-essential cmake pkg-config git
      libsqlite3-dev sqlite3 libhnswlib-dev libcurl4-openssl-dev libssl-dev
      nlohmann-json3-dev libcli11-dev libfmt-dev
      libsnappy-dev libzstd-dev zlib1g-dev liblz4-dev libbrotli-dev
      libgtest-dev libgmock-dev libbenchmark-dev
      python3 tmux curl time openssl)  # time: the benchmark's peak RSS; openssl: a test's throwaway TLS certificate
# Node.js 20 with npm may come from a non-Debian build (npm bundled); add Debian's only if absent.
command -v node >/dev/null || PKGS+=(nodejs)
command -v npm >/dev/null || PKGS+=(npm)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-build-deps: all ${#PKGS[@]} packages present"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "install-build-deps: missing ${missing[*]}; run as root (or: sudo $0)" >&2
  exit 1
fi
echo "install-build-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
