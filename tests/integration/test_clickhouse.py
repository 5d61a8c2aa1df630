"""Legacy ClickHouse source: a real ClickHouse server (scripts/clickhouse-server.sh, loopback only)
loaded with the same legacy data as the persist-directory tests, migrated with
`--from clickhouse://127.0.0.1:PORT/db`, and the result opened by the real Chroma 1.0.19 server.

* the policy dataset in a non-default database, read in pages of 97 rows, gives record for record
  the same collections as the equivalent persist directory (same rows in the order ClickHouse
  reads them: ClickHouse has no insertion order, so "last duplicate wins" follows (collection_uuid, uuid));
* the ≤ 0.3.0 table shape (embeddings.metadata String) in `default`, with credentials in the URL;
* every fixture in ../shared/fixtures/legacy, as DuckDB reads it, with HTTP basic auth;
* NULL ids and documents, a collection without rows, rows sharing one (collection_uuid, uuid) key
  across page boundaries, and a connection cut mid-page (resumed from the last record);
* the errors: unreachable server, wrong credentials, missing tables, the native TCP port, and an
  HTTP server that is not ClickHouse.
"""
import http.server
import json
import math
import os
import re
import socket
import threading
import unittest

from harness import clickhouse, engines, legacy_gen
from harness.chroma_server import ChromaServer
from harness.compare import check_collection
from harness.legacy_expect import expected

LEGACY = os.path.join(engines.FIXTURES, 'legacy')


def writer_rows(embs):
    """DuckDB-dump rows back into legacy_write.mjs input (NaN/Infinity as strings)."""
    special = lambda x: ('NaN' if math.isnan(x) else 'Infinity' if x > 0 else '-Infinity') \
        if isinstance(x, float) and not math.isfinite(x) else x
    return [dict(r, embedding=None if r['embedding'] is None else [special(x) for x in r['embedding']])
            for r in embs]


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


class CuttingProxy:
    """Forwards 127.0.0.1:port to ClickHouse; once `cut_after` response bytes have passed in
    total, it drops that connection (once), as a network failure mid-page would."""

    def __init__(self, target_port, cut_after):
        self.target_port, self.cut_after = target_port, cut_after
        self.forwarded, self.cuts = 0, 0
        self.lock = threading.Lock()
        self.server = socket.socket()
        self.server.bind(('127.0.0.1', 0))
        self.server.listen(16)
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(('127.0.0.1', self.target_port))
            threading.Thread(target=self.pipe, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=self.pipe, args=(upstream, client, True), daemon=True).start()

    def pipe(self, src, dst, response):
        try:
            while True:
                data = src.recv(4096)
                if not data:
                    break
                if response:
                    with self.lock:
                        cut = self.cuts == 0 and self.forwarded + len(data) > self.cut_after
                        if cut:
                            self.cuts += 1
                            data = data[:self.cut_after - self.forwarded]
                        self.forwarded += len(data)
                    if cut:
                        dst.sendall(data)
                        break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def close(self):
        self.server.close()


class NotClickHouse(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(404)
        self.end_headers()
        self.wfile.write(b'{"error":"Not Found"}')

    do_POST = do_GET

    def log_message(self, *args):
        pass


class ClickHouseSource(unittest.TestCase):
    ch = None

    @classmethod
    def setUpClass(cls):
        cls.work = engines.temp_dir('clickhouse')
        cls.dumps = {}
        if clickhouse.have_clickhouse():
            cls.ch = clickhouse.ClickHouse().__enter__()

    @classmethod
    def tearDownClass(cls):
        if cls.ch:
            cls.ch.__exit__(None, None, None)

    def setUp(self):
        engines.require(self, os.path.exists(engines.BINARY), 'the chroma-migrate binary')
        engines.require(self, clickhouse.have_clickhouse(), 'ClickHouse (Debian clickhouse-server; run '
                                                            'scripts/install-clickhouse.sh)')

    def need_chroma_and_duckdb(self):
        engines.require(self, engines.have_duckdb(), 'DuckDB (npm @duckdb/node-api)')
        engines.require(self, engines.have_chroma(), 'the Chroma server (npm chromadb-js-bindings-linux-x64-gnu)')

    def policy_rows(self):
        """The policy dataset as DuckDB reads it back from a legacy directory."""
        if 'policy' not in self.dumps:
            src = os.path.join(self.work, 'policies')
            engines.duckdb_write_legacy(src, *legacy_gen.policy_dataset())
            self.dumps['policy'] = engines.duckdb_dump_legacy(src)
        return self.dumps['policy']

    def migrate(self, src, *args, expect_rc=None):
        out = os.path.join(engines.temp_dir('ch-out'), 'migrated')
        p = engines.migrate(src, out, '--report', out + '.json', *args, expect_rc=expect_rc)
        report = None
        if os.path.exists(out + '.json'):
            with open(out + '.json') as f:
                report = json.load(f)
        return out, p, report

    def check_against_model(self, out, p, report, colls, rows, db):
        want, rejects = expected(colls, rows)
        self.assertEqual(p.returncode, 3 if rejects else 0, p.stdout + p.stderr)
        self.assertEqual(report['rejected_by_reason'], dict(rejects))
        self.assertEqual(report['records_migrated'], sum(len(c['records']) for c in want.values()))
        if rejects:
            with open(report['rejects_file']) as f:
                for line in f:
                    self.assertTrue(json.loads(line)['location'].startswith(f'{db}.embeddings uuid '), line)
        with ChromaServer(out) as server:
            self.assertEqual(sorted(c['name'] for c in server.collections()), sorted(want))
            for name, c in want.items():
                check_collection(self, server, name, c)
        return want

    @staticmethod
    def everything(out):
        """{collection name: (metadata, configuration, {id: (embedding, document, metadata)})}."""
        with ChromaServer(out) as server:
            return {c['name']: (c['metadata'], c['configuration_json'], server.get_all(c['id']))
                    for c in server.collections()}

    def test_policy_dataset_in_a_non_default_database_equals_the_persist_directory(self):
        self.need_chroma_and_duckdb()
        colls, embs = self.policy_rows()
        rows = [r for r in embs if clickhouse.representable(r)]
        self.assertEqual(len(embs) - len(rows), 2)  # NULL embedding, NULL element: no such rows in ClickHouse
        self.assertTrue(any(r['id'] is None for r in rows) and any(r['document'] is None for r in rows))
        self.assertTrue(any(r['metadata'] is None for r in rows))
        ordered = self.ch.load('legacy03', colls, rows)
        # The equivalent persist directory: the same rows, in the order ClickHouse reads them.
        src_dir = os.path.join(self.work, 'policies-ch-order')
        engines.duckdb_write_legacy(src_dir, colls, writer_rows(ordered))
        dcolls, drows = engines.duckdb_dump_legacy(src_dir)

        out_ch, p, report = self.migrate(self.ch.url('legacy03', query='?page_rows=97'))
        want = self.check_against_model(out_ch, p, report, dcolls, drows, 'legacy03')
        self.assertEqual(want['empty-one']['records'], {})
        self.assertIn('legacy ClickHouse clickhouse://127.0.0.1', p.stdout + p.stderr + json.dumps(report))
        out_dir, p_dir, report_dir = self.migrate(src_dir)
        self.assertEqual(p_dir.returncode, p.returncode, p_dir.stderr)
        for key in ('rejected_by_reason', 'records_migrated', 'records_read'):
            self.assertEqual(report[key], report_dir[key], key)
        self.assertEqual(self.everything(out_ch), self.everything(out_dir))

    def test_old_non_nullable_metadata_shape_in_default_database_with_credentials(self):
        self.need_chroma_and_duckdb()
        colls, embs = self.policy_rows()
        # Chroma ≤ 0.3.0 created metadata String and filled missing metadatas with {}.
        rows = [dict(r, metadata='{}' if r['metadata'] is None else r['metadata'])
                for r in embs if clickhouse.representable(r)]
        ordered = self.ch.load('default', colls, rows, nullable_metadata=False)
        out, p, report = self.migrate(self.ch.url(None, clickhouse.USER, clickhouse.PASSWORD))
        self.assertNotIn(clickhouse.PASSWORD, p.stdout + p.stderr + json.dumps(report))
        self.check_against_model(out, p, report, colls, ordered, 'default')

    def test_every_fixture(self):
        if not os.path.isdir(LEGACY):
            self.skipTest(f'fixtures not present at {LEGACY}')
        self.need_chroma_and_duckdb()
        names = sorted(os.listdir(LEGACY))
        self.assertGreaterEqual(len(names), 1)
        for name in names:
            with self.subTest(fixture=name):
                colls, embs = engines.duckdb_dump_legacy(os.path.join(LEGACY, name))
                rows = [r for r in embs if clickhouse.representable(r)]
                if len(rows) != len(embs):
                    print(f'{name}: {len(embs) - len(rows)} rows cannot exist in ClickHouse (NULL embedding or key); '
                          'left out')
                db = 'fx_' + re.sub(r'[^a-z0-9]', '_', name.lower())
                ordered = self.ch.load(db, colls, rows)
                out, p, report = self.migrate(self.ch.url(db), '--from-basic-auth',
                                              f'{clickhouse.USER}:{clickhouse.PASSWORD}')
                self.check_against_model(out, p, report, colls, ordered, db)

    def test_rows_sharing_a_key_across_pages(self):
        self.need_chroma_and_duckdb()
        c = '6c666f15-6c80-4a18-b955-5b4da3e25d77'
        colls = [{'uuid': c, 'name': 'ties', 'metadata': 'null'}]
        same = '00000000-0000-4000-8000-000000000001'
        rows = [{'collection_uuid': c, 'uuid': same, 'embedding': [float(i), 1.0, 2.0], 'document': f'd{i}',
                 'id': f'tie-{i}', 'metadata': json.dumps({'i': i})} for i in range(7)]
        rows += [{'collection_uuid': c, 'uuid': f'00000000-0000-4000-8000-00000000010{i}', 'embedding': [1.0, float(i), 0.5],
                  'document': None, 'id': f'other-{i}', 'metadata': None} for i in range(3)]
        self.ch.load('ties', colls, rows)
        out, p, report = self.migrate(self.ch.url('ties', query='?page_rows=2'))
        self.check_against_model(out, p, report, colls, rows, 'ties')

    def test_a_connection_cut_mid_page_resumes_from_the_last_record(self):
        self.need_chroma_and_duckdb()
        colls, embs = self.policy_rows()
        ordered = self.ch.load('cut', colls, [r for r in embs if clickhouse.representable(r)])
        proxy = CuttingProxy(self.ch.http_port, cut_after=60000)
        try:
            out, p, report = self.migrate(f'clickhouse://127.0.0.1:{proxy.port}/cut?page_rows=150')
        finally:
            proxy.close()
        self.assertEqual(proxy.cuts, 1, 'the proxy never cut the connection')
        self.check_against_model(out, p, report, colls, ordered, 'cut')

    def assert_fails(self, src, *needles, args=()):
        out, p, _ = self.migrate(src, *args, expect_rc=1)
        for needle in needles:
            self.assertIn(needle, p.stderr)
        self.assertFalse(os.path.exists(out), 'a failed run left a destination behind')
        return p

    def test_errors(self):
        self.ch.create_chroma_tables('errs')
        port = free_port()
        with self.subTest('unreachable'):
            self.assert_fails(f'clickhouse://127.0.0.1:{port}/errs', f'cannot reach ClickHouse at 127.0.0.1:{port}',
                              'is the server running')
        with self.subTest('wrong credentials'):
            p = self.assert_fails(self.ch.url('errs', clickhouse.USER, 'not-the-password'),
                                  f'ClickHouse at 127.0.0.1:{self.ch.http_port} refused the credentials of user '
                                  '"chroma"', 'Wrong password')
            self.assertNotIn('not-the-password', p.stdout + p.stderr)
            self.assert_fails(self.ch.url('errs', 'nobody', 'x'), 'refused the credentials of user "nobody"')
        with self.subTest('missing tables'):
            self.ch.create_database('half')
            self.ch.query(clickhouse.strip_trailing_comma(clickhouse.DDL_COLLECTIONS.format(db='half')))
            self.ch.query('CREATE TABLE half.notes (x String) ENGINE = Memory')
            self.assert_fails(self.ch.url('half'), 'no table embeddings in database "half"',
                              'Tables found in "half": collections, notes')
            self.assert_fails(self.ch.url('nosuchdb'), 'database "nosuchdb" does not exist; databases on this '
                                                       'server: ')
        with self.subTest('native TCP port'):
            self.assert_fails(f'clickhouse://127.0.0.1:{self.ch.tcp_port}/errs',
                              f"127.0.0.1:{self.ch.tcp_port} is ClickHouse's native TCP port",
                              'use the HTTP port (default 8123')
        with self.subTest('not ClickHouse'):
            server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), NotClickHouse)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            try:
                self.assert_fails(f'clickhouse://127.0.0.1:{server.server_port}/errs',
                                  "answers HTTP but is not ClickHouse's HTTP interface")
            finally:
                server.shutdown()
                server.server_close()
        with self.subTest('a port that speaks no HTTP'):
            listener = socket.socket()
            listener.bind(('127.0.0.1', 0))
            listener.listen(4)

            def garbage():
                for _ in range(4):
                    try:
                        conn, _ = listener.accept()
                    except OSError:
                        return
                    conn.sendall(b'\x00\x01\x02 not http\r\n\r\n')
                    conn.close()
            threading.Thread(target=garbage, daemon=True).start()
            try:
                self.assert_fails(f'clickhouse://127.0.0.1:{listener.getsockname()[1]}/errs', 'does not answer HTTP',
                                  "native TCP port")
            finally:
                listener.close()


if __name__ == '__main__':
    unittest.main(verbosity=2)
