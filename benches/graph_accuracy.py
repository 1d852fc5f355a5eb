"""Accuracy of the static import graph against what importing actually does.

For each package, in a fresh process: a namespace over the site directory and the standard
library imports the package with `record_imports()` on; the module-level edges of its import log
(importer inside the package, `module_level`, self-edges left out) are the truth. A second
namespace over the same path builds `import_graph(package)`; its edges that run at import time
(not `deferred`, `type_checking` or `lazy`) with an importer inside the package are the claim.

- recall: the share of the truth's (importer, imported) pairs the graph has;
- precision: the share of the graph's pairs whose importer actually ran that happened.

    python benches/graph_accuracy.py --site DIR [--out FILE.json] [PACKAGE...]

With no packages: every regular package directly in the site directory.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

WORKER = r"""
import json, os, sys
import importspace

package, site = sys.argv[1], sys.argv[2]
stdlib = os.path.dirname(os.__file__)
path = [site, stdlib, os.path.join(stdlib, "lib-dynload")]
SOFT = {"deferred", "type_checking", "lazy"}

def inside(name):
    return name == package or name.startswith(package + ".")

ns = importspace.Namespace(path)
ns.record_imports()
error = None
try:
    ns.import_module(package)
except BaseException as exc:
    error = f"{type(exc).__name__}: {exc}"[:200]
log = ns.import_log or []
ran = {name for name in ns.modules if inside(name)}
truth = {
    (r.importer, r.imported)
    for r in log
    if r.module_level and r.importer and inside(r.importer) and r.importer != r.imported
}
ns.close()
graph_ns = importspace.Namespace(path)
graph = graph_ns.import_graph(package)
graph_ns.close()
claim = {
    (e.importer, e.imported)
    for e in graph.edges
    if inside(e.importer) and not SOFT & set(e.context) and e.importer != e.imported
}
claim_ran = {edge for edge in claim if edge[0] in ran}
missed = sorted(truth - claim)
print(json.dumps({
    "package": package,
    "error": error,
    "modules_run": len(ran),
    "truth": len(truth),
    "found": len(truth & claim),
    "claimed_ran": len(claim_ran),
    "claimed_happened": len(claim_ran & truth),
    "missed": missed[:20],
}))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", required=True)
    parser.add_argument("--out")
    parser.add_argument("packages", nargs="*")
    args = parser.parse_args(argv)
    packages = args.packages or sorted(
        entry
        for entry in os.listdir(args.site)
        if entry.isidentifier() and os.path.isfile(os.path.join(args.site, entry, "__init__.py"))
    )
    rows = []
    for package in packages:
        proc = subprocess.run(
            [sys.executable, "-I", "-c", WORKER, package, args.site],
            capture_output=True,
            text=True,
            timeout=600,
        )
        if proc.returncode != 0 or not proc.stdout.strip():
            tail = proc.stderr.strip().splitlines()[-1:] or ["no output"]
            rows.append({"package": package, "crash": tail[0]})
            continue
        rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    print("| package | modules run | runtime edges | found | recall | precision | import error |")
    print("|---|---:|---:|---:|---:|---:|---|")
    truth = found = claimed = happened = 0
    for row in rows:
        if "crash" in row:
            print(f"| {row['package']} | – | – | – | – | – | process failed: {row['crash']} |")
            continue
        truth += row["truth"]
        found += row["found"]
        claimed += row["claimed_ran"]
        happened += row["claimed_happened"]
        recall = row["found"] / row["truth"] if row["truth"] else 1.0
        precision = row["claimed_happened"] / row["claimed_ran"] if row["claimed_ran"] else 1.0
        print(
            f"| {row['package']} | {row['modules_run']} | {row['truth']} | {row['found']} "
            f"| {recall:.1%} | {precision:.1%} | {row['error'] or ''} |"
        )
    if truth:
        print(
            f"| **all** | | {truth} | {found} | **{found / truth:.1%}** "
            f"| **{happened / max(claimed, 1):.1%}** | |"
        )
    if args.out:
        with open(args.out, "w") as out:
            json.dump(rows, out, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
