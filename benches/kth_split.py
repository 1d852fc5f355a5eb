"""Where a later namespace's time goes: docs/performance.md, "the k-th namespace".

    python -I -S benches/kth_split.py TREE [--namespaces 10]

TREE is a folder written by ``benches/gen_tree.py`` (with pycs: run this once first, and it
writes them). With garbage collection off, this prints milliseconds per import of ``bench_slice``:

- the first namespace's;
- the median of the later namespaces', whose code objects come from the shared code cache;
- the median of the same code objects executed into fresh module objects by a minimal Python
  ``__import__`` (absolute and relative names, fromlists; no finding, ``stat``, spec or lock):
  what any importer must at least pay once the code is in memory.

The difference between the last two is the machinery of a later namespace. (The benchmark's
floor, ``worker.floor_exec``, also reads and unmarshals each pyc; this one starts from code
objects already in memory, as a namespace served by the code cache does.)
"""

import argparse
import builtins
import gc
import os
import statistics
import sys
import time

BENCHES = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [BENCHES, os.path.join(BENCHES, "..", "python")]
from gen_tree import SLICE_MODULE  # noqa: E402

import importspace  # noqa: E402


def timed(action):
    start = time.perf_counter()
    kept = action()
    return (time.perf_counter() - start) * 1e3, kept


def import_slice(tree):
    namespace = importspace.Namespace(path=[tree])
    namespace.import_module(SLICE_MODULE)
    return namespace


def exec_only(modules_seen):
    """Execute the code objects of ``modules_seen`` (a namespace's modules) in fresh modules."""
    code = {name: module.__spec__.loader.get_code(name) for name, module in modules_seen.items()}
    files = {name: module.__file__ for name, module in modules_seen.items()}
    packages = {name for name, module in modules_seen.items() if hasattr(module, "__path__")}
    module_type = type(sys)

    def run():
        loaded = {}
        namespace_builtins = dict(builtins.__dict__)

        def load(name):
            parent, _, tail = name.rpartition(".")
            module = module_type(name)
            attrs = module.__dict__
            attrs["__file__"] = files[name]
            attrs["__builtins__"] = namespace_builtins
            attrs["__package__"] = name if name in packages else parent
            if name in packages:
                attrs["__path__"] = [os.path.dirname(files[name])]
            loaded[name] = module
            exec(code[name], attrs)
            if parent:
                setattr(loaded[parent], tail, module)

        def ensure(name):
            module = loaded.get(name)
            if module is not None:
                return module
            parts = name.split(".")
            for end in range(1, len(parts) + 1):
                prefix = ".".join(parts[:end])
                if prefix not in loaded:
                    load(prefix)
            return loaded[name]

        def minimal_import(name, globals=None, locals=None, fromlist=(), level=0):
            if level:
                package = globals["__package__"]
                base = package.rsplit(".", level - 1)[0] if level > 1 else package
                name = f"{base}.{name}" if name else base
            module = ensure(name)
            if fromlist:
                for item in fromlist:
                    if not hasattr(module, item):
                        ensure(f"{name}.{item}")
                return module
            return loaded[name.partition(".")[0]]

        namespace_builtins["__import__"] = minimal_import
        minimal_import(SLICE_MODULE)
        return loaded

    return run


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tree")
    parser.add_argument("--namespaces", type=int, default=10)
    args = parser.parse_args()
    if args.namespaces < 2:
        parser.error("--namespaces must be at least 2: the first namespace and a later one")
    tree = os.path.abspath(args.tree)

    gc.collect()
    gc.disable()
    kept = []
    first_ms, namespace = timed(lambda: import_slice(tree))
    kept.append(namespace)
    run = exec_only(
        {name: module for name, module in namespace.modules.items() if name.startswith("bench")}
    )
    later, floor = [], []
    for _ in range(args.namespaces - 1):  # alternated, so both meet the same heap size
        elapsed, namespace = timed(lambda: import_slice(tree))
        later.append(elapsed)
        kept.append(namespace)
        elapsed, modules = timed(run)
        floor.append(elapsed)
        kept.append(modules)
    later_ms = statistics.median(later)
    print(f"first namespace     {first_ms:7.2f} ms")
    print(f"later namespace     {later_ms:7.2f} ms  ({later_ms / first_ms:.2f}x the first)")
    print(f"exec only           {statistics.median(floor):7.2f} ms")


if __name__ == "__main__":
    main()
