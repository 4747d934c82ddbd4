//! Dependency graphs for people: a petgraph graph of modules with hard,
//! soft and weak edges, rendered as Graphviz DOT (`rmodprobe -D --graph`,
//! `rdepmod --graph`). Nodes and edges come out in insertion order, so the
//! same input gives the same text.

use std::collections::HashMap;
use std::fmt::Write;

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

use crate::Context;
use crate::Module;

/// Why one module brings in another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeKind {
    /// Uses its symbols (modules.dep): loaded first, required.
    Hard,
    /// `softdep … pre:`: loaded before, failure tolerated.
    SoftPre,
    /// `softdep … post:`: loaded after.
    SoftPost,
    /// `weakdep`: may be used; not loaded by modprobe.
    Weak,
}

impl EdgeKind {
    fn attrs(self) -> &'static str {
        match self {
            EdgeKind::Hard => "style=solid",
            EdgeKind::SoftPre => "style=dashed, color=blue, label=\"pre\"",
            EdgeKind::SoftPost => "style=dashed, color=darkgreen, label=\"post\"",
            EdgeKind::Weak => "style=dotted, color=gray40, label=\"weak\"",
        }
    }
}

/// Modules (by name) and why they need each other; an edge points from the
/// user to what it needs.
#[derive(Default)]
pub struct ModGraph {
    graph: DiGraph<String, EdgeKind>,
    index: HashMap<String, NodeIndex>,
}

impl ModGraph {
    pub fn new() -> ModGraph {
        ModGraph::default()
    }

    /// The node of `name`, added when new.
    pub fn node(&mut self, name: &str) -> NodeIndex {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        let i = self.graph.add_node(name.to_string());
        self.index.insert(name.to_string(), i);
        i
    }

    /// An edge `from → to` of `kind`; a repeated one is kept once.
    pub fn edge(&mut self, from: &str, to: &str, kind: EdgeKind) {
        let (a, b) = (self.node(from), self.node(to));
        let exists = self
            .graph
            .edges_connecting(a, b)
            .any(|e| *e.weight() == kind);
        if !exists {
            self.graph.add_edge(a, b, kind);
        }
    }

    pub fn petgraph(&self) -> &DiGraph<String, EdgeKind> {
        &self.graph
    }

    /// Edges as `(from, to, kind)`, in insertion order.
    pub fn edges(&self) -> Vec<(&str, &str, EdgeKind)> {
        self.graph
            .edge_references()
            .map(|e| {
                (
                    self.graph[e.source()].as_str(),
                    self.graph[e.target()].as_str(),
                    *e.weight(),
                )
            })
            .collect()
    }

    /// Graphviz DOT; `roots` are drawn bold (the modules asked for).
    pub fn to_dot(&self, name: &str, roots: &[&str]) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "digraph {} {{", quote(name));
        s.push_str("  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n");
        for n in self.graph.node_indices() {
            let label = &self.graph[n];
            let bold = if roots.contains(&label.as_str()) {
                " [style=bold]"
            } else {
                ""
            };
            let _ = writeln!(s, "  {}{bold};", quote(label));
        }
        for (from, to, kind) in self.edges() {
            let _ = writeln!(s, "  {} -> {} [{}];", quote(from), quote(to), kind.attrs());
        }
        s.push_str("}\n");
        s
    }
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

impl Context {
    /// The dependency tree of `module` as modprobe would load it: hard
    /// dependencies (direct ones only: modules.dep lists the closure),
    /// softdeps from configuration and modinfo, weakdeps, recursively.
    pub fn dependency_graph(&self, module: &Module) -> ModGraph {
        let mut g = ModGraph::new();
        self.add_to_graph(&mut g, module);
        g
    }

    /// [`Context::dependency_graph`] of `module`, added to `g`.
    pub fn add_to_graph(&self, g: &mut ModGraph, module: &Module) {
        let mut todo = vec![module.clone()];
        let mut seen = Vec::new();
        while let Some(m) = todo.pop() {
            let name = m.name_lossy().into_owned();
            if seen.contains(&name) {
                continue;
            }
            seen.push(name.clone());
            g.node(&name);
            let closure = self.dependencies(&m);
            // A dependency reached through another one is not direct; each
            // one's own closure is looked up once.
            let theirs: Vec<Vec<Module>> = closure.iter().map(|o| self.dependencies(o)).collect();
            for d in &closure {
                let via_other = closure.iter().zip(&theirs).any(|(o, deps)| {
                    o.name() != d.name() && deps.iter().any(|x| x.name() == d.name())
                });
                if !via_other {
                    g.edge(&name, &d.name_lossy(), EdgeKind::Hard);
                    todo.push(d.clone());
                }
            }
            let (pre, post) = self.softdeps(&m);
            for (list, kind) in [(pre, EdgeKind::SoftPre), (post, EdgeKind::SoftPost)] {
                for d in list {
                    g.edge(&name, &d.name_lossy(), kind);
                    todo.push(d);
                }
            }
            let weak = self.config().and_then(|c| c.weakdep(m.name()));
            for w in weak.map(|w| w.deps.as_slice()).unwrap_or_default() {
                g.edge(&name, &String::from_utf8_lossy(w), EdgeKind::Weak);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_is_deterministic_and_styles_edges_apart() {
        let mut g = ModGraph::new();
        g.edge("test_cube", "rust_cube", EdgeKind::Hard);
        g.edge("rust_cube", "square", EdgeKind::Hard);
        g.edge("test_cube", "khello", EdgeKind::SoftPre);
        g.edge("test_cube", "rust_cube", EdgeKind::Hard);
        g.edge("square", "counter", EdgeKind::Weak);
        let dot = g.to_dot("test_cube", &["test_cube"]);
        assert_eq!(g.edges().len(), 4);
        assert!(dot.starts_with("digraph \"test_cube\" {\n"));
        assert!(dot.contains("  \"test_cube\" [style=bold];\n"));
        assert!(dot.contains("  \"test_cube\" -> \"rust_cube\" [style=solid];\n"));
        assert!(dot.contains("\"test_cube\" -> \"khello\" [style=dashed"));
        assert!(dot.contains("\"square\" -> \"counter\" [style=dotted"));
        assert_eq!(dot, g.to_dot("test_cube", &["test_cube"]));
    }
}
