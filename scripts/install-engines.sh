#!/usr/bin/env bash
# Installs the real engines the tests and the example use, into .engines/ (not committed):
#   * the Chroma 1.0.19 server: npm chromadb-js-bindings-linux-x64-gnu@1.0.5 (later versions need
#     a newer glibc than Debian 12 has);
#   * DuckDB: npm @duckdb/node-api, which writes legacy parquet exactly as Chroma 0.3 did.
# Idempotent. Usage: scripts/install-engines.sh
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$ROOT/.engines"
CHROMA_PKG="chromadb-js-bindings-linux-x64-gnu@1.0.5"
DUCKDB_PKG="@duckdb/node-api@1.5.6-r.1"
if [ -f "$DEST/node_modules/chromadb-js-bindings-linux-x64-gnu/package.json" ] &&
   [ -d "$DEST/node_modules/@duckdb/node-api" ]; then
  echo "install-engines: present in $DEST"
  exit 0
fi
command -v npm >/dev/null || { echo "install-engines: npm not found (run scripts/install-build-deps.sh)" >&2; exit 1; }
mkdir -p "$DEST"
cd "$DEST"
[ -f package.json ] || echo '{"name":"chroma-migrate-engines","private":true}' > package.json
npm install --no-audit --no-fund --loglevel=error "$CHROMA_PKG" "$DUCKDB_PKG"
echo "install-engines: installed into $DEST"
