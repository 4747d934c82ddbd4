use super::*;
use crate::files::tests::tempdir;

fn parse_with(text: &str, features: Features) -> (ModprobeConfig, Vec<String>) {
    let mut cfg = ModprobeConfig::new(features);
    let mut diags = Vec::new();
    cfg.parse(Path::new("/x/a.conf"), text.as_bytes(), &mut diags);
    assert!(diags.iter().all(|d| d.level == Level::Error));
    (cfg, diags.into_iter().map(|d| d.text_lossy()).collect())
}

fn parse(text: &str) -> (ModprobeConfig, Vec<String>) {
    parse_with(text, Features::default())
}

fn show(cfg: &ModprobeConfig) -> String {
    let out = String::from_utf8(cfg.show()).unwrap();
    out.strip_suffix("\n# End of configuration files. Dumping indexes now:\n\n")
        .unwrap()
        .to_string()
}

#[test]
fn every_directive() {
    let (cfg, diags) = parse(
        "alias pci:v*d* snd-hda\n\
         options snd-hda\tmodel=auto  x=\"a b\"\n\
         install foo-bar /bin/echo\tinstalling; true\n\
         remove foo /bin/true\n\
         blacklist pc-spkr extra words\n\
         softdep m-1 pre: a-b post: c\n\
         weakdep w x y\n",
    );
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(
        show(&cfg),
        "blacklist pc_spkr\n\
         install foo_bar /bin/echo\tinstalling; true\n\
         remove foo /bin/true\n\
         alias pci:v*d* snd_hda\n\
         options snd_hda model=auto  x=\"a b\"\n\
         softdep m_1 pre: a-bpost: c\n\
         weakdep w x y\n"
    );
    let dep = cfg.softdep(b"m_1").unwrap();
    assert_eq!(dep.pre().collect::<Vec<_>>(), vec![&b"a-b"[..]]);
    assert_eq!(dep.post().collect::<Vec<_>>(), vec![&b"c"[..]]);
    assert_eq!(
        cfg.weakdep(b"w").unwrap().deps,
        vec![b"x".to_vec(), b"y".to_vec()]
    );
}

#[test]
fn bad_lines_and_deprecated_commands() {
    let (cfg, diags) = parse(
        "alias onlyone\nalias a]b c\nalias a[b c\nblacklist\noptions m\noptions m \n\
         install m\nsoftdep m\n  # indented comment\nfrobnicate x\ninclude /etc/x\n\
         config y\nweakdep m\n# real comment\n\t\n",
    );
    assert_eq!(cfg, ModprobeConfig::default());
    assert_eq!(
        diags,
        vec![
            "/x/a.conf line 1: ignoring bad line starting with 'alias'\n",
            "/x/a.conf line 2: ignoring bad line starting with 'alias'\n",
            "/x/a.conf line 3: ignoring bad line starting with 'alias'\n",
            "/x/a.conf line 4: ignoring bad line starting with 'blacklist'\n",
            "/x/a.conf line 5: ignoring bad line starting with 'options'\n",
            "/x/a.conf line 6: ignoring bad line starting with 'options'\n",
            "/x/a.conf line 7: ignoring bad line starting with 'install'\n",
            "/x/a.conf line 8: ignoring bad line starting with 'softdep'\n",
            "/x/a.conf line 9: ignoring bad line starting with '#'\n",
            "/x/a.conf line 10: ignoring bad line starting with 'frobnicate'\n",
            "/x/a.conf: command include is deprecated and not parsed anymore\n",
            "/x/a.conf: command config is deprecated and not parsed anymore\n",
            "/x/a.conf line 13: ignoring bad line starting with 'weakdep'\n",
        ]
    );
}

#[test]
fn weakdep_is_a_bad_line_for_kmod30() {
    let (cfg, diags) = parse_with("weakdep a b\n", Features::KMOD30);
    assert!(cfg.weakdeps.is_empty());
    assert_eq!(
        diags,
        vec!["/x/a.conf line 1: ignoring bad line starting with 'weakdep'\n"]
    );
}

#[test]
fn continuations_tabs_and_line_numbers() {
    let (cfg, diags) = parse("options m a=1 \\\n b=2\n\tbogus\nalias\tx\t\ty\n");
    assert_eq!(cfg.options[0].options, b"a=1  b=2");
    assert_eq!(cfg.aliases[0].modname, b"y");
    assert_eq!(
        diags,
        vec!["/x/a.conf line 3: ignoring bad line starting with 'bogus'\n"]
    );
}

#[test]
fn rest_of_line_starts_after_one_blank() {
    // strtok leaves every blank after the first in the rest of the line.
    let (cfg, _) = parse("options m   a=1\ninstall m  x\noptions n  \n");
    assert_eq!(cfg.options[0].options, b"  a=1");
    assert_eq!(cfg.install[0].command, b" x");
    assert_eq!(cfg.options[1].options, b" ");
}

#[test]
fn brackets_keep_their_dashes() {
    let mut name = b"a-b[x-y]c-d".to_vec();
    assert!(underscores(&mut name));
    assert_eq!(name, b"a_b[x-y]c_d");
    let mut name = b"a-b]c-d".to_vec();
    assert!(!underscores(&mut name));
    assert_eq!(name, b"a_b]c-d");
    let mut name = b"x-[a-".to_vec();
    assert!(!underscores(&mut name));
    assert_eq!(name, b"x_[a-");
    let mut name = b"[]]".to_vec();
    assert!(!underscores(&mut name));
}

#[test]
fn softdep_quirks_shown_like_kmod() {
    let (cfg, _) = parse(
        "softdep x pre: a b post: c d\nsoftdep y post: c pre: a post: d pre: e\n\
         softdep z  pre: a\nsoftdep w foo bar\nsoftdep v   pre: q\nweakdep u  a b\n",
    );
    assert_eq!(
        show(&cfg),
        "softdep x pre: a bpost: c d\n\
         softdep y pre: a d epost: c a d\n\
         softdep z \n\
         softdep w \n\
         softdep v pre: q\n\
         weakdep u  a b\n"
    );
    let y = &cfg.softdeps[1];
    assert_eq!(y.pre().collect::<Vec<_>>(), vec![&b"a"[..], b"e"]);
    assert_eq!(y.post().collect::<Vec<_>>(), vec![&b"c"[..], b"d"]);
}

#[test]
fn queries() {
    let (cfg, _) = parse(
        "options m a=1\noptions other z=9\noptions m  \noptions al b=2\noptions m c=3\n\
         install m* first\ninstall m second\nremove m-x rm\n\
         alias pci:v1* m\nalias pci:* n\nalias usb:* u\n\
         blacklist bad\nsoftdep m* pre: p\nsoftdep m pre: q\nweakdep m* w\n",
    );
    assert_eq!(cfg.options_for(b"m").unwrap(), b"a=1   c=3");
    assert_eq!(
        cfg.options_for_alias(b"m", Some(b"al")).unwrap(),
        b"a=1   b=2 c=3"
    );
    assert_eq!(cfg.options_for(b"none"), None);
    assert_eq!(cfg.install_command(b"mod"), Some(&b"first"[..]));
    assert_eq!(cfg.install_command_named(b"m"), Some(&b"second"[..]));
    assert_eq!(cfg.install_command_named(b"mod"), None);
    assert_eq!(cfg.remove_command(b"m_x"), Some(&b"rm"[..]));
    assert_eq!(cfg.remove_command_named(b"m_x"), Some(&b"rm"[..]));
    assert_eq!(cfg.remove_command(b"m"), None);
    let hits: Vec<_> = cfg
        .aliases_matching(b"pci:v1234")
        .iter()
        .map(|a| a.modname.clone())
        .collect();
    assert_eq!(hits, vec![b"m".to_vec(), b"n".to_vec()]);
    assert!(cfg.is_blacklisted(b"bad"));
    assert!(!cfg.is_blacklisted(b"ba*"));
    assert_eq!(cfg.softdep(b"m").unwrap().pre().next(), Some(&b"p"[..]));
    assert!(cfg.softdep(b"x").is_none());
    assert_eq!(cfg.weakdep(b"mm").unwrap().deps, vec![b"w".to_vec()]);
}

#[test]
fn files_merge_sort_and_hide() {
    let tmp = tempdir("modprobe-files");
    let (a, b, moddir) = (tmp.join("a"), tmp.join("b"), tmp.join("lib/modules/1"));
    for d in [&a, &b, &moddir] {
        std::fs::create_dir_all(d).unwrap();
    }
    let write = |p: PathBuf, s: &str| std::fs::write(p, s).unwrap();
    write(a.join("20-same.conf"), "alias from-a m\n");
    write(b.join("20-same.conf"), "alias from-b m\n");
    write(b.join("10-first.alias"), "alias first m\n");
    write(b.join("30-last.conf"), "alias last m\n");
    write(b.join("x.txt"), "alias ignored m\n");
    write(b.join(".hidden.conf"), "alias hidden m\n");
    write(b.join("conf"), "alias short m\n");
    write(b.join("modules.softdep.conf"), "alias after-softdep m\n");
    std::fs::create_dir(b.join("sub.conf")).unwrap();
    write(moddir.join("modules.softdep"), "softdep m pre: p\nbogus\n");
    write(moddir.join("modules.weakdep"), "weakdep m w\n");
    let single = tmp.join("single.cfg");
    write(single.clone(), "alias single m\n");

    let paths = [a.clone(), b.clone(), single.clone(), tmp.join("missing")];
    let (cfg, diags) = ModprobeConfig::load(&paths, Some(&moddir), CmdlineSource::Skip);
    let names: Vec<_> = cfg.aliases.iter().map(|a| a.name.clone()).collect();
    assert_eq!(
        names,
        vec![
            b"first".to_vec(),
            b"from_a".to_vec(),
            b"last".to_vec(),
            b"after_softdep".to_vec(),
            b"single".to_vec(),
        ]
    );
    assert_eq!(cfg.softdeps.len(), 1);
    assert_eq!(cfg.weakdeps.len(), 1);
    let texts: Vec<_> = diags.iter().map(|d| d.text_lossy()).collect();
    assert_eq!(
        texts,
        vec![
            format!(
                "Directories inside directories are not supported: {}/sub.conf\n",
                b.display()
            ),
            format!(
                "{}/modules.softdep line 2: ignoring bad line starting with 'bogus'\n",
                moddir.display()
            ),
        ]
    );

    // kmod 30 does not know modules.weakdep.
    let (cfg, _) =
        ModprobeConfig::load_with(&paths, Some(&moddir), CmdlineSource::Skip, Features::KMOD30);
    assert!(cfg.weakdeps.is_empty());

    // A trailing slash shows in messages as kmod prints it.
    write(b.join("30-last.conf"), "oops\n");
    let slashed = PathBuf::from(format!("{}/", b.display()));
    let (_, diags) = ModprobeConfig::load(&[slashed], None, CmdlineSource::Skip);
    assert!(diags.iter().any(|d| d.text_lossy()
        == format!(
            "{}//30-last.conf line 1: ignoring bad line starting with 'oops'\n",
            b.display()
        )));
}

#[test]
fn cmdline_comes_last() {
    let tmp = tempdir("modprobe-cmdline");
    std::fs::write(tmp.join("a.conf"), "options m a=1\nblacklist x\n").unwrap();
    let (cfg, diags) = ModprobeConfig::load(
        &[&tmp],
        None,
        CmdlineSource::Text(b"m.b=\"2\t3\" modprobe.blacklist=y,z bad]x.p=1\n"),
    );
    assert_eq!(cfg.options_for(b"m").unwrap(), b"a=1 b=\"2 3\"");
    assert_eq!(
        cfg.blacklist,
        vec![b"x".to_vec(), b"y".to_vec(), b"z".to_vec()]
    );
    assert_eq!(diags.len(), 1);
}

#[test]
fn index_dump_follows_config() {
    let tmp = tempdir("modprobe-index");
    let mut alias = modindex::IndexBuilder::new();
    alias.insert(b"pci:v1*", b"m", 0);
    alias.insert(b"acpi*:X:*", b"n", 1);
    std::fs::write(tmp.join("modules.alias.bin"), alias.to_bytes()).unwrap();
    let mut syms = modindex::IndexBuilder::new();
    syms.insert(b"symbol:f", b"m", 0);
    std::fs::write(tmp.join("modules.symbols.bin"), syms.to_bytes()).unwrap();
    let cfg = parse("blacklist b\n").0;
    assert_eq!(
        String::from_utf8(cfg.show_with_indexes(&tmp)).unwrap(),
        "blacklist b\n\n# End of configuration files. Dumping indexes now:\n\n\
         alias acpi*:X:* n\nalias pci:v1* m\nalias symbol:f m\n"
    );
    assert!(dump_indexes(&tmp.join("missing")).is_empty());
}

#[test]
fn no_panic_on_odd_bytes() {
    let data: Vec<u8> = (0u8..=255).cycle().take(4096).collect();
    let mut cfg = ModprobeConfig::default();
    let mut diags = Vec::new();
    cfg.parse(Path::new("f"), &data, &mut diags);
    cfg.parse(Path::new("f"), b"softdep \xff pre:\x0b\xff\\", &mut diags);
    let _ = cfg.show();
}
