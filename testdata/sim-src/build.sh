#!/bin/sh
# Build the sample sim modules into a module tree (with modules.order and
# empty modules.builtin{,.modinfo}, as modules_install leaves them):
#   OUT/lib/modules/<sim-release>/extra/<name>.so
# usage: build.sh [--lang c|rust] [--release] OUT
#   --lang c     (default) every module from its C source (rust_cube, which
#                exists in Rust only, is left out, and test_cube with it)
#   --lang rust  the modules that have a Rust implementation (khello, square,
#                test_square, counter, rust_cube) from Rust, the others from C
# Environment: CC (gcc), CARGO (cargo), CARGO_TARGET_DIR (<repo>/target).
set -eu

lang=c
profile=debug
out=
while [ $# -gt 0 ]; do
	case "$1" in
	--lang) lang=${2:?--lang needs c or rust}; shift 2 ;;
	--lang=*) lang=${1#--lang=}; shift ;;
	--release) profile=release; shift ;;
	-h|--help) sed -n '2,9p' "$0"; exit 0 ;;
	-*) echo "build.sh: unknown option $1" >&2; exit 2 ;;
	*) out=$1; shift ;;
	esac
done
[ -n "$out" ] || { echo "usage: build.sh [--lang c|rust] [--release] OUT" >&2; exit 2; }
case "$lang" in c|rust) ;; *) echo "build.sh: --lang is c or rust" >&2; exit 2 ;; esac

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
include=$root/crates/sim-module/include
release=$(sed -n 's/^#define SIM_RELEASE "\(.*\)"$/\1/p' "$include/sim_module.h")
[ -n "$release" ] || { echo "build.sh: no SIM_RELEASE in sim_module.h" >&2; exit 1; }
dest=$out/lib/modules/$release/extra
mkdir -p "$dest"

# -Bsymbolic: a module's references to its own functions bind to itself even
# when another module loaded RTLD_GLOBAL defines the same name. Undefined
# symbols (imports from other modules) are allowed in a shared object.
CC=${CC:-gcc}
for src in "$here"/c/*.c; do
	name=$(basename "$src" .c)
	# test_cube needs cube() from rust_cube, which exists in Rust only.
	[ "$name" = test_cube ] && [ "$lang" != rust ] && continue
	$CC -O2 -Wall -Wextra -Werror -fPIC -shared -Wl,-Bsymbolic \
		-I"$include" -o "$dest/$name.so.tmp" "$src"
	mv "$dest/$name.so.tmp" "$dest/$name.so"
done

if [ "$lang" = rust ]; then
	CARGO=${CARGO:-cargo}
	target=${CARGO_TARGET_DIR:-$root/target}
	flag=
	[ "$profile" = release ] && flag=--release
	rust_mods="khello square test_square counter rust_cube"
	pkgs=
	for m in $rust_mods; do pkgs="$pkgs -p simmod-$(echo "$m" | tr _ -)"; done
	# shellcheck disable=SC2086
	(cd "$root" && CARGO_TARGET_DIR=$target $CARGO build --quiet $flag $pkgs)
	for m in $rust_mods; do
		cp "$target/$profile/lib$m.so" "$dest/$m.so.tmp"
		mv "$dest/$m.so.tmp" "$dest/$m.so"
	done
fi
# What a kernel's `modules_install` leaves beside the modules: their order,
# and the (here empty) lists of builtin modules, so depmod finds a complete tree.
tree=$out/lib/modules/$release
(cd "$tree" && find extra -name '*.so' | LC_ALL=C sort) > "$tree/modules.order"
: > "$tree/modules.builtin"
: > "$tree/modules.builtin.modinfo"
echo "$dest"
