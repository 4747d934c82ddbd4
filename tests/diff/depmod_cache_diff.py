#!/usr/bin/env python3
"""Randomized differential test of rdepmod's cache (modules.rkmod-cache).

One module tree lives through N rounds. Each round changes it at random —
modules added, removed, replaced (other size, or the same size in place
with the mtime put back), renamed, swapped, recompressed (`xz`, `zstd`,
`gzip`), touched, truncated, corrupted, rewritten twice around a run;
depmod.d rewritten (search order, override, external, exclude); the cache
file itself damaged — then runs rdepmod twice:

* cached: `rdepmod -b BASE -C CONF [OPTS] REL`, in place, through the cache
  the previous rounds left (and writing the next one);
* fresh:  the same with `RKMOD_DEPMOD_CACHE=0` and `-o` into a scratch root.

Exit status, stdout, stderr and every output file must be identical.

Replays (crates/depmod/src/replay.rs: a run whose inputs are those of the
run that last wrote the outputs prints what that run printed and writes
nothing): a fifth of the rounds change nothing (with the same options as
the round before, so the cached run may replay), some change only the
options, some replace the modules the last run could not read (a tree with
an unreadable module never replays), and about a seventh change only output files
(touched, deleted, edited in place at the same size with the mtime put
back, replaced by a copy, chmod'ed) with the same options, after which a
replay is wrong. A run counts as a replay when nothing in the module
directory changed identity (inode, size, mtime, ctime), a record is there
and the run succeeded; a replay after an output-only change fails the round (after an
option change it may be right: an older record for those options whose
outputs were never replaced), and a run of
30 rounds or more with no replay at all fails too. On a
sample of rounds (every --kmod-every th) kmod's depmod runs on the same
tree too and its files are compared as tests/diff/depmod_diff.py does
(modules.weakdep against kmod 34's format, which kmod 30 does not write);
Debian's kmod 30 has no zlib, so on those rounds `.ko.gz` modules are first
recompressed with zstd (a change the cached run must follow as well).

The tree starts from real modules (a few dependency closures of Debian's
6.1 `.ko` and 6.12 `.ko.xz` trees, copied, never linked) and synthetic ones
(tests/diff/depmod_elf.py) that need each other. OPTS varies by round:
none, `-e -E Module.symvers` (altered), `-w`, `-P _`, and `-v` on rounds
not compared with kmod.

Usage: depmod_cache_diff.py --ours target/release/rdepmod [--kmod /sbin/depmod]
       [--rounds N] [--seed S] [--kmod-every K] [--keep]
Rounds default to $RKMOD_CACHE_DIFF_ROUNDS, else 60 (`make test-diff`). The seed (random
unless given) is printed first: `--seed S` replays a run exactly (as long
as the trees are the same). Last line: `depmod-cache-diff: N passed, M
failed`.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import trees  # noqa: E402
from depmod_diff import CACHE, REPLAY, WEAKDEP_HEADER, diff_text, outputs_in  # noqa: E402
from depmod_elf import module_bytes  # noqa: E402

REL = "6.1.0-rkmod-cache"
TIMEOUT = 300
MAX_REAL = 600 * 1024  # bytes per real module file taken


def run(cmd, env=None):
    r = subprocess.run(cmd, capture_output=True, timeout=TIMEOUT, env=env)
    return r.returncode, r.stdout, r.stderr


def closure_sample(rng: random.Random, moddir: str, roots: int) -> list[str]:
    """Relative paths of `roots` random modules and all they depend on."""
    deps = {}
    with open(os.path.join(moddir, "modules.dep")) as f:
        for line in f:
            head, _, tail = line.partition(":")
            deps[head] = tail.split()
    names = sorted(deps)
    chosen: list[str] = []
    seen = set()
    tries = 0
    while len([c for c in chosen]) < roots * 4 and tries < roots * 20:
        tries += 1
        start = rng.choice(names)
        group = [start] + deps[start]
        if any(os.path.getsize(os.path.join(moddir, g)) > MAX_REAL for g in group):
            continue
        for g in group:
            if g not in seen:
                seen.add(g)
                chosen.append(g)
        if len(seen) >= roots * 4:
            break
    return chosen


class World:
    """The tree, its configuration and the pool of module contents."""

    def __init__(self, rng: random.Random, work: str, info: dict) -> None:
        # Modules truncated or corrupted (healed when a run dies of one
        # whose error names no module: a garbage alias it cannot index).
        self.damaged: set[str] = set()
        self.rng = rng
        self.base = os.path.join(work, "base")
        self.moddir = os.path.join(self.base, "lib", "modules", REL)
        self.ext = os.path.join(self.base, "opt", "ext")
        self.conf = os.path.join(work, "depmod.d")
        self.fresh = os.path.join(work, "fresh")
        for d in (self.moddir, self.ext, self.conf):
            os.makedirs(d)
        # Contents to draw from: (plain bytes of) real and synthetic modules.
        self.pool: list[tuple[str, bytes]] = []
        self.symvers = None
        for tree, roots in (("deb61", 5), ("deb612", 4)):
            if tree not in info:
                continue
            src = info[tree]["moddir"]
            for rel in closure_sample(rng, src, roots):
                with open(os.path.join(src, rel), "rb") as f:
                    data = f.read()
                if rel.endswith(".xz"):
                    data = subprocess.run(["xz", "-dc"], input=data, capture_output=True,
                                          check=True).stdout
                name = os.path.basename(rel).split(".")[0]
                self.pool.append((name, data))
            sv = f"/usr/src/linux-headers-{info[tree]['release']}/Module.symvers"
            if tree == "deb61" and os.path.exists(sv):
                self.symvers = os.path.join(work, "Module.symvers")
                with open(sv, "rb") as f:
                    lines = f.read().splitlines(keepends=True)
                with open(self.symvers, "wb") as f:
                    for i, line in enumerate(lines):
                        if i % 97 == 5:
                            continue
                        if i % 50 == 3 and line.startswith(b"0x"):
                            line = b"0xdeadbeef" + line[10:]
                        f.write(line)
        syms = [f"rc_sym{i}" for i in range(24)]
        for i in range(24):
            needs = rng.sample(syms[:i], min(i, rng.randint(0, 3))) if i else []
            if rng.random() < 0.3:
                needs.append(rng.choice(["printk", "kmalloc", "nosuch_symbol"]))
            modinfo = [f"alias=rc-{i}-{rng.randint(0, 9)}"]
            if rng.random() < 0.2:
                modinfo.append(f"softdep=pre: rcmod{rng.randint(0, 23)}")
            if rng.random() < 0.2:
                modinfo.append(f"weakdep=rcmod{rng.randint(0, 23)}")
            weak = [n for n in needs if rng.random() < 0.2]
            self.pool.append((f"rcmod{i}", module_bytes(modinfo, [syms[i]], needs,
                                                        weak=weak)))
        self.dirs = ["kernel", "kernel/drivers", "kernel/net/x", "updates", "extra",
                     "updates/dkms", "weird"]
        self.counter = 0
        # Initial tree: every pool entry once, plain or compressed.
        for name, data in self.pool:
            self.place(name, data, self.rng.choice(["", "", ".xz", ".zst"]))
        self.order()
        self.config()

    # ---- files

    def modules(self) -> list[str]:
        out = []
        for root in (self.moddir, self.ext):
            for d, dirs, fs in os.walk(root):
                dirs.sort()
                out += [os.path.join(d, f) for f in sorted(fs)
                        if re.search(r"\.ko(\.(xz|zst|gz))?$", f)]
        return out

    def compress(self, data: bytes, kind: str) -> bytes:
        tool = {".xz": ["xz", "-0", "-c", "--check=crc32", "-T1"], ".zst": ["zstd", "-q", "-c"],
                ".gz": ["gzip", "-n", "-c"]}.get(kind)
        if not tool:
            return data
        return subprocess.run(tool, input=data, capture_output=True, check=True).stdout

    def place(self, name: str, data: bytes, kind: str, where: str | None = None) -> str:
        if where is None:
            where = self.ext if self.rng.random() < 0.08 else os.path.join(
                self.moddir, self.rng.choice(self.dirs))
        os.makedirs(where, exist_ok=True)
        path = os.path.join(where, f"{name}.ko{kind}")
        with open(path, "wb") as f:
            f.write(self.compress(data, kind))
        return path

    def plain_of(self, path: str) -> bytes:
        with open(path, "rb") as f:
            data = f.read()
        tool = {b"\xfd7zXZ": ["xz", "-dc"], b"\x28\xb5\x2f\xfd": ["zstd", "-dcq"],
                b"\x1f\x8b": ["gzip", "-dc"]}
        for magic, cmd in tool.items():
            if data.startswith(magic):
                r = subprocess.run(cmd, input=data, capture_output=True)
                return r.stdout if r.returncode == 0 else data
        return data

    def order(self) -> None:
        mods = [os.path.relpath(m, self.moddir) for m in self.modules()
                if m.startswith(self.moddir + "/")]
        self.rng.shuffle(mods)
        with open(os.path.join(self.moddir, "modules.order"), "w") as f:
            for m in mods[: len(mods) * 2 // 3]:
                f.write(re.sub(r"\.ko\..*$", ".ko", m) + "\n")

    def config(self) -> None:
        for f in os.listdir(self.conf):
            os.unlink(os.path.join(self.conf, f))
        rng = self.rng
        searches = rng.sample(["updates", "extra", "built-in", "external", "weird",
                               "updates/dkms"], rng.randint(1, 4))
        lines = [f"search {' '.join(searches)}"]
        if rng.random() < 0.6:
            lines.append(f"external {REL} {self.ext}")
        mods = self.modules()
        if mods and rng.random() < 0.5:
            m = rng.choice(mods)
            name = os.path.basename(m).split(".")[0]
            lines.append(f"override {name} {REL} {rng.choice(self.dirs)}")
        if rng.random() < 0.3:
            lines.append(f"exclude {rng.choice(['weird', 'dkms', 'x'])}")
        with open(os.path.join(self.conf, "rkmod.conf"), "w") as f:
            f.write("\n".join(lines) + "\n")

    # ---- changes

    def change(self, round_no: int) -> list[str]:
        done = []
        rng = self.rng
        for _ in range(rng.randint(1, 4)):
            mods = self.modules()
            what = rng.choice(["add", "add", "remove", "replace", "replace-same-size",
                               "rename", "swap", "recompress", "recompress", "touch",
                               "truncate", "corrupt", "double-write", "config", "order",
                               "cache"])
            if not mods and what not in ("add", "config", "cache"):
                what = "add"
            m = rng.choice(mods) if mods else ""
            if what == "add":
                name, data = rng.choice(self.pool)
                if rng.random() < 0.3:
                    self.counter += 1
                    name = f"{name}-copy{self.counter}"
                p = self.place(name, data, rng.choice(["", ".xz", ".zst", ".gz"]))
                done.append(f"add {os.path.relpath(p, self.base)}")
            elif what == "remove":
                os.unlink(m)
                done.append(f"remove {os.path.relpath(m, self.base)}")
            elif what == "replace":
                _, data = rng.choice(self.pool)
                kind = re.search(r"\.ko(\.\w+)?$", m).group(1) or ""
                tmp = m + ".tmp"
                with open(tmp, "wb") as f:
                    f.write(self.compress(data, kind))
                os.rename(tmp, m)
                done.append(f"replace {os.path.relpath(m, self.base)}")
            elif what == "replace-same-size":
                # Same inode, same size, mtime put back: only ctime tells.
                st = os.stat(m)
                with open(m, "r+b") as f:
                    data = bytearray(f.read())
                    if data:
                        i = rng.randrange(len(data))
                        data[i] ^= 1 + rng.randrange(255)
                        f.seek(0)
                        f.write(data)
                os.utime(m, ns=(st.st_atime_ns, st.st_mtime_ns))
                done.append(f"rewrite in place {os.path.relpath(m, self.base)}")
            elif what == "rename":
                dest_dir = os.path.join(self.moddir, rng.choice(self.dirs))
                os.makedirs(dest_dir, exist_ok=True)
                base = os.path.basename(m)
                if rng.random() < 0.5:
                    self.counter += 1
                    base = re.sub(r"^[^.]*", lambda x: f"{x.group(0)}-mv{self.counter}", base)
                dest = os.path.join(dest_dir, base)
                if not os.path.exists(dest):
                    os.rename(m, dest)
                    done.append(f"rename {os.path.relpath(m, self.base)} -> "
                                f"{os.path.relpath(dest, self.base)}")
            elif what == "swap" and len(mods) > 1:
                a, b = rng.sample(mods, 2)
                tmp = a + ".swap"
                os.rename(a, tmp)
                os.rename(b, a)
                os.rename(tmp, b)
                done.append(f"swap {os.path.relpath(a, self.base)} "
                            f"{os.path.relpath(b, self.base)}")
            elif what == "recompress":
                done.append(self.recompress(m, rng.choice(["", ".xz", ".zst", ".gz"])))
            elif what == "touch":
                os.utime(m)
                done.append(f"touch {os.path.relpath(m, self.base)}")
            elif what == "truncate":
                size = os.path.getsize(m)
                os.truncate(m, rng.randrange(size) if size else 0)
                self.damaged.add(m)
                done.append(f"truncate {os.path.relpath(m, self.base)}")
            elif what == "corrupt":
                with open(m, "r+b") as f:
                    data = bytearray(f.read())
                    for _ in range(rng.randint(1, 8)):
                        if data:
                            data[rng.randrange(len(data))] = rng.randrange(256)
                    f.seek(0)
                    f.write(data)
                self.damaged.add(m)
                done.append(f"corrupt {os.path.relpath(m, self.base)}")
            elif what == "double-write":
                # Written, a cached run at once (maybe within the same
                # timestamp tick), rewritten at the same size with the
                # mtime put back: the racy case.
                _, data = rng.choice(self.pool)
                with open(m, "wb") as f:
                    f.write(data)
                st = os.stat(m)
                run(self.cached_cmd([]))
                with open(m, "r+b") as f:
                    f.seek(rng.randrange(max(1, len(data))))
                    f.write(bytes([rng.randrange(256)]))
                os.utime(m, ns=(st.st_atime_ns, st.st_mtime_ns))
                done.append(f"double write {os.path.relpath(m, self.base)}")
            elif what == "config":
                self.config()
                done.append("depmod.d rewritten")
            elif what == "order":
                self.order()
                done.append("modules.order rewritten")
            elif what == "cache":
                done.append(self.damage_cache())
        return done

    def change_outputs(self) -> list[str]:
        """Change output files only, as a user or a package might."""
        done = []
        rng = self.rng
        names = sorted(outputs_in(self.moddir))
        for _ in range(rng.randint(1, 2)):
            if not names:
                break
            name = rng.choice(names)
            path = os.path.join(self.moddir, name)
            if not os.path.isfile(path):
                continue
            how = rng.choice(["touch", "delete", "edit", "edit", "copy", "chmod"])
            if how == "touch":
                os.utime(path)
            elif how == "delete":
                os.unlink(path)
            elif how == "edit":
                # Same inode and size, mtime put back: only ctime tells.
                st = os.stat(path)
                with open(path, "r+b") as f:
                    data = bytearray(f.read())
                    if data:
                        data[rng.randrange(len(data))] ^= 1 + rng.randrange(255)
                        f.seek(0)
                        f.write(data)
                os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
            elif how == "copy":
                # Same bytes, another file (a package reinstalled it).
                tmp = path + ".pkg"
                shutil.copy2(path, tmp)
                os.rename(tmp, path)
            elif how == "chmod":
                os.chmod(path, 0o600 if os.stat(path).st_mode & 0o044 else 0o644)
            done.append(f"output {how} {name}")
        return done or ["outputs: none to change"]

    def heal(self, stderr: bytes) -> list[str]:
        """Replace the modules the last run could not read with good ones
        (a tree where some module cannot be read never replays)."""
        done = []
        paths = [p.decode(errors="surrogateescape")
                 for p in re.findall(rb"failed to load symbols from (.*?): ", stderr)]
        if b"FATAL" in stderr:
            paths += sorted(self.damaged)
            self.damaged.clear()
        for path in dict.fromkeys(paths):
            if not os.path.isfile(path):
                continue
            name = os.path.basename(path).split(".")[0]
            data = next((d for n, d in self.pool if n == name), None)
            if data is None:
                data = self.rng.choice(self.pool)[1]
            kind = re.search(r"\.ko(\.\w+)?$", path)
            tmp = path + ".heal"
            with open(tmp, "wb") as f:
                f.write(self.compress(data, (kind.group(1) or "") if kind else ""))
            os.rename(tmp, path)
            done.append(f"heal {os.path.relpath(path, self.base)}")
        return done or ["heal: nothing to heal"]

    def recompress(self, m: str, kind: str) -> str:
        data = self.plain_of(m)
        stem = re.sub(r"\.ko(\.\w+)?$", "", m)
        os.unlink(m)
        new = f"{stem}.ko{kind}"
        with open(new, "wb") as f:
            f.write(self.compress(data, kind))
        return f"recompress {os.path.relpath(m, self.base)} -> {os.path.basename(new)}"

    def damage_cache(self) -> str:
        path = os.path.join(self.moddir, CACHE)
        rng = self.rng
        if not os.path.isfile(path):
            return "cache: none to damage"
        with open(path, "rb") as f:
            data = bytearray(f.read())
        how = rng.choice(["flip", "truncate", "garbage", "empty", "stamp", "remove",
                          "directory"])
        if how == "flip" and data:
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        elif how == "truncate":
            data = data[: rng.randrange(len(data) + 1)]
        elif how == "garbage":
            data = bytearray(rng.randbytes(rng.randrange(4096)))
        elif how == "empty":
            data = bytearray()
        elif how == "stamp" and len(data) > 40:
            # Another version's cache, checksum made right again.
            data[28] ^= 0x20
            crc = zlib.crc32(bytes(data[:-8]))
            data[-8:-4] = struct.pack("<I", crc)
        if how == "remove":
            os.unlink(path)
        elif how == "directory":
            os.unlink(path)
            os.makedirs(path)
        else:
            with open(path, "wb") as f:
                f.write(data)
        return f"cache damaged: {how}"

    def undo_cache_directory(self) -> None:
        path = os.path.join(self.moddir, CACHE)
        if os.path.isdir(path):
            shutil.rmtree(path)

    # ---- runs

    def cached_cmd(self, opts: list[str]) -> list[str]:
        return [self.ours, "-b", self.base, "-C", self.conf] + opts + [REL]


def files_of(moddir: str) -> dict[str, bytes]:
    return outputs_in(moddir)


def identities(moddir: str) -> dict[str, tuple]:
    """Every entry of the module directory and its identity."""
    out = {}
    for name in os.listdir(moddir):
        st = os.lstat(os.path.join(moddir, name))
        out[name] = (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_mode)
    return out


def compare_kmod(w: World, kmod: str, opts: list[str], ours: tuple) -> list[str] | None:
    """kmod's depmod on the same tree, in place (our outputs put back after).
    None when kmod died of a signal (libkmod asserts on some corrupt ELF
    headers): it wrote nothing to compare with, and rdepmod, which reported
    the file and went on, is already checked against its own full run."""
    saved = files_of(w.moddir)
    clear_keep_cache(w.moddir)
    rc, out, err = run([kmod, "-b", w.base, "-C", w.conf] + opts + [REL])
    kf = files_of(w.moddir)
    clear_keep_cache(w.moddir)
    for name, data in saved.items():
        with open(os.path.join(w.moddir, name), "wb") as f:
            f.write(data)
    if rc < 0:
        return None
    problems = []
    if rc != ours[0]:
        problems.append(f"exit status: kmod {rc}, ours {ours[0]}")
    k_err = re.sub(rb"(?m)^depmod: ", b"rdepmod: ", err)
    if k_err != ours[2]:
        problems.append("stderr differs:\n" + diff_text(k_err, ours[2]))
    if out != ours[1]:
        problems.append("stdout differs:\n" + diff_text(out, ours[1]))
    of = ours[3]
    for name in sorted(set(kf) | set(of)):
        if name == "modules.weakdep" and name not in kf:
            if "modules.dep" in kf and of[name] != kmod_weakdep(w.moddir, kf["modules.dep"]):
                problems.append("modules.weakdep differs from kmod 34's format")
            continue
        if kf.get(name) != of.get(name):
            a, b = kf.get(name, b""), of.get(name, b"")
            detail = diff_text(a, b) if not name.endswith(".bin") else f"{len(a)} vs {len(b)} bytes"
            problems.append(f"{name} differs from kmod's:\n{detail}")
    return problems


def cache_hits(moddir: str) -> int:
    """How many records of the cache in `moddir` match their files now:
    the modules the next run takes from it (0 for an unusable cache)."""
    try:
        with open(os.path.join(moddir, CACHE), "rb") as f:
            d = f.read()
    except OSError:
        return 0
    # crates/depcache: header magic, format 2, stamp length, reserved,
    # stamp; entries; trailer count, CRC-32 of all before it, "END\n".
    if (len(d) < 32 or d[:8] != b"RKMODDC\n" or d[-4:] != b"END\n"
            or struct.unpack_from("<I", d, 8)[0] != 2
            or zlib.crc32(d[:-8]) != struct.unpack("<I", d[-8:-4])[0]):
        return 0
    stamp_len, = struct.unpack_from("<I", d, 12)
    count, = struct.unpack_from("<I", d, len(d) - 12)
    at = 20 + stamp_len
    hits = 0
    for _ in range(count):
        plen, = struct.unpack_from("<I", d, at)
        path = d[at + 4:at + 4 + plen]
        at += 4 + plen
        dev, ino, size, ms, mns, cs, cns = struct.unpack_from("<QQQqIqI", d, at)
        at += 48
        rlen, = struct.unpack_from("<I", d, at)
        at += 4 + rlen
        try:
            st = os.stat(path)
        except OSError:
            continue
        if (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns) == \
                (dev, ino, size, ms * 10**9 + mns, cs * 10**9 + cns):
            hits += 1
    return hits


def kmod_weakdep(moddir: str, dep: bytes) -> bytes:
    """kmod 34's modules.weakdep for the modules of `dep`, in its order,
    from what kmod's own modinfo reads of each (depmod_diff.py's parser is
    lenient with the corrupted files made here)."""
    out = bytearray(WEAKDEP_HEADER)
    for line in dep.splitlines():
        path = line.split(b":", 1)[0].decode()
        full = path if path.startswith("/") else os.path.join(moddir, path)
        name = re.sub(r"\..*", "", os.path.basename(path)).replace("-", "_").encode()
        r = subprocess.run(["/sbin/modinfo", "-0", "-F", "weakdep", full], capture_output=True)
        for value in r.stdout.split(b"\0"):
            if value:
                out += b"weakdep " + name + b" " + value + b"\n"
    return bytes(out)


def clear_keep_cache(moddir: str) -> None:
    for name in outputs_in(moddir):
        os.unlink(os.path.join(moddir, name))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ours", required=True)
    ap.add_argument("--kmod", default="/sbin/depmod")
    ap.add_argument("--rounds", type=int,
                    default=int(os.environ.get("RKMOD_CACHE_DIFF_ROUNDS") or 60))
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--kmod-every", type=int, default=8)
    ap.add_argument("--keep", action="store_true")
    opts = ap.parse_args(argv)
    seed = opts.seed if opts.seed is not None else random.SystemRandom().randrange(1 << 32)
    print(f"depmod-cache-diff: seed {seed}, {opts.rounds} rounds "
          f"(replay: --seed {seed} --rounds {opts.rounds})", flush=True)
    rng = random.Random(seed)
    t0 = time.monotonic()
    info = trees.prepare(trees=("deb61", "deb612"))
    work = tempfile.mkdtemp(prefix="rkmod-depmod-cache-diff-", dir="/var/tmp")
    passed = failed = kmod_rounds = 0
    kmod_died: list[int] = []
    hits_seen = total_modules = 0
    kinds = {"changes": 0, "heal": 0, "nothing": 0, "options": 0, "outputs": 0}
    last_err = b""
    replays = {k: 0 for k in kinds}
    eligible, prev_record, prev_kmod, prev_variant = 0, False, False, None
    variant: list[str] = []
    try:
        w = World(rng, work, info)
        w.ours = os.path.abspath(opts.ours)
        no_cache = dict(os.environ, RKMOD_DEPMOD_CACHE="0")
        for r in range(opts.rounds):
            pick = rng.random() if r else 1.0
            kind = ("nothing" if pick < 0.2 else "options" if pick < 0.26
                    else "outputs" if pick < 0.4 else "heal" if pick < 0.48 else "changes")
            if kind == "changes":
                changes = w.change(r) if r else ["initial tree"]
                if r and rng.random() < 0.4:
                    changes = [c for c in w.heal(last_err) if not c.startswith("heal:")] + changes
            elif kind == "outputs":
                changes = w.change_outputs()
            elif kind == "heal":
                changes = w.heal(last_err)
            else:
                changes = [f"nothing changed ({kind})"]
            kinds[kind] += 1
            with_kmod = opts.kmod_every > 0 and r % opts.kmod_every == opts.kmod_every - 1
            if with_kmod:
                for m in w.modules():
                    with open(m, "rb") as f:
                        gz = f.read(2) == b"\x1f\x8b"  # by magic: swaps move contents
                    if gz or m.endswith(".gz"):  # kmod 30 skips .ko.gz names
                        changes.append(w.recompress(m, ".zst"))
            choices = ([[], [], [], ["-w"], ["-P", "_"]] +
                       ([["-e", "-E", w.symvers]] if w.symvers else []) +
                       ([] if with_kmod else [["-v"]]))
            if kind == "options":
                others = [c for c in choices if c != variant]
                variant = rng.choice(others)
            elif kind == "changes" or variant not in choices:
                variant = rng.choice(choices)
            # Nothing changed since a run that left a replay record (no kmod
            # run in between, which rewrites the outputs): this one replays.
            expect_replay = (kind == "nothing" and prev_record and not prev_kmod
                             and not with_kmod and variant == prev_variant)
            # (stamp check aside, which this script does not know)
            hits = cache_hits(w.moddir)
            before = files_of(w.moddir)
            ids_before = identities(w.moddir)
            cached = run(w.cached_cmd(variant))
            # (A failed run, a dependency cycle, writes nothing either.)
            replayed = (cached[0] == 0 and os.path.isfile(os.path.join(w.moddir, REPLAY))
                        and identities(w.moddir) == ids_before)
            if replayed:
                replays[kind] += 1
            if expect_replay:
                eligible += 1
            prev_record = cached[0] == 0 and os.path.isfile(os.path.join(w.moddir, REPLAY))
            prev_kmod, prev_variant = with_kmod, variant
            cached = cached + (files_of(w.moddir),)
            last_err = cached[2]
            w.undo_cache_directory()
            shutil.rmtree(w.fresh, ignore_errors=True)
            fresh = run([w.ours, "-b", w.base, "-o", w.fresh, "-C", w.conf] + variant + [REL],
                        env=no_cache)
            fresh_dir = os.path.join(w.fresh, "lib", "modules", REL)
            fresh = fresh + (files_of(fresh_dir),)
            problems = []
            for i, what in enumerate(("exit status", "stdout", "stderr")):
                if cached[i] != fresh[i]:
                    problems.append(f"{what} differs from a run without the cache:\n"
                                    + diff_text(fresh[i] if i else str(fresh[i]).encode(),
                                                cached[i] if i else str(cached[i]).encode(),
                                                "fresh", "cached"))
            if cached[0] != 0:
                # A failed run (a dependency cycle) writes nothing.
                if cached[3] != before or fresh[3]:
                    problems.append(f"a failed run (exit {cached[0]}) changed files")
            else:
                for name in sorted(set(cached[3]) | set(fresh[3])):
                    if cached[3].get(name) != fresh[3].get(name):
                        problems.append(f"{name} differs from a run without the cache")
            if os.path.exists(os.path.join(fresh_dir, CACHE)):
                problems.append("RKMOD_DEPMOD_CACHE=0 wrote a cache")
            if os.path.exists(os.path.join(fresh_dir, REPLAY)):
                problems.append("RKMOD_DEPMOD_CACHE=0 wrote a replay record")
            # (After other options a replay may be right: of an older
            # record with these options, whose outputs were never replaced.)
            if replayed and kind == "outputs" and not changes[0].startswith("outputs: none"):
                problems.append("replayed after output files were changed")
            if expect_replay and not replayed:
                problems.append("nothing changed since a run that left a replay record, "
                                "yet this run did not replay")
            hits_seen += hits
            total_modules += len(w.modules())
            if with_kmod and not problems and cached[0] == 0:
                verdict = compare_kmod(w, opts.kmod, variant, cached)
                if verdict is None:
                    kmod_died.append(r)
                else:
                    kmod_rounds += 1
                    problems += verdict
            label = (f"round {r}{' +kmod' if with_kmod else ''}{' replayed' if replayed else ''}"
                     f" {' '.join(variant)}"
                     f" [{hits} cached]: "
                     f"{'; '.join(changes)}")
            if problems:
                failed += 1
                print(f"  FAIL  {label}", flush=True)
                for line in "\n".join(problems).splitlines()[:60]:
                    print(f"        {line}")
            else:
                passed += 1
                print(f"  ok    {label}", flush=True)
    finally:
        if opts.keep:
            print(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(f"(seed {seed}; {opts.rounds} rounds, {kmod_rounds} with kmod, "
          f"{hits_seen} of {total_modules} modules served from the cache; "
          f"took {time.monotonic() - t0:.0f}s)")
    print("rounds by kind: " + ", ".join(f"{k} {n} ({replays[k]} replayed)"
                                         for k, n in kinds.items()))
    # A tree stuck where no record can be made (a corrupt module whose
    # alias is not 7-bit: rdepmod refuses to index it, every run fails) has
    # no round that must replay; say so rather than pass in silence.
    print(f"{eligible} rounds had to replay (nothing changed since a recorded run)")
    if opts.rounds >= 30 and not eligible:
        print("NOTE: no round had to replay: the replay path was not exercised by this seed")
    if kmod_died:
        print(f"note: kmod's depmod died of a signal in round(s) {kmod_died} "
              "(not counted as kmod rounds; the cache was checked against a full run)")
    print(f"depmod-cache-diff: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
