#!/usr/bin/env python3
"""Differential test: Debian's dracut-install on a libkmod.so.2 against kmod's.

``dracut-install -m`` (package dracut-core) resolves kernel modules through
libkmod (lookup by name, alias or path, dependencies, softdeps, the
``firmware`` modinfo keys, symbol filters) and copies what an initramfs
needs into a DESTDIR. The same dracut-install binary is run twice per case:
with kmod's library (the system's libkmod.so.2, Debian's kmod 30, or
``--ref-lib DIR``) and with the library under judgement (``--lib DIR``, put
first on LD_LIBRARY_PATH). Per case the exit status, stdout, stderr (DESTDIR
paths normalised) and the DESTDIR's tree (every path with its kind, a
symlink's target, a file's size) must be the same.

Trees: Debian's 6.1 (``.ko``) and 6.12 (``.ko.xz``) from ``trees.py``.
Cases per tree: every ``--step``th module (sorted path; by name, one per
run), every module named in ``modules.softdep``, a list of drivers with
firmware, aliases (``fs-ext4``, ``crypto-sha256``...), modules by absolute
path, ``=subdir`` walks with the ``-s``/``-S``/``-p``/``-P``/``-N``
filters dracut's own module scripts use, ``--modalias`` (this host's devices
looked up in the tree), host-only ``-H`` (loaded modules only), a missing
module (with and without ``-o``), and one batch with all the named modules
at once (an initramfs); a few again with ``KMOD_LOG=info``. libkmod's
default log lines on stderr are compared without the source file and line
a debug build of kmod (Debian's) adds, and with pointers masked.

Firmware: a scratch ``--firmwaredirs`` per tree holds a file for 2 of 3 of
the names the tree's modules declare (names taken with kmod's
``/sbin/modinfo -F firmware``), every 7th of them a symlink into a
subdirectory, so installed, missing and symlinked firmware are all seen.

dracut-install: ``--dracut-install PATH``, else the installed
``/usr/lib/dracut/dracut-install``, else the one extracted (``apt-get
download dracut-core`` + ``dpkg-deb -x``, never installed: on Debian 12 the
package pulls in lvm2, cryptsetup and a mail server) under
``/var/tmp/rkmod-dracut``.

Usage: libkmod_dracut_diff.py --lib DIR [--ref-lib DIR] [--step 20] [--quick]
DIR holds libkmod.so.2 (or libkmod.so, e.g. a cargo target directory).
Last line: ``libkmod-dracut-diff: N passed, M failed``; exit status 1 when
M > 0 or nothing could be run.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import difflib
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import trees  # noqa: E402

EXTRACT_DIR = "/var/tmp/rkmod-dracut"
INSTALLED = "/usr/lib/dracut/dracut-install"
TIMEOUT = 300

# drivers that declare firmware (and, several, softdeps)
FIRMWARE_DRIVERS = [
    "i915", "amdgpu", "radeon", "nouveau", "iwlwifi", "iwlmvm", "ath10k_pci",
    "ath11k_pci", "ath9k_htc", "r8169", "tg3", "bnx2", "bnx2x", "e100",
    "btusb", "btintel", "snd_hda_intel", "snd_hda_codec_hdmi", "qla2xxx",
    "mt7921e", "rtw88_8822be", "rtl8192ce", "brcmfmac", "ice", "xhci_pci",
    "ipw2200", "qed", "cxgb4", "mwifiex_pcie", "ast",
]
ALIASES = [
    "fs-ext4", "fs-btrfs", "crypto-sha256", "crypto-aes", "net-pf-10",
    "char-major-10-229", "block-major-8-0", "pci:v00008086d000010D3sv*sd*bc*sc*i*",
    "usb:v0BDAp8153d*dc*dsc*dp*ic*isc*ip*in*", "virtio:d00000001v*",
    "devname:fuse", "platform:i8042",
]
SUBDIRS = [
    # (arguments before the module list, the =subdir arguments)
    ([], ["=fs/btrfs"]),
    ([], ["=drivers/md"]),
    ([], ["=crypto"]),
    (["-s", "ahci_platform_get_resources|ata_scsi_queuecmd"], ["=drivers/ata"]),
    (["-s", "scsi_add_host|scsi_add_host_with_dma"], ["=drivers/scsi"]),
    (["-S", "usb_register_driver"], ["=drivers/hid"]),
    (["-p", "/(intel|realtek)/"], ["=drivers/net/ethernet/intel", "=drivers/net/ethernet/realtek"]),
    (["-P", "/(wireless|usb)/"], ["=drivers/net"]),
    (["-N", "^(nvme|nvme_tcp)$"], ["=drivers/nvme"]),
    (["-s", "register_virtio_device|register_virtio_driver"], ["=drivers/virtio", "=drivers/block"]),
]
MISSING = ["rkmod_no_such_module"]


# libkmod's default log line as a build with debug on writes it (Debian's
# kmod 30: "libkmod: ERROR ../libkmod/libkmod-module.c:1725 fn: ...") and
# as without (kmod 34's default, ours: "libkmod: ERROR: fn: ...")
DEBUG_LOG = re.compile(r"^libkmod: ([A-Z]+) \S+\.c:\d+ (\w+): ")
# pointers in log lines ("ctx 0x55d6a159e7a0 created") differ run to run
POINTER = re.compile(r"0x[0-9a-f]{8,}")


def log(msg: str) -> None:
    print(msg, flush=True)


# ------------------------------------------------------------------ setup

def find_dracut_install(arg: str | None) -> str:
    if arg:
        return arg
    if os.access(INSTALLED, os.X_OK):
        return INSTALLED
    extracted = os.path.join(EXTRACT_DIR, "usr/lib/dracut/dracut-install")
    if os.access(extracted, os.X_OK):
        return extracted
    os.makedirs(EXTRACT_DIR, exist_ok=True)
    dl = os.path.join(EXTRACT_DIR, "deb")
    os.makedirs(dl, exist_ok=True)
    subprocess.run(["apt-get", "download", "dracut-core"], cwd=dl, check=True,
                   stdout=subprocess.DEVNULL)
    debs = sorted(glob.glob(os.path.join(dl, "dracut-core_*.deb")))
    if not debs:
        raise RuntimeError("apt-get download dracut-core gave no .deb")
    subprocess.run(["dpkg-deb", "-x", debs[-1], EXTRACT_DIR], check=True)
    return extracted


def lib_dir(d: str, tmp: str, name: str) -> tuple[str, str]:
    """A directory with only libkmod.so.2 (-> the library in d)."""
    for cand in ("libkmod.so.2", "libkmod.so"):
        p = os.path.join(d, cand)
        if os.path.exists(p):
            real = os.path.realpath(p)
            out = os.path.join(tmp, name)
            os.makedirs(out)
            os.symlink(real, os.path.join(out, "libkmod.so.2"))
            return out, real
    raise RuntimeError(f"no libkmod.so.2 (nor libkmod.so) in {d}")


def env_for(libdir: str | None) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("LD_LIBRARY_PATH", "LD_PRELOAD", "KMOD_LOG")}
    env["LC_ALL"] = "C"
    if libdir:
        env["LD_LIBRARY_PATH"] = libdir
    return env


def loaded_lib(exe: str, env: dict) -> str:
    r = subprocess.run([exe], env=dict(env, LD_TRACE_LOADED_OBJECTS="1"),
                       capture_output=True, text=True)
    for line in r.stdout.splitlines():
        if "libkmod.so" in line and "=>" in line:
            return os.path.realpath(line.split("=>")[1].split()[0])
    return "?"


def firmware_names(moddir: str, paths: list[str]) -> list[str]:
    names: set[str] = set()
    for i in range(0, len(paths), 200):
        r = subprocess.run(["/sbin/modinfo", "-F", "firmware", *paths[i:i + 200]],
                           capture_output=True, text=True, check=False)
        names.update(n.strip() for n in r.stdout.splitlines() if n.strip())
    return sorted(names)


def make_firmware(fwdir: str, names: list[str]) -> dict:
    made = linked = missing = 0
    for i, n in enumerate(names):
        if "*" in n or "?" in n or n.startswith("/") or ".." in n:
            continue
        if i % 3 == 2:
            missing += 1
            continue
        dst = os.path.join(fwdir, n)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if i % 7 == 0:
            real = os.path.join(fwdir, "rkmod-real", n)
            os.makedirs(os.path.dirname(real), exist_ok=True)
            with open(real, "w") as f:
                f.write(n + "\n")
            os.symlink(os.path.relpath(real, os.path.dirname(dst)), dst)
            linked += 1
        else:
            with open(dst, "w") as f:
                f.write(n + "\n")
            made += 1
    return {"files": made, "symlinks": linked, "missing": missing}


def cases_for(tree: str, moddir: str, paths: list[str], step: int, quick: bool):
    """(name, args) pairs; args follow -m / the filters."""
    rel = sorted(os.path.relpath(p, moddir) for p in paths)
    name_of = {}
    for r in rel:
        base = os.path.basename(r)
        name_of[r] = re.sub(r"\.ko(\.(xz|zst|gz))?$", "", base)
    names = set(name_of.values())
    out: list[tuple[str, list[str]]] = []
    chosen = [name_of[r] for r in rel[::step]]
    if quick:
        chosen = chosen[::5]
    for n in chosen:
        out.append((f"{tree} -m {n}", ["-m", n]))
    soft = []
    with open(os.path.join(moddir, "modules.softdep")) as f:
        for line in f:
            w = line.split()
            if len(w) >= 2 and w[0] == "softdep":
                soft.append(w[1])
    for n in sorted(set(soft)):
        out.append((f"{tree} -m {n} (softdep)", ["-m", n]))
    fw = [n for n in FIRMWARE_DRIVERS if n in names or n.replace("_", "-") in names]
    for n in fw:
        out.append((f"{tree} -m {n} (firmware)", ["-m", n]))
    for a in ALIASES:
        out.append((f"{tree} -m {a} (alias)", ["-m", a]))
    for r in rel[7::step * 5]:
        p = os.path.join(moddir, r)
        out.append((f"{tree} -m /{r} (path)", ["-m", p]))
    for flt, subs in SUBDIRS:
        out.append((f"{tree} {' '.join(flt)} -m {' '.join(subs)}".replace("  ", " "),
                    flt + ["-m", *subs]))
    # the host's devices (/sys/devices/**/modalias) looked up in the tree;
    # host-only: only loaded modules (/proc/modules; where there is none,
    # libkmod's error and dracut-install's fallback)
    out.append((f"{tree} --modalias", ["--modalias"]))
    out.append((f"{tree} -H -m =drivers/virtio ext4 (host-only)",
                ["-H", "-m", "=drivers/virtio", "ext4"]))
    # libkmod's own messages at info priority (context made and released,
    # errors), through its default log function
    for what in (["-m", "ext4", MISSING[0]], ["-m", "i915"], ["-H", "-m", "virtio_blk"]):
        out.append((f"{tree} KMOD_LOG=info {' '.join(what)}", ["KMOD_LOG=info", *what]))
    for m in MISSING:
        out.append((f"{tree} -m {m} (missing)", ["-m", m]))
        out.append((f"{tree} -o -m {m} (missing, optional)", ["-o", "-m", m]))
    batch = sorted(set(chosen + soft + fw + ALIASES))
    out.append((f"{tree} -m <{len(batch)} modules at once>", ["-m", *batch]))
    return out


# ------------------------------------------------------------------ run

def snapshot(dest: str) -> list[str]:
    rows = []
    for root, dirs, files in os.walk(dest):
        for n in sorted(dirs + files):
            p = os.path.join(root, n)
            rp = os.path.relpath(p, dest)
            if os.path.islink(p):
                rows.append(f"{rp} -> {os.readlink(p)}")
            elif os.path.isdir(p):
                rows.append(f"{rp}/")
            else:
                rows.append(f"{rp} {os.path.getsize(p)}")
    return sorted(rows)


def run_one(exe: str, env: dict, moddir: str, fwdir: str, args: list[str],
            dest: str) -> list[str]:
    shutil.rmtree(dest, ignore_errors=True)
    os.makedirs(dest)
    if args and args[0].startswith("KMOD_LOG="):
        env = dict(env, KMOD_LOG=args[0].split("=", 1)[1])
        args = args[1:]
    cmd = ["nice", "-n", "10", exe, "-D", dest, "--kerneldir", moddir,
           "--firmwaredirs", fwdir, *args]
    try:
        r = subprocess.run(cmd, env=env, capture_output=True, timeout=TIMEOUT)
        status = str(r.returncode)
        out, err = r.stdout, r.stderr
    except subprocess.TimeoutExpired:
        status, out, err = "timeout", b"", b""
    text = lambda b: b.decode("utf-8", "replace").replace(dest, "$DEST")  # noqa: E731
    res = [f"status {status}"]
    res += ["stdout: " + line for line in text(out).splitlines()]
    res += ["stderr: " + POINTER.sub("0xPTR", DEBUG_LOG.sub(r"libkmod: \1: \2: ", line))
            for line in text(err).splitlines()]
    res += ["file: " + row for row in snapshot(dest)]
    shutil.rmtree(dest, ignore_errors=True)
    return res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lib", required=True, help="directory with the libkmod.so.2 to judge")
    ap.add_argument("--ref-lib", help="directory with kmod's libkmod.so.2 "
                    "(default: the system's)")
    ap.add_argument("--dracut-install")
    ap.add_argument("--step", type=int, default=20)
    ap.add_argument("--quick", action="store_true", help="a fifth of the every-Nth modules")
    ap.add_argument("--trees", default="deb61,deb612")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    t0 = time.monotonic()

    exe = find_dracut_install(args.dracut_install)
    wanted = tuple(args.trees.split(","))
    errors: dict = {}
    info = trees.prepare(trees=wanted, errors=errors)
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="libkmod-dracut-", dir="/var/tmp") as tmp:
        ours_dir, ours_real = lib_dir(args.lib, tmp, "ours")
        ref_dir, ref_real = (lib_dir(args.ref_lib, tmp, "ref") if args.ref_lib
                             else (None, None))
        ours_env, ref_env = env_for(ours_dir), env_for(ref_dir)
        got_ours, got_ref = loaded_lib(exe, ours_env), loaded_lib(exe, ref_env)
        log(f"dracut-install: {exe}")
        log(f"kmod's library: {got_ref}")
        log(f"judged library: {got_ours}")
        if got_ours != ours_real or (ref_real and got_ref != ref_real):
            log("FAIL  dracut-install does not load the libraries asked for")
            print("libkmod-dracut-diff: 0 passed, 1 failed")
            return 1
        for tree in wanted:
            if tree not in info:
                log(f"FAIL  tree {tree} could not be prepared: {errors.get(tree)}")
                failed += 1
                continue
            moddir = info[tree]["moddir"]
            paths = trees.module_paths(tree)
            fwdir = os.path.join(tmp, f"firmware-{tree}")
            os.makedirs(fwdir)
            fw = make_firmware(fwdir, firmware_names(moddir, paths))
            cases = cases_for(tree, moddir, paths, args.step, args.quick)
            log(f"{tree}: {len(paths)} modules, {len(cases)} cases, firmware {fw}")

            def one(i_case):
                i, (name, cargs) = i_case
                ref = run_one(exe, ref_env, moddir, fwdir, cargs,
                              os.path.join(tmp, f"dest-{tree}-{i}-ref"))
                ours = run_one(exe, ours_env, moddir, fwdir, cargs,
                               os.path.join(tmp, f"dest-{tree}-{i}-ours"))
                return name, ref, ours

            with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as ex:
                for name, ref, ours in ex.map(one, enumerate(cases)):
                    nfiles = sum(1 for r in ref if r.startswith("file: ") and not r.endswith("/"))
                    if ref == ours:
                        passed += 1
                        if args.verbose:
                            log(f"ok    {name} ({nfiles} entries)")
                    else:
                        failed += 1
                        log(f"FAIL  {name}")
                        diff = list(difflib.unified_diff(ref, ours, "kmod", "ours",
                                                         lineterm="", n=1))
                        for line in diff[2:40]:
                            log("      " + line)
                        if len(diff) > 40:
                            log(f"      ... {len(diff) - 40} more diff lines")
    log(f"took {time.monotonic() - t0:.0f}s")
    print(f"libkmod-dracut-diff: {passed} passed, {failed} failed")
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
