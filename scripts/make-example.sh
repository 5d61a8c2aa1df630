#!/usr/bin/env bash
# Makes the bundled legacy example (examples/chroma) with DuckDB if it is not there yet.
# usage: scripts/make-example.sh DIR [--force]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
dir="${1:?usage: make-example.sh DIR [--force]}"
if [ -f "$dir/chroma-embeddings.parquet" ] && [ "${2:-}" != "--force" ]; then
  echo "make-example: $dir is present"
  exit 0
fi
python3 "$ROOT/scripts/example/make_example.py" "$dir"
