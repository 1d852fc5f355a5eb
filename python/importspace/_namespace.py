"""`importspace.Namespace`, `namespace_of` and the `STDLIB` sharing preset.

The import machinery is native (`importspace._native.Namespace`); this subclass adds what is
best written with the standard library running inside the namespace: `run_path` and
`run_module` are the namespace's own `runpy`.
"""

import _imp
import collections
import os
import sys
import weakref

from importspace import _faces, _native

# Every live namespace, for `namespace_of` on modules that carry no `__builtins__`
# (extension modules, namespace packages, the namespace's `sys` and `builtins`).
_live_namespaces = weakref.WeakSet()

# The parts of the standard library that are the import system itself, or read the import
# state of the `sys` they were loaded with: shared with the host, they would import into the
# host, so even the shared-stdlib preset leaves them to each namespace.
IMPORT_SYSTEM_MODULES = ("importlib", "pkgutil", "runpy")


def _stdlib_top_names():
    names = getattr(sys, "stdlib_module_names", None)  # 3.10+
    if names is not None:
        return set(names)
    # 3.9: the built-ins, plus what the standard library directories hold.
    import sysconfig

    found = set(sys.builtin_module_names)
    suffixes = (".py", *_imp.extension_suffixes())
    paths = sysconfig.get_paths()
    for directory in {paths["stdlib"], os.path.join(paths["stdlib"], "lib-dynload")}:
        try:
            entries = os.listdir(directory)
        except OSError:
            continue
        for entry in entries:
            if entry in ("site-packages", "test", "__pycache__"):
                continue
            full = os.path.join(directory, entry)
            if os.path.isdir(full):
                if entry.isidentifier():
                    found.add(entry)
                continue
            for suffix in suffixes:
                if entry.endswith(suffix):
                    stem = entry[: -len(suffix)]
                    if stem.isidentifier():
                        found.add(stem)
                    break
    return found


#: The standard library's top-level module names, minus the import system's own modules
#: (`importlib`, `pkgutil`, `runpy`), for `Namespace(share=importspace.STDLIB)`: pure-Python
#: stdlib objects are then the host's on both sides of the boundary. See docs/isolation.md.
STDLIB = tuple(sorted(_stdlib_top_names() - set(IMPORT_SYSTEM_MODULES) - {"__main__"}))


ImportRecord = collections.namedtuple(
    "ImportRecord", ["importer", "imported", "line", "scope", "module_level"], module="importspace"
)
ImportRecord.__doc__ = """One import made in a namespace while `record_imports` was on.

`importer` is the `__name__` of the module whose code made the import (`None` when that code is
not the namespace's, e.g. the host calling `ns.import_module`); `imported` the absolute module
name the engine imported; `line` the calling frame's line number; `scope` its code's name
(`"<module>"`, or a function's or class's name); `module_level` whether that code runs with a
dict for locals: a module body, a class body (even one inside a function), `exec`'d code."""


class Namespace(_native.Namespace):
    """An isolated world of modules inside this interpreter (see the package docs)."""

    __slots__ = ()

    def __init__(self, path=None, *, name=None, share=None):
        # The native `__new__` has built everything from the same arguments.
        self._adopt()
        _live_namespaces.add(self)

    def close(self):
        """Drop every module of the namespace; later imports raise `NamespaceClosedError`.

        First, what the namespace's code registered process-wide is undone: its `atexit`
        callbacks run (last first) and are unregistered, its codec search functions are
        unregistered (3.10+), and its `os.register_at_fork` hooks stop calling into it.
        """
        _faces.release(self._importer)
        super().close()

    @property
    def import_log(self):
        """The imports made in the namespace since `record_imports()` turned recording on, as
        `ImportRecord`s in the order the imports started; `None` while it was never on. A
        from-import of a package gives one more record for each name that is a submodule.
        Failed imports are not recorded. The log stays readable after `record_imports(False)`
        and `close()`."""
        records = self._import_records()
        if records is None:
            return None
        return [ImportRecord._make(record) for record in records]

    def import_graph(self, *roots, follow=True, type_checking=True):
        """The static import graph of `roots` (module names; a package brings every module
        under it), read from the files the namespace's import system would load, without
        running them. With no roots: every module in the namespace's path entries that are not
        the standard library's. `follow=False` reads only the modules under the roots (what
        they import is resolved, not read); `type_checking=False` leaves out the imports under
        `if TYPE_CHECKING:`. See docs/graph.md."""
        for root in roots:
            if not isinstance(root, str):
                raise TypeError(f"module names must be str, not {type(root).__name__}")
        path = [entry for entry in self.path if isinstance(entry, str)]
        suffixes = [(suffix, "extension") for suffix in _imp.extension_suffixes()]
        suffixes += [(".py", "source"), (".pyc", "bytecode")]
        stdlib = _stdlib_dirs()
        root_entries = [
            entry
            for entry in path
            if os.path.isdir(entry or ".") and os.path.realpath(entry or ".") not in stdlib
        ]
        return _native.build_import_graph(
            path,
            list(roots),
            suffixes,
            list(sys.builtin_module_names),
            _frozen_names(),
            os.getcwd(),
            follow=follow,
            type_checking=type_checking,
            root_entries=root_entries,
        )

    def run_path(self, path_name, init_globals=None, run_name=None):
        """`runpy.run_path`, inside the namespace."""
        runpy = self.import_module("runpy")
        return runpy.run_path(path_name, init_globals, run_name)

    def run_module(self, mod_name, init_globals=None, run_name=None, alter_sys=False):
        """`runpy.run_module`, inside the namespace."""
        runpy = self.import_module("runpy")
        return runpy.run_module(mod_name, init_globals, run_name, alter_sys)


def _stdlib_dirs():
    """The standard library's directories, real paths: the one `os` is in, and its
    `lib-dynload` (found without importing `sysconfig` into the host)."""
    stdlib = os.path.dirname(os.__file__)
    return {os.path.realpath(d) for d in (stdlib, os.path.join(stdlib, "lib-dynload"))}


# 3.9 and 3.10 have no list of their frozen modules; these are the ones they can have.
_FROZEN_BEFORE_311 = ("_frozen_importlib", "_frozen_importlib_external", "zipimport")


def _frozen_names():
    """The modules `FrozenImporter` finds."""
    names = getattr(_imp, "_frozen_module_names", None)  # 3.11+
    candidates = names() if names is not None else _FROZEN_BEFORE_311
    return [name for name in candidates if _imp.is_frozen(name)]


def namespace_of(module):
    """The `Namespace` that loaded `module`, or `None` for a module it did not load."""
    try:
        globals_ = module.__dict__
    except AttributeError:
        raise TypeError(
            f"namespace_of() argument must be a module, not {type(module).__name__}"
        ) from None
    owner = owner_of_globals(globals_)
    if owner is not None:
        return owner
    name = getattr(module, "__name__", None)
    if isinstance(name, str) and sys.modules.get(name) is module:
        return None  # the host's own module, shared or not
    if any(held is module for held in list(sys.modules.values())):
        return None  # the host's, under another name (`_decimal` calls itself `decimal`)
    for namespace in list(_live_namespaces):
        if _holds(namespace, module):
            return namespace
    return None


def owner_of_globals(globals_):
    """The live `Namespace` whose builtins the code with these globals runs with, or None: a
    namespaced module's `__builtins__` is its namespace's builtins dict (or, for a `__main__`
    that `python -m importspace run` made, its builtins module)."""
    builtins_ = globals_.get("__builtins__")
    if isinstance(builtins_, type(sys)):
        builtins_ = vars(builtins_)
    if isinstance(builtins_, dict):
        importer = getattr(builtins_.get("__import__"), "__self__", None)
        if isinstance(importer, _native.Importer):
            return importer._owner
    return None


def _holds(namespace, module):
    try:
        modules = namespace.modules
    except AttributeError:
        return False
    name = getattr(module, "__name__", None)
    if isinstance(name, str) and modules.get(name) is module:
        return True
    spec = getattr(module, "__spec__", None)
    spec_name = getattr(spec, "name", None)
    if isinstance(spec_name, str) and modules.get(spec_name) is module:
        return True
    return any(value is module for value in list(modules.values()))
