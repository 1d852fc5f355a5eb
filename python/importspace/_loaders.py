"""Python-level loaders of the engine."""

import _frozen_importlib_external
import sys

from importspace import _version


class NamespaceLoader(_frozen_importlib_external._NamespaceLoader):
    """The loader of a namespace package (PEP 420) in a namespace.

    CPython's `get_resource_reader` imports `importlib.readers` with the host's import system
    (it is a method of a frozen module). This one imports it the way its caller would, so
    `importlib.resources` running in a namespace gets the namespace's `importlib.readers`, and
    the host's `sys.modules` is left alone.
    """

    if _version.NAMESPACE_LOADER_HAS_RESOURCE_READER:  # 3.10+

        def get_resource_reader(self, module):
            caller_import = sys._getframe(1).f_builtins["__import__"]
            readers = caller_import("importlib.readers", None, None, ["NamespaceReader"], 0)
            return readers.NamespaceReader(self._path)


# Named as the class it extends (`_NamespaceLoader` before 3.11, `NamespaceLoader` since).
NamespaceLoader.__name__ = NamespaceLoader.__qualname__ = (
    _frozen_importlib_external._NamespaceLoader.__name__
)


def load_in_own_frame(find_and_load, name):
    """Run one module load (`Importer._find_and_load_here`) from this small frame.

    Used only while tracemalloc traces: it gives each allocation the line number of the
    innermost Python frame, and without this frame that would be the importing module's body,
    whose line table is walked once per allocation (docs/performance.md, "Known cost").
    """
    return find_and_load(name)
