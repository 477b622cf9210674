#!/usr/bin/env python3
"""Integration test runner: every tests/test_*.py is a unittest module.

Usage: python3 tests/run.py [-k SUBSTRING] [MODULE ...]
Prints one line per test, every skip with its reason, and ends with the
line "N passed, N failed, N skipped". Exits non-zero on any failure or skip:
`make test` installs every tool a test needs, so a skip is a failure.
"""
import argparse
import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


class LineResult(unittest.TextTestResult):
    def startTest(self, test):
        self._t0 = time.monotonic()
        super().startTest(test)

    def _line(self, status, test, extra=""):
        dt = time.monotonic() - self._t0
        self.stream.write(f"{status:5} {test.id()} ({dt:.1f}s){extra}\n")
        self.stream.flush()

    def addSuccess(self, test):
        unittest.TestResult.addSuccess(self, test)
        self._line("ok", test)

    def addFailure(self, test, err):
        unittest.TestResult.addFailure(self, test, err)
        self._line("FAIL", test)
        self.stream.write(self._exc_info_to_string(err, test) + "\n")

    def addError(self, test, err):
        unittest.TestResult.addError(self, test, err)
        self._line("ERROR", test)
        self.stream.write(self._exc_info_to_string(err, test) + "\n")

    def addSubTest(self, test, subtest, err):
        # A failing subtest counts as a failure of its test: show it like one
        # (the base class would count it silently at this verbosity).
        unittest.TestResult.addSubTest(self, test, subtest, err)
        if err is not None:
            failed = issubclass(err[0], test.failureException)
            self._line("FAIL" if failed else "ERROR", subtest)
            self.stream.write(self._exc_info_to_string(err, subtest) + "\n")

    def addSkip(self, test, reason):
        unittest.TestResult.addSkip(self, test, reason)
        self._line("SKIP", test, f": {reason}")

    def addExpectedFailure(self, test, err):
        unittest.TestResult.addExpectedFailure(self, test, err)
        self._line("FAIL", test, " (expected failure is not allowed here)")

    def addUnexpectedSuccess(self, test):
        unittest.TestResult.addUnexpectedSuccess(self, test)
        self._line("ok", test)

    def printErrors(self):
        pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-k", action="append", default=[], help="run tests whose id contains this")
    ap.add_argument("modules", nargs="*", help="test modules (e.g. test_record)")
    args = ap.parse_args()
    loader = unittest.TestLoader()
    if args.modules:
        suite = unittest.TestSuite(loader.loadTestsFromName(m.removesuffix(".py").split("/")[-1])
                                   for m in args.modules)
    else:
        suite = loader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)

    def flatten(s):
        for t in s:
            if isinstance(t, unittest.TestSuite):
                yield from flatten(t)
            else:
                yield t

    tests = [t for t in flatten(suite) if not args.k or any(k in t.id() for k in args.k)]
    runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=0, resultclass=LineResult)
    result = runner.run(unittest.TestSuite(tests))
    failed = len(result.failures) + len(result.errors) + len(result.expectedFailures)
    skipped = len(result.skipped)
    passed = result.testsRun - failed - skipped
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    # A skip means a tool or interpreter is missing, and `make test`
    # installs all of them: a skip is a failure, never a quiet pass.
    if skipped:
        print(f"run: {skipped} skipped test(s) count as failures (see SKIP lines; "
              "`make test-deps` installs what the tests need)")
    sys.exit(1 if failed or skipped or result.testsRun == 0 else 0)


if __name__ == "__main__":
    main()
