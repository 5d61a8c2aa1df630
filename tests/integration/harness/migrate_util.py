"""Running chroma-migrate against servers: an isolated resume-journal directory per test, the
legacy datasets and their expected contents, and helpers to compare a whole server."""
import json
import os
import subprocess

from . import engines
from .compare import check_collection
from .legacy_expect import expected


def env_with_cache(cache_dir, **extra):
    env = dict(os.environ)
    env['XDG_CACHE_HOME'] = cache_dir
    env.update(extra)
    return env


def migrate(src, dst, *args, cache_dir, env_extra=None, expect_rc=None):
    cmd = [engines.BINARY, '--from', src, '--to', dst, '--progress', 'none', *args]
    # cwd: the default rejects file of a server destination (./chroma-migrate.rejects.jsonl) stays in the temp dir
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=cache_dir,
                       env=env_with_cache(cache_dir, **(env_extra or {})))
    if expect_rc is not None and p.returncode != expect_rc:
        raise AssertionError(f'{cmd} exited {p.returncode}, expected {expect_rc}\n'
                             f'stdout: {p.stdout[-3000:]}\nstderr: {p.stderr[-3000:]}')
    return p


def expected_of(src, **kw):
    colls, embs = engines.duckdb_dump_legacy(src)
    return expected(colls, embs, **kw)


def check_server(test, server, want):
    test.assertEqual(sorted(c['name'] for c in server.collections()), sorted(want))
    for name, c in want.items():
        check_collection(test, server, name, c)


def read_report(path):
    with open(path) as f:
        return json.load(f)
