#!/bin/bash
# kmod 34's own library tests as a judge of a libkmod.so.2: the programs of
# kmod's testsuite that call libkmod's public API only are compiled again,
# linked to kmod 34's libkmod.so.2 (instead of kmod's static
# libkmod-internal.a, as kmod's meson build links them: so they carry kmod's
# symbol versions, as a distribution's binaries do), run with the
# libkmod.so.2 in LIBDIR in its place (RUNPATH) under kmod's
# own LD_PRELOAD traps (path.so, uname.so, init_module.so, delete_module.so;
# linked again so that they export only what they wrap, see below) on
# kmod's rootfs fixtures, as `meson test` runs them.
#
# kmod's sources are in no package registry, so this is not part of
# `make test`; it runs where kmod 34's sources and a build of its testsuite
# are at hand (see the head of scripts/kmod-testsuite.sh for the build; the
# traps and the module playground are what this script takes from it:
#   ninja -C build testsuite/stamp-rootfs testsuite/libtestsuite.a libshared.a \
#       testsuite/{path,uname,init_module,delete_module}.so ).
#
# usage: scripts/libkmod-kmod34-suite.sh KMOD_SRC KMOD_BUILD LIBDIR
#   e.g. scripts/libkmod-kmod34-suite.sh /work/kmod34/src /work/kmod34/build target/debug
#   LIBDIR holds libkmod.so.2 (or libkmod.so, for a cargo target dir).
#   Validate with kmod's own: ... /work/kmod34/src /work/kmod34/build /work/kmod34/build
#   VERBOSE=1 prints each test program's whole output.
#   KEEP=1 keeps the scratch directories (printed) for a closer look.
#
# Which programs: every test-*.c of kmod's testsuite that calls a kmod_*
# function is compiled; one that needs a function outside libkmod.sym (the
# library's internals) is listed as excluded with those names. The tests
# of kmod's tools that run modprobe, modinfo, insmod, rmmod or lsmod
# (test-modprobe, test-modinfo, test-weakdep) judge the library too: those
# tools call libkmod's public API only, so kmod's multicall binary is
# linked again from the build's objects (tools_*.c.o) to kmod's shared
# library, runs on the library under judgement (RUNPATH), and the tests
# are compiled with TOOLS_DIR pointed at it. depmod is built on libkmod's
# internals (kmod_list_append...): it is left out of that binary, and
# test-depmod is excluded. The verdicts say which tests reach the library
# through kmod's tools ("via kmod's modprobe").
#
# The rootfs is a private copy (kmod's setup-rootfs.sh into a scratch
# directory under the build's testsuite/, made fresh before each program),
# so the build's own rootfs is not touched and runs in parallel with other
# users of the build are safe.
#
# Prints each test's verdict, then the counts; exits 1 when a test fails.

set -u
if [ $# -ne 3 ]; then
    sed -n '16,20p' "$0" >&2
    exit 2
fi
src=$(realpath "$1")
build=$(realpath "$2")
libdir=$(realpath "$3")

work=$(mktemp -d "${TMPDIR:-/tmp}/libkmod-kmod34.XXXXXX")
# The rootfs: kmod's path.so moves every absolute path under it but those
# under the build directory, so a path made absolute from the working
# directory (test modprobe_module_from_relpath) must be under the build:
# a private directory there, removed at the end.
rootbase=$(mktemp -d "$build/testsuite/libkmod-judge.XXXXXX")
if [ -z "${KEEP:-}" ]; then
    trap 'rm -rf "$work" "$rootbase"' EXIT
    trap 'exit 130' INT TERM
fi
mkdir -p "$rootbase/testsuite"
mkdir -p "$work/lib" "$work/bin" "$work/obj" "$work/testsuite" "$work/kmodlib"

# The programs are linked to kmod 34's own library (its symbols and their
# versions, as a distribution's binaries are) and run with the library under
# judgement in its place (their RUNPATH). kmod's library is the build's, or,
# when the build has not linked it (the testsuite does not need it), linked
# from the build's objects into the scratch directory with the build's
# own link command.
kmodlib=$build/libkmod.so.2
if [ ! -e "$kmodlib" ]; then
    target=$(readlink "$build/libkmod.so.2")
    cmd=$(ninja -C "$build" -t commands "$target" 2>/dev/null | tail -1)
    if [ -z "$cmd" ] || ! (cd "$build" && bash -c "${cmd/ -o $target / -o $work/kmodlib/$target }"); then
        echo "could not link kmod's $target from $build" >&2
        exit 2
    fi
    ln -s "$target" "$work/kmodlib/libkmod.so.2"
    kmodlib=$work/kmodlib/libkmod.so.2
    [ "$libdir" = "$build" ] && libdir=$work/kmodlib
fi

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
for f in "$build/compile_commands.json" "$build/libshared.a" "$build/config.h" \
    "$build/testsuite/module-playground" \
    "$build/testsuite/path.so" "$build/testsuite/uname.so" \
    "$build/testsuite/init_module.so" "$build/testsuite/delete_module.so" \
    "$src/testsuite/meson.build" "$src/libkmod/libkmod.sym"; do
    if [ ! -e "$f" ]; then
        echo "missing $f: build kmod 34's testsuite first (see the head of $0)" >&2
        exit 2
    fi
done

# the library under judgement under its SONAME, in a directory of its own
# (the binaries' RUNPATH)
ln -s "$lib" "$work/lib/libkmod.so.2"
rootfs="$rootbase/testsuite/rootfs"

# setup-rootfs.sh's last arguments (sysconfdir, moduledir) as the build has them
read -r -a rootfs_cmd < <(ninja -C "$build" -t commands testsuite/stamp-rootfs 2>/dev/null | tail -1)
if [ "${#rootfs_cmd[@]}" -ne 7 ]; then
    echo "could not read the rootfs command from $build/build.ninja" >&2
    exit 2
fi
sysconfdir=${rootfs_cmd[5]}
moduledir=${rootfs_cmd[6]}
reset_rootfs() {
    (cd "$rootbase" && "$src/scripts/setup-rootfs.sh" "$src/testsuite/rootfs-pristine" "$rootfs" \
        "$build/testsuite/module-playground" "$build/config.h" "$sysconfdir" "$moduledir") \
        >/dev/null 2>&1 || { echo "could not set up the rootfs in $rootfs" >&2; exit 2; }
}

# kmod's LD_PRELOAD traps, linked again from the build's objects with a
# version script that exports only the entry points each one wraps: the
# build's init_module.so carries libkmod-internal.a and exports all of
# libkmod's API from it (75 kmod_* functions), which, preloaded, would
# stand in for the library under judgement in every test that loads a
# module.
mkdir -p "$work/traps"
for trap_so in path uname init_module delete_module; do
    wrapped=$(nm -D --defined-only "$build/testsuite/$trap_so.so" | awk '{print $3}' | grep -v '^kmod_' | sed 's/$/;/' | tr '\n' ' ')
    echo "{ global: $wrapped local: *; };" >"$work/traps/$trap_so.map"
    cmd=$(ninja -C "$build" -t commands "testsuite/$trap_so.so" 2>/dev/null | tail -1)
    if [ -z "$cmd" ] || ! (cd "$build" && bash -c "${cmd/ -o testsuite\/$trap_so.so / -o $work/traps/$trap_so.so -Wl,--version-script=$work/traps/$trap_so.map }") ||
        [ -n "$(nm -D --defined-only "$work/traps/$trap_so.so" | awk '$3 ~ /^kmod_/')" ]; then
        echo "could not link kmod's trap $trap_so.so without libkmod's API" >&2
        exit 2
    fi
done

# The compile command of a source file as the build has it, with the rootfs
# pointed at the private copy and the object written under $work.
compile() {
    local file=$1 out=$2
    python3 - "$build" "$file" "$out" "$rootfs/" "$work/tools/" "$work/traps/" <<'EOF' || return 1
import json, shlex, subprocess, sys
build, file, out, rootfs, tools, traps = sys.argv[1:]
entries = [e for e in json.load(open(build + "/compile_commands.json"))
           if e["file"].endswith("/testsuite/" + file)]
if not entries:
    sys.exit("no compile command for " + file)
args = shlex.split(entries[0]["command"])
res, skip = [], False
for a in args:
    if skip:
        skip = False
        continue
    if a in ("-o", "-MQ", "-MF"):
        skip = True
        continue
    if a == "-MD" or a.startswith("-fdiagnostics-color"):
        continue
    if a.startswith("-DTESTSUITE_ROOTFS="):
        a = '-DTESTSUITE_ROOTFS="%s"' % rootfs
    if a.startswith("-DTOOLS_DIR="):
        a = '-DTOOLS_DIR="%s"' % tools
    if a.startswith("-DOVERRIDE_LIBDIR="):
        a = '-DOVERRIDE_LIBDIR="%s"' % traps
    res.append(a)
res += ["-o", out]
sys.exit(subprocess.call(res, cwd=entries[0]["directory"]))
EOF
}

# the public API: every name in kmod's version script
public=$(grep -oE '^[[:space:]]*kmod_[a-z0-9_]+;' "$src/libkmod/libkmod.sym" | tr -d ' \t;' | sort -u)

if ! compile testsuite.c "$work/obj/testsuite.o" 2>"$work/cc.log"; then
    cat "$work/cc.log" >&2
    exit 2
fi
ar rcs "$work/obj/libtestsuite.a" "$work/obj/testsuite.o"

# kmod's tools on the shared library: the build's objects but depmod's,
# whose command is a stub here, linked as the build links kmod.
mkdir -p "$work/tools"
tools_ok=1
cat >"$work/obj/nodepmod.c" <<'EOF'
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
tool_objs=()
for o in "$build"/kmod.p/tools_*.c.o; do
    [ "$(basename "$o")" = tools_depmod.c.o ] || tool_objs+=("$o")
done
tools_internal=$(comm -23 <(nm -u "${tool_objs[@]}" | awk '$1 == "U" {print $2}' | grep -E '^kmod_' | grep -v '^kmod_cmd_compat_depmod$' | sort -u) \
    <( (echo "$public"; nm --defined-only "${tool_objs[@]}" | awk '{print $3}' | grep -E '^kmod_') | sort -u) | tr '\n' ' ')
if [ -n "$tools_internal" ]; then
    echo "kmod's tools need libkmod's internals: $tools_internal" >&2
    tools_ok=0
elif ! cc -c -o "$work/obj/nodepmod.o" "$work/obj/nodepmod.c" ||
    ! cc -o "$work/tools/kmod" "${tool_objs[@]}" "$work/obj/nodepmod.o" -pie \
        -Wl,--no-undefined -Wl,--start-group "$build/libshared.a" "$kmodlib" -Wl,--end-group \
        -Wl,-rpath,"$work/lib" 2>"$work/cc.log"; then
    echo "could not link kmod's tools to $kmodlib:" >&2
    cat "$work/cc.log" >&2
    tools_ok=0
fi
for tool in depmod insmod lsmod modinfo modprobe rmmod; do
    ln -s kmod "$work/tools/$tool"
done

mapfile -t all_tests < <(sed -n '/^_testsuite = \[/,/^\]/p' "$src/testsuite/meson.build" | grep -oE "'test-[a-z0-9-]+'" | tr -d "'")
echo "library: $lib"
[ -n "${KEEP:-}" ] && echo "scratch: $work $rootbase"
pass=0 fail=0 tpass=0 tfail=0
lib_tests=()
declare -A used_of spawns_of
for t in "${all_tests[@]}"; do
    if ! compile "$t.c" "$work/obj/$t.o" 2>"$work/cc.log"; then
        echo "FAIL  $t: does not compile"
        fail=$((fail + 1))
        cat "$work/cc.log"
        continue
    fi
    used=$(nm -u "$work/obj/$t.o" | awk '{print $2}' | grep -E '^kmod_' | sort -u)
    spawns=$(grep -oE 'TOOLS_DIR "/[a-z]+"' "$src/testsuite/$t.c" | grep -oE '[a-z]+"$' | tr -d '"' | sort -u | tr '\n' ' ')
    if [[ " $spawns" == *" depmod "* ]]; then
        echo "skip  $t: runs depmod, which is built on libkmod's internals"
        continue
    fi
    if [ -n "$spawns" ] && [ $tools_ok = 0 ]; then
        echo "FAIL  $t: runs kmod's ${spawns% }, which could not be linked to the library"
        fail=$((fail + 1))
        continue
    fi
    if [ -z "$used" ] && [ -z "$spawns" ]; then
        echo "skip  $t: calls no libkmod function and runs no tool"
        continue
    fi
    internal=
    [ -n "$used" ] && internal=$(comm -23 <(echo "$used") <(echo "$public") | tr '\n' ' ')
    if [ -n "$internal" ]; then
        echo "skip  $t: needs libkmod's internals: $internal"
        continue
    fi
    if ! cc -o "$work/bin/$t" "$work/obj/$t.o" "$work/obj/libtestsuite.a" "$build/libshared.a" \
        "$kmodlib" -Wl,-rpath,"$work/lib" -Wl,--no-undefined -lrt -ldl \
        2>"$work/cc.log"; then
        echo "FAIL  $t: does not link against kmod's library $kmodlib"
        fail=$((fail + 1))
        sed 's/^/      /' "$work/cc.log" | head -20
        continue
    fi
    # the program, and the tools it runs, must load the library under judgement
    bad=
    for exe in ${used:+"$work/bin/$t"} ${spawns:+"$work/tools/kmod"}; do
        loaded=$(LD_TRACE_LOADED_OBJECTS=1 "$exe" 2>/dev/null | awk '/libkmod\.so/ {print $3}')
        if [ -z "$loaded" ] || [ "$(realpath "$loaded")" != "$lib" ]; then
            bad="$bad $exe loads '$loaded', not $lib;"
        fi
    done
    if [ -n "$bad" ]; then
        echo "FAIL  $t:$bad"
        fail=$((fail + 1))
        continue
    fi
    lib_tests+=("$t")
    used_of[$t]=$used
    spawns_of[$t]=$spawns
done

log="$work/run.log"
for t in "${lib_tests[@]}"; do
    used=${used_of[$t]} spawns=${spawns_of[$t]}
    reset_rootfs
    # line-buffered: the test forks, a full buffer would be printed twice
    (cd "$build" && nice -n 10 stdbuf -oL -eL "$work/bin/$t") >"$log" 2>&1
    status=$?
    seen=0
    while IFS= read -r verdict; do
        seen=1
        name=${verdict##*: }
        # a test whose function runs TOOLS_DIR's programs reaches the
        # library through kmod's tool
        via=$(awk -v n="$name" '$0 ~ "^static .*[ *]" n "\\(" {f=1}
            f && match($0, /EXEC_[A-Z]+|TOOLS_DIR "\/[a-z]+|progname/) {print substr($0, RSTART, RLENGTH); exit}
            f && /^}/ {exit}' "$src/testsuite/$t.c")
        [ -z "$via" ] && [ -z "$used" ] && via=TOOLS_DIR/${spawns% }
        case "$via" in
            EXEC_*) via=" [via kmod's $(echo "${via#EXEC_}" | tr 'A-Z' 'a-z')]" ;;
            progname) via=" [via kmod's $(grep -oE 'progname = TOOLS_DIR "/[a-z]+' "$src/testsuite/$t.c" | sed 's|.*/||')]" ;;
            TOOLS_DIR*) via=" [via kmod's ${via##*/}]" ;;
        esac
        case "$verdict" in
            "PASSED: "* | "EXPECTED FAIL: "*) ok=1 ;;
            *) ok=0 ;;
        esac
        if [ -n "$via" ]; then
            if [ $ok = 1 ]; then tpass=$((tpass + 1)); else tfail=$((tfail + 1)); fi
        fi
        if [ $ok = 1 ]; then
            pass=$((pass + 1))
            echo "ok    $t $name$via"
        else
            fail=$((fail + 1))
            echo "FAIL  $t $name (${verdict%: *})$via"
        fi
    done < <(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -aoE "(PASSED|ERR: FAILED|EXPECTED FAIL|UNEXPECTED PASS|SKIPPED)(: [a-z]+[^:]*)?: [A-Za-z0-9_]+$" | sed 's/^ERR: //' | awk '!seen[$0]++')
    if [ $seen = 0 ]; then
        fail=$((fail + 1))
        echo "FAIL  $t (no verdict, status $status)"
        sed 's/^/      /' "$log" | tail -20
    elif [ -n "${VERBOSE:-}" ] || { [ $status -ne 0 ] && grep -q . "$log"; }; then
        [ -n "${VERBOSE:-}" ] || echo "      $t's output (status $status):"
        sed 's/\x1b\[[0-9;]*m//g; s/^/      /' "$log" |
            grep -avE "PASSED:|TESTSUITE: running|exited with return code 0|TESTSUITE: ------" | head -200
    fi
done
echo "kmod 34 library tests with $lib: $pass passed, $fail failed (of them through kmod's tools: $tpass passed, $tfail failed)"
[ "$fail" -eq 0 ]
