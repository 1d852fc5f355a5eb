"""Benchmark harness: CPython's own import vs the import floor vs vendor-importlib vs importspace.

    python benches/run.py [--runs N] [--quick] [--json OUT.json] [--chart OUT.png] [--strict]
                          [--contenders cpython,floor,vendor,importspace] [--cases warm,...]
                          [--cached-n N] [--cli-runs N] [--tree DIR] [--shape P,S,M]

Every measurement runs in a fresh subprocess of this same interpreter (benches/worker.py), started
with ``-I -S`` for every contender alike; each figure is the median over --runs processes
(default 5, --quick 3), and the ratio is contender / cpython, so lower is better. Corpus 8 times
whole command-line processes instead (no worker), median of --cli-runs rounds (10, --quick 5).

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
* realworld:   corpus 4b (issue 14), a larger corpus 4 from the real-world corpus: the
               distributions of REALWORLD (43 of tests/realworld/corpus.py's, compiled ones
               included: pydantic-core, pyyaml, markupsafe, charset-normalizer, multidict,
               yarl, propcache, frozenlist, wrapt, rpds-py, cffi, cryptography) at the versions
               that tests/realworld/pins/cp3X.txt pins for this interpreter, installed at bench
               time with their dependencies (pip resolves them with those pins as constraints;
               one installed at a version not pinned there makes the corpus unavailable) into
               .cache/bench-packages/<python version>-realworld, with a marker for a complete
               install; unavailable without a network, like corpus 4. Their names imported
               cold, pycs present, like corpus 4; the report also lists the names that took
               cpython longest (each name's own time, in import order);
* realkth:     corpus 6b (issue 14), the k-th namespace on real packages: REALWORLD_NAMESPACES
               (10) namespaces kept alive in one process, each importing the names of corpus
               4b's distributions that load in every namespace (not those whose extension
               modules use single-phase init, or fall back to pure Python in a later namespace:
               see REALWORLD), each with the interpreter's sys.path behind the packages (so each
               runs its own copy of the standard library modules they need); first, k-th
               (median of the 2nd to the 10th), k-th / first, and each as a ratio to cpython's
               own import of the same names in a fresh process. A later namespace that loads
               other modules than the first is an error;
* cli:         corpus 8 (issue 14), process start to the first line of output, and to the exit,
               of the command-line tools of CLI_TOOLS (pip, pytest, pygmentize, uvicorn, from
               corpus 4b's install): ``python -m TOOL ARGS`` against ``python -m importspace run
               -m TOOL ARGS``, whole processes of this interpreter with its defaults (site on,
               PYTHONPATH the install folder then the importspace package's, no other PYTHON*
               variable, an empty working folder); a warm-up of each first, then rounds in which
               every tool runs once per contender, the contenders' order alternating;
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

vendor cannot import corpora 3, 4 and 4b (C code that imports through PyImport_Import reads the
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
from pip_target import install_once  # noqa: E402

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

# Corpus 4b: distributions of the real-world corpus (tests/realworld/corpus.py), at the versions
# pinned for this interpreter in tests/realworld/pins/cp3X.txt, installed at bench time into
# REALWORLD_DIR with their dependencies (resolved by pip under those pins as constraints). Per
# distribution: the names imported, in this order, and whether it loads in every namespace of a
# process (the k-th namespace case, 6b). Those that do not: charset-normalizer (compiled with
# mypyc, single-phase init: a second namespace is refused it, and requests with it), pyyaml
# (_yaml, single-phase: a later namespace's yaml would fall back to pure Python, another
# workload), and propcache, frozenlist and yarl (one extension each that a later namespace is
# refused; their fallback to pure Python is another workload again). Packages of the corpus
# left out: those that do not import in a namespace, or only partly (docs/realworld.md); the
# very large ones (scipy, pandas, litellm, awscli: one of them would be most of the corpus).
# numpy is in 4b but not in 6b: its `_multiarray_umath` is initialised once per process.
REALWORLD = (
    ("typing-extensions", ("typing_extensions",), True),
    ("six", ("six",), True),
    ("numpy", ("numpy",), False),
    ("certifi", ("certifi",), True),
    ("idna", ("idna",), True),
    ("urllib3", ("urllib3",), True),
    ("charset-normalizer", ("charset_normalizer",), False),
    ("requests", ("requests",), False),
    ("packaging", ("packaging.version", "packaging.specifiers", "packaging.requirements"), True),
    ("attrs", ("attrs",), True),
    ("python-dateutil", ("dateutil.parser", "dateutil.tz"), True),
    ("pyyaml", ("yaml",), False),
    ("markupsafe", ("markupsafe",), True),
    ("jinja2", ("jinja2",), True),
    ("click", ("click",), True),
    ("pygments", ("pygments", "pygments.lexers.python", "pygments.formatters.html"), True),
    ("mdurl", ("mdurl",), True),
    ("markdown-it-py", ("markdown_it",), True),
    ("rich", ("rich.console", "rich.table", "rich.progress"), True),
    ("annotated-types", ("annotated_types",), True),
    ("pydantic-core", ("pydantic_core",), True),
    ("typing-inspection", ("typing_inspection.introspection",), True),
    ("pydantic", ("pydantic", "pydantic.main"), True),
    ("multidict", ("multidict",), True),
    ("propcache", ("propcache",), False),
    ("yarl", ("yarl",), False),
    ("frozenlist", ("frozenlist",), False),
    ("sniffio", ("sniffio",), True),
    ("h11", ("h11",), True),
    ("anyio", ("anyio",), True),
    ("httpcore", ("httpcore",), True),
    ("httpx", ("httpx",), True),
    ("jmespath", ("jmespath",), True),
    ("platformdirs", ("platformdirs",), True),
    ("filelock", ("filelock",), True),
    ("wrapt", ("wrapt",), True),
    ("pyparsing", ("pyparsing",), True),
    ("rpds-py", ("rpds",), True),
    ("referencing", ("referencing",), True),
    ("jsonschema-specifications", ("jsonschema_specifications",), True),
    ("jsonschema", ("jsonschema",), True),
    ("pycparser", ("pycparser",), True),
    ("cffi", ("cffi",), True),
    ("cryptography", ("cryptography.fernet", "cryptography.x509"), True),
)
# Corpus 8: command-line tools of the real-world corpus, run as `python -m MODULE ARGS` and as
# `python -m importspace run -m MODULE ARGS`: (label, distribution, module, args).
CLI_TOOLS = (
    ("pip --version", "pip", "pip", ("--version",)),
    ("pytest --version", "pytest", "pytest", ("--version",)),
    ("pygmentize -V", "pygments", "pygments", ("-V",)),
    ("uvicorn --version", "uvicorn", "uvicorn", ("--version",)),
)
REALWORLD_PINS = os.path.join(
    REPO, "tests", "realworld", "pins", f"cp{sys.version_info[0]}{sys.version_info[1]}.txt"
)
REALWORLD_DIR = os.path.join(
    REPO, ".cache", "bench-packages", platform.python_version() + "-realworld"
)
# How many namespaces case 6b keeps alive in one process.
REALWORLD_NAMESPACES = 10

# The many-namespaces case: how many namespaces in one process.
NAMESPACE_COUNTS = (1, 10, 50)

FLOOR_NA = (
    "floor: n/a for corpora 3, 4 and 4b, whose modules import each other in cycles (a body runs "
    "while another is half executed) and include extension and built-in modules: executing them "
    "in dependency order without an import function is not possible, and with one it would be "
    "an importer, not a floor."
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
    (importspace's value at most x), from issues 5 and 14.
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


def rows(tree_modules, slice_modules, realworld):
    """Every row of the report, in order; labels start with the corpus number of issue 5 (4b,
    6b and 8: issue 14's). ``realworld``: the counts of corpus 4b (names, distributions) and
    6b's (names, distributions)."""
    tree = f"{tree_modules:,}"
    (cold_names, cold_dists), (kth_names, kth_dists) = realworld
    kth = f"6b: {REALWORLD_NAMESPACES} namespaces x {kth_dists} real-world packages"
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
            "ms", "ratio", target=("ratio", 0.8)),
        Row("thirdparty", "loaded", "4: modules loaded while timing", "modules", "count"),
        Row("thirdparty", "preloaded", "4: modules loaded before timing", "modules", "count"),
        Row("realworld", "import_ms",
            f"4b: import {cold_names} modules of {cold_dists} real-world packages cold", "ms",
            "ratio", target=("ratio", 0.8)),
        Row("realworld", "loaded", "4b: modules loaded while timing", "modules", "count"),
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
        Row("realkth", "first_ms", f"{kth}: first (cpython: own import)", "ms", "ratio"),
        Row("realkth", "kth_ms", f"{kth}: k-th (median of 2nd-{REALWORLD_NAMESPACES}th)", "ms",
            "ratio", target=("ratio", 0.35), base=("realkth", "first_ms")),
        Row("realkth", "kth_over_first", f"{kth}: k-th / first", "x", "self"),
        Row("realkth", "modules", f"6b: modules each namespace loads ({kth_names} imported)",
            "modules", "count"),
    ]
    out += [
        Row("memory", "empty_rss_kib", "7: empty namespace, RSS each", "KiB", "value"),
        Row("memory", "empty_traced_kib", "7: empty namespace, tracemalloc each", "KiB",
            "value"),
        Row("warm", "rss_mib", f"7: RSS growth, (namespace +) {tree} modules", "MiB", "ratio"),
        Row("memory", "tree_traced_mib", f"7: tracemalloc growth, (namespace +) {tree} modules",
            "MiB", "ratio"),
    ]
    for label, _dist, module, _args in CLI_TOOLS:
        out += [
            Row("cli", f"{module}_first_ms", f"8: `{label}`, start to first line", "ms",
                "ratio", target=("ratio", 1.0)),
            Row("cli", f"{module}_exit_ms", f"8: `{label}`, whole process", "ms", "ratio"),
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
    """Install PACKAGES and DEPENDENCIES into PACKAGES_DIR (`pip_target.install_once`), each
    pinned and without dependencies of its own. Returns (folder, None), or (None, why) when pip
    fails (no network, no wheel)."""
    pins = [f"{name}=={version}" for name, version in PACKAGES + DEPENDENCIES]
    why = install_once(
        PACKAGES_DIR,
        ["--no-deps", *pins],
        "\n".join(pins) + "\n",
        PACKAGES_MARKER,
        label=" ".join(pins),
        timeout=600,
    )
    return (None, why) if why else (PACKAGES_DIR, None)


def normalize(name):
    """A distribution name as PEP 503 compares them."""
    return "-".join(name.replace("_", "-").replace(".", "-").split("-")).lower()


def read_pins(path):
    """``{normalized name: "name==version"}`` from a pins file of the real-world corpus."""
    pins = {}
    with open(path) as f:
        for line in f:
            body = line.partition("#")[0].strip()
            if body:
                name, _, version = body.partition("==")
                pins[normalize(name)] = f"{name.strip()}=={version.strip()}"
    return pins


def realworld_plan():
    """``(requirements, dropped)``: the pins of REALWORLD's and CLI_TOOLS' distributions for
    this interpreter, and the distributions its pins file does not hold (left out)."""
    try:
        pins = read_pins(REALWORLD_PINS)
    except OSError:
        pins = {}
    wanted = [dist for dist, _names, _kth in REALWORLD]
    wanted += [dist for _label, dist, _module, _args in CLI_TOOLS if dist not in wanted]
    requirements = [pins[normalize(d)] for d in wanted if normalize(d) in pins]
    dropped = [d for d in wanted if normalize(d) not in pins]
    return requirements, dropped


def installed_distributions(folder):
    """``{normalized name: version}`` of the distributions pip installed into ``folder``."""
    found = {}
    for entry in os.listdir(folder):
        if entry.endswith(".dist-info"):
            name, _, version = entry[: -len(".dist-info")].partition("-")
            found[normalize(name)] = version
    return found


def install_realworld():
    """Install corpus 4b's and 8's distributions into REALWORLD_DIR, their dependencies resolved
    by pip with the real-world pins as constraints (so every installed distribution is pinned),
    unless a complete install of the same requirements and pins is there.

    Returns ``(folder, notes, None)`` or ``(None, notes, why)`` when pip fails (no network).
    The marker holds the requirements and the pins file's lines: a different pin reinstalls.
    """
    requirements, dropped = realworld_plan()
    notes = [
        f"4b/8: {d} is not in {os.path.relpath(REALWORLD_PINS, REPO)}: left out" for d in dropped
    ]
    if not requirements:
        return None, notes, f"no pins for this interpreter ({REALWORLD_PINS})"
    with open(REALWORLD_PINS) as f:
        pins_text = f.read()
    stamp = "\n".join(requirements) + "\n--- pins\n" + pins_text
    pins = read_pins(REALWORLD_PINS)

    def all_pinned(partial):
        unpinned = [
            f"{name}=={version}"
            for name, version in installed_distributions(partial).items()
            if pins.get(name, "").partition("==")[2] != version
        ]
        return (
            "pip installed distributions not pinned: " + ", ".join(unpinned) if unpinned else None
        )

    why = install_once(
        REALWORLD_DIR,
        ["-c", REALWORLD_PINS, *requirements],
        stamp,
        PACKAGES_MARKER,
        label=f"{len(requirements)} distributions",
        check=all_pinned,
    )
    if why:
        return None, notes, why
    return REALWORLD_DIR, notes, None


def realworld_names(folder, kth_only=False):
    """The names corpus 4b imports (6b: only those of distributions that load in every
    namespace), for the distributions installed in ``folder``."""
    installed = installed_distributions(folder)
    return [
        name
        for dist, names, kth in REALWORLD
        if normalize(dist) in installed and (kth or not kth_only)
        for name in names
    ]


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
        "realworld_pins": os.path.relpath(REALWORLD_PINS, REPO),
        "realworld_packages": realworld_plan()[0],
        "realworld_namespaces": REALWORLD_NAMESPACES,
        "cli_runs": args.cli_runs,
        "cli_tools": [
            {"label": label, "module": module, "args": list(tool_args)}
            for label, _dist, module, tool_args in CLI_TOOLS
        ],
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


def cli_command(contender, module, tool_args):
    """The command line of corpus 8 for a contender: python's own ``-m`` or importspace's
    ``run -m``, with the interpreter's defaults (``site`` on, as a user runs a tool)."""
    if contender == "cpython":
        return [sys.executable, "-m", module, *tool_args]
    return [sys.executable, "-m", "importspace", "run", "-m", module, *tool_args]


def cli_once(command, env, cwd):
    """Run ``command`` as a whole process: ``(ms to its first line of output, ms to its exit,
    that first line)``; stderr goes into the same pipe. Raises WorkerError if it fails."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                            cwd=cwd, stdin=subprocess.DEVNULL)  # fmt: skip
    first = proc.stdout.readline()
    t_first = time.perf_counter()
    rest = proc.stdout.read()
    proc.stdout.close()
    status = proc.wait()
    t_exit = time.perf_counter()
    if status != 0:
        text = (first + rest).decode(errors="replace").strip().splitlines()
        raise WorkerError(f"{' '.join(command[1:])}: exit {status}: {text[-1] if text else ''}")
    return (t_first - t0) * 1e3, (t_exit - t0) * 1e3, first.decode(errors="replace").strip()


def measure_cli(bench, case, site, runs):
    """Corpus 8: each tool of CLI_TOOLS as a whole process, cpython's ``python -m TOOL`` and
    importspace's ``python -m importspace run -m TOOL``, one warm-up each (it writes the pycs),
    then ``runs`` rounds; in each round every tool runs once per contender, the contenders'
    order alternating from round to round. The processes see PYTHONPATH=SITE (then the folder
    of the importspace package) and no other PYTHON* variable, and run in an empty folder."""
    bench.cases[case.id] = case
    started = time.perf_counter()
    contenders = bench.contenders(case)
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    env["PYTHONPATH"] = os.pathsep.join([site, bench.common.get("importspace", "")]).rstrip(
        os.pathsep
    )
    samples = bench.samples.setdefault(case.id, {})
    with tempfile.TemporaryDirectory(prefix="importspace-cli-") as cwd:
        for contender in contenders:
            for _label, _dist, module, tool_args in CLI_TOOLS:
                try:
                    cli_once(cli_command(contender, module, tool_args), env, cwd)
                except WorkerError as exc:
                    if contender in REQUIRED:
                        raise
                    bench.errors[f"{case.id}/{contender}"] = str(exc)
                    print(f"  {contender}: error ({exc})", file=sys.stderr)
        contenders = [c for c in contenders if f"{case.id}/{c}" not in bench.errors]
        first_lines = {}
        for run in range(runs):
            results = {c: {"contender": c, "case": case.id} for c in contenders}
            for _label, _dist, module, tool_args in CLI_TOOLS:
                order = contenders if run % 2 == 0 else contenders[::-1]
                for contender in order:
                    if contender not in results:
                        continue
                    try:
                        first_ms, exit_ms, line = cli_once(
                            cli_command(contender, module, tool_args), env, cwd
                        )
                    except WorkerError as exc:
                        if contender in REQUIRED:
                            raise
                        bench.errors[f"{case.id}/{contender}"] = str(exc)
                        print(f"  {contender}: error ({exc})", file=sys.stderr)
                        del results[contender]
                        contenders = [c for c in contenders if c != contender]
                        continue
                    results[contender][f"{module}_first_ms"] = first_ms
                    results[contender][f"{module}_exit_ms"] = exit_ms
                    first_lines.setdefault(module, {})[contender] = line
            for contender, result in results.items():
                samples.setdefault(contender, []).append(result)
            print(f"  {case.id}: round {run + 1}/{runs} done", file=sys.stderr)
    for module, lines in first_lines.items():
        if len(set(lines.values())) > 1:
            bench.notes.append(f"8: {module}'s first line differs between contenders: {lines}")
    bench.wall_s[case.id] = time.perf_counter() - started


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

    realworld_cases = [
        Case("realworld", "cold", three, path=""),
        Case("realkth", "kth", ("cpython", "importspace"), path="", count=REALWORLD_NAMESPACES),
        Case("cli", "cli", ("cpython", "importspace")),
    ]
    realworld_cases = [case for case in realworld_cases if bench.wanted(case.id)]
    if realworld_cases:
        folder, notes, why = install_realworld()
        bench.notes += notes
        for case in realworld_cases:
            if not folder:
                bench.cases[case.id] = case
                bench.case_unavailable[case.id] = why
                print(f"  {case.id} unavailable: {why}", file=sys.stderr)
                continue
            print(f"case {case.id}", file=sys.stderr)
            if case.id == "cli":
                measure_cli(bench, case, folder, args.cli_runs)
                continue
            case.options["path"] = folder
            case.options["names"] = ",".join(realworld_names(folder, case.id == "realkth"))
            # A native pass writes any missing pycs and shows that the corpus imports at all.
            bench.once("cpython", case)
            if case.id == "realworld":
                bench.probe("vendor", case, VENDOR_NA)
            bench.run(case)

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


def realworld_counts(bench):
    """``((names, distributions) of corpus 4b, (names, distributions) of 6b)``: of what the
    cases imported, else of what they would import."""
    out = []
    for case_id, kth_only in (("realworld", False), ("realkth", True)):
        case = bench.cases.get(case_id)
        names = case.options["names"].split(",") if case and case.options.get("names") else None
        chosen = [
            (dist, dist_names)
            for dist, dist_names, kth in REALWORLD
            if (kth or not kth_only) and (names is None or set(dist_names) <= set(names))
        ]
        out.append((sum(len(n) for _, n in chosen), len(chosen)))
    return tuple(out)


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
    case_ids = ["warm", "source", "stdlib", "thirdparty", "realworld", "realkth", "cli"]
    case_ids += ["cached", "memory"]
    case_ids += [f"ns{n}" for n in NAMESPACE_COUNTS]
    parser.add_argument("--cases", help="comma-separated subset of " + ",".join(case_ids))
    parser.add_argument("--cached-n", type=int, help="statements per cached loop (200,000)")
    parser.add_argument(
        "--cli-runs", type=int, help="rounds of corpus 8's command lines (default 10, --quick 5)"
    )
    parser.add_argument("--tree", help="generate the tree here and keep it (default: a temp dir)")
    parser.add_argument(
        "--shape",
        default="10,10,20",
        help="packages,subpackages,modules of the generated tree (default 10,10,20)",
    )
    args = parser.parse_args(argv)
    if args.runs is None:
        args.runs = 3 if args.quick else 5
    if args.cli_runs is None:
        args.cli_runs = 5 if args.quick else 10
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

    results = summarize(bench, rows(tree_modules, slice_modules, realworld_counts(bench)))
    if "floor" in args.contenders and {"stdlib", "thirdparty", "realworld"} & set(bench.cases):
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
