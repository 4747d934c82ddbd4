#!/usr/bin/env python3
"""The real-kernel suite: boot a Debian kernel in QEMU (TCG) with an
initramfs holding busybox, the rkmod binaries and a small module tree, run a
scenario script inside, and count its `ok - ` / `FAIL - ` lines.

    python3 tests/vm/run.py --kernel 6.1 --bin-dir target/release
    python3 tests/vm/run.py --kernel 6.12 --bin-dir target/release

Installs what it needs (qemu-system-x86, busybox-static, cpio, the 6.12
package unpacked into a cache) when missing. Exits non-zero when a check
fails, when fewer checks ran than the scenario planned, or when the guest
never finished."""
import argparse
import glob
import gzip
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CACHE = os.environ.get("RKMOD_VM_CACHE", "/var/tmp/rkmod-vm")
SENTINEL = "RKMOD-VM-DONE"
TOOLS = ["rkmod", "rinsmod", "rrmmod", "rlsmod", "rmodinfo", "rmodprobe", "rdepmod"]
APPLETS = """sh ash mount umount cat grep ls mkdir echo sleep poweroff head tail wc sed tr cut
dmesg test [ printf true false rm cp ln find sort uniq diff env basename dirname xargs
chmod awk sync uname stat readlink id timeout""".split()
# Real modules with their dependency chains, copied from the kernel's tree.
REAL = ["virtio_net", "net_failover", "failover"]


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def have_pkg(name):
    r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", name],
                       capture_output=True, text=True)
    return "install ok installed" in r.stdout


def ensure_packages(names):
    missing = [n for n in names if not have_pkg(n)]
    if missing:
        print("installing:", " ".join(missing), flush=True)
        sh(["apt-get", "update", "-qq"])
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        sh(["apt-get", "install", "-y", "-qq"] + missing, env=env,
           stdout=subprocess.DEVNULL)


def kernel_61():
    images = sorted(glob.glob("/boot/vmlinuz-6.1.*-amd64"))
    if not images:
        ensure_packages(["linux-image-amd64"])
        images = sorted(glob.glob("/boot/vmlinuz-6.1.*-amd64"))
    image = images[-1]
    release = os.path.basename(image)[len("vmlinuz-"):]
    return image, release, f"/lib/modules/{release}"


def newest_generic(lines):
    """Package names from apt-cache output, newest last, without the
    realtime (-rt-) and cloud flavours."""
    names = [l.split()[0] for l in lines if l.strip()]
    return sorted(n for n in names if "-rt-" not in n and "-cloud-" not in n)


def kernel_612():
    out = subprocess.run(["apt-cache", "search", "--names-only",
                          r"^linux-image-6\.12.*-amd64-unsigned$"],
                         capture_output=True, text=True).stdout.split("\n")
    names = newest_generic(out)
    if not names:
        sh(["apt-get", "update", "-qq"])
        out = subprocess.run(["apt-cache", "search", "--names-only",
                              r"^linux-image-6\.12.*-amd64-unsigned$"],
                             capture_output=True, text=True).stdout.split("\n")
        names = newest_generic(out)
    if not names:
        sys.exit("vm-test: no linux-image-6.12 unsigned package found")
    pkg = names[-1]
    dest = os.path.join(CACHE, pkg)
    if not os.path.exists(os.path.join(dest, ".complete")):
        shutil.rmtree(dest, ignore_errors=True)
        os.makedirs(dest)
        with tempfile.TemporaryDirectory() as dl:
            os.chmod(dl, 0o777)  # apt's sandbox user writes the download
            sh(["apt-get", "download", "-qq", pkg], cwd=dl)
            deb = glob.glob(os.path.join(dl, "*.deb"))[0]
            sh(["dpkg-deb", "-x", deb, dest])
        open(os.path.join(dest, ".complete"), "w").close()
    image = sorted(glob.glob(os.path.join(dest, "boot/vmlinuz-*")))[-1]
    release = os.path.basename(image)[len("vmlinuz-"):]
    mods = [d for d in (os.path.join(dest, "lib/modules", release),
                        os.path.join(dest, "usr/lib/modules", release)) if os.path.isdir(d)]
    return image, release, mods[0]


def copy_libs(binary, rootfs):
    """Copy the shared libraries (and the loader) a binary needs."""
    out = subprocess.run(["ldd", binary], capture_output=True, text=True).stdout
    for line in out.splitlines():
        m = re.search(r"(/\S+)", line.split("=>")[-1])
        if not m:
            continue
        lib = m.group(1)
        dst = rootfs + lib
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if not os.path.exists(dst):
            shutil.copy2(os.path.realpath(lib), dst)


def module_file(moddir, name):
    """The file of a real module in the kernel's tree, any compression
    (modules.dep of the host tree says where; names may use - or _)."""
    names = {name, name.replace("_", "-"), name.replace("-", "_")}
    for ext in (".ko", ".ko.xz", ".ko.zst", ".ko.gz"):
        for n in names:
            hits = glob.glob(os.path.join(moddir, "kernel", "**", n + ext), recursive=True)
            if hits:
                return hits[0]
    return None


def build_initramfs(args, release, moddir, workdir):
    rootfs = os.path.join(workdir, "rootfs")
    for d in ("bin", "sbin", "proc", "sys", "dev", "tmp", "etc/modprobe.d", "run"):
        os.makedirs(os.path.join(rootfs, d), exist_ok=True)
    shutil.copy2("/bin/busybox", os.path.join(rootfs, "bin/busybox"))
    for a in APPLETS:
        os.symlink("busybox", os.path.join(rootfs, "bin", a))
    for t in TOOLS:
        src = os.path.join(args.bin_dir, t)
        shutil.copy2(src, os.path.join(rootfs, "bin", t))
        copy_libs(src, rootfs)
    tree = os.path.join(rootfs, "lib/modules", release)
    os.makedirs(os.path.join(tree, "extra"))
    # Broken variants (a wrong vermagic) stay outside the module tree, so
    # that name and alias lookups only find the real samples.
    os.makedirs(os.path.join(rootfs, "opt/rkmod"))
    if args.modules and os.path.isdir(args.modules):
        for ko in glob.glob(os.path.join(args.modules, "*.ko")):
            where = "opt/rkmod" if "badmagic" in ko else os.path.join(tree, "extra")
            shutil.copy2(ko, os.path.join(rootfs, where))
    rmodinfo = os.path.join(args.bin_dir, "rmodinfo")
    todo, seen = list(REAL + args.extra_real), set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        src = module_file(moddir, name)
        if src is None:
            sys.exit(f"vm-test: {name} not found under {moddir}")
        dst = os.path.join(tree, os.path.relpath(src, moddir))
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy2(src, dst)
        deps = subprocess.run([rmodinfo, "-F", "depends", src], capture_output=True,
                              text=True, check=True).stdout.strip()
        todo.extend(d for d in deps.split(",") if d)
    for f in ("modules.order", "modules.builtin", "modules.builtin.modinfo"):
        if os.path.exists(os.path.join(moddir, f)):
            shutil.copy2(os.path.join(moddir, f), tree)
    shutil.copy2(os.path.join(HERE, "lib.sh"), os.path.join(rootfs, "lib.sh"))
    shutil.copy2(args.scenario, os.path.join(rootfs, "scenario.sh"))
    with open(os.path.join(rootfs, "init"), "w") as f:
        f.write(f"""#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
export PATH=/bin:/sbin
cd /
echo "vm: kernel $(uname -r)"
sh /scenario.sh
echo "{SENTINEL}"
sync
poweroff -f
""")
    os.chmod(os.path.join(rootfs, "init"), 0o755)
    listing = subprocess.run(["find", "."], cwd=rootfs, capture_output=True,
                             check=True).stdout
    cpio = subprocess.run(["cpio", "--quiet", "-o", "-H", "newc"], cwd=rootfs,
                          input=listing, capture_output=True, check=True).stdout
    initrd = os.path.join(workdir, "initrd.gz")
    with gzip.open(initrd, "wb", compresslevel=1) as f:
        f.write(cpio)
    return initrd


def boot(image, initrd, append, timeout):
    cmd = ["qemu-system-x86_64", "-accel", "tcg", "-m", "768", "-smp", "1",
           "-nographic", "-no-reboot", "-kernel", image, "-initrd", initrd,
           "-append", f"console=ttyS0 panic=-1 loglevel=4 {append}".strip()]
    try:
        r = subprocess.run(cmd, capture_output=True, timeout=timeout)
        return r.stdout.decode(errors="replace"), False
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace")
        return out, True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernel", choices=["6.1", "6.12"], default="6.1")
    ap.add_argument("--bin-dir", default=os.path.join(ROOT, "target/release"))
    ap.add_argument("--modules", help="directory of extra .ko files (default: testdata/kernel/<release>)")
    ap.add_argument("--scenario")
    ap.add_argument("--extra-real", nargs="*", default=[])
    ap.add_argument("--append", default="")
    ap.add_argument("--timeout", type=int, default=300)
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()
    ensure_packages(["qemu-system-x86", "busybox-static", "cpio"])
    image, release, moddir = kernel_61() if args.kernel == "6.1" else kernel_612()
    if args.modules is None:
        args.modules = os.path.join(ROOT, "testdata/kernel", release)
    if args.scenario is None:
        args.scenario = os.path.join(HERE, f"scenario-{args.kernel}.sh")
    workdir = tempfile.mkdtemp(prefix="rkmod-vm-")
    t0 = time.time()
    try:
        initrd = build_initramfs(args, release, moddir, workdir)
        out, timed_out = boot(image, initrd, args.append, args.timeout)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    passed = failed = 0
    plan = None
    for line in out.splitlines():
        line = line.rstrip("\r")
        m = re.match(r"^plan (\d+)$", line)
        if m:
            plan = int(m.group(1))
        if line.startswith("ok - "):
            passed += 1
            print(line)
        elif line.startswith("FAIL - "):
            failed += 1
            print(line)
        elif line.startswith(("  | ", "vm: ")):
            print(line)
    finished = SENTINEL in out
    problems = []
    if timed_out:
        problems.append(f"timed out after {args.timeout}s")
    if not finished:
        problems.append("the guest did not finish the scenario")
    if plan is not None and passed + failed < plan:
        problems.append(f"only {passed + failed} of {plan} planned checks ran")
        failed += plan - passed - failed
    if problems:
        print("\n".join("vm-test: " + p for p in problems))
        print("---- console (last 60 lines) ----")
        print("\n".join(out.splitlines()[-60:]))
    print(f"vm-test {args.kernel} ({release}, {time.time() - t0:.0f}s): {passed} passed, {failed} failed")
    sys.exit(1 if failed or problems else 0)


if __name__ == "__main__":
    main()
