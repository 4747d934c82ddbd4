#!/bin/bash
# Self-test of the modinfo differential harness (no rmodinfo needed):
#  1. kmod's modinfo against itself (through a wrapper that emulates .ko.gz
#     support the way the harness expects) must be all identical, exit 0;
#  2. deliberately broken wrappers must be caught (exit 1, failures > 0,
#     the expected kind of difference reported).
# Usage: tests/diff/selftest.sh [--full]   (default: --quick samples)
set -u
here=$(cd "$(dirname "$0")" && pwd)
kmod=${KMOD:-/sbin/modinfo}
quick=--quick
[ "${1:-}" = --full ] && quick=
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
passes=0

# good: kmod itself; a .ko.gz under recomp/gz/ is answered from the plain
# copy under recomp/plain/ with the path put back (kmod 30 lacks zlib).
cat > "$tmp/good" <<PY
#!/usr/bin/env python3
import subprocess, sys
args, sub = [], {}
for a in sys.argv[1:]:
    if a.endswith(".ko.gz") and "/recomp/gz/" in a:
        p = a.replace("/recomp/gz/", "/recomp/plain/")[:-3]
        sub[p.encode()] = a.encode()
        a = p
    args.append(a)
r = subprocess.run(["$kmod"] + args, capture_output=True)
out = r.stdout
for p, g in sub.items():
    out = out.replace(p, g)
sys.stdout.buffer.write(out)
sys.stderr.buffer.write(r.stderr)
sys.exit(r.returncode)
PY
# drops the vermagic: line of full output
printf '#!/bin/bash\nset -o pipefail\n"%s" "$@" | sed "/^vermagic:/d"\n' "$kmod" > "$tmp/dropline"
# always exits 0
printf '#!/bin/sh\n"%s" "$@"\nexit 0\n' "$kmod" > "$tmp/exit0"
# prints nothing on stderr
printf '#!/bin/sh\nexec "%s" "$@" 2>/dev/null\n' "$kmod" > "$tmp/quiet"
# plain kmod: cannot read .ko.gz
printf '#!/bin/sh\nexec "%s" "$@"\n' "$kmod" > "$tmp/nogz"
chmod +x "$tmp"/*

# check NAME WANT_RC GREP_PATTERN -- harness args...
check() {
	local name=$1 want=$2 pat=$3
	shift 4
	local log="$tmp/$name.log" rc
	python3 "$here/modinfo_diff.py" --kmod "$kmod" "$@" > "$log" 2>&1
	rc=$?
	local last
	last=$(tail -n 1 "$log")
	if [ "$rc" = "$want" ] && grep -qE "$pat" "$log" &&
		echo "$last" | grep -qE '^modinfo-diff: [0-9]+ passed, [0-9]+ failed$'; then
		echo "selftest $name: ok ($last)"
		passes=$((passes + 1))
	else
		echo "selftest $name: FAILED (exit $rc, want $want; pattern '$pat'); log:"
		sed 's/^/    /' "$log" | tail -n 60
		fails=$((fails + 1))
	fi
}

check identical 0 '^modinfo-diff: [1-9][0-9]* passed, 0 failed$' -- \
	--ours "$tmp/good" $quick
check dropline 1 '^      -vermagic: .*' -- \
	--ours "$tmp/dropline" --quick --group 'deb61 .ko' --group 'deb612 by name' \
	--mode '^full$' --mode '^names$' --mode '^-0$'
check exit0 1 'exit status: kmod 1, ours 0' -- \
	--ours "$tmp/exit0" --quick --group 'by name' --mode 'missing|mixed'
check quiet 1 'stderr: kmod non-empty, ours empty' -- \
	--ours "$tmp/quiet" --quick --group 'deb612 by name' --mode 'missing'
check nogz 1 'FAIL -n ' -- \
	--ours "$tmp/nogz" --quick --group 'recomp .ko.gz' --mode '^-n$|^-F filename$'

echo "selftest: $passes passed, $fails failed"
[ "$fails" = 0 ]
