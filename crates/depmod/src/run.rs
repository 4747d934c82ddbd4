//! A run of depmod from the modules found to the files in place, in
//! kmod's order, with what rdepmod adds: the replay point (a run whose
//! inputs are exactly those of the run that wrote the outputs prints what
//! that run printed and stops, [`crate::replay`]), the module cache
//! ([`crate::cache`]) and the record a run leaves for the next.
//!
//! ```text
//! found ─ prepare ─ replay point ─┬─ replayed (the record's transcript)
//!                                 └─ resolve (through the cache)
//!                                      ─ outputs ─ write ─ record
//! ```

use std::path::Path;

use crate::cache::CacheFile;
use crate::error::{Error, Result};
use crate::output::OutputFile;
use crate::report::Reporter;
use crate::{replay, write, Depmod, Resolved};

/// What a run does with the files it builds.
pub enum Deliver<'a> {
    /// Put them in `outdir` (created as needed), with the module cache
    /// when `cache` (a run over the whole tree, with the cache on), and
    /// leave a replay record when `record` holds what the caller adds to
    /// the replay digest ([`Depmod::replay_digest`]); a run so recorded
    /// may be answered by the record of the run before.
    Write {
        outdir: &'a Path,
        cache: bool,
        record: Option<Vec<u8>>,
    },
    /// Hand them back (`-n`, `--json`, `--graph`); `text_only` leaves the
    /// indexes out, as `-n` does.
    Keep { text_only: bool },
}

/// How a run ended.
pub enum Done {
    /// The outputs in place are this run's: the run before printed the
    /// record's transcript from the replay point on and exited with its
    /// status.
    Replayed(replay::Record),
    /// What was resolved and the files built (in place, when delivered
    /// so). Freeing them is left to the caller: a process about to exit
    /// need not (4 ms of a first run of Debian's tree).
    Built(Box<Resolved>, Vec<OutputFile>),
}

/// Run `depmod` (its modules found) to the end: `cache_dir` is where the
/// module cache is read from (`None`: no cache), `progress(read, total)`
/// is called as modules are read. Messages go to `log`, which keeps what
/// it prints from the replay point on when asked
/// ([`Reporter::start_transcript`]). Fails with [`Error::Cycles`] (after
/// reporting them) when modules need each other in a circle, and with the
/// error that stopped it otherwise.
pub fn finish(
    mut depmod: Depmod,
    deliver: Deliver,
    cache_dir: Option<&Path>,
    log: &mut dyn Reporter,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Done> {
    depmod.prepare(log);
    // The replay point: what the run prints from here on, and the files it
    // writes, depend only on what the digest covers.
    let recorded = match &deliver {
        Deliver::Write {
            outdir,
            record: Some(caller),
            ..
        } => depmod.replay_digest(caller).map(|d| (d, *outdir)),
        _ => None,
    };
    if let Some((digest, outdir)) = &recorded {
        if let Some(record) = replay::replayable(outdir, digest) {
            return Ok(Done::Replayed(record));
        }
        log.start_transcript();
    }
    if let Some(dir) = cache_dir {
        depmod.use_cache(dir);
    }
    let resolved = depmod.resolve_with_progress(log, progress)?;
    let (outdir, cache) = match deliver {
        Deliver::Keep { text_only } => {
            let files = resolved.outputs(text_only, log)?;
            return Ok(Done::Built(Box::new(resolved), files));
        }
        Deliver::Write { outdir, cache, .. } => (outdir, cache),
    };
    // The directory first, as kmod makes it before its first file.
    pathfs::create_dir_all(outdir, 0o755).map_err(|source| Error::CreateDir {
        path: outdir.display().to_string(),
        source,
    })?;
    let cache = cache.then(|| resolved.cache_file()).flatten();
    let files = std::thread::scope(|s| {
        // The cache needs only what was read: it is streamed to its file
        // on a thread of its own while the outputs are built and written.
        // It is valid on its own, whatever becomes of the outputs, and
        // best effort (a cache not written makes the next run read all).
        let write_cache = |c: &CacheFile| drop(write::write_streamed(outdir, c));
        let beside = cache.as_ref().map(|c| {
            std::thread::Builder::new()
                .spawn_scoped(s, move || write_cache(c))
                .map_err(|_| c)
        });
        let files = resolved
            .outputs(false, log)
            .and_then(|files| write::write_outputs(outdir, &files).map(|_| files));
        match beside {
            Some(Ok(h)) => drop(h.join()),
            // No thread to be had: after the outputs.
            Some(Err(c)) => write_cache(c),
            None => {}
        }
        files
    })?;
    // Last, once the outputs are in place and known to be this run's.
    if let Some((digest, _)) = recorded {
        let transcript = log.take_transcript();
        replay::record_run(outdir, &files, resolved.replayable(), digest, 0, transcript);
    }
    Ok(Done::Built(Box::new(resolved), files))
}
