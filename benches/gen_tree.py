"""Deterministic generator of the benchmark package tree.

Layout under ROOT (defaults: 10 x 10 x 20 = 2,000 modules plus 111 package ``__init__`` files)::

    bench_tree/__init__.py
    bench_tree/pkg{i}/__init__.py
    bench_tree/pkg{i}/sub{j}/__init__.py      (imports its mod0 with a relative from-import)
    bench_tree/pkg{i}/sub{j}/mod{k}.py        (constants, functions, classes, intra-tree imports)
    bench_all.py                             (imports every module of the tree)
    bench_cached.py                          (loops of import statements on loaded modules)
    bench_slice.py                           (imports every module of bench_tree.pkg0: a slice
                                             of the tree, for the many-namespaces case)

Every module imports other modules of the tree, both relatively and absolutely, so the import
statements *inside* modules go through the machinery under test. The imports only point at modules
with smaller indices, so there are no cycles and the nesting stays shallow.

The output depends only on the parameters: the same call writes the same bytes.

Usage: ``python benches/gen_tree.py ROOT [--packages 10] [--subpackages 10] [--modules 20]``
"""

import argparse
import os

TOP = "bench_tree"
ALL_MODULE = "bench_all"
CACHED_MODULE = "bench_cached"
SLICE_MODULE = "bench_slice"
# The package whose modules bench_slice.py imports (with the top package: 212 modules of the
# default tree). It must exist for any tree shape.
SLICE_PACKAGE = f"{TOP}.pkg0"

# The modules that bench_cached.py imports in its loops. They must exist for any tree shape.
CACHED_ABC = f"{TOP}.pkg0.sub0.mod0"


def module_names(packages=10, subpackages=10, modules=20):
    """Every module and package of the tree, parents before children."""
    names = [TOP]
    for i in range(packages):
        names.append(f"{TOP}.pkg{i}")
        for j in range(subpackages):
            names.append(f"{TOP}.pkg{i}.sub{j}")
            names.extend(f"{TOP}.pkg{i}.sub{j}.mod{k}" for k in range(modules))
    return names


def slice_names(packages=10, subpackages=10, modules=20):
    """The modules that bench_slice.py imports: the top package and all of SLICE_PACKAGE."""
    return [
        name
        for name in module_names(packages, subpackages, modules)
        if name == TOP or name == SLICE_PACKAGE or name.startswith(SLICE_PACKAGE + ".")
    ]


def _module_source(i, j, k):
    lines = [f'"""Generated module {TOP}.pkg{i}.sub{j}.mod{k}."""', ""]
    # Intra-tree imports, always to smaller indices (no cycles).
    if k > 0:
        lines.append(f"from . import mod{k - 1}")  # relative, same subpackage
        lines.append(f"from .mod{k - 1} import function_0 as previous_function")
    if j > 0:
        lines.append(f"import {TOP}.pkg{i}.sub{j - 1}.mod{k}")  # absolute, sibling subpackage
    if i > 0:
        lines.append(f"from {TOP}.pkg{i - 1}.sub{j} import mod{k} as other_package_module")
    if k > 1:
        lines.append(f"from ..sub{j} import mod{k - 2} as grandparent_relative")
    lines += [
        "",
        f"MODULE_INDEX = ({i}, {j}, {k})",
        f'NAME = "pkg{i}.sub{j}.mod{k}"',
        f"TABLE = {{n: n * {k + 1} for n in range({8 + k % 5})}}",
        f"WORDS = {tuple(f'word{(i * 7 + j * 3 + k + n) % 97}' for n in range(6))!r}",
        "",
    ]
    for f in range(3):
        lines += [
            f"def function_{f}(x, y={f}):",
            f'    """Function {f} of module {k}."""',
            "    total = 0",
            "    for n in range(x):",
            f"        total += n * y + {i + j + k}",
            "    return total",
            "",
            "",
        ]
    for c in range(2):
        lines += [
            f"class Class{c}:",
            f'    """Class {c} of module {k}."""',
            "",
            f"    LIMIT = {c * 10 + k}",
            "",
            "    def __init__(self, value):",
            "        self.value = value",
            "",
            "    def scaled(self, factor=2):",
            "        return self.value * factor + self.LIMIT",
            "",
            "    @property",
            "    def name(self):",
            f'        return f"Class{c}({{self.value}})"',
            "",
            "",
        ]
    lines.append(
        f"def uses_imports():\n    return {'previous_function(2)' if k > 0 else 'function_0(2)'}"
    )
    return "\n".join(lines) + "\n"


def _files(packages, subpackages, modules):
    """Yield (relative path, text) for every file of the tree."""
    yield (
        f"{TOP}/__init__.py",
        f'"""Generated benchmark tree."""\n\nSHAPE = {(packages, subpackages, modules)!r}\n',
    )
    for i in range(packages):
        yield f"{TOP}/pkg{i}/__init__.py", f'"""Package {i}."""\n\nPACKAGE_INDEX = {i}\n'
        for j in range(subpackages):
            yield (
                f"{TOP}/pkg{i}/sub{j}/__init__.py",
                f'"""Subpackage {i}.{j}."""\n\nfrom .mod0 import function_0 as first_function\n',
            )
            for k in range(modules):
                yield f"{TOP}/pkg{i}/sub{j}/mod{k}.py", _module_source(i, j, k)
    names = module_names(packages, subpackages, modules)
    yield (
        f"{ALL_MODULE}.py",
        '"""Imports every module of the benchmark tree."""\n\n'
        + "".join(f"import {name}\n" for name in names)
        + f"\nMODULE_COUNT = {len(names)}\n",
    )
    yield f"{CACHED_MODULE}.py", _CACHED_SOURCE.format(abc=CACHED_ABC, top=TOP)
    in_slice = slice_names(packages, subpackages, modules)
    yield (
        f"{SLICE_MODULE}.py",
        f'"""Imports every module of {SLICE_PACKAGE}, a slice of the benchmark tree."""\n\n'
        + "".join(f"import {name}\n" for name in in_slice)
        + f"\nMODULE_COUNT = {len(in_slice)}\n",
    )


# Each loop runs one import statement whose module is already loaded: the cached path that every
# `import` in a warm program takes. loop_empty is the loop overhead to subtract.
_CACHED_SOURCE = '''"""Cached import statements, timed identically for every contender."""

import {abc}


def loop_empty(n):
    for _ in range(n):
        pass


def loop_import_abc(n):
    for _ in range(n):
        import {abc}


def loop_from_import(n):
    for _ in range(n):
        from {top}.pkg0 import sub0


def loop_import_top(n):
    for _ in range(n):
        import {top}
'''


def generate(root, packages=10, subpackages=10, modules=20):
    """Write the tree under ``root`` (created if missing). Returns the list of module names.

    Files whose content is already right are left alone (their mtime too), so pycs written by an
    earlier run stay valid.
    """
    for relpath, text in _files(packages, subpackages, modules):
        path = os.path.join(root, *relpath.split("/"))
        data = text.encode("utf-8")
        try:
            with open(path, "rb") as f:
                if f.read() == data:
                    continue
        except FileNotFoundError:
            os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    return module_names(packages, subpackages, modules)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root")
    parser.add_argument("--packages", type=int, default=10)
    parser.add_argument("--subpackages", type=int, default=10)
    parser.add_argument("--modules", type=int, default=20)
    args = parser.parse_args(argv)
    names = generate(args.root, args.packages, args.subpackages, args.modules)
    print(f"{len(names)} modules and packages under {os.path.abspath(args.root)}")


if __name__ == "__main__":
    main()
