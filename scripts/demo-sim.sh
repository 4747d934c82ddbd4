#!/usr/bin/env bash
# The sim kernel part of `make demo`: sample modules built as shared
# objects, loaded into a userspace kernel by the ordinary tools — no root,
# no real kernel. Expects the tools `make build` stages in target/dist.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/demo-lib.sh

state=$(mktemp -d "${TMPDIR:-/tmp}/rkmod-demo-sim.XXXXXX")
stop_daemon() {
    rkmod sim stop --state "$state" >/dev/null 2>&1 || true
    rm -rf "$state"
}
trap stop_daemon EXIT

heading "The sim kernel: kernel modules as shared objects, in userspace"
say "Building the sample sim modules (khello, square, test_square, counter, rust_cube in Rust;"
say "crasher and the others in C) into a private module tree:"
tree=$(dirname "$(testdata/sim-src/build.sh --lang rust --release "$state")")
say "  $tree"
cd "$tree"
step ls extra

heading "Start a daemon on a private state directory"
step rkmod sim start --state "$state"
export RKMOD_SIM="$state/rkmod-sim.sock"
say "(RKMOD_SIM=$RKMOD_SIM: every tool below talks to it; --sim=SOCKET does the same)"

heading "rinsmod with parameters, checked by the module's parameter table"
refused rinsmod extra/khello.so io=9
step rinsmod extra/khello.so 'msg=hi there' io=3
step grep -r . "$state/sys/module/khello/parameters"

heading "rdepmod: dependencies of .so modules, from the same code as for .ko"
step rdepmod
step cat modules.dep

heading "rmodprobe test_square: square is loaded first"
step rmodprobe -v test_square
step rlsmod
step rmodinfo square
refused rrmmod square

heading "A chain across languages: square <- rust_cube (Rust logic) <- test_cube (C)"
say "rust_cube runs the same Rust code (testdata/kmod-src/cube_logic.rs) as the kernel module."
step rmodprobe -v test_cube value=5
step sh -c "rkmod sim log | grep -E 'rust_cube|test_cube'"
refused rrmmod rust_cube
step rmodprobe -r test_cube

heading "A crash, contained"
say "counter counts in a thread of its own; crasher's thread dereferences NULL 3 s after load."
step rinsmod extra/counter.so
step rinsmod extra/crasher.so
step rlsmod
say
say "... waiting for the crash ..."
for _ in $(seq 1 100); do
    grep -q '^crasher ' "$state/proc/modules" || break
    sleep 0.1
done
step rlsmod
printf '\n\033[1m$ rkmod sim log | grep crasher\033[0m\n'
rkmod sim log | grep crasher
before=$(cat "$state/sys/module/counter/parameters/count")
sleep 1.2
after=$(cat "$state/sys/module/counter/parameters/count")
say
say "counter is still counting: count $before, a second later $after"
[ "$after" -gt "$before" ] || { echo "demo: counter stopped" >&2; exit 1; }
step rkmod sim status
say
say "Loaded again and removed before its thread fires:"
step rinsmod extra/crasher.so
step rrmmod crasher

heading "Clean up and stop"
step rmodprobe -r test_square
step rrmmod counter
step rlsmod
step rkmod sim stop --state "$state"
