# Helpers for VM scenarios (POSIX sh: the guest's /bin/sh is dash, with
# busybox applets on PATH). Every check prints exactly one line,
# `ok - DESC` or `FAIL - DESC: DETAILS` (a failure adds up to 8 lines of
# output, each `  | `); the harness counts them. $OUT holds the last
# command's stdout and stderr, for greps after the check.

# plan N: the number of checks the scenario will run; first line, once.
plan() { echo "plan $1"; }

_ok() { echo "ok - $1"; }
_fail() { echo "FAIL - $1: $2"; echo "$OUT" | head -n 8 | sed 's/^/  | /'; }

# check DESC CMD...: CMD must succeed.
check() {
    desc=$1; shift
    OUT=$("$@" 2>&1); rc=$?
    if [ $rc -eq 0 ]; then _ok "$desc"; else _fail "$desc" "exit $rc from $*"; fi
}

# check_fail DESC SUBSTRING CMD...: CMD must fail and say SUBSTRING (on
# stdout or stderr); "" accepts any message.
check_fail() {
    desc=$1; want=$2; shift 2
    OUT=$("$@" 2>&1); rc=$?
    if [ $rc -eq 0 ]; then _fail "$desc" "succeeded: $*"
    elif ! echo "$OUT" | grep -qF -- "$want"; then _fail "$desc" "no '$want' in output"
    else _ok "$desc"; fi
}

# check_out DESC SUBSTRING CMD...: CMD must succeed and print SUBSTRING.
check_out() {
    desc=$1; want=$2; shift 2
    OUT=$("$@" 2>&1); rc=$?
    if [ $rc -ne 0 ]; then _fail "$desc" "exit $rc from $*"
    elif ! echo "$OUT" | grep -qF -- "$want"; then _fail "$desc" "no '$want' in output"
    else _ok "$desc"; fi
}

# check_eq DESC EXPECTED ACTUAL
check_eq() {
    OUT="expected [$2] got [$3]"
    if [ "$2" = "$3" ]; then _ok "$1"; else _fail "$1" "$OUT"; fi
}

loaded() { grep -q "^$1 " /proc/modules; }

# check_loaded DESC MODULE / check_unloaded DESC MODULE
check_loaded() { OUT=$(cat /proc/modules); if loaded "$2"; then _ok "$1"; else _fail "$1" "$2 not in /proc/modules"; fi; }
check_unloaded() { OUT=$(cat /proc/modules); if loaded "$2"; then _fail "$1" "$2 still in /proc/modules"; else _ok "$1"; fi; }

# dmesg_has DESC PATTERN
dmesg_has() { OUT=$(dmesg | tail -n 40); if dmesg | grep -q -- "$2"; then _ok "$1"; else _fail "$1" "no '$2' in dmesg"; fi; }

# note TEXT: a fact for the log, not a check (the harness shows `vm: ` lines).
note() { echo "vm: $*"; }
