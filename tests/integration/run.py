"""Runs one integration test module for ctest: exit 0 when it passed, 1 when anything failed,
77 (ctest's SKIP_RETURN_CODE) when every test in it was skipped, so a skip is always visible.
The module's temporary files go to build/test-tmp/<module>, emptied before the run and removed
after a run that passed (kept after a failure, to be looked at)."""
import os
import shutil
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import engines  # noqa: E402

module = sys.argv[1]
engines.TMP_ROOT = os.path.join(engines.TMP_ROOT, module)
shutil.rmtree(engines.TMP_ROOT, ignore_errors=True)
suite = unittest.defaultTestLoader.loadTestsFromName(module)
result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
for test, reason in result.skipped:
    print(f'SKIPPED {test.id()}: {reason}')
if not result.wasSuccessful():
    sys.exit(1)
shutil.rmtree(engines.TMP_ROOT, ignore_errors=True)
if result.testsRun > 0 and len(result.skipped) == result.testsRun:
    sys.exit(77)
sys.exit(0)
