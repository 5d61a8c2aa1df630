"""`chroma-migrate plan` on every legacy fixture and on the generated policy directory: its
counts of migrated and rejected records agree with the independent policy model, it names the
anomalies with examples, and it writes nothing (source hashed before and after, destination
never created)."""
import json
import os
import unittest
from collections import Counter

from harness import engines, legacy_gen
from harness.legacy_expect import expected
from test_legacy_fixtures import LEGACY, tree_hash


def plan(src, *args):
    p = engines.run([engines.BINARY, 'plan', '--from', src, '--json', *args], check=False)
    return p.returncode, (json.loads(p.stdout) if p.stdout.strip().startswith('{') else None), p


class Plan(unittest.TestCase):
    def setUp(self):
        engines.require(self, os.path.exists(engines.BINARY), 'the chroma-migrate binary')
        engines.require(self, engines.have_duckdb(), 'DuckDB (npm @duckdb/node-api)')

    def check(self, src):
        before = tree_hash(src)
        dest = os.path.join(engines.temp_dir('plan'), 'never-created')
        colls, embs = engines.duckdb_dump_legacy(src)
        want, rejects = expected(colls, embs)
        rc, report, p = plan(src, '--to', dest)
        self.assertEqual(rc, 0, p.stdout + p.stderr)
        self.assertEqual(report['would_migrate'], sum(len(c['records']) for c in want.values()))
        got = Counter()
        for c in report['collections']:
            for code, a in c['rejects'].items():
                got[code] += a['count']
                self.assertTrue(a['examples'], code)
        got['collection.orphan'] += sum(a['count'] for a in report['orphans'].values())
        self.assertEqual(+got, +rejects)
        self.assertEqual(report['would_reject'], sum(rejects.values()))
        self.assertEqual(tree_hash(src), before, 'plan modified the source')
        self.assertFalse(os.path.exists(dest), 'plan created the destination')
        return report

    def test_fixtures(self):
        if not os.path.isdir(LEGACY):
            self.skipTest(f'fixtures not present at {LEGACY}')
        for name in sorted(os.listdir(LEGACY)):
            with self.subTest(fixture=name):
                report = self.check(os.path.join(LEGACY, name))
                if name == 'katherlab-llm-agent-cosine':
                    self.assertTrue(any('stale' in n for n in report['notes']), report['notes'])
                if name == 'alexdphan-babyagi-dupids':
                    dups = [c['rejects'].get('id.duplicate_superseded', {}).get('count', 0) for c in report['collections']]
                    self.assertEqual(sum(dups), 43)

    def test_generated_policies(self):
        src = os.path.join(engines.temp_dir('plan-src'), 'policies')
        engines.duckdb_write_legacy(src, *legacy_gen.policy_dataset())
        report = self.check(src)
        changes = Counter()
        for c in report['collections']:
            for code, a in c['changes'].items():
                changes[code] += a['count']
        for code in ('metadata.nested_to_json', 'metadata.non_finite_dropped', 'metadata.null_value_dropped',
                     'metadata.big_int_to_string', 'metadata.double_encoded_decoded', 'id.null_replaced_by_uuid'):
            self.assertIn(code, changes)

    def test_refused_name_and_non_empty_destination(self):
        src = os.path.join(engines.temp_dir('plan-src'), 'badname')
        colls, embs = legacy_gen.policy_dataset()
        colls[0]['name'] = 'bad name!'
        engines.duckdb_write_legacy(src, colls, embs)
        dest = engines.temp_dir('plan-dest')
        open(os.path.join(dest, 'x'), 'w').close()
        rc, report, p = plan(src, '--to', dest)
        self.assertEqual(rc, 1)
        self.assertFalse(report['ok'])
        problem = [c['problem'] for c in report['collections'] if c['source_name'] == 'bad name!'][0]
        self.assertIn("--rename 'bad name!=new_name'", problem)
        self.assertTrue(any('not empty' in d for d in report['destination_problems']))
        rc, report, p = plan(src, '--to', dest, '--rename', 'bad name!=good_name')
        self.assertEqual([c['name'] for c in report['collections'] if c['source_name'] == 'bad name!'], ['good_name'])


if __name__ == '__main__':
    unittest.main(verbosity=2)
