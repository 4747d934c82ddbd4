//! What kmod 34's own library tests found in our libkmod.so.2
//! (scripts/libkmod-kmod34-suite.sh), as tests that need no kmod sources:
//! each runs one C program (compiled against include/libkmod.h) with our
//! library and with Debian's kmod library and compares stdout.
//!
//! kmod's testsuite moves every absolute path a test's library touches
//! under a test root with an LD_PRELOAD library that wraps libc's path
//! calls (`open`, `stat`, `fopen`, `opendir`...). kmod's library reaches
//! files through those calls only; a call that goes around them (Rust's
//! `std::fs::metadata` is `statx(2)`) sees the real file system instead:
//! kmod's test_dependencies, test_insert, the modinfo tests, and modprobe's
//! show_depends, show_exports, install_cmd_loop and module_from_abspath
//! failed on our library for it. The same kind of redirecting library,
//! written here (`/rkmod-redirect/...` -> a temporary directory), makes
//! the difference visible without kmod's testsuite: module files by path,
//! the files of modules.dep lines, and the index stamps of
//! `kmod_validate_resources` must all be found through it, as kmod's are.
//!
//! Second finding: a module directory without binary indexes (or with an
//! empty one) makes kmod look up nothing, silently at the default log
//! priority; our library logged "could not open index ..." as an error on
//! every lookup (seen as `modprobe: ERROR: could not open index
//! '/lib/modules/4.4.4/modules.builtin.bin': Invalid argument`).

mod common;

use common::{mask_pointers, run_env, work_dir, Lib};
use std::path::{Path, PathBuf};
use std::process::Command;

/// An LD_PRELOAD library (our own) that moves paths under
/// `/rkmod-redirect/` to `$RKMOD_REDIRECT_ROOT`, and `/proc/cmdline` to
/// `$RKMOD_REDIRECT_CMDLINE`.
const REDIRECT_C: &str = r#"
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define PREFIX "/rkmod-redirect/"

static const char *moved(const char *path, char *buf)
{
	const char *root = getenv("RKMOD_REDIRECT_ROOT");
	const char *cmdline = getenv("RKMOD_REDIRECT_CMDLINE");
	if (path != NULL && cmdline != NULL && strcmp(path, "/proc/cmdline") == 0)
		return cmdline;
	if (path == NULL || root == NULL || strncmp(path, PREFIX, strlen(PREFIX)) != 0)
		return path;
	snprintf(buf, PATH_MAX, "%s/%s", root, path + strlen(PREFIX));
	return buf;
}

#define NEXT(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))

int open(const char *path, int flags, ...)
{
	char buf[PATH_MAX];
	va_list ap;
	mode_t mode;
	va_start(ap, flags);
	mode = va_arg(ap, int);
	va_end(ap);
	return NEXT(open)(moved(path, buf), flags, mode);
}

int open64(const char *path, int flags, ...)
{
	char buf[PATH_MAX];
	va_list ap;
	mode_t mode;
	va_start(ap, flags);
	mode = va_arg(ap, int);
	va_end(ap);
	return NEXT(open64)(moved(path, buf), flags, mode);
}

FILE *fopen(const char *path, const char *mode)
{
	char buf[PATH_MAX];
	return NEXT(fopen)(moved(path, buf), mode);
}

FILE *fopen64(const char *path, const char *mode)
{
	char buf[PATH_MAX];
	return NEXT(fopen64)(moved(path, buf), mode);
}

DIR *opendir(const char *path)
{
	char buf[PATH_MAX];
	return NEXT(opendir)(moved(path, buf));
}

int stat(const char *path, struct stat *st)
{
	char buf[PATH_MAX];
	return NEXT(stat)(moved(path, buf), st);
}

int stat64(const char *path, struct stat64 *st)
{
	char buf[PATH_MAX];
	return NEXT(stat64)(moved(path, buf), st);
}
"#;

/// The program: `prog DIRNAME ACTION ARG`; prints what libkmod answers.
const PROG_C: &str = r#"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <syslog.h>
#include <libkmod.h>

static int show_fn;

static void logfn(void *data, int priority, const char *file, int line,
		  const char *fn, const char *format, va_list args)
{
	printf("log priority %d: ", priority);
	if (show_fn)
		printf("%s: ", fn);
	vprintf(format, args);
}

static void print_module(const char *what, struct kmod_module *mod)
{
	const char *path = kmod_module_get_path(mod);
	printf("%s %s %s\n", what, kmod_module_get_name(mod), path ? path : "(no path)");
}

int main(int argc, char *argv[])
{
	struct kmod_ctx *ctx;
	struct kmod_module *mod = NULL;
	struct kmod_list *list = NULL, *l;
	int err;

	if (argc != 4)
		return 2;
	if (strcmp(argv[2], "cmdline") == 0) {
		/* the log fn must be set before kmod_new parses the command line:
		 * the default one writes "libkmod: ERROR: fn: message" to stderr,
		 * which the caller compares */
		struct kmod_config_iter *it;
		ctx = kmod_new(argv[1], NULL);
		if (ctx == NULL)
			return 1;
		it = kmod_config_get_options(ctx);
		while (it != NULL && kmod_config_iter_next(it))
			printf("options %s %s\n", kmod_config_iter_get_key(it),
			       kmod_config_iter_get_value(it));
		kmod_config_iter_free_iter(it);
		kmod_unref(ctx);
		return 0;
	}
	ctx = kmod_new(argv[1], NULL);
	if (ctx == NULL)
		return 1;
	kmod_set_log_fn(ctx, logfn, NULL);

	if (strcmp(argv[2], "path") == 0) {
		err = kmod_module_new_from_path(ctx, argv[3], &mod);
		printf("new_from_path %d\n", err);
		if (err == 0) {
			print_module("module", mod);
			kmod_module_unref(mod);
		}
	} else if (strcmp(argv[2], "deps") == 0) {
		err = kmod_module_new_from_name(ctx, argv[3], &mod);
		printf("new_from_name %d\n", err);
		if (err == 0) {
			print_module("module", mod);
			list = kmod_module_get_dependencies(mod);
			kmod_list_foreach(l, list) {
				struct kmod_module *d = kmod_module_get_module(l);
				print_module("dependency", d);
				kmod_module_unref(d);
			}
			kmod_module_unref_list(list);
			kmod_module_unref(mod);
		}
	} else if (strcmp(argv[2], "validate") == 0) {
		/* argv[3]: where modules.dep.bin really is, to move its mtime on */
		struct stat st;
		struct timeval later[2] = { { 0, 0 }, { 0, 0 } };
		printf("load_resources %d\n", kmod_load_resources(ctx));
		printf("validate before %d\n", kmod_validate_resources(ctx));
		if (stat(argv[3], &st) == 0)
			later[0].tv_sec = later[1].tv_sec = st.st_mtime + 1000;
		if (utimes(argv[3], later) != 0)
			printf("utimes: %s\n", strerror(errno));
		printf("validate after %d\n", kmod_validate_resources(ctx));
	} else if (strcmp(argv[2], "lookup") == 0) {
		printf("load_resources %d\n", kmod_load_resources(ctx));
		err = kmod_module_new_from_lookup(ctx, argv[3], &list);
		printf("new_from_lookup %d\n", err);
		kmod_list_foreach(l, list) {
			struct kmod_module *m = kmod_module_get_module(l);
			print_module("found", m);
			kmod_module_unref(m);
		}
		kmod_module_unref_list(list);
	} else {
		return 2;
	}
	kmod_unref(ctx);
	return 0;
}
"#;

fn cc(out: &Path, args: &[&str]) {
    let status = Command::new("cc")
        .args(args)
        .arg("-o")
        .arg(out)
        .status()
        .unwrap_or_else(|e| panic!("FAIL: cannot run cc: {e}"));
    assert!(status.success(), "FAIL: cc failed for {}", out.display());
}

/// (the program, the redirecting library), built once per test binary.
fn built() -> &'static (PathBuf, PathBuf) {
    static BUILT: std::sync::OnceLock<(PathBuf, PathBuf)> = std::sync::OnceLock::new();
    BUILT.get_or_init(|| {
        let dir = work_dir().join("kmod34-findings-bin");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let prog_c = dir.join("findings.c");
        let shim_c = dir.join("redirect.c");
        std::fs::write(&prog_c, PROG_C).unwrap();
        std::fs::write(&shim_c, REDIRECT_C).unwrap();
        let prog = dir.join("findings");
        let shim = dir.join("redirect.so");
        let include = format!("-I{}", common::crate_dir().join("include").display());
        let libdir = format!("-L{}", work_dir().display());
        cc(
            &prog,
            &[
                "-O1",
                "-Wall",
                "-Werror",
                &include,
                prog_c.to_str().unwrap(),
                &libdir,
                "-lkmod",
            ],
        );
        cc(
            &shim,
            &[
                "-O1",
                "-Wall",
                "-Werror",
                "-shared",
                "-fPIC",
                shim_c.to_str().unwrap(),
                "-ldl",
            ],
        );
        (prog, shim)
    })
}

/// A module tree with the modules of the repository's golden tree: its
/// indexes made by kmod's own depmod (Debian's /sbin/depmod), or, without
/// indexes, only the golden tree's modules.dep. Returns (root, release).
fn tree(name: &str, with_indexes: bool) -> (PathBuf, String) {
    let golden = common::golden_tree();
    let release = golden.file_name().unwrap().to_string_lossy().into_owned();
    let root = common::temp_dir(name);
    let moddir = root.join("lib/modules").join(&release);
    std::fs::create_dir_all(&moddir).unwrap();
    for entry in std::fs::read_dir(&golden).unwrap() {
        let entry = entry.unwrap();
        let fname = entry.file_name();
        let keep = entry.file_type().unwrap().is_dir()
            || [
                "modules.order",
                "modules.builtin",
                "modules.builtin.modinfo",
            ]
            .contains(&fname.to_str().unwrap_or(""));
        if keep {
            let status = Command::new("cp")
                .arg("-a")
                .arg(entry.path())
                .arg(&moddir)
                .status()
                .expect("cp");
            assert!(
                status.success(),
                "FAIL: cannot copy {}",
                entry.path().display()
            );
        }
    }
    if with_indexes {
        let status = Command::new("/sbin/depmod")
            .arg("-b")
            .arg(&root)
            .arg(&release)
            .status()
            .unwrap_or_else(|e| panic!("FAIL: cannot run kmod's /sbin/depmod: {e}"));
        assert!(status.success(), "FAIL: kmod's depmod failed");
    } else {
        std::fs::copy(golden.join("modules.dep"), moddir.join("modules.dep")).unwrap();
    }
    (root, release)
}

/// The first module of modules.dep with at least one dependency:
/// (its name, its path relative to the module directory).
fn module_with_deps(moddir: &Path) -> (String, String) {
    let dep = std::fs::read_to_string(moddir.join("modules.dep")).unwrap();
    let line = dep
        .lines()
        .find(|l| l.split_once(':').is_some_and(|(_, d)| !d.trim().is_empty()))
        .expect("a module with dependencies in the golden tree");
    let rel = line.split_once(':').unwrap().0.to_string();
    let base = rel.rsplit('/').next().unwrap();
    let name = base.split(".ko").next().unwrap().replace('-', "_");
    (name, rel)
}

/// Run with both libraries under the redirecting library; stdout must be
/// the same. Returns ours.
fn compare_redirected(root: &Path, args: &[&str]) -> String {
    let (prog, shim) = built();
    let env = [
        ("LD_PRELOAD", shim.to_str().unwrap()),
        ("RKMOD_REDIRECT_ROOT", root.to_str().unwrap()),
    ];
    let ours = run_env(prog, args, "", Lib::Ours, &env);
    let kmod = run_env(prog, args, "", Lib::System, &env);
    let (o, k) = (mask_pointers(&ours.1), mask_pointers(&kmod.1));
    assert_eq!(
        (ours.0, &o),
        (kmod.0, &k),
        "ours (left) and kmod's library (right) differ for {args:?}; our stderr:\n{}",
        ours.2
    );
    o
}

#[test]
fn module_by_path_is_found_through_libc_path_calls() {
    let (root, release) = tree("findings-path", true);
    let moddir = format!("/rkmod-redirect/lib/modules/{release}");
    let (_, rel) = module_with_deps(&root.join("lib/modules").join(&release));
    let out = compare_redirected(&root, &[&moddir, "path", &format!("{moddir}/{rel}")]);
    assert!(
        out.starts_with("new_from_path 0\n"),
        "kmod finds it:\n{out}"
    );
}

#[test]
fn dependencies_are_found_through_libc_path_calls() {
    let (root, release) = tree("findings-deps", true);
    let moddir = format!("/rkmod-redirect/lib/modules/{release}");
    let (name, _) = module_with_deps(&root.join("lib/modules").join(&release));
    let out = compare_redirected(&root, &[&moddir, "deps", &name]);
    assert!(
        out.contains("\ndependency "),
        "kmod lists dependencies:\n{out}"
    );
}

#[test]
fn validate_resources_stats_the_indexes_through_libc() {
    let (root, release) = tree("findings-validate", true);
    let moddir = format!("/rkmod-redirect/lib/modules/{release}");
    let real = root
        .join("lib/modules")
        .join(&release)
        .join("modules.dep.bin");
    let out = compare_redirected(&root, &[&moddir, "validate", real.to_str().unwrap()]);
    assert!(
        out.contains("validate before 0\n") && !out.contains("validate after 0\n"),
        "kmod sees the index change:\n{out}"
    );
}

#[test]
fn kernel_command_line_errors_are_logged_as_kmods() {
    // kmod parses /proc/cmdline in kmod_new and logs a bad module option
    // with the default log function: "libkmod: ERROR: <fn>: <message>" on
    // stderr (kmod 34's testsuite has 'ivrs_acpihid[14:00' in one).
    let (root, release) = tree("findings-cmdline", true);
    let moddir = root.join("lib/modules").join(&release);
    let cmdline = root.join("cmdline");
    std::fs::write(
        &cmdline,
        "BOOT_IMAGE=/vmlinuz ivrs_acpihid[14:00 snd_hda_intel.power_save=1 quiet a.b=c d[e.f=g\n",
    )
    .unwrap();
    let (prog, shim) = built();
    let env = [
        ("LD_PRELOAD", shim.to_str().unwrap()),
        ("RKMOD_REDIRECT_CMDLINE", cmdline.to_str().unwrap()),
    ];
    let args = [moddir.to_str().unwrap(), "cmdline", "-"];
    let ours = run_env(prog, &args, "", Lib::Ours, &env);
    let kmod = run_env(prog, &args, "", Lib::System, &env);
    assert!(
        kmod.1.contains("options snd_hda_intel power_save=1"),
        "the command line is read through the redirection:\n{}",
        kmod.1
    );
    // Debian's kmod 30 is built with debug on: its default log function
    // puts the source file and line where kmod 34 (and ours) put ':'
    assert_eq!(
        (ours.0, &ours.1, mask_pointers(&ours.2)),
        (kmod.0, &kmod.1, without_file_line(&mask_pointers(&kmod.2))),
        "ours (left) and kmod's library (right) differ: exit, stdout, stderr"
    );
}

/// "libkmod: ERROR ../libkmod/libkmod-config.c:489 fn: message" (a debug
/// build's default log line) as "libkmod: ERROR: fn: message".
fn without_file_line(text: &str) -> String {
    text.lines()
        .map(|line| {
            let mut words = line.splitn(4, ' ');
            match (words.next(), words.next(), words.next(), words.next()) {
                (Some("libkmod:"), Some(prio), Some(at), Some(rest))
                    if !prio.ends_with(':') && at.contains(".c:") =>
                {
                    format!("libkmod: {prio}: {rest}\n")
                }
                _ => format!("{line}\n"),
            }
        })
        .collect()
}

#[test]
fn lookup_without_binary_indexes_logs_no_error() {
    // no redirection needed: a plain directory without modules.*.bin;
    // kmod's modprobe calls kmod_load_resources first, then looks up
    let (root, release) = tree("findings-noindex", false);
    let moddir = root.join("lib/modules").join(&release);
    let (name, _) = module_with_deps(&moddir);
    let (prog, _) = built();
    let args = [moddir.to_str().unwrap(), "lookup", name.as_str()];
    let ours = run_env(prog, &args, "", Lib::Ours, &[]);
    let kmod = run_env(prog, &args, "", Lib::System, &[]);
    assert_eq!(
        (ours.0, mask_pointers(&ours.1)),
        (kmod.0, mask_pointers(&kmod.1)),
        "ours (left) and kmod's library (right) differ"
    );
    // an empty index file, as kmod's testsuite has modules.builtin.bin
    std::fs::write(moddir.join("modules.builtin.bin"), b"").unwrap();
    std::fs::write(moddir.join("modules.dep.bin"), b"").unwrap();
    let ours = run_env(prog, &args, "", Lib::Ours, &[]);
    let kmod = run_env(prog, &args, "", Lib::System, &[]);
    assert_eq!(
        (ours.0, mask_pointers(&ours.1)),
        (kmod.0, mask_pointers(&kmod.1)),
        "with empty indexes: ours (left) and kmod's library (right) differ"
    );
}
