#!/usr/bin/env python3
"""Differential test: modconf's `modprobe -c` output against kmod's.

Builds configuration directories in a temporary directory (aliases and
alias chains, options with quotes and tabs, install/remove commands,
blacklists, softdeps with kmod's odd spacing, weakdep lines, bad and
deprecated lines, continuations, `.alias` files, hidden files, directories
inside configuration directories, files of the same name in two
directories, a `modules.softdep` in the module directory) and runs, for
each case, kmod's `modprobe -C ... -d ROOT -S RELEASE -c` and modconf's
`showconfig` example with the same arguments. stdout must be identical byte
for byte, exit statuses equal, and the messages on stderr equal once kmod's
`libkmod: ERROR <file:line> <function>: ` prefix is reduced to `ERROR: `.

References:
* kmod 30 (`/sbin/modprobe`, Debian's): compared with `showconfig --kmod30`
  (weakdep is a bad line there);
* kmod 34 (`--kmod34 PATH`, optional; a modprobe built from kmod 34
  sources): compared with `showconfig` in its default mode (kmod 30 plus
  weakdep) on cases without `.alias` files, which kmod 34 no longer reads.

The kernel command line is part of `modprobe -c` (its `module.param=`
words become `options` lines). Cases with chosen command lines bind-mount a
file over `/proc/cmdline` in a private mount namespace (`unshare -m`, needs
root); when that is impossible they are skipped and reported.

Usage: modprobe_config_diff.py [--ours PATH] [--kmod /sbin/modprobe]
                               [--kmod34 PATH] [-v]
Without --ours the example is built with cargo (release).
Last line: `modprobe-config-diff: N passed, M failed`; exit status 1 when
M > 0.
"""

from __future__ import annotations

import argparse
import difflib
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RELEASE = "1.0"

MAIN_CONF = (
    b"# a comment\n"
    b"alias pci:v00008086d* e1000-e\n"
    b"alias my-alias real-mod\n"
    b"alias real-mod other-mod\n"
    b"alias usb:v[0-9A-F]*-x mod-y\n"
    b"alias broken]x y\n"
    b"alias open[x y\n"
    b"alias onlyname\n"
    b"options snd-hda-intel model=auto\tindex=0  enable=\"1,2\"\n"
    b"options  m-tab\ta=\"x\ty\"\n"
    b"options q\n"
    b"options r    \n"
    b"install foo-bar /sbin/modprobe --ignore-install foo-bar $CMDLINE_OPTS; echo\tdone\n"
    b"remove foo-bar /bin/true\n"
    b"remove\n"
    b"blacklist pcspkr\n"
    b"blacklist snd-pcsp extra words\n"
    b"softdep snd-hda pre: snd-hda-codec post: snd-pcm\n"
    b"softdep x pre: a b post: c d\n"
    b"softdep y post: c pre: a post: d pre: e\n"
    b"softdep z  pre: a\n"
    b"softdep w foo bar\n"
    b"softdep v   pre: q\n"
    b"softdep t pre:a post:\n"
    b"softdep tab\tpre:\tp1\x0bp2 post:\rq1\n"
    b"include /etc/foo\n"
    b"config bar\n"
    b"  indented-bad\n"
    b"bogus-directive x\n"
    b"options cont a=1 \\\n  b=2 \\\n  c=3\n"
    b"weakdep wd1 dep-a dep-b\n"
    b"alias crlf-alias crlf-mod\r\n"
    b"options vt a=1\x0bb=2\n"
    b"\x0bblacklist vtab\n"
    b"blacklist high\xffbyte\n"
    b"install\tx-y\t\tcmd\twith  tabs \n"
)

WEAKDEP_CONF = (
    b"weakdep i915 intel-gsc mei\n"
    b"weakdep  w2  a\n"
    b"weakdep w3 pre: x post: y\n"
    b"weakdep w4\n"
    b"weakdep w5 \n"
    b"weakdep w6  \n"
    b"softdep s pre: p\n"
)


def write(path: str, data: bytes) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def build_fixtures(tmp: str) -> dict[str, str]:
    """Create the configuration directories and module trees."""
    p = {k: os.path.join(tmp, k) for k in
         ("d1", "d2", "d3", "other", "empty_root", "sd_root")}
    d1, d2, d3 = p["d1"], p["d2"], p["d3"]
    write(f"{d1}/10-main.conf", MAIN_CONF)
    write(f"{d1}/20-same.conf", b"alias same-from-d1 m\n")
    write(f"{d1}/05-extra.alias", b"alias dot-alias-file m\n")
    write(f"{d1}/.hidden.conf", b"alias hidden m\n")
    write(f"{d1}/README", b"alias readme m\n")
    write(f"{d1}/x.alias.txt", b"alias not-alias-suffix m\n")
    write(f"{d1}/sub.conf/inner.conf", b"alias inner m\n")
    os.symlink("sub.conf", f"{d1}/link.conf")
    write(f"{d1}/30-nul.conf",
          b"alias nul-a m\0junk\nalias after-nul m\noptions tail x\\")
    write(f"{d1}/40-empty.conf", b"")
    write(f"{d2}/20-same.conf", b"alias same-from-d2 m\n")
    write(f"{d2}/15-d2.conf", b"blacklist from-d2\ninstall d2 cmd\n")
    write(f"{d2}/99-last.conf", WEAKDEP_CONF)
    write(f"{d3}/a.conf", b"weakdep a b c\nweakdep x\nsoftdep s pre: p\n"
          b"options o x=1\n")
    write(f"{p['other']}/single.cfg", b"options single-file x=1\n")
    write(f"{p['other']}/modules.softdep", b"alias clash-hidden m\n")
    os.makedirs(f"{p['empty_root']}/lib/modules/{RELEASE}")
    moddir = f"{p['sd_root']}/lib/modules/{RELEASE}"
    write(f"{moddir}/modules.softdep",
          b"# softdeps from modules\nsoftdep sd-mod pre: sd-pre\nbad line here\n")
    write(f"{moddir}/modules.weakdep", b"weakdep wd-mod wd-dep\n")
    # Real indexes, when this machine has a module tree, to check the dump.
    for name in ("modules.alias.bin", "modules.symbols.bin"):
        found = sorted(glob.glob(f"/lib/modules/*/{name}"))
        if found:
            shutil.copy(found[0], f"{moddir}/{name}")
    return p


def cases(p: dict[str, str]) -> list[tuple[str, list[str], str, str]]:
    """(name, modprobe arguments, our mode, reference)."""
    empty = ["-d", p["empty_root"], "-S", RELEASE]
    sd = ["-d", p["sd_root"], "-S", RELEASE]
    d1, d2, d3, other = p["d1"], p["d2"], p["d3"], p["other"]
    c = lambda *paths: [x for path in paths for x in ("-C", path)]  # noqa: E731
    out = [
        ("d1", c(d1) + empty, "kmod30", "kmod30"),
        ("d2", c(d2) + empty, "kmod30", "kmod30"),
        ("d1+d2", c(d1, d2) + empty, "kmod30", "kmod30"),
        ("d2+d1", c(d2, d1) + empty, "kmod30", "kmod30"),
        ("single+d1", c(f"{other}/single.cfg", d1) + empty, "kmod30", "kmod30"),
        ("trailing-slash", c(d1 + "/") + empty, "kmod30", "kmod30"),
        ("missing+d2", c(f"{other}/missing", d2) + empty, "kmod30", "kmod30"),
        ("file-direct", c(f"{d1}/10-main.conf") + empty, "kmod30", "kmod30"),
        ("no-files", c(other + "/missing") + empty, "kmod30", "kmod30"),
        ("softdep-tree", c(d2) + sd, "kmod30", "kmod30"),
        ("softdep-name-clash", c(f"{other}/modules.softdep", d2) + sd,
         "kmod30", "kmod30"),
        ("system-defaults", empty, "kmod30", "kmod30"),
        ("weakdep-off-matches-kmod30", c(d3, f"{other}/single.cfg") + empty,
         "kmod30", "kmod30"),
        ("default-mode-no-weakdep", c(f"{other}/single.cfg") + empty,
         "default", "kmod30"),
        ("kmod34-d2", c(d2) + empty, "default", "kmod34"),
        ("kmod34-d3+d2", c(d3, d2) + empty, "default", "kmod34"),
        ("kmod34-softdep-tree", c(d3) + sd, "default", "kmod34"),
    ]
    for real in sorted(glob.glob("/lib/modules/*/modules.alias.bin"))[:1]:
        rel = real.split("/")[3]
        out.append((f"real-tree-{rel}", ["-S", rel], "kmod30", "kmod30"))
    return out


CMDLINES: list[tuple[str, bytes]] = [
    ("plain", b"BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro quiet snd-hda.model=auto i915.x\n"),
    ("values", b"a.b=c.d=e .p=1 m.=1 m.\n"),
    ("ignored", b"a.b.c=1 a=b.c x console=ttyS0 -- --foo 0.0.0.0:1\n"),
    ("quotes", b"m.p=\"a b\" \"n.q=c d\" o.r=x\"y z\"w\n"),
    ("bad-quotes", b"m\"x\".p=1 \"m .p=1\" a\"b c.d=1 e\" f.g=2\n"),
    ("unterminated", b"a.b=1 c.d=\"x y\n"),
    ("tab-in-quotes", b"m.p=\"a\tb\" n.q=\"\x0bz\"\n"),
    ("blacklist", b"modprobe.blacklist=a-b,,c modprobe.blacklist= modprobe.other=1\n"),
    ("quoted-blacklist", b"\"modprobe.blacklist=x,y\"\n"),
    ("bad-names", b"a-b]c-d.p=1 x[y.p=2 ok.p=3 y[a-b]-c.p=4\n"),
    ("nul", b"a.b=1\0c.d=2\n"),
    ("no-newline", b"a.b=1"),
    ("odd", b"\" \"\" \". \".= \"a.b= a.b=\" \"a.b=c\"\" z.z=1\n"),
    ("long", b" ".join(b"mod%d.param%d=%d" % (i, i, i) for i in range(400)) + b"\n"),
]


def normalise_stderr(data: bytes) -> bytes:
    """kmod's libkmod messages as `LEVEL: text` (kmod 30 and 34 forms)."""
    out = []
    for line in data.splitlines(keepends=True):
        line = re.sub(rb"^libkmod: (\w+) \S+:\d+ \w+: ", rb"\1: ", line)
        line = re.sub(rb"^libkmod: (\w+): \w+: ", rb"\1: ", line)
        out.append(line)
    return b"".join(out)


def ns_prefix(cmdline_file: str | None) -> list[str]:
    if cmdline_file is None:
        return []
    script = 'mount --bind "$1" /proc/cmdline && shift && exec "$@"'
    return ["unshare", "-m", "sh", "-c", script, "sh", cmdline_file]


def run(cmd: list[str]) -> tuple[int, bytes, bytes]:
    r = subprocess.run(cmd, capture_output=True, timeout=120)
    return r.returncode, r.stdout, r.stderr


def show_diff(a: bytes, b: bytes, what: str) -> str:
    lines = difflib.unified_diff(
        a.decode("latin-1").splitlines(keepends=True),
        b.decode("latin-1").splitlines(keepends=True),
        f"kmod {what}", f"ours {what}", n=1)
    return "".join(list(lines)[:40])


def compare(name: str, kmod_cmd: list[str], ours_cmd: list[str], verbose: bool) -> bool:
    k, o = run(kmod_cmd), run(ours_cmd)
    problems = []
    if k[0] != o[0]:
        problems.append(f"exit status: kmod {k[0]}, ours {o[0]}")
    if k[1] != o[1]:
        problems.append(show_diff(k[1], o[1], "stdout"))
    ke, oe = normalise_stderr(k[2]), o[2]
    if ke != oe:
        problems.append(show_diff(ke, oe, "stderr"))
    if problems:
        print(f"FAIL {name}")
        for p in problems:
            print("  " + p.replace("\n", "\n  "))
        return False
    if verbose:
        print(f"ok   {name} ({len(k[1])} bytes)")
    return True


def can_bind_cmdline(tmp: str) -> bool:
    probe = os.path.join(tmp, "probe-cmdline")
    with open(probe, "wb") as f:
        f.write(b"rkmod.probe=1\n")
    try:
        r = subprocess.run(ns_prefix(probe) + ["cat", "/proc/cmdline"],
                           capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return r.returncode == 0 and r.stdout == b"rkmod.probe=1\n"


def build_ours() -> str:
    subprocess.run(["cargo", "build", "--quiet", "--release", "-p", "modconf",
                    "--example", "showconfig"], cwd=REPO, check=True)
    return os.path.join(REPO, "target/release/examples/showconfig")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ours")
    ap.add_argument("--kmod", default="/sbin/modprobe")
    ap.add_argument("--kmod34", default=os.environ.get("KMOD34_MODPROBE"))
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    ours = args.ours or build_ours()
    passed = failed = skipped = 0
    with tempfile.TemporaryDirectory(prefix="modprobe-config-diff-") as tmp:
        p = build_fixtures(tmp)
        for name, margs, mode, ref in cases(p):
            if ref == "kmod34":
                if not args.kmod34 or not os.access(args.kmod34, os.X_OK):
                    skipped += 1
                    continue
                kmod = args.kmod34
            else:
                kmod = args.kmod
            ours_args = margs + (["--kmod30"] if mode == "kmod30" else [])
            ok = compare(name, [kmod] + margs + ["-c"], [ours] + ours_args, args.verbose)
            passed, failed = passed + ok, failed + (not ok)

        if can_bind_cmdline(tmp):
            for cname, text in CMDLINES:
                f = os.path.join(tmp, f"cmdline-{cname}")
                with open(f, "wb") as fh:
                    fh.write(text)
                margs = ["-C", f"{p['d3']}/a.conf", "-d", p["empty_root"], "-S", RELEASE]
                ok = compare(f"cmdline-{cname}",
                             ns_prefix(f) + [args.kmod] + margs + ["-c"],
                             ns_prefix(f) + [ours] + margs + ["--kmod30"],
                             args.verbose)
                passed, failed = passed + ok, failed + (not ok)
        else:
            skipped += len(CMDLINES)
            print("note: cannot bind-mount over /proc/cmdline here "
                  "(needs root and unshare -m); command-line cases skipped")
    if skipped:
        print(f"note: {skipped} case(s) skipped")
    print(f"modprobe-config-diff: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
