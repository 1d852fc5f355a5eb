"""One benchmark measurement in a fresh interpreter; run by benches/run.py, not by hand.

    python -I -S benches/worker.py CONTENDER CASE [KEY=VALUE ...]

The harness starts every worker with the same flags, ``-I -S``: no ``site``, no environment
variables, no script directory on ``sys.path``. So ``sys.path`` is the interpreter's standard
library only, and a fresh worker holds only the interpreter's start-up modules. Until it measures,
this module itself imports nothing but the built-ins ``sys``, ``time`` and ``gc`` (the cold cases
import the standard library, so a module loaded by the worker would be a free cache hit).

CONTENDER:
  cpython      CPython's own import (the host's ``sys.modules`` and import system)
  vendor       ``VendorNamespace``, the pure-Python importlib baseline (vendor-importlib/)
  importspace  ``importspace.Namespace``
  floor        no import machinery at all: the tree's modules read, unmarshalled (or compiled)
               and executed in the order a native import executes them (``floor_exec``)

CASE, with the KEY=VALUE options it reads:
  record       cpython only. Import the tree natively, which writes its pycs, and write ORDER: the
               tree's modules in the order their bodies finished executing (root, order)
  probe        create the importer and import the tree's top package (root)
  tree         import every module of the tree (``bench_all``); pycs present, or with bytecode=0
               from source only with ``sys.dont_write_bytecode`` (root, order, bytecode)
  cached       time the loops of ``bench_cached`` (import statements on loaded modules) and
               ``import_module`` of a loaded name, at most N statements a loop; and the cost of
               creating an empty namespace (root, n)
  namespaces   COUNT namespaces kept alive in this process, each importing ``bench_slice``; cpython
               imports it once (root, count)
  memory       RSS and tracemalloc of empty namespaces, and tracemalloc of one namespace (or the
               process, or the floor) after importing the whole tree (root, order)
  cold         import NAMES (comma-separated) in a fresh world whose path is PATH
               (``os.pathsep``-separated, may be empty) in front of the interpreter's own
               ``sys.path``; pycs present (names, path). Also each name's own time, in order
  kth          COUNT namespaces kept alive in this process, each importing NAMES in a fresh world
               whose path is PATH in front of the interpreter's ``sys.path``; cpython imports
               NAMES once (names, path, count)

Every case also reads importspace=DIR and vendor=DIR: the folders that hold the ``importspace``
package and ``vendor_importlib.py`` (without ``site`` the worker cannot find them by itself).

Prints one JSON object on stdout. Exits non-zero (with a traceback) if anything is wrong.
"""

import gc
import sys
import time

# Names from benches/gen_tree.py, repeated here: importing gen_tree would load argparse and os.
TOP = "bench_tree"
ALL_MODULE = "bench_all"
CACHED_MODULE = "bench_cached"
SLICE_MODULE = "bench_slice"
CACHED_NAME = "bench_tree.pkg0.sub0.mod0"  # bench_cached imports it; import_module looks it up

# The interpreter's own sys.path, taken before anything is added: with -I -S, the standard library.
BASE_PATH = list(sys.path)
PATHSEP = ";" if sys.platform == "win32" else ":"

# The timed loops of the cached case: those of bench_cached.py, plus import_module.
CACHED_LOOPS = ("loop_import_abc", "loop_from_import", "loop_import_top", "loop_import_module")
CACHED_REPEATS = 3
CACHED_TARGET_S = 0.1
# How many empty namespaces the memory case creates per figure (after a first one).
EMPTY_NAMESPACES = 50


def native_import(name):
    """CPython's own import of an absolute dotted name (``importlib.import_module`` without
    loading ``importlib``, which a cold case must not find preloaded)."""
    __import__(name)
    return sys.modules[name]


def load(contender, opts):
    """Load the contender's machinery; returns ``create(path) -> (import_module, modules)``.

    For cpython, ``create`` sets ``sys.path`` and returns the host's own import.
    """
    if contender == "cpython":

        def create(path):
            sys.path[:] = path
            return native_import, sys.modules

    elif contender == "vendor":
        sys.path.append(opts["vendor"])
        from vendor_importlib import VendorNamespace

        def create(path):
            ns = VendorNamespace(path)
            return ns.import_module, ns.modules

    elif contender == "importspace":
        sys.path.append(opts["importspace"])
        import importspace

        def create(path):
            ns = importspace.Namespace(path=path)
            return ns.import_module, ns.modules

    else:
        raise SystemExit(f"contender {contender!r} has no importer")
    return create


def tree_path(contender, root):
    """The path a contender imports the tree with: the namespaces see the tree only; CPython's
    own import keeps the standard library on its path (it is the host)."""
    return [root, *BASE_PATH] if contender == "cpython" else [root]


def rss_pages():
    """Resident set size in pages (Linux /proc/self/statm), or None where there is none."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1])
    except OSError:
        return None


def pages_to_bytes(pages):
    import os

    return None if pages is None else pages * os.sysconf("SC_PAGE_SIZE")


def read_order(path):
    import json

    with open(path) as f:
        return json.load(f)


def floor_exec(entries, bytecode):
    """Execute the tree with no import machinery: the floor under any importer.

    ``entries`` are ``[name, source, pyc, package_path]`` (``package_path`` is None for a plain
    module), in the order in which a native import *finished* executing the module bodies (the
    ``record`` case). The tree has no import cycles, so every module a body imports has then
    already been executed. The work, all of it timed by the caller:

    1. per module, what every importer does before executing it: a ``ModuleType`` with
       ``__file__``, ``__package__`` and, for a package, ``__path__``, registered in
       ``sys.modules`` and bound onto its parent package;
    2. per module, the unavoidable part of loading: read the pyc, skip its 16-byte header and
       ``marshal.loads`` the rest (with ``bytecode`` false: read the source and ``compile`` it),
       then ``exec`` the code in the module's dict.

    Left out, because an importer needs them only to find and validate modules: path searches
    and directory listings, ``stat`` calls, checking the pyc header against the source, specs,
    loaders, module locks. The ``import`` statements in the bodies still run, through the
    interpreter's C ``__import__``; each finds its module in ``sys.modules``. ``sys.meta_path``
    and ``sys.path_hooks`` are empty meanwhile, so a module that was not there would raise
    ``ModuleNotFoundError`` instead of being imported by the machinery the floor leaves out.
    """
    import marshal

    module_type = type(sys)
    modules = sys.modules
    loads = marshal.loads
    saved = sys.meta_path, sys.path_hooks
    sys.meta_path, sys.path_hooks = [], []
    try:
        created = []
        for name, source, _pyc, package_path in entries:
            module = module_type(name)
            module.__file__ = source
            if package_path is None:
                module.__package__ = name.rpartition(".")[0]
            else:
                module.__package__ = name
                module.__path__ = list(package_path)
            modules[name] = module
            created.append(module)
        for module in created:
            parent, _, child = module.__name__.rpartition(".")
            if parent:
                setattr(modules[parent], child, module)
        for (_name, source, pyc, _path), module in zip(entries, created):
            if bytecode:
                with open(pyc, "rb") as f:
                    code = loads(memoryview(f.read())[16:])
            else:
                with open(source, "rb") as f:
                    code = compile(f.read(), source, "exec", dont_inherit=True)
            exec(code, module.__dict__)
    finally:
        sys.meta_path, sys.path_hooks = saved
    return modules


def tree_modules(modules):
    return sum(1 for name in list(modules) if name == TOP or name.startswith(TOP + "."))


def check_tree(modules, everything):
    loaded = tree_modules(modules)
    if loaded != everything.MODULE_COUNT:
        raise AssertionError(f"{loaded} tree modules loaded, {everything.MODULE_COUNT} expected")
    return loaded


def check_isolation(contender):
    if contender in ("vendor", "importspace") and any(
        name == TOP or name.startswith(TOP + ".") for name in sys.modules
    ):
        raise AssertionError(f"{contender}: tree modules leaked into the host's sys.modules")


def case_record(opts, result):
    """Import bench_all natively with each tree module's loader wrapped to note when its body
    has finished, then the other entry modules (for their pycs). Writes the floor's ORDER."""
    import json
    import os
    from importlib.machinery import PathFinder

    root = os.path.abspath(opts["root"])
    finished = []

    class RecordingLoader:
        """Delegates to the real loader (which writes the pyc); notes the finished module."""

        def __init__(self, loader):
            self.loader = loader

        def create_module(self, spec):
            return self.loader.create_module(spec)

        def exec_module(self, module):
            self.loader.exec_module(module)
            finished.append(module.__name__)

    class Recorder:
        """In front of sys.meta_path: PathFinder's spec, with the loader wrapped for the tree."""

        @staticmethod
        def find_spec(name, path=None, target=None):
            spec = PathFinder.find_spec(name, path, target)
            if spec is not None and (spec.origin or "").startswith(root + os.sep):
                spec.loader = RecordingLoader(spec.loader)
            return spec

    sys.path[:] = tree_path("cpython", root)
    sys.meta_path.insert(0, Recorder)
    try:
        everything = native_import(ALL_MODULE)
    finally:
        sys.meta_path.remove(Recorder)
    check_tree(sys.modules, everything)
    entries = []
    for name in finished:
        module = sys.modules[name]
        package_path = getattr(module, "__path__", None)
        entries.append(
            [
                name,
                module.__file__,
                module.__cached__,
                None if package_path is None else list(package_path),
            ]
        )
    if len(entries) != everything.MODULE_COUNT + 1:  # the tree and bench_all itself
        raise AssertionError(
            f"recorded {len(entries)} modules, {everything.MODULE_COUNT + 1} expected"
        )
    with open(opts["order"], "w") as f:
        json.dump(entries, f)
    native_import(CACHED_MODULE)
    native_import(SLICE_MODULE)
    result["modules"] = len(entries)


def case_tree(contender, opts, result):
    """Import the whole tree once; also the RSS growth from before the namespace to after."""
    root = opts["root"]
    bytecode = opts.get("bytecode", "1") == "1"
    if contender == "floor":
        entries = read_order(opts["order"])
        gc.collect()
        rss_before = rss_pages()
        t0 = time.perf_counter()
        floor_exec(entries, bytecode)
        result["import_ms"] = (time.perf_counter() - t0) * 1e3
        modules = sys.modules
        everything = sys.modules[ALL_MODULE]
    else:
        gc.collect()
        t0 = time.perf_counter()
        create = load(contender, opts)
        loaded_s = time.perf_counter() - t0
        rss_before = rss_pages()  # the machinery is loaded; the namespace is not created yet
        t0 = time.perf_counter()
        import_module, modules = create(tree_path(contender, root))
        result["setup_ms"] = (loaded_s + time.perf_counter() - t0) * 1e3
        gc.collect()
        t0 = time.perf_counter()
        everything = import_module(ALL_MODULE)
        result["import_ms"] = (time.perf_counter() - t0) * 1e3
    result["modules"] = check_tree(modules, everything)
    rss_after = rss_pages()
    if rss_before is not None and rss_after is not None:
        result["rss_mib"] = pages_to_bytes(rss_after - rss_before) / 2**20


def loop_import_module(import_module, n):
    for _ in range(n):
        import_module(CACHED_NAME)


def empty_namespace_us(contender, create):
    """Microseconds to create one empty namespace, once the machinery is loaded (best of 5
    batches)."""
    batch = 10 if contender == "vendor" else 1000
    best = None
    for _ in range(5):
        t0 = time.perf_counter_ns()
        for _ in range(batch):
            create([])
        per = (time.perf_counter_ns() - t0) / batch / 1e3
        best = per if best is None else min(best, per)
    return best


def case_cached(contender, opts, result):
    """Cached import statements, ns each, loop overhead (the empty loop) taken off."""
    n = int(opts.get("n", 200_000))
    create = load(contender, opts)
    import_module, _modules = create(tree_path(contender, opts["root"]))
    cached = import_module(CACHED_MODULE)
    if contender == "cpython":
        import importlib

        import_module = importlib.import_module  # the public API, as a user calls it
    loops = {name: getattr(cached, name) for name in ("loop_empty",) + CACHED_LOOPS[:3]}
    loops["loop_import_module"] = lambda count: loop_import_module(import_module, count)
    # Warm up (and check that every loop runs), then size each loop so that it takes about
    # CACHED_TARGET_S, at most n statements: slow importers (3.9's pure-Python __import__
    # takes ~25 us a statement) would otherwise blow the time budget.
    counts = {}
    for name, loop in loops.items():
        warmup = max(n // 20, 1)
        t0 = time.perf_counter()
        loop(warmup)
        per_statement = (time.perf_counter() - t0) / warmup
        counts[name] = max(min(n, int(CACHED_TARGET_S / max(per_statement, 1e-9))), 1000)
    gc.collect()
    best = {}
    for _ in range(CACHED_REPEATS):
        for name, loop in loops.items():
            t0 = time.perf_counter_ns()
            loop(counts[name])
            per_statement = (time.perf_counter_ns() - t0) / counts[name]
            best[name] = min(best.get(name, per_statement), per_statement)
    for name in CACHED_LOOPS:
        result[name + "_ns"] = best[name] - best["loop_empty"]
        result[name + "_count"] = counts[name]
    result["loop_empty_ns"] = best["loop_empty"]
    if contender != "cpython":
        result["create_us"] = empty_namespace_us(contender, create)


def case_namespaces(contender, opts, result):
    """COUNT namespaces, created one after another and all kept alive, each importing the
    slice. Each time covers creating the namespace and the import, and the cyclic GC's passes
    that fall in it (they grow with what the earlier namespaces keep alive, a real part of the
    k-th namespace's cost). cpython: the process's own import of the slice, once."""
    import statistics

    count = int(opts["count"])
    if contender == "cpython" and count != 1:
        raise SystemExit("cpython has one import world per process: count must be 1")
    create = load(contender, opts)
    path = tree_path(contender, opts["root"])
    times, kept = [], []
    gc.collect()
    for _ in range(count):
        t0 = time.perf_counter()
        import_module, modules = create(path)
        everything = import_module(SLICE_MODULE)
        times.append((time.perf_counter() - t0) * 1e3)
        check_tree(modules, everything)
        kept.append(import_module)  # a bound method: keeps its namespace alive
    result["times_ms"] = times
    result["first_ms"] = times[0]
    if count > 1:
        result["kth_ms"] = statistics.median(times[1:])
        result["kth_over_first"] = result["kth_ms"] / result["first_ms"]


def case_memory(contender, opts, result):
    """Memory. Empty namespaces (vendor, importspace): after a first one (one-time costs), the
    RSS growth over EMPTY_NAMESPACES more (without tracemalloc, whose own tables would count),
    then the tracemalloc growth over EMPTY_NAMESPACES more; all kept alive. Then the tracemalloc
    growth of one more namespace importing the whole tree (cpython: the process's own import;
    floor: floor_exec). tracemalloc sees Python's allocators only, not importspace's Rust heap.

    The tree is imported name by name in ORDER (each module after the ones it imports, the last
    one bench_all), from this small function, not by importing bench_all: on every allocation
    tracemalloc looks up the line number of the innermost Python frame, a walk of that code's
    line table. With a native importer that frame is the importing module's body during the
    import's own allocations, so bench_all's 2,112 import statements would cost O(n^2) under
    tracemalloc (16 s instead of 0.2 s) for a figure that does not depend on it."""
    import tracemalloc

    entries = read_order(opts["order"])
    if contender != "floor":
        create = load(contender, opts)
    if contender in ("vendor", "importspace"):
        kept = [create([])]
        gc.collect()
        before = rss_pages()
        kept += [create([]) for _ in range(EMPTY_NAMESPACES)]
        gc.collect()
        after = rss_pages()
        if before is not None and after is not None:
            result["empty_rss_kib"] = pages_to_bytes(after - before) / EMPTY_NAMESPACES / 1024
        tracemalloc.start()
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        kept += [create([]) for _ in range(EMPTY_NAMESPACES)]
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
        result["empty_traced_kib"] = (after - before) / EMPTY_NAMESPACES / 1024
    else:
        tracemalloc.start()
    gc.collect()
    before = tracemalloc.get_traced_memory()[0]
    if contender == "floor":
        modules = floor_exec(entries, True)
        everything = modules[ALL_MODULE]
    else:
        import_module, modules = create(tree_path(contender, opts["root"]))
        for name, *_ in entries:
            import_module(name)
        everything = modules[ALL_MODULE]
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    result["tree_traced_mib"] = (after - before) / 2**20
    result["modules"] = check_tree(modules, everything)


def unique_modules(modules, names):
    """The distinct module objects under ``names`` (an alias such as ``os.path`` counts once;
    ``None`` entries, which block an import, not at all)."""
    seen = {}
    for name in names:
        module = modules.get(name)
        if module is not None and id(module) not in seen:
            seen[id(module)] = name
    return sorted(seen.values())


def case_cold(contender, opts, result):
    """Import NAMES in a fresh world, and account for what was loaded.

    Reports the modules already in the host's ``sys.modules`` before timing (``preloaded``),
    and the modules loaded while timing: for cpython the new ``sys.modules`` entries; for a
    namespace its new entries that are its own objects, plus what the host itself imported
    meanwhile (modules shared by default, such as ``threading``, that the host had not loaded
    yet). ``shared`` lists the new namespace entries that are host objects."""
    names = opts["names"].split(",")
    path = [entry for entry in opts.get("path", "").split(PATHSEP) if entry] + BASE_PATH
    create = load(contender, opts)
    import_module, modules = create(path)
    host_before = set(sys.modules)
    world_before = set(modules)
    gc.collect()
    clock = time.perf_counter
    marks = [clock()]
    for name in names:
        import_module(name)
        marks.append(clock())
    result["import_ms"] = (marks[-1] - marks[0]) * 1e3
    # Per name, in order: what importing it added to what the names before it had loaded.
    result["names_ms"] = [(b - a) * 1e3 for a, b in zip(marks, marks[1:])]
    host_new = [name for name in sys.modules if name not in host_before]
    if contender == "cpython":
        loaded = unique_modules(sys.modules, host_new)
        shared = []
    else:
        world_new = [name for name in modules if name not in world_before]
        own = [name for name in world_new if modules[name] is not sys.modules.get(name)]
        shared = sorted(name for name in world_new if name not in own)
        loaded = sorted(
            set(unique_modules(modules, own))
            | {f"host:{n}" for n in unique_modules(sys.modules, host_new)}
        )
    result["loaded"] = len(loaded)
    result["preloaded"] = len(host_before)
    result["details"] = {
        "preloaded": sorted(host_before),
        "loaded": loaded,
        "shared": shared,
    }


def case_kth(contender, opts, result):
    """The k-th namespace on real packages: COUNT namespaces, created one after another and all
    kept alive, each importing NAMES with PATH in front of the interpreter's ``sys.path`` (so
    each namespace also runs its own copy of the standard library modules they need, as in the
    cold cases). Each time covers creating the namespace, the imports, and the cyclic GC's passes
    that fall in them. cpython: the process's own import of NAMES, once (COUNT is ignored: one
    import world per process). Every later namespace must load the same modules as the first
    (an extension refused to a second namespace, or a fallback it triggers, is an error)."""
    import statistics

    names = opts["names"].split(",")
    path = [entry for entry in opts.get("path", "").split(PATHSEP) if entry] + BASE_PATH
    count = 1 if contender == "cpython" else int(opts["count"])
    create = load(contender, opts)
    times, kept, first = [], [], None
    gc.collect()
    for _ in range(count):
        host_before = set(sys.modules)
        t0 = time.perf_counter()
        import_module, modules = create(path)
        for name in names:
            import_module(name)
        times.append((time.perf_counter() - t0) * 1e3)
        if contender == "cpython":
            loaded = {name for name in sys.modules if name not in host_before}
        else:
            loaded = {
                name for name, module in modules.items() if module is not sys.modules.get(name)
            }
        if first is None:
            first = loaded
        elif loaded != first:
            raise AssertionError(
                f"namespace {len(times)} loaded other modules than the first: "
                f"missing {sorted(first - loaded)[:5]}, extra {sorted(loaded - first)[:5]}"
            )
        kept.append(modules)
    result["times_ms"] = times
    result["first_ms"] = times[0]
    result["modules"] = len(first)
    if count > 1:
        result["kth_ms"] = statistics.median(times[1:])
        result["kth_over_first"] = result["kth_ms"] / result["first_ms"]


def main(argv):
    contender, case = argv[:2]
    opts = dict(arg.split("=", 1) for arg in argv[2:])
    # Set before anything imports: the source-only case must not write pycs; the others may
    # (the harness checks that none of them rewrites the tree's pycs).
    sys.dont_write_bytecode = case == "tree" and opts.get("bytecode") == "0"
    result = {"contender": contender, "case": case}
    if case == "record":
        if contender != "cpython":
            raise SystemExit("only cpython records the import order")
        case_record(opts, result)
    elif case == "probe":
        import_module, _modules = load(contender, opts)(tree_path(contender, opts["root"]))
        import_module(TOP)
    elif case == "tree":
        case_tree(contender, opts, result)
    elif case == "cached":
        case_cached(contender, opts, result)
    elif case == "namespaces":
        case_namespaces(contender, opts, result)
    elif case == "memory":
        case_memory(contender, opts, result)
    elif case == "cold":
        case_cold(contender, opts, result)
    elif case == "kth":
        case_kth(contender, opts, result)
    else:
        raise SystemExit(f"unknown case {case!r}")
    check_isolation(contender)

    import json

    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
