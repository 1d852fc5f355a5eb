"""The `sys` module a namespace's code sees.

Its own `__dict__` holds the namespace's import state (`modules`, `path`, `meta_path`,
`path_hooks`, `path_importer_cache`), which the Rust engine reads directly; rebinding one of
them (`sys.path = [...]`) rebinds the namespace's. Every other attribute reads and writes the
interpreter's real `sys`, so `sys.stdout` redirection or `sys.setrecursionlimit` act as usual.
"""

import sys as _real_sys
import types

IMPORT_STATE = frozenset({"modules", "path", "meta_path", "path_hooks", "path_importer_cache"})


class NamespaceSys(types.ModuleType):
    """A `sys` whose import state belongs to one namespace.

    Stdlib modules that run inside a namespace (`runpy`, `importlib.util` on 3.9) make modules
    with `type(sys)(name)`; called with a name, this class gives them an ordinary module.
    """

    def __new__(cls, *args, **kwargs):
        if cls is NamespaceSys and (args or kwargs):
            return types.ModuleType(*args, **kwargs)
        return super().__new__(cls)

    def __init__(self) -> None:
        super().__init__("sys")
        own = self.__dict__
        for dunder in ("__doc__", "__package__", "__loader__", "__spec__"):
            own.pop(dunder, None)

    def __getattr__(self, name: str):
        return getattr(_real_sys, name)

    def __setattr__(self, name: str, value) -> None:
        if name in IMPORT_STATE or name == "__name__":
            self.__dict__[name] = value
        else:
            setattr(_real_sys, name, value)

    def __delattr__(self, name: str) -> None:
        if name in IMPORT_STATE:
            del self.__dict__[name]
        else:
            delattr(_real_sys, name)

    def __dir__(self):
        return sorted(set(dir(_real_sys)) | set(self.__dict__))

    def __repr__(self) -> str:
        return "<module 'sys' (importspace namespace)>"
