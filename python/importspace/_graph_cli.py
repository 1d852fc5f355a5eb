"""`python -m importspace graph` and `python -m importspace check`: the static import graph
(`Namespace.import_graph`) from the command line.

    python -m importspace graph [--path P]... [--format text|json|dot] [--no-type-checking]
                                [--no-follow] MODULE...
    python -m importspace check [--path P]... [--share NAME]... MODULE...

The path is the `--path` entries in order followed by the standard library's directories (the
questions are about a plugin and its dependencies; the standard library is always there), else
the host's `sys.path` (whose first entry is the current directory, as for `python -m`).

`graph` prints the modules and their import sites (`text`: one module per line, then each site
with its line and context; `json` and `dot`: `ImportGraph.to_json()` / `to_dot()`). It reads
what the modules import transitively unless `--no-follow` is given.

`check` is a plugin preflight. It looks at what importing each MODULE runs, that is everything
reached through import sites that run at import time, skipping sites in functions, under
`if TYPE_CHECKING:` and `lazy` ones. It lists:

- the compiled extensions it would load, flagging those whose file shows single-phase
  initialisation, which CPython runs once per process. Those outside the standard library
  (whose single-phase modules importspace already handles) and not shared with `--share` work
  in one namespace only;
- missing dependencies, split into required (a plain module-level import by a module that
  importing MODULE always runs) and optional (under `try/except ImportError` or under another
  `if`, or imported by a module that is itself reached only through such an import);
- files that do not decode or parse.

It exits with 1 when a MODULE is not found, a required dependency is missing, or a reached
file does not parse; with 0 otherwise. Usage errors exit with 2.
"""

import os
import sys

import importspace

GRAPH_USAGE = (
    "usage: python -m importspace graph [--path P]... [--format text|json|dot] "
    "[--no-type-checking] [--no-follow] MODULE..."
)
CHECK_USAGE = "usage: python -m importspace check [--path P]... [--share NAME]... MODULE..."

# Import sites that do not run when the module is imported.
NOT_AT_IMPORT = ("deferred", "type_checking", "lazy")
# Import sites whose failure the module expects, or that run only on some systems.
SOFT = ("optional", "conditional")


class UsageError(Exception):
    """A command line these commands do not accept."""


def parse(command, argv):
    """`{"path": [...], "share": [...], "format": str, "type_checking": bool, "follow": bool,
    "modules": [...]}` from the arguments after the command name, or None for `--help`."""
    options = {
        "path": [],
        "share": [],
        "format": "text",
        "type_checking": True,
        "follow": True,
        "modules": [],
    }
    valued = {"--path": "path"}
    if command == "graph":
        valued["--format"] = "format"
    else:
        valued["--share"] = "share"
    rest = list(argv)
    while rest:
        arg = rest.pop(0)
        option, has_value, value = arg.partition("=")
        if arg in ("-h", "--help"):
            return None
        if option in valued:
            if not has_value:
                if not rest:
                    raise UsageError(f"{option} needs a value")
                value = rest.pop(0)
            key = valued[option]
            if key == "format":
                if value not in ("text", "json", "dot"):
                    raise UsageError(f"--format must be text, json or dot, not {value!r}")
                options[key] = value
            else:
                options[key].append(value)
        elif command == "graph" and arg == "--no-type-checking":
            options["type_checking"] = False
        elif command == "graph" and arg == "--no-follow":
            options["follow"] = False
        elif arg.startswith("-"):
            raise UsageError(f"unknown option {arg}")
        else:
            options["modules"].append(arg)
    if not options["modules"]:
        raise UsageError("give at least one MODULE")
    return options


def main(command, argv):
    """Run `graph` or `check` with `argv` (the arguments after the command); the exit status."""
    usage = GRAPH_USAGE if command == "graph" else CHECK_USAGE
    try:
        options = parse(command, argv)
    except UsageError as exc:
        print(f"{usage}\npython -m importspace {command}: error: {exc}", file=sys.stderr)
        return 2
    if options is None:
        print(usage)
        return 0
    if options["path"]:
        stdlib = os.path.dirname(os.__file__)
        path = [*options["path"], stdlib, os.path.join(stdlib, "lib-dynload")]
    else:
        path = list(sys.path)
    ns = importspace.Namespace(path, name=f"importspace {command}")
    try:
        graph = ns.import_graph(
            *options["modules"],
            follow=options["follow"],
            type_checking=options["type_checking"],
        )
        if command == "graph":
            print(render(graph, options["format"]), end="")
            return 0
        return check(graph, options["modules"], set(options["share"]))
    finally:
        ns.close()


def render(graph, fmt):
    """The graph as text, JSON or DOT."""
    if fmt == "json":
        return graph.to_json() + "\n"
    if fmt == "dot":
        return graph.to_dot()
    lines = []
    edges_of = {}
    for edge in graph.edges:
        edges_of.setdefault(edge.importer, []).append(edge)
    for module in graph.modules:
        where = f"  {module.file}" if module.file else ""
        lines.append(f"{module.name} [{module.kind}]{where}")
        if module.problem:
            lines.append(f"    ! {module.problem}")
        for edge in edges_of.get(module.name, ()):
            context = f"  ({', '.join(edge.context)})" if edge.context else ""
            lines.append(f"    -> {edge.imported}  line {edge.line}{context}")
    kinds = {}
    for module in graph.modules:
        kinds[module.kind] = kinds.get(module.kind, 0) + 1
    summary = ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items()))
    cycles = graph.cycles(skip=NOT_AT_IMPORT)
    lines.append(
        f"{len(graph)} modules ({summary}), {len(graph.edges)} import sites, "
        f"{len(cycles)} import cycles at import time"
    )
    return "\n".join(lines) + "\n"


def check(graph, roots, shared):
    """Print the preflight report of `roots`; the exit status."""
    stdlib = importspace._namespace._stdlib_dirs()
    failed = False
    for root in roots:
        if root not in graph or graph[root].kind == "missing":
            print(f"{root}: not found")
            failed = True
            continue
        reached = [root, *graph.upstream(root, skip=NOT_AT_IMPORT)]
        reached_set = set(reached)
        print(f"{root}: importing it runs {len(reached)} modules")
        extensions = [graph[name] for name in reached if graph[name].kind == "extension"]
        print(f"  compiled extensions: {len(extensions)}")
        for module in extensions:
            in_stdlib = os.path.realpath(os.path.dirname(module.file)) in stdlib
            if module.once_per_process is None:
                how = "initialisation not recognised"
            elif not module.once_per_process:
                how = "multi-phase"
            elif in_stdlib:
                how = "single-phase, standard library (importspace keeps one instance)"
            elif module.name.split(".")[0] in shared or module.name in shared:
                how = "single-phase, shared"
            else:
                how = (
                    "single-phase: CPython initialises it once per process; "
                    f"share it (--share {module.name.split('.')[0]}) to use it in more than "
                    "one namespace"
                )
            print(f"    {module.name}  {how}")
        # The modules importing the root always runs: reached through sites that are neither
        # optional nor conditional. A missing module is required only when one of them imports
        # it unconditionally; behind an optional import, its importer's own failure is expected.
        always = {root, *graph.upstream(root, skip=NOT_AT_IMPORT + SOFT)}
        required, optional = [], []
        for edge in graph.edges:
            if edge.importer not in reached_set or graph[edge.imported].kind != "missing":
                continue
            if any(c in NOT_AT_IMPORT for c in edge.context):
                continue
            soft = any(c in SOFT for c in edge.context)
            (required if edge.importer in always and not soft else optional).append(edge)
        for title, edges in (("missing, required", required), ("missing, optional", optional)):
            print(f"  {title}: {len(edges)}")
            for edge in edges:
                context = list(edge.context)
                if edge.importer not in always:
                    context.append("its importer is reached through an optional import")
                context = f" ({', '.join(context)})" if context else ""
                print(f"    {edge.imported}  imported by {edge.importer} line {edge.line}{context}")
        broken = [graph[name] for name in reached if graph[name].problem]
        print(f"  unreadable files: {len(broken)}")
        for module in broken:
            print(f"    {module.name}  {module.problem}")
        failed |= bool(required or broken)
    print("check: FAILED" if failed else "check: OK")
    return 1 if failed else 0
