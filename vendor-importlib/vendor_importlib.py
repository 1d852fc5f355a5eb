"""A pure-Python import namespace: a fresh copy of importlib bound to a private ``sys``.

This is the baseline that importspace is measured and differentially tested against. It is the
"ouroboros" idea (2018) done so that it works on CPython 3.9 to 3.13:

* At run time, read the running interpreter's own ``importlib/_bootstrap.py`` and
  ``importlib/_bootstrap_external.py`` (nothing from CPython is stored in this repository), compile
  them, and execute them into brand-new module objects.
* Bind those copies with their own ``_install`` functions to a private ``sys``: a plain
  ``types.ModuleType('sys')`` that owns ``modules``, ``path``, ``meta_path``, ``path_hooks`` and
  ``path_importer_cache`` and reads every other attribute from the real ``sys`` (so
  ``sys.dont_write_bytecode``, ``sys.flags`` or ``sys.pycache_prefix`` changes made by the host are
  seen at once).
* Every module the copy creates gets ``__builtins__`` = a private builtins dict whose
  ``__import__`` is the copy's ``__import__``, set before the module body runs. That keeps the
  ``import`` statements inside loaded code (and, on 3.10+, inside functions it defines) in the
  private world.

Usage::

    ns = VendorNamespace(["/some/dir"])
    mod = ns.import_module("pkg.sub")
    ns.modules["pkg"]

Differences from ouroboros that make it work on 3.11+ and keep the host untouched:

1. The private ``sys`` has its *own* ``meta_path``/``path_hooks`` lists from the start, so
   ``_install`` fills those, never the host's.
2. ``_bootstrap_external`` runs ``import sys`` (and ``_imp``, ``_io``, ...) at module level. It is
   executed with the private builtins, so those imports resolve in the private ``sys.modules``,
   where ``sys`` is the private one.
3. The copies are executed under the names ``importlib._bootstrap`` and
   ``importlib._bootstrap_external`` (names that are not frozen modules), so ``_bootstrap._setup``
   does not treat them as frozen modules and 3.11+'s ``FrozenImporter._fix_up_module`` does not
   assert on them. Once set up they are registered as ``_frozen_importlib`` and
   ``_frozen_importlib_external``, where ``importlib/__init__.py`` (and ``zipimport``) look for them
   when the private world imports ``importlib``.
4. ``_setup`` rewrites ``__spec__``/``__loader__`` of every built-in module it finds in
   ``sys.modules``. The shared host modules get their attributes put back right afterwards.
5. ``_imp.create_builtin`` / ``_imp.create_dynamic`` put single-phase modules into the *global*
   ``sys.modules``. The private world sees a private ``_imp`` whose two ``create_*`` functions
   restore the host's ``sys.modules`` entry after each call.

Known limits (it is a baseline, not a product):

* Writes to ``sys.X`` made by code inside the private world (other than the five private
  attributes) land on the private ``sys`` object, not on the real ``sys``: a plain ``ModuleType``
  cannot forward attribute writes, and a ``ModuleType`` subclass would leak into
  ``types.ModuleType = type(sys)`` in the private world.
* C code that reads the interpreter's global ``sys.modules`` does not see the private world.
  ``PyImport_Import`` (used by many C modules) calls the private ``__import__`` and then looks the
  name up in the *global* ``sys.modules``, so it raises ``KeyError``. Inside the private world this
  breaks ``pickle`` (``_pickle``), ``decimal`` (``_decimal``) and ``asyncio`` on every version,
  and on 3.12+ also ``typing`` (the C ``Generic.__init_subclass__`` imports ``typing``) and
  everything that imports it. ``IMPORT_FROM``'s fallback to the global ``sys.modules`` is missed the
  same way. The host is never changed by these failures. Solving this is importspace's job, not the
  baseline's.
* Tracebacks keep the frames of the copied importlib (the interpreter only hides frames whose file
  name is ``<frozen importlib._bootstrap...>``).

Run this file to execute its self-test: ``python vendor-importlib/vendor_importlib.py``.
"""

import _imp
import builtins
import contextlib
import importlib
import os
import sys
import types

__all__ = ["VendorNamespace"]

# Built-in modules handed from the host to the private world as they are. These are what the two
# bootstrap modules (and the frozen ``zipimport``) import at module level or in ``_setup``.
# ``sys``, ``builtins`` and ``_imp`` are deliberately absent: the private world gets its own.
_SHARED_BUILTINS = (
    "_thread",
    "_warnings",
    "_weakref",
    "_io",
    "marshal",
    "posix",
    "nt",
    "winreg",
    "time",
)

_IMPORTLIB_DIR = os.path.dirname(importlib.__file__)

# Compiled code objects of the two bootstrap sources, shared by every namespace (code objects are
# immutable; each namespace still executes them into its own fresh module objects).
_code_cache = {}


def _bootstrap_code(basename):
    """Compile ``importlib/<basename>.py`` of the running interpreter (once per process)."""
    code = _code_cache.get(basename)
    if code is None:
        filename = os.path.join(_IMPORTLIB_DIR, basename + ".py")
        with open(filename, "rb") as f:
            source = f.read()
        code = compile(source, filename, "exec", dont_inherit=True)
        _code_cache[basename] = code
    return code


def _make_private_sys(path):
    """A ``ModuleType('sys')`` owning the five import attributes and proxying the rest.

    Reads of any other attribute fall through the module-level ``__getattr__`` (PEP 562) to the
    real ``sys`` on every access, so they are never stale.
    """
    private_sys = types.ModuleType("sys", sys.__doc__)
    private_sys.__getattr__ = lambda name: getattr(sys, name)
    private_sys.modules = {}
    private_sys.path = [os.fspath(entry) for entry in path]
    private_sys.meta_path = []
    private_sys.path_hooks = []
    private_sys.path_importer_cache = {}
    return private_sys


def _make_private_imp(host_modules, builtins_dict):
    """A private ``_imp``: the real one, except that ``create_builtin``/``create_dynamic`` do not
    leave single-phase modules behind in the host's ``sys.modules`` (cpython-import.md section 6).
    """
    private_imp = types.ModuleType("_imp", _imp.__doc__)
    for key, value in vars(_imp).items():
        if key not in ("__name__", "__doc__"):
            setattr(private_imp, key, value)

    missing = object()

    def guarded(create):
        def create_module(spec, *args):
            name = spec.name
            previous = host_modules.get(name, missing)
            try:
                return create(spec, *args)
            finally:
                if previous is missing:
                    host_modules.pop(name, None)
                elif host_modules.get(name, missing) is not previous:
                    host_modules[name] = previous

        # An extension's init function may import through PyImport_Import, which calls the
        # __import__ of the innermost Python frame's globals: this wrapper's. Give it globals with
        # the private builtins, so those imports behave as with the unwrapped copy (they go to the
        # private world; see "Known limits" above) instead of leaking into the host.
        # create_module reads only closure variables, so it needs no other globals.
        wrapper = types.FunctionType(
            create_module.__code__,
            {"__builtins__": builtins_dict},
            create.__name__,
            None,
            create_module.__closure__,
        )
        wrapper.__doc__ = create.__doc__
        return wrapper

    private_imp.create_builtin = guarded(_imp.create_builtin)
    private_imp.create_dynamic = guarded(_imp.create_dynamic)
    return private_imp


def _make_private_builtins():
    """A fresh ``builtins`` module whose dict is the ``__builtins__`` of every private module.

    ``__import__`` is filled in once the private ``_bootstrap`` exists.
    """
    private_builtins = types.ModuleType("builtins")
    vars(private_builtins).update(vars(builtins))
    return private_builtins


def _exec_bootstrap(basename, module_name, builtins_dict):
    """Execute a fresh copy of ``importlib/<basename>.py`` as a new module."""
    module = types.ModuleType(module_name)
    module.__file__ = os.path.join(_IMPORTLIB_DIR, basename + ".py")
    # Set before executing, so that the module-level ``import sys`` etc. of _bootstrap_external,
    # and every import statement its functions run later, go through the private __import__.
    module.__builtins__ = builtins_dict
    exec(_bootstrap_code(basename), vars(module))
    return module


@contextlib.contextmanager
def _dunder_attrs_kept(modules):
    """Put back the dunder attributes of some host modules on exit.

    ``_bootstrap._setup`` calls ``_init_module_attrs`` on every built-in module in ``sys.modules``,
    which replaces ``__spec__`` (and fills ``__loader__``/``__package__`` if missing). For the
    modules shared with the host, that would hand the host objects specs of the private world.
    """
    saved = [(m, {k: v for k, v in vars(m).items() if k.startswith("__")}) for m in modules]
    try:
        yield
    finally:
        for module, before in saved:
            namespace = vars(module)
            for key in [k for k in namespace if k.startswith("__") and k not in before]:
                del namespace[key]
            namespace.update(before)


class VendorNamespace:
    """A separate world of modules, run by a fresh copy of the stdlib's own importlib.

    ``path`` is the private ``sys.path`` (a list of str). The standard library is *not* on it unless
    you put it there; built-in and frozen modules are always importable, as in CPython.
    """

    def __init__(self, path):
        host_modules = sys.modules
        self.sys = _make_private_sys(path)
        self.modules = self.sys.modules
        self.path = self.sys.path
        self.meta_path = self.sys.meta_path
        self.path_hooks = self.sys.path_hooks
        self.path_importer_cache = self.sys.path_importer_cache

        self.builtins = _make_private_builtins()
        builtins_dict = vars(self.builtins)
        private_imp = _make_private_imp(host_modules, builtins_dict)
        shared = {n: host_modules[n] for n in _SHARED_BUILTINS if n in host_modules}

        # What _setup and the module-level imports of _bootstrap_external look up in sys.modules.
        self.modules["sys"] = self.sys
        self.modules["builtins"] = self.builtins
        self.modules["_imp"] = private_imp
        self.modules.update(shared)  # by key: _io.__name__ is "io"

        # 1. The core: _bootstrap. Its __import__ becomes the private world's __import__.
        bootstrap = _exec_bootstrap("_bootstrap", "importlib._bootstrap", builtins_dict)
        builtins_dict["__import__"] = bootstrap.__import__
        self._bootstrap = bootstrap

        # Every module the copy creates from a spec without a loader-made module object goes
        # through _bootstrap._new_module (module_from_spec, and 3.11+ FrozenImporter.create_module).
        # Giving it __builtins__ there is "before the body runs" for every loader.
        new_module = bootstrap._new_module

        def _new_module(name):
            module = new_module(name)
            module.__builtins__ = builtins_dict
            return module

        bootstrap._new_module = _new_module

        # _install = _setup (binds sys/_imp, fetches _thread/_warnings/_weakref from sys.modules,
        # on 3.12+ creates _blocking_on) + BuiltinImporter and FrozenImporter on our meta_path.
        # _setup looks the module itself up as sys.modules[__name__].
        self.modules[bootstrap.__name__] = bootstrap
        with _dunder_attrs_kept(shared.values()):
            bootstrap._install(self.sys, private_imp)

        # 2. The path-based half. It runs `import _imp, _io, sys, ...` at module level: with the
        # private builtins those come from our sys.modules.
        external = _exec_bootstrap(
            "_bootstrap_external", "importlib._bootstrap_external", builtins_dict
        )
        self.modules[external.__name__] = external
        self._bootstrap_external = external

        # What _bootstrap._install_external_importers does, minus its `import`: link the two, then
        # external._install(_bootstrap) = _setup (3.9; it wants sys.modules[__name__]) or
        # _set_bootstrap_module (3.10+), then FileFinder.path_hook(<standard loaders>) onto our
        # path_hooks and PathFinder onto our meta_path.
        bootstrap._bootstrap_external = external
        external._install(bootstrap)

        # The names importlib/__init__.py and zipimport import the two modules by.
        self.modules["_frozen_importlib"] = bootstrap
        self.modules["_frozen_importlib_external"] = external
        del self.modules[bootstrap.__name__], self.modules[external.__name__]

        # 3. zipimport: the private FrozenImporter runs a fresh copy of the frozen module, whose
        # imports of _frozen_importlib(_external) resolve to our copies. CPython puts the
        # zipimporter hook first in sys.path_hooks.
        zipimport = bootstrap._gcd_import("zipimport")
        self.path_hooks.insert(0, zipimport.zipimporter)

    def import_module(self, name, package=None):
        """``importlib.import_module`` inside the private world."""
        level = 0
        if name.startswith("."):
            if not package:
                raise TypeError(
                    f"the 'package' argument is required to perform a relative import for {name!r}"
                )
            level = len(name) - len(name.lstrip("."))
        return self._bootstrap._gcd_import(name[level:], package, level)

    def __repr__(self):
        return f"<VendorNamespace path={self.path!r} modules={len(self.modules)}>"


# --------------------------------------------------------------------------------------------
# Self-test: python vendor-importlib/vendor_importlib.py
# --------------------------------------------------------------------------------------------


def _write(root, relpath, text):
    path = os.path.join(root, *relpath.split("/"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def _host_state():
    return (
        dict(sys.modules),
        list(sys.path),
        list(sys.meta_path),
        list(sys.path_hooks),
        dict(sys.path_importer_cache),
    )


def _same_state(before, after):
    for a, b in zip(before, after):
        if isinstance(a, dict):
            if a.keys() != b.keys() or any(a[k] is not b[k] for k in a):
                return False
        elif len(a) != len(b) or any(x is not y for x, y in zip(a, b)):
            return False
    return True


def _self_test():
    import importlib.util
    import shutil
    import tempfile

    results = []

    def check(label, condition):
        results.append(bool(condition))
        print(("ok   " if condition else "FAIL ") + label)

    root = tempfile.mkdtemp(prefix="vendor_importlib_")
    try:
        _write(root, "vpkg/__init__.py", "from . import a\nVALUE = 'pkg'\n")
        _write(
            root,
            "vpkg/a.py",
            "import vpkg.sub.b\nfrom .sub import b as bb\nfrom vpkg.sub.b import B\n"
            "def later():\n    import vpkg.late\n    return vpkg.late.X\n",
        )
        _write(root, "vpkg/sub/__init__.py", "")
        _write(root, "vpkg/sub/b.py", "import sys\nB = 2\nSYS = sys\n")
        _write(root, "vpkg/late.py", "X = 'late'\n")
        _write(root, "nspkg/portion.py", "Y = 3\n")  # PEP 420 namespace package

        saved_dwb = sys.dont_write_bytecode
        before = _host_state()
        shared = [sys.modules[n] for n in _SHARED_BUILTINS if n in sys.modules]
        shared_attrs = [dict(vars(module)) for module in shared]
        try:
            sys.dont_write_bytecode = True
            ns = VendorNamespace([root])
            pkg = ns.import_module("vpkg")
            check("import a package tree", pkg.VALUE == "pkg" and pkg.a.bb.B == 2)
            check(
                "nested imports stay private",
                all(n in ns.modules for n in ("vpkg.a", "vpkg.sub", "vpkg.sub.b"))
                and "vpkg" not in sys.modules,
            )
            check("private sys is seen inside", pkg.a.bb.SYS is ns.sys)
            check("__builtins__ is the private dict", pkg.a.__builtins__ is vars(ns.builtins))
            check("import inside a function stays private", pkg.a.later() == "late")
            check("late module is private", "vpkg.late" in ns.modules)
            check(
                "dont_write_bytecode read from the real sys",
                not os.path.exists(os.path.join(root, "vpkg", "__pycache__")),
            )
            sys.dont_write_bytecode = False
            ns.import_module("nspkg.portion")
            cached = importlib.util.cache_from_source(os.path.join(root, "nspkg", "portion.py"))
            check("pyc written when allowed", os.path.exists(cached))
            check("relative import_module", ns.import_module(".late", "vpkg") is pkg.late)
            check("zipimporter hook first", ns.path_hooks[0].__name__ == "zipimporter")
            ns2 = VendorNamespace([root])
            check("namespaces are separate", ns2.import_module("vpkg") is not pkg)
            # The standard library, C extensions included, runs again inside a namespace.
            ns3 = VendorNamespace([root, *sys.path])
            json = ns3.import_module("json")
            sqlite3 = ns3.import_module("sqlite3")
            check("stdlib runs again privately", json is not sys.modules.get("json"))
            private_importlib = ns3.import_module("importlib")
            check(
                "private importlib wraps the copy", private_importlib._bootstrap is ns3._bootstrap
            )
            check(
                "private importlib.import_module is private",
                private_importlib.import_module("vpkg.late") is ns3.modules["vpkg.late"],
            )
            check("C extension loads", sqlite3.connect(":memory:").execute("select 1").fetchone())
            try:
                ns.import_module("does_not_exist")
                check("ModuleNotFoundError", False)
            except ModuleNotFoundError as exc:
                check("ModuleNotFoundError", exc.name == "does_not_exist")
        finally:
            sys.dont_write_bytecode = saved_dwb
        check("host sys state unchanged", _same_state(before, _host_state()))
        check("shared modules unchanged", [dict(vars(m)) for m in shared] == shared_attrs)
    finally:
        shutil.rmtree(root)
    failed = results.count(False)
    print(f"{len(results) - failed} passed, {failed} failed")
    return failed == 0


if __name__ == "__main__":
    sys.exit(0 if _self_test() else 1)
