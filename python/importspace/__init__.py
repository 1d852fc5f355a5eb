"""importspace: isolated import namespaces for CPython, with the import machinery in Rust."""

# Loaded with the package, so the engine never imports them into the host's sys.modules later:
# each namespace's sys, the loader of namespace packages, and the namespaced importlib faces.
from importspace import _faces, _loaders, _sys  # noqa: F401
from importspace._namespace import STDLIB, ImportRecord, Namespace, namespace_of
from importspace._native import (
    ExtensionFileLoader,
    FileFinder,
    FileLoader,
    NamespaceClosedError,
    PathFinder,
    Prefetch,
    SharedImporter,
    SourceFileLoader,
    SourcelessFileLoader,
    __version__,
    clear_code_cache,
    code_cache_info,
    set_code_cache_limits,
)

# The reloader (importspace/_reload.py) is loaded on first use: it brings `threading`, `signal`
# and `traceback` into the host, which a plain `import importspace` does not need.
_RELOAD_NAMES = ("Reloader", "StopTimeoutError", "on_stop")


def __getattr__(name):
    if name in _RELOAD_NAMES:
        from importspace import _reload

        return getattr(_reload, name)
    raise AttributeError(f"module 'importspace' has no attribute {name!r}")


__all__ = [
    "ExtensionFileLoader",
    "FileFinder",
    "FileLoader",
    "ImportRecord",
    "Namespace",
    "NamespaceClosedError",
    "PathFinder",
    "Prefetch",
    "Reloader",
    "STDLIB",
    "SharedImporter",
    "SourceFileLoader",
    "SourcelessFileLoader",
    "StopTimeoutError",
    "__version__",
    "clear_code_cache",
    "code_cache_info",
    "namespace_of",
    "on_stop",
    "set_code_cache_limits",
]
