#!/usr/bin/env python3
"""Build the sample modules (testdata/kmod-src) for the kernel a VM suite
boots, at test time, so that they match its ABI whatever the archive
holds today: for 6.1, against the installed `linux-headers-<release>` of
the release `linux-image-amd64` resolves to (installed when missing); for
6.12, without installing anything: the headers, headers-common and kbuild
packages of the unpacked image's version are fetched with `apt-get
download` and unpacked into the cache next to the image. The stripped .ko
files land in /var/tmp/rkmod-vm/samples-<release>-<version>-<hash>/
(keyed by the headers' package version and the sources). Prints that
directory.

    python3 tests/vm/samples.py --kernel 6.12
    python3 tests/vm/run.py --kernel 6.12 --modules "$(python3 tests/vm/samples.py --kernel 6.12)"

run.py does the same unless --modules is given. The samples committed
under testdata/kernel/ (scripts/build-testdata.sh) are fixtures of the
golden tests, never loaded into a VM."""
import argparse
import glob
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402  (the kernel cache and apt helpers)

SRC = os.path.join(run.ROOT, "testdata/kmod-src")
MODS = ["khello", "square", "test_square", "rust_cube", "test_cube"]
# The kernel-API test modules (tests/simko): each directory is its own
# kbuild run; `nongpl` with KBUILD_MODPOST_WARN=1, since modpost refuses a
# non-GPL user of a GPL-only export (the kernel is to refuse it at load).
KAPI_SRC = os.path.join(run.ROOT, "testdata/kapi-src")
KAPI_DIRS = [("", False), ("nongpl", True), ("simonly", False)]


def headers_612(release, version):
    """Unpack linux-headers-<release>, its -common and linux-kbuild into
    the cache; return the build directory (what /lib/modules/<release>/build
    would point to). The packages' absolute paths are made relative to
    the unpacked copy."""
    abi = release[: -len("-amd64")]
    dest = os.path.join(run.CACHE, f"linux-headers-{release}")
    stamp = os.path.join(dest, ".complete")
    if not (os.path.exists(stamp) and open(stamp).read().strip() == version):
        print(f"samples: fetching the headers of {release} ({version})", file=sys.stderr, flush=True)
        shutil.rmtree(dest, ignore_errors=True)
        os.makedirs(dest)
        with tempfile.TemporaryDirectory() as dl:
            os.chmod(dl, 0o777)  # apt's sandbox user writes the download
            pkgs = [f"linux-headers-{release}", f"linux-headers-{abi}-common", f"linux-kbuild-{abi}"]
            run.sh(["apt-get", "download", "-qq"] + [f"{p}={version}" for p in pkgs], cwd=dl)
            for deb in glob.glob(os.path.join(dl, "*.deb")):
                run.sh(["dpkg-deb", "-x", deb, dest])
        build = os.path.join(dest, "usr/src", f"linux-headers-{release}")
        # `include /usr/src/linux-headers-<abi>-common/Makefile`
        mk = os.path.join(build, "Makefile")
        text = open(mk).read().replace("include /usr/src/", f"include {dest}/usr/src/")
        open(mk, "w").write(text)
        # Without vmlinux, kbuild skips BTF generation (no pahole needed),
        # as with the 6.1 headers.
        if os.path.exists(os.path.join(build, "vmlinux")):
            os.rename(os.path.join(build, "vmlinux"), os.path.join(build, "vmlinux.btf-only"))
        with open(stamp, "w") as f:
            f.write(version + "\n")
    return os.path.join(dest, "usr/src", f"linux-headers-{release}")


def sources_hash(dirs):
    h = hashlib.sha256()
    for d in dirs:
        for name in sorted(os.listdir(d)):
            if name == "Kbuild" or name.endswith((".c", ".rs")):
                h.update(name.encode() + b"\0" + open(os.path.join(d, name), "rb").read())
    return h.hexdigest()[:12]


def kbuild(build, src, work, warn=False):
    """Copy the sources of `src` into `work` and build them with kbuild."""
    os.makedirs(work)
    for name in os.listdir(src):
        if name == "Kbuild" or name.endswith((".c", ".rs")):
            shutil.copy2(os.path.join(src, name), work)
    cmd = ["make", "-s", "-C", build, f"M={work}", f"KCFLAGS=-ffile-prefix-map={work}/=", "modules"]
    if warn:
        cmd.append("KBUILD_MODPOST_WARN=1")
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.stderr.write(r.stdout + r.stderr)
        sys.exit(f"samples: the module build in {src} failed")


def kernel_headers(kernel):
    """(release, headers' package version, kbuild directory) of the kernel
    a suite boots."""
    if kernel == "6.12":
        # the image's package version is that of its headers
        _, release, _ = run.kernel_612()
        pkg = run.image_612_package()
        version = run.unpacked_version(os.path.join(run.CACHE, pkg), pkg)
        build = headers_612(release, version)
    else:
        _, release, _ = run.kernel_61()
        build = f"/lib/modules/{release}/build"
        run.ensure_packages([f"linux-headers-{release}"])
        version = subprocess.run(["dpkg-query", "-W", "-f=${Version}", f"linux-headers-{release}"],
                                 capture_output=True, text=True, check=True).stdout.strip()
    return release, version, build


def build_samples(kernel, with_kapi=False):
    """The sample modules for `kernel` (and the kernel-API test modules
    with `with_kapi`), built now or found in the cache; their directory."""
    run.ensure_packages(["make", "gcc-12", "binutils", "libelf1", "libssl3"])
    release, version, build = kernel_headers(kernel)
    dirs = [SRC] + ([os.path.join(KAPI_SRC, d) for d, _ in KAPI_DIRS] if with_kapi else [])
    kind = "samples+kapi" if with_kapi else "samples"
    out = os.path.join(run.CACHE, f"{kind}-{release}-{version}-{sources_hash(dirs)}")
    if os.path.exists(os.path.join(out, ".complete")):
        return out
    shutil.rmtree(out, ignore_errors=True)
    with tempfile.TemporaryDirectory() as work:
        tmp = os.path.join(work, "src")
        kbuild(build, SRC, tmp)
        # the Rust object must hold only what the module loader accepts
        run.sh([sys.executable, os.path.join(run.ROOT, "scripts/check-kernel-object.py"),
                os.path.join(tmp, "rust_cube.ko")])
        os.makedirs(out)
        for m in MODS:
            run.sh(["strip", "--strip-debug", "-o", os.path.join(out, m + ".ko"),
                    os.path.join(tmp, m + ".ko")])
        with open(os.path.join(tmp, "Module.symvers")) as f:
            symvers = f.read().replace(tmp + "/", "")
        with open(os.path.join(out, "Module.symvers"), "w") as f:
            f.write(symvers)
        if with_kapi:
            for i, (sub, warn) in enumerate(KAPI_DIRS):
                kwork = os.path.join(work, f"kapi{i}")
                kbuild(build, os.path.join(KAPI_SRC, sub), kwork, warn)
                for ko in sorted(glob.glob(os.path.join(kwork, "*.ko"))):
                    run.sh(["strip", "--strip-debug", "-o",
                            os.path.join(out, os.path.basename(ko)), ko])
    # as in testdata/kernel/: a khello claiming another kernel
    run.sh([sys.executable, os.path.join(run.ROOT, "scripts/patch-vermagic.py"),
            os.path.join(out, "khello.ko"), os.path.join(out, "khello-badmagic.ko")])
    open(os.path.join(out, ".complete"), "w").close()
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kernel", choices=["6.1", "6.12"], default="6.12")
    args = ap.parse_args()
    print(build_samples(args.kernel))


if __name__ == "__main__":
    main()
