#!/bin/bash
# kmod 34's own tool-level testsuite as a judge of rkmod: test-depmod,
# test-modinfo, test-modprobe and test-weakdep run with rkmod's multicall
# binary in place of kmod's tools.
#
# kmod's sources are in no package registry, so this is not part of
# `make test`; it runs where a kmod 34 build with its testsuite is at hand:
#
#   git clone -b v34.2 https://github.com/kmod-project/kmod src
#   meson setup build src -Dbuild-tests=true -Dmanpages=false -Ddocs=false
#   KDIR=/usr/src/linux-headers-$(uname -r) ninja -C build \
#       testsuite/stamp-rootfs testsuite/test-{depmod,modinfo,modprobe,weakdep} \
#       testsuite/{path,uname,init_module,delete_module}.so
#
# usage: scripts/kmod-testsuite.sh [KMOD_BUILD_DIR]   (default /work/kmod34/build)
#   RKMOD=path/to/rkmod   the binary to judge (default target/release/rkmod,
#                         built if missing)
#
# The test binaries run the tools at the build directory's paths (compiled
# in): the tool symlinks there are pointed at rkmod for the run and put
# back afterwards, whatever happens. kmod's LD_PRELOAD traps (path.so,
# uname.so, init_module.so, delete_module.so) wrap libc's entry points;
# rkmod reaches paths and the module syscalls through those (crate pathfs).
#
# Prints each test's verdict, then the counts; exits 1 when a test fails.

set -u
build=${1:-/work/kmod34/build}
repo=$(cd "$(dirname "$0")/.." && pwd)
rkmod=${RKMOD:-$repo/target/release/rkmod}
tests=(test-depmod test-modinfo test-modprobe test-weakdep)
tools=(depmod insmod lsmod modinfo modprobe rmmod)

for t in "${tests[@]}"; do
    if [ ! -x "$build/testsuite/$t" ]; then
        echo "no $build/testsuite/$t: build kmod 34's testsuite first (see the head of $0)" >&2
        exit 2
    fi
done
if [ ! -d "$build/testsuite/rootfs" ]; then
    echo "no $build/testsuite/rootfs: ninja -C $build testsuite/stamp-rootfs" >&2
    exit 2
fi
if [ ! -x "$rkmod" ]; then
    (cd "$repo" && cargo build --release -p rkmod-cli) || exit 2
fi
rkmod=$(realpath "$rkmod")

restore() {
    for tool in "${tools[@]}"; do
        if [ -L "$build/$tool.kmod" ]; then
            rm -f "$build/$tool"
            mv "$build/$tool.kmod" "$build/$tool"
        fi
    done
}
trap restore EXIT INT TERM
for tool in "${tools[@]}"; do
    if [ ! -L "$build/$tool.kmod" ]; then
        mv "$build/$tool" "$build/$tool.kmod"
    fi
    ln -sf "$rkmod" "$build/$tool"
done

# kmod's tests write into their rootfs: start from the pristine one, as
# `meson test` does (the build's own command for it).
reset_rootfs() {
    local cmd
    cmd=$(ninja -C "$build" -t commands testsuite/stamp-rootfs | tail -1)
    (cd "$build" && bash -c "$cmd") >/dev/null 2>&1 || { echo "could not reset the rootfs: $cmd" >&2; exit 2; }
}

log=$(mktemp)
pass=0 fail=0
for t in "${tests[@]}"; do
    reset_rootfs
    # line-buffered: the test forks, a full buffer would be printed twice
    (cd "$build" && stdbuf -oL -eL "$build/testsuite/$t") >"$log" 2>&1
    while IFS= read -r verdict; do
        name=${verdict##*: }
        case "$verdict" in
            "PASSED: "* | "EXPECTED FAIL: "*)
                pass=$((pass + 1))
                echo "ok    $t $name"
                ;;
            *)
                fail=$((fail + 1))
                echo "FAIL  $t $name (${verdict%: *})"
                ;;
        esac
    done < <(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -aoE "(PASSED|ERR: FAILED|EXPECTED FAIL|UNEXPECTED PASS|SKIPPED)(: [a-z]+[^:]*)?: [A-Za-z0-9_]+$" | sed 's/^ERR: //' | awk '!seen[$0]++')
    if [ -n "${VERBOSE:-}" ]; then
        cat "$log"
    fi
done
rm -f "$log"
echo "kmod 34 testsuite with rkmod: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
