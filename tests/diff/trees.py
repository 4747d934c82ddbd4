#!/usr/bin/env python3
"""Prepare and cache the module trees used by the differential tests.

Trees (under the cache root, ``$RKMOD_TREES`` or ``/var/tmp/rkmod-trees``):

* ``deb61``  -- Debian 12's own 6.1 kernel modules (plain, signed ``.ko``),
  copied (hard-linked when possible) from ``/lib/modules/6.1.*-amd64`` to
  ``deb61/lib/modules/<release>/``, plus ``modules.order``,
  ``modules.builtin``, ``modules.builtin.modinfo``; then kmod's depmod is
  run into it.
* ``deb612`` -- the newest ``linux-image-6.12.*-amd64-unsigned`` package
  unpacked with ``dpkg-deb -x`` (never installed): ``.ko.xz`` modules under
  ``deb612/lib/modules/<release>/``; then kmod's depmod is run into it.
* ``recomp`` -- every 14th module of deb612 (sorted by relative path),
  decompressed and stored three times: ``recomp/plain/<rel>.ko``,
  ``recomp/zst/<rel>.ko.zst`` (zstd -q) and ``recomp/gz/<rel>.ko.gz``
  (gzip -n), where ``<rel>`` is the path below ``lib/modules/<release>/``.

Each tree directory gets a ``.rkmod-stamp.json`` written last; a tree
without one (half made) is removed and rebuilt.  Everything is idempotent
and re-uses the cache when complete.  A file lock serialises concurrent
``prepare()`` calls.

CLI: ``python3 tests/diff/trees.py prepare`` (prints the JSON summary),
``python3 tests/diff/trees.py paths TREE`` (one module path per line).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

STAMP = ".rkmod-stamp.json"
STAMP_VERSION = 1
RECOMP_STEP = 14
APT_PACKAGES = ["kmod", "linux-image-amd64", "xz-utils", "zstd", "gzip"]
DEPMOD = "/sbin/depmod"
MODULE_FILES = ("modules.order", "modules.builtin", "modules.builtin.modinfo")
PKG_612_RE = re.compile(r"^linux-image-(6\.12\.(\d+)\+deb(\d+))-amd64-unsigned$")

_apt_updated = False


def log(msg: str) -> None:
    print(f"trees: {msg}", file=sys.stderr, flush=True)


def cache_root() -> str:
    return os.path.abspath(os.environ.get("RKMOD_TREES") or "/var/tmp/rkmod-trees")


def _run(cmd, **kw):
    kw.setdefault("check", True)
    return subprocess.run(cmd, **kw)


# ---------------------------------------------------------------- apt

def _apt_update() -> None:
    global _apt_updated
    if _apt_updated:
        return
    log("apt-get update")
    _run(["apt-get", "update", "-qq"], stdout=subprocess.DEVNULL)
    _apt_updated = True


def _apt_env() -> dict:
    env = dict(os.environ)
    env["DEBIAN_FRONTEND"] = "noninteractive"
    return env


def _installed(pkg: str) -> bool:
    r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg],
                       capture_output=True, text=True)
    return r.returncode == 0 and "install ok installed" in r.stdout


def ensure_packages(pkgs=APT_PACKAGES) -> None:
    missing = [p for p in pkgs if not _installed(p)]
    if not missing:
        return
    _apt_update()
    log("apt-get install " + " ".join(missing))
    _run(["apt-get", "install", "-y", "-qq", *missing], env=_apt_env(),
         stdout=subprocess.DEVNULL)


# ---------------------------------------------------------------- helpers

def _version_key(s: str):
    return [int(x) if x.isdigit() else x for x in re.split(r"(\d+)", s)]


def _read_stamp(tree_dir: str):
    try:
        with open(os.path.join(tree_dir, STAMP)) as f:
            st = json.load(f)
    except (OSError, ValueError):
        return None
    if st.get("stamp_version") != STAMP_VERSION:
        return None
    return st


def _write_stamp(tree_dir: str, data: dict) -> dict:
    data = dict(data, stamp_version=STAMP_VERSION,
                created=time.strftime("%Y-%m-%dT%H:%M:%S"))
    tmp = os.path.join(tree_dir, STAMP + ".tmp")
    with open(tmp, "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(tmp, os.path.join(tree_dir, STAMP))
    return data


def _fresh_dir(path: str) -> None:
    if os.path.lexists(path):
        shutil.rmtree(path)
    os.makedirs(path)


def _copy_tree(src: str, dst: str) -> str:
    """Hard-link copy of src to dst (dst must not exist); cp -a fallback."""
    r = subprocess.run(["cp", "-al", src, dst], capture_output=True)
    if r.returncode == 0:
        return "hardlink"
    if os.path.lexists(dst):
        shutil.rmtree(dst)
    _run(["cp", "-a", src, dst])
    return "copy"


def _depmod(base: str, release: str) -> None:
    log(f"depmod -b {base} {release}")
    _run([DEPMOD, "-b", base, release])


def _count_modules(moddir: str, suffix: str) -> int:
    n = 0
    for _root, _dirs, files in os.walk(os.path.join(moddir, "kernel")):
        n += sum(1 for f in files if f.endswith(suffix))
    return n


@contextlib.contextmanager
def _lock(root: str):
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(root, ".lock"), "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


# ---------------------------------------------------------------- deb61

def _host_61_release() -> str:
    cands = []
    for name in os.listdir("/lib/modules") if os.path.isdir("/lib/modules") else []:
        if re.fullmatch(r"6\.1\.\S*-amd64", name) and \
                os.path.isdir(os.path.join("/lib/modules", name, "kernel")):
            cands.append(name)
    if not cands:
        raise RuntimeError("no /lib/modules/6.1.*-amd64 with a kernel/ dir "
                           "(is linux-image-amd64 installed?)")
    return max(cands, key=_version_key)


def _prepare_deb61(root: str) -> dict:
    tree = os.path.join(root, "deb61")
    st = _read_stamp(tree)
    if st:
        return st
    release = _host_61_release()
    log(f"building deb61 from /lib/modules/{release}")
    _fresh_dir(tree)
    src = os.path.join("/lib/modules", release)
    moddir = os.path.join(tree, "lib", "modules", release)
    os.makedirs(moddir)
    how = _copy_tree(os.path.join(src, "kernel"), os.path.join(moddir, "kernel"))
    for f in MODULE_FILES:
        p = os.path.join(src, f)
        if os.path.exists(p):
            shutil.copy2(p, moddir)
    _depmod(tree, release)
    return _write_stamp(tree, {
        "tree": "deb61", "release": release, "source": src, "copy": how,
        "modules": _count_modules(moddir, ".ko"), "suffix": ".ko",
    })


# ---------------------------------------------------------------- deb612

def _pick_612_package() -> str:
    def search():
        r = _run(["apt-cache", "search", "--names-only",
                  r"^linux-image-6\.12.*-amd64-unsigned$"],
                 capture_output=True, text=True)
        names = []
        for line in r.stdout.splitlines():
            name = line.split(" - ", 1)[0].strip()
            m = PKG_612_RE.match(name)  # excludes -cloud-amd64 and -rt-amd64
            if m:
                names.append((int(m.group(2)), int(m.group(3)), name))
        return names

    names = search()
    if not names:
        _apt_update()
        names = search()
    if not names:
        raise RuntimeError("no linux-image-6.12.*-amd64-unsigned package in apt")
    return max(names)[2]


def _download(pkg: str, dest: str) -> str:
    os.chmod(dest, 0o777)  # let the _apt sandbox user write there
    for attempt in (1, 2):
        r = subprocess.run(["apt-get", "download", "-qq", pkg], cwd=dest,
                           capture_output=True, text=True)
        debs = [f for f in os.listdir(dest) if f.endswith(".deb")]
        if r.returncode == 0 and debs:
            return os.path.join(dest, debs[0])
        if attempt == 1 and not _apt_updated:
            log(f"apt-get download {pkg} failed, updating lists: {r.stderr.strip()}")
            _apt_update()
            continue
        raise RuntimeError(f"apt-get download {pkg} failed: {r.stderr.strip()}")
    raise AssertionError("unreachable")


def _prepare_deb612(root: str) -> dict:
    tree = os.path.join(root, "deb612")
    st = _read_stamp(tree)
    if st:
        return st
    pkg = _pick_612_package()
    log(f"building deb612 from {pkg}")
    _fresh_dir(tree)
    with tempfile.TemporaryDirectory(dir=root, prefix=".dl-") as tmp:
        deb = _download(pkg, tmp)
        ver = _run(["dpkg-deb", "-f", deb, "Version"], capture_output=True,
                   text=True).stdout.strip()
        unpack = os.path.join(tmp, "x")
        _run(["dpkg-deb", "-x", deb, unpack])
        # Normalise: modules may ship in usr/lib/modules or lib/modules.
        found = []
        for base in ("lib/modules", "usr/lib/modules"):
            d = os.path.join(unpack, base)
            if os.path.isdir(d):
                found += [(base, r) for r in os.listdir(d)
                          if os.path.isdir(os.path.join(d, r, "kernel"))]
        if len(found) != 1:
            raise RuntimeError(f"expected one module dir in {pkg}, found {found}")
        base, release = found[0]
        moddir = os.path.join(tree, "lib", "modules", release)
        os.makedirs(os.path.dirname(moddir))
        os.rename(os.path.join(unpack, base, release), moddir)
        # modules.* files might ship in the other location
        for other in ("lib/modules", "usr/lib/modules"):
            for f in MODULE_FILES:
                p = os.path.join(unpack, other, release, f)
                if os.path.exists(p) and not os.path.exists(os.path.join(moddir, f)):
                    shutil.copy2(p, moddir)
    missing = [f for f in MODULE_FILES if not os.path.exists(os.path.join(moddir, f))]
    if missing:
        log(f"warning: {pkg} ships no {' '.join(missing)}")
    _depmod(tree, release)
    return _write_stamp(tree, {
        "tree": "deb612", "release": release, "package": pkg,
        "package_version": ver, "source_dir": base,
        "modules": _count_modules(moddir, ".ko.xz"), "suffix": ".ko.xz",
    })


# ---------------------------------------------------------------- recomp

def _recompress_one(src: str, rel: str, root: str) -> None:
    """rel: path below lib/modules/<release>/ without the .xz suffix (…/x.ko)."""
    plain = os.path.join(root, "plain", rel)
    zst = os.path.join(root, "zst", rel + ".zst")
    gz = os.path.join(root, "gz", rel + ".gz")
    for p in (plain, zst, gz):
        os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(plain, "wb") as out:
        _run(["xz", "-dc", src], stdout=out)
    _run(["zstd", "-q", "-f", plain, "-o", zst])
    with open(gz, "wb") as out:
        _run(["gzip", "-n", "-c", plain], stdout=out)


def _prepare_recomp(root: str, deb612: dict) -> dict:
    tree = os.path.join(root, "recomp")
    st = _read_stamp(tree)
    if st and st.get("source_release") == deb612["release"] \
            and st.get("step") == RECOMP_STEP:
        return st
    log(f"building recomp (every {RECOMP_STEP}th module of deb612)")
    _fresh_dir(tree)
    moddir = os.path.join(root, "deb612", "lib", "modules", deb612["release"])
    srcs = _module_files(moddir, ".ko.xz")
    rels = sorted(os.path.relpath(p, moddir) for p in srcs)
    chosen = rels[::RECOMP_STEP]
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as ex:
        futs = [ex.submit(_recompress_one, os.path.join(moddir, rel),
                          rel[:-len(".xz")], tree) for rel in chosen]
        for f in futs:
            f.result()
    return _write_stamp(tree, {
        "tree": "recomp", "source_release": deb612["release"],
        "step": RECOMP_STEP, "modules": len(chosen),
        "release": deb612["release"],
    })


# ---------------------------------------------------------------- API

def _module_files(top: str, suffix: str) -> list[str]:
    out = []
    for r, _dirs, files in os.walk(os.path.join(top, "kernel")):
        out += [os.path.join(r, f) for f in files if f.endswith(suffix)]
    return sorted(out)


def prepare(trees=("deb61", "deb612", "recomp"), errors: dict | None = None) -> dict:
    """Make sure the trees exist; return their info.

    Result: {"root": ..., "deb61": {"path", "release", "moddir", ...}, ...}.
    With ``errors`` (a dict), a tree that cannot be prepared is recorded
    there (name -> message) and left out of the result instead of raising.
    """
    root = cache_root()
    res: dict = {"root": root}
    with _lock(root):
        try:
            ensure_packages()
        except Exception as e:  # noqa: BLE001
            if errors is None:
                raise
            errors["packages"] = str(e)
        builders = {"deb61": lambda: _prepare_deb61(root),
                    "deb612": lambda: _prepare_deb612(root)}
        for name in ("deb61", "deb612", "recomp"):
            if name not in trees and not (name == "deb612" and "recomp" in trees):
                continue
            try:
                if name == "recomp":
                    if "deb612" not in res:
                        raise RuntimeError("deb612 is not available")
                    st = _prepare_recomp(root, res["deb612"])
                else:
                    st = builders[name]()
            except Exception as e:  # noqa: BLE001
                if errors is None:
                    raise
                errors[name] = f"{type(e).__name__}: {e}"
                log(f"cannot prepare {name}: {e}")
                continue
            info = dict(st, path=os.path.join(root, name))
            if name != "recomp":
                info["moddir"] = os.path.join(root, name, "lib", "modules", st["release"])
            res[name] = info
    return res


_SUFFIX = {"deb61": ".ko", "deb612": ".ko.xz", "recomp/plain": ".ko",
           "recomp/zst": ".ko.zst", "recomp/gz": ".ko.gz"}


def module_paths(tree: str) -> list[str]:
    """Sorted absolute module paths of a prepared tree.

    tree: deb61, deb612, recomp/plain, recomp/zst, recomp/gz, or recomp
    (all three recomp variants).
    """
    root = cache_root()
    if tree == "recomp":
        return sum((module_paths(f"recomp/{v}") for v in ("plain", "zst", "gz")), [])
    if tree not in _SUFFIX:
        raise ValueError(f"unknown tree {tree!r}")
    base = tree.split("/")[0]
    st = _read_stamp(os.path.join(root, base))
    if not st:
        raise RuntimeError(f"tree {base} is not prepared (run trees.py prepare)")
    if base == "recomp":
        top = os.path.join(root, tree)
    else:
        top = os.path.join(root, base, "lib", "modules", st["release"])
    return _module_files(top, _SUFFIX[tree])


def main(argv: list[str]) -> int:
    if len(argv) >= 1 and argv[0] == "prepare":
        t0 = time.monotonic()
        errors: dict = {}
        res = prepare(errors=errors)
        json.dump(res, sys.stdout, indent=1, sort_keys=True)
        print()
        log(f"prepare took {time.monotonic() - t0:.1f}s")
        if errors:
            log(f"errors: {errors}")
            return 1
        return 0
    if len(argv) == 2 and argv[0] == "paths":
        try:
            sys.stdout.write("".join(p + "\n" for p in module_paths(argv[1])))
            sys.stdout.flush()
        except BrokenPipeError:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    print("usage: trees.py prepare | trees.py paths TREE", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
