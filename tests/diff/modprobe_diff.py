#!/usr/bin/env python3
"""Differential test: rmodprobe against kmod 30's modprobe (Debian's).

For every case both tools run with the same arguments; compared are the
stdout bytes, the exit status, and whether stderr is empty (the messages
themselves are not compared).

Module trees:

* ``tree`` -- the cached ``deb61`` tree of ``tests/diff/trees.py`` (Debian's
  6.1 modules with kmod-generated indexes), passed as ``-d BASE -S RELEASE``;
* ``host`` -- the host's ``/lib/modules/RELEASE`` (Debian's own indexes),
  passed as ``-S RELEASE`` only, with a sample of the names.

Scenarios: each is a temporary modprobe.d directory given with ``-C DIR``
(``plain`` is empty; ``aliases``, ``options``, ``install``, ``remove``,
``blacklist``, ``softdep``, ``weakdep``, ``notmodule``), plus ``system``
(no ``-C``: the host's /etc/modprobe.d, /lib/modprobe.d ...) and
``missing-confdir`` (``-C`` of a directory that does not exist).

Commands: ``-D NAME``, ``-n -v NAME [params]``, ``-R NAME``, ``-c``,
``--show-exports FILE``, ``--show-modversions FILE``, ``-r -n -v NAME``,
``-a -D A B C`` (and ``-b`` variants in the blacklist scenario).  Names:
every module of the tree (plain, ``-D``: one process per name, and again
in ``-a -D`` groups whose kmod output is checked to be the concatenation of
the single-name outputs), concrete strings made from modules.alias patterns,
symbol aliases, builtin modules, nonexistent and malformed names, and a
focused list per scenario.

Three normalisations: in the weakdep scenario kmod 30's "ignoring bad line
starting with 'weakdep'" messages do not make its stderr non-empty, and our
`-c` lists kmod 34's `weakdep` lines, which are left out before comparing
(exit status and the rest of stdout are still compared); and where kmod is
killed by a signal (an endless softdep recursion overflows its stack) ours
must exit normally: the case counts as passed and is listed in a note.  Command-line parsing (missing and unknown options, ``-w``
values, several ``-C``, ``$MODPROBE_OPTIONS``) is covered too.

Nothing is ever inserted or removed: every command carries ``-D``, ``-n``,
``-R``, ``-c`` or ``--show-*`` (asserted), and install/remove commands in the
configurations would create marker files, whose absence is checked.

Usage: modprobe_diff.py [--ours PATH] [--kmod /sbin/modprobe] [--quick]
                        [--jobs N] [--max-diffs N] [-v]
Without --ours, target/release/rmodprobe is used (built with cargo when
missing).  Last line: ``modprobe-diff: N passed, M failed``; exit status 1
when M > 0.
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import difflib
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import trees  # noqa: E402

SAFE_FLAGS = {"-D", "--show-depends", "-n", "--dry-run", "--show", "-R",
              "--resolve-alias", "-c", "--show-config", "--show-exports",
              "--show-modversions", "--dump-modversions"}
GROUP_SIZE = 40


# ---------------------------------------------------------------- names

def module_names(moddir: str) -> list[str]:
    """Module names (as spelled in the file names) from modules.dep, in order."""
    names = []
    with open(os.path.join(moddir, "modules.dep")) as f:
        for line in f:
            path = line.split(":", 1)[0]
            base = os.path.basename(path)
            names.append(re.sub(r"\.ko(\.\w+)?$", "", base))
    return names


def module_files(moddir: str) -> list[str]:
    out = []
    with open(os.path.join(moddir, "modules.dep")) as f:
        for line in f:
            out.append(os.path.join(moddir, line.split(":", 1)[0]))
    return out


def builtin_names(moddir: str) -> list[str]:
    names = []
    try:
        with open(os.path.join(moddir, "modules.builtin")) as f:
            for line in f:
                line = line.strip()
                if line:
                    names.append(re.sub(r"\.ko$", "", os.path.basename(line)))
    except OSError:
        pass
    return names


# Lengths of the hex fields of common modalias formats, by key.
FIELD_LEN = {
    "pci": {"v": 8, "d": 8, "sv": 8, "sd": 8, "bc": 2, "sc": 2, "i": 2},
    "usb": {"v": 4, "p": 4, "d": 4, "dc": 2, "dsc": 2, "dp": 2, "ic": 2,
            "isc": 2, "ip": 2, "in": 2},
    "hid": {"b": 4, "g": 4, "v": 8, "p": 8},
    "pcmcia": {"m": 4, "c": 4, "f": 2, "fn": 2, "pfn": 2, "pa": 8, "pb": 8,
               "pc": 8, "pd": 8},
    "ieee1394": {"ven": 8, "mo": 8, "sp": 8, "ver": 8},
    "sdio": {"c": 2, "v": 4, "d": 4},
    "hdaudio": {"v": 8, "r": 8, "a": 2},
    "mdio": {},
    "serio": {"ty": 2, "pr": 2, "id": 2, "ex": 2},
    "virtio": {"d": 8, "v": 8},
}


def concretize(pattern: str) -> str:
    """A concrete string matched by an fnmatch pattern from modules.alias.

    ``*`` becomes a plausible value for the modalias field it stands in
    (``pci:...sv*`` -> ``sv00000000``), else nothing; ``?`` becomes ``0``; a
    bracket expression its first allowed character.
    """
    bus = pattern.split(":", 1)[0] if ":" in pattern else ""
    fields = FIELD_LEN.get(bus, {})
    out = ""
    i = 0
    n = len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            # key = lowercase run before the uppercase hex digits already out
            m = re.search(r"([a-z]+)([0-9A-F]*)$", out)
            fill = ""
            if m and m.group(1) in fields:
                want = fields[m.group(1)] - len(m.group(2))
                fill = "0" * max(want, 0)
            elif bus == "mdio":
                fill = "0" * (32 - len(re.sub(r"^mdio:", "", out)))
                fill = fill if len(fill) > 0 else ""
            out += fill
            i += 1
        elif c == "?":
            out += "0"
            i += 1
        elif c == "[":
            j = pattern.find("]", i + 2)
            if j < 0:
                out += c
                i += 1
                continue
            body = pattern[i + 1:j]
            neg = body[:1] in ("!", "^")
            if neg:
                body = body[1:]
            allowed = set()
            k = 0
            while k < len(body):
                if k + 2 < len(body) and body[k + 1] == "-":
                    for o in range(ord(body[k]), ord(body[k + 2]) + 1):
                        allowed.add(chr(o))
                    k += 3
                else:
                    allowed.add(body[k])
                    k += 1
            if neg:
                pick = next((ch for ch in "0123456789ABCDEFXZ" if ch not in allowed), "Z")
            else:
                pick = body[0] if body else "0"
            out += pick
            i = j + 1
        else:
            out += c
            i += 1
    return out


def alias_samples(moddir: str, n_wild: int, n_plain: int, n_sym: int):
    """Concrete aliases: (string, pattern) from modules.alias and symbols."""
    wild, plain = [], []
    with open(os.path.join(moddir, "modules.alias")) as f:
        for line in f:
            parts = line.split()
            if len(parts) != 3 or parts[0] != "alias":
                continue
            (wild if any(ch in parts[1] for ch in "*?[") else plain).append(parts[1])
    syms = []
    with open(os.path.join(moddir, "modules.symbols")) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[0] == "alias":
                syms.append(parts[1])

    def pick(lst, k):
        if k <= 0 or not lst:
            return []
        step = max(1, len(lst) // k)
        return lst[::step][:k]

    out = collections.OrderedDict()
    for p in pick(wild, n_wild):
        out.setdefault(concretize(p), p)
    for p in pick(plain, n_plain):
        out.setdefault(p, p)
    for p in pick(syms, n_sym):
        out.setdefault(p, p)
    return list(out.items())


NONEXISTENT = [
    "nonexistent-module", "no_such_mod", "e1000e-nope", "symbol:no_such_symbol",
    "pci:v0000FFFFd0000FFFFsv00000000sd00000000bc00sc00i00", "fs-nofs",
    "", "a*b", "pci:*", "ab]c", "ab[c", "snd[-_]hda-intel", "e1000[e]",
    "x" * 300, "y" * 5000, "-", "kernel/drivers/net/dummy.ko",
    "/lib/modules/dummy.ko", "dummy.ko", "DUMMY", "du mmy",
]

PARAM_SETS = [
    [],
    ["c=3", "d=e f"],
    ["novalue", "x=\"quoted\"", "=x", "a=b=c d", "e='s q'", "k"],
    ["p= v", "q=", "r=1,2,3", "foo bar"],
]


# ---------------------------------------------------------------- scenarios

def scenarios(tmp: str, bname: str):
    """name -> (config text or None for no -C, or a path that must not exist).

    bname: a builtin module name of the tree.
    """
    mk = lambda n: os.path.join(tmp, "marker-" + n)  # noqa: E731
    sc = collections.OrderedDict()
    sc["plain"] = ""
    sc["aliases"] = f"""\
alias myalias e1000e
alias my-dash-alias snd-hda-intel
alias chain-a chain-b
alias chain-b bridge
alias chain-c chain-a
alias wild-* dummy
alias wc?x loop
alias wb[ab]c nbd
alias multi e1000e
alias multi bridge
alias multi dummy
alias e1000e e1000
alias fs-ext4 xfs
alias pci:v00008086d000010D3sv* e1000
alias nonexist-target no-such-module
alias builtin-al {bname}
alias self-loop self-loop
alias dash-target snd_hda_intel
alias under_score_al fuse
"""
    sc["options"] = f"""\
options e1000e a=1 b="x y"
options e1000e IntMode=2
options myalias from_alias=1
alias myalias e1000e
options bridge q=1
options llc dep_opt=1 other="1 2"
options snd-hda-intel model=auto index=0
options snd_hda_intel enable=1
options pci:v00008086d000010D3sv00000000sd00000000bc00sc00i00 via_alias=1
options fs-ext4 via_fs_alias=1
options cpuidle-haltpoll extra=1
options {bname} builtin_opt=1
options  dummy\tnumdummies=4\t tab="a\tb"
options loop max_loop=8
options fuse
options nbd nbds_max=2 \\
  max_part=3
"""
    sc["install"] = f"""\
install e1000e touch {mk('e1000e')} $CMDLINE_OPTS; echo installing e1000e
install notamodule touch {mk('notamodule')}; echo $CMDLINE_OPTS x $CMDLINE_OPTS
install bridge touch {mk('bridge')} && /sbin/modprobe --ignore-install bridge $CMDLINE_OPTS
install snd_* touch {mk('snd')} wildcard
install llc touch {mk('llc')} dep-install
install loop touch {mk('loop1')} first
install loop touch {mk('loop2')} second
install fuse touch {mk('fuse')}
softdep fuse pre: loop
alias inst-alias e1000e
options e1000e opt=1
options llc llcopt=2
install {bname} touch {mk('builtin')}
install noopts touch {mk('noopts')}$CMDLINE_OPTS
"""
    sc["remove"] = f"""\
remove bridge touch {mk('rm-bridge')}; echo removing bridge
remove notamodule-r touch {mk('rm-notamodule')}
remove fuse touch {mk('rm-fuse')} $CMDLINE_OPTS
remove snd_* touch {mk('rm-snd')}
remove loop touch {mk('rm-loop1')} first
remove loop touch {mk('rm-loop2')} second
remove e1000e touch {mk('rm-e1000e')}
remove {bname} touch {mk('rm-builtin')}
alias rm-alias bridge
softdep vxlan pre: loop post: fuse
softdep overlay pre: nf_conntrack post: ipv6 virtio_net
"""
    sc["blacklist"] = f"""\
blacklist e1000e
blacklist bridge
blacklist llc
blacklist snd-hda-intel
blacklist ext4
blacklist {bname}
blacklist bl-alias
alias bl-alias e1000e
alias bl-wild-* bridge
alias ok-alias dummy
softdep dummy pre: e1000e post: bridge
"""
    sc["softdep"] = f"""\
softdep e1000e pre: crc32c_generic llc post: bridge
softdep bridge pre: fs-ext4 post: crypto-crc32c
softdep loop pre: nbd
softdep nbd pre: loop
softdep fuse post: fuse
softdep dummy pre: nonexistent-soft post: pci:v00008086d000010D3sv00000000sd00000000bc00sc00i00
softdep vxlan pre: snd-hda-intel
softdep ext4 post: xfs
softdep snd_* pre: soundcore
alias soft-al loop
softdep xfs pre: soft-al {bname}
softdep tun post: soft-al pre: multi-al
alias multi-al nbd
alias multi-al dummy
softdep e1000 pre: e1000
softdep virtio_net pre: notamodule
install notamodule touch {mk('soft-notamodule')}
install nbd touch {mk('soft-nbd')}
softdep ipv6 pre: loop
softdep overlay post: nf_conntrack
"""
    sc["weakdep"] = """\
weakdep e1000e bridge
weakdep loop nbd dummy
softdep loop pre: fuse
alias wd-alias loop
"""
    sc["notmodule"] = f"""\
install fake-mod touch {mk('fake')} $CMDLINE_OPTS
install fake_mod touch {mk('fake2')}
remove rm-only touch {mk('rm-only')}
install both-cmds touch {mk('both-i')}
remove both-cmds touch {mk('both-r')}
options fake-mod fo=1
softdep fake-mod pre: loop post: dummy
install fake2 touch {mk('fake3')}
options fake2 x=1
alias alias-to-fake fake2
"""
    sc["system"] = None
    sc["missing-confdir"] = os.path.join(tmp, "does-not-exist.d")
    return sc


def focused_names(scen: str, bname: str) -> list[str]:
    common = ["e1000e", "bridge", "snd-hda-intel", "snd_hda_intel", "ext4",
              "fuse", "loop", "nbd", "dummy", "vxlan", "overlay", "ipv6",
              bname, bname.replace("_", "-"), "nonexistent-module",
              "pci:v00008086d000010D3sv00000000sd00000000bc00sc00i00",
              "fs-ext4", "crypto-crc32c", "symbol:e1000e_get_laa_state_82571",
              "nf_conntrack_ftp", "virtio_net", "tun", "e1000", "xfs",
              "cpuidle-haltpoll", "haltpoll", "random"]
    per = {
        "aliases": ["myalias", "my-dash-alias", "my_dash_alias", "chain-a",
                    "chain-b", "chain-c", "wild-x", "wild-", "wild-*", "wcAx",
                    "wcx", "wbac", "wbbc", "wbcc", "wb[ab]c", "multi",
                    "nonexist-target", "builtin-al", "self-loop", "dash-target",
                    "under-score-al", "under_score_al",
                    "pci:v00008086d000010D3sv12345678sd00000000bc02sc00i00"],
        "options": ["myalias", "llc", "cpuidle_haltpoll"],
        "install": ["notamodule", "inst-alias", "llc", "snd-pcm", "soundcore",
                    "noopts", "snd_timer"],
        "remove": ["notamodule-r", "rm-alias", "snd-pcm", "nf_conntrack"],
        "blacklist": ["bl-alias", "bl-wild-x", "ok-alias", "llc",
                      "pci:v00008086d00001502sv00000000sd00000000bc00sc00i00"],
        "softdep": ["soft-al", "multi-al", "notamodule", "crc32c_generic",
                    "snd-pcm"],
        "weakdep": ["wd-alias"],
        "notmodule": ["fake-mod", "fake_mod", "rm-only", "both-cmds", "fake2",
                      "alias-to-fake"],
        "system": ["snd-pcsp", "uhci-hcd", "ohci-hcd", "atyfb", "bonding",
                   "ifb", "sisfb",
                   "pci:v00001002d00004C53sv00000000sd00000000bc00sc00i00"],
    }
    out = []
    for n in common + per.get(scen, []):
        if n not in out:
            out.append(n)
    return out


# ---------------------------------------------------------------- running

class Case:
    __slots__ = ("target", "scen", "kind", "args", "result", "names", "env")

    def __init__(self, target, scen, kind, args, names=None, env=None):
        self.target, self.scen, self.kind, self.args = target, scen, kind, args
        self.names = names
        self.env = env  # extra environment (MODPROBE_OPTIONS)
        self.result = None


class Runner:
    def __init__(self, kmod, ours, tree_base, release, confdirs):
        self.kmod, self.ours = kmod, ours
        self.tree_base, self.release = tree_base, release
        self.confdirs = confdirs
        env = {k: v for k, v in os.environ.items() if k != "MODPROBE_OPTIONS"}
        env["LC_ALL"] = "C"
        self.env = env

    def prefix(self, case: Case) -> list[str]:
        pre = []
        conf = self.confdirs[case.scen]
        if conf is not None:
            pre += ["-C", conf]
        if case.target == "tree":
            pre += ["-d", self.tree_base, "-S", self.release]
        elif case.target == "host":
            pre += ["-S", self.release]
        return pre  # target "uname": neither -d nor -S

    def argv(self, tool: str, case: Case) -> list[str]:
        return [tool] + self.prefix(case) + case.args

    def run_one(self, argv, extra_env=None):
        env = dict(self.env, **extra_env) if extra_env else self.env
        try:
            p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                               env=env, timeout=120)
            return p.returncode, p.stdout, p.stderr
        except subprocess.TimeoutExpired:
            return "timeout", b"", b"timeout"

    def run(self, case: Case):
        assert any(a in SAFE_FLAGS for a in case.args), case.args
        k = self.run_one(self.argv(self.kmod, case), case.env)
        o = self.run_one(self.argv(self.ours, case), case.env)
        case.result = (k, o)
        return case


# kmod 30 rejects weakdep lines ("ignoring bad line starting with
# 'weakdep'"); rmodprobe accepts them.  In the weakdep scenario those
# messages do not count when comparing whether stderr is empty.
WEAKDEP_BAD_LINE = re.compile(rb"^.*ignoring bad line starting with 'weakdep'.*\n?", re.M)


def kmod_stderr(case: Case) -> bytes:
    err = case.result[0][2]
    if case.scen == "weakdep":
        err = WEAKDEP_BAD_LINE.sub(b"", err)
    return err


def both_crashed(case: Case) -> bool:
    """kmod killed by a signal (its SIGSEGV on an endless softdep
    recursion): ours must not crash too; it stops the recursion and exits
    normally, which counts as the better outcome."""
    (krc, _, _), (orc, _, _) = case.result
    return isinstance(krc, int) and isinstance(orc, int) and krc < 0 and orc >= 0


# kmod 34 added `weakdep`; `-c` lists those lines (kmod 30 drops them as
# bad lines), so they are left out of our `-c` output before comparing.
WEAKDEP_SHOW_LINE = re.compile(rb"^weakdep .*\n", re.M)


def ours_stdout(case: Case) -> bytes:
    out = case.result[1][1]
    if case.scen == "weakdep" and "-c" in case.args:
        out = WEAKDEP_SHOW_LINE.sub(b"", out)
    return out


def same(case: Case) -> bool:
    (krc, kout, _), (orc, _, oerr) = case.result
    if both_crashed(case):
        return True
    oout = ours_stdout(case)
    if case.scen == "weakdep" and "-c" in case.args:
        # a kmod 34 reference (scripts/libkmod-kmod34-tools.sh) lists them too
        kout = WEAKDEP_SHOW_LINE.sub(b"", kout)
    return krc == orc and kout == oout and bool(kmod_stderr(case)) == bool(oerr)


def describe(case: Case, runner: Runner, max_lines=12) -> str:
    (krc, kout, _), (orc, oout, oerr) = case.result
    kerr = kmod_stderr(case)
    cmd = " ".join(shlex.quote(a if len(a) < 80 else a[:60] + "...")
                   for a in runner.argv("modprobe", case))
    if case.env:
        cmd = " ".join(f"{k}={shlex.quote(v)}" for k, v in case.env.items()) + " " + cmd
    lines = [f"    $ {cmd}"]
    if krc != orc:
        lines.append(f"      exit: kmod {krc}, ours {orc}")
    if bool(kerr) != bool(oerr):
        lines.append(f"      stderr: kmod {'non-empty' if kerr else 'empty'}, "
                     f"ours {'non-empty' if oerr else 'empty'}")
    for label, err in (("kmod", kerr), ("ours", oerr)):
        if err:
            first = err.decode(errors="replace").splitlines()[:2]
            lines.append(f"      {label} stderr: " + " | ".join(s[:160] for s in first))
    if kout != oout:
        d = list(difflib.unified_diff(
            kout.decode(errors="replace").splitlines(),
            oout.decode(errors="replace").splitlines(),
            "kmod", "ours", n=1, lineterm=""))
        for s in d[:max_lines]:
            lines.append("      " + s[:200])
        if len(d) > max_lines:
            lines.append(f"      ... ({len(d) - max_lines} more diff lines)")
    return "\n".join(lines)


# ---------------------------------------------------------------- case list

def cli_cases(add, confdirs):
    """Option parsing: missing/unknown options, -w values, several -C, env."""
    k = "command line"
    for args in (["-D"], ["-n"], ["-r", "-n"], ["-R"], ["-n", "-v"],
                 ["-D", "-Z", "dummy"], ["-D", "--bogus", "dummy"],
                 ["-n", "-v", "dummy", "-x"], ["-D", "dummy", "-v"],
                 ["-n", "-v", "--", "dummy", "-x=1"], ["-D", "dummy", "-C"],
                 ["-D", "dummy", "--show-depends"], ["-D", "-D", "dummy"],
                 ["-q", "-D", "nonexistent-module"], ["-v", "-v", "-v", "-n", "dummy"],
                 ["-q", "-v", "-D", "nonexistent-module"], ["-v", "-q", "-D", "nonexistent-module"],
                 ["-R", "-D", "dummy"], ["-c", "-D", "dummy"], ["-c", "-r", "-n", "bridge"],
                 ["--show-exports", "--show-modversions", "/dev/null"],
                 ["-r", "-R", "-n", "bridge"], ["-a", "-R", "fs-ext4", "dummy"],
                 ["-n", "-v", "-f", "dummy"], ["-n", "-v", "--force-vermagic", "dummy"],
                 ["-n", "-v", "--force-modversion", "dummy"],
                 ["-D", "-C", "-weird", "dummy"], ["-D", "-C-weird", "dummy"]):
        add("tree", "plain", k, args)
    for w in ("abc", "", " 5", "-1", "+5", "0x10", "010", "08", "5ms",
              "99999999999999999999999", "0"):
        add("tree", "plain", "-w values", ["-w", w, "-r", "-n", "-v", "bridge"])
    # several -C (the scenario's dir first, then these)
    for extra in (confdirs["options"], os.path.join(confdirs["options"], "test.conf"),
                  "/nonexistent.d"):
        for n in ("myalias", "e1000e", "chain-a"):
            add("tree", "aliases", "two -C", ["-C", extra, "-n", "-v", n])
    for envv, args in (("-v", ["-n", "dummy"]), ("-n -v", ["-D", "bridge"]),
                       ("-v  -v", ["-n", "dummy"]), (" -v", ["-n", "dummy"]),
                       ("-v ", ["-n", "dummy"]), ('"-v"', ["-n", "dummy"]),
                       ('x"-v"', ["-n", "dummy"]), ("-q", ["-D", "nonexistent-module"]),
                       ('-C "/nonexistent dir"', ["-D", "dummy"]),
                       ("-C " + confdirs["options"], ["-n", "-v", "e1000e"]),
                       ("'-i' -b", ["-n", "-v", "e1000e"]), ("", ["-n", "-v", "dummy"])):
        add("tree", "aliases", "MODPROBE_OPTIONS", args, env={"MODPROBE_OPTIONS": envv})


def build_cases(opts, moddir, host_ok, bnames, scen_names, confdirs):
    names = module_names(moddir)
    files = module_files(moddir)
    quick = opts.quick
    cases: list[Case] = []
    add = lambda *a, **kw: cases.append(Case(*a, **kw))  # noqa: E731
    bname = bnames[0] if bnames else "zswap"

    if quick:
        per_name = names[::25]
        n_wild, n_plain, n_sym = 60, 15, 8
        bl = bnames[::6]
        exp_files = files[::200]
    else:
        per_name = names
        n_wild, n_plain, n_sym = 300, 60, 30
        bl = bnames
        exp_files = files[::40]
    aliases = alias_samples(moddir, n_wild, n_plain, n_sym)

    # --- plain: every module with -D (single name), and in -a -D groups
    for n in per_name:
        add("tree", "plain", "-D module", ["-D", n])
    for i in range(0, len(names), GROUP_SIZE):
        grp = names[i:i + GROUP_SIZE]
        add("tree", "plain", "-a -D group", ["-a", "-D"] + grp, names=grp)
    # dash/underscore spellings
    for n in [x for x in names if "-" in x or "_" in x][::(40 if quick else 8)]:
        alt = n.replace("-", "_") if "-" in n else n.replace("_", "-")
        add("tree", "plain", "-D spelling", ["-D", alt])
    # concrete aliases
    for a, _pat in aliases:
        add("tree", "plain", "-D alias", ["-D", a])
        add("tree", "plain", "-R alias", ["-R", a])
        add("tree", "plain", "-n -v alias", ["-n", "-v", a])
    # builtins
    for b in bl:
        for kind, args in (("-D builtin", ["-D", b]), ("-R builtin", ["-R", b]),
                           ("-n -v builtin", ["-n", "-v", b]),
                           ("-r -n -v builtin", ["-r", "-n", "-v", b])):
            add("tree", "plain", kind, args)
    # nonexistent / malformed
    for n in NONEXISTENT:
        for kind, args in (("-D nonexistent", ["-D", n]), ("-R nonexistent", ["-R", n]),
                           ("-n -v nonexistent", ["-n", "-v", n]),
                           ("-r -n -v nonexistent", ["-r", "-n", "-v", n])):
            add("tree", "plain", kind, args)
    add("tree", "plain", "-a -D nonexistent", ["-a", "-D"] + NONEXISTENT[:6] + ["dummy"])
    add("tree", "plain", "-a -D nonexistent", ["-a", "-D", "dummy", "nonexistent-module"])
    # long option spellings
    for args in (["--show-depends", "e1000e"], ["--dry-run", "--verbose", "bridge", "x=1"],
                 ["--show", "-v", "fuse"], ["--resolve-alias", "fs-ext4"],
                 ["--remove", "--dry-run", "--verbose", "bridge"],
                 ["--all", "--show-depends", "loop", "nbd"],
                 ["--ignore-install", "--show-depends", "dummy"],
                 ["--show-config"], ["--dump-modversions", files[0]]):
        add("tree", "plain", "long options", args)
    add("tree", "plain", "-a -D nonexistent", ["-a", "-D", "nonexistent-module", "dummy"])
    add("tree", "plain", "-a -D nonexistent", ["-a", "-D", "-q", "nonexistent-module", "dummy"])
    add("tree", "plain", "-D nonexistent", ["-D", "-q", "nonexistent-module"])
    # module files: exports and modversions
    specials = [os.path.join(moddir, "modules.dep"), moddir,
                os.path.join(moddir, "no-such-file.ko"), "/dev/null"]
    for f in exp_files + specials:
        add("tree", "plain", "--show-exports", ["--show-exports", f])
        add("tree", "plain", "--show-modversions", ["--show-modversions", f])
    for f in extra_module_files(quick):
        add("tree", "plain", "--show-exports other-compression", ["--show-exports", f])
        add("tree", "plain", "--show-modversions other-compression", ["--show-modversions", f])
    # -r -n -v over a sample of modules (most not loaded; some in /sys/module)
    sysmods = sorted(os.listdir("/sys/module")) if os.path.isdir("/sys/module") else []
    for n in per_name[::(1 if quick else 10)] + sysmods:
        add("tree", "plain", "-r -n -v module", ["-r", "-n", "-v", n])
    for n in sysmods:
        add("tree", "plain", "-n -v /sys/module", ["-n", "-v", n])
        add("tree", "plain", "-D /sys/module", ["-D", n])
        add("tree", "plain", "--first-time -n -v /sys/module", ["--first-time", "-n", "-v", n])
        add("tree", "plain", "--first-time -r -n -v /sys/module", ["--first-time", "-r", "-n", "-v", n])
    add("tree", "plain", "-r -n -v multi", ["-r", "-n", "-v"] + sysmods[:8] + ["dummy", "nonexistent-module"])
    add("tree", "plain", "-r -n -v multi", ["-r", "-n", "-v", "--remove-holders", "bridge", "fuse"])
    # kmod's FATAL messages (LOG at LOG_CRIT) exit at once unless -q
    b0 = bnames[0] if bnames else "zswap"
    for pre in (["-r", "-n", "-v"], ["-r", "-n", "-v", "-q"]):
        add("tree", "plain", "-r -n -v multi", pre + ["nonexistent-module", "bridge"])
        add("tree", "plain", "-r -n -v multi", pre + [b0, "bridge", "fuse"])
        add("tree", "plain", "-r -n -v multi", pre + ["--first-time", "dummy", "bridge"])
        add("tree", "plain", "-r -n -v multi", pre + ["--first-time", "jbd2", "ext4"])
    add("tree", "plain", "-r -n -v multi", ["-r", "-a", "-n", "-v", "nonexistent-module", "bridge"])
    for b in bl[:5]:
        add("tree", "plain", "--first-time -n -v builtin", ["--first-time", "-n", "-v", b])

    cli_cases(add, confdirs)

    # --- every scenario: focused names and commands
    for scen in scen_names:
        fn = focused_names(scen, bname)
        add("tree", scen, "-c", ["-c"])
        for n in fn:
            add("tree", scen, "-D", ["-D", n])
            add("tree", scen, "-R", ["-R", n])
            add("tree", scen, "-n -v", ["-n", "-v", n])
            add("tree", scen, "-n", ["-n", n])
            add("tree", scen, "-r -n -v", ["-r", "-n", "-v", n])
            add("tree", scen, "-D -i", ["-D", "-i", n])
            if scen == "blacklist":
                add("tree", scen, "-b -D", ["-b", "-D", n])
                add("tree", scen, "-b -n -v", ["-b", "-n", "-v", n])
                add("tree", scen, "-b -R", ["-b", "-R", n])
        for params in PARAM_SETS[1:]:
            for n in fn[:4] + fn[-4:]:
                add("tree", scen, "-n -v params", ["-n", "-v", n] + params)
                add("tree", scen, "-D params", ["-D", n] + params)
        for grp in (fn[:3], fn[3:9], fn[-6:], fn[:2] + fn[:2]):
            add("tree", scen, "-a -D", ["-a", "-D"] + grp)
            if scen == "blacklist":
                add("tree", scen, "-a -b -D", ["-a", "-b", "-D"] + grp)
        add("tree", scen, "--show-exports", ["--show-exports", files[0]])
        add("tree", scen, "--show-modversions", ["--show-modversions", files[0]])
        if scen != "plain":
            for a, _pat in aliases[::(20 if quick else 5)]:
                add("tree", scen, "-D alias", ["-D", a])
                if scen == "blacklist":
                    add("tree", scen, "-b -D alias", ["-b", "-D", a])

    # --- host tree: /lib/modules/RELEASE with Debian's indexes (no -d)
    if host_ok:
        hs = names[::(60 if quick else 12)]
        for n in hs:
            add("host", "plain", "-D module", ["-D", n])
        for i in range(0, len(names), GROUP_SIZE * (4 if quick else 1)):
            grp = names[i:i + GROUP_SIZE]
            add("host", "plain", "-a -D group", ["-a", "-D"] + grp, names=grp)
        for a, _pat in aliases[::(6 if quick else 2)]:
            add("host", "plain", "-D alias", ["-D", a])
            add("host", "plain", "-R alias", ["-R", a])
        for b in bl[::3]:
            add("host", "plain", "-D builtin", ["-D", b])
            add("host", "plain", "-r -n -v builtin", ["-r", "-n", "-v", b])
        for n in NONEXISTENT[:5]:
            add("host", "plain", "-D nonexistent", ["-D", n])
        add("host", "plain", "-c", ["-c"])
        for f in exp_files[::4]:
            f = f.replace(moddir, os.path.join("/lib/modules", opts.release))
            add("host", "plain", "--show-exports", ["--show-exports", f])
            add("host", "plain", "--show-modversions", ["--show-modversions", f])
        for scen in ("system", "softdep", "install", "blacklist"):
            for n in focused_names(scen, bname):
                add("host", scen, "-D", ["-D", n])
                add("host", scen, "-n -v", ["-n", "-v", n, "c=3", "d=e f"])
                add("host", scen, "-r -n -v", ["-r", "-n", "-v", n])
        # no -d, no -S: uname -r, whose directory does not exist here
        for args in (["-D", "dummy"], ["-R", "dummy"], ["-c"], ["-r", "-n", "-v", "bridge"],
                     ["-n", "-v", "fuse"]):
            add("uname", "plain", "no -S (uname)", args)
    return cases


def extra_module_files(quick: bool) -> list[str]:
    """A few .ko.xz (deb612) and .ko.zst (recomp) files if those trees are cached."""
    root = trees.cache_root()
    out = []
    for sub, suffix in (("deb612", ".ko.xz"), ("recomp/zst", ".ko.zst")):
        top = os.path.join(root, sub)
        if not os.path.isdir(top) or not os.path.exists(
                os.path.join(root, sub.split("/")[0], trees.STAMP)):
            continue
        found = []
        for r, _d, fs in os.walk(top):
            found += [os.path.join(r, f) for f in fs if f.endswith(suffix)]
            if len(found) > 400:
                break
        found.sort()
        out += found[::(200 if quick else 40)][:10]
    return out


# ---------------------------------------------------------------- main

def ensure_ours(path: str | None) -> str:
    if path:
        return os.path.abspath(path)
    p = os.path.join(REPO, "target", "release", "rmodprobe")
    if not os.path.exists(p):
        subprocess.run(["cargo", "build", "--release", "-p", "rkmod-cli"], cwd=REPO,
                       check=True)
    return p


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ours", help="rmodprobe to test (default target/release/rmodprobe)")
    ap.add_argument("--kmod", default="/sbin/modprobe")
    ap.add_argument("--quick", action="store_true", help="sample names and files")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--max-diffs", type=int, default=3,
                    help="differences shown per scenario and command kind")
    ap.add_argument("--no-host", action="store_true", help="skip /lib/modules/RELEASE")
    ap.add_argument("-v", "--verbose", action="store_true")
    opts = ap.parse_args()

    t0 = time.monotonic()
    ours = ensure_ours(opts.ours)
    info = trees.prepare(trees=("deb61",))
    deb = info["deb61"]
    base, release, moddir = deb["path"], deb["release"], deb["moddir"]
    opts.release = release
    host_dir = os.path.join("/lib/modules", release)
    host_ok = not opts.no_host and os.path.exists(os.path.join(host_dir, "modules.dep.bin"))
    print(f"modprobe-diff: kmod {opts.kmod}, ours {ours}")
    print(f"modprobe-diff: tree {base} release {release}; host {host_dir}: "
          f"{'yes' if host_ok else 'skipped'}")

    bnames = builtin_names(moddir)
    tmp = tempfile.mkdtemp(prefix="rkmod-modprobe-diff-")
    failed_total = passed_total = 0
    try:
        sc = scenarios(tmp, bnames[0] if bnames else "zswap")
        confdirs = {}
        for name, text in sc.items():
            if text is None or name == "missing-confdir":
                confdirs[name] = text
                continue
            d = os.path.join(tmp, "conf-" + name)
            os.makedirs(d)
            if text:
                with open(os.path.join(d, "test.conf"), "w") as f:
                    f.write(text)
            confdirs[name] = d
        runner = Runner(opts.kmod, ours, base, release, confdirs)
        cases = build_cases(opts, moddir, host_ok, bnames, list(sc.keys()), confdirs)
        print(f"modprobe-diff: {len(cases)} cases, {opts.jobs} jobs", flush=True)

        with concurrent.futures.ThreadPoolExecutor(max_workers=opts.jobs) as ex:
            list(ex.map(runner.run, cases, chunksize=16))
        t_run = time.monotonic() - t0

        markers = sorted(f for f in os.listdir(tmp) if f.startswith("marker-"))

        # ----- report
        groups = collections.OrderedDict()
        for c in cases:
            groups.setdefault((c.target, c.scen, c.kind), []).append(c)
        print()
        print(f"{'target':6} {'scenario':16} {'command':34} {'compared':>8} "
              f"{'same':>6} {'differ':>6}")
        details = []
        for (target, scen, kind), cs in groups.items():
            bad = [c for c in cs if not same(c)]
            failed_total += len(bad)
            passed_total += len(cs) - len(bad)
            print(f"{target:6} {scen:16} {kind:34} {len(cs):8} {len(cs) - len(bad):6} "
                  f"{len(bad):6}")
            if bad:
                details.append(f"  [{target} {scen} {kind}] {len(bad)} differ"
                               + (f", first {opts.max_diffs}:" if len(bad) > opts.max_diffs
                                  else ":"))
                for c in bad[:opts.max_diffs]:
                    details.append(describe(c, runner))

        # coverage check of -a -D groups: kmod's group output is the
        # concatenation of its single-name outputs
        single = {}
        for c in cases:
            if c.kind == "-D module" and c.target == "tree":
                single[c.args[1]] = c.result[0]
        checked = consistent = 0
        incons = []
        for c in cases:
            if c.kind != "-a -D group" or c.target != "tree":
                continue
            if not all(n in single for n in c.names):
                continue
            checked += 1
            cat = b"".join(single[n][1] for n in c.names)
            rc = 1 if any(single[n][0] != 0 for n in c.names) else 0
            if cat == c.result[0][1] and rc == c.result[0][0]:
                consistent += 1
            else:
                incons.append(c.names[0])
        if checked:
            print(f"\ncoverage: {consistent}/{checked} kmod '-a -D' groups equal the "
                  f"concatenated single-name outputs"
                  + (f" (inconsistent groups start at {incons[:5]})" if incons else ""))
            if incons:
                failed_total += 1
        crashed = [c for c in cases if both_crashed(c)]
        if crashed:
            print(f"\nnote: {len(crashed)} case(s) where kmod was killed by a signal and "
                  f"rmodprobe exited normally (counted as passed):")
            for c in crashed[:opts.max_diffs]:
                print(describe(c, runner))
        if markers:
            failed_total += 1
            details.append(f"  install/remove commands were EXECUTED (markers: {markers})")
        if details:
            print("\ndifferences:")
            print("\n".join(details))
        print(f"\nmodprobe-diff: time {time.monotonic() - t0:.1f}s (runs {t_run:.1f}s)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"modprobe-diff: {passed_total} passed, {failed_total} failed")
    return 1 if failed_total else 0


if __name__ == "__main__":
    sys.exit(main())
