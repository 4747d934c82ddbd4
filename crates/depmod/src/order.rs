//! The order of modules in every output: first those `modules.order`
//! lists, in its order (the kernel build's link order), then the rest in
//! the order kmod's module-name hash table iterates.

use std::io;

use crate::ctext::{cstr, fgets_pieces, PATH_MAX};
use crate::khash::{sort_like_kmod, MODULE_BUCKETS};
use crate::report::{diag, Reporter};
use crate::scan::ModuleEntry;

/// Sort `modules` as kmod does, reading `<dirname>/modules.order`.
pub fn sort_modules(modules: &mut [ModuleEntry], dirname: &[u8], log: &mut dyn Reporter) {
    sort_like_kmod(modules, MODULE_BUCKETS, |m| &m.name);
    let Some(order) = read_in_dir(dirname, "modules.order", log) else {
        return;
    };
    apply_order(modules, &order, dirname, log);
}

/// Read a file of the module directory as kmod's `dfdopen` does, warning
/// when it is missing.
pub(crate) fn read_in_dir(dirname: &[u8], file: &str, log: &mut dyn Reporter) -> Option<Vec<u8>> {
    use std::os::unix::ffi::OsStrExt;
    let dir = std::path::Path::new(std::ffi::OsStr::from_bytes(dirname));
    let shown = String::from_utf8_lossy(dirname);
    let warn_dir = |e: &io::Error, log: &mut dyn Reporter| {
        diag!(
            log,
            Warning,
            "could not open directory {shown}: {}\n",
            modconf::strerror(e)
        );
    };
    if let Err(e) = pathfs::stat(dir) {
        warn_dir(&e, log);
        return None;
    }
    match std::fs::read(dir.join(file)) {
        Ok(data) => Some(data),
        Err(e) => {
            diag!(
                log,
                Warning,
                "could not open {file} at {shown}: {}\n",
                modconf::strerror(&e)
            );
            None
        }
    }
}

/// Give each module listed in `order` its line's rank and sort stably, so
/// unlisted modules keep their hash order after the listed ones. A line
/// without its newline makes kmod give up on the whole file.
fn apply_order(modules: &mut [ModuleEntry], order: &[u8], dirname: &[u8], log: &mut dyn Reporter) {
    let mut total: i64 = 1;
    for piece in fgets_pieces(order, PATH_MAX) {
        let line = cstr(piece);
        if !line.is_empty() && line.last() != Some(&b'\n') {
            diag!(
                log,
                Error,
                "{}/modules.order:{} corrupted line misses '\\n'\n",
                String::from_utf8_lossy(dirname),
                total
            );
            return;
        }
        total += 1;
    }
    // foldhash: std's SipHash over every path was most of this step
    let mut rank_of: std::collections::HashMap<&[u8], i64, foldhash::fast::RandomState> =
        std::collections::HashMap::default();
    for (idx, piece) in fgets_pieces(order, PATH_MAX).enumerate() {
        let line = cstr(piece);
        if let Some(path) = line.strip_suffix(b"\n") {
            rank_of.insert(path, idx as i64 + 1 - total);
        }
    }
    let mut keyed: Vec<(i64, usize)> = modules
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let rank = m
                .order_path()
                .and_then(|p| rank_of.get(p).copied())
                .unwrap_or(1);
            (rank, i)
        })
        .collect();
    keyed.sort_by_key(|&(rank, i)| (rank, i));
    let sorted: Vec<ModuleEntry> = keyed.iter().map(|&(_, i)| modules[i].clone()).collect();
    modules.clone_from_slice(&sorted);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Collect;

    fn entries(rels: &[&str]) -> Vec<ModuleEntry> {
        rels.iter()
            .map(|r| ModuleEntry::new(format!("/m/{r}").into_bytes(), b"/m"))
            .collect()
    }

    fn names(m: &[ModuleEntry]) -> Vec<String> {
        m.iter()
            .map(|e| String::from_utf8_lossy(&e.name).into_owned())
            .collect()
    }

    #[test]
    fn listed_first_in_file_order() {
        let mut m = entries(&["k/a.ko", "k/b.ko.xz", "k/c.ko"]);
        let mut log = Collect::default();
        apply_order(&mut m, b"k/c.ko\nk/x.ko\nk/b.ko\n", b"/m", &mut log);
        assert_eq!(names(&m), vec!["c", "b", "a"]);
        assert!(log.diags.is_empty());
    }

    #[test]
    fn later_duplicate_line_wins() {
        let mut m = entries(&["k/a.ko", "k/b.ko"]);
        apply_order(
            &mut m,
            b"k/a.ko\nk/b.ko\nk/a.ko\n",
            b"/m",
            &mut Collect::default(),
        );
        assert_eq!(names(&m), vec!["b", "a"]);
    }

    #[test]
    fn missing_final_newline_cancels_sorting() {
        let mut m = entries(&["k/a.ko", "k/b.ko"]);
        let mut log = Collect::default();
        apply_order(&mut m, b"k/b.ko\nk/a.ko", b"/m", &mut log);
        assert_eq!(names(&m), vec!["a", "b"]);
        assert_eq!(
            log.diags[0].text_lossy(),
            "/m/modules.order:2 corrupted line misses '\\n'\n"
        );
    }
}
