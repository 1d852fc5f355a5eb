"""Type stubs for the Rust core of importspace.

Every class here is a pyo3 class. `Namespace` and the file loaders can be subclassed
(`importspace.Namespace` is a Python subclass; Python loader subclasses go through CPython's own
`get_code`); the others are `@final` (which also covers PEP 800's disjoint bases). `Importer`,
`PathFinder`, `SharedImporter` and `_NamespacePath` cannot be instantiated from Python
(`TypeError: cannot create ... instances`); only the engine makes them, so their stubs declare no
constructor.
"""

import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from importlib.machinery import ModuleSpec
from types import CodeType, ModuleType
from typing import Literal, SupportsIndex, final, overload

from _typeshed import ReadableBuffer, StrOrBytesPath
from _typeshed.importlib import MetaPathFinderProtocol, PathEntryFinderProtocol
from typing_extensions import Self, disjoint_base

__all__ = [
    "FileFinder",
    "FileFinderHook",
    "PathFinder",
    "Importer",
    "NamespaceClosedError",
    "ExtensionFileLoader",
    "FileLoader",
    "SourceFileLoader",
    "SourcelessFileLoader",
    "Namespace",
    "_NamespacePath",
    "SharedImporter",
    "ThreadRedirect",
    "VERSION",
    "__version__",
    "_panic_for_tests",
    "clear_code_cache",
    "code_cache_info",
    "set_code_cache_limits",
    "build_import_graph",
    "ImportGraph",
    "GraphModule",
    "ImportEdge",
    "Prefetch",
    "FileWatcher",
    "raise_in_thread",
]

__version__: str

# This CPython's row of the version table (src/version.rs, docs/versions.md), as the Python side
# reads it (importspace/_version.py).
VERSION: dict[str, bool]

def _panic_for_tests(message: str) -> None:
    """Panic in Rust: raises pyo3's PanicException (a BaseException), for the boundary test.
    Built only with the `test-hooks` cargo feature (`make build` turns it on)."""

# The code cache shared by every namespace (src/codecache.rs, docs/decisions.md).
def clear_code_cache() -> None:
    """Empty the code cache shared by all namespaces and reset its hit and miss counts."""

def code_cache_info() -> dict[str, int]:
    """`hits`, `misses`, `entries`, `bytes`, `max_entries` and `max_bytes` of the code cache."""

def set_code_cache_limits(*, max_entries: int | None = None, max_bytes: int | None = None) -> None:
    """Change the code cache's bounds (`None`: unchanged; `max_entries=0` turns it off)."""

class NamespaceClosedError(RuntimeError):
    """Raised when a closed namespace is asked to import."""

@disjoint_base
class Namespace:
    """An isolated world of modules inside this interpreter."""

    def __new__(
        cls,
        path: Iterable[str | os.PathLike[str]] | None = None,
        *,
        name: str | None = None,
        share: Iterable[str] | None = None,
    ) -> Self: ...
    def import_module(self, name: str, package: str | None = None) -> ModuleType: ...
    def find_spec(self, name: str, package: str | None = None) -> ModuleSpec | None: ...
    def reload(self, module: ModuleType) -> ModuleType: ...
    def invalidate_caches(self) -> None: ...
    def close(self) -> None: ...
    def __enter__(self) -> Self: ...
    # Closes the namespace and never suppresses the exception.
    def __exit__(self, *_args: object) -> Literal[False]: ...
    def record_imports(self, on: bool = True) -> None: ...
    # `(importer, imported, line, scope, module_level)`; `importspace.Namespace.import_log`
    # makes them `ImportRecord`s.
    def _import_records(
        self,
    ) -> list[tuple[str | None, str, int | None, str | None, bool]] | None: ...
    def _live_locks(self) -> int: ...
    def _adopt(self) -> None: ...
    @property
    def _importer(self) -> Importer: ...
    @property
    def closed(self) -> bool: ...
    @property
    def name(self) -> str | None: ...
    @property
    def share(self) -> tuple[str, ...]: ...
    @property
    def sys(self) -> ModuleType: ...
    @property
    def builtins(self) -> ModuleType: ...
    # The namespace's import state, typed like the `sys` attributes they stand for. Assigning
    # one rebinds it in the namespace's `sys` as well.
    modules: dict[str, ModuleType]
    path: list[str]
    meta_path: list[MetaPathFinderProtocol]
    path_hooks: list[Callable[[str], PathEntryFinderProtocol]]
    path_importer_cache: dict[str, PathEntryFinderProtocol | None]

@final
class Importer:
    """The import system of one namespace; its `__import__` is the namespace's builtin."""

    def __import__(
        self,
        name: str,
        globals: Mapping[str, object] | None = None,
        locals: Mapping[str, object] | None = None,
        fromlist: Sequence[str] | None = None,
        level: int = 0,
    ) -> ModuleType: ...
    def _gcd_import(self, name: str, package: str | None = None, level: int = 0) -> ModuleType: ...
    # The rest of `importlib._bootstrap`'s entry points, bound to the namespace (the namespace's
    # `_frozen_importlib` face has them).
    def _find_and_load(self, name: str, import_: object = None) -> ModuleType: ...
    def _find_and_load_here(self, name: str) -> ModuleType: ...
    def _find_spec(
        self, name: str, path: Iterable[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None: ...
    def _exec(self, spec: ModuleSpec, module: ModuleType) -> ModuleType: ...
    def _load(self, spec: ModuleSpec) -> ModuleType: ...
    def _load_unlocked(self, spec: ModuleSpec) -> ModuleType: ...
    def module_from_spec(self, spec: ModuleSpec) -> ModuleType: ...
    def _handle_fromlist(
        self,
        module: ModuleType,
        fromlist: Iterable[str],
        import_: object = None,
        *,
        recursive: bool = False,
    ) -> ModuleType: ...
    def reload(self, module: ModuleType) -> ModuleType: ...
    @property
    def _owner(self) -> Namespace | None: ...

@final
class SharedImporter:
    """The meta path finder and loader for shared and built-in modules."""

    def find_spec(
        self, fullname: str, path: Iterable[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None: ...
    def create_module(self, spec: ModuleSpec) -> ModuleType: ...
    def exec_module(self, _module: ModuleType) -> None: ...

@final
class PathFinder:
    """The meta path finder for the namespace's `path`."""

    def find_spec(
        self, fullname: str, path: Iterable[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None: ...
    def _get_spec(
        self, fullname: str, path: Iterable[str], target: ModuleType | None = None
    ) -> ModuleSpec | None: ...
    def invalidate_caches(self) -> None: ...
    # `importlib.metadata.MetadataPathFinder.find_distributions`, of the namespace's own
    # `importlib.metadata`.
    def find_distributions(self, *args: object, **kwargs: object) -> Iterator[object]: ...

@final
class FileFinder:
    """A finder for the modules of one directory."""

    # `loader_details`: `(loader_class, suffixes)` pairs, as for importlib's FileFinder.
    def __new__(cls, path: str, *loader_details: tuple[type, list[str]]) -> Self: ...
    @classmethod
    def path_hook(cls, *loader_details: tuple[type, list[str]]) -> FileFinderHook: ...
    @property
    def path(self) -> str: ...
    @property
    def _path_cache(self) -> list[str]: ...
    def find_spec(self, fullname: str, target: ModuleType | None = None) -> ModuleSpec | None: ...
    def invalidate_caches(self) -> None: ...
    # pkgutil.iter_modules asks finders other than importlib's FileFinder for this.
    def iter_modules(self, prefix: str | None = None) -> list[tuple[str, bool]]: ...

@final
class FileFinderHook:
    """The path hook that makes a `FileFinder` for a directory."""

    def __new__(cls) -> Self: ...
    # Raises ImportError for anything but an existing directory.
    def __call__(self, path: str) -> FileFinder: ...

@final
class _NamespacePath:
    """A namespace package's `__path__`, recomputed from its parent's path."""

    def __iter__(self) -> Iterator[str]: ...
    @overload
    def __getitem__(self, key: SupportsIndex, /) -> str: ...
    @overload
    def __getitem__(self, key: slice, /) -> list[str]: ...
    @overload
    def __setitem__(self, key: SupportsIndex, value: str, /) -> None: ...
    @overload
    def __setitem__(self, key: slice, value: Iterable[str], /) -> None: ...
    def __len__(self) -> int: ...
    def __contains__(self, key: object, /) -> bool: ...
    def append(self, item: str) -> None: ...

@disjoint_base
class FileLoader:
    """The base of the file loaders: a module name and its file."""

    def __new__(cls, fullname: str, path: str) -> Self: ...
    @property
    def name(self) -> str: ...
    @property
    def path(self) -> str: ...
    def create_module(self, _spec: ModuleSpec) -> ModuleType | None: ...
    def exec_module(self, module: ModuleType) -> None: ...
    def get_code(self, fullname: str | None = None) -> CodeType | None: ...
    def get_filename(self, fullname: str | None = None) -> str: ...
    def get_data(self, path: str) -> bytes: ...
    def is_package(self, fullname: str | None = None) -> bool: ...
    # From 3.10 an `importlib.readers.FileReader`; `None` on 3.9.
    def get_resource_reader(self, fullname: str | None = None) -> object | None: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

class SourceFileLoader(FileLoader):
    """A loader for Python source files."""

    def __new__(cls, fullname: str, path: str) -> Self: ...
    def get_source(self, fullname: str | None = None) -> str: ...
    # {"mtime": float, "size": int}
    def path_stats(self, path: str) -> dict[str, float]: ...
    def set_data(self, path: str, data: bytes, *, _mode: int = 0o666) -> None: ...
    # `_optimize` defaults to -1; pyo3's text signature shows a negative default as `...`.
    def source_to_code(
        self, data: ReadableBuffer | str, path: StrOrBytesPath, *, _optimize: int = ...
    ) -> CodeType: ...

class SourcelessFileLoader(FileLoader):
    """A loader for `.pyc` files with no source."""

    def __new__(cls, fullname: str, path: str) -> Self: ...
    def get_source(self, fullname: str | None = None) -> None: ...

class ExtensionFileLoader(FileLoader):
    """A loader for C extension modules."""

    def __new__(cls, name: str, path: str) -> Self: ...
    def create_module(self, spec: ModuleSpec) -> ModuleType: ...  # type: ignore[override]
    def exec_module(self, module: ModuleType) -> None: ...
    def is_package(self, fullname: str | None = None) -> bool: ...
    def get_source(self, fullname: str | None = None) -> None: ...

@final
class ThreadRedirect:
    """While a namespaced extension initialises: that namespace's function on its thread, the
    original elsewhere. As the host's `_find_and_load` while a namespace that loaded an
    extension is open, it also routes compiled code's run-time imports to the namespace whose
    code is running."""

    def __call__(self, *args: object, **kwargs: object) -> object: ...
    @property
    def __wrapped__(self) -> object:
        """The function this stands in for."""

def build_import_graph(
    path: Sequence[str],
    roots: Sequence[str],
    suffixes: Sequence[tuple[str, Literal["extension", "source", "bytecode"]]],
    builtin: Sequence[str],
    frozen: Sequence[str],
    cwd: str,
    *,
    follow: bool,
    type_checking: bool,
    root_entries: Sequence[str],
) -> ImportGraph:
    """Build the static import graph of `roots` with a namespace's search rules (called by
    `Namespace.import_graph`, which gathers them)."""

_Context = Literal["deferred", "type_checking", "optional", "conditional", "dynamic", "lazy"]

@final
class GraphModule:
    """One module of an `ImportGraph`."""

    @property
    def name(self) -> str: ...
    @property
    def kind(
        self,
    ) -> Literal[
        "source", "pyc", "extension", "namespace", "builtin", "frozen", "set_by_parent", "missing"
    ]: ...
    @property
    def file(self) -> str | None: ...
    @property
    def is_package(self) -> bool: ...
    @property
    def problem(self) -> str | None: ...
    @property
    def once_per_process(self) -> bool | None: ...
    @property
    def parsed(self) -> bool: ...

@final
class ImportEdge:
    """One import site of an `ImportGraph`."""

    @property
    def importer(self) -> str: ...
    @property
    def imported(self) -> str: ...
    @property
    def line(self) -> int: ...
    @property
    def context(self) -> list[_Context]: ...

@final
class ImportGraph:
    """What a set of modules will import, read from their files without running them."""

    @property
    def modules(self) -> list[GraphModule]: ...
    @property
    def edges(self) -> list[ImportEdge]: ...
    def __len__(self) -> int: ...
    def __contains__(self, key: str, /) -> bool: ...
    def __getitem__(self, key: str, /) -> GraphModule: ...
    def imports(self, name: str, *, skip: Iterable[_Context] | None = None) -> list[str]: ...
    def imported_by(self, name: str, *, skip: Iterable[_Context] | None = None) -> list[str]: ...
    def upstream(self, name: str, *, skip: Iterable[_Context] | None = None) -> list[str]: ...
    def downstream(self, name: str, *, skip: Iterable[_Context] | None = None) -> list[str]: ...
    def import_files(self, *roots: str) -> list[str]: ...
    def path(
        self, importer: str, imported: str, *, skip: Iterable[_Context] | None = None
    ) -> list[str] | None: ...
    def cycles(self, *, skip: Iterable[_Context] | None = None) -> list[list[str]]: ...
    def to_json(self) -> str: ...
    def to_dot(self) -> str: ...

@final
class Prefetch:
    """Reads ahead, on a native thread, the files an import will need (issue 13)."""

    def __new__(cls, files: Iterable[str | os.PathLike[str]]) -> Self: ...
    def wait(self) -> None: ...
    def close(self) -> None: ...
    @property
    def done(self) -> bool: ...
    def stats(self) -> dict[str, int]: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, exc_type: object, exc: object, tb: object, /) -> None: ...

# The dev-loop reloader's native pieces (src/watch/, docs/reload.md).
@final
class FileWatcher:
    """Watches files (through their directories) and directory trees; `wait` returns a burst of
    changes once it has been quiet for `settle` seconds."""

    def __new__(cls, settle: float = 0.05) -> Self: ...
    def watch_file(self, path: str | os.PathLike[str]) -> bool:
        """Watch one file; False (nothing watched) when its directory does not exist."""
    def watch_tree(self, path: str | os.PathLike[str]) -> None:
        """Watch a directory recursively, editor, VCS and bytecode debris left out."""
    def wait(
        self, timeout: float | None = None
    ) -> list[tuple[Literal["added", "modified", "removed", "rescan"], str]]:
        """Block until a burst of changes has settled; `[]` on timeout or after `close()`."""
    def close(self) -> None: ...
    @property
    def files(self) -> list[str]: ...
    @property
    def trees(self) -> list[str]: ...
    @property
    def closed(self) -> bool: ...

def raise_in_thread(thread_id: int, exc_type: type[BaseException] | None) -> int:
    """`PyThreadState_SetAsyncExc`: the thread raises `exc_type` at its next bytecode (`None`
    withdraws it); returns the number of threads affected."""
