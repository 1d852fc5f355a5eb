//! The graph as Python sees it: `ImportGraph`, built by `build_import_graph` (which
//! `Namespace.import_graph` calls with the namespace's search rules).

use std::collections::HashSet;
use std::fmt::Write;

use pyo3::exceptions::{PyKeyError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use super::build::{self, Options};
use super::extract::Context;
use super::model::{Edge, Graph, Module};
use super::resolve::{FileKind, Resolver, SearchRules};

/// The context names `skip=` takes, with their flags.
const CONTEXTS: [(&str, Context); 6] = [
    ("deferred", Context::DEFERRED),
    ("type_checking", Context::TYPE_CHECKING),
    ("optional", Context::OPTIONAL),
    ("conditional", Context::CONDITIONAL),
    ("dynamic", Context::DYNAMIC),
    ("lazy", Context::LAZY),
];

/// Build the import graph of `roots` with a namespace's search rules (see
/// `Namespace.import_graph` in python/importspace/_namespace.py, which gathers them); with no
/// roots, of every module directly in the directories `root_entries`.
#[pyfunction]
#[pyo3(signature = (path, roots, suffixes, builtin, frozen, cwd, *, follow, type_checking, root_entries))]
#[allow(clippy::too_many_arguments)]
pub fn build_import_graph(
    py: Python<'_>,
    path: Vec<String>,
    roots: Vec<String>,
    suffixes: Vec<(String, String)>,
    builtin: Vec<String>,
    frozen: Vec<String>,
    cwd: String,
    follow: bool,
    type_checking: bool,
    root_entries: Vec<String>,
) -> PyResult<ImportGraph> {
    let suffixes = suffixes
        .into_iter()
        .map(|(suffix, kind)| {
            let kind = match kind.as_str() {
                "extension" => FileKind::Extension,
                "source" => FileKind::Source,
                "bytecode" => FileKind::Bytecode,
                other => {
                    return Err(PyValueError::new_err(format!(
                        "unknown loader kind {other:?}"
                    )))
                }
            };
            Ok((suffix, kind))
        })
        .collect::<PyResult<Vec<_>>>()?;
    let resolver = Resolver::new(SearchRules {
        path,
        suffixes,
        builtin: builtin.into_iter().collect(),
        frozen: frozen.into_iter().collect(),
        cwd,
    });
    let options = Options {
        follow,
        type_checking,
    };
    let decode_with_codec = |codec: &str, body: &[u8]| -> Result<String, String> {
        Python::attach(|py| {
            PyBytes::new(py, body)
                .call_method1("decode", (codec,))
                .and_then(|text| text.extract::<String>())
                .map_err(|err| format!("SyntaxError: {err}"))
        })
    };
    // A pool of our own for each graph, gone when it is built: rayon's global pool would leave
    // threads behind, and a child forked later (multiprocessing) would wait for them forever.
    // Its size is rayon's default: RAYON_NUM_THREADS, else one thread per core.
    let pool = rayon::ThreadPoolBuilder::new()
        .thread_name(|index| format!("importspace-graph-{index}"))
        .build()
        .map_err(|err| {
            PyRuntimeError::new_err(format!("cannot start the graph's threads: {err}"))
        })?;
    let graph = py.detach(|| {
        pool.install(|| {
            // No roots: every module directly in `root_entries`.
            let roots = if roots.is_empty() {
                build::child_names(&root_entries, resolver.suffixes())
            } else {
                roots
            };
            build::build(&resolver, &roots, &options, &decode_with_codec)
        })
    });
    Ok(ImportGraph { graph })
}

/// A static import graph: the modules a set of roots imports, read from their files.
#[pyclass(name = "ImportGraph", module = "importspace", frozen)]
pub struct ImportGraph {
    graph: Graph,
}

/// One module of an `ImportGraph`.
#[pyclass(name = "GraphModule", module = "importspace", frozen, get_all)]
pub struct GraphModule {
    name: String,
    /// `source`, `pyc`, `extension`, `namespace`, `builtin`, `frozen`, `set_by_parent`, `missing`.
    kind: &'static str,
    file: Option<String>,
    is_package: bool,
    problem: Option<String>,
    once_per_process: Option<bool>,
    parsed: bool,
}

#[pymethods]
impl GraphModule {
    fn __repr__(&self) -> String {
        format!("<GraphModule {} ({})>", self.name, self.kind)
    }
}

/// One import site of an `ImportGraph`.
#[pyclass(name = "ImportEdge", module = "importspace", frozen, get_all)]
pub struct ImportEdge {
    importer: String,
    imported: String,
    line: u32,
    /// The context names of the site (empty at module level).
    context: Vec<&'static str>,
}

#[pymethods]
impl ImportEdge {
    fn __repr__(&self) -> String {
        format!(
            "<ImportEdge {} -> {} line {}{}>",
            self.importer,
            self.imported,
            self.line,
            self.context
                .iter()
                .map(|c| format!(" {c}"))
                .collect::<String>()
        )
    }
}

impl ImportGraph {
    fn index(&self, name: &str) -> PyResult<usize> {
        self.graph
            .index_of(name)
            .ok_or_else(|| PyKeyError::new_err(name.to_owned()))
    }

    fn names(&self, indexes: impl IntoIterator<Item = usize>) -> Vec<String> {
        indexes
            .into_iter()
            .map(|i| self.graph.module(i).name.clone())
            .collect()
    }

    fn module_view(module: &Module) -> GraphModule {
        GraphModule {
            name: module.name.clone(),
            kind: module.kind.as_str(),
            file: module.file.clone(),
            is_package: module.is_package,
            problem: module.problem.clone(),
            once_per_process: module.once_per_process,
            parsed: module.parsed,
        }
    }

    fn edge_view(&self, edge: &Edge) -> ImportEdge {
        ImportEdge {
            importer: self.graph.module(edge.importer).name.clone(),
            imported: self.graph.module(edge.imported).name.clone(),
            line: edge.line,
            context: edge.context.names().into_vec(),
        }
    }
}

/// The edge filter for `skip`: context names whose edges are left out.
fn skipping(skip: &Bound<'_, PyAny>) -> PyResult<impl Fn(&Edge) -> bool> {
    let mut flags = Vec::new();
    for item in skip.try_iter()? {
        let name: String = item?.extract()?;
        let flag = CONTEXTS
            .iter()
            .find(|(known, _)| *known == name)
            .map(|(_, flag)| *flag)
            .ok_or_else(|| {
                let known: Vec<&str> = CONTEXTS.iter().map(|(n, _)| *n).collect();
                PyValueError::new_err(format!(
                    "unknown import context {name:?} (known: {})",
                    known.join(", ")
                ))
            })?;
        flags.push(flag);
    }
    Ok(move |edge: &Edge| !flags.iter().any(|flag| edge.context.contains(*flag)))
}

#[pymethods]
impl ImportGraph {
    /// Every module, in the order found.
    #[getter]
    fn modules(&self) -> Vec<GraphModule> {
        self.graph.modules().map(Self::module_view).collect()
    }

    /// Every import site.
    #[getter]
    fn edges(&self) -> Vec<ImportEdge> {
        self.graph
            .edges()
            .iter()
            .map(|e| self.edge_view(e))
            .collect()
    }

    fn __len__(&self) -> usize {
        self.graph.len()
    }

    fn __contains__(&self, name: &str) -> bool {
        self.graph.index_of(name).is_some()
    }

    fn __getitem__(&self, name: &str) -> PyResult<GraphModule> {
        Ok(Self::module_view(self.graph.module(self.index(name)?)))
    }

    fn __repr__(&self) -> String {
        format!(
            "<ImportGraph: {} modules, {} import sites>",
            self.graph.len(),
            self.graph.edges().len()
        )
    }

    /// The modules `name` imports directly.
    #[pyo3(signature = (name, *, skip = None))]
    fn imports(&self, name: &str, skip: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<String>> {
        self.direct(name, skip, |edge| (edge.importer, edge.imported))
    }

    /// The modules that import `name` directly.
    #[pyo3(signature = (name, *, skip = None))]
    fn imported_by(&self, name: &str, skip: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<String>> {
        self.direct(name, skip, |edge| (edge.imported, edge.importer))
    }

    /// Every module importing `name` imports: directly, through what those import, and the
    /// parent packages of each (which an import runs first).
    #[pyo3(signature = (name, *, skip = None))]
    fn upstream(&self, name: &str, skip: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<String>> {
        let keep = self.keep(skip)?;
        Ok(self.names(self.graph.upstream(self.index(name)?, keep)))
    }

    /// The files an import of `roots` reads, in the order it first needs them (depth first,
    /// parents first, imports in line order; deferred, `TYPE_CHECKING` and lazy imports left
    /// out): what `importspace.Prefetch` takes.
    #[pyo3(signature = (*roots))]
    fn import_files(&self, roots: Vec<String>) -> PyResult<Vec<String>> {
        let roots = roots
            .iter()
            .map(|root| self.index(root))
            .collect::<PyResult<Vec<_>>>()?;
        Ok(self.graph.import_files(&roots))
    }

    /// Every module whose import imports `name`.
    #[pyo3(signature = (name, *, skip = None))]
    fn downstream(&self, name: &str, skip: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<String>> {
        let keep = self.keep(skip)?;
        Ok(self.names(self.graph.downstream(self.index(name)?, keep)))
    }

    /// A shortest chain of direct imports from `importer` to `imported`, or `None`.
    #[pyo3(signature = (importer, imported, *, skip = None))]
    fn path(
        &self,
        importer: &str,
        imported: &str,
        skip: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Option<Vec<String>>> {
        let keep = self.keep(skip)?;
        let chain = self
            .graph
            .path(self.index(importer)?, self.index(imported)?, keep);
        Ok(chain.map(|c| self.names(c)))
    }

    /// The import cycles: groups of modules that import each other, directly or not.
    #[pyo3(signature = (*, skip = None))]
    fn cycles(&self, skip: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<Vec<String>>> {
        let keep = self.keep(skip)?;
        Ok(self
            .graph
            .cycles(keep)
            .into_iter()
            .map(|c| self.names(c))
            .collect())
    }

    /// The graph as JSON: `{"modules": [...], "edges": [...]}`.
    fn to_json(&self) -> String {
        let mut out = String::from("{\"modules\": [");
        for (i, m) in self.graph.modules().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            let _ = write!(
                out,
                "{{\"name\": {}, \"kind\": \"{}\", \"file\": {}, \"is_package\": {}, \
                 \"problem\": {}, \"once_per_process\": {}}}",
                json_str(&m.name),
                m.kind.as_str(),
                m.file.as_deref().map_or("null".into(), json_str),
                m.is_package,
                m.problem.as_deref().map_or("null".into(), json_str),
                m.once_per_process.map_or("null".into(), |b| b.to_string()),
            );
        }
        out.push_str("], \"edges\": [");
        for (i, e) in self.graph.edges().iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            let context: Vec<String> = e
                .context
                .names()
                .iter()
                .map(|c| format!("\"{c}\""))
                .collect();
            let _ = write!(
                out,
                "{{\"importer\": {}, \"imported\": {}, \"line\": {}, \"context\": [{}]}}",
                json_str(&self.graph.module(e.importer).name),
                json_str(&self.graph.module(e.imported).name),
                e.line,
                context.join(", "),
            );
        }
        out.push_str("]}");
        out
    }

    /// The graph in Graphviz's DOT language: one node per module, one edge per importing pair
    /// (dashed when every site of the pair is deferred, type-checking-only or optional).
    fn to_dot(&self) -> String {
        let mut out = String::from("digraph imports {\n");
        for m in self.graph.modules() {
            let shape = match m.kind.as_str() {
                "extension" | "builtin" => "box",
                "missing" => "octagon",
                _ => "ellipse",
            };
            let _ = writeln!(out, "  {} [shape={shape}];", json_str(&m.name));
        }
        let mut pairs: indexmap::IndexMap<(usize, usize), bool> = indexmap::IndexMap::new();
        for e in self.graph.edges() {
            let is_soft = [Context::DEFERRED, Context::TYPE_CHECKING, Context::OPTIONAL]
                .iter()
                .any(|flag| e.context.contains(*flag));
            let entry = pairs.entry((e.importer, e.imported)).or_insert(true);
            *entry &= is_soft;
        }
        for ((from, to), all_soft) in pairs {
            let _ = writeln!(
                out,
                "  {} -> {}{};",
                json_str(&self.graph.module(from).name),
                json_str(&self.graph.module(to).name),
                if all_soft { " [style=dashed]" } else { "" }
            );
        }
        out.push_str("}\n");
        out
    }
}

/// Which edges a question looks at (`skip=`).
type EdgeFilter = Box<dyn Fn(&Edge) -> bool>;

impl ImportGraph {
    /// The other ends of `name`'s edges, each once, in edge order: `ends` gives an edge's
    /// `(this end, other end)`.
    fn direct(
        &self,
        name: &str,
        skip: Option<&Bound<'_, PyAny>>,
        ends: impl Fn(&Edge) -> (usize, usize),
    ) -> PyResult<Vec<String>> {
        let keep = self.keep(skip)?;
        let index = self.index(name)?;
        let mut seen = HashSet::new();
        Ok(self.names(self.graph.edges().iter().filter_map(|edge| {
            let (this, other) = ends(edge);
            (this == index && keep(edge) && seen.insert(other)).then_some(other)
        })))
    }

    fn keep(&self, skip: Option<&Bound<'_, PyAny>>) -> PyResult<EdgeFilter> {
        match skip {
            None => Ok(Box::new(|_: &Edge| true)),
            Some(skip) => Ok(Box::new(skipping(skip)?)),
        }
    }

    /// The Rust graph (for the command line's reports).
    pub fn graph(&self) -> &Graph {
        &self.graph
    }
}

/// A JSON string literal (also a valid DOT quoted id).
fn json_str(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
