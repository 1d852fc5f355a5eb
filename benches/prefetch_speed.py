"""The prefetch experiment of issue 13: a cold import of real packages in a namespace, with and
without `importspace.Prefetch`, in fresh processes taking turns, with the page cache warm or with
the packages' files evicted from it before each run.

    python benches/prefetch_speed.py --site DIR [--runs N] [--cold] ROOT...

DIR is a folder the packages are installed in (pycs written). Two arms take turns, after a
warm-up round: `none`, no prefetch, and `prefetch`, `importspace.Prefetch` given the files of
`ImportGraph.import_files(*ROOTS)`, as an earlier run would have saved them (the graph is
built here once, before the runs; its build time is printed). Each worker prints the import's
own time (from before the prefetch starts to the end of the import); the run's wall time is
taken from outside. `--cold` evicts every file under DIR from the page cache before each run
(posix_fadvise DONTNEED, after an fdatasync so that dirty pages go too). Results:
docs/performance.md, "Prefetch experiment (issue 13)".
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = os.path.join(os.path.dirname(HERE), "python")
ARMS = ("none", "prefetch")


def namespace(site):
    import importspace

    stdlib = [p for p in sys.path if p and os.path.abspath(p) != HERE]
    return importspace.Namespace(path=[site, *stdlib])


def worker(args):
    """One run in this fresh process: prints a JSON line of figures."""
    sys.path.insert(0, PACKAGE)
    import importspace

    ns = namespace(args.site)
    prefetch = None
    start = time.perf_counter()
    if args.arm == "prefetch":
        with open(args.files) as handle:
            prefetch = importspace.Prefetch(json.load(handle))
    for root in args.roots:
        ns.import_module(root)
    import_ms = (time.perf_counter() - start) * 1e3
    stats = {}
    if prefetch is not None:
        stats = prefetch.stats()
        prefetch.close()
    print(json.dumps({"import_ms": import_ms, "modules": len(ns.modules), **stats}))


def save_files(args, path):
    """The graph's files in import order, as an earlier run would have saved them."""
    sys.path.insert(0, PACKAGE)
    ns = namespace(args.site)
    start = time.perf_counter()
    graph = ns.import_graph(*args.roots, follow=True, type_checking=False)
    built = (time.perf_counter() - start) * 1e3
    files = graph.import_files(*args.roots)
    with open(path, "w") as handle:
        json.dump(files, handle)
    return built, len(graph), len(files)


def evict(root):
    """Drop every file under `root` from the page cache; returns how many files."""
    count = 0
    for folder, _, names in os.walk(root):
        for name in names:
            try:
                fd = os.open(os.path.join(folder, name), os.O_RDONLY)
            except OSError:
                continue
            try:
                os.fdatasync(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                count += 1
            finally:
                os.close(fd)
    return count


def one_run(args, arm, files_path):
    if args.cold:
        evict(args.site)
    command = [sys.executable, "-I", "-S", os.path.abspath(__file__), "--worker", arm]
    command += ["--site", args.site, "--files", files_path, *args.roots]
    env = dict(os.environ, RAYON_NUM_THREADS=str(args.threads))
    start = time.perf_counter()
    out = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    wall_ms = (time.perf_counter() - start) * 1e3
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    figures["wall_ms"] = wall_ms
    return figures


def spread(values):
    return f"{statistics.median(values):7.1f} ({min(values):.0f}-{max(values):.0f})"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("roots", nargs="+")
    parser.add_argument("--site", required=True)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--cold", action="store_true")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--worker", choices=ARMS)
    parser.add_argument("--files")
    args = parser.parse_args(argv)
    args.site = os.path.abspath(args.site)
    if args.worker:
        args.arm = args.worker
        worker(args)
        return
    arms = list(ARMS)
    with tempfile.TemporaryDirectory() as tmp:
        files_path = os.path.join(tmp, "files.json")
        built, modules, files = save_files(args, files_path)
        print(f"graph of {' '.join(args.roots)}: {modules} modules, {built:.0f} ms to build;")
        print(f"  {files} files in import order; page cache: {'evicted' if args.cold else 'warm'}")
        results = {arm: [] for arm in arms}
        for arm in arms:  # a warm-up round, not kept
            one_run(args, arm, files_path)
        for round_ in range(args.runs):
            order = arms[round_ % len(arms) :] + arms[: round_ % len(arms)]
            for arm in order:
                results[arm].append(one_run(args, arm, files_path))
    base = results[arms[0]]
    print(f"{'arm':14} {'import ms':>22} {'wall ms':>22} {'ratio':>8}  prefetch")
    for arm in arms:
        runs = results[arm]
        ratios = [r["wall_ms"] / b["wall_ms"] for r, b in zip(runs, base)]
        extra = ""
        if "files" in runs[0]:
            last = runs[-1]
            extra = (
                f"{last['files']} files, {last['bytes'] / 1e6:.0f} MB, "
                f"done in {last['total_ms']} ms (last run)"
            )
        print(
            f"{arm:14} {spread([r['import_ms'] for r in runs]):>22} "
            f"{spread([r['wall_ms'] for r in runs]):>22} {statistics.median(ratios):8.3f}  {extra}"
        )


if __name__ == "__main__":
    main()
