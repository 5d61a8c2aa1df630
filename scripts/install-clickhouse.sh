#!/usr/bin/env bash
# Installs the ClickHouse server the ClickHouse-source tests run against: Debian's
# clickhouse-server package (18.16 on Debian 12). Only the binary and its stock config are used;
# scripts/clickhouse-server.sh starts private instances, so the system service is neither
# needed nor started. Idempotent and non-interactive; needs root to install.
# Usage: scripts/install-clickhouse.sh
set -euo pipefail
PKGS=(clickhouse-server clickhouse-client curl)  # curl: scripts/clickhouse-server.sh waits with it
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ] && command -v clickhouse-server >/dev/null; then
  echo "install-clickhouse: present ($(dpkg-query -W -f='${Version}' clickhouse-server))"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "install-clickhouse: missing ${missing[*]}; run as root (or: sudo $0)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
echo "install-clickhouse: installing ${missing[*]}"
# A fresh machine may have no package lists yet; refresh them when the package is unknown.
if ! apt-cache show clickhouse-server >/dev/null 2>&1; then
  apt-get update -qq
fi
# The package's postinst may try to start the system service; in a container without an init
# system that fails harmlessly, and the tests never use that service.
if ! apt-get install -y -qq --no-install-recommends "${missing[@]}"; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
command -v clickhouse-server >/dev/null || {
  echo "install-clickhouse: clickhouse-server is not on PATH after installing" >&2
  exit 1
}
echo "install-clickhouse: installed $(dpkg-query -W -f='${Version}' clickhouse-server)"
