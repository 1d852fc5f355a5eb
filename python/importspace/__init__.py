"""importspace: isolated import namespaces for CPython, with the import machinery in Rust."""

from importspace import _sys  # noqa: F401  (the engine builds each namespace's sys from it)
from importspace._native import (
    ExtensionFileLoader,
    FileFinder,
    FileLoader,
    Namespace,
    NamespaceClosedError,
    PathFinder,
    SharedImporter,
    SourceFileLoader,
    SourcelessFileLoader,
    __version__,
)

__all__ = [
    "ExtensionFileLoader",
    "FileFinder",
    "FileLoader",
    "Namespace",
    "NamespaceClosedError",
    "PathFinder",
    "SharedImporter",
    "SourceFileLoader",
    "SourcelessFileLoader",
    "__version__",
]
