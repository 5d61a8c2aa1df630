"""The interactive wizard driven in a real terminal (tmux send-keys / capture-pane), as a user
would: accept every default (./chroma -> ./chroma_migrated, then opened by the real Chroma
server and compared with the source), an invalid answer asked again with the reason, Ctrl-C
that leaves nothing behind, migration into a real server, and plain prompts without a terminal."""
import os
import shutil
import subprocess
import time
import unittest

from harness import engines
from harness.chroma_server import ChromaServer
from harness.compare import check_collection
from harness.legacy_expect import expected

EXAMPLE = os.path.join(engines.ROOT, 'examples', 'chroma')


class Tmux:
    def __init__(self, cwd, name):
        self.name = name
        subprocess.run(['tmux', 'kill-session', '-t', name], capture_output=True)
        # A wrapper that ignores SIGINT itself (a shell would die with the wizard on Ctrl-C) and
        # prints the wizard's exit status, 128+N when a signal N ended it.
        wrapper = ('import signal, subprocess, sys, time; p = subprocess.Popen([sys.argv[1]]); '
                   'signal.signal(signal.SIGINT, signal.SIG_IGN); rc = p.wait(); '
                   'print("WIZARD-EXIT=%d" % (rc if rc >= 0 else 128 - rc), flush=True); time.sleep(600)')
        subprocess.run(['tmux', 'new-session', '-d', '-s', name, '-x', '180', '-y', '60', '-c', cwd,
                        'python3', '-c', wrapper, engines.BINARY], check=True)

    def screen(self):
        return subprocess.run(['tmux', 'capture-pane', '-t', self.name, '-p', '-S', '-200'],
                              capture_output=True, text=True).stdout

    def wait_for(self, text, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            s = self.screen()
            if text in s:
                return s
            time.sleep(0.2)
        raise AssertionError(f'"{text}" did not appear; screen:\n{self.screen()}')

    def keys(self, *keys):
        subprocess.run(['tmux', 'send-keys', '-t', self.name, *keys], check=True)

    def type(self, text):
        subprocess.run(['tmux', 'send-keys', '-t', self.name, '-l', text], check=True)
        self.keys('Enter')

    def close(self):
        subprocess.run(['tmux', 'kill-session', '-t', self.name], capture_output=True)


class Wizard(unittest.TestCase):
    def setUp(self):
        engines.require(self, os.path.exists(engines.BINARY), 'the chroma-migrate binary')
        engines.require(self, shutil.which('tmux') is not None, 'tmux')
        engines.require(self, engines.have_duckdb(), 'DuckDB (npm @duckdb/node-api)')
        engines.require(self, engines.have_chroma(), 'the Chroma server')
        self.work = engines.temp_dir('wizard')
        shutil.copytree(EXAMPLE, os.path.join(self.work, 'chroma'))
        self.tmux = Tmux(self.work, 'cmwiz%d' % os.getpid())
        self.addCleanup(self.tmux.close)

    def test_accept_every_default(self):
        t = self.tmux
        t.wait_for('Where is your data now?')
        t.keys('Enter')                     # legacy persist directory
        t.wait_for('Legacy persist directory [./chroma]')
        t.keys('Enter')
        t.wait_for('Where should it go?')
        t.keys('Enter')                     # a new persist directory
        t.wait_for('New persist directory [./chroma_migrated]')
        t.keys('Enter')
        t.wait_for('now? [Y/n]')
        t.keys('Enter')
        screen = t.wait_for('WIZARD-EXIT=', timeout=120)
        self.assertIn('WIZARD-EXIT=3', screen)  # the example has one duplicate id on purpose
        self.assertIn('chromadb.PersistentClient(path=', screen)
        self.assertIn('chroma-migrate --from ./chroma --to ./chroma_migrated', screen)
        want, _ = expected(*engines.duckdb_dump_legacy(os.path.join(self.work, 'chroma')))
        with ChromaServer(os.path.join(self.work, 'chroma_migrated')) as server:
            for name, c in want.items():
                check_collection(self, server, name, c)

    def test_invalid_answer_is_asked_again(self):
        t = self.tmux
        t.wait_for('Where is your data now?')
        t.keys('Down', 'Down', 'Down', 'Enter')  # modern persist directory
        t.wait_for('Persist directory [./chroma]')
        t.keys('Enter')                          # ./chroma is a legacy dir: refused with the reason
        t.wait_for('./chroma has no chroma.sqlite3.')
        t.type('/does/not/exist')
        t.wait_for('/does/not/exist is not a directory.')
        t.keys('C-c')
        self.assertIn('WIZARD-EXIT=130', t.wait_for('WIZARD-EXIT='))

    def test_cancel_leaves_nothing(self):
        t = self.tmux
        t.wait_for('Where is your data now?')
        t.keys('1')
        t.wait_for('Legacy persist directory')
        t.keys('Enter')
        t.wait_for('Where should it go?')
        t.keys('1')
        t.wait_for('New persist directory')
        t.keys('Enter')
        t.wait_for('now? [Y/n]')
        t.keys('C-c')
        self.assertIn('WIZARD-EXIT=130', t.wait_for('WIZARD-EXIT='))
        self.assertEqual(sorted(os.listdir(self.work)), ['chroma'])

    def test_cancel_during_the_migration_leaves_nothing(self):
        t = self.tmux
        t.wait_for('Where is your data now?')
        t.keys('1')
        t.wait_for('Legacy persist directory')
        t.keys('Enter')
        t.wait_for('Where should it go?')
        t.keys('1')
        t.wait_for('New persist directory')
        t.keys('Enter')
        t.wait_for('now? [Y/n]')
        t.keys('Enter', 'C-c')
        screen = t.wait_for('WIZARD-EXIT=')
        if 'WIZARD-EXIT=130' in screen:  # interrupted in time: nothing may remain
            self.assertEqual(sorted(os.listdir(self.work)), ['chroma'])
        else:  # the small example can finish before Ctrl-C arrives: then it must be complete
            self.assertIn('WIZARD-EXIT=3', screen)
            self.assertTrue(os.path.isfile(os.path.join(self.work, 'chroma_migrated', 'chroma.sqlite3')))
        self.assertFalse([d for d in os.listdir(self.work) if 'partial' in d])

    def test_into_a_real_server(self):
        server_dir = os.path.join(self.work, 'server-data')
        with ChromaServer(server_dir) as server:
            t = self.tmux
            t.wait_for('Where is your data now?')
            t.keys('Enter')
            t.wait_for('Legacy persist directory')
            t.keys('Enter')
            t.wait_for('Where should it go?')
            t.keys('Down', 'Enter')
            t.wait_for('Destination server host [localhost]')
            t.type('127.0.0.1')
            t.wait_for('Destination server port [8000]')
            t.type(str(server.port))
            for prompt in ('Use HTTPS?', 'HTTP headers as JSON', 'Tenant', 'Database'):
                t.wait_for(prompt)
                t.keys('Enter')
            t.wait_for('now? [Y/n]')
            t.keys('Enter')
            screen = t.wait_for('WIZARD-EXIT=', timeout=180)
            self.assertIn('WIZARD-EXIT=3', screen)
            self.assertIn('chromadb.HttpClient(host="127.0.0.1"', screen)
            want, _ = expected(*engines.duckdb_dump_legacy(os.path.join(self.work, 'chroma')))
            for name, c in want.items():
                check_collection(self, server, name, c)

    def test_plain_prompts_without_a_terminal(self):
        p = subprocess.run([engines.BINARY], cwd=self.work, input='1\n\n1\n\ny\n', capture_output=True, text=True,
                           timeout=120)
        self.assertEqual(p.returncode, 3, p.stdout + p.stderr)
        self.assertIn('Choose 1-4 [1]:', p.stdout)
        self.assertTrue(os.path.isfile(os.path.join(self.work, 'chroma_migrated', 'chroma.sqlite3')))


if __name__ == '__main__':
    unittest.main(verbosity=2)
