"""Modern (Chroma 0.4–1.x) persist directories as sources.

* Every fixture in ../shared/fixtures/modern is migrated with `chroma-migrate --from FIXTURE --to
  OUT`, then the real Chroma 1.0.19 server is started on a COPY of the source and another on the
  output, and the two are compared: collections per tenant/database, counts, every record (id,
  embedding within float32 tolerance, document, metadata with types). The copy given to the
  server has the migration rows newer than 1.0.19 removed (1.3's sysdb 10 and 1.5's metadb 6 only
  add a column and a table; 1.0.19 panics on rows it does not know), and an older copy is
  upgraded by one start/stop of the server first (1.0.19 panics reading right after migrating
  a 0.4 file in the same process). Where the server cannot open
  even that (the dev-branch metadb "00004-segment_id"), an independent Python reading
  (harness/modern_expect.py) is the reference, and the test says so.
* Directories written by the real server itself: ≥ 2,500 records per collection so that the HNSW
  index and index_metadata.pickle are persisted, then deletes, updates and upserts after the last
  persist; the migrated result must hold exactly the records the live server returned before it
  was stopped.
* A live server on the source makes chroma-migrate refuse, naming the process; a hot journal too.
* The broken fixture without data_level0.bin fails with an error naming that file.
* The source's bytes are unchanged after every run (sha256 of the tree).
"""
import json
import math
import os
import random
import shutil
import sqlite3
import subprocess
import unittest

from harness import engines, modern_expect
from harness.chroma_server import ChromaServer

MODERN = os.path.join(engines.FIXTURES, 'modern')
BROKEN = os.path.join(engines.FIXTURES, 'broken', 'modern-plagiarism-v1x-pickle-no-datalevel0')
SERVER_CANNOT_OPEN = {'chroma-core-example-testdb': 'dev-branch metadb 00004-segment_id fails 1.0.19 migration validation'}




def server_copy(src, tag):
    """A writable copy the 1.0.19 server accepts: migration rows newer than it knows are removed."""
    dst = os.path.join(engines.temp_dir(tag), 'copy')
    shutil.copytree(src, dst)
    for root, dirs, files in os.walk(dst):
        for n in dirs + files:
            os.chmod(os.path.join(root, n), 0o755 if n in dirs else 0o644)
    os.chmod(dst, 0o755)
    c = sqlite3.connect(os.path.join(dst, 'chroma.sqlite3'))
    c.execute("DELETE FROM migrations WHERE (dir='sysdb' AND version > 9) OR (dir='metadb' AND version > 5)")
    c.commit()
    levels = dict(c.execute('SELECT dir, max(version) FROM migrations GROUP BY dir').fetchall())
    c.close()
    if levels.get('sysdb', 0) < 9 or levels.get('metadb', 0) < 5 or levels.get('embeddings_queue', 0) < 2:
        # 1.0.19 applies the missing migrations at start, but the same process then fails on the new
        # columns (observed: panic ColumnNotFound("bool_value")); a second start works.
        with ChromaServer(dst):
            pass
    return dst


def server_view(server, dbs):
    """What a server returns, in modern_expect.view's shape (space = the configured space)."""
    out = {}
    for tenant, database in dbs:
        colls = {}
        for col in server.collections(tenant=tenant, database=database):
            got = server.get_all(col['id'], tenant=tenant, database=database)
            recs = {rid: (vec, doc, meta or None) for rid, (vec, doc, meta) in got.items()}
            count = server.count(col['id'], tenant=tenant, database=database)
            colls[col['name']] = {'space': col['configuration_json']['hnsw']['space'], 'metadata': col['metadata'],
                                  'dimension': col['dimension'], 'records': recs, 'count': count}
        if colls:
            out[(tenant, database)] = colls
    return out


def close(got, want):
    if got is None or want is None:
        return got is None and want is None
    if len(got) != len(want):
        return False
    norm = math.sqrt(sum(w * w for w in want)) or 1.0
    return all(abs(g - w) <= 2e-6 * norm + 1e-7 for g, w in zip(got, want))


def same_metadata(got, want):
    if not got or not want:
        return not got and not want
    return set(got) == set(want) and all(type(got[k]) is type(want[k]) and got[k] == want[k] for k in want)


def compare_views(test, got, want, label, check_space=None):
    """got: the output server; want: the reference (source server or Python reading)."""
    test.assertEqual(sorted(got), sorted(want), f'{label}: tenants/databases with collections')
    for key, colls in want.items():
        test.assertEqual(sorted(got[key]), sorted(colls), f'{label} {key}: collection names')
        for name, w in colls.items():
            g = got[key][name]
            where = f'{label} {key[0]}/{key[1]}/{name}'
            if check_space:
                test.assertEqual(g['space'], check_space[key][name], f'{where}: space')
            test.assertTrue(same_metadata(g['metadata'], w['metadata']), f'{where}: collection metadata {g["metadata"]} != {w["metadata"]}')
            test.assertEqual(g.get('count', len(g['records'])), len(w['records']), f'{where}: count')
            test.assertEqual(set(g['records']), set(w['records']), f'{where}: ids')
            for rid, (wv, wd, wm) in w['records'].items():
                gv, gd, gm = g['records'][rid]
                test.assertTrue(close(gv, wv), f'{where}/{rid}: embedding differs')
                test.assertEqual(gd, wd, f'{where}/{rid}: document')
                test.assertTrue(same_metadata(gm, wm), f'{where}/{rid}: metadata {gm!r} != {wm!r}')


tree_hash = engines.tree_hash


class ModernBase(unittest.TestCase):
    def setUp(self):
        engines.require(self, os.path.exists(engines.BINARY), 'the chroma-migrate binary')
        engines.require(self, engines.have_chroma(), 'the Chroma server (npm chromadb-js-bindings-linux-x64-gnu)')

    def migrate_and_compare(self, src, reference, label, expected_space):
        before = tree_hash(src)
        out = os.path.join(engines.temp_dir('modern-out'), 'migrated')
        report = out + '.report.json'
        p = engines.migrate(src, out, '--report', report)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(tree_hash(src), before, f'{label}: the source directory was modified')
        with open(report) as f:
            rep = json.load(f)
        self.assertEqual(rep['records_rejected'], 0, rep)
        with ChromaServer(out) as server:
            got = server_view(server, list(reference) + [('default_tenant', 'default_database')])
        compare_views(self, got, reference, label, expected_space)
        self.out = out
        return rep


class ModernFixtures(ModernBase):
    def setUp(self):
        if not os.path.isdir(MODERN):
            raise unittest.SkipTest(f'modern fixtures not present at {MODERN}')
        super().setUp()

    def test_every_fixture_matches_what_chroma_reads_from_a_copy(self):
        names = sorted(os.listdir(MODERN))
        self.assertGreaterEqual(len(names), 1)
        for name in names:
            with self.subTest(fixture=name):
                src = os.path.join(MODERN, name)
                oracle = modern_expect.view(src)
                dbs = list(oracle) + [('default_tenant', 'default_database')]
                spaces = {k: {n: c['space'] for n, c in v.items()} for k, v in oracle.items()}
                if name in SERVER_CANNOT_OPEN:
                    print(f'\nNOTE {name}: the 1.0.19 server cannot open it ({SERVER_CANNOT_OPEN[name]}); '
                          'reference = the independent Python reading')
                    reference = oracle
                else:
                    with ChromaServer(server_copy(src, 'modern-src-' + name)) as server:
                        reference = server_view(server, dbs)
                    # The Python reading agrees with the server on the source (it is the oracle elsewhere).
                    compare_views(self, reference, oracle, f'{name} (source server vs Python reading)')
                rep = self.migrate_and_compare(src, reference, name, spaces)
                if name in ('nlp-student-manual-v1-768', 'day09-v1x-cosine'):
                    self.assertIn('orphan segment folders ignored', rep['source'])

    def test_dev_branch_schema_is_named(self):
        src = os.path.join(MODERN, 'chroma-core-example-testdb')
        if not os.path.isdir(src):
            self.skipTest('fixture chroma-core-example-testdb is absent')
        out = os.path.join(engines.temp_dir('modern-dev'), 'migrated')
        p = engines.migrate(src, out, '--report', out + '.json', expect_rc=0)
        with open(out + '.json') as f:
            self.assertIn('00004-segment_id', json.load(f)['source'], p.stdout)

    def test_broken_fixture_names_the_missing_data_level0(self):
        if not os.path.isdir(BROKEN):
            self.skipTest(f'broken fixture not present at {BROKEN}')
        before = tree_hash(BROKEN)
        out = os.path.join(engines.temp_dir('modern-broken'), 'migrated')
        p = engines.migrate(BROKEN, out, expect_rc=1)
        self.assertIn(os.path.join(BROKEN, '80166a5e-03ed-4826-aa8e-70feecb30b31', 'data_level0.bin') + ': missing', p.stderr)
        self.assertIn('code_embeddings', p.stderr)
        self.assertFalse(os.path.exists(out), 'a failed run left a destination behind')
        self.assertEqual(tree_hash(BROKEN), before)


def rand_vec(rng, dim):
    return [round(rng.uniform(-1, 1), 6) for _ in range(dim)]


def meta_for(i):
    return {'i': i, 'half': i / 2 + 0.25, 'even': i % 2 == 0, 'tag': f't{i % 7}'}


class ServerMadeDirs(ModernBase):
    """Directories the real server wrote, with the HNSW index persisted and a queue tail on top."""

    N = 2500
    DIM = 8

    def make_source(self):
        rng = random.Random(11)
        src = os.path.join(engines.temp_dir('modern-made'), 'src')
        os.makedirs(src)
        with ChromaServer(src) as s:
            s.request('POST', '/tenants', {'name': 'acme'})
            s.request('POST', '/tenants/acme/databases', {'name': 'prod'})
            # Places without collections: they must come along too.
            s.request('POST', '/tenants/acme/databases', {'name': 'staging'})
            s.request('POST', '/tenants/default_tenant/databases', {'name': 'archive'})
            s.request('POST', '/tenants', {'name': 'lonely'})
            specs = [('vecs_l2', 'l2', 'default_tenant', 'default_database', self.N),
                     ('vecs_cos', 'cosine', 'default_tenant', 'default_database', self.N),
                     ('small_ip', 'ip', 'acme', 'prod', 40)]
            cids = {}
            for name, space, t, d, n in specs:
                col = s.request('POST', f'{s.db(t, d)}/collections',
                                {'name': name, 'metadata': {'owner': 'tests', 'n': n},
                                 'configuration': {'hnsw': {'space': space}}})
                cids[name] = (col['id'], t, d)
                for start in range(0, n, 500):
                    ids = [f'{name}-{i}' for i in range(start, min(n, start + 500))]
                    s.request('POST', f'{s.db(t, d)}/collections/{col["id"]}/add',
                              {'ids': ids, 'embeddings': [rand_vec(rng, self.DIM) for _ in ids],
                               'documents': [f'doc {x}' for x in ids],
                               'metadatas': [meta_for(int(x.rsplit('-', 1)[1])) for x in ids]})
                s.count(col['id'], tenant=t, database=d)
            # After the last persist (at 2000): deletes, updates and upserts that live only in the queue,
            # some touching records that are in the persisted HNSW index.
            for name in ('vecs_l2', 'vecs_cos', 'small_ip'):
                cid, t, d = cids[name]
                base = f'{s.db(t, d)}/collections/{cid}'
                n = dict((x[0], x[4]) for x in specs)[name]
                s.request('POST', base + '/delete', {'ids': [f'{name}-{i}' for i in (0, 1, 2, n - 1)]})
                s.request('POST', base + '/update', {
                    'ids': [f'{name}-{i}' for i in (3, 4, 5)],
                    'embeddings': [rand_vec(rng, self.DIM) for _ in range(3)],
                    'documents': ['updated 3', 'updated 4', 'updated 5'],
                    'metadatas': [{'tag': 'changed', 'extra': True}, {'i': None}, {'half': 9.5}]})
                s.request('POST', base + '/update', {'ids': [f'{name}-6'], 'metadatas': [{'only_meta': 'yes'}]})
                s.request('POST', base + '/upsert', {
                    'ids': [f'{name}-7', f'{name}-new-1', f'{name}-new-2'],
                    'embeddings': [rand_vec(rng, self.DIM) for _ in range(3)],
                    'documents': ['upserted 7', 'new 1', 'new 2'],
                    'metadatas': [{'tag': 'ups'}, {'fresh': 1}, {'fresh': 2}]})
                s.request('POST', base + '/add', {'ids': [f'{name}-8', f'{name}-0'],
                                                  'embeddings': [rand_vec(rng, self.DIM) for _ in range(2)],
                                                  'documents': ['re-add 8 (ignored)', 're-add 0'],
                                                  'metadatas': [{'readd': 8}, {'readd': 0}]})
            dbs = [('default_tenant', 'default_database'), ('acme', 'prod')]
            live = server_view(s, dbs)
            # While it runs, the directory is live: chroma-migrate must refuse and name the process.
            p = engines.migrate(src, os.path.join(engines.temp_dir('modern-live'), 'out'), expect_rc=1)
            self.assertRegex(p.stderr, r'process \d+ .*(has this database open|holds a SQLite)', p.stderr)
        return src, live

    def test_server_written_dirs_migrate_to_exactly_the_live_records(self):
        src, live = self.make_source()
        for name in ('vecs_l2', 'vecs_cos'):
            c = sqlite3.connect(f'file:{src}/chroma.sqlite3?mode=ro', uri=True)
            vseg = c.execute("SELECT s.id FROM segments s JOIN collections c ON c.id = s.collection "
                             "WHERE c.name = ? AND s.scope = 'VECTOR'", (name,)).fetchone()[0]
            vmax = c.execute('SELECT seq_id FROM max_seq_id WHERE segment_id = ?', (vseg,)).fetchone()
            tail = c.execute('SELECT count(*) FROM embeddings_queue WHERE seq_id > ?', (vmax[0] if vmax else 0,)).fetchone()[0]
            c.close()
            self.assertTrue(os.path.getsize(os.path.join(src, vseg, 'index_metadata.pickle')) > 0,
                            f'{name}: the server did not persist its HNSW index; the test needs it')
            self.assertGreater(tail, 0, f'{name}: no queue rows after the last persist')
        want_space = {k: {n: c['space'] for n, c in v.items()} for k, v in live.items()}
        self.assertEqual(want_space[('default_tenant', 'default_database')]['vecs_cos'], 'cosine')
        # The Python reading of the stopped directory agrees with what the live server returned.
        compare_views(self, modern_expect.view(src), live, 'Python reading vs live server')
        self.migrate_and_compare(src, live, 'server-made', want_space)
        with ChromaServer(self.out) as server:
            for tenant, database in (('acme', 'staging'), ('default_tenant', 'archive'), ('acme', 'prod')):
                self.assertEqual(server.request('GET', f'/tenants/{tenant}/databases/{database}')['name'], database)
            self.assertEqual(server.request('GET', '/tenants/lonely')['name'], 'lonely')
            self.assertEqual(server.collections(tenant='acme', database='staging'), [])

    def test_hot_journal_is_refused_and_left_alone(self):
        src = os.path.join(MODERN, 'kb-model-dup-adds')
        if not os.path.isdir(src):
            self.skipTest('fixture kb-model-dup-adds is absent')
        copy = server_copy(src, 'modern-journal')
        journal = os.path.join(copy, 'chroma.sqlite3-journal')
        with open(journal, 'wb') as f:
            f.write(b'\xd9\xd5\x05\xf9\x20\xa1\x63\xd7' + b'\0' * 504)
        before = tree_hash(copy)
        p = engines.migrate(copy, os.path.join(engines.temp_dir('modern-journal-out'), 'out'), expect_rc=1)
        self.assertIn(journal + ': a rollback journal exists', p.stderr)
        self.assertEqual(tree_hash(copy), before)

    def test_open_transaction_is_refused(self):
        src = os.path.join(MODERN, 'kb-model-dup-adds')
        if not os.path.isdir(src):
            self.skipTest('fixture kb-model-dup-adds is absent')
        copy = server_copy(src, 'modern-locked')
        holder = subprocess.Popen(
            ['python3', '-c', 'import sqlite3,sys,time; c=sqlite3.connect(sys.argv[1], isolation_level=None); '
             'c.execute("BEGIN IMMEDIATE"); print("locked", flush=True); time.sleep(60)',
             os.path.join(copy, 'chroma.sqlite3')], stdout=subprocess.PIPE, text=True)
        try:
            self.assertEqual(holder.stdout.readline().strip(), 'locked')
            p = engines.migrate(copy, os.path.join(engines.temp_dir('modern-locked-out'), 'out'), expect_rc=1)
            self.assertIn(f'process {holder.pid}', p.stderr)
        finally:
            holder.kill()
            holder.wait()


if __name__ == '__main__':
    unittest.main(verbosity=2)


class ModernFixturesToServer(ModernBase):
    """Every modern fixture migrated into a running Chroma server (tenant by tenant, database by
    database) gives the same view as the reference of ModernFixtures."""

    def setUp(self):
        if not os.path.isdir(MODERN):
            raise unittest.SkipTest(f'modern fixtures not present at {MODERN}')
        super().setUp()

    def test_every_fixture_into_a_server(self):
        for name in sorted(os.listdir(MODERN)):
            with self.subTest(fixture=name):
                src = os.path.join(MODERN, name)
                reference = modern_expect.view(src)
                before = tree_hash(src)
                with ChromaServer(os.path.join(engines.temp_dir('modern-dst'), 'server')) as server:
                    for tenant, database in reference:
                        p = engines.migrate(src, f'http://127.0.0.1:{server.port}', '--from-tenant', tenant,
                                            '--from-database', database, '--to-tenant', tenant, '--to-database',
                                            database, '--to-create-database', '--rejects',
                                            os.path.join(engines.temp_dir('rejects'), 'r.jsonl'))
                        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
                    got = server_view(server, list(reference) + [('default_tenant', 'default_database')])
                compare_views(self, got, reference, name + ' (into a server)')
                self.assertEqual(tree_hash(src), before, f'{name}: the source directory was modified')
