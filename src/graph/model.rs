//! The import graph: modules, the import sites between them, and the questions asked of it.

use std::collections::{HashSet, VecDeque};

use indexmap::IndexMap;

use super::extract::Context;
use super::resolve::ModuleKind;
use crate::core::names::ModuleName;

/// One module of the graph.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Module {
    pub name: String,
    pub kind: ModuleKind,
    /// The file the loader would read (`__init__` for a package).
    pub file: Option<String>,
    pub is_package: bool,
    /// Why its imports could not be read: the file does not decode or parse, or cannot be read.
    pub problem: Option<String>,
    /// For an extension module: whether its file shows single-phase initialisation, which
    /// CPython runs once per process (`Some(true)`), multi-phase (`Some(false)`), or neither.
    pub once_per_process: Option<bool>,
    /// Its imports were read (a source file, or the source of a frozen module).
    pub parsed: bool,
}

/// One import site: `importer` imports `imported` at `line`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Edge {
    pub importer: usize,
    pub imported: usize,
    pub line: u32,
    pub context: Context,
}

/// Modules in the order they were found, and every import site between them.
#[derive(Clone, Debug, Default)]
pub struct Graph {
    modules: IndexMap<String, Module>,
    edges: Vec<Edge>,
    outgoing: Vec<Vec<usize>>,
    incoming: Vec<Vec<usize>>,
}

impl Graph {
    /// Add `module`, or replace the one of that name; returns its index.
    pub fn add_module(&mut self, module: Module) -> usize {
        let (index, previous) = self.modules.insert_full(module.name.clone(), module);
        if previous.is_none() {
            self.outgoing.push(Vec::new());
            self.incoming.push(Vec::new());
        }
        index
    }

    pub fn add_edge(&mut self, edge: Edge) {
        let index = self.edges.len();
        self.outgoing[edge.importer].push(index);
        self.incoming[edge.imported].push(index);
        self.edges.push(edge);
    }

    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.modules.get_index_of(name)
    }

    pub fn module(&self, index: usize) -> &Module {
        &self.modules[index]
    }

    pub fn module_mut(&mut self, index: usize) -> &mut Module {
        &mut self.modules[index]
    }

    pub fn modules(&self) -> impl ExactSizeIterator<Item = &Module> {
        self.modules.values()
    }

    pub fn edges(&self) -> &[Edge] {
        &self.edges
    }

    pub fn len(&self) -> usize {
        self.modules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.modules.is_empty()
    }

    /// The modules `index` imports directly, through edges `keep` accepts, each once.
    fn successors(&self, index: usize, keep: &impl Fn(&Edge) -> bool) -> Vec<usize> {
        let mut seen = HashSet::new();
        self.outgoing[index]
            .iter()
            .map(|e| &self.edges[*e])
            .filter(|e| keep(e))
            .map(|e| e.imported)
            .filter(|m| seen.insert(*m))
            .collect()
    }

    fn predecessors(&self, index: usize, keep: &impl Fn(&Edge) -> bool) -> Vec<usize> {
        let mut seen = HashSet::new();
        self.incoming[index]
            .iter()
            .map(|e| &self.edges[*e])
            .filter(|e| keep(e))
            .map(|e| e.importer)
            .filter(|m| seen.insert(*m))
            .collect()
    }

    /// Importing a module imports its parent packages first: the parent of each module, as the
    /// graph holds it.
    fn parent_of(&self, index: usize) -> Option<usize> {
        ModuleName::new(&self.modules[index].name)
            .parent()
            .and_then(|parent| self.index_of(parent.as_str()))
    }

    /// Every module that importing `index` imports (directly, through its parents, or through
    /// what those import), in breadth-first order; `index` itself is left out.
    pub fn upstream(&self, index: usize, keep: impl Fn(&Edge) -> bool) -> Vec<usize> {
        self.reach(index, |m| {
            let mut next = self.successors(m, &keep);
            next.extend(self.parent_of(m));
            next
        })
    }

    /// The files of the modules an import of `roots` runs, in the order it first reads them:
    /// depth first from each root, a module's parent packages before it, its imports in line
    /// order. Imports that do not run with the module body (deferred, `TYPE_CHECKING`, lazy)
    /// are left out; optional and conditional ones are kept, as they usually run. Only source,
    /// pyc and extension modules have a file here.
    pub fn import_files(&self, roots: &[usize]) -> Vec<String> {
        let skip = [Context::DEFERRED, Context::TYPE_CHECKING, Context::LAZY];
        let mut imports: Vec<Vec<(u32, usize)>> = vec![Vec::new(); self.len()];
        for edge in &self.edges {
            if !skip.iter().any(|flag| edge.context.contains(*flag)) {
                imports[edge.importer].push((edge.line, edge.imported));
            }
        }
        for list in &mut imports {
            list.sort_unstable();
        }
        let mut seen = vec![false; self.len()];
        let mut files = Vec::new();
        // Depth first with an explicit stack: a module is taken when it is popped unseen, and
        // its imports are pushed in reverse so the first one is taken next.
        let mut stack: Vec<usize> = roots.iter().rev().copied().collect();
        while let Some(index) = stack.pop() {
            if seen[index] {
                continue;
            }
            if let Some(parent) = self.parent_of(index).filter(|p| !seen[*p]) {
                stack.push(index);
                stack.push(parent);
                continue;
            }
            seen[index] = true;
            let module = &self.modules[index];
            if matches!(
                module.kind,
                ModuleKind::Source | ModuleKind::Bytecode | ModuleKind::Extension
            ) {
                files.extend(module.file.clone());
            }
            stack.extend(imports[index].iter().rev().map(|(_, m)| *m));
        }
        files
    }

    /// Every module whose import imports `index`, in breadth-first order.
    pub fn downstream(&self, index: usize, keep: impl Fn(&Edge) -> bool) -> Vec<usize> {
        let children: Vec<Vec<usize>> = {
            let mut children = vec![Vec::new(); self.len()];
            for m in 0..self.len() {
                if let Some(parent) = self.parent_of(m) {
                    children[parent].push(m);
                }
            }
            children
        };
        self.reach(index, |m| {
            let mut next = self.predecessors(m, &keep);
            next.extend(children[m].iter().copied());
            next
        })
    }

    fn reach(&self, start: usize, next: impl Fn(usize) -> Vec<usize>) -> Vec<usize> {
        let mut seen = vec![false; self.len()];
        seen[start] = true;
        let mut order = Vec::new();
        let mut queue = VecDeque::from([start]);
        while let Some(m) = queue.pop_front() {
            for n in next(m) {
                if !seen[n] {
                    seen[n] = true;
                    order.push(n);
                    queue.push_back(n);
                }
            }
        }
        order
    }

    /// A shortest chain of direct imports from `from` to `to` (both included), or `None`.
    pub fn path(&self, from: usize, to: usize, keep: impl Fn(&Edge) -> bool) -> Option<Vec<usize>> {
        let mut before = vec![usize::MAX; self.len()];
        before[from] = from;
        let mut queue = VecDeque::from([from]);
        while let Some(m) = queue.pop_front() {
            if m == to {
                let mut chain = vec![to];
                let mut at = to;
                while at != from {
                    at = before[at];
                    chain.push(at);
                }
                chain.reverse();
                return Some(chain);
            }
            for n in self.successors(m, &keep) {
                if before[n] == usize::MAX {
                    before[n] = m;
                    queue.push_back(n);
                }
            }
        }
        None
    }

    /// The import cycles: each strongly connected component of more than one module, through
    /// edges `keep` accepts, modules in the order found. Tarjan's algorithm, without recursion.
    pub fn cycles(&self, keep: impl Fn(&Edge) -> bool) -> Vec<Vec<usize>> {
        const UNSEEN: usize = usize::MAX;
        let count = self.len();
        let successors: Vec<Vec<usize>> = (0..count).map(|m| self.successors(m, &keep)).collect();
        let mut index = vec![UNSEEN; count];
        let mut low = vec![0; count];
        let mut on_stack = vec![false; count];
        let mut stack = Vec::new();
        let mut next_index = 0;
        let mut components = Vec::new();
        for start in 0..count {
            if index[start] != UNSEEN {
                continue;
            }
            // (module, position in its successor list)
            let mut work = vec![(start, 0usize)];
            index[start] = next_index;
            low[start] = next_index;
            next_index += 1;
            stack.push(start);
            on_stack[start] = true;
            while let Some(&mut (m, ref mut position)) = work.last_mut() {
                if let Some(&n) = successors[m].get(*position) {
                    *position += 1;
                    if index[n] == UNSEEN {
                        index[n] = next_index;
                        low[n] = next_index;
                        next_index += 1;
                        stack.push(n);
                        on_stack[n] = true;
                        work.push((n, 0));
                    } else if on_stack[n] {
                        low[m] = low[m].min(index[n]);
                    }
                    continue;
                }
                work.pop();
                if let Some(&(parent, _)) = work.last() {
                    low[parent] = low[parent].min(low[m]);
                }
                if low[m] == index[m] {
                    let mut component = Vec::new();
                    while let Some(n) = stack.pop() {
                        on_stack[n] = false;
                        component.push(n);
                        if n == m {
                            break;
                        }
                    }
                    if component.len() > 1 {
                        component.sort_unstable();
                        components.push(component);
                    }
                }
            }
        }
        components.sort();
        components
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(names: &[&str], edges: &[(usize, usize)]) -> Graph {
        let mut graph = Graph::default();
        for name in names {
            graph.add_module(Module {
                name: (*name).to_owned(),
                kind: ModuleKind::Source,
                file: None,
                is_package: false,
                problem: None,
                once_per_process: None,
                parsed: true,
            });
        }
        for (importer, imported) in edges {
            graph.add_edge(Edge {
                importer: *importer,
                imported: *imported,
                line: 1,
                context: Context::MODULE_LEVEL,
            });
        }
        graph
    }

    #[test]
    fn cycles_paths_and_reach() {
        // a -> b -> c -> a, c -> d, e -> e (a self loop is no cycle), p.q's parent is p
        let g = graph(
            &["a", "b", "c", "d", "e", "p", "p.q"],
            &[(0, 1), (1, 2), (2, 0), (2, 3), (4, 4), (3, 6)],
        );
        let all = |_: &Edge| true;
        assert_eq!(g.cycles(all), vec![vec![0, 1, 2]]);
        assert_eq!(g.path(0, 3, all), Some(vec![0, 1, 2, 3]));
        assert_eq!(g.path(3, 0, all), None);
        assert_eq!(g.upstream(3, all), vec![6, 5]);
        assert_eq!(g.downstream(5, all), vec![6, 3, 2, 1, 0]);
    }

    #[test]
    fn deep_chain_needs_no_recursion() {
        let names: Vec<String> = (0..200_000).map(|i| format!("m{i}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let mut edges: Vec<(usize, usize)> = (0..names.len() - 1).map(|i| (i, i + 1)).collect();
        edges.push((names.len() - 1, 0));
        let g = graph(&refs, &edges);
        assert_eq!(g.cycles(|_| true)[0].len(), names.len());
    }
}
