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
#                         built if missing). It must be dynamically linked:
#                         kmod's traps are LD_PRELOAD libraries, which a
#                         static binary (make build's target/dist) ignores.
#
# The test binaries run the tools at the build directory's paths (compiled
# in): the tool symlinks there are pointed at rkmod for the run and put
# back afterwards, whatever happens. kmod's LD_PRELOAD traps (path.so,
# uname.so, init_module.so, delete_module.so) wrap libc's entry points;
# rkmod reaches paths and the module syscalls through those (crate pathfs).
#
# Then kmod static-nodes (no test of kmod's own) under the same traps,
# kmod 34's kmod and rkmod side by side on the Debian trees' modules.devname.
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

# kmod static-nodes has no test there: the same traps judge it here. kmod
# 34's kmod and rkmod (as kmod) read modules.devname of the trapped
# release under a scratch root (the Debian trees' files, when at hand),
# write to stdout and to a file the trap puts under the root; stdout,
# stderr, status and the file must be the same.
sn_work=$(mktemp -d)
sn_inputs=()
for f in /var/tmp/rkmod-trees/*/lib/modules/*/modules.devname /lib/modules/*/modules.devname; do
    [ -f "$f" ] && sn_inputs+=("$f")
done
printf '# comment\nfuse fuse c10:229\n\nbad line\nsnd-timer snd/timer c116:33\nloop loop-control b10:237 junk\nz y c+1:-1' \
    >"$sn_work/odd.devname"
sn_inputs+=("$sn_work/odd.devname")
ln -s "$rkmod" "$sn_work/kmod"
for input in "${sn_inputs[@]}" missing; do
    for args in "" "-f tmpfiles" "--format=devname" "-o /run/tmpfiles.d/static-nodes.conf -f tmpfiles"; do
        results=()
        for which in kmod rkmod; do
            root="$sn_work/root-$which"
            rm -rf "$root"
            mkdir -p "$root/lib/modules/9.9.9"
            [ "$input" != missing ] && cp "$input" "$root/lib/modules/9.9.9/modules.devname"
            exe="$build/kmod"
            [ $which = rkmod ] && exe="$sn_work/kmod"
            # shellcheck disable=SC2086
            out=$(LD_PRELOAD="$build/testsuite/path.so:$build/testsuite/uname.so" \
                TESTSUITE_ROOTFS="$root/" TESTSUITE_UNAME_R=9.9.9 \
                "$exe" static-nodes $args 2>&1; echo "status $?")
            written=$(cat "$root/run/tmpfiles.d/static-nodes.conf" 2>/dev/null)
            results+=("$out$written")
        done
        what="static-nodes ${args:-(human)} of ${input}"
        if [ "${results[0]}" = "${results[1]}" ]; then
            pass=$((pass + 1))
            echo "ok    $what"
        else
            fail=$((fail + 1))
            echo "FAIL  $what"
            diff <(echo "${results[0]}") <(echo "${results[1]}") | head -10
        fi
    done
done
rm -rf "$sn_work"
echo "kmod 34 testsuite with rkmod: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
