#!/usr/bin/env bash
# The real-.ko part of `make demo`: kernel modules built by kbuild for the
# installed kernel's headers, exactly as for a real kernel, loaded into the
# sim kernel by the ordinary tools -- no root, no VM. The sim kernel plays
# that release: it builds its kernel API from the same headers, checks
# vermagic against them, and prints the log lines the kernel prints.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/demo-lib.sh

# The release whose headers linux-headers-amd64 installed (make demo
# installs them when missing).
dep=$(dpkg-query -W -f='${Depends}' linux-headers-amd64 2>/dev/null || true)
rel=$(echo "$dep" | grep -o 'linux-headers-[^ ,]*-amd64' | head -n1 | sed 's/^linux-headers-//')
if [ -z "$rel" ] || [ ! -e "/lib/modules/$rel/build/Makefile" ]; then
    echo "demo: no kernel headers (linux-headers-amd64) installed" >&2
    exit 1
fi

state=$(mktemp -d "${TMPDIR:-/tmp}/rkmod-demo-ko.XXXXXX")
stop_daemon() {
    rkmod sim stop --state "$state" >/dev/null 2>&1 || true
    rm -rf "$state"
}
trap stop_daemon EXIT

heading "Real .ko modules in the sim kernel ($rel)"
say "Build the samples as any module author does, against the installed headers:"
src=$state/src
mkdir -p "$src"
cp testdata/kmod-src/Kbuild testdata/kmod-src/*.c testdata/kmod-src/*.rs "$src/"
cp testdata/kapi-src/simonly/kapi_crash.c "$src/"
echo 'obj-m += kapi_crash.o' >> "$src/Kbuild"
step make -s -C "/lib/modules/$rel/build" M="$src" modules
tree=$state/lib/modules/$rel
mkdir -p "$tree/extra"
cp "$src"/*.ko "$tree/extra/"
(cd "$src" && ls *.ko | sed 's|^|extra/|') > "$tree/modules.order"
touch "$tree/modules.builtin" "$tree/modules.builtin.modinfo"
cd "$tree"
step ls extra

heading "A sim kernel that plays $rel"
step rkmod sim start --state "$state" --release "$rel"
export RKMOD_SIM="$state/rkmod-sim.sock"
say "(the first .ko builds the kernel API from /lib/modules/$rel/build; cached afterwards)"

heading "rinsmod khello.ko: its own parameter code, its /proc file"
refused rinsmod extra/khello.ko io=9
step rinsmod extra/khello.ko 'msg=hi there' io=3
step rkmod sim read /proc/helloworld
step rkmod sim read /sys/module/khello/parameters/io
step rkmod sim write /sys/module/khello/parameters/io 5
step rkmod sim read /proc/helloworld

heading "rdepmod and rmodprobe: square <- rust_cube (Rust) <- test_cube"
step rdepmod
step rmodprobe -v test_cube
step rlsmod
refused rrmmod rust_cube
step rkmod sim log

heading "A real .ko that crashes in a kthread, contained"
step rinsmod extra/kapi_crash.ko where=thread
for _ in $(seq 1 50); do
    rlsmod | grep -q '^kapi_crash ' || break
    sleep 0.1
done
printf '\n\033[1m$ rkmod sim log | tail -n 4\033[0m\n'
rkmod sim log | tail -n 4
step rlsmod
say
say "khello still answers:"
step rkmod sim read /proc/helloworld

heading "Clean up and stop"
step rmodprobe -r test_cube
step rmodprobe -r square
step rrmmod khello
step rkmod sim stop --state "$state"
