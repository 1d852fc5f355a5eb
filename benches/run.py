"""Benchmark harness: CPython's own import vs the vendor-importlib baseline vs importspace.

    python benches/run.py [--runs N] [--quick] [--json OUT.json] [--strict]
                          [--contenders cpython,vendor,importspace] [--cached-n N] [--tree DIR]

Every measurement runs in a fresh subprocess of this same interpreter (benches/worker.py), on one
generated tree of 2,111 modules (benches/gen_tree.py). Cases:

* warm:   import every module, pycs present (written beforehand by a native import pass; all
          contenders share the same __pycache__ files and cache_tag);
* source: the same with every __pycache__ removed and sys.dont_write_bytecode = True;
* cached: one import statement on an already loaded module, in ns per statement:
          `import a.b.c`, `from a.b import c`, `import a`. Each is a loop of up to --cached-n
          statements (fewer if that would take over 0.15 s), best of 3 inside each process, with
          the empty loop's overhead subtracted;
* setup:  creating the namespace (the first one in the process).

Each number is the median over --runs processes (default 5, --quick 3); the ratio is
contender / cpython, so lower is better. A contender that cannot be imported (importspace before
the engine is built) is reported as unavailable; with --strict that, or any importspace failure, is
an error (exit status 1). A failure of cpython or vendor is always an error.
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import gen_tree  # noqa: E402

WORKER = os.path.join(HERE, "worker.py")
CONTENDERS = ("cpython", "vendor", "importspace")
REQUIRED = ("cpython", "vendor")  # these must always work

# (case id, worker case, result key in the worker's JSON, unit, label). {n} is the module count.
METRICS = (
    ("warm", "warm", "import_ms", "ms", "import {n} modules, pycs present"),
    ("source", "source", "import_ms", "ms", "import {n} modules, source only"),
    ("cached_import_abc", "cached", "loop_import_abc_ns", "ns", "`import a.b.c`, cached"),
    ("cached_from_import", "cached", "loop_from_import_ns", "ns", "`from a.b import c`, cached"),
    ("cached_import_top", "cached", "loop_import_top_ns", "ns", "`import a`, cached"),
    ("create", "cached", "create_us", "us", "create an empty namespace"),
    ("setup", "warm", "setup_ms", "ms", "first namespace, module load included"),
)


class WorkerError(Exception):
    pass


def worker_env():
    env = dict(os.environ)
    # The pyc cases decide for themselves (sys.dont_write_bytecode is set in the worker), and all
    # contenders must find the pycs in the standard __pycache__ folders.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("PYTHONPYCACHEPREFIX", None)
    env["PYTHONHASHSEED"] = "0"
    return env


def run_worker(contender, case, root, n, env):
    proc = subprocess.run(
        [sys.executable, WORKER, contender, case, root, str(n)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    if proc.returncode != 0:
        lines = (proc.stderr or proc.stdout).strip().splitlines()
        raise WorkerError(
            f"{contender} {case}: " + (lines[-1] if lines else f"exit {proc.returncode}")
        )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def pyc_files(root):
    found = {}
    for folder, _dirs, files in os.walk(root):
        if os.path.basename(folder) == "__pycache__":
            for name in files:
                path = os.path.join(folder, name)
                found[path] = os.stat(path).st_mtime_ns
    return found


def remove_pycache(root):
    for folder, dirs, _files in os.walk(root):
        if "__pycache__" in dirs:
            shutil.rmtree(os.path.join(folder, "__pycache__"))
            dirs.remove("__pycache__")


def count_sources(root):
    return sum(name.endswith(".py") for _, _, files in os.walk(root) for name in files)


def write_pycs(root, env):
    """A native import pass in its own process writes the pycs every contender then reads."""
    remove_pycache(root)
    code = (
        "import sys; sys.dont_write_bytecode = False; sys.path.insert(0, sys.argv[1]); "
        "import bench_all, bench_cached"
    )
    subprocess.run([sys.executable, "-c", code, root], check=True, env=env, timeout=600)
    pycs = pyc_files(root)
    sources = count_sources(root)
    if len(pycs) != sources:
        raise SystemExit(f"native pass wrote {len(pycs)} pycs for {sources} source files")
    return pycs


def machine_info(args, module_count):
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": usable,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "runs": args.runs,
        "cached_n": args.cached_n,
        "tree_modules": module_count,
        "tree_shape": list(args.shape),
    }


def measure(args, root, module_count, env):
    """Returns (per-case results, unavailable contenders, errors, notes)."""
    unavailable, errors, notes = {}, {}, []
    contenders = []
    for contender in args.contenders:
        try:
            run_worker(contender, "probe", root, 1, env)
            contenders.append(contender)
        except WorkerError as exc:
            if contender in REQUIRED:
                raise
            unavailable[contender] = str(exc)
            print(f"  {contender}: unavailable ({exc})", file=sys.stderr)

    samples = {c: {} for c in contenders}  # contender -> worker case -> [results]

    def run_case(case, check=None):
        for run in range(args.runs):
            # Rotate the order so no contender always runs first (or right after another).
            shift = run % len(contenders) if contenders else 0
            for contender in contenders[shift:] + contenders[:shift]:
                if contender in errors:
                    continue
                try:
                    result = run_worker(contender, case, root, args.cached_n, env)
                except WorkerError as exc:
                    if contender in REQUIRED:
                        raise
                    errors[contender] = str(exc)
                    print(f"  {contender}: error ({exc})", file=sys.stderr)
                    continue
                samples[contender].setdefault(case, []).append(result)
                if check:
                    check(contender)
            print(f"  {case}: run {run + 1}/{args.runs} done", file=sys.stderr)

    print("writing pycs with a native import pass", file=sys.stderr)
    pycs = write_pycs(root, env)

    def pycs_untouched(contender):
        if pyc_files(root) != pycs:
            notes.append(f"{contender} rewrote pycs in the warm case (it found them invalid)")
            pycs.update(pyc_files(root))

    run_case("warm", pycs_untouched)
    run_case("cached", pycs_untouched)

    remove_pycache(root)

    def no_pycs_written(contender):
        if pyc_files(root):
            raise SystemExit(f"{contender} wrote pycs although sys.dont_write_bytecode is True")

    run_case("source", no_pycs_written)

    results = {}
    for case_id, case, key, unit, label in METRICS:
        row = {"label": label.format(n=f"{module_count:,}"), "unit": unit, "results": {}}
        for contender in contenders:
            values = [r[key] for r in samples[contender].get(case, ())]
            if (
                contender in errors
                or not values
                or (case_id in ("setup", "create") and contender == "cpython")
            ):
                continue  # CPython's own import has no namespace to create
            row["results"][contender] = {"median": statistics.median(values), "runs": values}
        base = row["results"].get("cpython")
        for entry in row["results"].values():
            if base and base["median"] > 0:
                entry["ratio"] = entry["median"] / base["median"]
        results[case_id] = row
    return results, unavailable, errors, notes


def format_value(entry, unit):
    if unit in ("ms", "us"):
        text = f"{entry['median']:.1f}"
    else:
        text = f"{entry['median']:.0f}"
    if "ratio" in entry and entry["ratio"] != 1.0:
        text += f" ({entry['ratio']:.2f}x)"
    return text


def markdown(meta, results, contenders, unavailable, errors, notes):
    out = [
        f"Python {meta['python']} ({meta['implementation']}), {meta['platform']}, "
        f"{meta['cpu_count']} CPUs ({meta['cpus_usable']} usable); tree of "
        f"{meta['tree_modules']:,} modules; median of {meta['runs']} processes; "
        "ratio = contender / cpython, lower is better.",
        "",
        "| case | " + " | ".join(contenders) + " |",
        "|---|" + "---:|" * len(contenders),
    ]
    for row in results.values():
        cells = []
        for contender in contenders:
            if contender in unavailable:
                cells.append("unavailable")
            elif contender in errors:
                cells.append("error")
            elif contender in row["results"]:
                cells.append(format_value(row["results"][contender], row["unit"]))
            else:
                cells.append("–")
        out.append(f"| {row['label']} ({row['unit']}) | " + " | ".join(cells) + " |")
    for contender, why in {**unavailable, **errors}.items():
        out.append(f"\n{contender}: {why}")
    out.extend(f"\nnote: {note}" for note in notes)
    return "\n".join(out)


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, help="processes per contender and case (default 5)")
    parser.add_argument("--quick", action="store_true", help="3 runs, 50,000 cached statements")
    parser.add_argument("--json", metavar="OUT", help="also write the results as JSON to OUT")
    parser.add_argument("--strict", action="store_true", help="importspace must run, or exit 1")
    parser.add_argument(
        "--contenders",
        default=",".join(CONTENDERS),
        help="comma-separated subset of " + ",".join(CONTENDERS),
    )
    parser.add_argument("--cached-n", type=int, help="statements per cached loop (200,000)")
    parser.add_argument("--tree", help="generate the tree here and keep it (default: a temp dir)")
    parser.add_argument(
        "--shape",
        default="10,10,20",
        help="packages,subpackages,modules of the generated tree (default 10,10,20)",
    )
    args = parser.parse_args(argv)
    if args.runs is None:
        args.runs = 3 if args.quick else 5
    if args.cached_n is None:
        args.cached_n = 50_000 if args.quick else 200_000
    args.contenders = [c.strip() for c in args.contenders.split(",") if c.strip()]
    for contender in args.contenders:
        if contender not in CONTENDERS:
            parser.error(f"unknown contender {contender!r}")
    if "cpython" not in args.contenders:
        parser.error("cpython is the reference and cannot be left out")
    args.shape = tuple(int(x) for x in args.shape.split(","))
    if len(args.shape) != 3 or min(args.shape) < 1:
        parser.error("--shape needs three positive integers")
    return args


def main(argv=None):
    args = parse_args(argv)
    root = args.tree or tempfile.mkdtemp(prefix="importspace-bench-")
    try:
        module_count = len(gen_tree.generate(root, *args.shape))
        print(f"tree: {module_count} modules in {root}", file=sys.stderr)
        env = worker_env()
        try:
            results, unavailable, errors, notes = measure(args, root, module_count, env)
        except WorkerError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    finally:
        if not args.tree:
            shutil.rmtree(root, ignore_errors=True)

    meta = machine_info(args, module_count)
    print(markdown(meta, results, args.contenders, unavailable, errors, notes))
    if args.json:
        report = {
            "meta": meta,
            "cases": results,
            "unavailable": unavailable,
            "errors": errors,
            "notes": notes,
        }
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
            f.write("\n")
    failed = "importspace" in args.contenders and "importspace" in {**unavailable, **errors}
    return 1 if args.strict and failed else 0


if __name__ == "__main__":
    sys.exit(main())
