#!/usr/bin/env bash
# Build the sample kernel modules (testdata/kmod-src) against Debian's
# kernel headers and store them as testdata/kernel/<release>/*.ko, so the
# ordinary tests need no headers. Builds in a temporary copy: no build
# products land in the source tree.
set -euo pipefail
cd "$(dirname "$0")/.."

build=$(ls -d /lib/modules/*/build 2>/dev/null | head -n1 || true)
if [ -z "$build" ] || [ ! -e "$build/Makefile" ]; then
    echo "installing linux-headers-amd64"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq linux-headers-amd64 >/dev/null
    build=$(ls -d /lib/modules/*/build | head -n1)
fi
release=$(basename "$(dirname "$build")")

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp testdata/kmod-src/Kbuild testdata/kmod-src/*.c "$tmp/"
make -s -C "$build" M="$tmp" modules
out=testdata/kernel/$release
mkdir -p "$out"
for m in khello square test_square; do
    # debug info is of no use to the tests and would bloat the repository
    strip --strip-debug -o "$out/$m.ko" "$tmp/$m.ko"
done
cp "$tmp/Module.symvers" "$out/Module.symvers"

# A copy of khello claiming another kernel: the kernel refuses it unless forced.
python3 scripts/patch-vermagic.py "$out/khello.ko" "$out/khello-badmagic.ko"
echo "built for $release:"
ls -l "$out"
