"""A modern persist directory's own HNSW graphs reused instead of rebuilt, and never trusted blindly.

The real Chroma 1.0.19 server writes the source: collections whose last write was persisted
(3,000 and 1,000 records: the server persists its index every 1,000; one with deletes and a
re-add before that persist, so its graph keeps deleted elements), and collections changed after
that (an update and a delete that live only in the queue). chroma-migrate must adopt the graph
of the first kind (report: "graph": "reused", from "the source's HNSW segment") and build the
graph of the second, saying why. Then the real server opens the result: every record equals
what the server returned from the source, and the reused collections answer queries exactly as
the source did (same ids, same distances), since they are the same graph; the rebuilt ones reach
recall@10 ≥ 0.95 against exact search. New records added to the result afterwards are found (the
deleted elements' labels do not collide with the labels Chroma gives them).
"""
import json
import math
import os
import random
import sqlite3
import struct
import unittest

from harness import engines
from harness.chroma_server import ChromaServer
from harness.compare import check_recall
from test_modern_dirs import compare_views, server_copy, server_view

DIM = 16
# name, space, records, what happens after the last persist
SPECS = [('reuse_l2', 'l2', 3000, None), ('reuse_cos', 'cosine', 3000, None), ('reuse_ip', 'ip', 1000, None),
         ('reuse_deleted', 'cosine', 2000, 'persisted deletes'),
         ('tail_update', 'l2', 3000, 'update'), ('tail_delete', 'cosine', 3000, 'delete')]
REUSED = {'reuse_l2', 'reuse_cos', 'reuse_ip', 'reuse_deleted'}


class ModernGraphReuse(unittest.TestCase):
    def setUp(self):
        engines.require(self, os.path.exists(engines.BINARY), 'the chroma-migrate binary')
        engines.require(self, engines.have_chroma(), 'the Chroma server (npm chromadb-js-bindings-linux-x64-gnu)')

    def make_source(self):
        rng = random.Random(21)
        src = os.path.join(engines.temp_dir('modern-reuse'), 'src')
        os.makedirs(src)
        with ChromaServer(src) as s:
            for name, space, n, after in SPECS:
                col = s.request('POST', f'{s.db()}/collections',
                                {'name': name, 'configuration': {'hnsw': {'space': space}}})
                base = f'{s.db()}/collections/{col["id"]}'
                for start in range(0, n, 500):
                    ids = [f'{name}-{i}' for i in range(start, min(n, start + 500))]
                    s.request('POST', base + '/add', {
                        'ids': ids, 'embeddings': [[rng.uniform(-1, 1) for _ in range(DIM)] for _ in ids],
                        'documents': [f'doc {x}' for x in ids], 'metadatas': [{'i': i} for i in range(start, start + len(ids))]})
                if after == 'update':
                    s.request('POST', base + '/update', {'ids': [f'{name}-5', f'{name}-6'],
                                                         'embeddings': [[0.5] * DIM, [-0.25] * DIM]})
                elif after == 'delete':
                    s.request('POST', base + '/delete', {'ids': [f'{name}-0', f'{name}-1']})
                elif after == 'persisted deletes':
                    # 10 deletes, 5 of them added again (new labels), then enough adds for the
                    # server to persist at 3,000 operations: 2,990 elements, 10 flagged deleted.
                    s.request('POST', base + '/delete', {'ids': [f'{name}-{i}' for i in range(10)]})
                    again = [f'{name}-{i}' for i in range(5)] + [f'{name}-more-{i}' for i in range(985)]
                    for start in range(0, len(again), 500):
                        ids = again[start:start + 500]
                        s.request('POST', base + '/add', {
                            'ids': ids, 'embeddings': [[rng.uniform(-1, 1) for _ in range(DIM)] for _ in ids]})
        return src

    def assert_persisted(self, src, name):
        """The test's premise: the collection's last write is in its persisted HNSW segment."""
        c = sqlite3.connect(f'file:{src}/chroma.sqlite3?mode=ro', uri=True)
        try:
            vseg, cid = c.execute("SELECT s.id, c.id FROM segments s JOIN collections c ON c.id = s.collection "
                                  "WHERE c.name = ? AND s.scope = 'VECTOR'", (name,)).fetchone()
            persisted = c.execute('SELECT seq_id FROM max_seq_id WHERE segment_id = ?', (vseg,)).fetchone()[0]
            last = c.execute("SELECT max(seq_id) FROM embeddings_queue WHERE topic LIKE '%' || ?", (cid,)).fetchone()[0]
        finally:
            c.close()
        self.assertGreaterEqual(persisted, last, f'{name}: the server did not persist its last write')
        with open(os.path.join(src, vseg, 'header.bin'), 'rb') as f:
            return struct.unpack_from('<Q', f.read(), 4 + 16)[0]  # cur_element_count

    def queries(self, server, reference):
        """name → (ids, distances) of 20 queries near stored vectors."""
        rng = random.Random(5)
        out = {}
        for name in reference:
            col = server.collection(name)
            recs = reference[name]['records']
            sample = rng.sample(sorted(recs), 20)
            vecs = [[x + rng.gauss(0, 0.05) for x in recs[i][0]] for i in sample]
            out[name] = (vecs,) + tuple(server.query(col['id'], vecs, 10))
        return out

    def test_persisted_graphs_are_reused_and_changed_ones_rebuilt(self):
        src = self.make_source()
        self.assertEqual(self.assert_persisted(src, 'reuse_deleted'), 2990, 'reuse_deleted: elements in the graph')
        before = engines.tree_hash(src)
        # plan says beforehand which graphs a migration would adopt (the vectors are compared then).
        p = engines.run([engines.BINARY, 'plan', '--from', src, '--to', os.path.join(engines.temp_dir('plan'), 'out'),
                         '--json'], check=False)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        notes = json.loads(p.stdout)['notes']
        for name, *_ in SPECS:
            note = [n for n in notes if n.startswith(f'collection "{name}"')]
            self.assertEqual(len(note), 1, notes)
            if name == 'tail_delete':
                self.assertIn('holds 3000 live vectors but the collection has 2998 records', note[0])
            else:  # tail_update's vectors differ: only migrate sees that
                self.assertIn('reuses that graph if every record matches it', note[0])
        self.assertIn('(and 10 deleted elements, kept flagged)', [n for n in notes if '"reuse_deleted"' in n][0])
        key = ('default_tenant', 'default_database')
        with ChromaServer(server_copy(src, 'modern-reuse-src')) as server:
            reference = server_view(server, [key])
            want_queries = self.queries(server, reference[key])
        self.assertEqual(sorted(reference[key]), sorted(n for n, *_ in SPECS))

        out = os.path.join(engines.temp_dir('modern-reuse-out'), 'migrated')
        p = engines.migrate(src, out, '--report', out + '.json', '--verify', expect_rc=0)
        self.assertEqual(engines.tree_hash(src), before, 'the source directory was modified')
        with open(out + '.json') as f:
            report = {c['name']: c for c in json.load(f)['collections']}
        for name, *_ in SPECS:
            c = report[name]
            self.assertEqual(c['graph_source'], "the source's HNSW segment", name)
            if name in REUSED:
                self.assertEqual((c['graph'], c['graph_note'], c['graph_order']), ('reused', None, None), name)
                self.assertIn(f'{name} ', p.stdout)
            else:
                self.assertEqual(c['graph'], 'built', name)
                self.assertIn('not reused: ', c['graph_note'])
                self.assertTrue(c['graph_order'].startswith('spatial, seed '), c['graph_order'])
        self.assertIn('vector differs', report['tail_update']['graph_note'])
        self.assertIn('holds 3000 live elements (0 deleted) but the collection has 2998 records', report['tail_delete']['graph_note'])
        self.assertIn("graph reused from the source's HNSW segment", p.stdout)

        with ChromaServer(out) as server:
            got = server_view(server, [key])
            compare_views(self, got, reference, 'reused/rebuilt graphs')
            for name, space, n, after in SPECS:
                vecs, want_ids, want_dist = want_queries[name]
                ids, dist = server.query(server.collection(name)['id'], vecs, 10)
                if name in REUSED:
                    self.assertEqual(ids, want_ids, f'{name}: a reused graph answers as the source did')
                    for g, w in zip(dist, want_dist):
                        self.assertTrue(all(math.isclose(a, b, rel_tol=1e-4, abs_tol=1e-5) for a, b in zip(g, w)),
                                        f'{name}: distances {g} != {w}')
                else:
                    check_recall(self, server, server.collection(name)['id'], space, got[key][name]['records'], 20,
                                 0.95, name)
            # Later writes to a reused graph that kept deleted elements: new labels, found at once.
            cid = server.collection('reuse_deleted')['id']
            rng = random.Random(8)
            new = {f'fresh-{i}': [rng.uniform(-1, 1) for _ in range(DIM)] for i in range(5)}
            server.add(cid, list(new), list(new.values()))
            self.assertEqual(server.count(cid), len(reference[key]['reuse_deleted']['records']) + 5)
            ids, _ = server.query(cid, list(new.values()), 1)
            self.assertEqual([i[0] for i in ids], list(new), 'reuse_deleted: new records are their own nearest')

    def test_rebuild_index_builds_every_graph(self):
        src = self.make_source()
        out = os.path.join(engines.temp_dir('modern-rebuild-out'), 'migrated')
        engines.migrate(src, out, '--report', out + '.json', '--rebuild-index', expect_rc=0)
        with open(out + '.json') as f:
            graphs = {c['name']: c['graph'] for c in json.load(f)['collections']}
        self.assertEqual(graphs, {n: 'built' for n, *_ in SPECS})


if __name__ == '__main__':
    unittest.main(verbosity=2)
