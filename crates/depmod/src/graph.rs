//! The dependency graph: one node per module (node `i` is module `i` of
//! the sorted list), an edge from a module to each module providing a
//! symbol it needs, in the order the needs were found.
//!
//! Ordering follows kmod exactly, since it shows in `modules.dep`: a
//! topological sort that starts from the modules nobody needs and works
//! through a stack, so every module gets a load rank; a module's
//! dependencies are listed by that rank. When the sort cannot finish,
//! cycles are reported with kmod's walk and words.

use std::collections::HashSet;

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::Direction;

use crate::report::{diag, Reporter};
use crate::symbols::ModIdx;

/// Walks longer than this many steps while looking for cycles fall back
/// to a plain strongly-connected-components report.
const CYCLE_WALK_BUDGET: usize = 5_000_000;

/// Modules and who needs whom.
#[derive(Debug, Clone, Default)]
pub struct DepGraph {
    graph: DiGraph<(), ()>,
    /// Load rank of each module once sorted: modules nobody needs first.
    rank: Vec<u32>,
}

impl DepGraph {
    /// A graph of `n` modules without dependencies.
    pub fn new(n: usize) -> DepGraph {
        let mut graph = DiGraph::with_capacity(n, n * 4);
        for _ in 0..n {
            graph.add_node(());
        }
        DepGraph {
            graph,
            rank: Vec::new(),
        }
    }

    /// The underlying petgraph graph (edges point from user to provider).
    pub fn petgraph(&self) -> &DiGraph<(), ()> {
        &self.graph
    }

    pub fn len(&self) -> usize {
        self.graph.node_count()
    }

    pub fn is_empty(&self) -> bool {
        self.graph.node_count() == 0
    }

    /// Record that `user` needs `provider`; false if already recorded.
    pub fn add_dependency(&mut self, user: ModIdx, provider: ModIdx) -> bool {
        let (a, b) = (node(user), node(provider));
        if a.index() >= self.len() || b.index() >= self.len() || self.graph.contains_edge(a, b) {
            return false;
        }
        self.graph.add_edge(a, b, ());
        true
    }

    /// Direct dependencies of a module, in the order they were found.
    pub fn dependencies(&self, m: ModIdx) -> Vec<ModIdx> {
        if m as usize >= self.len() {
            return Vec::new();
        }
        // petgraph lists a node's edges newest first.
        let mut deps: Vec<ModIdx> = self
            .graph
            .neighbors_directed(node(m), Direction::Outgoing)
            .map(|n| n.index() as ModIdx)
            .collect();
        deps.reverse();
        deps
    }

    /// The load rank of a module (after a successful [`DepGraph::sort`]).
    pub fn rank(&self, m: ModIdx) -> u32 {
        self.rank.get(m as usize).copied().unwrap_or(u32::MAX)
    }

    /// Rank every module, as kmod does; on a cycle, report it with
    /// `names` (module names by index) and return false.
    pub fn sort(&mut self, names: &[&[u8]], log: &mut dyn Reporter) -> bool {
        let n = self.len();
        let deps: Vec<Vec<ModIdx>> = (0..n as ModIdx).map(|m| self.dependencies(m)).collect();
        let mut users: Vec<u32> = vec![0; n];
        for list in &deps {
            for &d in list {
                users[d as usize] += 1;
            }
        }
        let mut rank = vec![u32::MAX; n];
        let mut stack: Vec<ModIdx> = (0..n as ModIdx)
            .filter(|&m| users[m as usize] == 0)
            .collect();
        let mut sorted = 0u32;
        while let Some(src) = stack.pop() {
            rank[src as usize] = sorted;
            sorted += 1;
            for &dst in &deps[src as usize] {
                let u = &mut users[dst as usize];
                *u -= 1;
                if *u == 0 {
                    stack.push(dst);
                }
            }
        }
        if (sorted as usize) < n {
            report_cycles(&deps, &users, names, &self.graph, log);
            return false;
        }
        self.rank = rank;
        true
    }

    /// Every module `m` needs, directly or not, in load-rank order.
    pub fn all_dependencies(
        &self,
        m: ModIdx,
        deps: &[Vec<ModIdx>],
        seen: &mut [u32],
    ) -> Vec<ModIdx> {
        // `seen` holds, per module, the last query that reached it
        // (m + 1), so it never needs clearing between queries.
        let stamp = m + 1;
        let mut out = Vec::new();
        let mut todo: Vec<ModIdx> = deps.get(m as usize).cloned().unwrap_or_default();
        todo.reverse();
        while let Some(d) = todo.pop() {
            let slot = &mut seen[d as usize];
            if *slot == stamp {
                continue;
            }
            *slot = stamp;
            out.push(d);
            todo.extend(deps[d as usize].iter().rev());
        }
        out.sort_by_key(|&d| self.rank(d));
        out
    }

    /// Direct dependencies of every module (index = module).
    pub fn dependency_lists(&self) -> Vec<Vec<ModIdx>> {
        (0..self.len() as ModIdx)
            .map(|m| self.dependencies(m))
            .collect()
    }
}

fn node(m: ModIdx) -> NodeIndex {
    NodeIndex::new(m as usize)
}

/// kmod's cycle report. Starting from each module the sort left behind
/// (in list order), it walks every path of dependencies; a path that comes
/// back to its start is printed as `Cycle detected: a -> b -> a`. Modules
/// seen on the way are not walked from again unless still pending. Finally
/// the number of modules on printed cycles is given.
fn report_cycles(
    deps: &[Vec<ModIdx>],
    users: &[u32],
    names: &[&[u8]],
    graph: &DiGraph<(), ()>,
    log: &mut dyn Reporter,
) {
    let mut walk = CycleWalk {
        deps,
        names,
        pending: (0..deps.len() as ModIdx)
            .filter(|&m| users[m as usize] > 0)
            .collect(),
        visited: vec![false; deps.len()],
        on_cycles: HashSet::new(),
        lines: Vec::new(),
        steps: 0,
    };
    let mut finished = true;
    while !walk.pending.is_empty() {
        let root = walk.pending.remove(0);
        if !walk.walk_from(root) {
            finished = false;
            break;
        }
    }
    if !finished {
        // A shape kmod's walk never finishes on: name each strongly
        // connected group instead.
        walk.lines.clear();
        walk.on_cycles.clear();
        for scc in petgraph::algo::tarjan_scc(graph) {
            let single_loop = scc.len() == 1 && graph.contains_edge(scc[0], scc[0]);
            if scc.len() < 2 && !single_loop {
                continue;
            }
            let mut members: Vec<ModIdx> = scc.iter().map(|n| n.index() as ModIdx).collect();
            members.sort_unstable();
            let mut line: Vec<&[u8]> = members.iter().map(|&m| names[m as usize]).collect();
            line.push(names[members[0] as usize]);
            walk.lines.push(line.join(&b" -> "[..]));
            walk.on_cycles.extend(members);
        }
    }
    for line in &walk.lines {
        diag!(
            log,
            Error,
            "Cycle detected: {}\n",
            String::from_utf8_lossy(line)
        );
    }
    diag!(
        log,
        Error,
        "Found {} modules in dependency cycles!\n",
        walk.on_cycles.len()
    );
}

struct CycleWalk<'a> {
    deps: &'a [Vec<ModIdx>],
    names: &'a [&'a [u8]],
    pending: Vec<ModIdx>,
    visited: Vec<bool>,
    on_cycles: HashSet<ModIdx>,
    lines: Vec<Vec<u8>>,
    steps: usize,
}

impl CycleWalk<'_> {
    /// Walk from one root; false when the walk exceeded its budget.
    fn walk_from(&mut self, root: ModIdx) -> bool {
        // Each vertex: (module, parent vertex).
        let mut vertices: Vec<(ModIdx, Option<usize>)> = vec![(root, None)];
        let mut stack = vec![0usize];
        while let Some(v) = stack.pop() {
            self.steps += 1;
            if self.steps > CYCLE_WALK_BUDGET {
                return false;
            }
            let m = vertices[v].0;
            if self.visited[m as usize] && m == root {
                self.report(&vertices, v);
                continue;
            }
            self.visited[m as usize] = true;
            let deps = &self.deps[m as usize];
            if deps.is_empty() {
                self.forget(m);
                continue;
            }
            // kmod would walk around a cycle that avoids the root forever;
            // stop where a path repeats a module.
            if repeats_on_path(&vertices, v) {
                continue;
            }
            for &d in deps {
                vertices.push((d, Some(v)));
                stack.push(vertices.len() - 1);
            }
        }
        true
    }

    fn report(&mut self, vertices: &[(ModIdx, Option<usize>)], v: usize) {
        let mut chain = Vec::new();
        let mut at = vertices[v].1;
        while let Some(p) = at {
            chain.push(vertices[p].0);
            self.on_cycles.insert(vertices[p].0);
            at = vertices[p].1;
        }
        let mut line = Vec::new();
        for &m in chain.iter().rev() {
            line.extend_from_slice(self.names[m as usize]);
            line.extend_from_slice(b" -> ");
            self.forget(m);
        }
        line.extend_from_slice(self.names[vertices[v].0 as usize]);
        self.lines.push(line);
    }

    /// Take `m` off the pending roots as kmod's list removal does: its list
    /// is circular and the removal hands back the node after the removed
    /// one, so the roots that came before `m` move behind the rest.
    fn forget(&mut self, m: ModIdx) {
        if let Some(at) = self.pending.iter().position(|&p| p == m) {
            self.pending.remove(at);
            if !self.pending.is_empty() {
                let len = self.pending.len();
                self.pending.rotate_left(at % len);
            }
        }
    }
}

/// Whether vertex `v`'s module already appears among its ancestors.
fn repeats_on_path(vertices: &[(ModIdx, Option<usize>)], v: usize) -> bool {
    let m = vertices[v].0;
    let mut at = vertices[v].1;
    while let Some(p) = at {
        if vertices[p].0 == m {
            return true;
        }
        at = vertices[p].1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Collect;

    fn graph(n: usize, edges: &[(u32, u32)]) -> DepGraph {
        let mut g = DepGraph::new(n);
        for &(a, b) in edges {
            g.add_dependency(a, b);
        }
        g
    }

    #[test]
    fn ranks_and_closure() {
        // 0 -> 1 -> 2, 3 -> 2
        let mut g = graph(4, &[(0, 1), (1, 2), (3, 2)]);
        let names: Vec<&[u8]> = vec![b"a", b"b", b"c", b"d"];
        assert!(g.sort(&names, &mut Collect::default()));
        // roots 0 and 3 are stacked, 3 popped first
        assert_eq!((g.rank(3), g.rank(0), g.rank(1), g.rank(2)), (0, 1, 2, 3));
        let deps = g.dependency_lists();
        let mut seen = vec![0; 4];
        assert_eq!(g.all_dependencies(0, &deps, &mut seen), vec![1, 2]);
        assert_eq!(g.all_dependencies(3, &deps, &mut seen), vec![2]);
        assert!(g.all_dependencies(2, &deps, &mut seen).is_empty());
    }

    #[test]
    fn dependencies_keep_insertion_order() {
        let g = graph(4, &[(0, 3), (0, 1), (0, 2), (0, 1)]);
        assert_eq!(g.dependencies(0), vec![3, 1, 2]);
    }

    #[test]
    fn reports_a_cycle_like_kmod() {
        // a -> b -> c -> a, d -> a
        let mut g = graph(4, &[(0, 1), (1, 2), (2, 0), (3, 0)]);
        let names: Vec<&[u8]> = vec![b"a", b"b", b"c", b"d"];
        let mut log = Collect::default();
        assert!(!g.sort(&names, &mut log));
        let texts: Vec<_> = log.diags.iter().map(|d| d.text_lossy()).collect();
        assert_eq!(
            texts,
            vec![
                "Cycle detected: a -> b -> c -> a\n",
                "Found 3 modules in dependency cycles!\n"
            ]
        );
    }

    #[test]
    fn roots_before_a_removed_one_move_behind_the_rest() {
        // kmod's testsuite's detect-loop shape, modules in its hash order:
        // d i b a h j f c g k e. d<->e, i->j->{h,k}, k->h, h->i, and
        // a->{b,f,g}, b->{c,f,g}, c->a. Removing e (last) and then h, k, j
        // rotates kmod's circular root list, so c comes before b and a.
        let (d, i, b, a, h, j, f, c, gg, k, e) = (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
        let edges = [
            (d, e),
            (e, d),
            (i, j),
            (j, h),
            (j, k),
            (k, h),
            (h, i),
            (a, b),
            (a, f),
            (a, gg),
            (b, c),
            (b, f),
            (b, gg),
            (c, a),
        ];
        let mut g = graph(11, &edges);
        let names: Vec<&[u8]> = vec![
            b"d", b"i", b"b", b"a", b"h", b"j", b"f", b"c", b"g", b"k", b"e",
        ];
        let mut log = Collect::default();
        assert!(!g.sort(&names, &mut log));
        let texts: Vec<_> = log.diags.iter().map(|d| d.text_lossy()).collect();
        assert_eq!(
            texts,
            vec![
                "Cycle detected: d -> e -> d\n",
                "Cycle detected: i -> j -> k -> h -> i\n",
                "Cycle detected: i -> j -> h -> i\n",
                "Cycle detected: c -> a -> b -> c\n",
                "Found 9 modules in dependency cycles!\n"
            ]
        );
    }

    #[test]
    fn cycle_away_from_root_terminates() {
        // r is pending first and reaches the p<->q cycle without being on
        // it (kmod's walk loops forever here); x<->y needs r.
        let edges = [(3, 4), (4, 3), (3, 0), (0, 1), (1, 2), (2, 1)];
        let mut g = graph(5, &edges);
        let names: Vec<&[u8]> = vec![b"r", b"p", b"q", b"x", b"y"];
        let mut log = Collect::default();
        assert!(!g.sort(&names, &mut log));
        assert!(log.diags.last().unwrap().text.starts_with(b"Found "));
    }
}
