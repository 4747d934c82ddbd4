#!/bin/bash
# kmod 34's own modinfo and modprobe as judges of a libkmod.so.2: kmod's
# multicall binary is linked again from its build's objects (all but
# depmod's, which needs libkmod's internals) to kmod 34's shared library,
# then the project's differential suites compare that one binary run on
# the library under judgement against the same binary run on kmod 34's
# library (LD_LIBRARY_PATH): tests/diff/modinfo_diff.py and
# tests/diff/modprobe_diff.py over Debian's 6.1 and 6.12 trees and the
# host's modules. Same program, two libraries: every difference is the
# library's.
#
# kmod's sources are in no package registry, so this is not part of
# `make test` (see the head of scripts/kmod-testsuite.sh for the build).
#
# usage: scripts/libkmod-kmod34-tools.sh KMOD_BUILD LIBDIR [--full]
#   e.g. scripts/libkmod-kmod34-tools.sh /work/kmod34/build target/debug
#   LIBDIR holds libkmod.so.2 (or libkmod.so, for a cargo target dir).
#   Without --full both suites run with --quick (about a minute).
#   Validate: LIBDIR = the build itself (kmod 34 against kmod 34).
# Prints both suites' reports, then the total; exits 1 when one differs.

set -u
if [ $# -lt 2 ]; then
    sed -n '15,19p' "$0" >&2
    exit 2
fi
repo=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath "$1")
libdir=$(realpath "$2")
quick=--quick
[ "${3:-}" = --full ] && quick=

work=$(mktemp -d "${TMPDIR:-/tmp}/libkmod-kmod34-tools.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
mkdir -p "$work/kmodlib" "$work/ours" "$work/bin" "$work/w-ours" "$work/w-kmod"

# kmod 34's library: the build's, or linked from its objects when the
# build has not linked it (its testsuite does not need it)
if [ -e "$build/libkmod.so.2" ]; then
    ln -s "$(realpath "$build/libkmod.so.2")" "$work/kmodlib/libkmod.so.2"
else
    target=$(readlink "$build/libkmod.so.2")
    cmd=$(ninja -C "$build" -t commands "$target" 2>/dev/null | tail -1)
    if [ -z "$cmd" ] || ! (cd "$build" && bash -c "${cmd/ -o $target / -o $work/kmodlib/$target }"); then
        echo "could not link kmod's $target from $build" >&2
        exit 2
    fi
    ln -s "$target" "$work/kmodlib/libkmod.so.2"
fi
[ "$libdir" = "$build" ] && libdir=$work/kmodlib

lib=
for cand in "$libdir/libkmod.so.2" "$libdir/libkmod.so"; do
    if [ -f "$cand" ]; then
        lib=$(realpath "$cand")
        break
    fi
done
if [ -z "$lib" ]; then
    echo "no libkmod.so.2 (nor libkmod.so) in $libdir" >&2
    exit 2
fi
ln -s "$lib" "$work/ours/libkmod.so.2"

# kmod's tools but depmod, on the shared library
cat >"$work/nodepmod.c" <<'EOF'
#include <stdio.h>
struct kmod_cmd {
	const char *name;
	int (*cmd)(int argc, char *argv[]);
	const char *help;
};
static int nodepmod(int argc, char *argv[])
{
	fputs("depmod is not part of this build (it needs libkmod's internals)\n", stderr);
	return 1;
}
const struct kmod_cmd kmod_cmd_compat_depmod = { "depmod", nodepmod, "not here" };
EOF
objs=()
for o in "$build"/kmod.p/tools_*.c.o; do
    [ "$(basename "$o")" = tools_depmod.c.o ] || objs+=("$o")
done
if ! cc -c -o "$work/nodepmod.o" "$work/nodepmod.c" ||
    ! cc -o "$work/bin/kmod" "${objs[@]}" "$work/nodepmod.o" -pie -Wl,--no-undefined \
        -Wl,--start-group "$build/libshared.a" "$work/kmodlib/libkmod.so.2" -Wl,--end-group; then
    echo "could not link kmod's tools to kmod's shared library" >&2
    exit 2
fi
for tool in modinfo modprobe; do
    ln -s kmod "$work/bin/$tool"
    for side in ours kmod; do
        dir=$work/kmodlib
        [ $side = ours ] && dir=$work/ours
        printf '#!/bin/sh\nLD_LIBRARY_PATH=%s exec %s "$@"\n' "$dir" "$work/bin/$tool" >"$work/w-$side/$tool"
        chmod +x "$work/w-$side/$tool"
    done
done
for side in ours kmod; do
    dir=$work/kmodlib
    [ $side = ours ] && dir=$work/ours
    want=$(realpath "$dir/libkmod.so.2")
    got=$(LD_LIBRARY_PATH=$dir LD_TRACE_LOADED_OBJECTS=1 "$work/bin/kmod" | awk '/libkmod\.so/ {print $3}')
    if [ "$(realpath "$got")" != "$want" ]; then
        echo "kmod's tools load '$got', not $want" >&2
        exit 2
    fi
done
echo "judged library: $lib"
echo "kmod's library: $(realpath "$work/kmodlib/libkmod.so.2")"

pass=0 fail=0
# shellcheck disable=SC2086
nice -n 10 python3 "$repo/tests/diff/modinfo_diff.py" --ours "$work/w-ours/modinfo" \
    --kmod "$work/w-kmod/modinfo" --no-kmod-cache $quick 2>&1 | tee "$work/modinfo.log" | grep -v '^  ok '
# shellcheck disable=SC2086
nice -n 10 python3 "$repo/tests/diff/modprobe_diff.py" --ours "$work/w-ours/modprobe" \
    --kmod "$work/w-kmod/modprobe" $quick 2>&1 | tee "$work/modprobe.log" | tail -12
for f in modinfo modprobe; do
    line=$(grep -E "^$f-diff: [0-9]+ passed, [0-9]+ failed" "$work/$f.log" | tail -1)
    if [ -z "$line" ]; then
        echo "$f-diff gave no count" >&2
        fail=$((fail + 1))
        continue
    fi
    p=$(echo "$line" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+')
    f_=$(echo "$line" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+')
    pass=$((pass + p)) fail=$((fail + f_))
done
echo "kmod 34's modinfo and modprobe on $lib against on kmod's library: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
