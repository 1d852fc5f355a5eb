"""One benchmark measurement in a fresh interpreter; run by benches/run.py, not by hand.

    python benches/worker.py CONTENDER CASE ROOT [N]

CONTENDER: cpython | vendor | importspace
CASE:      probe  - create the importer and import the tree's top package (is it usable?)
           warm   - import every module of the tree (bench_all); pycs are expected to be present
           source - the same with sys.dont_write_bytecode = True (the harness removed the pycs)
           cached - time each loop of bench_cached (import statements on loaded modules), at
                    most N statements a loop

Prints one JSON object on stdout. Exits non-zero (with a traceback) if anything is wrong.
"""

import gc
import importlib
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
VENDOR_DIR = os.path.join(os.path.dirname(HERE), "vendor-importlib")
TOP = "bench_tree"

# Loops of bench_cached.py, timed in the cached case.
CACHED_LOOPS = ("loop_import_abc", "loop_from_import", "loop_import_top")
CACHED_REPEATS = 3
CACHED_TARGET_S = 0.15


def make_importer(contender, root):
    """Returns (import_module, modules dict of the importer's world)."""
    if contender == "cpython":
        sys.path.insert(0, root)
        return importlib.import_module, sys.modules
    if contender == "vendor":
        sys.path.insert(0, VENDOR_DIR)
        from vendor_importlib import VendorNamespace

        ns = VendorNamespace([root])
        return ns.import_module, ns.modules
    if contender == "importspace":
        import importspace

        ns = importspace.Namespace(path=[root])
        return ns.import_module, ns.modules
    raise SystemExit(f"unknown contender {contender!r}")


def empty_namespace_us(contender):
    """Microseconds to create one empty namespace, once the module is loaded (best of 5
    batches). CPython's own import has no namespaces: None."""
    if contender == "cpython":
        return None
    if contender == "vendor":
        from vendor_importlib import VendorNamespace as make

        batch = 10
    else:
        import importspace

        make = importspace.Namespace
        batch = 1000
    best = None
    for _ in range(5):
        t0 = time.perf_counter_ns()
        for _ in range(batch):
            make([])
        per = (time.perf_counter_ns() - t0) / batch / 1e3
        best = per if best is None else min(best, per)
    return best


def tree_modules(modules):
    return sum(1 for name in list(modules) if name == TOP or name.startswith(TOP + "."))


def check_isolation(contender):
    if contender != "cpython" and any(n == TOP or n.startswith(TOP + ".") for n in sys.modules):
        raise AssertionError(f"{contender}: tree modules leaked into the host's sys.modules")


def main(argv):
    contender, case, root = argv[:3]
    n = int(argv[3]) if len(argv) > 3 else 200_000
    # Set before anything imports: the source case must not write pycs, the others may.
    sys.dont_write_bytecode = case == "source"
    result = {"contender": contender, "case": case}

    gc.collect()
    t0 = time.perf_counter()
    import_module, modules = make_importer(contender, root)
    result["setup_ms"] = (time.perf_counter() - t0) * 1e3

    if case == "probe":
        import_module(TOP)
    elif case in ("warm", "source"):
        gc.collect()
        t0 = time.perf_counter()
        everything = import_module("bench_all")
        result["import_ms"] = (time.perf_counter() - t0) * 1e3
        loaded = tree_modules(modules)
        if loaded != everything.MODULE_COUNT:
            raise AssertionError(
                f"{loaded} tree modules loaded, {everything.MODULE_COUNT} expected"
            )
        result["modules"] = loaded
    elif case == "cached":
        cached = import_module("bench_cached")
        loops = ("loop_empty",) + CACHED_LOOPS
        # Warm up (and check that every loop runs), then size each loop so that it takes about
        # CACHED_TARGET_S, at most n statements: slow importers (3.9's pure-Python __import__
        # takes ~25 us a statement) would otherwise blow the time budget.
        counts = {}
        for loop in loops:
            warmup = max(n // 20, 1)
            t0 = time.perf_counter()
            getattr(cached, loop)(warmup)
            per_statement = (time.perf_counter() - t0) / warmup
            counts[loop] = max(min(n, int(CACHED_TARGET_S / max(per_statement, 1e-9))), 1000)
        gc.collect()
        best = {}
        for _ in range(CACHED_REPEATS):
            for loop in loops:
                t0 = time.perf_counter_ns()
                getattr(cached, loop)(counts[loop])
                per_statement = (time.perf_counter_ns() - t0) / counts[loop]
                best[loop] = min(best.get(loop, per_statement), per_statement)
        # ns per statement, loop overhead (the empty loop) taken off.
        for loop in CACHED_LOOPS:
            result[loop + "_ns"] = best[loop] - best["loop_empty"]
            result[loop + "_count"] = counts[loop]
        result["loop_empty_ns"] = best["loop_empty"]
        result["create_us"] = empty_namespace_us(contender)
    else:
        raise SystemExit(f"unknown case {case!r}")

    check_isolation(contender)
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
