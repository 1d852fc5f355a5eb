//! The namespace's own faces of modules the process has one of: the import system
//! (`_frozen_importlib`, `_frozen_importlib_external`), the process-wide registries (`atexit`,
//! codecs, fork hooks, `copyreg`), and C modules whose entry points must run under a namespace
//! frame (`_pickle`; `_json` on 3.9–3.11). The faces themselves are `importspace._faces`.

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use super::definition::has_single_phase_init;
use super::overlay::host_import;
use crate::import::state::Importer;

/// The built-in and frozen modules a namespace gets its own copy of (see `importspace._faces`):
/// the import system, bound to the namespace's machinery, and the process-wide registries
/// (`atexit`, codecs, fork hooks, `copyreg`), so what the namespace registers stays its own or
/// is undone when it closes.
pub const FACE_MODULES: [&str; 6] = [
    "_frozen_importlib",
    "_frozen_importlib_external",
    "atexit",
    "_codecs",
    "posix",
    "copyreg",
];

impl Importer {
    /// The namespace's face of a C module whose C code imports outside the namespace
    /// (`importspace._faces`), put in its modules as `name` with the attributes of `c_module`,
    /// the extension module it stands for:
    /// - `_pickle`: the C pickler finds classes with `PyImport_Import`; the face's entry points
    ///   run under a frame of the namespace, so that finds the namespace's modules
    ///   (`importspace/_pickle_face.py`). 3.9-3.11's `_pickle` is single-phase, the host's
    ///   instance in every namespace (`stdlib_single_phase_instance`), whose state holds the
    ///   host's `copyreg.dispatch_table`; from 3.12 each namespace initialises its own.
    /// - `_json` on 3.9-3.11: the C scanner finds `JSONDecodeError` outside the namespace when it
    ///   raises (`Modules/_json.c` `raise_errmsg`: a process-wide static on 3.9, the
    ///   interpreter's modules dict on 3.10 and 3.11); the face raises the namespace's class
    ///   (`importspace/_json_face.py`).
    pub(crate) fn c_module_face<'py>(
        &self,
        py: Python<'py>,
        spec: &Bound<'py, PyAny>,
        loader: &Bound<'py, PyAny>,
        name: &Bound<'py, PyString>,
        c_module: Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (make_face, context) = if name.to_str()? == "_pickle" {
            let state_dispatch_table = if has_single_phase_init(&c_module) {
                host_import(py, "copyreg")?.getattr(intern!(py, "dispatch_table"))?
            } else {
                py.None().into_bound(py)
            };
            (intern!(py, "pickle_face"), state_dispatch_table)
        } else {
            (intern!(py, "json_face"), self.modules(py)?)
        };
        let face = host_import(py, "importspace._faces")?
            .call_method1(make_face, (&c_module, self.builtins_dict.bind(py), context))?;
        face.setattr(intern!(py, "__spec__"), spec)?;
        face.setattr(intern!(py, "__loader__"), loader)?;
        face.setattr(
            intern!(py, "__file__"),
            spec.getattr(intern!(py, "origin"))?,
        )?;
        self.modules(py)?.set_item(name, &face)?;
        Ok(face)
    }

    /// The namespace's own copy of a module in `FACE_MODULES` (see `importspace._faces`);
    /// `_frozen_importlib` and `_frozen_importlib_external` are made together.
    pub(crate) fn module_face<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyString>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let importer = self.importer_object(py)?;
        let meta_path = self.state_item(py, intern!(py, "meta_path"))?;
        let faces = host_import(py, "importspace._faces")?.call_method1(
            "make_face",
            (
                name,
                importer,
                self.sys.bind(py),
                meta_path,
                self.builtins_dict.bind(py),
            ),
        )?;
        let faces = faces.cast_into::<PyDict>()?;
        let modules = self.modules(py)?;
        for (face_name, face) in faces.iter() {
            let face_name = PyString::intern(py, face_name.cast::<PyString>()?.to_str()?);
            if Self::modules_get(&modules, &face_name)?.is_none() {
                modules.set_item(&face_name, face)?;
            }
        }
        modules.get_item(name)
    }
}
