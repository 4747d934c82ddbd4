#!/usr/bin/env python3
"""Differential test: rkmod's rdepmod against kmod's depmod (kmod 30).

Every scenario runs kmod's depmod and rdepmod on the same module tree, one
after the other (the outputs of the first are moved away before the second
runs, so both see the very same directories in the same readdir order).
Compared: exit status, stdout, stderr (kmod's ``depmod:`` prefix read as
``rdepmod:``) and every ``modules.*`` file, byte for byte.  kmod 30 writes
no ``modules.weakdep``; rdepmod's is checked against kmod 34's format built
from the modules' own ``weakdep=`` strings in ``modules.dep`` order (and its
section is cut out of ``-n`` output before comparing).

Scenarios:
* the Debian trees (``trees.py``: deb61 plain ``.ko``, deb612 ``.ko.xz``),
  plain and with ``-n``, ``-v``, ``-e -E Module.symvers`` (CRCs altered,
  symbols dropped) and ``-e -F System.map``;
* ``modprobe --show-depends``: kmod's own modprobe answers, for every
  module name, builtin module, a few hundred concrete device aliases and
  symbol aliases, identically from rdepmod's ``.bin`` indexes and from
  kmod's (text files removed from both trees);
* small trees of synthetic modules (``depmod_elf.py``) and copies of real
  ones: depmod.d search orders, overrides, externals, exclusions, duplicate
  names, dependency cycles, corrupt and unreadable files, odd
  ``modules.order`` / ``modules.builtin*`` inputs, explicit module lists,
  ``-A``, ``-P``, ``-w``, bad options;
* crash safety of rdepmod alone: SIGKILL at random points of a run leaves
  every file complete (old or new) and no debris past the next run (a kill
  between naming a temporary and renaming it leaves that name, which the
  next run removes; with the cache a run is short and mostly writing, so
  kills land there often); SIGKILL while the cache is written leaves a
  tree that answers as without the cache; concurrent runs leave a
  consistent set; an unwritable directory is an error that changes nothing;
  a second run leaves unchanged files untouched (mtime, inode).

Usage: depmod_diff.py --ours target/release/rdepmod [--kmod /sbin/depmod]
       [--modprobe /sbin/modprobe] [--quick] [--only REGEX] [--keep]
Last line: ``depmod-diff: N passed, M failed``; exit status 1 when M > 0.
"""

from __future__ import annotations

import argparse
import difflib
import gzip
import hashlib
import lzma
import os
import random
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import trees  # noqa: E402
from depmod_elf import module_bytes  # noqa: E402

INPUTS = ("modules.order", "modules.builtin", "modules.builtin.modinfo")
# rdepmod's cache of what it read from each module: not an output kmod
# writes, so never compared; checked by the cached re-runs and crash tests.
CACHE = "modules.rkmod-cache"
REPLAY = "modules.rkmod-replay"  # rdepmod's replay record (crates/depmod/src/replay.rs)
WEAKDEP_HEADER = b"# Weak dependencies extracted from modules themselves.\n"
SYMBOLS_HEADER = b"# Aliases for symbols, used by symbol_request().\n"
TIMEOUT = 600


# ------------------------------------------------------------------ report

class Report:
    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0
        self.notes: list[str] = []

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        if ok:
            self.passed += 1
            print(f"  ok    {name}", flush=True)
        else:
            self.failed += 1
            print(f"  FAIL  {name}", flush=True)
            if detail:
                for line in detail.rstrip("\n").splitlines()[:60]:
                    print(f"        {line}")
        return ok


def diff_text(a: bytes, b: bytes, la="kmod", lb="ours", n=30) -> str:
    # backslashreplace: bytes that are not UTF-8 stay visible (and
    # different from U+FFFD)
    al = a.decode("utf-8", "backslashreplace").splitlines(keepends=True)
    bl = b.decode("utf-8", "backslashreplace").splitlines(keepends=True)
    out = list(difflib.unified_diff(al, bl, la, lb, n=1))
    if len(out) > n:
        out = out[:n] + [f"... ({len(out) - n} more diff lines)\n"]
    return "".join(out)


# ------------------------------------------------------------------ running

class Tools:
    def __init__(self, ours: str, kmod: str, modprobe: str) -> None:
        self.ours = ours
        self.kmod = kmod
        self.modprobe = modprobe


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, timeout=TIMEOUT, **kw)
    return r.returncode, r.stdout, r.stderr


def outputs_in(moddir: str) -> dict[str, bytes]:
    res = {}
    if not os.path.isdir(moddir):
        return res
    for name in os.listdir(moddir):
        if name.startswith("modules.") and name not in INPUTS and name not in (CACHE, REPLAY):
            p = os.path.join(moddir, name)
            if os.path.isfile(p):
                with open(p, "rb") as f:
                    res[name] = f.read()
    return res


def clear_outputs(moddir: str) -> None:
    for name in list(outputs_in(moddir)) + [CACHE, REPLAY]:
        if os.path.exists(os.path.join(moddir, name)):
            os.unlink(os.path.join(moddir, name))


def leftovers(moddir: str) -> list[str]:
    """Temporary files a writer may have left behind."""
    if not os.path.isdir(moddir):
        return []
    return sorted(n for n in os.listdir(moddir)
                  if ".rdepmod-" in n or re.match(r"^modules\..*\.\d+\.\d+\.\d+$", n))


# ------------------------------------------------------------------ modinfo

def decompress(data: bytes) -> bytes:
    if data.startswith(b"\xfd7zXZ\0"):
        return lzma.decompress(data)
    if data.startswith(b"\x28\xb5\x2f\xfd"):
        return subprocess.run(["zstd", "-dcq"], input=data, capture_output=True,
                              check=True).stdout
    if data.startswith(b"\x1f\x8b"):
        return gzip.decompress(data)
    return data


def modinfo_strings(path: str) -> list[bytes]:
    """The .modinfo strings of a module file (empty if unreadable)."""
    try:
        with open(path, "rb") as f:
            d = decompress(f.read())
    except Exception:  # noqa: BLE001
        return []
    if len(d) < 64 or d[:4] != b"\x7fELF":
        return []
    is64 = d[4] == 2
    e = ">" if d[5] == 2 else "<"
    try:
        if is64:
            shoff, = struct.unpack_from(e + "Q", d, 0x28)
            shentsize, shnum, shstrndx = struct.unpack_from(e + "HHH", d, 0x3A)
        else:
            shoff, = struct.unpack_from(e + "I", d, 0x20)
            shentsize, shnum, shstrndx = struct.unpack_from(e + "HHH", d, 0x2E)

        def sec(i):
            b = shoff + i * shentsize
            if is64:
                name, _, _, _, off, size = struct.unpack_from(e + "IIQQQQ", d, b)
            else:
                name, _, _, _, off, size = struct.unpack_from(e + "IIIIII", d, b)
            return name, off, size

        _, so, _ = sec(shstrndx)
        for i in range(1, shnum):
            name, off, size = sec(i)
            n = d[so + name:d.index(b"\0", so + name)]
            if n == b".modinfo":
                return [s for s in d[off:off + size].split(b"\0") if s]
    except (struct.error, ValueError):
        return []
    return []


_WEAKDEP_CACHE: dict = {}


def expected_weakdep(moddir: str, dep: bytes) -> bytes:
    """kmod 34's modules.weakdep for the modules of `dep`, in its order."""
    key = (moddir, hashlib.sha256(dep).hexdigest())
    if key not in _WEAKDEP_CACHE:
        _WEAKDEP_CACHE[key] = _expected_weakdep(moddir, dep)
    return _WEAKDEP_CACHE[key]


def _expected_weakdep(moddir: str, dep: bytes) -> bytes:
    out = bytearray(WEAKDEP_HEADER)
    for line in dep.splitlines():
        path = line.split(b":", 1)[0].decode()
        full = path if path.startswith("/") else os.path.join(moddir, path)
        name = re.sub(r"\..*", "", os.path.basename(path)).replace("-", "_").encode()
        for s in modinfo_strings(full):
            if s.startswith(b"weakdep="):
                out += b"weakdep " + name + b" " + s[len(b"weakdep="):] + b"\n"
    return bytes(out)


def cut_weakdep(stdout: bytes) -> tuple[bytes, bytes]:
    """Split rdepmod's -n output into (without weakdep section, the section)."""
    start = stdout.find(WEAKDEP_HEADER)
    if start < 0:
        return stdout, b""
    end = stdout.find(SYMBOLS_HEADER, start)
    if end < 0:
        end = len(stdout)
    return stdout[:start] + stdout[end:], stdout[start:end]


# ------------------------------------------------------------------ compare

def compare(rep: Report, tools: Tools, label: str, base: str, rel: str,
            args: list[str], env=None, prepare=None, setup_each=None) -> bool:
    """Run kmod then ours with `args` (BASE and REL substituted) on one
    tree; compare everything. `setup_each` runs before each of the two runs
    (to restore inputs a run may have consumed)."""
    moddir = os.path.join(base, "lib", "modules", rel)
    sub = [a.replace("BASE", base).replace("REL", rel) for a in args]
    results = {}
    for who, exe in (("kmod", tools.kmod), ("ours", tools.ours)):
        clear_outputs(moddir)
        if setup_each:
            setup_each()
        rc, out, err = run([exe] + sub, env=env)
        results[who] = (rc, out, err, outputs_in(moddir))
    # rdepmod again, now through the cache its first run left: everything
    # the same (-A answers differently once modules.dep exists).
    again = None
    if results["ours"][0] == 0 and "-A" not in sub and "--quick" not in sub:
        if setup_each:
            setup_each()
        rc, out, err = run([tools.ours] + sub, env=env)
        again = (rc, out, err, outputs_in(moddir))
    clear_outputs(moddir)
    k, o = results["kmod"], results["ours"]
    problems = []
    if again is not None and again != o:
        what = [n for i, n in enumerate(("exit status", "stdout", "stderr", "files"))
                if again[i] != o[i]]
        problems.append(f"cached re-run differs from the first run: {what}")
    if k[0] != o[0]:
        problems.append(f"exit status: kmod {k[0]}, ours {o[0]}")
    k_err = re.sub(rb"(?m)^depmod: ", b"rdepmod: ", k[2]).replace(
        tools.kmod.encode() + b": ", tools.ours.encode() + b": ")
    if k_err != o[2]:
        problems.append("stderr differs:\n" + diff_text(k_err, o[2]))
    o_out = o[1]
    if "-n" in args or "--show" in args or "--dry-run" in args:
        o_out, section = cut_weakdep(o[1])
        dep_end = k[1].find(b"# Aliases extracted")
        want = expected_weakdep(moddir, k[1][:dep_end]) if dep_end >= 0 else b""
        if section != want:
            problems.append("-n weakdep section differs:\n" + diff_text(want, section))
    if k[1] != o_out:
        problems.append("stdout differs:\n" + diff_text(k[1], o_out))
    kf, of = k[3], o[3]
    for name in sorted(set(kf) | set(of)):
        if name == "modules.weakdep" and name not in kf:
            if "modules.dep" in kf:
                want = expected_weakdep(moddir, kf["modules.dep"])
                if of[name] != want:
                    problems.append("modules.weakdep differs from kmod 34's format:\n"
                                    + diff_text(want, of[name]))
            else:
                problems.append("modules.weakdep written although kmod wrote nothing")
            continue
        if name not in of:
            problems.append(f"{name}: missing in ours")
        elif name not in kf:
            problems.append(f"{name}: written by ours only")
        elif kf[name] != of[name]:
            detail = diff_text(kf[name], of[name]) if not name.endswith(".bin") else \
                f"{len(kf[name])} vs {len(of[name])} bytes"
            problems.append(f"{name} differs:\n{detail}")
    left = leftovers(moddir)
    if left:
        problems.append(f"temporary files left: {left}")
    return rep.check(label, not problems, "\n".join(problems))


# ------------------------------------------------------------------ trees

def link_base(root: str, name: str, src_moddir: str, rel: str) -> str:
    """A writable base whose module directory links to the cached modules."""
    base = os.path.join(root, name)
    moddir = os.path.join(base, "lib", "modules", rel)
    os.makedirs(moddir)
    os.symlink(os.path.join(src_moddir, "kernel"), os.path.join(moddir, "kernel"))
    for f in INPUTS:
        if os.path.exists(os.path.join(src_moddir, f)):
            shutil.copy(os.path.join(src_moddir, f), moddir)
    return base


def altered_symvers(src: str, dst: str) -> None:
    """Module.symvers with every 50th CRC changed and every 97th line gone."""
    with open(src, "rb") as f:
        lines = f.read().splitlines(keepends=True)
    out = []
    for i, line in enumerate(lines):
        if i % 97 == 5:
            continue
        if i % 50 == 3 and line.startswith(b"0x"):
            line = b"0xdeadbeef" + line[10:]
        out.append(line)
    with open(dst, "wb") as f:
        f.writelines(out)


def big_tree(rep: Report, tools: Tools, work: str, tree: str, info: dict, quick: bool) -> None:
    rel = info["release"]
    base = link_base(work, tree, info["moddir"], rel)
    print(f"{tree} ({rel}):", flush=True)
    compare(rep, tools, f"{tree}: depmod -b BASE REL", base, rel, ["-b", "BASE", "REL"])
    compare(rep, tools, f"{tree}: -n", base, rel, ["-n", "-b", "BASE", "REL"])
    if tree == "deb61":
        compare(rep, tools, f"{tree}: -v", base, rel, ["-v", "-b", "BASE", "REL"])
    symvers = f"/usr/src/linux-headers-{rel}/Module.symvers"
    if os.path.exists(symvers):
        alt = os.path.join(work, f"{tree}.symvers")
        altered_symvers(symvers, alt)
        compare(rep, tools, f"{tree}: -e -E Module.symvers (altered)", base, rel,
                ["-e", "-E", alt, "-b", "BASE", "REL"])
    sysmap = f"/boot/System.map-{rel}"
    if os.path.exists(sysmap):
        compare(rep, tools, f"{tree}: -e -F System.map", base, rel,
                ["-e", "-F", sysmap, "-b", "BASE", "REL"])
    modprobe_check(rep, tools, work, tree, base, rel, quick)


# ------------------------------------------------------------------ modprobe

def concrete(alias: str) -> str:
    """A string the alias pattern matches: '*' matches nothing, '?' and a
    bracket expression their first possibility."""
    out, i = [], 0
    while i < len(alias):
        c = alias[i]
        if c == "*":
            pass
        elif c == "?":
            out.append("X")
        elif c == "[":
            j = alias.find("]", i)
            if j < 0:
                return ""
            body = alias[i + 1:j]
            out.append(body[0] if body and body[0] not in "!^" else "Z")
            i = j
        else:
            out.append(c)
        i += 1
    return "".join(out)


def modprobe_names(moddir: str, quick: bool) -> tuple[list[str], list[str]]:
    with open(os.path.join(moddir, "modules.dep"), "rb") as f:
        names = [re.sub(r"\..*", "", os.path.basename(line.split(b":")[0].decode()))
                 for line in f.read().splitlines()]
    builtin = []
    if os.path.exists(os.path.join(moddir, "modules.builtin")):
        with open(os.path.join(moddir, "modules.builtin")) as f:
            builtin = [re.sub(r"\..*", "", os.path.basename(line.strip())) for line in f]
    names = names + builtin
    aliases = []
    with open(os.path.join(moddir, "modules.alias"), "rb") as f:
        pats = [line.split(b" ")[1].decode("utf-8", "replace")
                for line in f.read().splitlines()[1:]]
    step = max(1, len(pats) // (120 if quick else 400))
    aliases += [concrete(p) for p in pats[::step]]
    with open(os.path.join(moddir, "modules.symbols"), "rb") as f:
        syms = [line.split(b" ")[1].decode() for line in f.read().splitlines()[1:]]
    aliases += syms[::max(1, len(syms) // 60)]
    if os.path.exists(os.path.join(moddir, "modules.builtin.modinfo")):
        with open(os.path.join(moddir, "modules.builtin.modinfo"), "rb") as f:
            recs = [r.decode("utf-8", "replace") for r in f.read().split(b"\0")]
        balias = [r.split("=", 1)[1] for r in recs if ".alias=" in r.split("=", 1)[0]]
        aliases += [concrete(a) for a in balias[::max(1, len(balias) // 40)]]
    aliases = [a for a in aliases if a and not a.startswith("-")]
    if quick:
        names = names[::5]
    return names, aliases


def show_depends(tools: Tools, base: str, rel: str, names: list[str]) -> bytes:
    out = bytearray()
    for i in range(0, len(names), 400):
        rc, o, e = run([tools.modprobe, "-d", base, "-S", rel, "--show-depends", "-a"]
                       + names[i:i + 400])
        out += o + e + f"[exit {rc}]\n".encode()
    return bytes(out).replace(base.encode(), b"BASE")


def modprobe_check(rep: Report, tools: Tools, work: str, tree: str, base: str, rel: str,
                   quick: bool) -> None:
    moddir = os.path.join(base, "lib", "modules", rel)
    sets = {}
    for who, exe in (("kmod", tools.kmod), ("ours", tools.ours)):
        clear_outputs(moddir)
        rc, _, err = run([exe, "-b", base, rel])
        if rc != 0:
            rep.check(f"{tree}: modprobe check setup ({who})", False, err.decode())
            return
        if who == "kmod":
            names, aliases = modprobe_names(moddir, quick)
        for name in list(outputs_in(moddir)):
            if not name.endswith(".bin"):
                os.unlink(os.path.join(moddir, name))
        sets[who] = (show_depends(tools, base, rel, names),
                     show_depends(tools, base, rel, aliases))
    clear_outputs(moddir)
    k, o = sets["kmod"], sets["ours"]
    rep.check(f"{tree}: modprobe --show-depends, {len(names)} module names, .bin only",
              k[0] == o[0], diff_text(k[0], o[0]))
    rep.check(f"{tree}: modprobe --show-depends, {len(aliases)} aliases, .bin only",
              k[1] == o[1], diff_text(k[1], o[1]))


# ------------------------------------------------------------------ small trees

REL = "6.1.0-rkmodtest"


class Small:
    """A small tree under `root`: files are added, then scenarios run."""

    def __init__(self, root: str, name: str) -> None:
        self.base = os.path.join(root, name)
        self.moddir = os.path.join(self.base, "lib", "modules", REL)
        os.makedirs(self.moddir)
        self.cfg = os.path.join(root, name + ".d")
        os.makedirs(self.cfg)

    def mod(self, rel: str, *a, compress=None, **kw) -> str:
        data = module_bytes(*a, **kw)
        if compress == "xz":
            data = lzma.compress(data, check=lzma.CHECK_CRC32)
        elif compress == "gz":
            data = gzip.compress(data)
        return self.raw(rel, data)

    def raw(self, rel: str, data: bytes) -> str:
        p = os.path.join(self.moddir, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data)
        return p

    def text(self, rel: str, content: str | bytes) -> str:
        return self.raw(rel, content.encode() if isinstance(content, str) else content)

    def conf(self, name: str, content: str) -> None:
        with open(os.path.join(self.cfg, name), "w") as f:
            f.write(content)


def small_trees(rep: Report, tools: Tools, work: str) -> None:
    root = os.path.join(work, "small")
    os.makedirs(root)
    real = trees.cache_root() + "/deb61"
    real_mods = []
    for d, _, fs in os.walk(real):
        real_mods += [os.path.join(d, f) for f in fs if f.endswith(".ko")]
    real_mods.sort()

    def cmp(t: Small, label: str, extra=(), tail=(), **kw):
        args = ["-b", "BASE"] + list(extra) + ["REL"] + list(tail)
        return compare(rep, tools, f"small: {label}", t.base, REL, args, **kw)

    print("small trees:", flush=True)

    # --- depmod.d: search order, override, external, exclude
    t = Small(root, "search")
    for d in ("kernel/drivers", "updates", "extra", "updates/dkms", "kernel/sub", "debug"):
        t.mod(f"{d}/foo.ko", [f"alias=foo-from-{d}"], [f"foo_{d.replace('/', '_')}"], [])
        t.mod(f"{d}/bar-{d.count('/')}.ko", [f"alias=bar-from-{d}"], [], ["foo_extra"])
    ext = os.path.join(root, "external-mods")
    os.makedirs(ext)
    with open(os.path.join(ext, "foo.ko"), "wb") as f:
        f.write(module_bytes(["alias=foo-from-external"], ["foo_ext"], []))
    t.text("modules.order", "kernel/drivers/foo.ko\nkernel/drivers/bar-1.ko\n")
    configs = {
        "no config (updates first)": [],
        "search extra updates built-in": ["search extra updates built-in\n"],
        "search built-in extra": ["search built-in extra\n"],
        "two search lines": ["search updates\n", "search extra\n"],
        "search with external": [f"search external updates built-in\nexternal * {ext}\n"],
        "external without search entry": [f"external 6.1.* {ext}\n"],
        "external not matching kernel": [f"search external built-in\nexternal ^5 {ext}\n"],
        "override": ["override foo * kernel/sub\n"],
        "override regex kernel": ["search updates\noverride foo 6\\.1\\..* debug\n"],
        "override other kernel": ["override foo 5.* debug\n"],
        "two overrides": ["override foo * kernel/sub\noverride foo * extra\n"],
        "exclude": ["exclude debug updates\n"],
        "missing external dir": [f"search external built-in\nexternal * {ext}-missing\n"],
        "bad lines": ["bogus line\noverride foo\nexternal 6\n  # indented\ninclude x\n"
                      "search updates \\\n extra\n"],
    }
    for label, files in configs.items():
        for f in os.listdir(t.cfg):
            os.unlink(os.path.join(t.cfg, f))
        for i, content in enumerate(files):
            t.conf(f"{i:02d}-test.conf", content)
        cmp(t, f"depmod.d: {label}", ["-C", t.cfg])
    t.conf("not-conf.txt", "search extra\n")
    os.makedirs(os.path.join(t.cfg, "sub.conf"), exist_ok=True)
    cmp(t, "depmod.d: odd files in the config dir", ["-C", t.cfg])
    single = os.path.join(root, "single.conf")
    with open(single, "w") as f:
        f.write("search extra built-in\n")
    cmp(t, "depmod.d: -C FILE and -C DIR", ["-C", single, "-C", t.cfg])
    cmp(t, "depmod.d: -C missing", ["-C", os.path.join(root, "nope")])

    # --- duplicate names in one directory and across directories
    t = Small(root, "dups")
    t.mod("kernel/a-b.ko", ["alias=first"], ["x1"], [])
    t.mod("kernel/a_b.ko", ["alias=second"], ["x2"], [])
    t.mod("kernel/z/a-b.ko.xz", ["alias=third"], ["x3"], [], compress="xz")
    t.mod("updates/c.ko", ["alias=c-upd"], [], ["x1"])
    t.mod("updates/c.ko.xz", ["alias=c-upd-xz"], [], ["x2"], compress="xz")
    t.mod("kernel/c.ko", ["alias=c-kern"], [], [])
    t.mod("kernel/dup-alias.ko", ["alias=same", "alias=same", "alias=x[0-9]-y"], ["x1"], [])
    t.mod("kernel/dup-sym.ko", [], ["x1", "x1"], [])
    t.text("modules.order", "kernel/c.ko\nkernel/a-b.ko\nkernel/c.ko\nkernel/none.ko\n")
    cmp(t, "duplicate module names", ["-C", t.cfg])
    cmp(t, "duplicates with -w", ["-w", "-C", t.cfg])

    # --- cycles
    t = Small(root, "cycles")
    t.mod("kernel/a.ko", [], ["sa"], ["sb"])
    t.mod("kernel/b.ko", [], ["sb"], ["sa", "se"])
    t.mod("kernel/c.ko", [], ["sc"], ["sd"])
    t.mod("kernel/d.ko", [], ["sd"], ["sf"])
    t.mod("kernel/f.ko", [], ["sf"], ["sc"])
    t.mod("kernel/e.ko", [], ["se"], [])
    t.mod("kernel/user.ko", [], [], ["sa", "sc"])
    t.mod("kernel/selfish.ko", [], ["own"], ["own"])
    cmp(t, "dependency cycles", ["-C", t.cfg])
    t2 = Small(root, "cycle-order")
    t2.mod("kernel/m1.ko", [], ["s1"], ["s2"])
    t2.mod("kernel/m2.ko", [], ["s2"], ["s3"])
    t2.mod("kernel/m3.ko", [], ["s3"], ["s1", "sm"])
    t2.mod("kernel/down.ko", [], ["sd"], [])
    t2.mod("kernel/mid.ko", [], ["sm"], ["sd"])
    t2.mod("kernel/m0.ko", [], [], ["s1", "sm"])
    t2.text("modules.order", "kernel/m3.ko\nkernel/m2.ko\nkernel/m1.ko\n")
    cmp(t2, "cycle through modules.order", ["-C", t2.cfg])

    # --- dependency ordering, aliases, devnames, soft/weak deps, 32-bit BE
    t = Small(root, "content")
    t.mod("kernel/base.ko", ["alias=base-alias", "softdep=pre: helper post: other",
                             "weakdep=helper", "weakdep=other"], ["b1", "b2"], [])
    t.mod("kernel/mid1.ko", ["alias=char-major-10-229", "alias=devname:fuse",
                             "alias=fs-fuse"], ["m1"], ["b1"])
    t.mod("kernel/mid2.ko", ["alias=devname:only-name", "alias=pci:v*d[0-9]*"], ["m2"],
          ["b2", "b1"])
    t.mod("kernel/top.ko", ["alias=block-major-8-*", "alias=block-major-259-3",
                            "alias=devname:blk", "alias=unmatched[bracket",
                            "alias=bad]bracket", "alias=under_score-dash"],
          ["t1"], ["m1", "m2", "unknown_sym", "weak_unknown"], weak=["weak_unknown"])
    t.mod("kernel/be32.ko", ["alias=be32", "weakdep=base"], ["be"], ["t1", "b1"],
          bits=32, big_endian=True)
    t.mod("kernel/crc.ko", ["alias=crc"], [], ["b1", "m1"], crcs={"crc_a": 0x1234, "crc_b": 7},
          need_crcs={"b1": 0x1111, "m1": 0x2222, "module_layout": 0x33})
    t.mod("kernel/empty-modinfo.ko", [], [], [])
    t.text("modules.builtin", "kernel/fs/ext4/ext4.ko\n1bad-line\nkernel/no-ext\n"
           "kernel/crypto/crc32c.ko\n")
    t.text("modules.builtin.modinfo",
           b"ext4.alias=fs-ext4\0ext4.license=GPL\0crc32c.alias=crypto-crc32c\0"
           b"x.alias=un[matched\0y.alias=\0novalue\0z.alias=tail-without-nul")
    cmp(t, "content: deps, aliases, devname, softdep, weakdep, ELF32 BE, CRCs", ["-C", t.cfg])
    cmp(t, "content: -n", ["-n", "-C", t.cfg])
    cmp(t, "content: -v", ["-v", "-C", t.cfg])
    cmp(t, "content: -w", ["-w", "-C", t.cfg])
    symvers = os.path.join(root, "content.symvers")
    with open(symvers, "w") as f:
        f.write("0x00001111\tb1\tvmlinux\tEXPORT_SYMBOL\t\n"
                "0x00000033\tmodule_layout\tvmlinux\tEXPORT_SYMBOL\t\n"
                "0x12\tshort\tvmlinux\n0xzz\tbadcrc\tvmlinux\tEXPORT_SYMBOL\n"
                "0x00000001\tm1\tdrivers/x\tEXPORT_SYMBOL_GPL\t\n")
    cmp(t, "content: -e -E symvers", ["-e", "-E", symvers, "-C", t.cfg])
    sysmap = os.path.join(root, "content.map")
    with open(sysmap, "w") as f:
        f.write("ffffffff81000000 T _stext\nffffffff82000000 r __ksymtab_unknown_sym\n"
                "broken-line\nffffffff82000010 r __ksymtab_gpl_x\n")
    cmp(t, "content: -e -F System.map", ["-e", "-F", sysmap, "-C", t.cfg])
    cmp(t, "content: -e without -E/-F", ["-e", "-C", t.cfg])
    t3 = Small(root, "prefix")
    t3.mod("kernel/p1.ko", [], ["_psym"], ["_other"])
    t3.mod("kernel/p2.ko", [], ["_other"], [".psym"])
    cmp(t3, "-P _ symbol prefix", ["-P", "_", "-C", t3.cfg])
    cmp(t3, "-P with two chars", ["-P", "ab", "-C", t3.cfg])

    # --- corrupt and unreadable files
    t = Small(root, "corrupt")
    t.raw("kernel/empty.ko", b"")
    t.raw("kernel/short.ko", b"\x7fEL")
    t.raw("kernel/garbage.ko", bytes(random.Random(7).randrange(256) for _ in range(300)))
    if real_mods:
        with open(real_mods[0], "rb") as f:
            data = f.read()
        t.raw("kernel/trunc.ko", data[:3000])
        t.raw("kernel/trunc-xz.ko.xz", lzma.compress(data)[:2000])
        t.raw("kernel/good.ko", data)
    t.raw("kernel/bad.ko.xz", b"\xfd7zXZ\0garbage-after-magic")
    t.raw("kernel/bad.ko.gz", b"\x1f\x8b\x08garbage")
    t.mod("kernel/ok.ko", ["alias=ok"], [], [])
    os.makedirs(os.path.join(t.moddir, "kernel", "dir.ko"))
    os.symlink("/nonexistent/rkmod", os.path.join(t.moddir, "kernel", "dangling.ko"))
    os.mkfifo(os.path.join(t.moddir, "kernel", "fifo.ko"))
    os.makedirs(os.path.join(t.moddir, "kernel", "build"))
    t.mod("kernel/build/hidden.ko", [], [], [])
    t.mod("source/hidden2.ko", [], [], [])
    t.text("modules.order", "kernel/ok.ko\nkernel/empty.ko")
    cmp(t, "corrupt files, dangling link, fifo, corrupt modules.order", ["-C", t.cfg])

    t = Small(root, "corrupt-zstd")
    t.raw("kernel/truncated.ko.zst", b"\x28\xb5\x2f\xfd" + b"\0" * 20)
    t.mod("kernel/ok.ko", ["alias=ok"], [], [])
    cmp(t, "truncated .ko.zst (modfile: kmod keeps what decompressed)", ["-C", t.cfg])

    # --- needed symbol names that are not UTF-8 (a corrupted module): kmod
    # prints them raw in its -e diagnostics. (Only needed names: an
    # exported name or a module path with a byte >= 0x80 would be an index
    # key, which modindex refuses.)
    t = Small(root, "not-utf8")
    bad = "bad\udcff\udcfename"          # b"bad\xff\xfename"
    t.mod("kernel/user.ko", [], [], [bad, "half\udce9", "kfunc", "good"],
          need_crcs={"kfunc": 0x1111, bad: 0x22})
    t.mod("kernel/prov.ko", [], ["good"], ["caf\udce9_sym", "\udcc3\udca9t\udce9"])
    sysmap = os.path.join(root, "not-utf8.map")
    with open(sysmap, "w") as f:
        f.write("ffffffff82000000 r __ksymtab_kfunc\n")
    cmp(t, "not UTF-8: -e -F System.map (unknown symbols)", ["-e", "-F", sysmap, "-C", t.cfg])
    symvers = os.path.join(root, "not-utf8.symvers")
    with open(symvers, "wb") as f:
        f.write(b"0x00002222\tkfunc\tvmlinux\tEXPORT_SYMBOL\t\n"
                b"0x00000023\tbad\xff\xfename\tvmlinux\tEXPORT_SYMBOL\t\n")
    cmp(t, "not UTF-8: -e -E symvers (unknown, disagreeing CRCs)",
        ["-e", "-E", symvers, "-C", t.cfg])
    cmp(t, "not UTF-8: -n", ["-n", "-C", t.cfg])

    gz_scenario(rep, tools, root)

    # --- explicit module lists and command-line errors
    t = Small(root, "explicit")
    a = t.mod("kernel/a.ko", ["alias=a"], ["sa"], [])
    b = t.mod("kernel/b.ko", ["alias=b"], [], ["sa"])
    outside = os.path.join(root, "outside-c.ko")
    with open(outside, "wb") as f:
        f.write(module_bytes(["alias=c"], [], ["sa"]))
    t.text("modules.order", "kernel/b.ko\n")
    cmp(t, "explicit module list", tail=[a, b, outside])
    cmp(t, "explicit list with -a (all wins)", ["-a", "-C", t.cfg], tail=[a])
    cmp(t, "explicit: relative path", tail=["kernel/a.ko"])
    cmp(t, "explicit: missing file", tail=[a, os.path.join(root, "missing.ko")])
    cmp(t, "explicit: same path twice", tail=[a, a])
    dup = os.path.join(root, "a.ko")
    shutil.copy(a, dup)
    cmp(t, "explicit: same name twice", tail=[a, dup])
    compare(rep, tools, "errors: bad version", t.base, REL, ["-b", "BASE", "not-a-version"])
    compare(rep, tools, "errors: missing module dir", t.base, REL, ["-b", "BASE", "9.9.9"])
    compare(rep, tools, "errors: -E missing file", t.base, REL,
            ["-b", "BASE", "-E", "/nonexistent/Module.symvers", "REL"])
    compare(rep, tools, "errors: deprecated options", t.base, REL,
            ["-u", "-q", "--root", "-b", "BASE", "-C", t.cfg, "REL"])
    for bad in (["-z"], ["-az"], ["--bogus=1"], ["-b"], ["--basedir"], ["-P"]):
        compare(rep, tools, f"errors: usage {' '.join(bad)}", t.base, REL, bad)
    compare(rep, tools, "--all --basedir=BASE (long options)", t.base, REL,
            ["--all", "--basedir=BASE", "--config=" + t.cfg, "REL"])

    # --- -A: up to date or not
    t = Small(root, "quick")
    t.mod("kernel/q.ko", ["alias=q"], [], [])
    dep = os.path.join(t.moddir, "modules.dep")

    def old_dep():
        with open(dep, "w") as f:
            f.write("stale\n")
        os.utime(dep, (time.time() + 100, time.time() + 100))

    cmp(t, "-A with modules.dep up to date", ["-A", "-C", t.cfg], setup_each=old_dep)

    def stale_dep():
        with open(dep, "w") as f:
            f.write("stale\n")
        os.utime(dep, (1000, 1000))

    cmp(t, "-A with a newer module", ["-A", "-C", t.cfg], setup_each=stale_dep)
    cmp(t, "-A without modules.dep", ["-A", "-C", t.cfg])
    cmp(t, "-A -n", ["-A", "-n", "-C", t.cfg])

    # --- missing inputs
    t = Small(root, "noinputs")
    t.mod("kernel/x.ko", ["alias=x"], [], [])
    cmp(t, "no modules.order / modules.builtin*", ["-C", t.cfg])

    relocated_outputs(rep, tools, root)


def relocated_outputs(rep: Report, tools: Tools, root: str) -> None:
    """kmod 34's -o (output root) and -m (module directory). kmod 30 has
    neither, so ours with the option is held against kmod 30's in-place
    output for the same tree (modules.weakdep, which kmod 30 does not write,
    aside)."""
    t = Small(root, "relocated")
    t.mod("kernel/a.ko", ["alias=a"], ["sa"], [])
    t.mod("kernel/b.ko", ["alias=b"], [], ["sa"])
    t.text("modules.order", "kernel/b.ko\nkernel/a.ko\n")

    def files(moddir: str) -> dict[str, bytes]:
        return {k: v for k, v in outputs_in(moddir).items() if k != "modules.weakdep"}

    clear_outputs(t.moddir)
    rc, _, err = run([tools.kmod, "-b", t.base, "-C", t.cfg, REL])
    want = files(t.moddir)
    clear_outputs(t.moddir)
    ok = rc == 0 and "modules.dep" in want
    rep.check("kmod 34 options: reference run", ok, err.decode())

    out = os.path.join(root, "relocated-out")
    rc, _, err = run([tools.ours, "-b", t.base, "-o", out, "-C", t.cfg, REL])
    got = outputs_in(os.path.join(out, "lib", "modules", REL))
    ok = rc == 0 and files(os.path.join(out, "lib", "modules", REL)) == want
    ok = ok and "modules.weakdep" in got and not outputs_in(t.moddir)
    rep.check("kmod 34 options: -o OUT writes kmod's files under OUT, none in the tree",
              ok, err.decode() + f"\nkmod: {sorted(want)}\nours: {sorted(got)}")

    usr = os.path.join(t.base, "usr", "lib", "modules", REL)
    os.makedirs(os.path.dirname(usr))
    shutil.move(t.moddir, usr)
    rc, _, err = run([tools.ours, "-b", t.base, "-m", "/usr/lib/modules", "-C", t.cfg, REL])
    ok = rc == 0 and files(usr) == want
    rep.check("kmod 34 options: -m /usr/lib/modules reads and writes there", ok,
              err.decode() + f"\nkmod: {sorted(want)}\nours: {sorted(files(usr))}")


def gz_scenario(rep: Report, tools: Tools, root: str) -> None:
    """Debian's kmod 30 is built without zlib and skips .ko.gz files; kmod
    with zlib reads them like any other. Expected: kmod's answer for the
    same tree with the .ko.gz modules stored plain, paths put back."""
    made = {}
    for variant in ("plain", "gz"):
        t = Small(root, f"gz-{variant}")
        t.mod("kernel/base.ko", ["alias=base"], ["b1"], [])
        ext = ".ko.gz" if variant == "gz" else ".ko"
        comp = "gz" if variant == "gz" else None
        t.mod(f"kernel/zz/gzmod{ext}", ["alias=gzip-me", "softdep=pre: base"], ["g1"], ["b1"],
              compress=comp)
        t.mod(f"kernel/user{ext}", ["alias=user"], [], ["g1"], compress=comp)
        t.text("modules.order", "kernel/zz/gzmod.ko\nkernel/base.ko\n")
        made[variant] = t
    kmod_t, ours_t = made["plain"], made["gz"]
    rc_k, _, err_k = run([tools.kmod, "-b", kmod_t.base, "-C", kmod_t.cfg, REL])
    rc_o, _, err_o = run([tools.ours, "-b", ours_t.base, "-C", ours_t.cfg, REL])
    kf, of = outputs_in(kmod_t.moddir), outputs_in(ours_t.moddir)
    problems = []
    if rc_k != rc_o:
        problems.append(f"exit {rc_k} vs {rc_o}")
    err_k = re.sub(rb"(?m)^depmod: ", b"rdepmod: ", err_k).replace(
        kmod_t.base.encode(), ours_t.base.encode())
    if err_k != err_o:
        problems.append(diff_text(err_k, err_o))
    gz_paths = [(b"gzmod.ko", b"gzmod.ko.gz"), (b"user.ko", b"user.ko.gz")]
    for name, data in kf.items():
        if name == "modules.dep.bin":
            continue  # holds the paths; checked through modprobe below
        want = data
        if name == "modules.dep":
            for a, b in gz_paths:
                want = want.replace(a, b)
        if of.get(name) != want:
            problems.append(f"{name}:\n" + diff_text(want, of.get(name, b"")))
    names = ["base", "gzmod", "user", "gzip-me"]
    k_sd = show_depends(tools, kmod_t.base, REL, names)
    o_sd = show_depends(tools, ours_t.base, REL, names)
    for a, b in gz_paths:
        k_sd = k_sd.replace(a, b)
    if k_sd != o_sd:
        problems.append("modprobe --show-depends:\n" + diff_text(k_sd, o_sd))
    rep.check("small: .ko.gz read as kmod with zlib would", not problems, "\n".join(problems))


# ------------------------------------------------------------------ crash safety

def debris_check(moddir: str, pid: int, full_run) -> str:
    """What a killed run left: only the hidden name of a temporary it was
    renaming (write.rs: the window between naming and renaming), and the
    next run removes it. Returns a problem, or ""."""
    left = leftovers(moddir)
    if not left:
        return ""
    own = re.compile(rf"^\.[^/]+\.rdepmod-{pid}-\d+$")
    if not all(own.match(n) for n in left):
        return f"debris {left}"
    full_run()
    return f"debris {leftovers(moddir)} after the next run" if leftovers(moddir) else ""


def snapshot(moddir: str) -> dict[str, str]:
    return {n: hashlib.sha256(d).hexdigest() for n, d in outputs_in(moddir).items()}


def crash_safety(rep: Report, tools: Tools, work: str, info: dict, quick: bool) -> None:
    print("crash safety (rdepmod only):", flush=True)
    # The plain tree: a run takes a fraction of a second, so many kills fit.
    tree = info.get("deb61") or info.get("deb612")
    if not tree:
        rep.check("crash safety: a Debian tree", False, "no tree prepared")
        return
    rel = tree["release"]
    base = link_base(work, "crash", tree["moddir"], rel)
    moddir = os.path.join(base, "lib", "modules", rel)
    extra = os.path.join(moddir, "extra")

    def full_run():
        rc, _, err = run([tools.ours, "-b", base, rel])
        return rc, err

    rc, err = full_run()
    if not rep.check("crash: first complete run", rc == 0, err.decode()):
        return
    old = snapshot(moddir)
    os.makedirs(extra)
    with open(os.path.join(extra, "rkmod-crash-test.ko"), "wb") as f:
        f.write(module_bytes(["alias=rkmod-crash"], ["rkmod_crash_sym"], []))
    rc, err = full_run()
    new = snapshot(moddir)
    rep.check("crash: second complete run (one module more)", rc == 0 and new != old,
              err.decode())

    kills = 8 if quick else 20
    t0 = time.monotonic()
    full_run()
    duration = time.monotonic() - t0
    rng = random.Random(12345)
    bad = []
    for i in range(kills):
        # start from the old state each time: remove the extra module's effect
        shutil.rmtree(extra)
        full_run()
        os.makedirs(extra)
        with open(os.path.join(extra, "rkmod-crash-test.ko"), "wb") as f:
            f.write(module_bytes(["alias=rkmod-crash"], ["rkmod_crash_sym"], []))
        delay = rng.uniform(0.0, duration * 1.1)
        p = subprocess.Popen([tools.ours, "-b", base, rel], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        time.sleep(delay)
        p.send_signal(signal.SIGKILL)
        p.wait()
        now = snapshot(moddir)
        for name, h in now.items():
            if h != old.get(name) and h != new.get(name):
                bad.append(f"kill {i} at {delay:.2f}s: {name} is neither old nor new")
        missing = set(old) - set(now)
        if missing:
            bad.append(f"kill {i} at {delay:.2f}s: files missing: {sorted(missing)}")
        problem = debris_check(moddir, p.pid, full_run)
        if problem:
            bad.append(f"kill {i} at {delay:.2f}s: {problem}")
    # and right as the first file is replaced, while the others are
    for i in range(3 if quick else 6):
        shutil.rmtree(extra)
        full_run()
        os.makedirs(extra)
        with open(os.path.join(extra, "rkmod-crash-test.ko"), "wb") as f:
            f.write(module_bytes(["alias=rkmod-crash"], ["rkmod_crash_sym"], []))
        dep = os.path.join(moddir, "modules.dep")
        first = os.stat(dep)
        p = subprocess.Popen([tools.ours, "-b", base, rel], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        while p.poll() is None:
            st = os.stat(dep)
            if (st.st_ino, st.st_mtime_ns) != (first.st_ino, first.st_mtime_ns):
                p.send_signal(signal.SIGKILL)
                break
        p.wait()
        now = snapshot(moddir)
        for name, h in now.items():
            if h != old.get(name) and h != new.get(name):
                bad.append(f"write-phase kill {i}: {name} is neither old nor new")
        problem = debris_check(moddir, p.pid, full_run)
        if problem:
            bad.append(f"write-phase kill {i}: {problem}")
    rep.check(f"crash: SIGKILLs at random points and in the write phase leave complete "
              f"files, no debris past the next run", not bad, "\n".join(bad))

    # and while the cache is written, after the outputs: whatever is left,
    # a run through it answers exactly as a run without it.
    bad = []
    landed = 0
    no_cache = dict(os.environ, RKMOD_DEPMOD_CACHE="0")
    cache = os.path.join(moddir, CACHE)
    rounds = 4 if quick else 10
    for i in range(rounds):
        shutil.rmtree(extra)
        full_run()
        os.makedirs(extra)
        with open(os.path.join(extra, "rkmod-crash-test.ko"), "wb") as f:
            f.write(module_bytes(["alias=rkmod-crash"], ["rkmod_crash_sym"], []))
        dep = os.path.join(moddir, "modules.dep")
        first = os.stat(dep)
        cache_before = os.stat(cache) if os.path.exists(cache) else None
        p = subprocess.Popen([tools.ours, "-b", base, rel], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        while p.poll() is None:
            st = os.stat(dep)
            if (st.st_ino, st.st_mtime_ns) != (first.st_ino, first.st_mtime_ns):
                time.sleep(rng.uniform(0.0, 0.03))
                p.send_signal(signal.SIGKILL)
                break
        p.wait()
        cache_now = os.stat(cache) if os.path.exists(cache) else None
        if cache_before and cache_now and cache_before.st_ino == cache_now.st_ino:
            landed += 1  # killed before the new cache was in place
        now = snapshot(moddir)
        for name, h in now.items():
            if h != old.get(name) and h != new.get(name):
                bad.append(f"cache-phase kill {i}: {name} is neither old nor new")
        if os.path.exists(cache):
            with open(cache, "rb") as f:
                data = f.read()
            if not (data.endswith(b"END\n") and len(data) >= 8 and
                    zlib.crc32(data[:-8]) == struct.unpack("<I", data[-8:-4])[0]):
                bad.append(f"cache-phase kill {i}: the cache is not a complete file")
        r1 = run([tools.ours, "-n", "-b", base, rel])
        r2 = run([tools.ours, "-n", "-b", base, rel], env=no_cache)
        if r1 != r2 or r1[0] != 0:
            bad.append(f"cache-phase kill {i}: -n through the cache differs from -n without")
        rc, err = full_run()
        if rc != 0 or snapshot(moddir) != new:
            bad.append(f"cache-phase kill {i}: the next run does not give the new files")
        # A kill between naming the cache's temporary and renaming it may
        # leave the hidden name; the next run removes it.
        if leftovers(moddir):
            bad.append(f"cache-phase kill {i}: debris after the next run {leftovers(moddir)}")
    rep.check(f"crash: SIGKILLs while the cache is written ({landed} of {rounds} before "
              f"it was replaced) leave a usable tree", not bad, "\n".join(bad))

    # concurrent runs
    procs = [subprocess.Popen([tools.ours, "-b", base, rel], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE) for _ in range(3)]
    errs = [p.communicate()[1] for p in procs]
    rcs = [p.returncode for p in procs]
    rep.check("crash: 3 concurrent runs succeed and leave the complete set",
              rcs == [0, 0, 0] and snapshot(moddir) == new and not leftovers(moddir),
              f"exit {rcs}\n" + b"".join(errs).decode())

    # unchanged files stay untouched
    before = {n: os.stat(os.path.join(moddir, n)) for n in outputs_in(moddir)}
    time.sleep(0.05)
    rc, err = full_run()
    after = {n: os.stat(os.path.join(moddir, n)) for n in outputs_in(moddir)}
    same = all((before[n].st_ino, before[n].st_mtime_ns) == (after[n].st_ino, after[n].st_mtime_ns)
               for n in before)
    rep.check("unchanged files keep inode and mtime", rc == 0 and same and before.keys() == after.keys(),
              err.decode())

    # unwritable directory: run as nobody
    setpriv = shutil.which("setpriv")
    if setpriv and os.geteuid() == 0:
        os.chmod(work, 0o755)
        for d in (os.path.dirname(os.path.dirname(os.path.dirname(moddir))),):
            os.chmod(d, 0o755)
        with open(os.path.join(extra, "rkmod-crash-test.ko"), "wb") as f:
            f.write(module_bytes(["alias=rkmod-crash-2"], ["rkmod_crash_sym"], []))
        snap = snapshot(moddir)
        r = subprocess.run([setpriv, "--reuid=65534", "--regid=65534", "--clear-groups",
                            tools.ours, "-b", base, rel], capture_output=True, timeout=TIMEOUT)
        msg = r.stderr.decode()
        rep.check("unwritable directory: clear error, exit 1, nothing changed",
                  r.returncode == 1 and "could not write" in msg and moddir in msg
                  and snapshot(moddir) == snap and not leftovers(moddir),
                  f"exit {r.returncode}\n{msg}")
    else:
        rep.check("unwritable directory (needs root and setpriv)", False, "skipped")


# ------------------------------------------------------------------ main

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ours", required=True, help="rdepmod binary to test")
    ap.add_argument("--kmod", default="/sbin/depmod")
    ap.add_argument("--modprobe", default="/sbin/modprobe")
    ap.add_argument("--quick", action="store_true", help="fewer variants and samples")
    ap.add_argument("--only", default="", help="only parts matching: big, small, crash")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    opts = ap.parse_args(argv)
    t0 = time.monotonic()
    ours = os.path.abspath(opts.ours)
    rep = Report()
    for tool in (ours, opts.kmod, opts.modprobe):
        if not (os.path.isfile(tool) and os.access(tool, os.X_OK)):
            print(f"depmod-diff: cannot execute {tool}")
            print("depmod-diff: 0 passed, 1 failed")
            return 1
    tools = Tools(ours, opts.kmod, opts.modprobe)
    work = tempfile.mkdtemp(prefix="rkmod-depmod-diff-", dir="/var/tmp")
    os.chmod(work, 0o755)
    try:
        errors: dict = {}
        info = trees.prepare(trees=("deb61", "deb612"), errors=errors)
        for name, msg in errors.items():
            rep.check(f"tree {name} prepared", False, msg)
        parts = opts.only
        if not parts or "big" in parts:
            for tree in ("deb61", "deb612"):
                if tree in info:
                    big_tree(rep, tools, work, tree, info[tree], opts.quick)
        if not parts or "small" in parts:
            small_trees(rep, tools, work)
        if not parts or "crash" in parts:
            crash_safety(rep, tools, work, info, opts.quick)
    finally:
        if opts.keep:
            print(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(f"(took {time.monotonic() - t0:.0f}s)")
    print(f"depmod-diff: {rep.passed} passed, {rep.failed} failed")
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(main())
