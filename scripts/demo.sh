#!/usr/bin/env bash
# `make demo`: the rkmod tools on the bundled sample modules. First the
# whole workflow on the sim kernel, in userspace, no root needed: shared-
# object modules (scripts/demo-sim.sh), then real .ko files built by kbuild
# for the installed headers (scripts/demo-ko.sh); then what the read-only
# tools say about the real kernel samples (next to kmod's answer).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/dist
kdir=$(ls -d testdata/kernel/*/ | head -n1)
kdir=${kdir%/}
rel=$(basename "$kdir")

scripts/demo-sim.sh
scripts/demo-ko.sh

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

printf '\n\033[1;34m== %s ==\033[0m\n' "Reading real kernel modules"
echo "Sample modules built for $rel:"
ls "$kdir"

step "$bin/rmodinfo" "$kdir/khello.ko"
step "$bin/rmodinfo" -p "$kdir/khello.ko"
step "$bin/rmodinfo" -F depends "$kdir/test_square.ko"
step "$bin/rkmod" modinfo -F license -F description "$kdir/square.ko"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo
echo "A compressed copy is read the same way (compression found by magic bytes):"
xz -c "$kdir/square.ko" > "$tmp/square.ko.xz"
step "$bin/rmodinfo" -n -F vermagic "$tmp/square.ko.xz"

echo
echo "A module tree of the samples: rdepmod writes its indexes, rmodprobe plans the load."
mkdir -p "$tmp/root/lib/modules/$rel/extra"
cp "$kdir"/{khello,square,test_square}.ko "$tmp/root/lib/modules/$rel/extra/"
printf 'extra/%s.ko\n' khello square test_square > "$tmp/root/lib/modules/$rel/modules.order"
touch "$tmp/root/lib/modules/$rel"/modules.builtin{,.modinfo}
step "$bin/rdepmod" -b "$tmp/root" "$rel"
step cat "$tmp/root/lib/modules/$rel/modules.dep"
step "$bin/rmodprobe" -d "$tmp/root" -S "$rel" --show-depends test_square
step "$bin/rmodinfo" -b "$tmp/root" -k "$rel" rkmod-hello

if command -v modinfo >/dev/null; then
    echo
    echo "kmod's modinfo and rmodinfo, byte for byte:"
    for m in khello square test_square; do
        if cmp -s <(modinfo "$kdir/$m.ko") <("$bin/rmodinfo" "$kdir/$m.ko"); then
            echo "  $m: identical"
        else
            echo "  $m: DIFFERENT"; exit 1
        fi
    done
fi

echo
echo "Dependency graphs and JSON (rkmod's additions, behind their own options):"
step "$bin/rmodprobe" -d testdata/golden/root -S "$rel" -D --graph test_cube
step "$bin/rmodprobe" -d testdata/golden/root -S "$rel" -D --json test_cube
svg=$(scripts/render-graph.sh)
echo
echo "The graph rendered with Graphviz: $svg"
