"""Runs one integration test module for ctest: exit 0 when it passed, 1 when anything failed,
77 (ctest's SKIP_RETURN_CODE) when every test in it was skipped, so a skip is always visible."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
module = sys.argv[1]
suite = unittest.defaultTestLoader.loadTestsFromName(module)
result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
for test, reason in result.skipped:
    print(f'SKIPPED {test.id()}: {reason}')
if not result.wasSuccessful():
    sys.exit(1)
if result.testsRun > 0 and len(result.skipped) == result.testsRun:
    sys.exit(77)
sys.exit(0)
