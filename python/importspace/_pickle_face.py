"""The body of a namespace's `_pickle`: CPython's C pickler, entered from the namespace.

`importspace._faces.pickle_face` runs this file's code once per namespace, in the dict of the
namespace's `_pickle` module, which already holds every name of the C module and these, which it
takes out again (the face's names are the C module's, nothing more):
- `_c_pickle`: the C `_pickle` module (the namespace's own instance from 3.12, where `_pickle` is
  a multi-phase module with per-module state; the process's one instance on 3.9-3.11);
- `_state_dispatch_table`: on 3.9-3.11, the `copyreg.dispatch_table` that the process's one
  instance read when it initialised (the host's); None from 3.12;
- `__builtins__`: the namespace's builtins.

Why a face: the C pickler finds classes and functions with `PyImport_Import`
(`save_global`, `Unpickler.find_class`), which calls the `__import__` of the *running frame's*
builtins and then reads the interpreter's `sys.modules` (docs/isolation.md, "What C code
sees"). Each entry point below is a Python function whose globals are this dict, so whoever
calls it (namespaced code, or host code handed the namespace's `pickle`), the C code runs
under a frame whose
`__import__` is the namespace's, and importspace shows the namespace's module to the C caller.
Everything else (`PickleBuffer`, the exceptions, the memo proxies) is the C module's own object.
"""


def _install(face):
    import copyreg
    from io import BytesIO

    c_pickle = face.pop("_c_pickle")
    state_dispatch_table = face.pop("_state_dispatch_table")
    c_pickler = c_pickle.Pickler
    c_unpickler = c_pickle.Unpickler

    def own_dispatch_table():
        """On 3.9-3.11, the namespace's `copyreg.dispatch_table` when it differs from the table
        the C module's state holds (the host's), so the C pickler must be handed it; else None."""
        if state_dispatch_table is None:
            return None
        own = copyreg.dispatch_table
        if own is state_dispatch_table or own == state_dispatch_table:
            return None
        return own

    class Pickler(c_pickler):
        __doc__ = c_pickler.__doc__
        __slots__ = ()

        def dump(self, obj, /):
            return c_pickler.dump(self, obj)

        dump.__doc__ = c_pickler.dump.__doc__

        if state_dispatch_table is not None:
            # 3.9-3.11: the namespace's table reaches the C pickler through the
            # `dispatch_table` lookup its `__init__` makes (an unset member then). Read from
            # Python, the attribute behaves as the C member does: unset until assigned.
            member = c_pickler.__dict__["dispatch_table"]

            @property
            def dispatch_table(self, member=member):
                try:
                    value = member.__get__(self, type(self))
                except AttributeError:
                    own = own_dispatch_table()
                    if own is None:
                        raise
                    return own
                if value is copyreg.dispatch_table and own_dispatch_table() is not None:
                    name = "_pickle.Pickler" if type(self) is Pickler else type(self).__name__
                    raise AttributeError(f"'{name}' object has no attribute 'dispatch_table'")
                return value

            @dispatch_table.setter
            def dispatch_table(self, value, member=member):
                member.__set__(self, value)

            @dispatch_table.deleter
            def dispatch_table(self, member=member):
                member.__delete__(self)

            del member

    class Unpickler(c_unpickler):
        __doc__ = c_unpickler.__doc__
        __slots__ = ()

        def load(self, /):
            return c_unpickler.load(self)

        def find_class(self, module_name, global_name, /):
            return c_unpickler.find_class(self, module_name, global_name)

        load.__doc__ = c_unpickler.load.__doc__
        find_class.__doc__ = c_unpickler.find_class.__doc__

    def dump(obj, file, protocol=None, *, fix_imports=True, buffer_callback=None):
        if own_dispatch_table() is not None:
            pickler = Pickler(
                file, protocol, fix_imports=fix_imports, buffer_callback=buffer_callback
            )
            pickler.dump(obj)
            return None
        return c_pickle.dump(
            obj, file, protocol, fix_imports=fix_imports, buffer_callback=buffer_callback
        )

    def dumps(obj, protocol=None, *, fix_imports=True, buffer_callback=None):
        if own_dispatch_table() is not None:
            file = BytesIO()
            pickler = Pickler(
                file, protocol, fix_imports=fix_imports, buffer_callback=buffer_callback
            )
            pickler.dump(obj)
            return file.getvalue()
        return c_pickle.dumps(
            obj, protocol, fix_imports=fix_imports, buffer_callback=buffer_callback
        )

    # A module-level function of the C module, entered from a frame of the namespace. Like a C
    # function (and unlike a Python one) it does not bind as a method when a class stores it
    # (`dump = pickle.dump` in a class body), and it pickles by reference.
    class Entry:
        __slots__ = ("_call", "_c_function", "__name__", "__doc__")

        def __init__(self, c_function, call):
            self._call = call
            self._c_function = c_function
            self.__name__ = c_function.__name__
            self.__doc__ = c_function.__doc__

        def __call__(self, /, *args, **kwargs):
            return self._call(*args, **kwargs)

        @property
        def __module__(self):
            return "_pickle"

        # Read as a plain attribute by pickle; a property here would clash with the class's
        # own `__qualname__`.
        def __getattr__(self, name):
            if name == "__qualname__":
                return self.__name__
            raise AttributeError(f"'builtin_function_or_method' object has no attribute {name!r}")

        @property
        def __text_signature__(self):
            return self._c_function.__text_signature__

        @property
        def __signature__(self):
            import inspect

            return inspect.signature(self._c_function)

        def __reduce__(self):
            return self.__name__

        def __repr__(self):
            return f"<built-in function {self.__name__}>"

    for cls in (Pickler, Unpickler):
        cls.__module__ = "_pickle"
        cls.__qualname__ = cls.__name__
        face[cls.__name__] = cls
    face["dump"] = Entry(c_pickle.dump, dump)
    face["dumps"] = Entry(c_pickle.dumps, dumps)
    face["load"] = Entry(c_pickle.load, c_pickle.load)
    face["loads"] = Entry(c_pickle.loads, c_pickle.loads)


_install(globals())
del _install
