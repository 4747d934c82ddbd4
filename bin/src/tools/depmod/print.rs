//! What rdepmod prints: kmod's log lines and `-v` output, a replayed
//! run's transcript, the tree as a graph, the progress bar.

use std::io::{BufWriter, Stdout, Write};

use depmod::replay::Stream;
use depmod::report::{Diagnostic, Level, Reporter};

/// Prints depmod's messages as kmod does: log lines on stderr when the
/// verbosity allows, `-v` progress and `-n` output on stdout.
pub(super) struct Printer {
    pub(super) prog: String,
    pub(super) out: BufWriter<Stdout>,
    /// Highest syslog priority shown (4 = warnings, each -v adds one).
    pub(super) threshold: u8,
    pub(super) verbose: bool,
    /// What is printed from the replay point on, when it is kept for the
    /// next run to replay (`depmod::replay`).
    pub(super) transcript: Option<Vec<(Stream, Vec<u8>)>>,
}

impl Printer {
    pub(super) fn say(&mut self, level: Level, text: &str) {
        self.diag(Diagnostic::new(level, text));
    }
}

impl Reporter for Printer {
    fn diag(&mut self, d: Diagnostic) {
        if d.level.priority() > self.threshold {
            return;
        }
        let _ = self.out.flush();
        let mut line = format!("{}: {}: ", self.prog, d.level.label()).into_bytes();
        line.extend_from_slice(&d.text);
        let _ = std::io::stderr().write_all(&line);
        if let Some(t) = &mut self.transcript {
            t.push((Stream::Stderr, line));
        }
    }

    fn verbose(&mut self, text: &[u8]) {
        let _ = self.out.write_all(text);
        if let Some(t) = &mut self.transcript {
            t.push((Stream::Stdout, text.to_vec()));
        }
    }

    fn wants_verbose(&self) -> bool {
        self.verbose
    }

    fn start_transcript(&mut self) {
        self.transcript = Some(Vec::new());
    }

    fn take_transcript(&mut self) -> Vec<(Stream, Vec<u8>)> {
        self.transcript.take().unwrap_or_default()
    }
}

/// Print what the recorded run printed from the replay point on, in the
/// same order, and exit as it did.
pub(super) fn replay(p: &mut Printer, record: &depmod::replay::Record) -> i32 {
    for (stream, bytes) in &record.transcript {
        match stream {
            Stream::Stdout => {
                let _ = p.out.write_all(bytes);
            }
            Stream::Stderr => {
                let _ = p.out.flush();
                let _ = std::io::stderr().write_all(bytes);
            }
        }
    }
    record.status
}

/// The whole tree as DOT: direct hard dependencies, the modules' own
/// softdeps and weakdeps.
pub(super) fn tree_graph(resolved: &depmod::Resolved) -> String {
    use rkmod::graph::{EdgeKind, ModGraph};
    let mut g = ModGraph::new();
    for r in resolved.records() {
        g.node(&r.name);
        let edges = [
            (&r.direct_depends, EdgeKind::Hard),
            (&r.softdep_pre, EdgeKind::SoftPre),
            (&r.softdep_post, EdgeKind::SoftPost),
            (&r.weakdeps, EdgeKind::Weak),
        ];
        for (targets, kind) in edges {
            for t in targets {
                g.edge(&r.name, t, kind);
            }
        }
    }
    g.to_dot("modules", &[])
}

/// With -v on a terminal, a progress bar on stderr while modules are read
/// (the long part of a run); never when stderr is not a terminal, so
/// logs and pipes get exactly kmod's output.
pub(super) fn progress_bar(verbose: bool, total: usize) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if !verbose || total == 0 || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(total as u64),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("reading modules {bar:40} {pos}/{len} {elapsed}")
    {
        bar.set_style(style);
    }
    Some(bar)
}
