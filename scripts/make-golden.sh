#!/usr/bin/env bash
# Regenerate testdata/golden/modinfo/ from kmod's own modinfo: each case of
# cases.txt (`name | arguments`, run from the repository root) gets
# <name>.out (stdout, the repository path replaced by @ROOT@) and <name>.rc.
# Also (re)builds the small module tree the by-name cases use, with kmod's
# depmod writing its indexes.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
rel=$(basename "$(ls -d testdata/kernel/*/ | head -n1)")
tree=testdata/golden/root/lib/modules/$rel
rm -rf testdata/golden/root
mkdir -p "$tree/extra" "$tree/kernel/fake"
cp testdata/kernel/"$rel"/{khello,square,test_square,rust_cube,test_cube}.ko "$tree/extra/"
xz -c testdata/kernel/"$rel"/square.ko > "$tree/kernel/fake/square_xz.ko.xz"
# A builtin module, as a kernel build describes one.
printf 'kernel/fake/kbuiltin.ko\n' > "$tree/modules.builtin"
printf 'kbuiltin.license=GPL\0kbuiltin.description=A builtin sample\0kbuiltin.parm=level:How loud (int)\0kbuiltin.parmtype=level:int\0kbuiltin.alias=fake-builtin\0' > "$tree/modules.builtin.modinfo"
printf 'extra/khello.ko\nextra/square.ko\nextra/test_square.ko\nextra/rust_cube.ko\nextra/test_cube.ko\nkernel/fake/square_xz.ko.xz\n' > "$tree/modules.order"
depmod -b testdata/golden/root "$rel"

dir=testdata/golden/modinfo
rm -f "$dir"/*.out "$dir"/*.rc
grep -v '^#' "$dir/cases.txt" | grep -v '^\s*$' | while IFS='|' read -r name args; do
    name=$(echo "$name" | xargs)
    args=${args//@ROOT@/$root}
    args=${args//@REL@/$rel}
    set +e
    # shellcheck disable=SC2086
    modinfo $args > "$dir/$name.out" 2>/dev/null
    echo $? > "$dir/$name.rc"
    set -e
    sed -i "s|$root|@ROOT@|g" "$dir/$name.out"
done
echo "golden files: $(ls "$dir"/*.out | wc -l) cases"
