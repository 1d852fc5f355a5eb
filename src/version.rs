//! Every behaviour of the import system that differs between CPython minor versions, in one
//! table: one [`Behaviour`] row per supported minor version (3.9 to 3.15).
//!
//! Pure Rust (no pyo3), so `cargo test --lib version` checks it. The engine asks
//! [`for_minor`] once, with `sys.version_info.minor`, and reads fields instead of comparing
//! version numbers; the Python side reads the same row through [`python_view`]
//! (`importspace._native.VERSION`, read by `python/importspace/_version.py`), so the two cannot
//! drift. docs/versions.md shows the table.
//!
//! # Provenance
//!
//! Rows 3.9 to 3.13 were checked against running interpreters (the project's differential test
//! suites run on each). Rows 3.14 and 3.15 come from reading CPython's sources and documents
//! only: no 3.14 or 3.15 interpreter can be installed on the project's machines, so those rows
//! are untested ([`Behaviour::tested`] is false).
//!
//! # Where each field is used
//!
//! Every version difference in the engine reads exactly one field (`runtime(py).version`):
//!
//! | Site | Field |
//! |---|---|
//! | `runtime.rs` `Runtime::load` (`FileFinder.__init__`'s path rule) | [`Behaviour::finder_path_rule`] |
//! | `import/loader/code.rs` `cache_settings` | [`Behaviour::cache_abspath_drops_dot_slash`] |
//! | `import/finder.rs` `bytes_entry_before_311`, `PathFinder::get_spec` | [`Behaviour::bytes_path_entries_reach_hooks`] |
//! | `import/finder.rs` `legacy_or_find_spec` | [`Behaviour::path_entry_find_loader_fallback`] |
//! | `import/finder.rs` `PathFinder.invalidate_caches` | [`Behaviour::invalidate_caches_drops_relative_entries`] |
//! | `import/bootstrap.rs` `find_and_load_unlocked` | [`Behaviour::tracks_uninitialized_submodules`] |
//! | `import/bootstrap.rs` `find_spec` | [`Behaviour::find_spec_copies_meta_path`] |
//! | `import/bootstrap.rs` `may_be_frozen` | [`Behaviour::frozen_query_is_find_frozen`] |
//! | `import/bootstrap.rs` `foreign_find_spec` | [`Behaviour::meta_path_find_module_fallback`], [`Behaviour::warns_on_find_module_fallback`] |
//! | `import/bootstrap.rs` `load_unlocked` (the `_json` face) | [`Behaviour::json_reads_host_decoder`] |
//! | `import/bootstrap.rs` `calc_package` | [`Behaviour::package_mismatch_warning`] |
//! | `import/bootstrap.rs` `import_hook`, `import/args.rs` `level_from` | [`Behaviour::import_args_parsed_by_getargs`] |
//! | `import/legacy.rs` `is_legacy_zipimporter` | [`Behaviour::zipimporter_is_legacy`] |
//! | `import/legacy.rs` `warn_load_module_fallback` | [`Behaviour::warns_on_load_module_fallback`] |
//! | `import/loader/mod.rs` `FileLoader.get_resource_reader` | [`Behaviour::file_loader_reader_is_file_reader`] |
//! | `import/spec.rs` `init_module_attrs` | [`Behaviour::sets_dunder_cached`] |
//! | `namespace.rs` `Namespace.__new__` | [`Behaviour::world_capturing_single_phase`] |
//!
//! Python probes (`python/importspace/`, now reading `_version.py`):
//!
//! | Site | Field |
//! |---|---|
//! | `_faces.py:156` `_set_bootstrap_module` | [`Behaviour::external_has_set_bootstrap_module`] |
//! | `_faces.py:263,420` `_codecs.unregister` | [`Behaviour::codecs_has_unregister`] |
//! | `_faces.py:373` `_translate_errors` | [`Behaviour::json_keeps_decode_error_class`] |
//! | `_loaders.py:16` `NamespaceLoader.get_resource_reader` | [`Behaviour::namespace_loader_has_resource_reader`] |
//! | `_sys.py:35` `_LOOKUP_ERROR_CONTEXT` | [`Behaviour::attribute_error_context_on_lookup`] |
//! | `_sys.py:36` `_DELETE_ERROR_CONTEXT` | [`Behaviour::attribute_error_context_on_delete`] |
//! | `_sys.py:121` missing-attribute delete message | [`Behaviour::delete_error_names_type`] |
//!
//! Fields with no call site (3.14/3.15 behaviour the engine does not follow yet, or follows
//! without code of its own): [`Behaviour::reimports_initializing_parent`],
//! [`Behaviour::finders_have_discover`], [`Behaviour::lazy_import_builtin`] (docs/versions.md);
//! and
//! [`Behaviour::pickle_is_single_phase`], which the engine detects at run time
//! (`extension::definition::has_single_phase_init`) and the table records as a cross-check.
//!
//! # Opcodes
//!
//! Opcode numbers are not in the table: they change with every minor version and the running
//! interpreter knows them. The engine reads `IMPORT_NAME`, `IMPORT_FROM` and `EXTENDED_ARG` from
//! the interpreter's `opcode.opmap` (`Lib/opcode.py`; `import::import_from::ImportOpcodes`,
//! read on first need). All three still exist in 3.14 (handled by `Python/ceval.c`
//! `_PyEval_ImportName` / `_PyEval_ImportFrom`). How 3.15 compiles `lazy import` (a flag on
//! `IMPORT_NAME` or an opcode of its own) was not verified; reading `opcode.opmap` at run time
//! does not depend on it (see [`Behaviour::lazy_import_builtin`]).

use std::fmt;
use std::ops::RangeInclusive;

pub use crate::core::paths::FinderPathRule;

/// The warning category `_calc___package__` uses when `__package__` and `__spec__.parent`
/// disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackageMismatchWarning {
    /// `ImportWarning` (3.9 to 3.11).
    ImportWarning,
    /// `DeprecationWarning` (3.12 on).
    DeprecationWarning,
}

impl PackageMismatchWarning {
    /// The Python name of the warning class.
    pub fn class_name(self) -> &'static str {
        match self {
            PackageMismatchWarning::ImportWarning => "ImportWarning",
            PackageMismatchWarning::DeprecationWarning => "DeprecationWarning",
        }
    }
}

/// What one CPython minor version does, for each behaviour that differs between versions.
///
/// Each field names the CPython source it describes and the version where it changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Behaviour {
    /// The minor version (`3.minor`) this row describes.
    pub minor: u8,
    /// Whether this row was checked against a running interpreter of that version. False for
    /// 3.14 and 3.15, which were read from CPython's sources only.
    pub tested: bool,

    // ---- Path finding (`Lib/importlib/_bootstrap_external.py`) ----
    /// How `FileFinder.__init__` turns a path entry into `FileFinder.path`
    /// (`Lib/importlib/_bootstrap_external.py` `FileFinder.__init__`): joined onto the cwd
    /// (3.9, 3.10), `''`/`'.'` become the cwd (3.11), `_path_abspath` (3.12 on).
    pub finder_path_rule: FinderPathRule,
    /// `cache_from_source` under `sys.pycache_prefix` makes a relative directory absolute with
    /// `_path_abspath`, which drops a leading `./` (3.12 on); before, with
    /// `_path_join(_os.getcwd(), head)`, which keeps it
    /// (`Lib/importlib/_bootstrap_external.py` `cache_from_source`).
    pub cache_abspath_drops_dot_slash: bool,
    /// Bytes entries of `sys.path` / `__path__` reach the path hooks (3.9, 3.10). From 3.11
    /// `PathFinder._get_spec` skips every entry that is not a `str`
    /// (`Lib/importlib/_bootstrap_external.py` `PathFinder._get_spec`).
    pub bytes_path_entries_reach_hooks: bool,
    /// A path entry finder without `find_spec` is asked through `find_loader` / `find_module`
    /// (`PathFinder._legacy_get_spec`, 3.9 to 3.11); from 3.12 it is skipped
    /// (`Lib/importlib/_bootstrap_external.py` `PathFinder._get_spec`).
    pub path_entry_find_loader_fallback: bool,
    /// `PathFinder.invalidate_caches` also deletes relative keys of
    /// `sys.path_importer_cache` (3.11 on); before, only `None` entries
    /// (`Lib/importlib/_bootstrap_external.py` `PathFinder.invalidate_caches`).
    pub invalidate_caches_drops_relative_entries: bool,
    /// `FileLoader.get_resource_reader` returns `importlib.readers.FileReader(self)` (3.10 on,
    /// when `importlib.readers` was added); 3.9 returns the loader itself (importspace gives
    /// `None`, docs/compliance.md) (`Lib/importlib/_bootstrap_external.py`
    /// `FileLoader.get_resource_reader`).
    pub file_loader_reader_is_file_reader: bool,
    /// `NamespaceLoader` has `get_resource_reader`, returning
    /// `importlib.readers.NamespaceReader` (3.10 on)
    /// (`Lib/importlib/_bootstrap_external.py` `_NamespaceLoader.get_resource_reader`).
    pub namespace_loader_has_resource_reader: bool,
    /// `_bootstrap_external` is wired to `_bootstrap` by `_set_bootstrap_module` (3.10 on);
    /// 3.9 does it in `_setup(_bootstrap_module)`
    /// (`Lib/importlib/_bootstrap_external.py` `_set_bootstrap_module` / `_setup`).
    pub external_has_set_bootstrap_module: bool,
    /// `MetaPathFinder.discover` and `PathEntryFinder.discover(parent=None)` exist: an
    /// iterable of possible specs under a parent (3.15 on; gh-139899, PR #139900,
    /// `Lib/importlib/abc.py` and `Lib/importlib/_bootstrap_external.py` on main). Not
    /// implemented by importspace's finders yet.
    pub finders_have_discover: bool,

    // ---- The import algorithm (`Lib/importlib/_bootstrap.py`) ----
    /// `_find_spec` iterates over a copy of `sys.meta_path` (3.14 on, gh-130094); before, over
    /// the list itself (`Lib/importlib/_bootstrap.py` `_find_spec`).
    pub find_spec_copies_meta_path: bool,
    /// A meta path finder without `find_spec` is asked through `find_module`
    /// (`_find_spec_legacy`, 3.9 to 3.11); from 3.12 it is skipped
    /// (`Lib/importlib/_bootstrap.py` `_find_spec`).
    pub meta_path_find_module_fallback: bool,
    /// That `find_module` fallback first warns `ImportWarning("{finder}.find_spec() not found;
    /// falling back to find_module()")` (3.10 and 3.11)
    /// (`Lib/importlib/_bootstrap.py` `_find_spec_legacy`).
    pub warns_on_find_module_fallback: bool,
    /// A loader without `exec_module` warns `ImportWarning("{loader}.exec_module() not found;
    /// falling back to load_module()")` before `load_module` (3.10 on)
    /// (`Lib/importlib/_bootstrap.py` `_load_unlocked` and `_exec`).
    pub warns_on_load_module_fallback: bool,
    /// `_find_and_load_unlocked` records a loading child in its parent spec's
    /// `_uninitialized_submodules` (3.11 on), read by module `__getattr__` errors
    /// (`Lib/importlib/_bootstrap.py` `_find_and_load_unlocked`,
    /// `Objects/moduleobject.c` `_Py_module_getattro_impl`).
    pub tracks_uninitialized_submodules: bool,
    /// `_find_and_load_unlocked` imports the parent again when the parent is already in
    /// `sys.modules` but its spec is still `_initializing` (3.14 on)
    /// (`Lib/importlib/_bootstrap.py` `_find_and_load_unlocked`, 3.14.2). Not followed by the
    /// engine yet.
    pub reimports_initializing_parent: bool,
    /// The warning `_calc___package__` gives for `__package__ != __spec__.parent`
    /// (`Lib/importlib/_bootstrap.py` `_calc___package__`; C twin `Python/import.c`
    /// `resolve_name`): `ImportWarning` to 3.11, `DeprecationWarning` from 3.12.
    pub package_mismatch_warning: PackageMismatchWarning,
    /// `_init_module_attrs` sets `module.__cached__` from `spec.cached` (3.9 to 3.14). 3.15
    /// no longer sets it (GH-65961, PR #142165 "Stop setting `__cached__` on modules";
    /// `Doc/reference/datamodel.rst`: "versionchanged 3.15: `__cached__` is no longer set");
    /// `ModuleSpec.cached` remains, and is what the docs point to
    /// (`Lib/importlib/_bootstrap.py` `_init_module_attrs`).
    pub sets_dunder_cached: bool,
    /// `FrozenImporter.find_spec` asks `_imp.find_frozen(name)`, which returns `None` or a
    /// tuple (3.11 on); before, `_imp.is_frozen(name)`, a bool
    /// (`Lib/importlib/_bootstrap.py` `FrozenImporter.find_spec`, `Python/import.c`
    /// `_imp_find_frozen_impl`).
    pub frozen_query_is_find_frozen: bool,
    /// `__import__` parses its arguments with `PyArg_ParseTupleAndKeywords` (3.9, 3.10): `name`
    /// (format "U") is checked before `level`, and the type error reads
    /// "__import__() argument 1 must be str, not None". From 3.11 Argument Clinic parses
    /// them and `PyImport_ImportModuleLevelObject` says "module name must be a string"
    /// (`Python/bltinmodule.c` `builtin___import__`).
    pub import_args_parsed_by_getargs: bool,
    /// `zipimport.zipimporter` has only the legacy `find_module` / `load_module` protocol
    /// (3.9); from 3.10 it has `find_spec` and `exec_module` (`Lib/zipimport.py`
    /// `zipimporter`).
    pub zipimporter_is_legacy: bool,
    /// PEP 810 explicit lazy imports (3.15 on). `lazy import x` / `lazy from x import y` (and
    /// imports named in a module's `__lazy_modules__`) call the builtin `__lazy_import__`, found
    /// in the frame's builtins, instead of `__import__`; it returns a `lazy_import` object
    /// (`types.LazyImportType`) that keeps the builtins it was created with (`lz_builtins`),
    /// the name and the fromlist, and is reified on first use or by its `resolve()` method,
    /// which imports through `Python/import.c` `_PyImport_LoadLazyImportTstate`
    /// (`Objects/lazyimportobject.c` `_PyLazyImport_New`, v3.15.0a8 and v3.15.0b4). A
    /// namespace's builtins therefore need their own `__lazy_import__`, and reification must
    /// reach the namespace's `__import__` through those builtins.
    pub lazy_import_builtin: bool,

    // ---- C modules whose state is process-wide ----
    /// Single-phase C accelerators that keep objects of the Python modules they import, in C
    /// statics or by registering their types with them: `_asyncio` keeps `asyncio`'s
    /// `CancelledError`, event-loop policy getter and helpers (`Modules/_asynciomodule.c`
    /// `module_init`), `_elementtree` keeps `copy.deepcopy` and `xml.etree.ElementPath`
    /// (`Modules/_elementtree.c`), `_decimal` registers `Decimal` with `numbers.Number` and
    /// keeps `collections.namedtuple` results (`Modules/_decimal/_decimal.c`). `_asyncio` and
    /// `_elementtree` to 3.11, `_decimal` to 3.12; multi-phase after. A namespace gets `None`
    /// for them unless shared (`Namespace.__new__`, src/namespace.rs).
    pub world_capturing_single_phase: &'static [&'static str],
    /// `_pickle` is single-phase, so its module state (holding `copyreg.dispatch_table`) is the
    /// process's (3.9 to 3.11; multi-phase from 3.12) (`Modules/_pickle.c` `PyInit__pickle`).
    /// The engine detects this at run time; the field is a cross-check.
    pub pickle_is_single_phase: bool,
    /// The C JSON scanner finds `json.decoder.JSONDecodeError` outside the namespace, so a
    /// namespace's `_json` is a face (3.9 to 3.11): 3.9 keeps the first class it imported in
    /// a C static, 3.10 and 3.11 read the interpreter's `sys.modules`; from 3.12 it imports
    /// through `PyImport_Import`, which reaches the namespace (`Modules/_json.c`
    /// `raise_errmsg`).
    pub json_reads_host_decoder: bool,
    /// Of the above, 3.9's C static keeps one class for the process, so the face translates the
    /// exception class (`_translate_errors`) rather than showing the namespace's module
    /// (`Modules/_json.c` `raise_errmsg`, 3.9).
    pub json_keeps_decode_error_class: bool,
    /// `_codecs.unregister` exists (3.10 on) (`Modules/_codecsmodule.c`
    /// `_codecs_unregister`).
    pub codecs_has_unregister: bool,

    // ---- Attribute errors a namespace's `sys` must match (`Objects/`) ----
    /// A failed attribute lookup sets `AttributeError.name` and `.obj` (3.10 on)
    /// (`Objects/object.c` `PyObject_GetAttr` / `set_attribute_error_context`).
    pub attribute_error_context_on_lookup: bool,
    /// A failed delete of a module's attribute sets them too (3.13 on; a plain instance's
    /// still does not) (`Objects/moduleobject.c`, `Objects/object.c`
    /// `_PyObject_GenericSetAttrWithDict`).
    pub attribute_error_context_on_delete: bool,
    /// Deleting a missing instance attribute raises "'{type}' object has no attribute
    /// '{name}'" (3.11 on); before, `AttributeError(name)` (`Objects/object.c`
    /// `_PyObject_GenericSetAttrWithDict`).
    pub delete_error_names_type: bool,
}

/// The minor versions importspace knows.
pub const SUPPORTED: RangeInclusive<u8> = 9..=15;

/// The minor versions whose rows were checked against a running interpreter.
pub const TESTED: RangeInclusive<u8> = 9..=13;

const PY39: Behaviour = Behaviour {
    minor: 9,
    tested: true,
    finder_path_rule: FinderPathRule::JoinOntoCwd,
    cache_abspath_drops_dot_slash: false,
    bytes_path_entries_reach_hooks: true,
    path_entry_find_loader_fallback: true,
    invalidate_caches_drops_relative_entries: false,
    file_loader_reader_is_file_reader: false,
    namespace_loader_has_resource_reader: false,
    external_has_set_bootstrap_module: false,
    finders_have_discover: false,
    find_spec_copies_meta_path: false,
    meta_path_find_module_fallback: true,
    warns_on_find_module_fallback: false,
    warns_on_load_module_fallback: false,
    tracks_uninitialized_submodules: false,
    reimports_initializing_parent: false,
    package_mismatch_warning: PackageMismatchWarning::ImportWarning,
    sets_dunder_cached: true,
    frozen_query_is_find_frozen: false,
    import_args_parsed_by_getargs: true,
    zipimporter_is_legacy: true,
    lazy_import_builtin: false,
    world_capturing_single_phase: &["_asyncio", "_elementtree", "_decimal"],
    pickle_is_single_phase: true,
    json_reads_host_decoder: true,
    json_keeps_decode_error_class: true,
    codecs_has_unregister: false,
    attribute_error_context_on_lookup: false,
    attribute_error_context_on_delete: false,
    delete_error_names_type: false,
};

const PY310: Behaviour = Behaviour {
    minor: 10,
    file_loader_reader_is_file_reader: true,
    namespace_loader_has_resource_reader: true,
    external_has_set_bootstrap_module: true,
    warns_on_find_module_fallback: true,
    warns_on_load_module_fallback: true,
    zipimporter_is_legacy: false,
    json_keeps_decode_error_class: false,
    codecs_has_unregister: true,
    attribute_error_context_on_lookup: true,
    ..PY39
};

const PY311: Behaviour = Behaviour {
    minor: 11,
    finder_path_rule: FinderPathRule::CwdForDot,
    bytes_path_entries_reach_hooks: false,
    invalidate_caches_drops_relative_entries: true,
    tracks_uninitialized_submodules: true,
    frozen_query_is_find_frozen: true,
    import_args_parsed_by_getargs: false,
    delete_error_names_type: true,
    ..PY310
};

const PY312: Behaviour = Behaviour {
    minor: 12,
    finder_path_rule: FinderPathRule::AbsPath,
    cache_abspath_drops_dot_slash: true,
    path_entry_find_loader_fallback: false,
    meta_path_find_module_fallback: false,
    warns_on_find_module_fallback: false,
    package_mismatch_warning: PackageMismatchWarning::DeprecationWarning,
    world_capturing_single_phase: &["_decimal"],
    pickle_is_single_phase: false,
    json_reads_host_decoder: false,
    ..PY311
};

const PY313: Behaviour = Behaviour {
    minor: 13,
    world_capturing_single_phase: &[],
    attribute_error_context_on_delete: true,
    ..PY312
};

const PY314: Behaviour = Behaviour {
    minor: 14,
    tested: false,
    find_spec_copies_meta_path: true,
    reimports_initializing_parent: true,
    ..PY313
};

const PY315: Behaviour = Behaviour {
    minor: 15,
    sets_dunder_cached: false,
    lazy_import_builtin: true,
    finders_have_discover: true,
    ..PY314
};

/// One row per supported minor version, in order.
pub const ROWS: [Behaviour; 7] = [PY39, PY310, PY311, PY312, PY313, PY314, PY315];

/// The refusal of a CPython version importspace has no row for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownVersion {
    /// The minor version of the running interpreter (`3.minor`).
    pub minor: u8,
}

impl fmt::Display for UnknownVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "importspace supports CPython 3.{} to 3.{} (3.{} and later untested: read from \
             CPython's sources, not run); this is CPython 3.{}",
            SUPPORTED.start(),
            SUPPORTED.end(),
            TESTED.end() + 1,
            self.minor
        )
    }
}

impl std::error::Error for UnknownVersion {}

/// The row of CPython 3.`minor`, or the refusal of a version importspace does not know.
pub fn for_minor(minor: u8) -> Result<&'static Behaviour, UnknownVersion> {
    ROWS.iter()
        .find(|row| row.minor == minor)
        .ok_or(UnknownVersion { minor })
}

/// The fields the Python side (`python/importspace/_version.py`) reads, by the constant names
/// it exposes them under. Exported to Python as the dict `importspace._native.VERSION`.
pub fn python_view(row: &Behaviour) -> Vec<(&'static str, bool)> {
    vec![
        ("TESTED", row.tested),
        (
            "EXTERNAL_HAS_SET_BOOTSTRAP_MODULE",
            row.external_has_set_bootstrap_module,
        ),
        ("CODECS_HAS_UNREGISTER", row.codecs_has_unregister),
        (
            "JSON_KEEPS_DECODE_ERROR_CLASS",
            row.json_keeps_decode_error_class,
        ),
        (
            "NAMESPACE_LOADER_HAS_RESOURCE_READER",
            row.namespace_loader_has_resource_reader,
        ),
        (
            "ATTRIBUTE_ERROR_CONTEXT_ON_LOOKUP",
            row.attribute_error_context_on_lookup,
        ),
        (
            "ATTRIBUTE_ERROR_CONTEXT_ON_DELETE",
            row.attribute_error_context_on_delete,
        ),
        ("DELETE_ERROR_NAMES_TYPE", row.delete_error_names_type),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_supported_minor_has_its_row_in_order() {
        let minors: Vec<u8> = ROWS.iter().map(|row| row.minor).collect();
        assert_eq!(minors, SUPPORTED.collect::<Vec<u8>>());
        for minor in SUPPORTED {
            assert_eq!(for_minor(minor).unwrap().minor, minor);
        }
    }

    #[test]
    fn unknown_versions_are_refused_with_the_supported_range() {
        for minor in [0, 8, 16, 99] {
            let err = for_minor(minor).unwrap_err();
            assert_eq!(err, UnknownVersion { minor });
            let message = err.to_string();
            assert!(message.contains("CPython 3.9 to 3.15"), "{message}");
            assert!(message.contains("3.14 and later untested"), "{message}");
            assert!(
                message.ends_with(&format!("this is CPython 3.{minor}")),
                "{message}"
            );
        }
    }

    #[test]
    fn tested_flag_matches_the_tested_range() {
        for row in &ROWS {
            assert_eq!(row.tested, TESTED.contains(&row.minor), "3.{}", row.minor);
        }
    }

    #[test]
    fn finder_path_rule_matches_the_former_version_switch() {
        let rule = |minor| for_minor(minor).unwrap().finder_path_rule;
        assert_eq!(rule(9), FinderPathRule::JoinOntoCwd);
        assert_eq!(rule(10), FinderPathRule::JoinOntoCwd);
        assert_eq!(rule(11), FinderPathRule::CwdForDot);
        for minor in 12..=15 {
            assert_eq!(rule(minor), FinderPathRule::AbsPath);
        }
    }

    /// Each field against the version the engine's comparison used (`minor >= N` and the
    /// like), so the table replaces them without changing behaviour.
    #[test]
    fn fields_match_the_engines_version_comparisons() {
        for row in &ROWS {
            let m = row.minor;
            assert_eq!(row.cache_abspath_drops_dot_slash, m >= 12, "3.{m}");
            assert_eq!(row.bytes_path_entries_reach_hooks, m < 11, "3.{m}");
            assert_eq!(row.path_entry_find_loader_fallback, m < 12, "3.{m}");
            assert_eq!(
                row.invalidate_caches_drops_relative_entries,
                m >= 11,
                "3.{m}"
            );
            assert_eq!(row.tracks_uninitialized_submodules, m >= 11, "3.{m}");
            assert_eq!(row.find_spec_copies_meta_path, m >= 14, "3.{m}");
            assert_eq!(row.frozen_query_is_find_frozen, m >= 11, "3.{m}");
            assert_eq!(row.meta_path_find_module_fallback, m < 12, "3.{m}");
            // Reached only where the fallback exists (`minor >= 10` inside `minor < 12`).
            assert_eq!(
                row.warns_on_find_module_fallback,
                m == 10 || m == 11,
                "3.{m}"
            );
            assert_eq!(row.json_reads_host_decoder, m <= 11, "3.{m}");
            let expected = if m >= 12 {
                PackageMismatchWarning::DeprecationWarning
            } else {
                PackageMismatchWarning::ImportWarning
            };
            assert_eq!(row.package_mismatch_warning, expected, "3.{m}");
            assert_eq!(row.import_args_parsed_by_getargs, m <= 10, "3.{m}");
            assert_eq!(row.zipimporter_is_legacy, m < 10, "3.{m}");
            assert_eq!(row.warns_on_load_module_fallback, m >= 10, "3.{m}");
            assert_eq!(row.file_loader_reader_is_file_reader, m >= 10, "3.{m}");
            assert_eq!(row.pickle_is_single_phase, m <= 11, "3.{m}");
            // Python probes.
            assert_eq!(row.external_has_set_bootstrap_module, m >= 10, "3.{m}");
            assert_eq!(row.codecs_has_unregister, m >= 10, "3.{m}");
            assert_eq!(row.json_keeps_decode_error_class, m < 10, "3.{m}");
            assert_eq!(row.namespace_loader_has_resource_reader, m >= 10, "3.{m}");
            assert_eq!(row.attribute_error_context_on_lookup, m >= 10, "3.{m}");
            assert_eq!(row.attribute_error_context_on_delete, m >= 13, "3.{m}");
            assert_eq!(row.delete_error_names_type, m >= 11, "3.{m}");
        }
    }

    #[test]
    fn world_capturing_accelerators_match_their_last_single_phase_version() {
        // (name, last single-phase minor), as src/namespace.rs has them.
        let last_single_phase = [("_asyncio", 11), ("_elementtree", 11), ("_decimal", 12)];
        for row in &ROWS {
            for (name, last) in last_single_phase {
                assert_eq!(
                    row.world_capturing_single_phase.contains(&name),
                    row.minor <= last,
                    "{name} on 3.{}",
                    row.minor
                );
            }
        }
    }

    #[test]
    fn spot_checks_against_known_facts() {
        let row = |minor| for_minor(minor).unwrap();
        // 3.12 drops the find_module / find_loader fallbacks.
        assert!(row(11).meta_path_find_module_fallback);
        assert!(!row(12).meta_path_find_module_fallback);
        assert!(!row(12).path_entry_find_loader_fallback);
        // 3.15 stops setting __cached__ and adds PEP 810's builtin.
        assert!(row(14).sets_dunder_cached);
        assert!(!row(15).sets_dunder_cached);
        assert!(!row(14).lazy_import_builtin);
        assert!(row(15).lazy_import_builtin);
        // 3.13 is the first with no single-phase world-capturing accelerator.
        assert!(row(13).world_capturing_single_phase.is_empty());
        assert_eq!(row(12).world_capturing_single_phase, ["_decimal"]);
    }

    #[test]
    fn python_view_names_are_unique_constants() {
        let view = python_view(for_minor(12).unwrap());
        let mut names: Vec<&str> = view.iter().map(|(name, _)| *name).collect();
        assert!(names
            .iter()
            .all(|name| name.chars().all(|c| c.is_ascii_uppercase() || c == '_')));
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), view.len());
    }

    #[test]
    fn python_view_reads_the_row() {
        let view = |minor| python_view(for_minor(minor).unwrap());
        let get = |minor, name: &str| {
            view(minor)
                .into_iter()
                .find(|(n, _)| *n == name)
                .map(|(_, value)| value)
                .unwrap()
        };
        assert!(!get(9, "CODECS_HAS_UNREGISTER"));
        assert!(get(10, "CODECS_HAS_UNREGISTER"));
        assert!(get(9, "JSON_KEEPS_DECODE_ERROR_CLASS"));
        assert!(!get(10, "JSON_KEEPS_DECODE_ERROR_CLASS"));
        assert!(!get(12, "ATTRIBUTE_ERROR_CONTEXT_ON_DELETE"));
        assert!(get(13, "ATTRIBUTE_ERROR_CONTEXT_ON_DELETE"));
        assert!(get(13, "TESTED"));
        assert!(!get(14, "TESTED"));
    }
}
