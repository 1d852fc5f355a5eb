"""The `_frozen_importlib` and `_frozen_importlib_external` a namespace's code sees.

`importlib/__init__.py` takes `_bootstrap` and `_bootstrap_external` from those two modules,
and every public function of `importlib`, `importlib.util` and `importlib.machinery` reaches
the import system through them. A namespace gets its own copy of each: the host module's
namespace, with the entries that touch import state replaced by the namespace's native
machinery (`_gcd_import`, `_find_and_load`, `_find_spec`, `_exec`, `module_from_spec`,
`PathFinder`, `FileFinder`, the file loaders). The host's functions left in the copy are the
pure ones (`_resolve_name`, `cache_from_source`, `spec_from_loader`, `ModuleSpec`, ...).

Built lazily, the first time a namespace imports `_frozen_importlib` (which `import
importlib` does); see `Importer.load_unlocked`.
"""

import _codecs
import atexit as _host_atexit
import copyreg as _host_copyreg
import os as _host_os
import posix as _host_posix
import stat as _stat
import sys as _host_sys
import types
import weakref

from importspace import _native, _version

HOST_BOOTSTRAP = _host_sys.modules["_frozen_importlib"]
HOST_EXTERNAL = _host_sys.modules["_frozen_importlib_external"]

# The entries of `_bootstrap` that read or change import state, and the namespace's
# replacements: bound methods of its `Importer`.
IMPORTER_METHODS = (
    "__import__",
    "_gcd_import",
    "_find_and_load",
    "_find_spec",
    "_exec",
    "_load",
    "_load_unlocked",
    "module_from_spec",
    "_handle_fromlist",
)

HOST_FILE_LOADERS = {
    HOST_EXTERNAL.SourceFileLoader: _native.SourceFileLoader,
    HOST_EXTERNAL.SourcelessFileLoader: _native.SourcelessFileLoader,
    HOST_EXTERNAL.ExtensionFileLoader: _native.ExtensionFileLoader,
}


def supported_file_loaders():
    """`_get_supported_file_loaders()`, with the native loader classes."""
    return [
        (_native.ExtensionFileLoader, list(HOST_EXTERNAL.EXTENSION_SUFFIXES)),
        (_native.SourceFileLoader, list(HOST_EXTERNAL.SOURCE_SUFFIXES)),
        (_native.SourcelessFileLoader, list(HOST_EXTERNAL.BYTECODE_SUFFIXES)),
    ]


def spec_from_file_location(
    name, location=None, *, loader=None, submodule_search_locations=HOST_EXTERNAL._POPULATE
):
    """`importlib.util.spec_from_file_location`; a loader it picks by suffix is a native one."""
    spec = HOST_EXTERNAL.spec_from_file_location(
        name, location, loader=loader, submodule_search_locations=submodule_search_locations
    )
    if loader is None and spec is not None:
        native = HOST_FILE_LOADERS.get(type(spec.loader))
        if native is not None:
            spec.loader = native(spec.loader.name, spec.loader.path)
    return spec


def fix_up_module(ns, name, pathname, cpathname=None):
    """`_bootstrap_external._fix_up_module`; a loader it makes is a native one."""
    had_loader = bool(ns.get("__loader__")) or bool(ns.get("__spec__"))
    HOST_EXTERNAL._fix_up_module(ns, name, pathname, cpathname)
    loader = ns.get("__loader__")
    native = HOST_FILE_LOADERS.get(type(loader))
    if not had_loader and native is not None:
        replacement = native(loader.name, loader.path)
        try:
            ns["__loader__"] = replacement
            ns["__spec__"].loader = replacement
        except Exception:
            pass  # as CPython's: not important enough to report


def path_finder_class(finder):
    """`importlib.machinery.PathFinder` for a namespace: a class, as natively (`importlib.abc`
    registers it with `MetaPathFinder`), whose class methods are those of the namespace's native
    `PathFinder`, the one on its meta path."""

    class PathFinder:
        """Meta path finder for `sys.path` and package `__path__` attributes (the namespace's)."""

        _native_finder = finder

        @classmethod
        def find_spec(cls, fullname, path=None, target=None):
            return finder.find_spec(fullname, path, target)

        @classmethod
        def invalidate_caches(cls):
            return finder.invalidate_caches()

        @classmethod
        def find_distributions(cls, *args, **kwargs):
            return finder.find_distributions(*args, **kwargs)

        @classmethod
        def _get_spec(cls, fullname, path, target=None):
            return finder._get_spec(fullname, path, target)

    host_find_module = getattr(HOST_EXTERNAL.PathFinder, "find_module", None)  # before 3.12
    if host_find_module is not None:
        # CPython's own (deprecated) method; it asks `cls.find_spec`, here the namespace's.
        PathFinder.find_module = classmethod(host_find_module.__func__)

    PathFinder.__module__ = "importlib.machinery"
    return PathFinder


def _setup_functions(bootstrap, external):
    """The set-up functions of the two copies. CPython's would rebind the globals of the host's
    own import system (`_setup(sys, _imp)` sets `_bootstrap.sys`; `_set_bootstrap_module` sets
    `_bootstrap_external._bootstrap`) and extend the host's `sys.meta_path` and
    `sys.path_hooks`; these act on the copies and on the `sys` they are given."""

    def bootstrap_setup(sys_module, _imp_module):
        bootstrap.sys = sys_module
        bootstrap._imp = _imp_module

    def bootstrap_install(sys_module, _imp_module):
        bootstrap_setup(sys_module, _imp_module)
        sys_module.meta_path.append(bootstrap.BuiltinImporter)
        sys_module.meta_path.append(bootstrap.FrozenImporter)

    def install_external_importers():
        bootstrap._bootstrap_external = external
        external_install(bootstrap)

    def set_bootstrap_module(bootstrap_module):
        external._bootstrap = bootstrap_module

    def external_install(bootstrap_module):
        set_bootstrap_module(bootstrap_module)
        loaders = external._get_supported_file_loaders()
        external.sys.path_hooks.extend([external.FileFinder.path_hook(*loaders)])
        external.sys.meta_path.append(external.PathFinder)

    bootstrap._setup = bootstrap_setup
    bootstrap._install = bootstrap_install
    bootstrap._install_external_importers = install_external_importers
    external._install = external_install
    if _version.EXTERNAL_HAS_SET_BOOTSTRAP_MODULE:  # 3.10+
        external._set_bootstrap_module = set_bootstrap_module
    else:  # 3.9: `_setup(_bootstrap_module)`
        external._setup = set_bootstrap_module


def bootstrap_faces(importer, namespace_sys, meta_path, builtins_dict):
    """The namespace's `_frozen_importlib` and `_frozen_importlib_external`, as a dict."""
    bootstrap = types.ModuleType("_frozen_importlib")
    bootstrap.__dict__.update(HOST_BOOTSTRAP.__dict__)
    external = types.ModuleType("_frozen_importlib_external")
    external.__dict__.update(HOST_EXTERNAL.__dict__)

    bootstrap.__builtins__ = external.__builtins__ = builtins_dict
    for name in IMPORTER_METHODS:
        setattr(bootstrap, name, getattr(importer, name))
    bootstrap.sys = namespace_sys
    bootstrap._bootstrap_external = external

    path_finder = next(
        (finder for finder in meta_path if isinstance(finder, _native.PathFinder)), None
    )
    external.sys = namespace_sys
    external._bootstrap = bootstrap
    if path_finder is not None:
        external.PathFinder = path_finder_class(path_finder)
    external.FileFinder = _native.FileFinder
    external.FileLoader = _native.FileLoader
    external.SourceFileLoader = _native.SourceFileLoader
    external.SourcelessFileLoader = _native.SourcelessFileLoader
    external.ExtensionFileLoader = _native.ExtensionFileLoader
    external._NamespacePath = _native._NamespacePath
    external._get_supported_file_loaders = supported_file_loaders
    external.spec_from_file_location = spec_from_file_location
    external._fix_up_module = fix_up_module
    _setup_functions(bootstrap, external)
    return {"_frozen_importlib": bootstrap, "_frozen_importlib_external": external}


# Process-wide registries. A namespace's code reaches them through its own copies of the
# built-in modules that hold them, so what it registers can be undone when it closes: the
# registration would otherwise outlive the namespace and keep its modules alive.


class Registrations:
    """What one namespace's code put into process-wide registries."""

    def __init__(self):
        self.atexit = []  # (func, args, kwargs), in registration order
        self.codecs = []  # search functions
        self.fork_hooks = []  # ForkHook trampolines
        self.extensions = []  # (module, name, code) given to copyreg.add_extension


_registrations = weakref.WeakKeyDictionary()  # Importer -> Registrations


def registrations_for(importer):
    found = _registrations.get(importer)
    if found is None:
        found = _registrations[importer] = Registrations()
    return found


def _like_builtin(function, builtin):
    """Give a face's Python `function` the documentation and signature of the C `builtin` it
    stands for (`inspect` reads `__text_signature__` on the functions of a C module)."""
    function.__doc__ = builtin.__doc__
    function.__text_signature__ = getattr(builtin, "__text_signature__", None)


def _copy_of(module, name):
    face = types.ModuleType(name)
    face.__dict__.update(module.__dict__)
    return face


def atexit_face(registrations):
    """`atexit` whose `register` also records the callback for `release`."""
    face = _copy_of(_host_atexit, "atexit")

    def register(func, *args, **kwargs):
        _host_atexit.register(func, *args, **kwargs)
        registrations.atexit.append((func, args, kwargs))
        return func

    def unregister(func):
        _host_atexit.unregister(func)
        registrations.atexit[:] = [entry for entry in registrations.atexit if entry[0] != func]

    _like_builtin(register, _host_atexit.register)
    _like_builtin(unregister, _host_atexit.unregister)
    face.register = register
    face.unregister = unregister
    return face


def codecs_face(registrations):
    """`_codecs` whose `register` also records the search function for `release`."""
    face = _copy_of(_codecs, "_codecs")

    def register(search_function):
        _codecs.register(search_function)
        registrations.codecs.append(search_function)

    _like_builtin(register, _codecs.register)
    face.register = register
    if _version.CODECS_HAS_UNREGISTER:  # 3.10+

        def unregister(search_function):
            _codecs.unregister(search_function)
            registrations.codecs[:] = [f for f in registrations.codecs if f != search_function]

        _like_builtin(unregister, _codecs.unregister)
        face.unregister = unregister
    return face


class ForkHook:
    """A callable registered with `os.register_at_fork` for a namespace: it calls the
    namespace's function until the namespace closes, then nothing. CPython cannot unregister
    fork hooks, so this small object stays registered; what it called is released."""

    __slots__ = ("func",)

    def __init__(self, func):
        self.func = func

    def __call__(self):
        func = self.func
        if func is not None:
            func()


def posix_face(registrations):
    """`posix` whose `register_at_fork` registers releasable `ForkHook`s."""
    face = _copy_of(_host_posix, "posix")

    def register_at_fork(**kwargs):
        hooks = {}
        for key, func in kwargs.items():
            if callable(func):
                hook = ForkHook(func)
                registrations.fork_hooks.append(hook)
                hooks[key] = hook
            else:
                hooks[key] = func
        _host_posix.register_at_fork(**hooks)

    _like_builtin(register_at_fork, _host_posix.register_at_fork)
    face.register_at_fork = register_at_fork
    return face


def copyreg_face(registrations):
    """`copyreg` for a namespace: the interpreter's functions (C code such as
    `object.__reduce_ex__` reaches `_reconstructor`, `__newobj__` and `_reduce_ex` through the
    interpreter's `sys.modules`, and pickle checks them by identity), with a dispatch table of
    its own: what the namespace registers (`re` registers `re.Pattern`'s reducer on import)
    stays in the namespace, and the host's pickling is not redirected to the namespace's
    functions. The extension registry is the process's, as copyreg documents it (codes are
    agreed process-wide, and the C pickler of 3.9-3.11 has one per process); what the
    namespace adds to it is removed when it closes."""
    face = _copy_of(_host_copyreg, "copyreg")
    face.dispatch_table = dict(_host_copyreg.dispatch_table)

    def pickle(ob_type, pickle_function, constructor_ob=None):
        if not callable(pickle_function):
            raise TypeError("reduction functions must be callable")
        face.dispatch_table[ob_type] = pickle_function
        if constructor_ob is not None:
            constructor(constructor_ob)

    def constructor(object):  # noqa: A002  (copyreg's own parameter name)
        if not callable(object):
            raise TypeError("constructors must be callable")

    def add_extension(module, name, code):
        _host_copyreg.add_extension(module, name, code)
        registrations.extensions.append((module, name, int(code)))

    for function in (pickle, constructor, add_extension):
        function.__doc__ = getattr(_host_copyreg, function.__name__).__doc__
        setattr(face, function.__name__, function)
    return face


_face_code = {}


def _face_module(c_module, builtins_dict, body, **names):
    """A module with every name of `c_module`, then `body` (a file of this package) run in it
    with the namespace's builtins and `names`, so the functions it defines run under frames of
    the namespace."""
    code = _face_code.get(body)
    if code is None:
        path = _host_os.path.join(_host_os.path.dirname(__file__), body)
        with open(path, "rb") as file:
            code = _face_code[body] = compile(file.read(), path, "exec", dont_inherit=True)
    face = types.ModuleType(c_module.__name__)
    namespace = face.__dict__
    namespace.update(c_module.__dict__)
    namespace["__builtins__"] = builtins_dict
    namespace.update(names)
    exec(code, namespace)
    return face


def json_face(c_json, builtins_dict, namespace_modules):
    """The namespace's `_json` on 3.9-3.11 (`importspace/_json_face.py` says why)."""
    return _face_module(
        c_json,
        builtins_dict,
        "_json_face.py",
        _c_json=c_json,
        _namespace_modules=namespace_modules,
        _host_modules=_host_sys.modules,
        _translate_errors=_version.JSON_KEEPS_DECODE_ERROR_CLASS,
    )


def pickle_face(c_pickle, builtins_dict, state_dispatch_table):
    """The namespace's `_pickle`: the C module's names, with its entry points re-entered from
    a frame of the namespace (`importspace/_pickle_face.py` says why). `state_dispatch_table`
    is the `copyreg.dispatch_table` the C module's state holds when that state is the
    process's (3.9-3.11), else None."""
    return _face_module(
        c_pickle,
        builtins_dict,
        "_pickle_face.py",
        _c_pickle=c_pickle,
        _state_dispatch_table=state_dispatch_table,
    )


REGISTRY_FACES = {
    "atexit": atexit_face,
    "_codecs": codecs_face,
    "posix": posix_face,
    "copyreg": copyreg_face,
}


def make_face(name, importer, namespace_sys, meta_path, builtins_dict):
    """The namespace's own copy of module `name` (and any copies made with it), as a dict."""
    if name in REGISTRY_FACES:
        face = REGISTRY_FACES[name](registrations_for(importer))
        face.__builtins__ = builtins_dict
        return {name: face}
    return bootstrap_faces(importer, namespace_sys, meta_path, builtins_dict)


def release(importer):
    """Undo what the namespace's code registered process-wide: run and unregister its atexit
    callbacks (last first, as at exit), unregister its codec search functions (3.10+), and
    detach its fork hooks."""
    registrations = _registrations.pop(importer, None)
    if registrations is None:
        return
    for hook in registrations.fork_hooks:
        hook.func = None
    for module, name, code in registrations.extensions:
        if _host_copyreg._extension_registry.get((module, name)) == code:
            _host_copyreg.remove_extension(module, name, code)
    if _version.CODECS_HAS_UNREGISTER:
        for search_function in registrations.codecs:
            _codecs.unregister(search_function)
    for func, args, kwargs in reversed(registrations.atexit):
        _host_atexit.unregister(func)
        try:
            func(*args, **kwargs)
        except Exception:
            # `traceback` is imported only here, when a callback fails, as `atexit` itself
            # formats the error only then.
            import traceback

            print(
                f"Exception ignored in atexit callback {func!r} of a closing namespace:",
                file=_host_sys.stderr,
            )
            traceback.print_exc()


class ZipImportHook:
    """A namespace's zip archive path hook, where the host has `zipimport.zipimporter`.

    It hands an entry to the namespace's own `zipimport.zipimporter`, so the finders, their
    `load_module` and their resource readers act on the namespace. A directory is refused at
    once, as `zipimporter` refuses it, so `zipimport` is imported only for a path entry that
    may be an archive.
    """

    __slots__ = ("_import",)

    def __init__(self, import_function):
        self._import = import_function

    def __call__(self, path):
        if isinstance(path, bytes):
            # As `zipimporter.__init__` does with `os.fsdecode`; done here, because the
            # namespace's own `os` may not be imported yet, and importing it would search the
            # very path entry being hooked.
            path = _host_os.fsdecode(path)
        if isinstance(path, str) and _isdir(path or "."):
            raise ImportError("not a Zip file", path=path)
        return self._import("zipimport").zipimporter(path)

    def __repr__(self):
        return "<importspace.ZipImportHook>"


def _isdir(path):
    try:
        return _stat.S_ISDIR(_host_posix.stat(path).st_mode)
    except (OSError, ValueError):
        return False
