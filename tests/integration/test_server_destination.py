"""Chroma servers as destination: legacy directories (the real fixtures and DuckDB-generated
ones) migrated over HTTP into the real Chroma 1.0.19 server, then compared record by record and
by query recall with an independent model of the policies (harness/legacy_expect.py). Also:
--on-existing, auth headers seen on the wire by a loopback recording proxy with no secret in
any output, retries under injected 429/503/stalls/dropped connections with nothing lost or
duplicated, and a SIGKILL mid-migration followed by --resume.

The v1 routes (Python 0.4.15–0.5.x) are exercised against harness/v1_server.py, a small
stand-in on loopback whose request and response shapes follow spec/http-api.md: it is not a
real Chroma server (none of 0.3–0.6 can be installed here). All traffic stays on 127.0.0.1.
"""
import base64
import glob
import json
import os
import shutil
import signal
import subprocess
import time
import unittest
from collections import Counter

from harness import engines, legacy_gen
from harness.chroma_server import ChromaServer
from harness.compare import vectors_close
from harness.legacy_expect import expected
from harness.migrate_util import check_server, expected_of, migrate, read_report, env_with_cache
from harness.proxy import Proxy
from harness.v1_server import V1Server, f32

LEGACY = os.path.join(engines.FIXTURES, 'legacy')


class ServerDestinationBase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = engines.temp_dir('server-dest')

    def setUp(self):
        engines.require(self, os.path.exists(engines.BINARY), 'the chroma-migrate binary')
        engines.require(self, engines.have_duckdb(), 'DuckDB (npm @duckdb/node-api)')
        self.cache = engines.temp_dir('cache')

    def policy_src(self):
        src = os.path.join(self.work, 'policies')
        if not os.path.exists(src):
            engines.duckdb_write_legacy(src, *legacy_gen.policy_dataset())
        return src

    def files(self, tag):
        d = engines.temp_dir(tag)
        return os.path.join(d, 'report.json'), os.path.join(d, 'rejects.jsonl')


class ServerDestination(ServerDestinationBase):
    def setUp(self):
        super().setUp()
        engines.require(self, engines.have_chroma(), 'the Chroma server (npm chromadb-js-bindings-linux-x64-gnu)')

    def test_generated_dataset_every_policy(self):
        src = self.policy_src()
        want, rejects = expected_of(src)
        report, rej = self.files('gen')
        with ChromaServer(engines.temp_dir('srv')) as server:
            p = migrate(src, f'http://127.0.0.1:{server.port}', '--report', report, '--rejects', rej,
                        cache_dir=self.cache)
            self.assertEqual(p.returncode, 3, p.stdout + p.stderr)
            rep = read_report(report)
            self.assertEqual(rep['rejected_by_reason'], dict(rejects))
            self.assertEqual(rep['records_migrated'], sum(len(c['records']) for c in want.values()))
            with open(rej) as f:
                self.assertEqual(Counter(json.loads(line)['reason'] for line in f), rejects)
            check_server(self, server, want)
            cos = server.collection('cosine-coll')
            self.assertEqual(cos['configuration_json']['hnsw']['max_neighbors'], 32)
            self.assertEqual(cos['configuration_json']['hnsw']['ef_construction'], 128)
        self.assertEqual(os.listdir(os.path.join(self.cache, 'chroma-migrate')), [], 'journal left after success')

    def test_legacy_fixtures(self):
        if not os.path.isdir(LEGACY):
            self.skipTest(f'fixtures not present at {LEGACY}')
        for name in sorted(os.listdir(LEGACY)):
            with self.subTest(fixture=name):
                src = os.path.join(LEGACY, name)
                want, rejects = expected_of(src)
                report, _ = self.files('fx-' + name)
                with ChromaServer(engines.temp_dir('srv-' + name)) as server:
                    p = migrate(src, f'http://127.0.0.1:{server.port}', '--report', report, cache_dir=self.cache)
                    self.assertEqual(p.returncode, 3 if rejects else 0, p.stdout + p.stderr)
                    self.assertEqual(read_report(report)['rejected_by_reason'], dict(rejects))
                    check_server(self, server, want)

    def test_on_existing(self):
        src = self.policy_src()
        want, _ = expected_of(src)
        with ChromaServer(engines.temp_dir('srv')) as server:
            url = f'http://127.0.0.1:{server.port}'
            db = server.db()
            server.request('POST', f'{db}/collections', {'name': 'policies'})
            ip = server.request('POST', f'{db}/collections', {'name': 'ip_coll'})
            server.add(ip['id'], ['ip-1', 'mine'], [[9.0] * 12, [1.0] * 12], ['kept?', 'pre-existing'], None)
            # fail (the default): every clash named, nothing written
            p = migrate(src, url, cache_dir=self.cache, expect_rc=1)
            self.assertIn('2 collection(s) already exist', p.stderr)
            self.assertIn('policies', p.stderr)
            self.assertIn('ip_coll', p.stderr)
            self.assertEqual(sorted(c['name'] for c in server.collections()), ['ip_coll', 'policies'])
            # skip: the existing ones untouched, the others migrated
            p = migrate(src, url, '--on-existing', 'skip', cache_dir=self.cache)
            self.assertIn(p.returncode, (0, 3), p.stderr)
            self.assertEqual(server.count(ip['id']), 2)
            self.assertEqual(server.count(server.collection('policies')['id']), 0)
            self.assertEqual(server.count(server.collection('cosine-coll')['id']), len(want['cosine-coll']['records']))
            # append: existing ids keep their content, the rest is added
            # (exit 3: the source's orphan record is rejected whatever the selection)
            p = migrate(src, url, '--on-existing', 'append', '--collections', 'ip_coll', cache_dir=self.cache)
            self.assertEqual(p.returncode, 3, p.stderr)
            got = server.get_all(ip['id'])
            self.assertEqual(len(got), len(want['ip_coll']['records']) + 1)
            self.assertEqual(got['ip-1'][1], 'kept?')
            self.assertEqual(got['mine'][1], 'pre-existing')
            # upsert: the source's embedding and metadata win; Chroma's upsert merges, so the
            # document the source does not have stays (spec §4.7)
            p = migrate(src, url, '--on-existing', 'upsert', '--collections', 'ip_coll', cache_dir=self.cache)
            self.assertEqual(p.returncode, 3, p.stderr)
            got = server.get_all(ip['id'])
            self.assertIsNone(want['ip_coll']['records']['ip-1'][1])
            self.assertEqual(got['ip-1'][1], 'kept?')
            self.assertTrue(vectors_close('ip', got['ip-1'][0], want['ip_coll']['records']['ip-1'][0]))
            self.assertEqual(got['ip-1'][2], want['ip_coll']['records']['ip-1'][2])
            self.assertEqual(got['mine'][1], 'pre-existing')

    def test_auth_headers_on_the_wire_and_secrets_nowhere(self):
        src = self.policy_src()
        want, _ = expected_of(src)
        secrets = ['hdr-secret-111', 'tok-secret-222', 'basic-secret-333']
        report, rej = self.files('auth')
        with ChromaServer(engines.temp_dir('srv')) as server, Proxy(server.port) as proxy:
            p = migrate(src, proxy.url, '--to-header', 'X-Custom-Auth: hdr-secret-111',
                        '--to-token', 'tok-secret-222', '--to-token-header', 'x-chroma-token',
                        '--to-basic-auth', 'user1:basic-secret-333', '--report', report, '--rejects', rej,
                        cache_dir=self.cache)
            self.assertEqual(p.returncode, 3, p.stderr)
            check_server(self, server, want)
            self.assertGreater(len(proxy.requests), 5)
            basic = 'Basic ' + base64.b64encode(b'user1:basic-secret-333').decode()
            for method, path, headers, _ in proxy.requests:
                h = {k.lower(): v for k, v in headers.items()}
                self.assertEqual(h.get('x-custom-auth'), 'hdr-secret-111', path)
                self.assertEqual(h.get('x-chroma-token'), 'tok-secret-222', path)
                self.assertEqual(h.get('authorization'), basic, path)
            outputs = [p.stdout, p.stderr, open(report).read(), open(rej).read()]
            # a refused request: the error names the header names, never their values
            with Proxy(server.port, plan=lambda n, m, path: ('status', 401)) as refusing:
                q = migrate(src, refusing.url, '--to-header', 'X-Custom-Auth: hdr-secret-111',
                            '--to-token', 'tok-secret-222', cache_dir=self.cache, expect_rc=1)
                self.assertIn('HTTP 401', q.stderr)
                self.assertIn('X-Custom-Auth', q.stderr)
                outputs += [q.stdout, q.stderr]
            for out in outputs:
                for s in secrets:
                    self.assertNotIn(s, out)

    def test_tls_destination_verified_against_a_ca_bundle(self):
        """An https:// destination (a TLS proxy with a throwaway self-signed certificate in front of the
        real server): refused without the certificate, migrated with --to-ca-bundle (and with
        --to-insecure), and verified over TLS (the server as a source and as a searcher)."""
        engines.require(self, shutil.which('openssl') is not None, 'the openssl command (to make a test certificate)')
        src = self.policy_src()
        want, _ = expected_of(src)
        d = engines.temp_dir('tls')
        cert, key = os.path.join(d, 'cert.pem'), os.path.join(d, 'key.pem')
        engines.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert,
                     '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'])
        with ChromaServer(engines.temp_dir('srv')) as server, Proxy(server.port, tls=(cert, key)) as proxy:
            self.assertTrue(proxy.url.startswith('https://'))
            p = migrate(src, proxy.url, cache_dir=self.cache, expect_rc=1)
            self.assertIn('certificate', p.stderr.lower(), p.stderr)
            self.assertIn('--to-ca-bundle', p.stderr)  # the way out, at once: a certificate error is not retried
            self.assertNotIn('attempts', p.stderr)
            self.assertEqual(server.collections(), [])
            migrate(src, proxy.url, '--to-ca-bundle', cert, cache_dir=self.cache, expect_rc=3)
            check_server(self, server, want)
            v = engines.run([engines.BINARY, 'verify', '--from', src, '--to', proxy.url, '--to-ca-bundle', cert,
                             '--json'], check=False)
            self.assertEqual(v.returncode, 0, v.stdout + v.stderr)
            self.assertTrue(all(c['recall'] is not None for c in json.loads(v.stdout)['collections']
                                if c['expected'] > 0), v.stdout)
        with ChromaServer(engines.temp_dir('srv')) as server, Proxy(server.port, tls=(cert, key)) as proxy:
            migrate(src, proxy.url, '--to-insecure', cache_dir=self.cache, expect_rc=3)
            check_server(self, server, want)

    def test_retries_under_injected_faults(self):
        src = self.policy_src()
        want, rejects = expected_of(src)

        def plan(n, method, path):
            if method != 'POST' or not path.rsplit('/', 1)[-1] in ('add', 'upsert', 'get', 'delete'):
                return None
            if n % 7 == 1:
                return ('status', 429)
            if n % 7 == 3:
                return ('status', 503)
            if n % 11 == 5:
                return ('drop_before',)
            if n % 13 == 6:
                return ('drop_after',)
            if n % 17 == 8:
                return ('stall', 2.5)
            return None

        report, _ = self.files('faults')
        with ChromaServer(engines.temp_dir('srv')) as server, Proxy(server.port, plan) as proxy:
            p = migrate(src, proxy.url, '--batch-size', '7', '--concurrency', '3', '--to-timeout', '1',
                        '--report', report, cache_dir=self.cache)
            self.assertEqual(p.returncode, 3, p.stdout + p.stderr)
            kinds = Counter(f[0] for _, f in proxy.faults)
            for k in ('status', 'drop_before', 'drop_after', 'stall'):
                self.assertGreater(kinds[k], 0, f'no {k} fault was injected: {kinds}')
            self.assertEqual(read_report(report)['rejected_by_reason'], dict(rejects))
            check_server(self, server, want)

    def test_verify_stops_when_the_server_cannot_answer_queries(self):
        """A destination that cannot be reached for the query check (every connection dropped,
        after all retries) is not a difference: verify cannot judge, says why and exits 1, not 4.
        Reached directly, the same destination verifies clean."""
        src = self.policy_src()
        with ChromaServer(engines.temp_dir('srv')) as server:
            direct = f'http://127.0.0.1:{server.port}'
            migrate(src, direct, cache_dir=self.cache, expect_rc=3)

            def drop_queries(n, method, path):
                return ('drop_before',) if path.endswith('/query') else None

            with Proxy(server.port, drop_queries) as proxy:
                v = engines.run([engines.BINARY, 'verify', '--from', src, '--to', proxy.url], check=False)
                self.assertEqual(v.returncode, 1, v.stdout + v.stderr)
                self.assertIn('querying collection', v.stderr)
                self.assertIn('attempts', v.stderr)
                self.assertNotIn('differences', v.stdout)
                self.assertTrue(any(f[0] == 'drop_before' for _, f in proxy.faults))
            ok = engines.run([engines.BINARY, 'verify', '--from', src, '--to', direct], check=False)
            self.assertEqual(ok.returncode, 0, ok.stdout + ok.stderr)

    def test_sigkill_then_resume(self):
        src = self.policy_src()
        want, rejects = expected_of(src)
        state = {'delay': 0.08}

        def plan(n, method, path):
            if method == 'POST' and path.endswith(('/add', '/upsert')) and state['delay']:
                return ('delay', state['delay'])
            return None

        report, rej = self.files('resume')
        journal_dir = os.path.join(self.cache, 'chroma-migrate')
        with ChromaServer(engines.temp_dir('srv')) as server, Proxy(server.port, plan) as proxy:
            args = ['--batch-size', '5', '--concurrency', '2', '--report', report, '--rejects', rej]
            cmd = [engines.BINARY, '--from', src, '--to', proxy.url, '--progress', 'none', *args]
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    env=env_with_cache(self.cache))
            acked = 0
            deadline = time.time() + 60
            while time.time() < deadline and proc.poll() is None:
                for j in glob.glob(os.path.join(journal_dir, '*.journal')):
                    with open(j) as f:
                        acked = sum(1 for line in f if line.startswith('A '))
                if acked >= 20:
                    break
                time.sleep(0.02)
            self.assertIsNone(proc.poll(), 'the migration finished before it could be killed')
            proc.send_signal(signal.SIGKILL)
            proc.communicate()
            total = sum(len(c['records']) for c in want.values())
            partial = sum(server.count(c['id']) for c in server.collections())
            self.assertLess(partial, total)
            self.assertGreater(partial, 0)
            # without --resume the clash is reported with a hint
            p = migrate(src, proxy.url, *args, cache_dir=self.cache, expect_rc=1)
            self.assertIn('--resume', p.stderr)
            state['delay'] = 0
            n_before = len(proxy.requests)
            p = migrate(src, proxy.url, *args, '--resume', cache_dir=self.cache)
            self.assertEqual(p.returncode, 3, p.stdout + p.stderr)
            writes = [r for r in proxy.requests[n_before:] if r[0] == 'POST' and r[1].endswith(('/add', '/upsert'))]
            self.assertLess(len(writes), total / 5, 'resume re-sent acknowledged batches')
            rep = read_report(report)
            self.assertEqual(rep['rejected_by_reason'], dict(rejects))
            self.assertEqual(rep['records_migrated'], total)
            check_server(self, server, want)
        self.assertEqual(glob.glob(os.path.join(journal_dir, '*.journal')), [])


class V1StandInDestination(ServerDestinationBase):
    """Writes through the v1 routes (tenant/database as query parameters) of the stand-in."""

    def test_v1_with_tenant_database_and_batches(self):
        src = self.policy_src()
        want, rejects = expected_of(src)
        report, _ = self.files('v1')
        with V1Server(max_batch_size=50) as v1:
            p = migrate(src, v1.url, '--to-tenant', 'team-a', '--to-database', 'db-one', cache_dir=self.cache,
                        expect_rc=1)
            self.assertIn('tenant "team-a" does not exist', p.stderr)
            self.assertIn('--to-create-database', p.stderr)
            p = migrate(src, v1.url, '--to-tenant', 'team-a', '--to-database', 'db-one', '--to-create-database',
                        '--batch-size', '500', '--report', report, cache_dir=self.cache)
            self.assertEqual(p.returncode, 3, p.stdout + p.stderr)
            self.assertEqual(read_report(report)['rejected_by_reason'], dict(rejects))
            self.assertIn('db-one', v1.tenants['team-a'])
            adds = [path for m, path in v1.requests if path.endswith('/add')]
            self.assertTrue(all('tenant' not in path for path in adds), 'record routes take no tenant')
            for name, c in want.items():
                coll = v1.by_name(name, 'team-a', 'db-one')
                self.assertIsNotNone(coll, name)
                meta = c['metadata']
                if c['space'] != 'l2':
                    self.assertEqual(coll['metadata']['hnsw:space'], c['space'])
                for k, v in (meta or {}).items():
                    self.assertEqual(coll['metadata'][k], v)
                self.assertEqual(set(coll['records']), set(c['records']), name)
                for rid, (vec, doc, rmeta) in c['records'].items():
                    got = coll['records'][rid]
                    self.assertEqual(got['embedding'], [f32(x) for x in vec], rid)
                    self.assertEqual(got['document'], doc, rid)
                    self.assertEqual(got['metadata'], rmeta, rid)
                    if rmeta:
                        for k, v in rmeta.items():
                            self.assertIs(type(got['metadata'][k]), type(v), f'{rid}.{k}')


if __name__ == '__main__':
    unittest.main(verbosity=2)
