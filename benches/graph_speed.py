"""Static import graph speed: importspace against grimp and `ruff analyze graph`, side by side.

    python benches/graph_speed.py [--runs N] [--quick] [--threads N] [--trees a,b] [--tools a,b]
                                  [--out OUT.json] [--chart OUT.png]

For each tree and each tool, a fresh process (benches/graph_worker.py, run with `-I -S`) builds
the graph of every module of the tree and reports the time and what the graph holds; each figure
is the median over --runs processes (default 5, --quick 3), the tools taking turns within each
round (their order rotated from round to round), after one warm-up round that is not kept (it
fills the page cache and shows that every tool works on every tree). Every worker gets
RAYON_NUM_THREADS=--threads (default 2; importspace sizes each graph's thread pool by it, grimp
and ruff run their parallel work on rayon's global pool) and, on a machine with more CPUs, an
affinity mask of that many CPUs, which also bounds ruff's parallel directory walk.

The tools (pinned, installed at bench time with pip into .cache/graphbench/<python version>/):
* importspace: `Namespace.import_graph(*roots, follow=False)`, which reads every module under
  the roots and resolves each of their imports, in the tree or not;
* grimp (GRIMP): `grimp.build_graph(*roots, cache_dir=None)`; it needs Python 3.11 or newer;
* ruff (RUFF): `ruff analyze graph` over the roots' files, `.pyi` stubs left out (the others read
  only `.py` files).

The trees:
* stdlib-packages: every regular package of this interpreter's standard library (test/ left
  out) as roots. grimp takes only top-level packages, not top-level modules, so this is the
  standard library that all three can be given;
* stdlib: the same plus every top-level module (`os`, `typing`...): the whole standard library
  but test/. grimp is n/a there;
* the largest packages of the real-world corpus (tests/realworld, by number of .py files):
  TREES, pinned, installed with their dependencies (resolved with the corpus's pins,
  tests/realworld/pins/cp3X.txt, as constraints where that file exists), each tree one root.
  Reported unavailable (not a failure) when pip cannot install them.

Each tool finds the files under the roots its own way, so the file counts are shown side by
side: grimp descends only into regular packages, and so does importspace's walk, but
importspace also reads the modules under the roots that those files import (a folder without
`__init__.py` inside a package is a namespace package the import system finds: litellm imports
`litellm.types.utils` from one); ruff reads every `.py` file under the roots, scripts and
examples included.

What is counted, for each tool: the source files in the graph, and internal edges: distinct
(importer, imported) module pairs with both ends in the tree. importspace records what an import
statement imports at run time: `from pkg import mod` gives an edge to `pkg` and one to
`pkg.mod`, where grimp and ruff give only `pkg.mod`; so its count is higher by construction.
As the tools read different files, the edges are also counted from the files that all of them
read (common files), and the goal column compares those.
For importspace also the edges to modules outside the tree (the standard library, other
packages) that it found, and those it did not find.
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

from pip_target import install_once

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
WORKER = os.path.join(HERE, "graph_worker.py")
WORKER_FLAGS = ("-I", "-S")
TOOLS = ("importspace", "grimp", "ruff")
COLORS = {"importspace": "#3b73b9", "grimp": "#8c8c8c", "ruff": "#e39c3b"}

# grimp's newest release (it supports Python 3.11+), and the ruff of the project's lint pin.
GRIMP = ("grimp", "3.19")
RUFF = ("ruff", "0.17.6")
# The largest packages of the real-world corpus by number of .py files, at the corpus's 3.11 pins.
TREES = (
    ("litellm", "1.110.2"),
    ("openai", "3.60.0"),
    ("pandas", "3.1.1"),
    ("scipy", "1.17.1"),
    ("numpy", "2.4.6"),
)
STDLIB_TREES = ("stdlib-packages", "stdlib")
CACHE = os.path.join(REPO, ".cache", "graphbench", platform.python_version())
CORPUS_PINS = os.path.join(
    REPO, "tests", "realworld", "pins", f"cp{sys.version_info[0]}{sys.version_info[1]}.txt"
)
MARKER = ".graphbench-complete"


class WorkerError(Exception):
    pass


def install(folder, pins, no_deps, constraints=None):
    """Install `pins` into `folder` (`pip_target.install_once`), without their dependencies or
    with them resolved under the `constraints` file. Returns None, or why it failed."""
    pip_args = [
        *pins,
        *(["--no-deps"] if no_deps else []),
        *(["-c", constraints] if constraints else []),
    ]
    stamp = "\n".join(pins) + "\n"
    return install_once(folder, pip_args, stamp, MARKER, label=" ".join(pins))


def corpus_constraints(tree_names):
    """A constraints file of the corpus's pins for this Python, less the trees (pinned here), or
    None when the corpus has no pins for it."""
    try:
        with open(CORPUS_PINS) as f:
            lines = [line.split("#")[0].strip() for line in f]
    except OSError:
        return None
    pins = [line for line in lines if line and line.split("==")[0].lower() not in tree_names]
    handle, path = tempfile.mkstemp(prefix="graphbench-constraints-", suffix=".txt")
    with os.fdopen(handle, "w") as f:
        f.write("\n".join(pins) + "\n")
    return path


def importspace_dir():
    """The folder holding the importspace package (workers run without site), or None."""
    import importlib.util

    spec = importlib.util.find_spec("importspace")
    if spec is None or not spec.submodule_search_locations:
        return None
    return os.path.dirname(list(spec.submodule_search_locations)[0])


def stdlib_trees():
    """The two standard library trees: (name, roots, ruff paths), relative to the stdlib folder."""
    lib = os.path.dirname(os.__file__)
    packages, modules = [], []
    for entry in sorted(os.listdir(lib)):
        full = os.path.join(lib, entry)
        if entry == "test":
            continue
        if os.path.isfile(os.path.join(full, "__init__.py")) and entry.isidentifier():
            packages.append(entry)
        elif entry.endswith(".py") and entry[:-3].isidentifier():
            modules.append(entry[:-3])
    top = [f"{name}.py" for name in modules]
    return lib, [
        ("stdlib-packages", packages, packages),
        ("stdlib", packages + modules, packages + top),
    ]


def cpu_mask(threads):
    """The CPUs a worker may run on: `threads` of this process's, or None to leave it as is."""
    try:
        cpus = sorted(os.sched_getaffinity(0))
    except AttributeError:
        return None
    return set(cpus[:threads]) if len(cpus) > threads else None


class Bench:
    def __init__(self, args):
        self.args = args
        self.env = {**os.environ, "RAYON_NUM_THREADS": str(args.threads)}
        self.mask = cpu_mask(args.threads)
        self.trees = {}  # name -> spec (what the worker gets) and description
        self.samples = {}  # tree -> tool -> [worker results]
        self.unavailable = {}  # tool -> why
        self.tree_unavailable = {}  # tree -> why
        self.not_applicable = {}  # tree -> tool -> why
        self.errors = {}  # "tree/tool" -> why
        self.versions = {}

    def preexec(self):
        if self.mask:
            os.sched_setaffinity(0, self.mask)

    def worker(self, tool, spec):
        proc = subprocess.run(
            [sys.executable, *WORKER_FLAGS, WORKER, tool, json.dumps(spec)],
            capture_output=True,
            text=True,
            timeout=600,
            env=self.env,
            preexec_fn=self.preexec if self.mask else None,
        )
        if proc.returncode != 0:
            lines = (proc.stderr or proc.stdout).strip().splitlines()
            raise WorkerError(lines[-1] if lines else f"exit {proc.returncode}")
        return json.loads(proc.stdout.strip().splitlines()[-1])

    def setup(self):
        """Install the tools and trees; fill self.trees with what can run."""
        args = self.args
        tool_paths = {}
        found = importspace_dir()
        if "importspace" in args.tools and not found:
            self.unavailable["importspace"] = "the importspace package is not installed"
        if "grimp" in args.tools:
            folder = os.path.join(CACHE, "grimp")
            why = install(folder, [f"{GRIMP[0]}=={GRIMP[1]}"], no_deps=True)
            if why:
                self.unavailable["grimp"] = why
            tool_paths["tools"] = folder
            self.versions["grimp"] = GRIMP[1]
        if "ruff" in args.tools:
            folder = os.path.join(CACHE, "ruff")
            why = install(folder, [f"{RUFF[0]}=={RUFF[1]}"], no_deps=True)
            if why:
                self.unavailable["ruff"] = why
            tool_paths["ruff"] = os.path.join(folder, "bin", "ruff")
            self.versions["ruff"] = RUFF[1]
        common = {
            "importspace": found or "",
            "tools": tool_paths.get("tools", ""),
            "ruff": tool_paths.get("ruff", ""),
            "target_version": f"py{sys.version_info[0]}{sys.version_info[1]}",
        }

        lib, stdlib = stdlib_trees()
        for name, roots, ruff_paths in stdlib:
            if name in args.trees:
                spec = {**common, "roots": roots, "src": lib, "path": None,
                        "ruff_paths": ruff_paths}  # fmt: skip
                self.trees[name] = {"spec": spec, "roots": len(roots), "pin": None}
        self.not_applicable["stdlib"] = {
            "grimp": "grimp takes top-level packages only (a top-level module raises "
            "NotATopLevelModule); stdlib-packages is the tree all three take"
        }

        wanted = [(name, version) for name, version in TREES if name in args.trees]
        if wanted:
            site = os.path.join(CACHE, "site")
            constraints = corpus_constraints({name for name, _ in wanted})
            pins = [f"{name}=={version}" for name, version in TREES]
            try:
                why = install(site, pins, no_deps=False, constraints=constraints)
            finally:
                if constraints:
                    os.unlink(constraints)
            for name, version in wanted:
                if why:
                    self.tree_unavailable[name] = why
                    continue
                spec = {**common, "roots": [name], "src": site, "path": site,
                        "ruff_paths": [name]}  # fmt: skip
                self.trees[name] = {"spec": spec, "roots": 1, "pin": f"{name}=={version}"}

    def tools_for(self, tree):
        na = self.not_applicable.get(tree, {})
        return [t for t in self.args.tools if t not in self.unavailable and t not in na]

    def once(self, tree, tool, keep):
        key = f"{tree}/{tool}"
        if key in self.errors:
            return
        try:
            result = self.worker(tool, self.trees[tree]["spec"])
        except (WorkerError, subprocess.TimeoutExpired) as exc:
            self.errors[key] = str(exc)
            print(f"  {key}: error ({exc})", file=sys.stderr)
            return
        if keep:
            self.samples.setdefault(tree, {}).setdefault(tool, []).append(result)

    def run(self):
        for round_number in range(self.args.runs + 1):
            warmup = round_number == 0
            for tree in self.trees:
                tools = self.tools_for(tree)
                shift = round_number % len(tools) if tools else 0
                for tool in tools[shift:] + tools[:shift]:
                    self.once(tree, tool, keep=not warmup)
            label = "warm-up" if warmup else f"run {round_number}/{self.args.runs}"
            print(f"  {label} done", file=sys.stderr)


def summarize(bench):
    """Per tree and tool: the medians of the times, and the counts (the same in every run)."""
    out = {}
    for tree, by_tool in bench.samples.items():
        for tool, runs in by_tool.items():
            entry = {
                "build_ms": statistics.median(r["build_ms"] for r in runs),
                "import_ms": statistics.median(r["import_ms"] for r in runs),
                "build_runs": [r["build_ms"] for r in runs],
            }
            counts = {k: v for k, v in runs[0].items() if not k.endswith("_ms")}
            entry.update(counts)
            varying = [k for k in counts if any(r.get(k) != counts[k] for r in runs)]
            for r in runs:  # the per-file lists are compared below, not kept with the samples
                r.pop("read", None), r.pop("pairs", None)
            if varying:
                entry["varying"] = varying
            out.setdefault(tree, {})[tool] = entry
    for by_tool in out.values():
        compare_on_common_files(by_tool)
    return out


def compare_on_common_files(by_tool):
    """Count each tool's internal edges from the files that every tool read (`common_edges`),
    since the tools find different files under the same roots; then drop the per-file lists."""
    common = set.intersection(*(set(entry["read"]) for entry in by_tool.values()))
    for entry in by_tool.values():
        entry["common_files"] = len(common)
        entry["common_edges"] = sum(1 for importer, _ in entry["pairs"] if importer in common)
        del entry["read"], entry["pairs"]


def goal(results):
    """Whether importspace is faster than every other tool and has more internal edges from the
    files that every tool read."""
    mine = results.get("importspace")
    others = [r for tool, r in results.items() if tool != "importspace"]
    if not mine or not others:
        return "–"
    faster = all(mine["build_ms"] < r["build_ms"] for r in others)
    more = all(mine["common_edges"] > r["common_edges"] for r in others)
    return f"{'faster' if faster else '**not faster**'}, {'more' if more else '**not more**'} edges"


def markdown(data):
    meta, tools = data["meta"], data["meta"]["tools"]
    results = data["results"]
    load = meta.get("load_average")
    versions = ", ".join(f"{tool} {version}" for tool, version in meta["versions"].items())
    out = [
        f"Python {meta['python']}, {meta['platform']}, {meta['cpu_count']} CPUs "
        f"({meta['cpus_usable']} usable" + (f", load {load[0]:.1f} at start" if load else "")
        + f"); {meta['threads']} threads (RAYON_NUM_THREADS); {versions}; median of "
        f"{meta['runs']} fresh processes per tool and tree, tools interleaved. Build: the graph "
        "of every module of the tree (importspace and grimp: the call, in the process; ruff: "
        "its whole process). Internal edges: distinct module pairs inside the tree; on common "
        "files: those whose importer is one of the files every tool read (the tools find "
        "different files under the same roots). x importspace: the tool's build time over "
        "importspace's.",
        "",
        "| tree | files: " + " / ".join(tools) + " | internal edges: " + " / ".join(tools)
        + " | common files: internal edges from them | importspace: outside edges found / "
        "not found | " + " | ".join(f"{tool} build (ms)" for tool in tools) + " | goal |",
        "|---|---:|---:|---:|---:|" + "---:|" * len(tools) + "---|",
    ]  # fmt: skip
    for tree, info in data["trees"].items():
        by_tool = results.get(tree, {})

        def cell(tool, key, tree=tree, by_tool=by_tool):
            if tool in by_tool:
                return f"{by_tool[tool][key]:,}"
            if tool in data["unavailable"] or tree in data["tree_unavailable"]:
                return "unavailable"
            if f"{tree}/{tool}" in data["errors"]:
                return "error"
            return "n/a"

        def time_cell(tool, by_tool=by_tool):
            if tool not in by_tool:
                return cell(tool, "build_ms")
            text = f"{by_tool[tool]['build_ms']:.0f}"
            mine = by_tool.get("importspace")
            if tool != "importspace" and mine:
                text += f" ({by_tool[tool]['build_ms'] / mine['build_ms']:.1f}x)"
            return text

        mine = by_tool.get("importspace")
        outside = f"{mine['outside_edges']:,} / {mine['missing_edges']:,}" if mine else "–"
        common = (
            f"{mine['common_files']:,}: " + " / ".join(cell(t, "common_edges") for t in tools)
            if mine
            else "–"
        )
        label = tree + (f" ({info['pin'].split('==')[1]})" if info["pin"] else "")
        out.append(
            f"| {label} | " + " / ".join(cell(t, "modules") for t in tools)
            + " | " + " / ".join(cell(t, "internal_edges") for t in tools)
            + f" | {common} | {outside} | " + " | ".join(time_cell(t) for t in tools)
            + f" | {goal(by_tool)} |"
        )  # fmt: skip
    notes = []
    imports = {}
    for by_tool in results.values():
        for tool, entry in by_tool.items():
            if tool != "ruff":
                imports.setdefault(tool, []).append(entry["import_ms"])
    if imports:
        notes.append(
            "importing the tool's package, not in the build times: "
            + ", ".join(f"{t} {statistics.median(v):.0f} ms" for t, v in imports.items())
        )
    for tree, by_tool in results.items():
        files = [entry["modules"] for entry in by_tool.values()]
        if files and min(files) < 0.95 * max(files):
            per_file = ", ".join(
                f"{tool} {by_tool[tool]['build_ms'] / by_tool[tool]['modules'] * 1000:.0f} ms"
                for tool in tools
                if by_tool.get(tool, {}).get("modules")
            )
            notes.append(f"{tree}: the tools read different numbers of files; per 1,000 files: "
                         f"{per_file}")  # fmt: skip
        mine = by_tool.get("importspace")
        if mine and mine.get("problems"):
            problems = mine["problems"]
            shown = ", ".join(problems[:5]) + (", ..." if len(problems) > 5 else "")
            notes.append(f"{tree}: importspace could not read {len(problems)} modules: {shown}")
        for tool, entry in by_tool.items():
            if entry.get("varying"):
                notes.append(f"{tree}/{tool}: counts varied between runs: {entry['varying']}")
    notes += [f"{tool}: unavailable: {why}" for tool, why in data["unavailable"].items()]
    notes += [f"{tree}: unavailable: {why}" for tree, why in data["tree_unavailable"].items()]
    notes += [
        f"{tree}, {tool}: n/a: {why}"
        for tree, by_tool in data["not_applicable"].items()
        if tree in data["trees"]
        for tool, why in by_tool.items()
        if tool in tools
    ]
    notes += [f"{key}: error: {why}" for key, why in data["errors"].items()]
    if notes:
        out.append("")
        out.extend(f"- {line}" for line in notes)
    return "\n".join(out)


def chart(data, path):
    """Build times (log scale) and internal edges per tree, one bar per tool."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import FuncFormatter
    except ImportError:
        return f"chart skipped: matplotlib is not installed (pip install matplotlib) for {path}"
    results = data["results"]
    trees = [t for t in data["trees"] if results.get(t)]
    tools = data["meta"]["tools"]
    if not trees:
        return "chart skipped: nothing measured"
    width = 0.8 / len(tools)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(max(8, 1.3 * len(trees) + 3), 9))
    panels = ((top, "build_ms", "build time (ms, log scale)"),
              (bottom, "common_edges", "internal edges from the files all read"))  # fmt: skip
    for ax, key, ylabel in panels:
        for i, tool in enumerate(tools):
            xs, ys = [], []
            for x, tree in enumerate(trees):
                entry = results[tree].get(tool)
                if entry:
                    xs.append(x - 0.4 + width * (i + 0.5))
                    ys.append(entry[key])
            ax.bar(xs, ys, width, label=tool, color=COLORS.get(tool))
            for x, y in zip(xs, ys):
                text = f"{y:.0f}" if key == "build_ms" else f"{y:,}"
                ax.annotate(text, (x, y), ha="center", va="bottom", fontsize=6, rotation=90,
                            xytext=(0, 2), textcoords="offset points")  # fmt: skip
        if key == "build_ms":
            ax.set_yscale("log")
            plain = FuncFormatter(lambda y, _pos: f"{y:g}")
            ax.yaxis.set_major_formatter(plain)
            ax.yaxis.set_minor_formatter(plain)
            ax.tick_params(axis="y", which="minor", labelsize=7)
        ax.set_ylabel(ylabel)
        ax.set_xticks(range(len(trees)))
        ax.set_xticklabels(trees, fontsize=8)
        ax.margins(y=0.15)
        ax.legend(fontsize=8)
    meta = data["meta"]
    fig.suptitle(
        f"Static import graph, Python {meta['python']}, {meta['threads']} threads, "
        f"median of {meta['runs']} processes (lower time, more edges is better)",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return f"chart written to {os.path.abspath(path)}"


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    all_trees = list(STDLIB_TREES) + [name for name, _ in TREES]
    parser.add_argument("--runs", type=int, help="processes per tool and tree (default 5)")
    parser.add_argument("--quick", action="store_true", help="3 runs")
    parser.add_argument("--threads", type=int, default=2, help="RAYON_NUM_THREADS (default 2)")
    parser.add_argument("--trees", help="comma-separated subset of " + ",".join(all_trees))
    parser.add_argument("--tools", help="comma-separated subset of " + ",".join(TOOLS))
    parser.add_argument("--out", metavar="OUT", help="also write the results as JSON to OUT")
    parser.add_argument("--chart", metavar="OUT", help="also draw a PNG chart (needs matplotlib)")
    args = parser.parse_args(argv)
    if args.runs is None:
        args.runs = 3 if args.quick else 5
    if args.runs < 1 or args.threads < 1:
        parser.error("--runs and --threads must be positive")
    for option, known in (("trees", all_trees), ("tools", TOOLS)):
        value = getattr(args, option)
        chosen = [x.strip() for x in value.split(",") if x.strip()] if value else list(known)
        for item in chosen:
            if item not in known:
                parser.error(f"unknown {option[:-1]} {item!r}")
        setattr(args, option, [x for x in known if x in chosen])
    return args


def main(argv=None):
    started = time.perf_counter()
    args = parse_args(argv)
    bench = Bench(args)
    bench.setup()
    bench.run()
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    meta = {
        "python": platform.python_version(),
        "executable": sys.executable,
        "worker_flags": list(WORKER_FLAGS),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": usable,
        "threads": args.threads,
        "cpu_mask": sorted(bench.mask) if bench.mask else None,
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "runs": args.runs,
        "tools": args.tools,
        "versions": bench.versions,
        "wall_s": time.perf_counter() - started,
    }
    data = {
        "meta": meta,
        "trees": {
            name: {"roots": info["roots"], "pin": info["pin"]} for name, info in bench.trees.items()
        },
        "results": summarize(bench),
        "samples": bench.samples,
        "unavailable": bench.unavailable,
        "tree_unavailable": bench.tree_unavailable,
        "not_applicable": bench.not_applicable,
        "errors": bench.errors,
    }
    for name, version in TREES:
        if name in bench.tree_unavailable:
            data["trees"][name] = {"roots": 1, "pin": f"{name}=={version}"}
    print(markdown(data))
    if args.out:
        with open(args.out, "w") as f:
            json.dump(data, f, indent=2)
            f.write("\n")
    if args.chart:
        print(chart(data, args.chart), file=sys.stderr)
    print(f"graph bench wall time: {meta['wall_s']:.0f} s", file=sys.stderr)
    return 1 if any(key.endswith("/importspace") for key in bench.errors) else 0


if __name__ == "__main__":
    sys.exit(main())
