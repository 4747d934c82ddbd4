#!/usr/bin/env python3
"""Benchmark rdepmod against kmod's depmod, side by side.

For each Debian tree (tests/diff/trees.py: deb61 with plain .ko, deb612
with .ko.xz) both tools run `-a -b BASE RELEASE` on the same inputs, warm
page cache, alternating kmod / rdepmod for several rounds, in three cases:

* first:     outputs and rdepmod's cache (modules.rkmod-cache) removed
             before every run, so both do the whole job;
* unchanged: a re-run with nothing changed (rdepmod through the cache its
             previous run left);
* one-new:   one module (a copy of a real one under updates/dkms) written
             anew before every run: the DKMS case.

kmod has no cache: it does the whole job in every case. Printed per tree
and case: the median wall time of each, the median of the per-round ratios
rdepmod/kmod, the target, and the peak RSS of each (getrusage of the
child).

Usage: bench-depmod.py [--ours target/release/rdepmod] [--kmod /sbin/depmod]
                       [--rounds N] [--tree deb61 --tree deb612]
                       [--case first --case unchanged --case one-new] [--check]
With --check the exit status is 1 when a target is missed (the ratios of
TARGETS; peak RSS not above kmod's).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "diff"))
import trees  # noqa: E402

# (tree, case): the highest ratio rdepmod/kmod allowed (issue 14).
TARGETS = {
    ("deb61", "first"): 0.25, ("deb612", "first"): 0.5,
    ("deb61", "unchanged"): 0.1, ("deb612", "unchanged"): 0.05,
    ("deb61", "one-new"): 0.1, ("deb612", "one-new"): 0.1,
}
CASES = ("first", "unchanged", "one-new")
CACHE = "modules.rkmod-cache"
INPUTS = ("modules.order", "modules.builtin", "modules.builtin.modinfo")


def make_base(work: str, name: str, moddir_src: str, release: str) -> tuple[str, str]:
    base = os.path.join(work, name)
    moddir = os.path.join(base, "lib", "modules", release)
    os.makedirs(moddir)
    os.symlink(os.path.join(moddir_src, "kernel"), os.path.join(moddir, "kernel"))
    for f in INPUTS:
        src = os.path.join(moddir_src, f)
        if os.path.exists(src):
            shutil.copy(src, moddir)
    return base, moddir


def clear(moddir: str) -> None:
    for n in os.listdir(moddir):
        if n.startswith("modules.") and n not in INPUTS:  # the cache too
            os.unlink(os.path.join(moddir, n))


def timed(cmd: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one run."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    elapsed = time.perf_counter() - t0
    err = p.stderr.read() if p.stderr else b""
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise RuntimeError(f"{cmd} failed ({p.returncode}): {err.decode()}")
    return elapsed, usage.ru_maxrss


def dkms_module(info: dict) -> tuple[str, bytes]:
    """A mid-sized real module of the tree: (file name, bytes)."""
    src = info["moddir"]
    with open(os.path.join(src, "modules.dep")) as f:
        paths = [line.split(":", 1)[0] for line in f]
    sized = sorted((os.path.getsize(os.path.join(src, p)), p) for p in paths)
    _, rel = sized[len(sized) // 2]
    with open(os.path.join(src, rel), "rb") as f:
        return "rkmod-bench-" + os.path.basename(rel), f.read()


def bench_tree(name: str, info: dict, tools: dict, rounds: int, work: str,
               case: str) -> dict:
    rel = info["release"]
    base, moddir = make_base(work, f"{name}-{case}", info["moddir"], rel)
    cmds = {who: [exe, "-a", "-b", base, rel] for who, exe in tools.items()}
    dkms_name, dkms_data = dkms_module(info)
    dkms_dir = os.path.join(moddir, "updates", "dkms")

    def prepare(who: str) -> None:
        if case == "first":
            clear(moddir)
        elif case == "one-new":
            os.makedirs(dkms_dir, exist_ok=True)
            path = os.path.join(dkms_dir, dkms_name)
            tmp = path + ".tmp"
            with open(tmp, "wb") as f:
                f.write(dkms_data)
            os.rename(tmp, path)  # as make modules_install / dkms install
            time.sleep(0.02)  # past the file-system clock tick

    for who in ("kmod", "ours", "ours"):  # warm the page cache, both binaries, the cache
        prepare(who)
        timed(cmds[who])
    times = {who: [] for who in tools}
    rss = {who: 0 for who in tools}
    ratios = []
    for r in range(rounds):
        order = ["kmod", "ours"] if r % 2 == 0 else ["ours", "kmod"]
        got = {}
        for who in order:
            prepare(who)
            t, m = timed(cmds[who])
            got[who] = t
            times[who].append(t)
            rss[who] = max(rss[who], m)
        ratios.append(got["ours"] / got["kmod"])
    clear(moddir)
    return {
        "kmod": statistics.median(times["kmod"]),
        "ours": statistics.median(times["ours"]),
        "ratio": statistics.median(ratios),
        "rss_kmod": rss["kmod"],
        "rss_ours": rss["ours"],
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    root = os.path.normpath(os.path.join(HERE, ".."))
    ap.add_argument("--ours", default=os.path.join(root, "target", "release", "rdepmod"))
    ap.add_argument("--kmod", default="/sbin/depmod")
    ap.add_argument("--rounds", type=int, default=0,
                    help="alternating rounds (default 9 for deb61, 5 for deb612)")
    ap.add_argument("--tree", action="append", default=[])
    ap.add_argument("--case", action="append", default=[], choices=CASES)
    ap.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    opts = ap.parse_args(argv)
    wanted = opts.tree or ["deb61", "deb612"]
    cases = opts.case or list(CASES)
    info = trees.prepare(trees=tuple(wanted))
    tools = {"kmod": opts.kmod, "ours": os.path.abspath(opts.ours)}
    work = tempfile.mkdtemp(prefix="rkmod-bench-depmod-", dir="/var/tmp")
    missed = []
    try:
        print(f"{'tree':8} {'case':10} {'kmod':>8} {'rdepmod':>8} {'ratio':>6} {'target':>6}"
              f" {'RSS kmod':>9} {'RSS ours':>9}")
        for name in wanted:
            for case in cases:
                rounds = opts.rounds or (9 if name == "deb61" else 5)
                res = bench_tree(name, info[name], tools, rounds, work, case)
                target = TARGETS.get((name, case), 1.0)
                print(f"{name:8} {case:10} {res['kmod']:7.3f}s {res['ours']:7.3f}s"
                      f" {res['ratio']:6.3f} {target:6.2f} {res['rss_kmod']:7d}KB"
                      f" {res['rss_ours']:7d}KB", flush=True)
                if res["ratio"] > target:
                    missed.append(f"{name} {case}: ratio {res['ratio']:.3f} > {target}")
                if res["rss_ours"] > res["rss_kmod"]:
                    missed.append(f"{name} {case}: peak RSS {res['rss_ours']} KB > "
                                  f"kmod's {res['rss_kmod']} KB")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for m in missed:
        print(f"target missed: {m}")
    return 1 if (missed and opts.check) else 0


if __name__ == "__main__":
    sys.exit(main())
