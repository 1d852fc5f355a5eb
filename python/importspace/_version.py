"""What the running CPython minor version does, for the behaviours the Python side follows.

The values come from the engine's version table (`src/version.rs`, one row per minor version
3.9 to 3.15; docs/versions.md shows it), exported by the native module as the dict
`importspace._native.VERSION`, so the Python probes and the Rust engine read the same row and
cannot drift. Nothing here probes the interpreter (`hasattr`, `sys.version_info`).

- `TESTED`: the row was checked against a running interpreter of this version (3.9 to 3.13);
  the 3.14 and 3.15 rows were read from CPython's sources only.
- `EXTERNAL_HAS_SET_BOOTSTRAP_MODULE`: `_bootstrap_external._set_bootstrap_module` exists
  (3.10+); 3.9 wires `_bootstrap` in `_setup(_bootstrap_module)`.
- `CODECS_HAS_UNREGISTER`: `_codecs.unregister` exists (3.10+).
- `JSON_KEEPS_DECODE_ERROR_CLASS`: the C JSON scanner keeps the first `JSONDecodeError` class
  it imported for the life of the process (3.9), so the namespace's `_json` face translates
  the class instead of showing the namespace's `json.decoder` (`_json_face.py`).
- `NAMESPACE_LOADER_HAS_RESOURCE_READER`: `NamespaceLoader.get_resource_reader` exists (3.10+).
- `ATTRIBUTE_ERROR_CONTEXT_ON_LOOKUP`: a failed attribute lookup sets `AttributeError.name` and
  `.obj` (3.10+).
- `ATTRIBUTE_ERROR_CONTEXT_ON_DELETE`: a failed attribute delete sets them too (3.13+).
- `DELETE_ERROR_NAMES_TYPE`: deleting a missing attribute raises "'T' object has no attribute
  'x'" (3.11+), not `AttributeError('x')`.
"""

from importspace._native import VERSION as _ROW

TESTED = _ROW["TESTED"]
EXTERNAL_HAS_SET_BOOTSTRAP_MODULE = _ROW["EXTERNAL_HAS_SET_BOOTSTRAP_MODULE"]
CODECS_HAS_UNREGISTER = _ROW["CODECS_HAS_UNREGISTER"]
JSON_KEEPS_DECODE_ERROR_CLASS = _ROW["JSON_KEEPS_DECODE_ERROR_CLASS"]
NAMESPACE_LOADER_HAS_RESOURCE_READER = _ROW["NAMESPACE_LOADER_HAS_RESOURCE_READER"]
ATTRIBUTE_ERROR_CONTEXT_ON_LOOKUP = _ROW["ATTRIBUTE_ERROR_CONTEXT_ON_LOOKUP"]
ATTRIBUTE_ERROR_CONTEXT_ON_DELETE = _ROW["ATTRIBUTE_ERROR_CONTEXT_ON_DELETE"]
DELETE_ERROR_NAMES_TYPE = _ROW["DELETE_ERROR_NAMES_TYPE"]
