//! The Python-visible methods of `Importer`: `__import__` and the `_bootstrap` functions a
//! namespace's `importlib` face calls, each a thin shim over `bootstrap`.

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString};
use pyo3::{PyTraverseError, PyVisit};

use super::args::{level_from, CArg};
use super::extension::overlay;
use super::state::{deadlock_error, Importer};

#[pymethods]
impl Importer {
    /// The namespace's `builtins.__import__`.
    #[pyo3(
        signature = (name, globals=CArg::Missing, locals=None, fromlist=None, level=CArg::Missing),
        text_signature = "($self, name, globals=None, locals=None, fromlist=None, level=0)"
    )]
    fn __import__<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyAny>,
        globals: CArg<'py>,
        locals: Option<&Bound<'py, PyAny>>,
        fromlist: Option<&Bound<'py, PyAny>>,
        level: CArg<'py>,
    ) -> PyResult<Bound<'py, PyAny>> {
        overlay::restore_transient(py)?;
        let level = match level.given() {
            Some(level) => level_from(py, name, level)?,
            None => 0,
        };
        let seq = self.import_log.begin();
        let (module, resolved) =
            self.import_hook_resolved(py, name, globals.given(), fromlist, level)?;
        if let Some(seq) = seq {
            let from = fromlist.map(|fromlist| (&module, fromlist));
            self.import_log.finish(
                py,
                seq,
                self.builtins_dict.bind(py),
                &resolved,
                from,
                || self.modules(py),
            )?;
        }
        // `PyImport_Import` (C code) passes an empty list, and reads the module back from the
        // interpreter's `sys.modules` (see `overlay::show_for_c_caller`).
        let from_c = level == 0
            && fromlist
                .is_some_and(|f| f.is_exact_instance_of::<PyList>() && f.len().ok() == Some(0))
            && locals.is_some_and(|l| globals.given().is_some_and(|g| g.is(l)));
        if from_c {
            if let Ok(name) = name.cast::<PyString>() {
                if let Some(resolved) = Self::modules_get(&self.modules(py)?, name)? {
                    // While an extension initialises, the overlay shows each module once it
                    // has loaded; one still running its body (3.13's `typing` helpers import
                    // `typing` from C while `typing` defines `Protocol`) is shown now.
                    if overlay::active_for(py, self.builtins_dict.bind(py)) {
                        overlay::show(py, name, &resolved)?;
                    } else {
                        overlay::show_for_c_caller(py, name, &resolved)?;
                    }
                }
            }
        }
        Ok(module)
    }

    /// The namespace's `builtins.__import__` is a method of this object, so pickling it pickles
    /// this object: as the `builtins` module of whatever world unpickles it (through that
    /// world's `importlib.import_module`), whose `__import__` is then looked up, as natively
    /// `builtins.__import__` pickles by reference (`Objects/methodobject.c` `meth_reduce`).
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<(Bound<'py, PyAny>, (&'static str,))> {
        let importlib = self.import_absolute(py, intern!(py, "importlib"))?;
        Ok((
            importlib.getattr(intern!(py, "import_module"))?,
            ("builtins",),
        ))
    }

    /// `importlib._bootstrap._gcd_import`, bound to this namespace.
    #[pyo3(signature = (name, package=None, level=0))]
    fn _gcd_import<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyAny>,
        package: Option<&Bound<'py, PyAny>>,
        level: i64,
    ) -> PyResult<Bound<'py, PyAny>> {
        let seq = self.import_log.begin();
        let (module, resolved) = self.gcd_import(py, name, package, level)?;
        if let Some(seq) = seq {
            let builtins = self.builtins_dict.bind(py);
            self.import_log
                .finish(py, seq, builtins, &resolved, None, || self.modules(py))?;
        }
        Ok(module)
    }

    /// `_bootstrap._find_and_load(name, import_)`, bound to this namespace.
    #[pyo3(signature = (name, import_=None))]
    fn _find_and_load<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyString>,
        import_: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let _ = import_;
        self.find_and_load(py, name)
    }

    /// `_find_and_load` without the tracemalloc frame: what `_loaders.load_in_own_frame` calls.
    fn _find_and_load_here<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyString>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.find_and_load_here(py, name)
    }

    /// `_bootstrap._find_spec(name, path, target=None)`, bound to this namespace.
    #[pyo3(signature = (name, path, target=None))]
    fn _find_spec<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyString>,
        path: Option<&Bound<'py, PyAny>>,
        target: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.find_spec(py, name, path.filter(|p| !p.is_none()), target)
    }

    /// `_bootstrap._exec(spec, module)`: run a spec's loader over an existing module.
    fn _exec<'py>(
        &self,
        py: Python<'py>,
        spec: &Bound<'py, PyAny>,
        module: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.exec_spec(py, spec, module)?;
        let name = spec.getattr(intern!(py, "name"))?;
        self.modules(py)?.get_item(name)
    }

    /// `_bootstrap._load(spec)`: `_load_unlocked` under the module's lock.
    fn _load<'py>(&self, py: Python<'py>, spec: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let name: String = spec.getattr(intern!(py, "name"))?.extract()?;
        let _guard = self
            .locks
            .acquire(py, &name)
            .map_err(|d| deadlock_error(py, d))?;
        self.load_unlocked(py, spec)
    }

    /// `_bootstrap._load_unlocked(spec)`, bound to this namespace.
    fn _load_unlocked<'py>(
        &self,
        py: Python<'py>,
        spec: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.load_unlocked(py, spec)
    }

    /// `_bootstrap.module_from_spec(spec)`; the module also gets the namespace's builtins.
    #[pyo3(name = "module_from_spec")]
    fn py_module_from_spec<'py>(
        &self,
        py: Python<'py>,
        spec: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let loader = spec.getattr(intern!(py, "loader"))?;
        self.module_from_spec(py, spec, &loader)
    }

    /// `_bootstrap._handle_fromlist(module, fromlist, import_, *, recursive=False)`.
    #[pyo3(signature = (module, fromlist, import_=None, *, recursive=false))]
    fn _handle_fromlist<'py>(
        &self,
        py: Python<'py>,
        module: &Bound<'py, PyAny>,
        fromlist: &Bound<'py, PyAny>,
        import_: Option<&Bound<'py, PyAny>>,
        recursive: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let _ = import_;
        self.handle_fromlist(py, module, fromlist, recursive)
    }

    /// `importlib.reload(module)`, bound to this namespace.
    #[pyo3(name = "reload")]
    fn py_reload<'py>(
        &self,
        py: Python<'py>,
        module: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.reload(py, module)
    }

    /// The `Namespace` this importer serves, or `None` once it is gone.
    #[getter]
    fn _owner<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        match self.owner.get(py) {
            Some(weak) => {
                let target = weak.bind(py).call0()?;
                Ok(Some(target).filter(|t| !t.is_none()))
            }
            None => Ok(None),
        }
    }

    fn __repr__(&self) -> String {
        format!("<importspace.Importer for {}>", self.label)
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.state)?;
        visit.call(&self.sys)?;
        visit.call(&self.builtins_dict)?;
        visit.call(&self.reloading)
    }
}
