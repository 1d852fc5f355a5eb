"""Module locks: one execution per module under concurrent imports, re-entrancy for circular
imports in one thread, and waiting without holding the GIL."""

from __future__ import annotations

import sys
import threading
import time

from conftest import run_in_namespace, run_native

import importspace


def test_concurrent_imports_execute_each_module_once(tree):
    files = {"counter_host.py": "COUNT = []\n"}
    for i in range(20):
        files[f"slow{i}.py"] = (
            "import time, counter_host\n"
            f"counter_host.COUNT.append({i})\n"
            "time.sleep(0.01)\n"
            f"import slow{(i + 1) % 20}\n"
        )
    root = tree(files)
    ns = importspace.Namespace(path=[str(root), *sys.path])
    errors = []
    results = []

    def worker(start):
        try:
            results.append(ns.import_module(f"slow{start}"))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i % 20,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "an import hung"
    # A cycle imported from several threads at once may meet a deadlock, which CPython reports
    # as _DeadlockError (a RuntimeError); anything else is a failure.
    assert all(isinstance(e, RuntimeError) and "deadlock" in str(e) for e in errors), errors
    counts = ns.import_module("counter_host").COUNT
    assert sorted(counts) == list(range(20)), "a module body ran twice or not at all"
    assert ns._live_locks() == 0


def test_a_waiting_thread_does_not_hold_the_gil(tree):
    root = tree({"sleepy.py": "import time\ntime.sleep(0.5)\nDONE = True\n"})
    ns = importspace.Namespace(path=[str(root), *sys.path])
    ns.import_module("time")
    ticks = []
    stop = threading.Event()

    def ticker():
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.005)

    importers = [threading.Thread(target=ns.import_module, args=("sleepy",)) for _ in range(3)]
    tick_thread = threading.Thread(target=ticker)
    tick_thread.start()
    for t in importers:
        t.start()
    for t in importers:
        t.join(timeout=10)
    stop.set()
    tick_thread.join()
    assert ns.modules["sleepy"].DONE
    # Two of the importers waited on the module lock for ~0.5 s; the ticker kept running.
    assert len(ticks) > 20


def test_circular_import_in_one_thread_is_reentrant(tree):
    root = tree(
        {
            "cyc/__init__.py": "",
            "cyc/a.py": "from cyc import b\nA = 1\n",
            "cyc/b.py": "import cyc.a\nB = 2\n",
        }
    )
    ns = importspace.Namespace(path=[str(root)])
    a = ns.import_module("cyc.a")
    assert a.A == 1 and a.b.B == 2


CROSSED_IMPORTS = """
import threading
import sync_point
outcomes = {}

def worker(name):
    try:
        __import__(name)
        outcomes[name] = "ok"
    except RuntimeError as exc:
        outcomes[name] = type(exc).__name__ + ": " + str(exc).split(" at ")[0]

threads = [threading.Thread(target=worker, args=(n,)) for n in ("dl_a", "dl_b")]
for t in threads:
    t.start()
for t in threads:
    t.join(timeout=20)
result = {"outcomes": outcomes, "hung": any(t.is_alive() for t in threads)}
"""


def test_crossed_imports_from_two_threads_resolve_as_natively(tree):
    root = tree(
        {
            "sync_point.py": "import threading\nBARRIER = threading.Barrier(2, timeout=5)\n",
            "dl_a.py": "import sync_point\nsync_point.BARRIER.wait()\nimport dl_b\n",
            "dl_b.py": "import sync_point\nsync_point.BARRIER.wait()\nimport dl_a\n",
        }
    )
    native = run_native(root, CROSSED_IMPORTS)
    ns = importspace.Namespace(path=[str(root), *sys.path])
    inside = run_in_namespace(ns, CROSSED_IMPORTS)
    assert not inside["hung"]
    assert inside == native
    assert ns._live_locks() == 0
