"""The `sys` module a namespace's code sees.

Its own `__dict__` holds the namespace's import state (`modules`, `path`, `meta_path`,
`path_hooks`, `path_importer_cache`), which the Rust engine reads directly; rebinding one of
them (`sys.path = [...]`) rebinds the namespace's. Every other attribute reads and writes the
interpreter's real `sys`, so `sys.stdout` redirection or `sys.setrecursionlimit` act as usual.

To code that checks, it is a module like the real `sys`: its class is a subclass of
`types.ModuleType` that calls itself `module` (name, qualified name, `__module__` 'builtins'), so
every message CPython formats from the type's name ("Object of type module is not JSON
serializable", "'module' object is not callable") reads as natively, and its repr is the real
`sys`'s. The class carries a data descriptor per attribute of the real `sys` (`_RealSysAttribute`)
that reads, writes and deletes it live, so `inspect.getattr_static(sys, "version")` finds
something, as natively; attributes the real `sys` gains later are read through `__getattr__`.
What remains visible: `type(sys) is types.ModuleType` is false, `sys.__getattr__` exists,
and `vars(sys)` holds only the import state and `__name__`.
"""

import sys as _real_sys
import types

from importspace import _version

IMPORT_STATE = frozenset({"modules", "path", "meta_path", "path_hooks", "path_importer_cache"})
# What a namespace's `sys` keeps in its own `__dict__`.
_OWN = IMPORT_STATE | {"__name__"}

_ModuleType = types.ModuleType
_module_getattribute = _ModuleType.__getattribute__
_module_setattr = _ModuleType.__setattr__
_module_delattr = _ModuleType.__delattr__
_module_dir = _ModuleType.__dir__
_real_sys_getattribute = _real_sys.__getattribute__
_module_dict = _ModuleType.__dict__["__dict__"].__get__
# AttributeError carries `name` and `obj` on 3.10+; CPython fills them in for a failed lookup
# from 3.10, for a failed delete from 3.13.
_LOOKUP_ERROR_CONTEXT = _version.ATTRIBUTE_ERROR_CONTEXT_ON_LOOKUP
_DELETE_ERROR_CONTEXT = _version.ATTRIBUTE_ERROR_CONTEXT_ON_DELETE


def _attribute_error(message, name, obj, context):
    exc = AttributeError(message)
    if context:
        exc.name = name
        exc.obj = obj
    return exc


class _ClassOrRealSys:
    """A class attribute of `module` that reads as `on_class` on the class (and, for the
    `__module__` and `__doc__` entries, on the type) and as the real `sys`'s attribute of the
    same name on a namespace's `sys`: `type(sys).__doc__` is `ModuleType`'s, `sys.__doc__` the
    real one, `sys.__module__` raises as natively."""

    def __init__(self, name, on_class):
        self._name = name
        self._on_class = on_class

    def __get__(self, obj, owner=None):
        if obj is None:
            return self._on_class
        if type(obj) is module:
            return getattr(_real_sys, self._name)
        # An instance of a subclass (whose own class dict has `__module__` and `__doc__`, so
        # only `__reduce__`/`__reduce_ex__` get here): `object`'s method, bound to it.
        bind = getattr(type(self._on_class), "__get__", None)
        return self._on_class if bind is None else bind(self._on_class, obj, owner)


class _RealSysLookup:
    """`module.__getattr__`. CPython binds it with `__get__` before each call: on a namespace's
    `sys` that gives the real `sys`'s attribute lookup, on an instance of a subclass the plain
    module lookup, which raises the native AttributeError."""

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        if type(obj) is module:
            return _real_sys_getattribute
        return _module_getattribute.__get__(obj, owner)


class _RealSysAttribute:
    """A data descriptor of `module` for one attribute of the real `sys`: on a namespace's `sys`
    it reads, writes and deletes the real `sys`'s attribute (a missing one raises, and the lookup
    falls back to `__getattr__`, which raises CPython's own error). It makes the attribute
    visible to `inspect.getattr_static`. Read on the class it is missing, as on `ModuleType`; on
    an instance of a subclass it is the instance's own attribute, as on any module."""

    __slots__ = ("_name",)

    def __init__(self, name):
        self._name = name

    def __get__(self, obj, owner=None):
        if type(obj) is module:
            return _real_sys_getattribute(self._name)
        name = self._name
        if obj is None:
            message = f"type object {owner.__name__!r} has no attribute {name!r}"
            raise _attribute_error(message, name, owner, _LOOKUP_ERROR_CONTEXT)
        try:
            return _module_dict(obj)[name]
        except KeyError:
            # ModuleType's lookup drops this error and raises its own (or calls the module's
            # `__getattr__`).
            raise AttributeError(name) from None

    def __set__(self, obj, value):
        if type(obj) is module:
            setattr(_real_sys, self._name, value)
        else:
            _module_dict(obj)[self._name] = value

    def __delete__(self, obj):
        if type(obj) is module:
            delattr(_real_sys, self._name)
            return
        name = self._name
        try:
            del _module_dict(obj)[name]
        except KeyError:
            if not _version.DELETE_ERROR_NAMES_TYPE:  # before 3.11
                raise AttributeError(name) from None
            message = f"{type(obj).__name__!r} object has no attribute {name!r}"
            raise _attribute_error(message, name, obj, _DELETE_ERROR_CONTEXT) from None


class _ModuleName(str, _ClassOrRealSys):
    """`module.__module__`: `type.__module__` returns what the class dict holds as it is, so
    this must be the string 'builtins' itself."""

    def __new__(cls, name, on_class):
        return str.__new__(cls, on_class)


class module(_ModuleType):
    # Called with arguments, as stdlib code does (`type(sys)(name)`), the class gives an
    # ordinary module; without, it fails as `ModuleType()` does. A namespace's `sys` comes from
    # `new_namespace_sys()`. A subclass gets instances of its own, as natively.
    def __new__(cls, *args, **kwargs):
        if cls is module:
            return _ModuleType(*args, **kwargs)
        return _ModuleType.__new__(cls)

    # What a failed lookup calls: the real `sys`'s own lookup, so the AttributeError comes from
    # C, as natively, with no frame of this file in its traceback.
    __getattr__ = _RealSysLookup()

    def __setattr__(self, name, value):
        if type(self) is not module:
            _module_setattr(self, name, value)
        elif name in _OWN:
            self.__dict__[name] = value
        else:
            setattr(_real_sys, name, value)

    def __delattr__(self, name):
        if type(self) is not module:
            _module_delattr(self, name)
        elif name in _OWN:
            del self.__dict__[name]
        else:
            delattr(_real_sys, name)

    def __dir__(self):
        if type(self) is not module:
            return _module_dir(self)
        return sorted(set(dir(_real_sys)) | set(self.__dict__))

    # pickle and copy call the object's `__reduce_ex__`: the real `sys`'s raises CPython's
    # "cannot pickle 'module' object" at every protocol, where `object`'s would take copyreg's
    # protocol 0-1 path for a heap type (another message). Read on the class (or on an instance
    # of a subclass) they are `object`'s, so `object.__reduce_ex__` sees no override.
    __reduce_ex__ = _ClassOrRealSys("__reduce_ex__", object.__reduce_ex__)
    __reduce__ = _ClassOrRealSys("__reduce__", object.__reduce__)

    __doc__ = _ClassOrRealSys("__doc__", _ModuleType.__doc__)
    __module__ = _ModuleName("__module__", "builtins")


def _cover_real_sys_attributes():
    """Give `module` a `_RealSysAttribute` for each attribute of the real `sys` it has none for
    yet, but the import state and what `ModuleType` itself defines (`__doc__`, `__dict__`...).
    Only when the real `sys` has another number of attributes than at the last look: a
    namespace is made in microseconds."""
    global _covered_count
    real = vars(_real_sys)
    if len(real) == _covered_count:
        return
    for name in list(real):
        if name not in _OWN and name not in _covered and not hasattr(_ModuleType, name):
            setattr(module, name, _RealSysAttribute(name))
            _covered.add(name)
    _covered_count = len(real)


_covered = set()
_covered_count = -1
_cover_real_sys_attributes()


def new_namespace_sys():
    """A fresh `sys` for one namespace: empty but for `__name__`; the engine fills in the import
    state, everything else is read from the real `sys` (through the class's descriptors, which
    first cover what the real `sys` has gained since the last namespace was made)."""
    _cover_real_sys_attributes()
    face = _ModuleType.__new__(module)
    _ModuleType.__init__(face, "sys")
    own = face.__dict__
    for dunder in ("__doc__", "__package__", "__loader__", "__spec__"):
        own.pop(dunder, None)
    return face


# What the Rust engine calls (src/runtime.rs) to make each namespace's `sys`.
NamespaceSys = new_namespace_sys
