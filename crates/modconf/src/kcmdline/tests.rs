use super::*;

/// `(options as "module param" strings, blacklist, messages)`.
fn run(cmdline: &str) -> (Vec<String>, Vec<String>, Vec<String>) {
    let (parsed, diags) = parse(cmdline.as_bytes());
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (
        parsed
            .options
            .iter()
            .map(|o| format!("{} {}", text(&o.modname), text(&o.options)))
            .collect(),
        parsed.blacklist.iter().map(|b| text(b)).collect(),
        diags.into_iter().map(|d| d.text_lossy()).collect(),
    )
}

fn options(cmdline: &str) -> Vec<String> {
    run(cmdline).0
}

#[test]
fn plain_options_and_names() {
    assert_eq!(
        options("BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro quiet snd-hda.model=auto i915.x\n"),
        vec!["snd_hda model=auto", "i915 x"]
    );
    assert_eq!(options("a.b=c.d=e"), vec!["a b=c.d=e"]);
    assert_eq!(options(".p=1"), vec![" p=1"]);
    assert_eq!(options("m.=1 m."), vec!["m =1", "m "]);
}

#[test]
fn ignored_words() {
    // second dot in the parameter, '=' before the dot, no dot at all.
    assert!(options("a.b.c=1 a=b.c x console=ttyS0 -- --foo 0.0.0.0:1").is_empty());
}

#[test]
fn quoted_values_and_words() {
    assert_eq!(
        options("m.p=\"a b\" \"n.q=c d\" o.r=x\"y z\"w"),
        vec!["m p=\"a b\"", "n q=\"c d\"", "o r=x\"y z\"w"]
    );
    // A quote inside a name spoils the word; blanks inside quotes outside
    // a value too.
    assert!(options("m\"x\".p=1 \"m .p=1\"").is_empty());
    // The quote state carries over: a stray quote swallows words until the
    // next quote closes it.
    assert_eq!(options("a\"b c.d=1 e\" f.g=2"), vec!["f g=2"]);
    // An unterminated quoted value at the end is dropped.
    assert_eq!(options("a.b=1 c.d=\"x y"), vec!["a b=1"]);
    // Tabs and other whitespace inside a quoted value are kept here.
    assert_eq!(options("m.p=\"a\tb\"\n"), vec!["m p=\"a\tb\""]);
}

#[test]
fn blacklist() {
    let (opts, bl, _) = run("modprobe.blacklist=a-b,,c modprobe.blacklist= modprobe.other=1");
    assert_eq!(bl, vec!["a-b", "", "c", ""]);
    assert_eq!(opts, vec!["modprobe other=1"]);
    let (_, bl, _) = run("\"modprobe.blacklist=x,y\"");
    assert_eq!(bl, vec!["\"x", "y\""]);
}

#[test]
fn bad_module_names_are_reported() {
    let (opts, _, diags) = run("a-b]c-d.p=1 x[y.p=2 ok.p=3");
    assert_eq!(opts, vec!["ok p=3"]);
    assert_eq!(
        diags,
        vec![
            "Ignoring bad option on kernel command line while parsing module name: 'a_b]c-d'\n",
            "Ignoring bad option on kernel command line while parsing module name: 'x[y'\n",
        ]
    );
}

#[test]
fn stops_at_nul_and_never_panics() {
    assert_eq!(options("a.b=1\0c.d=2"), vec!["a b=1"]);
    for s in [
        "\"",
        "\"\"",
        "\".",
        "\".=",
        "\"a.b=",
        "a.b=\"",
        ".",
        "=",
        "\"a.b=c\"\"",
        " \" ",
    ] {
        let _ = parse(s.as_bytes());
    }
    let bytes: Vec<u8> = (1u8..=255).cycle().take(5000).collect();
    let _ = parse(&bytes);
}
