"""Chroma 0.3's index/ graphs reused instead of rebuilt, and never trusted blindly.

Generated legacy directories (DuckDB) get the index/ folder Chroma 0.3.24+ wrote (graphs by
hnswlib through tools/write_legacy_index, pickles by Python's pickle); the migration must adopt
each graph whose every element matches a migrated record (report: "graph": "reused") and the
result must hold every record and answer queries in the real Chroma 1.0.19 server. A changed
vector, a corrupted link, a pickle that misses an element and a stale cache must each be caught,
named in the report, and the graph built instead, with the same outcome in the server.
"""
import json
import os
import pickle
import shutil
import struct
import unittest

from harness import engines, legacy_gen
from harness.chroma_server import ChromaServer
from harness.compare import check_collection
from harness.legacy_expect import expected, space_of
from harness.legacy_index import HEADER, write_legacy_index

N = 1500


class LegacyIndexReuse(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = engines.temp_dir('index-reuse')

    def setUp(self):
        engines.require(self, os.path.exists(engines.BINARY), 'the chroma-migrate binary')
        engines.require(self, os.path.exists(os.path.join(engines.BUILD, 'write_legacy_index')),
                        'the write_legacy_index tool (built with the project)')
        engines.require(self, engines.have_duckdb(), 'DuckDB (npm @duckdb/node-api)')
        engines.require(self, engines.have_chroma(), 'the Chroma server (npm chromadb-js-bindings-linux-x64-gnu)')

    def source(self, name, rows_filter=None):
        """A legacy dir of recall_dataset (l2, cosine, ip collections) with Chroma 0.3's index/."""
        colls, rows = legacy_gen.recall_dataset(n=N)
        src = os.path.join(self.work, name)
        shutil.rmtree(src, ignore_errors=True)
        engines.duckdb_write_legacy(src, colls, rows)
        write_legacy_index(src, {c['uuid']: space_of(c['metadata']) for c in colls})
        if rows_filter:  # the parquet changes after the cache was written (a stale cache)
            os.rename(os.path.join(src, 'index'), os.path.join(self.work, name + '-index'))
            shutil.rmtree(src)
            engines.duckdb_write_legacy(src, colls, [r for r in rows if rows_filter(r)])
            os.rename(os.path.join(self.work, name + '-index'), os.path.join(src, 'index'))
        return src, {c['name']: c['uuid'] for c in colls}

    def migrate(self, src, *args):
        colls, embs = engines.duckdb_dump_legacy(src)
        want, rejects = expected(colls, embs)
        self.assertFalse(rejects)
        before = engines.tree_hash(src)
        out = os.path.join(engines.temp_dir('out'), 'migrated')
        p = engines.migrate(src, out, '--report', out + '.json', *args, expect_rc=0)
        with open(out + '.json') as f:
            report = json.load(f)
        self.assertEqual(engines.tree_hash(src), before, 'the source directory was modified')
        with ChromaServer(out) as server:
            for name, c in want.items():
                check_collection(self, server, name, c)
        return out, {c['name']: c for c in report['collections']}, p.stdout

    def test_matching_graphs_are_reused_and_serve_chroma(self):
        src, _ = self.source('clean')
        out, graphs, stdout = self.migrate(src)
        for name, c in graphs.items():
            self.assertEqual(c['graph'], 'reused', f'{name}: {c["graph_note"]}')
            self.assertIsNone(c['graph_note'])
        self.assertIn('graph reused from index/', stdout)
        v = engines.run([engines.BINARY, 'verify', '--from', src, '--to', out], check=False)
        self.assertEqual(v.returncode, 0, v.stdout + v.stderr)
        # --rebuild-index builds them all, with the same outcome in the server.
        _, graphs, _ = self.migrate(src, '--rebuild-index')
        self.assertEqual({c['graph'] for c in graphs.values()}, {'built'})

    def test_a_changed_vector_a_corrupt_link_and_a_short_pickle_are_caught(self):
        src, uuid_of = self.source('damaged')
        index = os.path.join(src, 'index')
        # cosine: one element's vector changed (as if the embedding had been updated elsewhere).
        with open(os.path.join(index, f'index_{uuid_of["clustered-cosine"]}.bin'), 'r+b') as f:
            h = HEADER.unpack(f.read(HEADER.size))
            at = HEADER.size + 700 * h[3] + h[5]
            f.seek(at)
            (x,) = struct.unpack('<f', f.read(4))
            f.seek(at)
            f.write(struct.pack('<f', x + 0.5))
        # l2: a level-0 neighbour id pointing past the last element.
        with open(os.path.join(index, f'index_{uuid_of["clustered-l2"]}.bin'), 'r+b') as f:
            h = HEADER.unpack(f.read(HEADER.size))
            f.seek(HEADER.size + 5 * h[3] + 4)
            f.write(struct.pack('<I', h[2] + 5))
        # ip: the pickle lost one element.
        pkl = os.path.join(index, f'uuid_to_id_{uuid_of["clustered-ip"]}.pkl')
        with open(pkl, 'rb') as f:
            labels = pickle.load(f)
        labels.pop(next(iter(labels)))
        with open(pkl, 'wb') as f:
            pickle.dump(labels, f, pickle.HIGHEST_PROTOCOL)

        _, graphs, stdout = self.migrate(src)
        self.assertEqual({c['graph'] for c in graphs.values()}, {'built'})
        cos = graphs['clustered-cosine']['graph_note']
        self.assertIn('its unit vector differs from the cache', cos)
        self.assertIn('record "cosine-', cos)
        self.assertIn(f'at offset {HEADER.size + 5 * h[3] + 4}: element 5 links to element {h[2] + 5}',
                      graphs['clustered-l2']['graph_note'])
        self.assertIn(f'names {N - 1} elements', graphs['clustered-ip']['graph_note'])
        self.assertIn('not reused', stdout)

    def test_a_stale_cache_is_not_reused(self):
        src, _ = self.source('stale', rows_filter=lambda r: r['id'] not in ('l2-17', 'cosine-3'))
        _, graphs, _ = self.migrate(src)
        self.assertIn(f'holds {N} elements but the collection has {N - 1} records',
                      graphs['clustered-l2']['graph_note'])
        self.assertIn(f'holds {N} elements but the collection has {N - 1} records',
                      graphs['clustered-cosine']['graph_note'])
        self.assertEqual(graphs['clustered-ip']['graph'], 'reused')


if __name__ == '__main__':
    unittest.main(verbosity=2)
