"""A Chroma server as source: a DuckDB-generated legacy directory is loaded into the real Chroma
1.0.19 server (through chroma-migrate), then read back from that server over HTTP into a persist
directory that a second server opens, and into another server directly (with tenant/database),
and compared record by record and by query recall with the independent expectation
(harness/legacy_expect.py). Paging uses small pages so that many pages are read; a recording
proxy checks that nothing but reads reached the source.

The v1 routes are read from harness/v1_server.py, a stand-in on loopback whose request and
response shapes follow spec/http-api.md (not a real Chroma server). All traffic is on 127.0.0.1.
"""
import os
import unittest

from harness import engines, legacy_gen
from harness.chroma_server import ChromaServer
from harness.migrate_util import check_server, expected_of, migrate
from harness.proxy import Proxy
from harness.v1_server import V1Server


def only_reads(requests):
    for method, path, _, _ in requests:
        if method == 'GET':
            continue
        if method == 'POST' and path.endswith('/get'):
            continue
        return f'{method} {path}'
    return None


class ServerSource(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = engines.temp_dir('server-src')

    def setUp(self):
        engines.require(self, os.path.exists(engines.BINARY), 'the chroma-migrate binary')
        engines.require(self, engines.have_duckdb(), 'DuckDB (npm @duckdb/node-api)')
        self.cache = engines.temp_dir('cache')

    def policy_src(self):
        src = os.path.join(self.work, 'policies')
        if not os.path.exists(src):
            engines.duckdb_write_legacy(src, *legacy_gen.policy_dataset())
        return src

    def test_server_to_persist_dir_and_to_server(self):
        engines.require(self, engines.have_chroma(), 'the Chroma server (npm chromadb-js-bindings-linux-x64-gnu)')
        src = self.policy_src()
        want, _ = expected_of(src)
        with ChromaServer(engines.temp_dir('srv-a')) as a:
            migrate(src, f'http://127.0.0.1:{a.port}', cache_dir=self.cache, expect_rc=3)
            migrate(src, f'http://127.0.0.1:{a.port}', '--to-tenant', 'tenant-src', '--to-database', 'db-src',
                    '--to-create-database', cache_dir=self.cache, expect_rc=3)
            with Proxy(a.port) as proxy:
                out = os.path.join(engines.temp_dir('out'), 'migrated')
                p = migrate(proxy.url, out, '--read-batch', '7', cache_dir=self.cache)
                self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
                self.assertIsNone(only_reads(proxy.requests), 'the source server received a write')
                gets = [r for r in proxy.requests if r[1].endswith('/get')]
                self.assertGreater(len(gets), 70, 'expected many small pages')
                with ChromaServer(out) as b:
                    check_server(self, b, want)
                    self.assertEqual(b.collection('cosine-coll')['configuration_json']['hnsw']['max_neighbors'], 32)
                with ChromaServer(engines.temp_dir('srv-c')) as c:
                    p = migrate(proxy.url, f'http://127.0.0.1:{c.port}', '--from-tenant', 'tenant-src',
                                '--from-database', 'db-src', cache_dir=self.cache)
                    self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
                    self.assertIsNone(only_reads(proxy.requests), 'the source server received a write')
                    check_server(self, c, want)

    def test_v1_standin_as_source(self):
        engines.require(self, engines.have_chroma(), 'the Chroma server (npm chromadb-js-bindings-linux-x64-gnu)')
        src = self.policy_src()
        want, _ = expected_of(src)
        with V1Server(max_batch_size=40) as v1:
            migrate(src, v1.url, cache_dir=self.cache, expect_rc=3)
            migrate(src, v1.url, '--to-tenant', 'team-a', '--to-database', 'db-one', '--to-create-database',
                    '--collections', 'ip_coll', cache_dir=self.cache, expect_rc=3)
            v1.requests.clear()
            out = os.path.join(engines.temp_dir('out'), 'from-v1')
            p = migrate(v1.url, out, '--read-batch', '9', cache_dir=self.cache)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            for method, path in v1.requests:
                self.assertTrue(method == 'GET' or path.split('?')[0].endswith('/get'), f'{method} {path}')
            with ChromaServer(out) as b:
                check_server(self, b, want)
            # another tenant/database: only what was written there
            out2 = os.path.join(engines.temp_dir('out'), 'from-v1-team')
            p = migrate(v1.url, f'{out2}', '--from-tenant', 'team-a', '--from-database', 'db-one', cache_dir=self.cache)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertIn('ip_coll  ', p.stdout)
            self.assertNotIn('policies', p.stdout)


if __name__ == '__main__':
    unittest.main(verbosity=2)
