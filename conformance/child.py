"""One conformance run: one CPython test suite, natively or inside a fresh namespace.

    python conformance/child.py {native|namespace} SUITE EVENTS_FILE
                                [--host-import MODULE]... [--use all|none|RESOURCE,...]

Started by conformance/run.py, in a scratch working directory (the tests write files there).
Every event goes to EVENTS_FILE as one JSON object per line, flushed at once, so what ran is known
even if this process later crashes, hangs or is killed:

    {"event": "hello", ...}                      interpreter and importspace facts
    {"event": "start", "id": ...}                a test started
    {"event": "outcome", "id": ..., "outcome": ..., "message": ..., "traceback": ...}
    {"event": "stop", "id": ..., "seconds": ...} a test ended
    {"event": "setup_error", "phase": ..., "message": ..., "traceback": ...}
    {"event": "abort", "message": ..., "traceback": ...}   the run itself raised
    {"event": "finished", "seconds": ...}        every test ran
    {"event": "done", ...}                       clean-up done (namespace closed, host checked)

Outcomes: pass, fail, error, skip, xfail (expected failure), xpass (unexpected success). A failed
subtest counts as a failure (or error) of its test. The tests' own output (unittest's verbose
listing included) goes to stderr, which run.py collects in a log; stdout is left to the tests.

In the namespace mode the host creates `importspace.Namespace(path=sys.path)`, imports `unittest`
inside it, and loads and runs the suite with that unittest; the result class below subclasses the
namespace's `unittest.TextTestResult`. The native mode does the same with the host's `unittest`.
"""

import faulthandler
import json
import os
import signal
import sys
import time
import traceback

MAX_TRACEBACK = 8000  # characters kept per traceback


class Events:
    def __init__(self, path):
        self.file = open(path, "a", encoding="utf-8")  # open for the whole run

    def write(self, event, **fields):
        fields["event"] = event
        self.file.write(json.dumps(fields) + "\n")
        self.file.flush()


def first_line(exc_type, exc_value):
    """`Type: first line of the message`, as the last line of a traceback shows it."""
    name = getattr(exc_type, "__qualname__", None) or getattr(exc_type, "__name__", repr(exc_type))
    module = getattr(exc_type, "__module__", "builtins")
    if module not in ("builtins", "__main__"):
        name = f"{module}.{name}"
    try:
        text = str(exc_value)
    except BaseException:  # a broken __str__ must not break the run
        text = "<unprintable>"
    lines = text.strip().splitlines()
    return f"{name}: {lines[0]}" if lines else name


def format_error(exc_info):
    try:
        text = "".join(traceback.format_exception(*exc_info))
    except BaseException:
        text = "<traceback could not be formatted>"
    if len(text) > MAX_TRACEBACK:
        text = text[: MAX_TRACEBACK // 2] + "\n[...]\n" + text[-MAX_TRACEBACK // 2 :]
    return text


def is_subtest(test):
    return getattr(test, "test_case", None) is not None and hasattr(test, "_subDescription")


def plain_id(test):
    try:
        return test.id()
    except BaseException:
        return repr(test)


def make_result_class(unittest, events):
    """A TextTestResult of the given unittest that reports every outcome to `events`."""

    def test_id(test):
        # A skipped subtest reaches addSkip as a _SubTest: count it under its test.
        return plain_id(test.test_case if is_subtest(test) else test)

    class RecordingResult(unittest.TextTestResult):
        _started = None

        def _record(self, test, outcome, err=None, reason=None, subtest=None):
            fields = {"id": test_id(test), "outcome": outcome}
            if err is not None:
                fields["message"] = first_line(err[0], err[1])
                fields["traceback"] = format_error(err)
            elif reason is not None:
                fields["message"] = str(reason)
            if subtest is not None:
                fields["subtest"] = subtest
            events.write("outcome", **fields)

        def startTest(self, test):
            self._started = time.perf_counter()
            events.write("start", id=test_id(test))
            super().startTest(test)

        def stopTest(self, test):
            super().stopTest(test)
            seconds = time.perf_counter() - self._started if self._started else None
            events.write("stop", id=test_id(test), seconds=seconds)

        def addSuccess(self, test):
            self._record(test, "pass")
            super().addSuccess(test)

        def addFailure(self, test, err):
            self._record(test, "fail", err)
            super().addFailure(test, err)

        def addError(self, test, err):
            self._record(test, "error", err)
            super().addError(test, err)

        def addSkip(self, test, reason):
            if not is_subtest(test):  # a skipped subtest does not make its test skipped
                self._record(test, "skip", reason=reason)
            super().addSkip(test, reason)

        def addExpectedFailure(self, test, err):
            self._record(test, "xfail")
            super().addExpectedFailure(test, err)

        def addUnexpectedSuccess(self, test):
            self._record(test, "xpass")
            super().addUnexpectedSuccess(test)

        def addSubTest(self, test, subtest, err):
            if err is not None:
                failed = issubclass(err[0], test.failureException)
                self._record(test, "fail" if failed else "error", err, subtest=plain_id(subtest))
            super().addSubTest(test, subtest, err)

    return RecordingResult


def main(argv):
    mode, suite_name, events_path = argv[:3]
    host_imports = []
    use = "all"
    rest = argv[3:]
    while rest:
        if rest[0] == "--host-import" and len(rest) > 1:
            host_imports.append(rest[1])
            rest = rest[2:]
        elif rest[0] == "--use" and len(rest) > 1:
            use = rest[1]
            rest = rest[2:]
        else:
            raise SystemExit(f"child.py: unknown argument {rest[0]!r}")
    if mode not in ("native", "namespace"):
        raise SystemExit(f"child.py: unknown mode {mode!r}")

    # A crash prints every thread's stack; run.py sends SIGUSR1 before killing a run that timed
    # out, so the log shows where it hung.
    faulthandler.enable(all_threads=True)
    if hasattr(signal, "SIGUSR1"):
        faulthandler.register(signal.SIGUSR1, all_threads=True)

    events = Events(events_path)
    hello = {
        "mode": mode,
        "suite": suite_name,
        "python": sys.version.split()[0],
        "executable": sys.executable,
        "pid": os.getpid(),
        "host_imports": host_imports,
        "use": use,
    }

    def setup_error(phase):
        exc_info = sys.exc_info()
        events.write(
            "setup_error",
            phase=phase,
            message=first_line(exc_info[0], exc_info[1]),
            traceback=format_error(exc_info),
        )
        sys.stderr.write(f"conformance child: {phase} failed\n")
        traceback.print_exc()
        return 3

    for name in host_imports:
        try:
            __import__(name)
        except BaseException:
            events.write("hello", **hello)
            return setup_error(f"import {name} in the host")

    ns = None
    host_modules = None
    if mode == "native":
        events.write("hello", **hello)
        try:
            import unittest
        except BaseException:
            return setup_error("import unittest")
    else:
        try:
            import importspace
        except BaseException:
            events.write("hello", **hello)
            return setup_error("import importspace")
        hello["importspace"] = getattr(importspace, "__version__", None)
        hello["importspace_file"] = getattr(importspace, "__file__", None)
        events.write("hello", **hello)
        host_modules = set(sys.modules)
        try:
            ns = importspace.Namespace(path=sys.path, name="conformance")
        except BaseException:
            return setup_error("create the namespace")
        try:
            unittest = ns.import_module("unittest")
        except BaseException:
            return setup_error("import unittest in the namespace")

    if use != "all":
        # As regrtest's -u: tests guarded by test.support.requires(resource) run only for
        # these resources. Plain unittest (the default here) enables every resource.
        try:
            if ns is None:
                import test.support as support
            else:
                support = ns.import_module("test.support")
            support.use_resources = [r for r in use.split(",") if r and r != "none"]
        except BaseException:
            return setup_error("import test.support")

    try:
        suite = unittest.defaultTestLoader.loadTestsFromName(suite_name)
    except BaseException:
        return setup_error(f"load {suite_name}")

    runner = unittest.TextTestRunner(
        stream=sys.stderr, verbosity=2, resultclass=make_result_class(unittest, events)
    )
    started = time.perf_counter()
    try:
        runner.run(suite)
    except BaseException:
        exc_info = sys.exc_info()
        events.write(
            "abort", message=first_line(exc_info[0], exc_info[1]), traceback=format_error(exc_info)
        )
        traceback.print_exc()
        return 4
    events.write("finished", seconds=time.perf_counter() - started)

    done = {}
    if ns is not None:
        del suite, runner
        try:
            ns.close()
        except BaseException:
            exc_info = sys.exc_info()
            done["close_error"] = first_line(exc_info[0], exc_info[1])
        after = set(sys.modules)
        done["host_modules_added"] = sorted(after - host_modules)
        done["host_modules_removed"] = sorted(host_modules - after)
    events.write("done", **done)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
