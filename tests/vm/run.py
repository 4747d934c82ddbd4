#!/usr/bin/env python3
"""The real-kernel suite: boot a Debian kernel in QEMU (TCG) with an
initramfs holding busybox, the rkmod binaries and a small module tree, run a
scenario script inside, and count its `ok - ` / `FAIL - ` lines.

    python3 tests/vm/run.py --kernel 6.1 --bin-dir target/release
    python3 tests/vm/run.py --kernel 6.12 --bin-dir target/release
    python3 tests/vm/run.py --kernel 6.1 --scenario tests/vm/scenario-harness.sh

Installs what it needs (qemu-system-x86, busybox-static, cpio, kmod, the 6.12
package unpacked into a cache) when missing. Exits non-zero when a check
fails, when fewer checks ran than the scenario planned (or it planned none),
when the guest's own count of its result lines differs from what arrived on
the console, or when the guest never finished (timeout, panic). See
tests/vm/README.md."""
import argparse
import fnmatch
import glob
import gzip
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
APPLETS = """mount umount cat grep ls mkdir echo sleep poweroff head tail wc sed tr cut
dmesg test [ printf true false rm cp ln find sort uniq diff env basename dirname xargs
chmod awk sync uname stat readlink id timeout tee xz unxz xzcat od""".split()
# Never on PATH: busybox's module applets would shadow the tools under test
# (a scenario may still call them explicitly as `busybox insmod ...`).
# /bin/sh is the host's dash, not busybox ash: Debian's busybox is built with
# FEATURE_SH_STANDALONE, so its ash runs its own applets for a bare
# `modprobe` or `insmod` whatever PATH holds; dash only looks in PATH.
NOT_APPLETS = {"insmod", "rmmod", "lsmod", "modprobe", "depmod", "modinfo"}
assert not NOT_APPLETS & set(APPLETS)
# Real modules with their dependency chains, copied from the kernel's tree.
REAL = ["virtio_net", "net_failover", "failover"]
# --libkmod: Debian's own programs that link libkmod.so.2, copied with their
# libraries at their own paths (pciutils is installed when missing), and the
# kernel's drivers for the guest's PCI devices (PIIX3 IDE, PIIX4 SMBus), so
# that `lspci -k` has modules to name and udev's kmod builtin a device to
# load a driver for.
LIBKMOD_PROGRAMS = ["/lib/systemd/systemd-modules-load", "/usr/bin/udevadm", "/usr/bin/lspci"]
# udevd is udevadm called by another name; its only rules are the drivers'
# (`kmod load` for every device with a MODALIAS).
LIBKMOD_LINKS = {"/lib/systemd/systemd-udevd": "/usr/bin/udevadm"}
LIBKMOD_FILES = ["/usr/lib/udev/rules.d/80-drivers.rules"]
LIBKMOD_PACKAGES = ["systemd", "udev", "pciutils"]
LIBKMOD_REAL = ["i2c_piix4", "ata_piix", "ata_generic"]
# Kernel parameters that libkmod, not the kernel, applies: a module's
# option and a blacklist on the kernel command line (kmod reads /proc/cmdline).
LIBKMOD_APPEND = "khello.msg=from_cmdline modprobe.blacklist=ata_generic"
# Where the guest finds the library under test (LD_LIBRARY_PATH=LIBKMOD_DIR).
LIBKMOD_DIR = "/opt/libkmod"


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def have_pkg(name):
    r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", name],
                       capture_output=True, text=True)
    return "install ok installed" in r.stdout


_apt_updated = False


def apt_update():
    """`apt-get update`, at most once per run."""
    global _apt_updated
    if not _apt_updated:
        sh(["apt-get", "update", "-qq"])
        _apt_updated = True


def ensure_packages(names):
    missing = [n for n in names if not have_pkg(n)]
    if missing:
        print("installing:", " ".join(missing), flush=True)
        apt_update()
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        sh(["apt-get", "install", "-y", "-qq"] + missing, env=env,
           stdout=subprocess.DEVNULL)


def depends_of(meta):
    """The package a metapackage's candidate depends on first, e.g.
    linux-image-amd64 -> linux-image-6.1.0-57-amd64: what the archive
    resolves it to today (apt-get update once when apt knows none)."""
    for attempt in range(2):
        out = subprocess.run(["apt-cache", "depends", meta], capture_output=True,
                             text=True).stdout
        m = re.search(r"^\s*Depends:\s*(\S+)", out, re.M)
        if m:
            return m.group(1)
        apt_update()
    sys.exit(f"vm-test: apt does not resolve {meta} to a package")


def kernel_61():
    """The 6.1 kernel that linux-image-amd64 resolves to today, installed
    when missing; never an older image that happens to be in /boot."""
    pkg = depends_of("linux-image-amd64")
    release = pkg[len("linux-image-"):]
    if not have_pkg(pkg):
        ensure_packages(["linux-image-amd64", pkg])
    image = f"/boot/vmlinuz-{release}"
    if not os.path.exists(image):
        sys.exit(f"vm-test: {pkg} is installed but {image} is missing")
    return image, release, f"/lib/modules/{release}"


def version_key(name):
    """Sort key comparing the digit runs of a name as numbers, so that
    6.12.9 sorts before 6.12.117."""
    return [(0, int(t), "") if t.isdigit() else (1, 0, t)
            for t in re.findall(r"\d+|\D+", name)]


def newest_generic(lines):
    """Package names from apt-cache output, newest last, without the
    realtime (-rt-) and cloud flavours."""
    names = [l.split()[0] for l in lines if l.strip()]
    return sorted((n for n in names if "-rt-" not in n and "-cloud-" not in n),
                  key=version_key)


def candidate_version(pkg):
    out = subprocess.run(["apt-cache", "policy", pkg], capture_output=True,
                         text=True).stdout
    m = re.search(r"Candidate:\s*(\S+)", out)
    return m.group(1) if m and m.group(1) != "(none)" else None


def unpacked_version(dest, pkg):
    """The Debian version of an unpacked package: recorded in .complete
    by this script, or read from the package's changelog."""
    stamp = os.path.join(dest, ".complete")
    if not os.path.exists(stamp):
        return None
    version = open(stamp).read().strip()
    if not version:
        log = os.path.join(dest, "usr/share/doc", pkg, "changelog.Debian.gz")
        try:
            with gzip.open(log, "rt") as f:
                m = re.match(r"\S+ \(([^)]+)\)", f.readline())
            version = m.group(1) if m else ""
        except OSError:
            pass
    return version or None


def unpack_package(pkg, dest):
    """apt-get download PKG and unpack it into DEST (never installed),
    keyed by the package's version: a new Debian revision is fetched again."""
    want = candidate_version(pkg)
    have = unpacked_version(dest, pkg)
    if have and (want is None or have == want):
        return dest
    if want is None:
        apt_update()
        want = candidate_version(pkg)
    print(f"vm-test: fetching {pkg} {want or ''}", flush=True)
    shutil.rmtree(dest, ignore_errors=True)
    os.makedirs(dest)
    with tempfile.TemporaryDirectory() as dl:
        os.chmod(dl, 0o777)  # apt's sandbox user writes the download
        sh(["apt-get", "download", "-qq", f"{pkg}={want}" if want else pkg], cwd=dl)
        deb = glob.glob(os.path.join(dl, "*.deb"))[0]
        sh(["dpkg-deb", "-x", deb, dest])
    with open(os.path.join(dest, ".complete"), "w") as f:
        f.write((want or unpacked_version(dest, pkg) or "") + "\n")
    return dest


def image_612_package():
    query = ["apt-cache", "search", "--names-only", r"^linux-image-6\.12.*-amd64-unsigned$"]
    names = newest_generic(subprocess.run(query, capture_output=True, text=True).stdout.split("\n"))
    if not names:
        apt_update()
        names = newest_generic(subprocess.run(query, capture_output=True, text=True).stdout.split("\n"))
    if not names:
        sys.exit("vm-test: no linux-image-6.12 unsigned package found")
    return names[-1]


def kernel_612():
    pkg = image_612_package()
    dest = unpack_package(pkg, os.path.join(CACHE, pkg))
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


def module_index(moddir):
    """The kernel's own modules by name (- and _ alike): name -> file, any
    compression, .ko preferred."""
    rank = {".ko": 0, ".ko.xz": 1, ".ko.zst": 2, ".ko.gz": 3}
    index = {}
    for dirpath, _, files in os.walk(os.path.join(moddir, "kernel")):
        for f in files:
            m = re.match(r"^(.*?)(\.ko(?:\.xz|\.zst|\.gz)?)$", f)
            if not m:
                continue
            name = m.group(1).replace("-", "_")
            old = index.get(name)
            if old is None or rank[m.group(2)] < old[0]:
                index[name] = (rank[m.group(2)], os.path.join(dirpath, f))
    return {n: v[1] for n, v in index.items()}


def alias_table(moddir, release):
    """(pattern, module) pairs from the tree's modules.alias, for softdeps
    that name an alias (`pre: crc32c`). An unpacked package has none: the
    host's depmod writes the indexes into the cache once."""
    path = os.path.join(moddir, "modules.alias")
    if not os.path.exists(path) and moddir.startswith(CACHE):
        base = moddir[: -len(os.path.join("/lib/modules", release))]
        depmod = shutil.which("depmod") or "/sbin/depmod"
        subprocess.run([depmod, "-b", base, release], capture_output=True)
    table = []
    if os.path.exists(path):
        for line in open(path, errors="replace"):
            parts = line.split()
            if len(parts) == 3 and parts[0] == "alias":
                table.append((parts[1], parts[2].replace("-", "_")))
    return table


def real_modules(moddir, release, names, modinfo):
    """NAMES with their dependencies (modinfo -F depends) and soft
    dependencies (-F softdep, through aliases; best effort), recursively:
    the files to copy."""
    index = module_index(moddir)
    table = None
    todo, seen, files = [n.replace("-", "_") for n in names], set(), []
    while todo:
        name = todo.pop(0)
        if name in seen:
            continue
        seen.add(name)
        src = index.get(name)
        if src is None:
            sys.exit(f"vm-test: {name} not found under {moddir}/kernel")
        files.append(src)
        fields = {}
        for field in ("depends", "softdep"):
            fields[field] = subprocess.run([modinfo, "-F", field, src], capture_output=True,
                                           text=True, check=True).stdout
        todo.extend(d.strip().replace("-", "_") for d in fields["depends"].split(",") if d.strip())
        for soft in fields["softdep"].split():
            if soft.endswith(":"):
                continue
            soft = soft.replace("-", "_")
            if soft in index:
                todo.append(soft)
                continue
            if table is None:
                table = alias_table(moddir, release)
            hits = [m for pat, m in table if pat.replace("-", "_") == soft and m in index]
            if not hits:  # wildcard aliases only when no plain one matches
                hits = [m for pat, m in table if any(c in pat for c in "*?[")
                        and fnmatch.fnmatchcase(soft, pat.replace("-", "_")) and m in index]
            todo.extend(hits)
    return files


def sample_files(moddir):
    """The module files of a --modules directory: (path, goes to extra/)."""
    out = []
    for ko in sorted(glob.glob(os.path.join(moddir, "*.ko*"))):
        if re.search(r"\.ko(\.xz|\.zst|\.gz)?$", ko):
            out.append((ko, "badmagic" not in ko))
    return out


def libkmod_file(path):
    """The library file that --libkmod names (a file, or a directory with
    libkmod.so.2 or libkmod.so); exits when there is none or it is no
    shared library whose SONAME is libkmod.so.2."""
    cands = [path] if not os.path.isdir(path) else [
        os.path.join(path, n) for n in ("libkmod.so.2", "libkmod.so")]
    found = [c for c in cands if os.path.isfile(c)]
    if not found:
        what = "no libkmod.so.2 or libkmod.so in it" if os.path.isdir(path) else "no such file"
        sys.exit(f"vm-test: --libkmod {path}: {what} (make build?)")
    lib = os.path.realpath(found[0])
    with open(lib, "rb") as f:
        if f.read(4) != b"\x7fELF":
            sys.exit(f"vm-test: --libkmod {lib} is not an ELF file")
    r = subprocess.run(["objdump", "-p", lib], capture_output=True, text=True)
    m = re.search(r"^\s*SONAME\s+(\S+)", r.stdout, re.M)
    if not m or m.group(1) != "libkmod.so.2":
        sys.exit(f"vm-test: --libkmod {lib}: SONAME is {m.group(1) if m else '(none)'}, "
                 "not libkmod.so.2")
    print(f"vm-test: libkmod under test: {lib} ({os.path.getsize(lib)} bytes)", flush=True)
    return lib


def check_vermagic(moddir, release):
    """Every module bound for extra/ must be built for the kernel that
    boots: a sample built for another ABI would only fail in the guest
    with `Unknown symbol`, far from the cause. No modules at all is a
    failure too: the scenarios need the samples."""
    if not os.path.isdir(moddir):
        sys.exit(f"vm-test: {moddir}: no such directory of sample modules")
    files = [ko for ko, extra in sample_files(moddir) if extra]
    if not files:
        sys.exit(f"vm-test: no sample modules in {moddir}")
    modinfo = shutil.which("modinfo") or "/sbin/modinfo"
    for ko in files:
        r = subprocess.run([modinfo, "-F", "vermagic", ko], capture_output=True, text=True)
        built = (r.stdout.split() or ["(none)"])[0]
        if r.returncode != 0 or built != release:
            sys.exit(f"vm-test: {ko} is built for {built}, the guest boots {release}")


def build_initramfs(args, release, moddir, workdir):
    # callers that build their own args (tests/simko) know no --libkmod
    libkmod = getattr(args, "libkmod", None)
    rootfs = os.path.join(workdir, "rootfs")
    for d in ("bin", "sbin", "proc", "sys", "dev", "tmp", "etc/modprobe.d", "run"):
        os.makedirs(os.path.join(rootfs, d), exist_ok=True)
    shutil.copy2("/bin/busybox", os.path.join(rootfs, "bin/busybox"))
    for a in APPLETS:
        os.symlink("busybox", os.path.join(rootfs, "bin", a))
    dash = os.path.realpath(shutil.which("dash") or "/bin/dash")
    shutil.copy2(dash, os.path.join(rootfs, "bin/sh"))
    copy_libs(dash, rootfs)
    for t in TOOLS:
        src = os.path.join(args.bin_dir, t)
        shutil.copy2(src, os.path.join(rootfs, "bin", t))
        copy_libs(src, rootfs)
    # kmod's own modprobe, for behaviour that only a live kernel shows
    kmod = shutil.which("kmod") or "/usr/bin/kmod"
    if os.path.exists(kmod):
        os.makedirs(os.path.join(rootfs, "opt/kmod"))
        shutil.copy2(kmod, os.path.join(rootfs, "opt/kmod/kmod"))
        copy_libs(kmod, rootfs)
        os.symlink("kmod", os.path.join(rootfs, "opt/kmod/modprobe"))
        os.symlink("kmod", os.path.join(rootfs, "opt/kmod/depmod"))
    if libkmod:
        for prog in LIBKMOD_PROGRAMS:
            dst = rootfs + prog
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copy2(os.path.realpath(prog), dst)
            copy_libs(prog, rootfs)
        for link, target in LIBKMOD_LINKS.items():
            os.makedirs(os.path.dirname(rootfs + link), exist_ok=True)
            os.symlink(target, rootfs + link)
        for f in LIBKMOD_FILES:
            os.makedirs(os.path.dirname(rootfs + f), exist_ok=True)
            shutil.copy2(f, rootfs + f)
        # the library under test, beside the system's (copied above by
        # copy_libs: kmod's own, the reference), with what it links
        os.makedirs(rootfs + LIBKMOD_DIR)
        shutil.copy2(libkmod, rootfs + LIBKMOD_DIR + "/libkmod.so.2")
        # a debug build carries ~40 MB of DWARF; the code is the same without
        sh(["objcopy", "--strip-debug", rootfs + LIBKMOD_DIR + "/libkmod.so.2"])
        copy_libs(libkmod, rootfs)
    tree = os.path.join(rootfs, "lib/modules", release)
    os.makedirs(os.path.join(tree, "extra"))
    # Broken variants (a wrong vermagic) stay outside the module tree, so
    # that name and alias lookups only find the real samples.
    os.makedirs(os.path.join(rootfs, "opt/rkmod"))
    for ko, extra in sample_files(args.modules):
        shutil.copy2(ko, os.path.join(tree, "extra") if extra else os.path.join(rootfs, "opt/rkmod"))
    # Dependencies come from kmod's modinfo, so that the tree does not
    # depend on the tool under test (rmodinfo only when kmod is absent).
    modinfo = shutil.which("modinfo") or "/sbin/modinfo"
    if not os.path.exists(modinfo):
        modinfo = os.path.join(args.bin_dir, "rmodinfo")
    real = REAL + args.extra_real + (LIBKMOD_REAL if libkmod else [])
    for src in real_modules(moddir, release, real, modinfo):
        dst = os.path.join(tree, os.path.relpath(src, moddir))
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy2(src, dst)
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
echo
echo "vm: kernel $(uname -r)"
sh /scenario.sh 2>&1 | tee /tmp/scenario.log
# The guest's own count: the harness compares it with the lines that
# arrived on the console (a line garbled by a kernel message is caught).
echo "{SENTINEL} plan=$(sed -n 's/^plan \\([0-9]*\\)$/\\1/p' /tmp/scenario.log | head -n1)" \
     "passed=$(grep -c '^ok - ' /tmp/scenario.log)" \
     "failed=$(grep -c '^FAIL - ' /tmp/scenario.log)"
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


def boot(image, initrd, append, timeout, memory):
    """Boot under TCG (KVM does not work here); the serial console is the
    only output. panic=-1 with -no-reboot turns a guest panic into a QEMU
    exit; the timeout catches a hang. stdin is /dev/null so that QEMU never
    puts the caller's terminal into raw mode."""
    cmd = ["qemu-system-x86_64", "-accel", "tcg", "-m", str(memory), "-smp", "1",
           "-nographic", "-no-reboot", "-nic", "none", "-kernel", image, "-initrd", initrd,
           "-append", f"console=ttyS0 panic=-1 loglevel=4 {append}".strip()]
    try:
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=timeout)
        return r.stdout.decode(errors="replace"), False
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace")
        return out, True


def evaluate(out):
    """Count the result lines of a console log. Returns (passed, failed,
    plan, sentinel, lines to show); sentinel is None when the guest never
    finished, else the guest's own (plan, passed, failed)."""
    passed = failed = 0
    plan = sentinel = None
    shown = []
    # SeaBIOS clears the screen with escape sequences that share a line
    # with the guest's first output; \r ends lines on a serial console.
    out = re.sub(r"\x1b(c|\[[0-9;?]*[A-Za-z])", "", out)
    for line in out.splitlines():
        m = re.match(r"^plan (\d+)$", line)
        if m and plan is None:
            plan = int(m.group(1))
        m = re.match(rf"^{SENTINEL} plan=(\d*) passed=(\d+) failed=(\d+)", line)
        if m:
            sentinel = (int(m.group(1)) if m.group(1) else None, int(m.group(2)), int(m.group(3)))
        if line.startswith("ok - "):
            passed += 1
            shown.append(line)
        elif line.startswith("FAIL - "):
            failed += 1
            shown.append(line)
        elif line.startswith(("  | ", "vm: ")):
            shown.append(line)
    return passed, failed, plan, sentinel, shown


def main():
    ap = argparse.ArgumentParser(description="Run a scenario on a Debian kernel in QEMU.")
    ap.add_argument("--kernel", choices=["6.1", "6.12"], default="6.1")
    ap.add_argument("--bin-dir", default=os.path.join(ROOT, "target/release"),
                    help="where the rkmod binaries are (default: target/release)")
    ap.add_argument("--modules", help="directory of extra modules (*.ko, *.ko.xz, *.ko.zst, "
                    "*.ko.gz) put into extra/, each built for the booted kernel (default: "
                    "testdata/kmod-src built for it now, cached; tests/vm/samples.py)")
    ap.add_argument("--scenario", help="scenario script (default: tests/vm/scenario-<kernel>.sh)")
    ap.add_argument("--extra-real", nargs="*", default=[], metavar="MOD",
                    help="more of the kernel's own modules to copy, with their dependencies")
    ap.add_argument("--libkmod", metavar="PATH", help="a libkmod.so.2 to test (the file, or a "
                    "directory holding libkmod.so.2 or libkmod.so): copied to the guest's "
                    f"{LIBKMOD_DIR}/libkmod.so.2 with Debian's systemd-modules-load, udevadm and "
                    "lspci, which the scenario runs with LD_LIBRARY_PATH pointing there (default "
                    f"scenario: tests/vm/scenario-libkmod.sh); the kernel gets '{LIBKMOD_APPEND}'")
    ap.add_argument("--append", default="", help="extra kernel command-line parameters")
    ap.add_argument("--timeout", type=int, default=180, help="seconds before QEMU is killed")
    ap.add_argument("--memory", type=int, default=512, help="guest memory in MiB")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (initramfs)")
    args = ap.parse_args()
    t0 = time.time()
    ensure_packages(["qemu-system-x86", "busybox-static", "cpio", "kmod"])
    image, release, moddir = kernel_61() if args.kernel == "6.1" else kernel_612()
    if args.modules is None:
        sys.dont_write_bytecode = True  # no __pycache__ in the source tree
        import samples
        args.modules = samples.build_samples(args.kernel)
    check_vermagic(args.modules, release)
    if args.libkmod:
        args.libkmod = libkmod_file(args.libkmod)
        ensure_packages(LIBKMOD_PACKAGES)
    if args.scenario is None:
        name = "libkmod" if args.libkmod else args.kernel
        args.scenario = os.path.join(HERE, f"scenario-{name}.sh")
    for t in TOOLS:
        if not os.access(os.path.join(args.bin_dir, t), os.X_OK):
            sys.exit(f"vm-test: {os.path.join(args.bin_dir, t)} missing (cargo build --release?)")
    workdir = tempfile.mkdtemp(prefix="rkmod-vm-")
    try:
        initrd = build_initramfs(args, release, moddir, workdir)
        t1 = time.time()
        append = f"{LIBKMOD_APPEND} {args.append}" if args.libkmod else args.append
        out, timed_out = boot(image, initrd, append, args.timeout, args.memory)
        t2 = time.time()
    finally:
        if args.keep:
            print(f"vm-test: work directory kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(CACHE, exist_ok=True)
    console = os.path.join(CACHE, f"console-{args.kernel}.log")
    with open(console, "w") as f:
        f.write(out)
    passed, failed, plan, sentinel, shown = evaluate(out)
    print("\n".join(shown))
    problems = []
    if timed_out:
        problems.append(f"timed out after {args.timeout}s")
    if sentinel is None:
        problems.append("the guest did not finish the scenario (timeout, panic or crash)")
    elif sentinel[1:] != (passed, failed):
        problems.append(f"the guest counted {sentinel[1]} passed, {sentinel[2]} failed; "
                        f"{passed} passed, {failed} failed arrived on the console")
    if plan is None:
        problems.append("the scenario declared no plan (`plan N` first)")
    elif passed + failed < plan:
        problems.append(f"only {passed + failed} of {plan} planned checks ran")
        failed += plan - passed - failed
    if problems:
        print("\n".join("vm-test: " + p for p in problems))
        print("---- console (last 60 lines) ----")
        print("\n".join(out.splitlines()[-60:]))
    print(f"vm-test {args.kernel}: {release}, {os.path.basename(args.scenario)}, "
          f"initramfs {t1 - t0:.1f}s, qemu {t2 - t1:.1f}s, console in {console}")
    print(f"vm-test {args.kernel}: {passed} passed, {failed} failed")
    sys.exit(1 if failed or problems else 0)


if __name__ == "__main__":
    main()
