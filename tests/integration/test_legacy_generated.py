"""Legacy directories written by DuckDB with every policy case, several codecs and page
layouts, and clustered data; each migrated and then checked in the real Chroma 1.0.19 server
against an independent model of the policies (harness/legacy_expect.py). Also: FTS ($contains),
the rejects file, writes after migration surviving a restart, and destination safety.
"""
import json
import os
import sqlite3
import unittest
from collections import Counter

from harness import engines, legacy_gen
from harness.chroma_server import ChromaServer
from harness.compare import check_collection
from harness.legacy_expect import expected


class LegacyGenerated(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = engines.temp_dir('generated')

    def setUp(self):
        engines.require(self, os.path.exists(engines.BINARY), 'the chroma-migrate binary')
        engines.require(self, engines.have_duckdb(), 'DuckDB (npm @duckdb/node-api)')
        engines.require(self, engines.have_chroma(), 'the Chroma server (npm chromadb-js-bindings-linux-x64-gnu)')

    def write(self, name, dataset, *options):
        src = os.path.join(self.work, name)
        if not os.path.exists(src):
            engines.duckdb_write_legacy(src, *dataset, *options)
        return src

    def migrate_and_check(self, src, *args, nested='json', duplicates='last', null_ids='uuid', min_recall=0.95):
        colls, embs = engines.duckdb_dump_legacy(src)
        want, rejects = expected(colls, embs, nested=nested, duplicates=duplicates, null_ids=null_ids)
        out = os.path.join(engines.temp_dir('out'), 'migrated')
        p = engines.migrate(src, out, *args, '--report', out + '.json')
        self.assertEqual(p.returncode, 3 if rejects else 0, p.stdout + p.stderr)
        with open(out + '.json') as f:
            report = json.load(f)
        self.assertEqual(report['rejected_by_reason'], dict(rejects))
        if rejects:
            with open(report['rejects_file']) as f:
                lines = [json.loads(line) for line in f]
            self.assertEqual(Counter(line['reason'] for line in lines), rejects)
            for line in lines:
                self.assertIn('record', line)
                self.assertTrue(line['location'].startswith('chroma-embeddings.parquet row '), line['location'])
        with ChromaServer(out) as server:
            self.assertEqual(sorted(c['name'] for c in server.collections()), sorted(want))
            for name, c in want.items():
                check_collection(self, server, name, c, min_recall=min_recall)
        return out, want

    def test_every_policy_default(self):
        src = self.write('policies', legacy_gen.policy_dataset())
        out, want = self.migrate_and_check(src)
        with ChromaServer(out) as server:
            cid = server.collection('cosine-coll')['id']
            self.assertEqual(server.collection('cosine-coll')['configuration_json']['hnsw']['max_neighbors'], 32)
            self.assertEqual(server.collection('cosine-coll')['configuration_json']['hnsw']['ef_construction'], 128)
            pid = server.collection('policies')['id']
            expect_apple = {i for i, r in want['policies']['records'].items() if r[1] and 'apple' in r[1]}
            self.assertTrue(expect_apple)
            self.assertEqual(server.where_document(pid, 'apple'), expect_apple)
            # A write after the migration gets a fresh seq id: it must survive a restart.
            server.add(cid, ['after-migration'], [[0.5] * 16], ['new doc'], [{'k': 'v'}])
            self.assertEqual(server.count(cid), 301)
        with ChromaServer(out) as server:
            cid = server.collection('cosine-coll')['id']
            self.assertEqual(server.count(cid), 301)
            self.assertIn('after-migration', server.get_all(cid))
            self.assertEqual(server.where_document(cid, 'new doc'), {'after-migration'})

    def test_long_documents_full_text(self):
        """RAG-size documents: the full-text index (written natively) answers $contains as a
        substring search of the source documents does, in both collections; Chroma then deletes
        and adds through it; FTS5's own integrity-check passes on the result."""
        colls, rows = legacy_gen.long_documents_dataset()
        src = self.write('long-documents', (colls, rows))
        out, want = self.migrate_and_check(src)
        docs = {name: {rid: r[1] for rid, r in c['records'].items()} for name, c in want.items()}
        vocabulary = sorted({w for d in docs['chapters-a'].values() if d for w in d.split(' ') if len(w) >= 3})
        rng = __import__('random').Random(3)
        needles = rng.sample(vocabulary, 8) + ['the', 'naïve', '日本語', 'markera0', 'markerb37', 'ma', 'ab', 'zzzzqqq']
        needles += [d[100:130] for d in list(docs['chapters-b'].values())[:3] if len(d) > 200]  # phrases
        with ChromaServer(out) as server:
            for name in docs:
                cid = server.collection(name)['id']
                for needle in needles:
                    expect = {rid for rid, d in docs[name].items() if d and needle in d}
                    self.assertEqual(server.where_document(cid, needle), expect, (name, needle))
            cid = server.collection('chapters-a')['id']
            server.delete(cid, ['chapters-a-0', 'chapters-a-37', 'chapters-a-100'])
            server.add(cid, ['late'], [[0.1] * 24], ['a late markera0 arrival'], None)
            deleted = {'chapters-a-0', 'chapters-a-37', 'chapters-a-100'}
            for needle, added in (('markera0', {'late'}), ('markera37', set()), (needles[0], set())):
                expect = {rid for rid, d in docs['chapters-a'].items() if d and needle in d} - deleted
                self.assertEqual(server.where_document(cid, needle), expect | added, needle)
        with sqlite3.connect(os.path.join(out, 'chroma.sqlite3')) as db:
            db.execute("INSERT INTO embedding_fulltext_search (embedding_fulltext_search) VALUES ('integrity-check')")
            segments = db.execute('SELECT count(DISTINCT segid) FROM embedding_fulltext_search_idx').fetchone()[0]
            dlidx = db.execute('SELECT count(*) FROM embedding_fulltext_search_data WHERE (id >> 36) & 1').fetchone()[0]
        self.assertGreaterEqual(segments, 1)
        self.assertGreater(dlidx, 0, 'no doclist index: the documents are not long enough to test one')

    def test_policy_options(self):
        src = self.write('policies', legacy_gen.policy_dataset())
        for args, kw in ((['--nested', 'flatten'], {'nested': 'flatten'}),
                         (['--nested', 'drop', '--duplicates', 'first'], {'nested': 'drop', 'duplicates': 'first'}),
                         (['--null-ids', 'reject'], {'null_ids': 'reject'})):
            with self.subTest(args=args):
                self.migrate_and_check(src, *args, **kw)

    def test_nested_fail_and_duplicates_fail(self):
        src = self.write('policies', legacy_gen.policy_dataset())
        out = os.path.join(engines.temp_dir('fail'), 'migrated')
        p = engines.migrate(src, out, '--duplicates', 'fail', expect_rc=1)
        self.assertIn('id "dup" appears at chroma-embeddings.parquet row', p.stderr)
        self.assertFalse(os.path.exists(out))
        p = engines.migrate(src, out, '--nested', 'fail', expect_rc=1)
        self.assertIn('collection "policies" metadata', p.stderr)  # the collection's own nested metadata
        self.assertFalse(os.path.exists(out))

    def test_collection_added_twice_with_held_records_on_disk(self):
        """Every id of a 3000-record collection appears twice (Chroma 0.3 let `add` run twice), beside
        the policy cases. With --held-memory 1 the repeated records (about 1.5 MB) wait in partitions
        of a temporary file; the duplicate policy must still pick the same winners."""
        pc, pe = legacy_gen.policy_dataset()
        rc, re_ = legacy_gen.recall_dataset(n=3000)
        cu = rc[0]['uuid']
        twice = [r for r in re_ if r['collection_uuid'] == cu]
        again = [dict(r, uuid=r['uuid'][:-4] + 'beef', document=r['document'] + ' (second add)') for r in twice]
        src = self.write('added-twice', (pc + rc[:1], pe + twice + again))
        for duplicates in ('last', 'first'):
            with self.subTest(duplicates=duplicates):
                out, want = self.migrate_and_check(src, '--held-memory', '1', '--duplicates', duplicates,
                                                   duplicates=duplicates)
                with open(out + '.json') as f:
                    report = json.load(f)
                self.assertGreaterEqual(report['records_held'], 6000, report)
                self.assertGreater(report['held_spilled_bytes'], 1 << 20, report)
                docs = [r[1] for r in want['clustered-l2']['records'].values()]
                self.assertEqual(len(docs), 3000)
                self.assertTrue(all(d.endswith('(second add)') == (duplicates == 'last') for d in docs))

    def test_codecs_and_page_layouts(self):
        data = legacy_gen.policy_dataset()
        for options in (['--compression', 'zstd'], ['--compression', 'gzip'], ['--compression', 'uncompressed'],
                        ['--compression', 'lz4'], ['--compression', 'brotli'], ['--row-group-size', '7'],
                        ['--parquet-version', 'v2'], ['--parquet-version', 'v2', '--compression', 'zstd',
                                                      '--row-group-size', '50']):
            with self.subTest(options=options):
                src = self.write('codec-' + '-'.join(o.strip('-') for o in options), data, *options)
                self.migrate_and_check(src)

    def test_clustered_recall(self):
        src = self.write('clustered', legacy_gen.recall_dataset())
        self.migrate_and_check(src, min_recall=0.95)

    def test_build_arithmetic(self):
        """Graphs are built on int16 fixed-point copies by default and in float32 on request; the
        server finds the exact records and recall either way. A collection that fixed point
        cannot resolve (a large offset, a tiny spread) is built in float32, and the report says why."""
        src = self.write('arithmetic', legacy_gen.arithmetic_dataset())
        for args, want_arithmetic in (((), 'int16 fixed point'),
                                      (('--build-arithmetic', 'float32'), 'float32: --build-arithmetic float32')):
            with self.subTest(args=args):
                out, want = self.migrate_and_check(src, *args)
                with open(out + '.json') as f:
                    collections = json.load(f)['collections']
                arithmetic = {c['name']: c['graph_arithmetic'] for c in collections}
                for space in ('l2', 'cosine', 'ip'):
                    self.assertEqual(arithmetic[f'clustered-{space}'], want_arithmetic)
                # Every graph here is built, in the default order with the default seed.
                self.assertEqual({c['graph_order'] for c in collections}, {'spatial, seed 109300247653729'})
                self.assertTrue(arithmetic['offset-l2'].startswith('float32: '), arithmetic)
                if not args:
                    self.assertIn('spread', arithmetic['offset-l2'])

    def test_destination_safety(self):
        src = self.write('policies', legacy_gen.policy_dataset())
        out = os.path.join(engines.temp_dir('dest'), 'migrated')
        os.makedirs(out)
        with open(os.path.join(out, 'keep.txt'), 'w') as f:
            f.write('user data')
        p = engines.migrate(src, out, expect_rc=1)
        self.assertIn('already exists and is not empty', p.stderr)
        self.assertEqual(os.listdir(out), ['keep.txt'])
        self.assertEqual(os.listdir(os.path.dirname(out)), ['migrated'], 'staging left behind')
        engines.migrate(src, out, '--overwrite', expect_rc=3)
        self.assertIn('chroma.sqlite3', os.listdir(out))
        self.assertNotIn('keep.txt', os.listdir(out))
        empty = os.path.join(engines.temp_dir('dest'), 'empty')
        os.makedirs(empty)
        engines.migrate(src, empty, expect_rc=3)


if __name__ == '__main__':
    unittest.main(verbosity=2)
