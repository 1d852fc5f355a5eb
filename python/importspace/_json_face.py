"""The body of a namespace's `_json` on 3.9-3.11: CPython's C JSON scanner, raising the
namespace's `json.decoder.JSONDecodeError` for a malformed document.

How the C scanner finds that class (`Modules/_json.c`, `raise_errmsg`):
- 3.9 imports `json.decoder` at its first error and keeps the class in a C static for the life
  of the process: whichever world raised first, later errors are of its class. The face raises
  the namespace's class instead, with the same message and position.
- 3.10 and 3.11 read `json.decoder` from the interpreter's `sys.modules` at each error, never
  the namespace's: the host's class, or no exception at all (`SystemError`) when the host had not
  imported `json`. The face shows the namespace's module there while the C scanner runs.
- 3.12+ import it through `PyImport_Import`, which reaches the namespace: no face.

`importspace._faces.json_face` runs this code once per namespace, in the dict of the namespace's
`_json`, which already holds every name of the C module and these, which it takes out again
(the face's names are the C module's, nothing more):
- `_c_json`: the C module;
- `_namespace_modules` and `_host_modules`: the namespace's and the interpreter's `sys.modules`;
- `_translate_errors`: True on 3.9 (translate the class), False on 3.10 and 3.11 (show the
  module).
"""


def _install(face):
    c_json = face.pop("_c_json")
    namespace_modules = face.pop("_namespace_modules")
    host_modules = face.pop("_host_modules")
    translate_errors = face.pop("_translate_errors")
    decoder_name = "json.decoder"
    missing = object()

    def scan_raising_own_class(scan, *args):
        try:
            return scan(*args)
        except ValueError as exc:
            own = getattr(namespace_modules.get(decoder_name), "JSONDecodeError", None)
            foreign = type(exc).__name__ == "JSONDecodeError" and hasattr(exc, "pos")
            if own is None or type(exc) is own or not foreign:
                raise
            raise own(exc.msg, exc.doc, exc.pos) from None

    def scan_for_namespace(scan, *args):
        if translate_errors:
            return scan_raising_own_class(scan, *args)
        own = namespace_modules.get(decoder_name)
        if own is None:
            return scan(*args)
        previous = host_modules.get(decoder_name, missing)
        if previous is own:
            return scan(*args)
        host_modules[decoder_name] = own
        try:
            return scan(*args)
        finally:
            if previous is missing:
                host_modules.pop(decoder_name, None)
            else:
                host_modules[decoder_name] = previous

    def scanstring(string, end, strict=True, /):
        return scan_for_namespace(c_json.scanstring, string, end, strict)

    scanstring.__doc__ = c_json.scanstring.__doc__
    scanstring.__module__ = "_json"

    class Scanner:
        __doc__ = c_json.make_scanner.__doc__
        __slots__ = ("_scanner",)

        def __init__(self, context):
            self._scanner = c_json.make_scanner(context)

        def __call__(self, string, idx):
            return scan_for_namespace(self._scanner, string, idx)

        def __getattr__(self, name):
            return getattr(self._scanner, name)

    Scanner.__module__ = "_json"
    Scanner.__qualname__ = "Scanner"
    face["scanstring"] = scanstring
    face["make_scanner"] = Scanner


_install(globals())
del _install
