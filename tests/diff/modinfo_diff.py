#!/usr/bin/env python3
"""Differential test: rkmod's rmodinfo against kmod's modinfo (kmod 30).

For every tree/compression group and every mode, both tools are run on the
same arguments; stdout bytes and exit status must be identical, and stderr
must be empty exactly when kmod's is (its text is not compared: it differs
by program name).

deb612 (.ko.xz): the modes other than full, -0 and -n run on every 4th
module (``--xz-step``, 1 = all): kmod spends ~8 s of CPU decompressing the
tree per pass, and field selection is covered in full by deb61 and recomp.

Modules are passed in batches (``--batch``, default 100 per invocation);
only a batch that differs is re-run module by module to name the culprits.

``.ko.gz``: Debian's kmod 30 is built without zlib and cannot read them, so
the expected answer for ``recomp/gz/X.ko.gz`` is kmod's answer for the
uncompressed ``recomp/plain/X.ko`` with that path replaced by the .gz path
in ``filename:`` lines and in ``-F filename`` / ``-n`` output.

Usage: modinfo_diff.py --ours PATH [--kmod /sbin/modinfo] [--quick]
Last line: ``modinfo-diff: N passed, M failed``; exit status 1 when M > 0
or a tree could not be prepared.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import difflib
import hashlib
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import trees  # noqa: E402

FIELDS = ["vermagic", "depends", "alias", "parm", "signer", "sig_key",
          "sig_hashalgo", "signature", "filename", "name", "license",
          "description", "author", "srcversion", "intree", "retpoline",
          "import_ns"]

PATH_MODES: list[tuple[str, list[str]]] = (
    [("full", [])]
    + [(f"-F {f}", ["-F", f]) for f in FIELDS]
    + [("-0", ["-0"]), ("-0 -F alias", ["-0", "-F", "alias"])]
    + [(o, [o]) for o in ("-a", "-d", "-l", "-p", "-n")]
)

MISSING = ["rkmod_no_such_module", "rkmod-no-such-module", "fs-rkmodfs",
           "symbol:rkmod_no_such_symbol", "rkmod:no-such-alias",
           "/nonexistent/rkmod/foo.ko", "/nonexistent/rkmod/foo.ko.xz",
           "rkmod-nonexistent.ko"]

TIMEOUT = 300


# ------------------------------------------------------------------ model

@dataclasses.dataclass
class Unit:
    """One group x mode: a list of items run with the same options."""
    group: str
    mode: str
    args: list[str]            # options before the items
    items: list[str]           # arguments given to ours
    kmod_items: list[str]      # arguments given to kmod (differs for .gz)
    subst: dict[bytes, bytes]  # kmod path -> our path (for .gz)
    batch: int

    @property
    def sep(self) -> bytes:
        return b"\0" if "-0" in self.args else b"\n"


@dataclasses.dataclass
class Run:
    cmd: list[str]
    rc: int
    out: bytes
    err: bytes


@dataclasses.dataclass
class Diff:
    index: int       # position of the (first) item in the unit
    what: str        # item, or "batch of N"
    ours: Run
    kmod: Run
    expected: bytes  # kmod stdout after .gz substitution
    reasons: list[str]


@dataclasses.dataclass
class UnitResult:
    unit: Unit
    keep: int                  # full diffs kept (the lowest-indexed ones)
    compared: int = 0
    differing: int = 0
    rerun: int = 0             # modules re-run one by one so far
    unbisected: int = 0        # modules of differing batches not re-run
    ours_time: float = 0.0     # summed wall time of our tool's runs
    diffs: list = dataclasses.field(default_factory=list)   # kept Diffs
    names: list = dataclasses.field(default_factory=list)   # (index, what)
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)

    def add(self, diffs: list) -> None:
        """Record diffs; keep outputs only for the first `keep` by index."""
        self.names += [(d.index, d.what) for d in diffs]
        self.diffs = sorted(self.diffs + diffs, key=lambda d: d.index)[:self.keep]


# ------------------------------------------------------------------ running

def run_tool(tool: str, args: list[str], timing: list | None = None) -> Run:
    cmd = [tool, *args]
    t = time.monotonic()
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=TIMEOUT)
        if timing is not None:
            timing.append(time.monotonic() - t)
        return Run(cmd, p.returncode, p.stdout, p.stderr)
    except subprocess.TimeoutExpired as e:
        return Run(cmd, -999, e.stdout or b"", (e.stderr or b"") + b"\n<timeout>")
    except OSError as e:
        return Run(cmd, -998, b"", f"<cannot run: {e}>".encode())


class KmodCache:
    """kmod's outputs, kept under <cache>/expected/<key>/ between runs.

    kmod is the fixed reference, so its answer for a command line only
    changes when its binary, the host's modprobe configuration (read even
    with -b) or a tree changes; all of those are in the key.  Stale keys
    are removed.  Disabled with --no-kmod-cache.
    """

    CONF_DIRS = ("/etc/modprobe.d", "/run/modprobe.d", "/usr/local/lib/modprobe.d",
                 "/lib/modprobe.d", "/usr/lib/modprobe.d")

    def __init__(self, root: str, kmod: str, info: dict):
        h = hashlib.sha256()
        with open(os.path.realpath(kmod), "rb") as f:
            h.update(f.read())
        for d in self.CONF_DIRS:
            try:
                names = sorted(os.listdir(d))
            except OSError:
                continue
            for n in names:
                p = os.path.join(d, n)
                h.update(p.encode() + b"\0")
                try:
                    with open(p, "rb") as f:
                        h.update(f.read())
                except OSError:
                    pass
        for t in ("deb61", "deb612", "recomp"):
            if t in info:
                h.update(f"{t}:{info[t].get('created')}:{info[t].get('release')}".encode())
        self.dir = os.path.join(root, "expected", h.hexdigest()[:20])
        top = os.path.dirname(self.dir)
        if os.path.isdir(top):
            for old in os.listdir(top):
                if os.path.join(top, old) != self.dir:
                    shutil.rmtree(os.path.join(top, old), ignore_errors=True)
        os.makedirs(self.dir, exist_ok=True)
        self.hits = self.misses = 0

    def _path(self, cmd: list[str]) -> str:
        return os.path.join(self.dir, hashlib.sha256("\0".join(cmd).encode()).hexdigest())

    def run(self, cmd: list[str]) -> "Run":
        p = self._path(cmd)
        try:
            with open(p, "rb") as f:
                data = f.read()
            head, rest = data.split(b"\n", 1)
            rc, n = (int(x) for x in head.split())
            self.hits += 1
            return Run(cmd, rc, rest[:n], rest[n:])
        except (OSError, ValueError):
            pass
        r = run_tool(cmd[0], cmd[1:])
        self.misses += 1
        if r.rc >= 0:
            tmp = f"{p}.{threading.get_ident()}.tmp"
            with open(tmp, "wb") as f:
                f.write(b"%d %d\n" % (r.rc, len(r.out)) + r.out + r.err)
            os.replace(tmp, p)
        return r


KMOD_CACHE: KmodCache | None = None


def run_kmod(tool: str, args: list[str]) -> Run:
    if KMOD_CACHE is None:
        return run_tool(tool, args)
    return KMOD_CACHE.run([tool, *args])


def substitute(out: bytes, subst: dict[bytes, bytes], sep: bytes) -> bytes:
    """Replace kmod's plain path by the .gz path in filename records."""
    if not subst:
        return out
    recs = out.split(sep)
    for i, r in enumerate(recs):
        if r in subst:
            recs[i] = subst[r]
        elif r.startswith(b"filename:") and len(r) > 16 \
                and r[:16].rstrip(b" ") == b"filename:" and r[16:] in subst:
            recs[i] = r[:16] + subst[r[16:]]
    return sep.join(recs)


def compare(unit: Unit, idx: list[int], ours_tool: str, kmod_tool: str,
            timing: list | None = None):
    ours = run_tool(ours_tool, unit.args + [unit.items[i] for i in idx], timing)
    kmod = run_kmod(kmod_tool, unit.args + [unit.kmod_items[i] for i in idx])
    expected = substitute(kmod.out, unit.subst, unit.sep)
    reasons = []
    if ours.out != expected:
        reasons.append("stdout differs")
    if ours.rc != kmod.rc:
        reasons.append(f"exit status: kmod {kmod.rc}, ours {ours.rc}")
    if bool(kmod.err.strip()) != bool(ours.err.strip()):
        reasons.append("stderr: kmod " + ("non-empty" if kmod.err.strip() else "empty")
                       + ", ours " + ("non-empty" if ours.err.strip() else "empty"))
    return ours, kmod, expected, reasons


def do_batch(res: UnitResult, idx: list[int], ours_tool: str, kmod_tool: str,
             max_rerun: int):
    unit = res.unit
    timing: list = []
    ours, kmod, expected, reasons = compare(unit, idx, ours_tool, kmod_tool, timing)
    diffs, differing, unbisected = [], 0, 0
    if reasons and len(idx) > 1:
        with res.lock:
            bisect = res.rerun < max_rerun
            if bisect:
                res.rerun += len(idx)
        if bisect:
            for i in idx:
                o, k, e, r = compare(unit, [i], ours_tool, kmod_tool)
                if r:
                    diffs.append(Diff(i, unit.items[i], o, k, e, r))
            if not diffs:  # only the batch as a whole differs
                diffs.append(Diff(idx[0], f"batch of {len(idx)} starting at "
                                  f"{unit.items[idx[0]]} (identical one by one)",
                                  ours, kmod, expected, reasons))
            differing = len(diffs)
        else:  # too many differences already: count the batch as differing
            diffs.append(Diff(idx[0], f"batch of {len(idx)} starting at "
                              f"{unit.items[idx[0]]} (not re-run one by one)",
                              ours, kmod, expected, reasons))
            differing = unbisected = len(idx)
    elif reasons:
        diffs.append(Diff(idx[0], unit.items[idx[0]], ours, kmod, expected, reasons))
        differing = 1
    with res.lock:
        res.compared += len(idx)
        res.differing += differing
        res.unbisected += unbisected
        res.ours_time += sum(timing)
        res.add(diffs)


# ------------------------------------------------------------------ units

def modname(path: str) -> str:
    return re.sub(r"\.ko(\.[a-z]+)?$", "", os.path.basename(path))


def concretise(pattern: str, seed: int) -> str | None:
    """A concrete string matching a glob pattern (None if not attempted)."""
    tokens = ["", "0", "1A2B", "00"]
    out, i, n = [], 0, 0
    while i < len(pattern):
        c = pattern[i]
        if c == "*":
            out.append(tokens[(seed + n) % len(tokens)])
            n += 1
        elif c == "?":
            out.append("1")
        elif c == "[":
            j = pattern.find("]", i + 2)
            if j < 0 or pattern[i + 1] in "!^":
                return None
            out.append(pattern[i + 1])
            i = j
        elif c == "\\":
            return None
        else:
            out.append(c)
        i += 1
    return "".join(out)


def read_alias_file(path: str) -> list[tuple[str, str]]:
    res = []
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                parts = line.split()
                if len(parts) == 3 and parts[0] == "alias":
                    res.append((parts[1], parts[2]))
    except OSError:
        pass
    return res


def sample(lst: list, want: int) -> list:
    if len(lst) <= want:
        return list(lst)
    step = len(lst) / want
    return [lst[int(k * step)] for k in range(want)]


def name_items(info: dict, quick: bool) -> dict[str, list[str]]:
    """Lookup strings for the by-name modes of one tree."""
    moddir = info["moddir"]
    paths = trees.module_paths(info["tree"])
    names = [modname(p) for p in paths]
    dashed = [n.replace("-", "_") for n in names if "-" in n][::4]
    if quick:
        names, dashed = names[::10], dashed[::10]

    aliases = read_alias_file(os.path.join(moddir, "modules.alias"))
    concrete = sorted({a for a, _ in aliases if not re.search(r"[*?\[\\]", a)
                       and not a.startswith("-")})
    wild = sorted({a for a, _ in aliases if re.search(r"[*?\[]", a)})
    gen = []
    for k, pat in enumerate(wild):
        c = concretise(pat, k)
        if c and not c.startswith("-"):
            gen.append(c)
    n_alias = 40 if quick else 150
    alias_list = sample(concrete, n_alias) + sample(gen, n_alias)

    symbols = sorted({a for a, _ in read_alias_file(os.path.join(moddir, "modules.symbols"))})
    symbol_list = sample(symbols, 15 if quick else 60)

    builtin = []
    try:
        with open(os.path.join(moddir, "modules.builtin")) as f:
            builtin = [modname(line.strip()) for line in f if line.strip()]
    except OSError:
        pass
    balias = []
    try:
        with open(os.path.join(moddir, "modules.builtin.modinfo"), "rb") as f:
            for rec in f.read().split(b"\0"):
                m = re.match(rb"([^.=]+)\.alias=(.*)$", rec)
                if m:
                    c = concretise(m.group(2).decode(errors="replace"), len(balias))
                    if c and not c.startswith("-"):
                        balias.append(c)
    except OSError:
        pass
    if quick:
        builtin = builtin[::4]
    mixed = []
    if names:
        mixed = [names[0], MISSING[0], names[len(names) // 2]]
        if builtin:
            mixed += [builtin[0], MISSING[3]]
    return {
        "names": names + dashed,
        "aliases": alias_list,
        "symbols": symbol_list,
        "builtin": builtin,
        "builtin-aliases": sample(sorted(set(balias)), 10 if quick else 40),
        "missing": list(MISSING),
        "mixed": mixed,
    }


# Modes run on every module of every group; the other modes run on every
# --xz-step'th module of deb612 (decompressing ~4200 .ko.xz costs kmod ~8 s
# of CPU per pass; field selection is covered in full by deb61 and recomp).
ALL_MODULE_MODES = {"full", "-0", "-n"}


def build_units(info: dict, quick: bool, batch: int, only_groups, only_modes,
                xz_step: int = 1) -> list[Unit]:
    units: list[Unit] = []

    def want(group, mode):
        return (not only_groups or any(g in group for g in only_groups)) and \
               (not only_modes or any(re.search(m, mode) for m in only_modes))

    def add(group, mode, args, items, kmod_items=None, subst=None, b=batch):
        if items and want(group, mode):
            units.append(Unit(group, mode, args, items, kmod_items or items,
                              subst or {}, b))

    # a-d: by path
    path_groups = []
    if "deb61" in info:
        path_groups.append(("deb61 .ko", "deb61", None))
    if "deb612" in info:
        path_groups.append(("deb612 .ko.xz", "deb612", None))
    if "recomp" in info:
        path_groups += [("recomp .ko.zst", "recomp/zst", None),
                        ("recomp .ko.gz", "recomp/gz", "recomp/plain"),
                        ("recomp .ko", "recomp/plain", None)]
    for label, tree, kmod_tree in path_groups:
        paths = trees.module_paths(tree)
        if quick:
            paths = paths[::10]
        kpaths, subst = None, None
        if kmod_tree:
            root = trees.cache_root()
            kpaths = []
            for p in paths:
                rel = os.path.relpath(p, os.path.join(root, tree))
                kpaths.append(os.path.join(root, kmod_tree, rel[:-len(".gz")]))
            subst = {k.encode(): p.encode() for k, p in zip(kpaths, paths)}
        for mode, args in PATH_MODES:
            if tree == "deb612" and mode not in ALL_MODULE_MODES and xz_step > 1:
                add(label, mode, args, paths[::xz_step])
            else:
                add(label, mode, args, paths, kpaths, subst)

    # e: by name, with -b/-k
    for tree in ("deb61", "deb612"):
        if tree not in info:
            continue
        t = info[tree]
        base = ["-b", t["path"], "-k", t["release"]]
        items = name_items(t, quick)
        g = f"{tree} by name"
        add(g, "names", base, items["names"])
        add(g, "-m names", base + ["-m"], items["names"][::5])
        add(g, "-F filename names", base + ["-F", "filename"], items["names"][::10])
        add(g, "aliases", base, items["aliases"])
        add(g, "-m aliases", base + ["-m"], items["aliases"][::10])
        add(g, "symbols", base, items["symbols"])
        add(g, "builtin", base, items["builtin"])
        add(g, "-m builtin", base + ["-m"], items["builtin"])
        add(g, "-0 builtin", base + ["-0"], items["builtin"])
        add(g, "builtin aliases", base, items["builtin-aliases"])
        add(g, "missing", base, items["missing"], b=1)
        add(g, "-m missing", base + ["-m"], items["missing"], b=1)
        add(g, "mixed", base, items["mixed"], b=len(items["mixed"]) or 1)
    return units


# ------------------------------------------------------------------ report

def show(b: bytes, sep: bytes) -> list[str]:
    if sep == b"\0":
        b = b.replace(b"\0", b"\\0\n")
    return b.decode("utf-8", errors="backslashreplace").splitlines(keepends=True)


def format_diff(d: Diff, sep: bytes, max_lines: int) -> str:
    lines = [f"    --- {d.what}: {'; '.join(d.reasons)}\n",
             f"    kmod: {fmt_cmd(d.kmod.cmd)}  (exit {d.kmod.rc})\n",
             f"    ours: {fmt_cmd(d.ours.cmd)}  (exit {d.ours.rc})\n"]
    if d.ours.out != d.expected:
        ud = list(difflib.unified_diff(show(d.expected, sep), show(d.ours.out, sep),
                                       "expected (kmod)", "ours", n=2))
        if len(ud) > max_lines:
            ud = ud[:max_lines] + [f"... ({len(ud) - max_lines} more diff lines)\n"]
        lines += ["      " + (u if u.endswith("\n") else u + "\n      \\ no newline at end\n")
                  for u in ud]
    for who, r in (("kmod", d.kmod), ("ours", d.ours)):
        if any("stderr" in x or "exit" in x for x in d.reasons) and r.err:
            err = r.err.decode(errors="backslashreplace").splitlines()[:3]
            lines += [f"    {who} stderr: {e}\n" for e in err]
    return "".join(lines)


def fmt_cmd(cmd: list[str], limit: int = 12) -> str:
    if len(cmd) <= limit:
        return shlex.join(cmd)
    return shlex.join(cmd[:limit]) + f" ... ({len(cmd) - limit} more args)"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ours", required=True, help="rmodinfo binary to test")
    ap.add_argument("--kmod", default="/sbin/modinfo", help="reference modinfo")
    ap.add_argument("--quick", action="store_true",
                    help="sample: every 10th module, fewer aliases")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--show", type=int, default=3,
                    help="diffs shown per group/mode (default 3)")
    ap.add_argument("--diff-lines", type=int, default=40)
    ap.add_argument("--xz-step", type=int, default=4,
                    help="deb612 .ko.xz: modes other than full, -0 and -n use "
                         "every Nth module (default 4; 1 = all, slow)")
    ap.add_argument("--max-rerun", type=int, default=500,
                    help="per group/mode, at most about this many modules of "
                         "differing batches are re-run one by one (default 500)")
    ap.add_argument("--no-kmod-cache", action="store_true",
                    help="always run kmod (do not reuse its cached outputs)")
    ap.add_argument("--group", action="append", default=[],
                    help="only groups whose label contains this (repeatable)")
    ap.add_argument("--mode", action="append", default=[],
                    help="only modes matching this regex (repeatable)")
    opts = ap.parse_args(argv)

    t0 = time.monotonic()
    ours = os.path.abspath(opts.ours) if os.sep in opts.ours else opts.ours
    for tool in (ours, opts.kmod):
        if not (os.path.isfile(tool) and os.access(tool, os.X_OK)):
            print(f"modinfo-diff: cannot execute {tool}", file=sys.stderr)
            print("modinfo-diff: 0 passed, 1 failed")
            return 1

    errors: dict = {}
    info = trees.prepare(errors=errors)
    t_prep = time.monotonic() - t0
    for name, msg in errors.items():
        print(f"ERROR: tree {name} could not be prepared: {msg}")

    global KMOD_CACHE
    if not opts.no_kmod_cache:
        KMOD_CACHE = KmodCache(info["root"], opts.kmod, info)

    units = build_units(info, opts.quick, opts.batch, opts.group, opts.mode,
                        opts.xz_step)
    results = [UnitResult(u, opts.show) for u in units]
    tasks = []
    for r in results:
        n = len(r.unit.items)
        for s in range(0, n, r.unit.batch):
            tasks.append((r, list(range(s, min(n, s + r.unit.batch)))))
    print(f"modinfo-diff: ours={ours} kmod={opts.kmod} cache={info['root']}"
          f"{' (quick)' if opts.quick else ''}")
    for t in ("deb61", "deb612", "recomp"):
        if t in info:
            print(f"  tree {t}: release {info[t]['release']}, {info[t]['modules']} modules")
    if opts.xz_step > 1:
        print(f"  deb612 .ko.xz: modes other than full, -0, -n on every "
              f"{opts.xz_step}th module (--xz-step)")
    print(f"  {len(units)} group/mode units, {len(tasks)} batches, "
          f"prepare {t_prep:.1f}s", flush=True)

    with concurrent.futures.ThreadPoolExecutor(max_workers=opts.jobs) as ex:
        futs = [ex.submit(do_batch, r, idx, ours, opts.kmod, opts.max_rerun)
                for r, idx in tasks]
        for f in concurrent.futures.as_completed(futs):
            f.result()

    passed = failed = 0
    group = None
    for r in results:
        u = r.unit
        if u.group != group:
            group = u.group
            print(f"\n== {group} ==")
        ident = r.compared - min(r.compared, r.differing)
        passed += ident
        failed += r.differing
        mark = "ok  " if not r.differing else "FAIL"
        print(f"  {mark} {u.mode:24s} {r.compared:5d} compared, {ident:5d} identical, "
              f"{r.differing:5d} differing   (ours {r.ours_time:.1f}s)")
        if r.unbisected:
            print(f"    ({r.unbisected} modules of differing batches not re-run one by "
                  f"one: more than --max-rerun {opts.max_rerun} already were)")
        for d in r.diffs:
            sys.stdout.write(format_diff(d, u.sep, opts.diff_lines))
        rest = [w for _, w in sorted(r.names)][len(r.diffs):]
        if rest:
            names = ", ".join(os.path.basename(w) if w.startswith("/") and " " not in w
                              else w for w in rest[:20])
            print(f"    ... {len(rest)} more differing: {names}"
                  + (" ..." if len(rest) > 20 else ""))

    failed += len(errors)
    cache = (f", kmod cache {KMOD_CACHE.hits} hits / {KMOD_CACHE.misses} runs"
             if KMOD_CACHE else "")
    cpu = os.times()
    print(f"\ntime: {time.monotonic() - t0:.1f}s wall, "
          f"{cpu.children_user + cpu.children_system:.1f}s CPU in tools{cache}")
    print(f"modinfo-diff: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
