"""Benchmark harness: CPython's own import vs the import floor vs vendor-importlib vs importspace.

    python benches/run.py [--runs N] [--quick] [--json OUT.json] [--chart OUT.png] [--strict]
                          [--contenders cpython,floor,vendor,importspace] [--cases warm,...]
                          [--cached-n N] [--tree DIR] [--shape P,S,M]

Every measurement runs in a fresh subprocess of this same interpreter (benches/worker.py), started
with ``-I -S`` for every contender alike; each figure is the median over --runs processes
(default 5, --quick 3), and the ratio is contender / cpython, so lower is better.

Contenders:
* cpython:     CPython's own import;
* floor:       no import machinery: read + unmarshal (or compile) + exec of the same modules, in
               the order a native import executes them (worker.floor_exec says exactly what it
               does and leaves out). Only where that is meaningful: the generated tree;
* vendor:      a pure-Python importlib built at run time from this interpreter's own
               importlib/_bootstrap*.py (vendor-importlib/);
* importspace: importspace.Namespace.

Cases (the harness case ids, for --cases):
* warm:        corpus 1, the generated tree (benches/gen_tree.py, 2,111 modules in nested packages
               that import each other), every module imported, pycs present (written beforehand
               by a native import pass, which also records the floor's execution order). Also
               the RSS growth and, for namespaces, the first namespace's cost (machinery load);
* source:      corpus 2, the same with every __pycache__ removed and sys.dont_write_bytecode;
* stdlib:      corpus 3, STDLIB_NAMES imported cold: cpython in a fresh process, a namespace with
               the interpreter's sys.path. What each contender loads differs (importspace runs its
               own copy of the stdlib modules the host had already loaded, and the host loads the
               modules it shares by default), so the modules loaded before and while timing are
               counted and reported;
* thirdparty:  corpus 4, real PyPI packages (PACKAGES, pinned) installed at bench time into
               .cache/bench-packages/<python version>, PACKAGE_IMPORTS imported cold, pycs
               present. Reported unavailable (not a failure) when the install fails (no network);
* cached:      corpus 5, one statement on an already loaded module, ns each: `import a.b.c`,
               `from a.b import c`, `import a`, and import_module(name) (cpython:
               importlib.import_module); plus creating an empty namespace;
* ns1, ns10, ns50: corpus 6, N namespaces kept alive in one process, each importing the same
               slice of the tree (bench_slice: the top package and bench_tree.pkg0, 212
               modules; all 2,111 modules 50 times over would take minutes): the first
               namespace's time, the k-th's (median of the 2nd to the N-th), and k-th / first.
               The reference is cpython's own import of the slice in a fresh process;
* memory:      corpus 7, RSS and tracemalloc growth per empty namespace, and tracemalloc growth
               of one namespace importing the whole tree (cpython: the process's own import).

vendor cannot import corpora 3 and 4 (C code that imports through PyImport_Import reads the
global sys.modules; see "Known limits" in vendor-importlib/vendor_importlib.py): one probe
process per corpus checks, and vendor is reported n/a there with the probe's error when it
fails. Otherwise a failure of cpython, floor or vendor is an error (exit status 1). importspace
that cannot be imported (the engine not built) is reported unavailable, and an importspace
failure in a case is reported as an error in that case; with --strict either exits 1.
"""

import argparse
import datetime
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import gen_tree  # noqa: E402
import report  # noqa: E402

WORKER = os.path.join(HERE, "worker.py")
VENDOR_DIR = os.path.join(REPO, "vendor-importlib")
# The same interpreter flags for every worker: no site, no PYTHON* variables, no script dir.
WORKER_FLAGS = ("-I", "-S")
CONTENDERS = ("cpython", "floor", "vendor", "importspace")
REQUIRED = ("cpython", "floor", "vendor")  # these must always work

# Corpus 3: the standard library modules of issue 5, imported in this order.
STDLIB_NAMES = (
    "asyncio",
    "email.mime.text",
    "http.client",
    "json",
    "logging",
    "argparse",
    "unittest",
    "typing",
    "dataclasses",
    "xml.etree.ElementTree",
    "decimal",
    "concurrent.futures",
)

# Corpus 4: the packages, installed with --no-deps, so their dependencies are pinned too. All
# have wheels for CPython 3.9-3.13 (markupsafe's has a C extension, the others are pure Python).
PACKAGES = (
    ("rich", "13.9.4"),
    ("pygments", "2.18.0"),
    ("click", "8.1.8"),
    ("jinja2", "3.1.4"),
    ("packaging", "24.2"),
)
DEPENDENCIES = (
    ("markdown-it-py", "3.0.0"),
    ("mdurl", "0.1.2"),
    ("markupsafe", "3.0.2"),
    ("typing-extensions", "4.12.2"),
)
# Each package's top plus representative submodules.
PACKAGE_IMPORTS = (
    "rich",
    "rich.console",
    "rich.table",
    "pygments",
    "pygments.lexers.python",
    "pygments.formatters.html",
    "click",
    "jinja2",
    "packaging.version",
    "packaging.specifiers",
)
PACKAGES_DIR = os.path.join(REPO, ".cache", "bench-packages", platform.python_version())
PACKAGES_MARKER = ".bench-packages-complete"

# The many-namespaces case: how many namespaces in one process.
NAMESPACE_COUNTS = (1, 10, 50)

FLOOR_NA = (
    "floor: n/a for corpora 3 and 4, whose modules import each other in cycles (a body runs while "
    "another is half executed) and include extension and built-in modules: executing them in "
    "dependency order without an import function is not possible, and with one it would be an "
    "importer, not a floor."
)
VENDOR_NA = (
    "a documented limit of the baseline: C code importing through PyImport_Import reads the "
    "global sys.modules (vendor-importlib/vendor_importlib.py, 'Known limits')"
)


class Case:
    """One measurement set: a worker case with its options, run by some contenders."""

    def __init__(self, case_id, worker, contenders, **options):
        self.id = case_id
        self.worker = worker
        self.contenders = contenders
        self.options = options


class Row:
    """One line of the report: ``key`` of the worker results of ``case``.

    kind: "ratio" (a cost; ratio to cpython's value of ``base``, default the same case and key),
    "value" (no cpython counterpart), "self" (the contender's own ratio, shown as such), or
    "count". target: ("ratio", x) (importspace's ratio to cpython at most x) or ("value", x)
    (importspace's value at most x), from issue 5.
    """

    def __init__(self, case, key, label, unit, kind, target=None, base=None, only=None):
        self.case = case
        self.key = key
        self.label = label
        self.unit = unit
        self.kind = kind
        self.target = target
        self.base = base or (case, key)
        self.only = only  # the contenders this row shows, if not all of the case's

    @property
    def id(self):
        return f"{self.case}.{self.key}"


def rows(tree_modules, slice_modules):
    """Every row of the report, in order; labels start with the corpus number of issue 5."""
    tree = f"{tree_modules:,}"
    ns = ("vendor", "importspace")
    # fmt: off
    out = [
        Row("warm", "import_ms", f"1: import {tree} modules, pycs present", "ms", "ratio",
            target=("ratio", 0.45)),
        Row("source", "import_ms", f"2: import {tree} modules, source only", "ms", "ratio",
            target=("ratio", 0.95)),
        Row("stdlib", "import_ms", f"3: import {len(STDLIB_NAMES)} stdlib modules cold", "ms",
            "ratio", target=("ratio", 0.8)),
        Row("stdlib", "loaded", "3: modules loaded while timing", "modules", "count"),
        Row("stdlib", "preloaded", "3: modules loaded before timing", "modules", "count"),
        Row("thirdparty", "import_ms",
            f"4: import {len(PACKAGE_IMPORTS)} modules of {len(PACKAGES)} PyPI packages cold",
            "ms", "ratio"),
        Row("thirdparty", "loaded", "4: modules loaded while timing", "modules", "count"),
        Row("thirdparty", "preloaded", "4: modules loaded before timing", "modules", "count"),
        Row("cached", "loop_import_abc_ns", "5: `import a.b.c`, cached", "ns", "ratio",
            target=("ratio", 0.8)),
        Row("cached", "loop_from_import_ns", "5: `from a.b import c`, cached", "ns", "ratio",
            target=("ratio", 0.5)),
        Row("cached", "loop_import_top_ns", "5: `import a`, cached", "ns", "ratio",
            target=("ratio", 0.9)),
        Row("cached", "loop_import_module_ns", "5: `import_module(a.b.c)`, cached", "ns",
            "ratio"),
        Row("cached", "create_us", "5: create an empty namespace", "us", "value",
            target=("value", 20.0), only=ns),
        Row("warm", "setup_ms", "first namespace, machinery load included", "ms", "value",
            only=ns),
    ]
    for count in NAMESPACE_COUNTS:
        case, base = f"ns{count}", ("ns1", "first_ms")
        what = f"6: {count} namespace{'s' if count > 1 else ''} x {slice_modules} modules"
        if count == 1:
            out.append(Row(case, "first_ms", f"{what} (cpython: own import)", "ms", "ratio"))
            continue
        out += [
            Row(case, "first_ms", f"{what}: first", "ms", "ratio", base=base),
            Row(case, "kth_ms", f"{what}: k-th (median of 2nd-{count}th)", "ms", "ratio",
                base=base),
            Row(case, "kth_over_first", f"{what}: k-th / first", "x", "self",
                target=("value", 0.5)),
        ]
    out += [
        Row("memory", "empty_rss_kib", "7: empty namespace, RSS each", "KiB", "value"),
        Row("memory", "empty_traced_kib", "7: empty namespace, tracemalloc each", "KiB",
            "value"),
        Row("warm", "rss_mib", f"7: RSS growth, (namespace +) {tree} modules", "MiB", "ratio"),
        Row("memory", "tree_traced_mib", f"7: tracemalloc growth, (namespace +) {tree} modules",
            "MiB", "ratio"),
    ]
    # fmt: on
    return out


class WorkerError(Exception):
    pass


def run_worker(contender, case, options):
    args = [f"{key}={value}" for key, value in options.items()]
    proc = subprocess.run(
        [sys.executable, *WORKER_FLAGS, WORKER, contender, case, *args],
        capture_output=True,
        text=True,
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


def importspace_dir():
    """The folder holding the importspace package (workers run without site), or None."""
    spec = importlib.util.find_spec("importspace")
    if spec is None or not spec.submodule_search_locations:
        return None
    return os.path.dirname(list(spec.submodule_search_locations)[0])


def install_packages():
    """Install PACKAGES and DEPENDENCIES into PACKAGES_DIR, unless a complete install of the same
    pins is there.

    Returns (folder, None), or (None, why) when pip fails (no network, no wheel). pip writes
    into a temporary folder that is renamed into place once it succeeded.
    """
    pins = [f"{name}=={version}" for name, version in PACKAGES + DEPENDENCIES]
    marker = os.path.join(PACKAGES_DIR, PACKAGES_MARKER)
    try:
        with open(marker) as f:
            if f.read().split() == pins:
                return PACKAGES_DIR, None
    except OSError:
        pass
    print(f"installing {' '.join(pins)} into {PACKAGES_DIR}", file=sys.stderr)
    partial = f"{PACKAGES_DIR}.partial-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    command = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", "--retries", "1", "--timeout", "20",
               "--target", partial, *pins]  # fmt: skip
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired:
        shutil.rmtree(partial, ignore_errors=True)
        return None, "pip install timed out"
    if proc.returncode != 0:
        shutil.rmtree(partial, ignore_errors=True)
        lines = [line for line in proc.stderr.strip().splitlines() if line.strip()]
        return None, "pip install failed: " + (lines[-1] if lines else f"exit {proc.returncode}")
    with open(os.path.join(partial, PACKAGES_MARKER), "w") as f:
        f.write("\n".join(pins) + "\n")
    shutil.rmtree(PACKAGES_DIR, ignore_errors=True)
    os.rename(partial, PACKAGES_DIR)
    return PACKAGES_DIR, None


def machine_info(args, tree_modules, slice_modules):
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
        "worker_flags": list(WORKER_FLAGS),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": usable,
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "runs": args.runs,
        "cached_n": args.cached_n,
        "tree_modules": tree_modules,
        "tree_shape": list(args.shape),
        "slice_modules": slice_modules,
        "namespace_counts": list(NAMESPACE_COUNTS),
        "stdlib_names": list(STDLIB_NAMES),
        "packages": [f"{name}=={version}" for name, version in PACKAGES + DEPENDENCIES],
        "package_imports": list(PACKAGE_IMPORTS),
    }


class Bench:
    """Runs the cases and keeps the samples, and what was unavailable, failed or noted."""

    def __init__(self, args, common):
        self.args = args
        self.common = common  # options every worker gets
        self.samples = {}  # case id -> contender -> [worker results]
        self.unavailable = {}  # contender -> why (for the whole run)
        self.errors = {}  # "case/contender" -> why
        self.not_applicable = {}  # case id -> contender -> why (beyond the case's contenders)
        self.case_unavailable = {}  # case id -> why (e.g. no network for corpus 4)
        self.notes = []
        self.cases = {}
        self.details = {}  # case id -> contender -> the first run's "details" (module lists)
        self.wall_s = {}  # case id -> seconds its runs took

    def wanted(self, case_id):
        return not self.args.cases or case_id in self.args.cases

    def contenders(self, case):
        return [
            c
            for c in case.contenders
            if c in self.args.contenders
            and c not in self.unavailable
            and c not in self.not_applicable.get(case.id, {})
        ]

    def once(self, contender, case):
        return run_worker(contender, case.worker, {**self.common, **case.options})

    def run(self, case, check=None):
        """--runs processes per contender, the contender order rotated from run to run."""
        self.cases[case.id] = case
        started = time.perf_counter()
        contenders = self.contenders(case)
        samples = self.samples.setdefault(case.id, {})
        for run in range(self.args.runs):
            shift = run % len(contenders) if contenders else 0
            for contender in contenders[shift:] + contenders[:shift]:
                key = f"{case.id}/{contender}"
                if key in self.errors:
                    continue
                try:
                    result = self.once(contender, case)
                except WorkerError as exc:
                    if contender in REQUIRED:
                        raise
                    self.errors[key] = str(exc)
                    print(f"  {contender}: error ({exc})", file=sys.stderr)
                    continue
                details = result.pop("details", None)
                if details is not None:
                    self.details.setdefault(case.id, {}).setdefault(contender, details)
                samples.setdefault(contender, []).append(result)
                if check:
                    check(contender)
            print(f"  {case.id}: run {run + 1}/{self.args.runs} done", file=sys.stderr)
        self.wall_s[case.id] = time.perf_counter() - started

    def probe(self, contender, case, why):
        """Run ``contender`` once on ``case`` (not kept); on failure it is n/a there."""
        if contender not in self.contenders(case):
            return
        try:
            self.once(contender, case)
        except WorkerError as exc:
            self.not_applicable.setdefault(case.id, {})[contender] = f"{exc} ({why})"
            print(f"  {contender}: n/a for {case.id} ({exc})", file=sys.stderr)


def measure(args, root, tree_modules, slice_modules):
    """Runs every wanted case; returns the Bench with its samples."""
    common = {"vendor": VENDOR_DIR}
    found = importspace_dir()
    if found:
        common["importspace"] = found
    bench = Bench(args, common)
    tree = {"root": root}
    order = os.path.join(root, "bench_order.json")
    all_four, three = CONTENDERS, ("cpython", "vendor", "importspace")

    for contender in three:
        if contender not in args.contenders:
            continue
        if contender == "importspace" and not found:
            bench.unavailable[contender] = "the importspace package is not installed"
            continue
        try:
            bench.once(contender, Case("probe", "probe", three, **tree))
        except WorkerError as exc:
            if contender in REQUIRED:
                raise
            bench.unavailable[contender] = str(exc)
            print(f"  {contender}: unavailable ({exc})", file=sys.stderr)

    print("native import pass: writing pycs, recording the execution order", file=sys.stderr)
    remove_pycache(root)
    run_worker("cpython", "record", {**common, **tree, "order": order})
    pycs = pyc_files(root)
    if len(pycs) != count_sources(root):
        raise SystemExit(f"native pass wrote {len(pycs)} pycs for {count_sources(root)} sources")

    def pycs_untouched(contender):
        if pyc_files(root) != pycs:
            bench.notes.append(f"{contender} rewrote pycs of the tree (it found them invalid)")
            pycs.update(pyc_files(root))

    pyc_cases = [
        Case("warm", "tree", all_four, order=order, bytecode=1, **tree),
        Case("cached", "cached", three, n=args.cached_n, **tree),
        *(
            Case(f"ns{n}", "namespaces", three if n == 1 else three[1:], count=n, **tree)
            for n in NAMESPACE_COUNTS
        ),
        Case("memory", "memory", all_four, order=order, **tree),
    ]
    for case in pyc_cases:
        if bench.wanted(case.id):
            print(f"case {case.id}", file=sys.stderr)
            bench.run(case, pycs_untouched)

    if bench.wanted("source"):
        print("case source", file=sys.stderr)
        remove_pycache(root)

        def no_pycs_written(contender):
            if pyc_files(root):
                raise SystemExit(f"{contender} wrote pycs although sys.dont_write_bytecode is True")

        bench.run(
            Case("source", "tree", all_four, order=order, bytecode=0, **tree), no_pycs_written
        )

    cold = []
    if bench.wanted("stdlib"):
        cold.append(Case("stdlib", "cold", three, names=",".join(STDLIB_NAMES), path=""))
    if bench.wanted("thirdparty"):
        case = Case("thirdparty", "cold", three, names=",".join(PACKAGE_IMPORTS), path="")
        folder, why = install_packages()
        if folder:
            case.options["path"] = folder
            cold.append(case)
        else:
            bench.cases[case.id] = case
            bench.case_unavailable[case.id] = why
            print(f"  corpus 4 unavailable: {why}", file=sys.stderr)
    for case in cold:
        print(f"case {case.id}", file=sys.stderr)
        # A native pass writes any missing pycs (and shows that the corpus imports at all),
        # then vendor's probe: it cannot import these corpora (VENDOR_NA).
        bench.once("cpython", case)
        bench.probe("vendor", case, VENDOR_NA)
        bench.run(case)
    return bench


def summarize(bench, row_list):
    """Medians, ratios and target verdicts for every row whose case ran."""
    out = {}

    def median_of(case_id, key, contender):
        values = [r[key] for r in bench.samples.get(case_id, {}).get(contender, ()) if key in r]
        return (statistics.median(values), values) if values else (None, [])

    for row in row_list:
        if row.case not in bench.cases:
            continue
        entry = {
            "label": row.label,
            "unit": row.unit,
            "kind": row.kind,
            "case": row.case,
            "key": row.key,
            "results": {},
        }
        base, _ = median_of(*row.base, "cpython")
        for contender in CONTENDERS:
            if row.only and contender not in row.only:
                continue
            median, values = median_of(row.case, row.key, contender)
            if median is None:
                continue
            result = {"median": median, "runs": values}
            if row.kind == "ratio" and base:
                result["ratio"] = median / base
            entry["results"][contender] = result
        if row.base != (row.case, row.key) and base is not None:
            entry["reference"] = {"case": row.base[0], "key": row.base[1], "cpython": base}
        if row.target:
            kind, limit = row.target
            entry["target"] = {"kind": kind, "max": limit, "met": None}
            mine = entry["results"].get("importspace")
            if mine:
                value = mine.get("ratio") if kind == "ratio" else mine["median"]
                if value is not None:
                    entry["target"]["met"] = value <= limit
        out[row.id] = entry
    return out


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, help="processes per contender and case (default 5)")
    parser.add_argument("--quick", action="store_true", help="3 runs, 50,000 cached statements")
    parser.add_argument("--json", metavar="OUT", help="also write the results as JSON to OUT")
    parser.add_argument("--chart", metavar="OUT", help="also draw a PNG chart (needs matplotlib)")
    parser.add_argument("--strict", action="store_true", help="importspace must run, or exit 1")
    parser.add_argument(
        "--contenders",
        default=",".join(CONTENDERS),
        help="comma-separated subset of " + ",".join(CONTENDERS),
    )
    case_ids = ["warm", "source", "stdlib", "thirdparty", "cached", "memory"]
    case_ids += [f"ns{n}" for n in NAMESPACE_COUNTS]
    parser.add_argument("--cases", help="comma-separated subset of " + ",".join(case_ids))
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
    args.cases = [c.strip() for c in (args.cases or "").split(",") if c.strip()]
    for case_id in args.cases:
        if case_id not in case_ids:
            parser.error(f"unknown case {case_id!r}")
    args.shape = tuple(int(x) for x in args.shape.split(","))
    if len(args.shape) != 3 or min(args.shape) < 1:
        parser.error("--shape needs three positive integers")
    return args


def main(argv=None):
    started = time.perf_counter()
    args = parse_args(argv)
    root = args.tree or tempfile.mkdtemp(prefix="importspace-bench-")
    try:
        tree_modules = len(gen_tree.generate(root, *args.shape))
        slice_modules = len(gen_tree.slice_names(*args.shape))
        print(f"tree: {tree_modules} modules in {root}", file=sys.stderr)
        meta = machine_info(args, tree_modules, slice_modules)
        try:
            bench = measure(args, root, tree_modules, slice_modules)
        except WorkerError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    finally:
        if not args.tree:
            shutil.rmtree(root, ignore_errors=True)

    results = summarize(bench, rows(tree_modules, slice_modules))
    if "floor" in args.contenders and {"stdlib", "thirdparty"} & set(bench.cases):
        bench.notes.append(FLOOR_NA)
    meta["wall_s"] = time.perf_counter() - started
    meta["case_wall_s"] = bench.wall_s
    data = {
        "meta": meta,
        "rows": results,
        "cases": {
            case.id: {
                "worker": case.worker,
                "contenders": [c for c in case.contenders if c in args.contenders],
                "options": {k: v for k, v in case.options.items() if k != "root"},
            }
            for case in bench.cases.values()
        },
        "samples": bench.samples,
        "details": bench.details,
        "unavailable": bench.unavailable,
        "case_unavailable": bench.case_unavailable,
        "not_applicable": bench.not_applicable,
        "errors": bench.errors,
        "notes": bench.notes,
    }
    print(report.markdown(data, args.contenders))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(data, f, indent=2)
            f.write("\n")
    if args.chart:
        print(report.chart(data, args.contenders, args.chart), file=sys.stderr)
    print(f"bench wall time: {meta['wall_s']:.0f} s", file=sys.stderr)
    importspace_failed = "importspace" in bench.unavailable or any(
        key.endswith("/importspace") for key in bench.errors
    )
    return 1 if args.strict and "importspace" in args.contenders and importspace_failed else 0


if __name__ == "__main__":
    sys.exit(main())
