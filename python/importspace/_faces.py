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

import sys as _host_sys
import types

from importspace import _native

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

    PathFinder.__module__ = "importlib.machinery"
    return PathFinder


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
    return {"_frozen_importlib": bootstrap, "_frozen_importlib_external": external}
