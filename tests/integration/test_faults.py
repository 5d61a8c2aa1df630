"""Faults at the destination: a full disk (a small tmpfs: before the rows fit, and at the
graph's files) and a read-only file system. Each
must end with a clear error naming the path, exit code 1, and nothing half-written: no
destination and no staging directory. Mounting needs root; without it the tests skip visibly."""
import os
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

    def fails_cleanly_on_full_disk(self, src, size, error):
        """Migrating `src` onto a tmpfs of `size` fails with `error` naming the mount, and leaves
        nothing there."""
        point = self.mount(f'size={size}')
        p = engines.migrate(src, os.path.join(point, 'migrated'), expect_rc=1)
        self.assertRegex(p.stderr, error)
        self.assertIn(point, p.stderr)
        self.assertEqual(os.listdir(point), [], 'a failed run left files behind')

    def test_full_disk(self):
        self.fails_cleanly_on_full_disk(EXAMPLE, '300k', r'(disk is full|No space left on device)')

    def test_full_disk_at_the_graph(self):
        # The rows fit; the graphs (1000 x 768 floats each: ~3.2 MB of level 0) do not: the
        # error names the segment file being written, and nothing is left behind.
        engines.require(self, engines.have_duckdb(), 'DuckDB (npm @duckdb/node-api)')
        src = os.path.join(engines.temp_dir('wide'), 'legacy')
        engines.duckdb_write_legacy(src, *legacy_gen.recall_dataset(n=1000, dim=768))
        self.fails_cleanly_on_full_disk(
            src, '4m', r'data_level0\.bin: (write of \d+ bytes|close) failed: No space left on device')

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
