#!/usr/bin/env python3
"""Benchmark rdepmod against kmod's depmod, side by side.

For each Debian tree (tests/diff/trees.py: deb61 with plain .ko, deb612
with .ko.xz) both tools run `-a -b BASE RELEASE` on the same inputs, warm
cache, alternating kmod / rdepmod for several rounds; the outputs are
removed before every run so both do the whole job. Printed per tree: the
median wall time of each, the median of the per-round ratios
rdepmod/kmod, and the peak RSS of each (getrusage of the child).

Usage: bench-depmod.py [--ours target/release/rdepmod] [--kmod /sbin/depmod]
                       [--rounds N] [--tree deb61 --tree deb612] [--check]
With --check the exit status is 1 when a target is missed
(ratio <= 0.5 on deb61, <= 0.6 on deb612; peak RSS not above kmod's).
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

TARGETS = {"deb61": 0.5, "deb612": 0.6}
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
        if n.startswith("modules.") and n not in INPUTS:
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


def bench_tree(name: str, info: dict, tools: dict, rounds: int, work: str) -> dict:
    rel = info["release"]
    base, moddir = make_base(work, name, info["moddir"], rel)
    cmds = {who: [exe, "-a", "-b", base, rel] for who, exe in tools.items()}
    for who in tools:  # warm the page cache and both binaries
        clear(moddir)
        timed(cmds[who])
    times = {who: [] for who in tools}
    rss = {who: 0 for who in tools}
    ratios = []
    for r in range(rounds):
        order = ["kmod", "ours"] if r % 2 == 0 else ["ours", "kmod"]
        got = {}
        for who in order:
            clear(moddir)
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
    ap.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    opts = ap.parse_args(argv)
    wanted = opts.tree or ["deb61", "deb612"]
    info = trees.prepare(trees=tuple(wanted))
    tools = {"kmod": opts.kmod, "ours": os.path.abspath(opts.ours)}
    work = tempfile.mkdtemp(prefix="rkmod-bench-depmod-", dir="/var/tmp")
    missed = []
    try:
        print(f"{'tree':8} {'kmod':>8} {'rdepmod':>8} {'ratio':>6} {'target':>6}"
              f" {'RSS kmod':>9} {'RSS ours':>9}")
        for name in wanted:
            rounds = opts.rounds or (9 if name == "deb61" else 5)
            res = bench_tree(name, info[name], tools, rounds, work)
            target = TARGETS.get(name, 1.0)
            print(f"{name:8} {res['kmod']:7.3f}s {res['ours']:7.3f}s {res['ratio']:6.3f}"
                  f" {target:6.2f} {res['rss_kmod']:7d}KB {res['rss_ours']:7d}KB", flush=True)
            if res["ratio"] > target:
                missed.append(f"{name}: ratio {res['ratio']:.3f} > {target}")
            if res["rss_ours"] > res["rss_kmod"]:
                missed.append(f"{name}: peak RSS {res['rss_ours']} KB > kmod's {res['rss_kmod']} KB")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for m in missed:
        print(f"target missed: {m}")
    return 1 if (missed and opts.check) else 0


if __name__ == "__main__":
    sys.exit(main())
