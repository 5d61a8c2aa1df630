"""Faults at the destination: a full disk (a small tmpfs: before the rows fit, at the vectors
waiting for a shuffled graph build, and at the graph's files), a read-only file system, and a $TMPDIR too small for verify's scratch copy. Each
must end with a clear error naming the path and exit code 1. A failed migration leaves nothing
half-written (no destination, no staging directory); a verify that cannot run leaves the finished
migration and no scratch files. Mounting needs root; without it the tests skip visibly."""
import os
import re
import subprocess
import unittest

from harness import engines, legacy_gen

EXAMPLE = os.path.join(engines.ROOT, 'examples', 'chroma')


class Faults(unittest.TestCase):
    def mount(self, options):
        point = engines.temp_dir('mnt')
        p = subprocess.run(['mount', '-t', 'tmpfs', '-o', options, 'tmpfs', point], capture_output=True, text=True)
        if p.returncode != 0:
            self.skipTest(f'cannot mount a tmpfs here ({p.stderr.strip()}); run as root')
        self.addCleanup(subprocess.run, ['umount', '-l', point], capture_output=True)
        return point

    def setUp(self):
        engines.require(self, os.path.exists(engines.BINARY), 'the chroma-migrate binary')

    def fails_cleanly_on_full_disk(self, src, size, error, *args):
        """Migrating `src` (with `args`) onto a tmpfs of `size` fails with `error` naming the mount,
        and leaves nothing there."""
        point = self.mount(f'size={size}')
        p = engines.migrate(src, os.path.join(point, 'migrated'), *args, expect_rc=1)
        self.assertRegex(p.stderr, error)
        self.assertIn(point, p.stderr)
        self.assertEqual(os.listdir(point), [], 'a failed run left files behind')

    def test_full_disk(self):
        self.fails_cleanly_on_full_disk(EXAMPLE, '300k', r'(disk is full|No space left on device)')

    def test_full_disk_at_the_waiting_vectors(self):
        # The rows fit; the vectors that wait for the graph to be built in a random order (the
        # default) do not: 3 collections x 1000 x 768 floats, ~9.2 MB. The error names the
        # temporary file, its collection and the offset, and nothing is left behind.
        src = self.wide_legacy_dir()
        self.fails_cleanly_on_full_disk(
            src, '4m', r'/vectors-\w+ \(temporary, unlinked; the vectors of collection "clustered-\w+"\): cannot write '
                       r'\d+ bytes at offset \d+: No space left on device')

    def test_full_disk_at_the_graph(self):
        # Built in the source's order, no vectors wait on disk: the rows fit; the first graph
        # (1000 x 768 floats: ~3.2 MB of level 0) does not: the error names the segment file being
        # written (and the offset, when it is written around the page cache: tmpfs takes O_DIRECT
        # since Linux 6.6), and nothing is left behind. 3 MiB, smaller than that one file: the rows
        # are committed on the row thread while the graphs are written (db2c5e6), so with room for
        # one graph the disk could fill at whichever file came next.
        src = self.wide_legacy_dir()
        self.fails_cleanly_on_full_disk(
            src, '3m', r'data_level0\.bin: (write of \d+ bytes failed( at offset \d+)?|close failed): No space left on device',
            '--insertion-order', 'stored')

    _wide = None

    def wide_legacy_dir(self):
        """Three collections of 1000 x 768: each graph takes ~3.2 MB. Written once per run (the
        tests only read it)."""
        engines.require(self, engines.have_duckdb(), 'DuckDB (npm @duckdb/node-api)')
        if Faults._wide is None:
            src = os.path.join(engines.temp_dir('wide'), 'legacy')
            engines.duckdb_write_legacy(src, *legacy_gen.recall_dataset(n=1000, dim=768))
            Faults._wide = src
        return Faults._wide

    def test_verify_with_a_full_tmpdir(self):
        # verify stages each destination graph in $TMPDIR for hnswlib. When it cannot, the run
        # fails naming the file and the reason; it is not reported as a difference (exit 4),
        # and the migration itself stands.
        src = self.wide_legacy_dir()
        point = self.mount('size=1m')
        out = os.path.join(engines.temp_dir('dest'), 'migrated')
        p = engines.run([engines.BINARY, '--from', src, '--to', out, '--progress', 'none', '--verify'], check=False,
                        env=dict(os.environ, TMPDIR=point))
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertRegex(p.stderr, r'verify: querying collection "clustered-\w+" in the destination: ' + re.escape(point) +
                         r'/chroma-migrate-verify-\w+/[0-9a-f-]+\.bin: (write of \d+ bytes|close) failed: No space left on device')
        self.assertTrue(os.path.exists(os.path.join(out, 'chroma.sqlite3')))
        self.assertEqual(os.listdir(point), [], 'verify left its scratch files behind')

    def test_verify_with_a_missing_tmpdir(self):
        # $TMPDIR names no directory: verify says where it tried and what to do (it used to end in
        # an uncaught std::filesystem exception), and the migration itself stands.
        missing = os.path.join(engines.temp_dir('faults'), 'no-such-tmpdir')
        out = os.path.join(engines.temp_dir('dest'), 'migrated')
        p = engines.run([engines.BINARY, '--from', EXAMPLE, '--to', out, '--progress', 'none', '--verify'], check=False,
                        env=dict(os.environ, TMPDIR=missing))
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertRegex(p.stderr, re.escape(missing) + r'/chroma-migrate-verify-\w+: cannot create the directory for '
                         r"verify's copies of the graphs: No such file or directory; set TMPDIR")
        self.assertTrue(os.path.exists(os.path.join(out, 'chroma.sqlite3')))
        self.assertFalse(os.path.exists(missing))

    def test_read_only_destination(self):
        point = self.mount('size=10m,ro')
        out = os.path.join(point, 'migrated')
        p = engines.migrate(EXAMPLE, out, expect_rc=1)
        self.assertIn('Read-only file system', p.stderr)
        self.assertIn(out, p.stderr)
        self.assertEqual(os.listdir(point), [])

    def test_missing_parent_directory(self):
        out = os.path.join(engines.temp_dir('faults'), 'no', 'such', 'parent')
        p = engines.migrate(EXAMPLE, out, expect_rc=1)
        self.assertIn('the parent directory', p.stderr)
        self.assertFalse(os.path.exists(os.path.dirname(out)))


if __name__ == '__main__':
    unittest.main(verbosity=2)
