"""One measurement of benches/graph_speed.py, in a fresh process: build one tree's import graph
with one tool, time it, then count what the graph holds.

    python -I -S benches/graph_worker.py TOOL SPEC_JSON

TOOL is importspace, grimp or ruff. SPEC_JSON (written by graph_speed.py) gives the tree's roots
(top-level module and package names), the folder that holds them (`src`), the folder on sys.path
for it (`path`, or null for the standard library), where the tools are (`tools`, `ruff`,
`importspace`) and the interpreter's `target_version` for ruff. Prints one JSON line:

* import_ms: importing the tool's Python package (0 for ruff, a separate program);
* build_ms:  building the graph of every module under the roots:
  - importspace: `Namespace(path=...).import_graph(*roots, follow=False)`: reads the modules
    under the roots and resolves every import they make, inside the tree or not;
  - grimp: `grimp.build_graph(*roots, cache_dir=None)` (no cache; external packages left out,
    its default);
  - ruff: the whole `ruff analyze graph` process, JSON output included (it has no other API);
* modules: the source files in the graph, and read: their module names; internal_edges:
  distinct (importer, imported) module pairs with both ends in the tree, and pairs: the pairs
  themselves (graph_speed.py compares them on the files every tool read); for importspace also
  outside_edges (distinct pairs whose imported module lies outside the tree and was found),
  missing_edges (not found), sites (import sites, all of them) and problems (the modules whose
  imports could not be read).
"""

import json
import os
import subprocess
import sys
import time


def within(name, roots):
    """Whether the dotted `name` is one of `roots` or under one."""
    while True:
        if name in roots:
            return True
        if "." not in name:
            return False
        name = name.rpartition(".")[0]


def inside_pairs(pairs, roots):
    """The distinct (importer, imported) pairs with both ends under `roots`, sorted."""
    return sorted({(a, b) for a, b in pairs if a != b and within(a, roots) and within(b, roots)})


def run_importspace(spec, roots):
    path = ([spec["path"]] if spec["path"] else []) + sys.path
    started = time.perf_counter()
    sys.path.insert(0, spec["importspace"])
    import importspace

    imported = time.perf_counter()
    graph = importspace.Namespace(path=path).import_graph(*spec["roots"], follow=False)
    built = time.perf_counter()

    modules = {m.name: m for m in graph.modules}

    def in_tree(name):
        return within(name, roots)

    files = [m for m in modules.values() if in_tree(m.name) and (m.file or "").endswith(".py")]
    inside, outside, missing = set(), set(), set()
    for edge in graph.edges:
        if not in_tree(edge.importer) or edge.importer == edge.imported:
            continue
        pair = (edge.importer, edge.imported)
        if modules[edge.imported].kind == "missing":
            missing.add(pair)
        elif in_tree(edge.imported):
            inside.add(pair)
        else:
            outside.add(pair)
    return {
        "import_ms": (imported - started) * 1e3,
        "build_ms": (built - imported) * 1e3,
        "modules": len(files),
        "internal_edges": len(inside),
        "read": sorted(m.name for m in files),
        "pairs": sorted(inside),
        "outside_edges": len(outside),
        "missing_edges": len(missing),
        "sites": len(graph.edges),
        "namespace_packages": sum(
            m.kind == "namespace" for m in modules.values() if in_tree(m.name)
        ),
        "problems": sorted(m.name for m in files if m.problem is not None),
    }


def run_grimp(spec, roots):
    started = time.perf_counter()
    sys.path.insert(0, spec["tools"])
    if spec["path"]:
        sys.path.insert(0, spec["path"])
    import grimp

    imported = time.perf_counter()
    graph = grimp.build_graph(*spec["roots"], cache_dir=None)
    built = time.perf_counter()

    pairs = [
        (importer, imported_name)
        for importer in graph.modules
        for imported_name in graph.find_modules_directly_imported_by(importer)
    ]
    inside = inside_pairs(pairs, roots)
    return {
        "import_ms": (imported - started) * 1e3,
        "build_ms": (built - imported) * 1e3,
        "modules": len(graph.modules),
        "internal_edges": len(inside),
        "read": sorted(graph.modules),
        "pairs": inside,
    }


def module_name(relative):
    """`a/b/__init__.py` -> `a.b`; `a/b/c.pyi` -> `a.b.c`."""
    stem = relative.rsplit(".", 1)[0]
    parts = stem.replace(os.sep, "/").split("/")
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def run_ruff(spec, roots):
    command = [
        spec["ruff"], "analyze", "graph", "--isolated", "--type-checking-imports",
        "--target-version", spec["target_version"],
        # The other two read .py files only; ruff would also read the .pyi stubs.
        "--config", "extend-exclude = ['*.pyi']",
        *spec["ruff_paths"],
    ]  # fmt: skip
    started = time.perf_counter()
    proc = subprocess.run(command, cwd=spec["src"], capture_output=True, text=True)
    built = time.perf_counter()
    if proc.returncode != 0:
        raise SystemExit(f"ruff exited {proc.returncode}: {proc.stderr.strip()[-500:]}")
    found = json.loads(proc.stdout)
    src = spec["src"]

    def name(path):
        if os.path.isabs(path):
            path = os.path.relpath(path, src)
        return module_name(path)

    pairs = [(name(f), name(d)) for f, deps in found.items() for d in deps]
    inside = inside_pairs(pairs, roots)
    return {
        "import_ms": 0.0,
        "build_ms": (built - started) * 1e3,
        "modules": len(found),
        "internal_edges": len(inside),
        "read": sorted(name(f) for f in found),
        "pairs": inside,
    }


TOOLS = {"importspace": run_importspace, "grimp": run_grimp, "ruff": run_ruff}


def main():
    tool, spec = sys.argv[1], json.loads(sys.argv[2])
    result = TOOLS[tool](spec, frozenset(spec["roots"]))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
