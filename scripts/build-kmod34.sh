#!/bin/sh
# Build kmod 34 from its sources as distributions do, for `make bench
# KMOD34=OUT`: meson release build, xz/zstd/zlib dlopen'd on demand
# (-Ddlopen=all, the build issue 14 calls distribution-like; libcrypto stays
# linked: kmod 34 has no dlopen for it), no tests, docs or man pages.
#   scripts/build-kmod34.sh SRC OUT
set -eu
src=${1:?usage: build-kmod34.sh SRC OUT}
out=${2:?usage: build-kmod34.sh SRC OUT}
meson setup "$out" "$src" --buildtype=release -Ddlopen=all \
	-Dmanpages=false -Ddocs=false -Dbuild-tests=false \
	-Dfishcompletiondir=no -Dzshcompletiondir=no -Dbashcompletiondir=no
ninja -C "$out"
"$out/kmod" --version
