"""Paths, engines and processes shared by the integration tests.

The tests use real engines only: DuckDB (npm @duckdb/node-api) writes and reads legacy parquet,
and the real Chroma 1.0.19 server (npm chromadb-js-bindings-linux-x64-gnu@1.0.5) opens what
chroma-migrate wrote. scripts/install-engines.sh installs both. When one is missing a test is
skipped with the reason, or fails when CM_REQUIRE_ENGINES=1 (as `make test` sets it), so that a
missing engine can never pass silently.
"""
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
BUILD = os.environ.get('CM_BUILD_DIR', os.path.join(ROOT, 'build'))
BINARY = os.path.join(BUILD, 'chroma-migrate')
NODE_MODULES = os.path.join(ROOT, '.engines', 'node_modules')
SHARED = os.environ.get('CM_SHARED_DIR', os.path.join(os.path.dirname(ROOT), 'shared'))
FIXTURES = os.path.join(SHARED, 'fixtures')
TMP_ROOT = os.path.join(BUILD, 'test-tmp')


def engines_required():
    return os.environ.get('CM_REQUIRE_ENGINES') == '1'


def require(test, condition, what):
    """Skips `test` (or fails it under CM_REQUIRE_ENGINES=1) when `condition` is false."""
    if condition:
        return
    if engines_required():
        test.fail(f'{what} is required (CM_REQUIRE_ENGINES=1) but missing; run scripts/install-engines.sh')
    raise unittest.SkipTest(f'{what} is missing; run scripts/install-engines.sh')


def have_duckdb():
    return os.path.isdir(os.path.join(NODE_MODULES, '@duckdb', 'node-api'))


def have_chroma():
    return os.path.isdir(os.path.join(NODE_MODULES, 'chromadb-js-bindings-linux-x64-gnu'))


def temp_dir(tag):
    os.makedirs(TMP_ROOT, exist_ok=True)
    return tempfile.mkdtemp(prefix=tag + '-', dir=TMP_ROOT)


def run(cmd, check=True, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if check and p.returncode != 0:
        raise AssertionError(f'{cmd} exited {p.returncode}\nstdout: {p.stdout[-3000:]}\nstderr: {p.stderr[-3000:]}')
    return p


def migrate(src, dst, *args, expect_rc=None):
    p = run([BINARY, '--from', src, '--to', dst, '--progress', 'none', *args], check=False)
    if expect_rc is not None and p.returncode != expect_rc:
        raise AssertionError(f'chroma-migrate exited {p.returncode}, expected {expect_rc}\n'
                             f'stdout: {p.stdout[-3000:]}\nstderr: {p.stderr[-3000:]}')
    return p


def duckdb_write_legacy(out_dir, collections, embeddings, *options):
    """Writes a Chroma 0.3 directory with DuckDB from row dicts (see scripts/engines/legacy_write.mjs)."""
    work = temp_dir('rows')
    cpath, epath = os.path.join(work, 'c.ndjson'), os.path.join(work, 'e.ndjson')
    with open(cpath, 'w') as f:
        for row in collections:
            f.write(json.dumps(row, allow_nan=False) + '\n')
    with open(epath, 'w') as f:
        for row in embeddings:
            f.write(json.dumps(row, allow_nan=False) + '\n')
    run(['node', os.path.join(ROOT, 'scripts', 'engines', 'legacy_write.mjs'), out_dir, cpath, epath, *options])
    shutil.rmtree(work, ignore_errors=True)


def duckdb_dump_legacy(src_dir):
    """What DuckDB reads from a legacy directory: (collections, embeddings) lists of row dicts in file order.

    Embedding elements are floats; NaN/Infinity come back as float('nan') / float('inf').
    """
    p = run(['node', os.path.join(ROOT, 'scripts', 'engines', 'legacy_dump.mjs'), src_dir])
    colls, embs = [], []
    special = {'NaN': float('nan'), 'Infinity': float('inf'), '-Infinity': float('-inf')}
    for line in p.stdout.splitlines():
        row = json.loads(line)
        table = row.pop('table')
        if table == 'collections':
            colls.append(row)
        else:
            if row['embedding'] is not None:
                row['embedding'] = [special.get(x, x) if isinstance(x, str) else x for x in row['embedding']]
            embs.append(row)
    return colls, embs


def tree_hash(path):
    """sha256 over every file's relative path and bytes below `path` (to prove it was not touched)."""
    h = hashlib.sha256()
    for root, dirs, files in sorted(os.walk(path)):
        dirs.sort()
        for f in sorted(files):
            p = os.path.join(root, f)
            h.update(os.path.relpath(p, path).encode())
            with open(p, 'rb') as fh:
                h.update(fh.read())
    return h.hexdigest()
