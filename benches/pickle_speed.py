"""Pickle speed natively and inside a namespace, side by side in one run (issue 11).

Each side runs in fresh `-I` processes (site-packages kept: importspace is installed there):
dumps and loads of a ~1 MB mixed object (dicts, lists, strings, floats, tuples and instances of
a class defined in a module of a temporary folder) with the highest protocol; a figure is the
median over processes of each process's best of several repetitions.
Usage: `python benches/pickle_speed.py [--processes N]`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

MODULE = """
class Point:
    def __init__(self, x, y, label):
        self.x, self.y, self.label = x, y, label


def make():
    return {
        "points": [Point(i * 0.5, -i, f"p{i}") for i in range(9000)],
        "rows": [(i, str(i) * 3, float(i), None, True) for i in range(9000)],
        "words": {f"key{i}": list(range(i % 20)) for i in range(3000)},
        "blob": bytes(range(256)) * 800,
    }
"""

WORKER = """
import json, pickle, sys, time
side, folder, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
if side == "native":
    sys.path.insert(0, folder)
    import payload
    pickle_module = pickle
else:
    import importspace
    ns = importspace.Namespace(path=[folder, *sys.path])
    payload = ns.import_module("payload")
    pickle_module = ns.import_module("pickle")
obj = payload.make()
data = pickle_module.dumps(obj, pickle.HIGHEST_PROTOCOL)
best_dumps = best_loads = float("inf")
for _ in range(repeats):
    start = time.perf_counter()
    pickle_module.dumps(obj, pickle.HIGHEST_PROTOCOL)
    best_dumps = min(best_dumps, time.perf_counter() - start)
    start = time.perf_counter()
    pickle_module.loads(data)
    best_loads = min(best_loads, time.perf_counter() - start)
print(json.dumps({"bytes": len(data), "dumps": best_dumps, "loads": best_loads,
                  "c_pickler": pickle_module.Pickler.__module__ == "_pickle"}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "payload.py").write_text(MODULE)
        runs: dict[str, list[dict]] = {"native": [], "namespace": []}
        for _ in range(args.processes):
            for side in runs:  # alternate the sides
                out = subprocess.run(
                    [sys.executable, "-I", "-c", WORKER, side, folder, str(args.repeats)],
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
                runs[side].append(json.loads(out))
    size = runs["native"][0]["bytes"]
    print(
        f"Python {sys.version.split()[0]}; pickle of {size / 1e6:.2f} MB, protocol 5; "
        f"median of {args.processes} processes, each the best of {args.repeats}"
    )
    print("| operation | native (ms) | namespace (ms) | ratio |")
    print("|---|---:|---:|---:|")
    for op in ("dumps", "loads"):
        native = statistics.median(r[op] for r in runs["native"]) * 1e3
        inside = statistics.median(r[op] for r in runs["namespace"]) * 1e3
        print(f"| {op} | {native:.2f} | {inside:.2f} | {inside / native:.2f}x |")
    print("C pickler inside the namespace:", all(r["c_pickler"] for r in runs["namespace"]))


if __name__ == "__main__":
    main()
