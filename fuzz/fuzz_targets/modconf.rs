//! Configuration: modprobe.d (with and without kmod 34's `weakdep`),
//! depmod.d, the kernel command line, and the questions the tools ask of
//! the parsed configuration (options, install/remove commands, blacklist,
//! soft and weak dependencies, alias patterns, `modprobe -c`).
//!
//! Input: up to four sections separated by `SECTION`: modprobe.d text,
//! depmod.d text (also read as a second modprobe.d file), a kernel command
//! line, and query words (the first one also serves as the kernel release
//! for depmod.d). Without a separator the whole input is the modprobe.d
//! file and the command line (real configuration files are the seeds).
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use modconf::{kcmdline, DepmodConfig, Features, ModprobeConfig};

rkmod_fuzz::capped_heap!();

const SECTION: &[u8] = b"\n%%\n";
const RELEASE: &str = "6.1.0-56-amd64";
/// Names taken from the parsed configuration to ask about.
const MAX_NAMES: usize = 48;

fn queries(cfg: &ModprobeConfig, name: &[u8]) {
    let opts = cfg.options_for(name);
    assert_eq!(opts, cfg.options_for_alias(name, None));
    if let Some(o) = &opts {
        assert!(!o.is_empty());
    }
    let _ = cfg.options_for_alias(name, Some(b"pci:v*"));
    let _ = cfg.install_command(name);
    let _ = cfg.remove_command(name);
    if let Some(c) = cfg.install_command_named(name) {
        assert!(cfg.install.iter().any(|i| i.command == c));
    }
    let _ = cfg.remove_command_named(name);
    assert_eq!(
        cfg.is_blacklisted(name),
        cfg.blacklist.iter().any(|b| b == name)
    );
    if let Some(sd) = cfg.softdep(name) {
        let n = sd.pre().count() + sd.post().count();
        assert_eq!(n, sd.entries().len());
        let _ = sd.show_value();
    }
    let _ = cfg.weakdep(name);
    for alias in cfg.aliases_matching(name) {
        assert!(modindex::fnmatch(&alias.name, name));
    }
    let mut normalised = name.to_vec();
    let _ = modconf::modprobe_d::underscores(&mut normalised);
}

fuzz_target!(|data: &[u8]| {
    rkmod_fuzz::selftest(data);
    let mut sections = Vec::new();
    let mut rest = Some(data);
    while let Some(r) = rest {
        let (this, next) = rkmod_fuzz::split_once(r, SECTION);
        sections.push(this);
        rest = next;
    }
    // depmod.d only from its own section: its kernel patterns are regular
    // expressions, compiled per line, and compiling them would otherwise
    // take most of the run on every modprobe.d input.
    let [modprobe_d, depmod_d, cmdline] = if sections.len() == 1 {
        [data, &[][..], data]
    } else {
        [0, 1, 2].map(|i| sections.get(i).copied().unwrap_or_default())
    };
    let words: Vec<&[u8]> = sections
        .get(3)
        .map(|q| {
            q.split(|b| b.is_ascii_whitespace())
                .filter(|w| !w.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let release = words
        .first()
        .and_then(|w| std::str::from_utf8(w).ok())
        .unwrap_or(RELEASE);

    // modprobe.d as two files and the command line, as modprobe reads them.
    let mut diags = Vec::new();
    let mut cfg = ModprobeConfig::new(Features::default());
    cfg.parse(
        Path::new("/etc/modprobe.d/fuzz.conf"),
        modprobe_d,
        &mut diags,
    );
    cfg.parse(Path::new("/lib/modprobe.d/fuzz.conf"), depmod_d, &mut diags);
    cfg.add_cmdline(cmdline, &mut diags);
    for d in &diags {
        let _ = (d.level.label(), d.level.priority());
    }

    // kmod 30 reads everything but `weakdep` the same way.
    let mut diags30 = Vec::new();
    let mut cfg30 = ModprobeConfig::new(Features::KMOD30);
    cfg30.parse(
        Path::new("/etc/modprobe.d/fuzz.conf"),
        modprobe_d,
        &mut diags30,
    );
    cfg30.parse(
        Path::new("/lib/modprobe.d/fuzz.conf"),
        depmod_d,
        &mut diags30,
    );
    cfg30.add_cmdline(cmdline, &mut diags30);
    assert!(cfg30.weakdeps.is_empty());
    assert_eq!(cfg30.aliases, cfg.aliases);
    assert_eq!(cfg30.options, cfg.options);
    assert_eq!(cfg30.install, cfg.install);
    assert_eq!(cfg30.remove, cfg.remove);
    assert_eq!(cfg30.blacklist, cfg.blacklist);
    assert_eq!(cfg30.softdeps, cfg.softdeps);
    assert!(diags30.len() >= diags.len());

    let _ = cfg.show();

    // The kernel command line alone.
    let (parsed, _) = kcmdline::parse(cmdline);
    assert!(cfg.blacklist.ends_with(&parsed.blacklist));
    assert!(cfg.options.len() >= parsed.options.len());

    // depmod.d for a kernel release.
    let mut dcfg = DepmodConfig::default();
    let mut ddiags = Vec::new();
    dcfg.parse(
        Path::new("/etc/depmod.d/fuzz.conf"),
        depmod_d,
        release,
        &mut ddiags,
    );
    for o in &dcfg.overrides {
        let _ = o.path();
    }

    // The questions the tools ask.
    let mut names: Vec<&[u8]> = words.clone();
    names.extend(cfg.aliases.iter().map(|a| a.name.as_slice()));
    names.extend(cfg.aliases.iter().map(|a| a.modname.as_slice()));
    names.extend(cfg.options.iter().map(|o| o.modname.as_slice()));
    names.extend(cfg.install.iter().map(|c| c.modname.as_slice()));
    names.extend(cfg.blacklist.iter().map(Vec::as_slice));
    for sd in &cfg.softdeps {
        names.push(&sd.modname);
        names.extend(sd.pre().chain(sd.post()));
    }
    for wd in &cfg.weakdeps {
        names.push(&wd.modname);
        names.extend(wd.deps.iter().map(Vec::as_slice));
    }
    for name in names.into_iter().take(MAX_NAMES) {
        queries(&cfg, name);
    }
});
