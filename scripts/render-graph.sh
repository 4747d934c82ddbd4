#!/usr/bin/env bash
# Render the sample chain's dependency graph (rmodprobe -D --graph) to SVG
# with Graphviz (installed when missing). Prints the SVG's path.
# usage: render-graph.sh [OUT.svg]   (default: target/rkmod-graph.svg)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-target/rkmod-graph.svg}
if ! command -v dot >/dev/null; then
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz; } >/dev/null
fi
rel=$(basename "$(ls -d testdata/golden/root/lib/modules/*/ | head -n1)")
conf=$(mktemp)
trap 'rm -f "$conf"' EXIT
# a softdep and a weakdep, so that every edge style shows
printf 'softdep test_cube pre: khello\nweakdep rust_cube test_square\n' > "$conf"
mkdir -p "$(dirname "$out")"
target/release/rmodprobe -d testdata/golden/root -S "$rel" -C "$conf" -D --graph test_cube \
    | dot -Tsvg -o "$out"
echo "$out"
