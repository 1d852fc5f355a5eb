//! What `IMPORT_FROM` needs during a circular import: the caller's next instruction read from
//! its bytecode (`ceval.c` `import_from` falls back to the interpreter's `sys.modules`, which
//! holds no namespaced module).

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyString;

use super::spec::is_initializing;
use super::state::Importer;
use crate::core::names::ModuleName;
use crate::import::extension::overlay::{host_import, outside_overlay};
use crate::runtime::runtime;

/// `IMPORT_NAME`, `IMPORT_FROM` and `EXTENDED_ARG` as the running interpreter numbers them:
/// read from its `opcode` module's `opmap` (`Lib/opcode.py`), never assumed per version.
#[derive(Debug, Clone, Copy)]
struct ImportOpcodes {
    import_name: u8,
    import_from: u8,
    extended_arg: u8,
}

/// Read the first time a circular `import a.b.c as d` needs them (importing `opcode` costs
/// 0.6 ms on 3.11, 1.1 ms on 3.13: not paid by a process that never needs it).
static IMPORT_OPCODES: PyOnceLock<ImportOpcodes> = PyOnceLock::new();

impl ImportOpcodes {
    /// Read from `opcode.opmap`, imported by the host's own import system (with any extension
    /// overlay set aside). The host's `sys.modules` is left as it was: what importing `opcode`
    /// added there (`opcode`, `_opcode`, 3.13's `_opcode_metadata`) is taken out again.
    fn read(py: Python<'_>) -> PyResult<ImportOpcodes> {
        let host = runtime(py).host_modules(py)?;
        let before = host.copy()?;
        let opcode = outside_overlay(py, || host_import(py, "opcode"));
        for key in host.keys() {
            if !before.contains(&key)? {
                host.del_item(&key)?;
            }
        }
        let opmap = opcode?.getattr("opmap")?;
        let op = |name: &str| -> PyResult<u8> { opmap.get_item(name)?.extract() };
        Ok(ImportOpcodes {
            import_name: op("IMPORT_NAME")?,
            import_from: op("IMPORT_FROM")?,
            extended_arg: op("EXTENDED_ARG")?,
        })
    }
}

impl Importer {
    /// `import a.b.c as d` compiles to `IMPORT_NAME a.b.c` (no fromlist) then `IMPORT_FROM b`,
    /// `IMPORT_FROM c`. During a circular import, `a.b` may still be loading and so not yet an
    /// attribute of `a`; natively `ceval.c:import_from` then falls back to the interpreter's
    /// global `sys.modules` (test_import's `circular_imports/binding.py`), which does not hold
    /// namespaced modules. So when a link of the chain is missing from its parent, is in the
    /// namespace's modules and still initialising, and the caller's next instruction is
    /// `IMPORT_FROM`, bind it onto its parent now (`load_unlocked` unbinds it if that load then
    /// fails; natively it is bound when the load succeeds). A plain `import a.b.c` binds nothing
    /// early: natively `a.b.c` is an `AttributeError` until the load completes, and so it stays.
    pub(crate) fn bind_chain_for_import_from(
        &self,
        py: Python<'_>,
        top: &Bound<'_, PyAny>,
        name: &str,
    ) -> PyResult<()> {
        let full = ModuleName::new(name);
        if full.is_top_level() {
            return Ok(());
        }
        let mut parent = top.clone();
        let mut caller_imports_from = None;
        // Each link below the top: `a.b`, then `a.b.c`.
        for link in full.ancestors().skip(1).chain(std::iter::once(full)) {
            let child = PyString::new(py, link.tail());
            if let Ok(bound) = parent.getattr(&child) {
                parent = bound;
            } else {
                let modules = self.modules(py)?;
                let Some(module) = Self::modules_get(&modules, &PyString::new(py, link.as_str()))?
                else {
                    return Ok(());
                };
                if module.is_none() || !is_initializing(py, &module) {
                    return Ok(());
                }
                if !*caller_imports_from.get_or_insert_with(|| next_instruction_is_import_from(py))
                {
                    return Ok(());
                }
                let _ = parent.setattr(&child, &module);
                parent = module;
            }
        }
        Ok(())
    }
}

/// Whether the Python frame calling `__import__` is at an `IMPORT_NAME` followed by
/// `IMPORT_FROM` (skipping `EXTENDED_ARG`s; on 3.9 `f_lasti` may point at the `EXTENDED_ARG`
/// before `IMPORT_NAME`). The opcode numbers are the running interpreter's (`ImportOpcodes`);
/// if they cannot be read, the answer is no, and the import goes on as a plain `import a.b.c`.
pub(crate) fn next_instruction_is_import_from(py: Python<'_>) -> bool {
    let Ok(&ImportOpcodes {
        import_name,
        import_from,
        extended_arg,
    }) = IMPORT_OPCODES.get_or_try_init(py, || ImportOpcodes::read(py))
    else {
        return false;
    };
    let inspect = || -> PyResult<bool> {
        let frame = runtime(py)
            .host_sys
            .bind(py)
            .getattr("_getframe")?
            .call0()?;
        let Ok(mut i) = usize::try_from(frame.getattr("f_lasti")?.extract::<isize>()?) else {
            return Ok(false);
        };
        let code = frame.getattr("f_code")?.getattr("co_code")?;
        let code = code.cast::<pyo3::types::PyBytes>()?.as_bytes();
        let opcode_at = |i: usize| code.get(i).copied();
        while opcode_at(i) == Some(extended_arg) {
            i += 2;
        }
        if opcode_at(i) != Some(import_name) {
            return Ok(false);
        }
        i += 2;
        while opcode_at(i) == Some(extended_arg) {
            i += 2;
        }
        Ok(opcode_at(i) == Some(import_from))
    };
    inspect().unwrap_or(false)
}
