//! The walk that builds a graph: from the roots, read each module's imports (in parallel, on
//! rayon's threads, with no interpreter lock), resolve them, and go on with what they name.

use std::collections::HashSet;
use std::sync::Arc;

use rayon::prelude::*;

use super::decode::{self, Decoded};
use super::extract::{self, Context, ImportSite, ModuleImports};
use super::model::{Edge, Graph, Module};
use super::resolve::{Found, ModuleKind, Resolver};
use crate::core::listing;
use crate::core::names::{self, ModuleName};

/// What to build.
#[derive(Clone, Debug)]
pub struct Options {
    /// Read the imports of every module reached, not only of those under the roots.
    pub follow: bool,
    /// Keep the imports under `if TYPE_CHECKING:`.
    pub type_checking: bool,
}

/// Decodes a file whose declared codec only the interpreter knows: `(codec, bytes)` to text,
/// or the message of the error.
pub type CodecDecoder<'a> = dyn Fn(&str, &[u8]) -> Result<String, String> + Sync + 'a;

/// One module's imports as read, or why they could not be.
type Reading = Result<ModuleImports, String>;

/// `from package import *` as read, before `package`'s `__all__` is known:
/// `(line, context, what package resolved to, package's name)`.
type PendingStar = (u32, Context, Arc<Found>, String);

/// What one worker returns for one module: `(module, its reading, its resolved targets, its star
/// imports)`.
type ResolvedReading = (usize, Reading, Vec<Target>, Vec<PendingStar>);

/// A site's targets, resolved: `(name, what it resolved to)`.
struct Target {
    name: String,
    found: Arc<Found>,
    line: u32,
    context: Context,
}

/// `from package import *`, waiting for `package`'s `__all__`.
struct Star {
    importer: usize,
    package: usize,
    line: u32,
    context: Context,
}

struct Walk<'a> {
    resolver: &'a Resolver,
    options: &'a Options,
    roots: Vec<String>,
    graph: Graph,
    all: Vec<Option<Option<Vec<String>>>>,
    queued: HashSet<usize>,
    queue: Vec<usize>,
    stars: Vec<Star>,
}

/// Build the graph of `roots` (module names: each a module, or a package with every module under
/// it) as `resolver` finds them.
pub fn build(
    resolver: &Resolver,
    roots: &[String],
    options: &Options,
    decode_with_codec: &CodecDecoder<'_>,
) -> Graph {
    let mut walk = Walk {
        resolver,
        options,
        roots: roots.to_vec(),
        graph: Graph::default(),
        all: Vec::new(),
        queued: HashSet::new(),
        queue: Vec::new(),
        stars: Vec::new(),
    };
    for root in roots {
        walk.add_tree(root);
    }
    while !walk.queue.is_empty() {
        let batch = std::mem::take(&mut walk.queue);
        let readings: Vec<ResolvedReading> = batch
            .par_iter()
            .map(|&index| walk.read_and_resolve(index, decode_with_codec))
            .collect();
        for (importer, reading, targets, stars) in readings {
            match reading {
                Ok(imports) => {
                    walk.all[importer] = Some(imports.all);
                    for target in targets {
                        walk.add_edge(importer, target);
                    }
                    for (line, context, found, name) in stars {
                        let package = walk.add_found(&name, &found);
                        walk.stars.push(Star {
                            importer,
                            package,
                            line,
                            context,
                        });
                    }
                }
                Err(problem) => walk.graph.module_mut(importer).problem = Some(problem),
            }
        }
        walk.expand_stars();
    }
    walk.classify_extensions();
    walk.graph
}

impl Walk<'_> {
    /// Whether `name` is one of the roots or under one.
    fn in_roots(&self, name: &str) -> bool {
        self.roots
            .iter()
            .any(|root| ModuleName::new(name).is_within(root))
    }

    /// The module `name` (a root) and, for a package, every module below it.
    fn add_tree(&mut self, name: &str) {
        let found = self.resolver.find(name);
        match found.search.clone() {
            Some(search) if found.kind == ModuleKind::Namespace => {
                // A namespace package is a node only when something is under it.
                if self.add_children(name, &search) {
                    self.add_found(name, &found);
                }
            }
            Some(search) => {
                self.add_found(name, &found);
                self.add_children(name, &search);
            }
            None => {
                self.add_found(name, &found);
            }
        }
    }

    /// Every module in the package `name`'s directories `search`: files with a loader suffix,
    /// regular packages, and namespace portions that hold modules. Returns whether any was found.
    fn add_children(&mut self, package: &str, search: &[String]) -> bool {
        let mut any = false;
        for child in child_names(search, self.resolver.suffixes()) {
            let full = format!("{package}.{child}");
            let found = self.resolver.find(&full);
            if found.kind == ModuleKind::Missing || self.graph.index_of(&full).is_some() {
                continue;
            }
            self.add_tree(&full);
            any |= self.graph.index_of(&full).is_some();
        }
        any
    }

    /// The node for `name`, added (and queued to be read, when it is to be) if new, with its
    /// parent packages, which importing it runs first.
    fn add_found(&mut self, name: &str, found: &Found) -> usize {
        if let Some(index) = self.graph.index_of(name) {
            return index;
        }
        if let Some(parent) = ModuleName::new(name).parent() {
            if found.kind != ModuleKind::Missing && self.graph.index_of(parent.as_str()).is_none() {
                let parent_found = self.resolver.find(parent.as_str());
                self.add_found(parent.as_str(), &parent_found);
            }
        }
        let readable = matches!(found.kind, ModuleKind::Source | ModuleKind::Frozen)
            && found.file.as_deref().is_some_and(|f| f.ends_with(".py"));
        let index = self.graph.add_module(Module {
            name: name.to_owned(),
            kind: found.kind,
            file: found.file.clone(),
            is_package: found.is_package(),
            problem: None,
            once_per_process: None,
            parsed: false,
        });
        self.all.push(None);
        if readable && (self.options.follow || self.in_roots(name)) && self.queued.insert(index) {
            self.graph.module_mut(index).parsed = true;
            self.queue.push(index);
        }
        index
    }

    fn add_edge(&mut self, importer: usize, target: Target) {
        let imported = self.add_found(&target.name, &target.found);
        if imported != importer {
            self.graph.add_edge(Edge {
                importer,
                imported,
                line: target.line,
                context: target.context,
            });
        }
    }

    /// Read one module's imports and resolve their targets (on a worker thread).
    #[allow(clippy::type_complexity)]
    fn read_and_resolve(
        &self,
        index: usize,
        decode_with_codec: &CodecDecoder<'_>,
    ) -> (
        usize,
        Reading,
        Vec<Target>,
        Vec<(u32, Context, Arc<Found>, String)>,
    ) {
        let module = self.graph.module(index);
        let reading = read_imports(module.file.as_deref().unwrap_or(""), decode_with_codec);
        let mut targets = Vec::new();
        let mut stars = Vec::new();
        if let Ok(imports) = &reading {
            let package = if module.is_package {
                module.name.as_str()
            } else {
                names::parent(&module.name)
            };
            for site in &imports.sites {
                if !self.options.type_checking && site.context.contains(Context::TYPE_CHECKING) {
                    continue;
                }
                self.resolve_site(site, package, &mut targets, &mut stars);
            }
        }
        (index, reading, targets, stars)
    }

    /// Mirrors what `__import__` and `_handle_fromlist` import for one site: the module named
    /// (after relative resolution), and each name of a `from` import that is a submodule.
    fn resolve_site(
        &self,
        site: &ImportSite,
        package: &str,
        targets: &mut Vec<Target>,
        stars: &mut Vec<(u32, Context, Arc<Found>, String)>,
    ) {
        let target = |name: String, found: Arc<Found>| Target {
            name,
            found,
            line: site.line,
            context: site.context,
        };
        let name = if site.level == 0 {
            site.module.clone()
        } else {
            match names::resolve_relative(&site.module, package, site.level as usize) {
                Ok(name) => name,
                Err(_) => {
                    let written = format!("{}{}", ".".repeat(site.level as usize), site.module);
                    let missing = Arc::new(Found {
                        kind: ModuleKind::Missing,
                        file: None,
                        search: None,
                    });
                    targets.push(target(written, missing));
                    return;
                }
            }
        };
        if name.is_empty() {
            return;
        }
        let found = self.resolver.find(&name);
        targets.push(target(name.clone(), found.clone()));
        if !site.is_from || !found.is_package() {
            return;
        }
        for item in &site.names {
            if item == "*" {
                stars.push((site.line, site.context, found.clone(), name.clone()));
                continue;
            }
            let child = format!("{name}.{item}");
            let child_found = self.resolver.find(&child);
            if child_found.kind != ModuleKind::Missing {
                targets.push(target(child, child_found));
            }
        }
    }

    /// `from package import *` imports the submodules its `__all__` names, once the package's
    /// imports are read; a package that is not read, or has no literal `__all__`, gives none.
    fn expand_stars(&mut self) {
        let stars = std::mem::take(&mut self.stars);
        for star in stars {
            let names = match &self.all[star.package] {
                Some(all) => all.clone().unwrap_or_default(),
                None if self.queued.contains(&star.package) => {
                    self.stars.push(star);
                    continue;
                }
                None => Vec::new(),
            };
            let package = self.graph.module(star.package).name.clone();
            for item in names {
                let child = format!("{package}.{item}");
                let found = self.resolver.find(&child);
                if found.kind != ModuleKind::Missing {
                    self.add_edge(
                        star.importer,
                        Target {
                            name: child,
                            found,
                            line: star.line,
                            context: star.context,
                        },
                    );
                }
            }
        }
    }

    /// Whether each extension module's file shows single-phase initialisation.
    fn classify_extensions(&mut self) {
        let extensions: Vec<(usize, String)> = (0..self.graph.len())
            .filter_map(|i| {
                let module = self.graph.module(i);
                (module.kind == ModuleKind::Extension)
                    .then(|| module.file.clone())
                    .flatten()
                    .map(|file| (i, file))
            })
            .collect();
        let classes: Vec<(usize, Option<bool>)> = extensions
            .par_iter()
            .map(|(i, file)| {
                (
                    *i,
                    std::fs::read(file).ok().and_then(|d| once_per_process(&d)),
                )
            })
            .collect();
        for (i, once) in classes {
            self.graph.module_mut(i).once_per_process = once;
        }
    }
}

/// The module names directories hold, sorted: each file with a loader suffix (`__init__` left
/// out), each directory whose name is an identifier.
pub fn child_names(dirs: &[String], suffixes: &[String]) -> Vec<String> {
    let mut names = std::collections::BTreeSet::new();
    for dir in dirs {
        for entry in listing::read_names(dir) {
            let name = match listing::module_name(&entry, suffixes) {
                Some(stem) => stem.to_owned(),
                None if !entry.contains('.') && entry != "__pycache__" => {
                    if !std::fs::metadata(format!("{dir}/{entry}")).is_ok_and(|m| m.is_dir()) {
                        continue;
                    }
                    entry
                }
                None => continue,
            };
            if name != "__init__" && is_identifier(&name) {
                names.insert(name);
            }
        }
    }
    names.into_iter().collect()
}

/// `str.isidentifier`, close enough for file names: a letter or `_`, then letters, digits, `_`.
fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c == '_' || c.is_alphabetic())
        && chars.all(|c| c == '_' || c.is_alphanumeric())
}

/// Read, decode and extract one file's imports.
fn read_imports(file: &str, decode_with_codec: &CodecDecoder<'_>) -> Reading {
    let data = std::fs::read(file).map_err(|err| format!("cannot read {file}: {err}"))?;
    let text = match decode::decode(&data) {
        Decoded::Text(text) => text,
        Decoded::NeedsCodec { codec, body } => decode_with_codec(&codec, &body)?,
        Decoded::Undecodable(message) => return Err(format!("SyntaxError: {message}")),
    };
    extract::extract(&text)
        .map_err(|err| format!("SyntaxError: {} (line {})", err.message, err.line))
}

/// Whether an extension module's file shows single-phase initialisation, read from the C API
/// functions it links to: `PyModuleDef_Init` is what a multi-phase `PyInit_*` returns through;
/// `PyModule_Create2` (`PyModule_Create`) is how a single-phase one makes its module.
/// `None` when it names neither.
pub fn once_per_process(binary: &[u8]) -> Option<bool> {
    let names = |needle: &[u8]| memchr::memmem::find(binary, needle).is_some();
    if names(b"PyModuleDef_Init\0") {
        Some(false)
    } else if names(b"PyModule_Create2\0") || names(b"PyModule_Create2TraceRefs\0") {
        Some(true)
    } else {
        None
    }
}
