"""The body of a namespace's `_json` on 3.10 and 3.11: CPython's C JSON scanner, with the
namespace's `json.decoder` shown to it while it scans.

On those versions the C scanner finds `json.decoder.JSONDecodeError`, which it raises for a
malformed document, by reading the interpreter's `sys.modules` (`Modules/_json.c`,
`raise_errmsg`), never the namespace's: it raised the host's class, or, when the host had not
imported `json`, returned no exception at all (`SystemError`). 3.9 imports the module through
the running frame's `__import__`, and 3.12+ through `PyImport_Import`: both reach the namespace.

`importspace._faces.json_face` runs this code once per namespace, in the dict of the namespace's
`_json`, which already holds every name of the C module and these, which it takes out again
(the face's names are the C module's, nothing more):
- `_c_json`: the C module;
- `_namespace_modules` and `_host_modules`: the namespace's and the interpreter's `sys.modules`.
"""


def _install(face):
    c_json = face.pop("_c_json")
    namespace_modules = face.pop("_namespace_modules")
    host_modules = face.pop("_host_modules")
    decoder_name = "json.decoder"
    missing = object()

    def scan_with_decoder_shown(scan, *args):
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
        return scan_with_decoder_shown(c_json.scanstring, string, end, strict)

    scanstring.__doc__ = c_json.scanstring.__doc__
    scanstring.__module__ = "_json"

    class Scanner:
        __doc__ = c_json.make_scanner.__doc__
        __slots__ = ("_scanner",)

        def __init__(self, context):
            self._scanner = c_json.make_scanner(context)

        def __call__(self, string, idx):
            return scan_with_decoder_shown(self._scanner, string, idx)

        def __getattr__(self, name):
            return getattr(self._scanner, name)

    Scanner.__module__ = "_json"
    Scanner.__qualname__ = "Scanner"
    face["scanstring"] = scanstring
    face["make_scanner"] = Scanner


_install(globals())
del _install
