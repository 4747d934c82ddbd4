#!/usr/bin/env bash
# Build the sample kernel modules (testdata/kmod-src) against Debian's
# kernel headers and store them as testdata/kernel/<release>/*.ko, so the
# ordinary tests need no headers. Builds in a temporary copy: no build
# products land in the source tree. Idempotent and reproducible: the same
# sources and headers give byte-identical files.
#
# The release is that of linux-headers-amd64 (never `uname -r`: the host
# may run another kernel); RELEASE=<release> overrides it.
set -euo pipefail
cd "$(dirname "$0")/.."

src=testdata/kmod-src
mods=(khello square test_square rust_cube test_cube)

# The release whose headers we build against.
find_release() {
    local rel dep
    if [ -n "${RELEASE:-}" ]; then
        echo "$RELEASE"
        return
    fi
    # The metapackage depends on linux-headers-<release>.
    dep=$(dpkg-query -W -f='${Depends}' linux-headers-amd64 2>/dev/null || true)
    rel=$(echo "$dep" | grep -o 'linux-headers-[^ ,]*-amd64' | head -n1 || true)
    rel=${rel#linux-headers-}
    if [ -n "$rel" ] && [ -e "/lib/modules/$rel/build/Makefile" ]; then
        echo "$rel"
        return
    fi
    # Otherwise the newest headers present.
    for d in $(ls -d /lib/modules/*/build 2>/dev/null | sort -V -r); do
        if [ -e "$d/Makefile" ]; then
            basename "$(dirname "$d")"
            return
        fi
    done
}

release=$(find_release)
if [ -z "${RELEASE:-}" ] && { [ -z "$release" ] ||
        [ ! -e "/lib/modules/$release/build/Makefile" ]; }; then
    echo "installing linux-headers-amd64"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq linux-headers-amd64 >/dev/null
    release=$(find_release)
fi
build=/lib/modules/$release/build
if [ -z "$release" ] || [ ! -e "$build/Makefile" ]; then
    echo "build-testdata: no kernel headers for ${release:-any release}" >&2
    exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tmp=$work/src
mkdir "$tmp"
cp "$src/Kbuild" "$src"/*.c "$src"/*.rs "$tmp/"
# -ffile-prefix-map keeps the temporary path out of the objects, so the
# build-id (hashed before the debug info is stripped) does not change
# from one build to the next.
if ! make -s -C "$build" M="$tmp" KCFLAGS="-ffile-prefix-map=$tmp/=" modules \
        > "$work/build.log" 2>&1; then
    cat "$work/build.log" >&2
    echo "build-testdata: the module build failed" >&2
    exit 1
fi
# Show warnings, if any; the missing vmlinux (no BTF) is expected.
grep -v 'Skipping BTF generation' "$work/build.log" || true
for m in "${mods[@]}"; do
    if [ ! -f "$tmp/$m.ko" ]; then
        echo "build-testdata: $m.ko was not built" >&2
        exit 1
    fi
done

# The Rust object must hold only what the module loader accepts.
python3 scripts/check-kernel-object.py "$tmp/rust_cube.ko"

out=testdata/kernel/$release
mkdir -p "$out"
for m in "${mods[@]}"; do
    # debug info is of no use to the tests and would bloat the repository
    strip --strip-debug -o "$out/$m.ko" "$tmp/$m.ko"
done
# The module column names the temporary directory; keep only the module.
sed "s|$tmp/||" "$tmp/Module.symvers" > "$out/Module.symvers"

# A copy of khello claiming another kernel: the kernel refuses it unless forced.
python3 scripts/patch-vermagic.py "$out/khello.ko" "$out/khello-badmagic.ko"

# The source tree must stay clean.
junk=$(find "$src" \( -name '*.o' -o -name '*.ko' -o -name '*.mod' \
    -o -name '*.mod.c' -o -name '.*.cmd' -o -name Module.symvers \
    -o -name modules.order \) -print)
if [ -n "$junk" ]; then
    echo "build-testdata: build products in $src:" >&2
    echo "$junk" >&2
    exit 1
fi

echo "built for $release (headers $build):"
ls -l "$out"
