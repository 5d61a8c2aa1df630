#!/usr/bin/env bash
# Opens a migrated directory with the real Chroma 1.0.19 server (on a copy, so the result stays
# exactly as written) and compares every collection, record and query with the legacy source as
# DuckDB reads it. usage: scripts/verify-example.sh LEGACY_DIR MIGRATED_DIR
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
src="$(cd "$1" && pwd)"; dst="$(cd "$2" && pwd)"
copy="$(mktemp -d)/migrated"
cp -a "$dst" "$copy"
cd "$ROOT/tests/integration"
CM_BUILD_DIR="${CM_BUILD_DIR:-$ROOT/build}" python3 - "$src" "$copy" <<'PY'
import sys, unittest
from harness import engines
from harness.chroma_server import ChromaServer
from harness.compare import check_collection
from harness.legacy_expect import expected
src, dst = sys.argv[1], sys.argv[2]
want, rejects = expected(*engines.duckdb_dump_legacy(src))
t = unittest.TestCase()
with ChromaServer(dst) as server:
    names = sorted(c['name'] for c in server.collections())
    assert names == sorted(want), f'collections {names} != {sorted(want)}'
    for name, c in want.items():
        check_collection(t, server, name, c)
        print(f'verified {name}: {len(c["records"])} records, space {c["space"]}, every record and recall@10 checked')
print(f'OK: the real Chroma server returns exactly the source data ({sum(rejects.values())} records rejected by policy, listed in the rejects file).')
PY
rm -rf "$(dirname "$copy")"
