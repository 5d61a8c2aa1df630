"""Every real legacy directory in ../shared/fixtures/legacy migrated to a persist directory, then
opened by the real Chroma 1.0.19 server and compared with what DuckDB reads from the source:
collections, counts, every record (id, document, metadata with types, embedding), the space and
query recall@10 against exact search. Where Chroma 0.3's index/ graph indexes exactly the migrated
records (judged independently by harness/legacy_index.cache_matches) it must have been reused,
and nowhere else. Also: the broken fixtures fail with a clear error naming
the missing file, and the source is byte-for-byte unchanged.
"""
import json
import os
import unittest

from harness import engines
from harness.chroma_server import ChromaServer
from harness.compare import check_collection
from harness.legacy_expect import expected
from harness.legacy_index import cache_matches

LEGACY = os.path.join(engines.FIXTURES, 'legacy')
BROKEN = os.path.join(engines.FIXTURES, 'broken')




tree_hash = engines.tree_hash


class LegacyFixtures(unittest.TestCase):
    def setUp(self):
        if not os.path.isdir(LEGACY):
            raise unittest.SkipTest(f'fixtures not present at {LEGACY}')
        engines.require(self, os.path.exists(engines.BINARY), 'the chroma-migrate binary')
        engines.require(self, engines.have_duckdb(), 'DuckDB (npm @duckdb/node-api)')
        engines.require(self, engines.have_chroma(), 'the Chroma server (npm chromadb-js-bindings-linux-x64-gnu)')

    def test_every_fixture_opens_in_chroma_and_matches_the_source(self):
        names = sorted(os.listdir(LEGACY))
        self.assertGreaterEqual(len(names), 1)
        reused = {'reused': 0, 'built': 0}
        for name in names:
            with self.subTest(fixture=name):
                src = os.path.join(LEGACY, name)
                before = tree_hash(src)
                colls, embs = engines.duckdb_dump_legacy(src)
                want, rejects = expected(colls, embs)
                out = os.path.join(engines.temp_dir('fixture-' + name), 'migrated')
                report = out + '.report.json'
                p = engines.migrate(src, out, '--report', report)
                self.assertEqual(p.returncode, 3 if rejects else 0, p.stdout + p.stderr)
                with open(report) as f:
                    rep = json.load(f)
                self.assertEqual(rep['rejected_by_reason'], dict(rejects))
                self.assertEqual(rep['records_migrated'], sum(len(c['records']) for c in want.values()))
                self.assertEqual(tree_hash(src), before, 'the source directory was modified')
                for c in rep['collections']:
                    rows = [r for r in embs if r['collection_uuid'] == c['source_key']]
                    reusable = c['migrated'] == len(rows) and cache_matches(src, c['source_key'], rows, c['space'])
                    self.assertEqual(c['graph'], 'reused' if reusable else 'built', f"{c['name']}: {c['graph_note']}")
                    reused[c['graph']] += 1
                with ChromaServer(out) as server:
                    got = sorted(c['name'] for c in server.collections())
                    self.assertEqual(got, sorted(want))
                    for cname, c in want.items():
                        check_collection(self, server, cname, c)
        print(f'graphs of the real fixtures: {reused}')
        self.assertGreater(reused['reused'], 0, 'no real fixture exercised graph reuse')

    def test_broken_fixtures_name_the_missing_file(self):
        if not os.path.isdir(BROKEN):
            self.skipTest(f'broken fixtures not present at {BROKEN}')
        src = os.path.join(BROKEN, 'legacy-billmuriu-head-no-embeddings')
        out = os.path.join(engines.temp_dir('broken'), 'migrated')
        p = engines.migrate(src, out, expect_rc=1)
        self.assertIn(os.path.join(src, 'chroma-embeddings.parquet') + ': missing', p.stderr)
        self.assertIn('index/ is only an HNSW cache', p.stderr)
        self.assertFalse(os.path.exists(out), 'a failed run left a destination behind')


if __name__ == '__main__':
    unittest.main(verbosity=2)
