"""`chroma-migrate verify` passes on correct migrations of every legacy fixture and of the
example, and catches each kind of damage made to a migrated directory with SQLite or by
editing the HNSW files: a changed document, a changed metadata value, a changed embedding, a
missing record, an extra record and a wrong space, each with exit code 4."""
import json
import os
import shutil
import sqlite3
import struct
import unittest

from harness import engines, legacy_gen
from test_legacy_fixtures import LEGACY

EXAMPLE = os.path.join(engines.ROOT, 'examples', 'chroma')


def verify(src, dst, *args):
    p = engines.run([engines.BINARY, 'verify', '--from', src, '--to', dst, '--json', *args], check=False)
    return p.returncode, (json.loads(p.stdout) if p.stdout.startswith('{') else None), p


class Verify(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.exists(engines.BINARY):
            return
        cls.good = os.path.join(engines.temp_dir('verify'), 'migrated')
        engines.migrate(EXAMPLE, cls.good, expect_rc=3)

    def setUp(self):
        engines.require(self, os.path.exists(engines.BINARY), 'the chroma-migrate binary')

    def damaged(self, damage):
        dst = os.path.join(engines.temp_dir('damaged'), 'migrated')
        shutil.copytree(self.good, dst)
        db = sqlite3.connect(os.path.join(dst, 'chroma.sqlite3'))
        damage(db, dst)
        db.commit()
        db.close()
        return dst

    def expect_caught(self, damage, kind):
        rc, report, p = verify(EXAMPLE, self.damaged(damage))
        self.assertEqual(rc, 4, p.stdout + p.stderr)
        self.assertIn(kind, report['kinds'], report)
        self.assertTrue(any(d['kind'] == kind for d in report['listed']))

    def test_passes_on_the_example_and_every_fixture(self):
        rc, report, p = verify(EXAMPLE, self.good)
        self.assertEqual(rc, 0, p.stdout + p.stderr)
        self.assertTrue(all(c['recall'] is not None and c['recall'] >= 0.95 for c in report['collections']), report)
        if not os.path.isdir(LEGACY):
            self.skipTest(f'fixtures not present at {LEGACY}')
        for name in sorted(os.listdir(LEGACY)):
            with self.subTest(fixture=name):
                src = os.path.join(LEGACY, name)
                out = os.path.join(engines.temp_dir('verify-' + name), 'migrated')
                engines.migrate(src, out, '--verify')
                rc, report, p = verify(src, out)
                self.assertEqual(rc, 0, p.stdout + p.stderr)

    def test_changed_document(self):
        self.expect_caught(lambda db, d: db.execute(
            "UPDATE embedding_metadata SET string_value = string_value || '!' WHERE key = 'chroma:document' AND id = 5"),
            'document')

    def test_changed_metadata_value(self):
        self.expect_caught(lambda db, d: db.execute(
            "UPDATE embedding_metadata SET int_value = int_value + 1 WHERE key = 'year' AND id = 7"), 'metadata')

    def test_metadata_type_change_is_caught(self):
        self.expect_caught(lambda db, d: db.execute(
            "UPDATE embedding_metadata SET float_value = int_value, int_value = NULL WHERE key = 'year' AND id = 9"),
            'metadata')

    def test_changed_embedding(self):
        def damage(db, dst):
            seg, = db.execute("SELECT s.id FROM segments s JOIN collections c ON s.collection = c.id "
                              "WHERE c.name = 'notes' AND s.scope = 'VECTOR'").fetchone()
            path = os.path.join(dst, seg, 'data_level0.bin')
            with open(os.path.join(dst, seg, 'header.bin'), 'rb') as f:
                header = f.read()
            offset_data, = struct.unpack_from('<Q', header, 44)
            with open(path, 'r+b') as f:
                f.seek(offset_data)
                value, = struct.unpack('<f', f.read(4))
                f.seek(offset_data)
                f.write(struct.pack('<f', value + 0.25))
        self.expect_caught(damage, 'embedding')

    def test_missing_record(self):
        def damage(db, dst):
            db.execute("DELETE FROM embedding_metadata WHERE id = 11")
            db.execute("DELETE FROM embedding_fulltext_search WHERE rowid = 11")
            db.execute("DELETE FROM embeddings WHERE id = 11")
        self.expect_caught(damage, 'missing')

    def test_extra_record(self):
        def damage(db, dst):
            cid, = db.execute("SELECT id FROM collections WHERE name = 'notes'").fetchone()
            seq, = db.execute("SELECT max(seq_id) FROM embeddings_queue").fetchone()
            db.execute("INSERT INTO embeddings_queue (seq_id, operation, topic, id, vector, encoding, metadata) "
                       "VALUES (?, 0, ?, 'not-in-source', ?, 'FLOAT32', '{}')",
                       (seq + 1, f'persistent://default/default/{cid}', struct.pack('<8f', *([0.5] * 8))))
        self.expect_caught(damage, 'extra')

    def test_wrong_space(self):
        self.expect_caught(lambda db, d: db.execute(
            "UPDATE collections SET config_json_str = replace(config_json_str, '\"cosine\"', '\"l2\"') "
            "WHERE name = 'articles'"), 'space')


class VerifyInPartitions(unittest.TestCase):
    """With --verify-memory 1 the expected records (about 3 MB: the policy cases with their duplicate
    ids and NULL ids, plus three clustered collections) do not fit: verify checks them in partitions
    through a temporary file. The outcome must be the one the in-memory check gives: it passes on a
    correct migration, with the same counts and recall, and it catches damage."""

    def setUp(self):
        engines.require(self, os.path.exists(engines.BINARY), 'the chroma-migrate binary')
        engines.require(self, engines.have_duckdb(), 'DuckDB (npm @duckdb/node-api), to write the legacy data')

    def test_partitioned_equals_in_memory(self):
        pc, pe = legacy_gen.policy_dataset()
        rc_, re_ = legacy_gen.recall_dataset()
        src = os.path.join(engines.temp_dir('verify-parts'), 'legacy')
        engines.duckdb_write_legacy(src, pc + rc_, pe + re_)
        out = os.path.join(engines.temp_dir('verify-parts'), 'migrated')
        engines.migrate(src, out, expect_rc=3)  # the policy cases reject some records on purpose

        rc, whole, p = verify(src, out)
        self.assertEqual(rc, 0, p.stdout + p.stderr)
        self.assertEqual(whole['partitions'], 1, whole)
        # Budgets from far too small to just enough: every way of splitting must agree with the
        # in-memory check (a destination spilled differently from the expected records once made
        # most records look missing).
        partitions = set()
        for mib in ('1', '2', '3', '4', '6', '8'):
            rc, parts, p = verify(src, out, '--verify-memory', mib)
            self.assertEqual(rc, 0, f'--verify-memory {mib}: ' + p.stdout + p.stderr)
            self.assertEqual(parts['collections'], whole['collections'], mib)
            self.assertTrue(all(c['recall'] is not None for c in parts['collections'] if c['expected'] > 0), parts)
            self.assertEqual(parts['partitions'] > 1, parts['spilled_bytes'] > 0, parts)
            partitions.add(parts['partitions'])
        self.assertIn(1, partitions)
        self.assertGreater(max(partitions), 2)

        db = sqlite3.connect(os.path.join(out, 'chroma.sqlite3'))
        rowid, = db.execute("SELECT e.id FROM embeddings e JOIN embedding_metadata m ON m.id = e.id "
                            "WHERE e.embedding_id = 'cosine-17' AND m.key = 'chroma:document'").fetchone()
        db.execute("UPDATE embedding_metadata SET string_value = 'changed' WHERE key = 'chroma:document' AND id = ?",
                   (rowid,))
        gone, = db.execute("SELECT id FROM embeddings WHERE embedding_id = 'l2-2999'").fetchone()
        for table, col in (('embedding_metadata', 'id'), ('embedding_fulltext_search', 'rowid'), ('embeddings', 'id')):
            db.execute(f'DELETE FROM {table} WHERE {col} = ?', (gone,))
        db.commit()
        db.close()
        rc, damaged, p = verify(src, out, '--verify-memory', '1')
        self.assertEqual(rc, 4, p.stdout + p.stderr)
        self.assertEqual(damaged['kinds'], {'document': 1, 'missing': 1}, damaged)
        self.assertEqual(sorted((d['kind'], d['id']) for d in damaged['listed']),
                         [('document', 'cosine-17'), ('missing', 'l2-2999')])


if __name__ == '__main__':
    unittest.main(verbosity=2)
