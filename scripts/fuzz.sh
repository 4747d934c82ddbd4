#!/usr/bin/env bash
# Fuzzing on the stable toolchain: libFuzzer (libfuzzer-sys) with
# SanitizerCoverage enabled through stable rustc options; see fuzz/README.md.
#
#   scripts/fuzz.sh build                  build every target
#   scripts/fuzz.sh smoke                  make fuzz-smoke: self-tests, seeds,
#                                          regressions, ~10 s of each target
#   scripts/fuzz.sh run TARGET RUNS [ARGS] long run to RUNS executions
#                                          (extra ARGS go to libFuzzer)
#   scripts/fuzz.sh all RUNS               `run` for every target, one by one
#   scripts/fuzz.sh repro TARGET FILE...   run inputs once (a crash reproduces)
#   scripts/fuzz.sh list                   the targets
#
# Environment: FUZZ_SMOKE_SECONDS (per target, default 10), FUZZ_NICE
# (default 10), FUZZ_TIMEOUT (seconds per input, default 10), FUZZ_RSS_MB
# (default 1024).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
FUZZ="$ROOT/fuzz"
TRIPLE="$(rustc -vV 2>/dev/null | sed -n 's/^host: //p')"
BIN="$FUZZ/target/$TRIPLE/release"
TARGETS=(modfile modindex modconf sim_protocol fnmatch modload depcache depmod_replay)
NICE="${FUZZ_NICE:-10}"
TIMEOUT="${FUZZ_TIMEOUT:-10}"
RSS_MB="${FUZZ_RSS_MB:-1024}"
SMOKE_SECONDS="${FUZZ_SMOKE_SECONDS:-10}"

die() {
	echo "fuzz: FAILED: $*" >&2
	exit 1
}

# Largest input libFuzzer makes per target, and the least coverage (edges)
# the seeds must reach: below it the instrumentation or the seeds are broken.
max_len() {
	case "$1" in
	modfile | modload | depcache) echo 16384 ;;
	modconf) echo 2048 ;;
	fnmatch) echo 1024 ;;
	*) echo 4096 ;;
	esac
}
min_cov() {
	case "$1" in
	modfile) echo 1000 ;;
	modindex) echo 500 ;;
	modconf) echo 600 ;;
	sim_protocol) echo 1200 ;;
	fnmatch) echo 60 ;;
	modload) echo 380 ;;
	depcache) echo 250 ;;
	depmod_replay) echo 60 ;;
	*) echo 1 ;;
	esac
}

deps() {
	command -v cargo >/dev/null || die "cargo not found (the stable Rust toolchain is needed)"
	local missing=""
	# libfuzzer-sys compiles libFuzzer (C++); the decompressors' -sys crates are C.
	command -v c++ >/dev/null || missing="$missing g++"
	command -v cc >/dev/null || missing="$missing gcc"
	command -v make >/dev/null || missing="$missing make"
	if [ -n "$missing" ]; then
		echo "fuzz: installing:$missing"
		[ "$(id -u)" = 0 ] || die "need root to install:$missing"
		DEBIAN_FRONTEND=noninteractive apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
	fi
}

build() {
	deps
	[ -n "$TRIPLE" ] || die "cannot tell the host triple from rustc -vV"
	echo "fuzz: building the targets (stable $(rustc --version | cut -d' ' -f2), SanitizerCoverage, no sanitizer)"
	# --target keeps the instrumentation out of build scripts and proc macros;
	# the wrapper gives it to rkmod's crates and the targets only.
	(cd "$FUZZ" && RUSTC_WRAPPER="$FUZZ/rustc-sancov" RUSTFLAGS="" \
		nice -n "$NICE" cargo build --release --locked --target "$TRIPLE" --bins) ||
		die "the fuzz targets do not build"
	for t in "${TARGETS[@]}"; do
		[ -x "$BIN/$t" ] || die "target $t was not built"
	done
}

# Arguments common to every libFuzzer run of target $1.
common_args() {
	local t="$1"
	local args=(-timeout="$TIMEOUT" -rss_limit_mb="$RSS_MB" -max_len="$(max_len "$t")"
		-print_final_stats=1 -artifact_prefix="$FUZZ/artifacts/$t/")
	[ -f "$FUZZ/dict/$t.dict" ] && args+=(-dict="$FUZZ/dict/$t.dict")
	printf '%s\n' "${args[@]}"
}

# Seed and regression directories of target $1 that exist.
inputs() {
	local t="$1"
	[ -d "$FUZZ/seeds/$t" ] || die "no seeds for $t"
	echo "$FUZZ/seeds/$t"
	[ -d "$FUZZ/regressions/$t" ] && echo "$FUZZ/regressions/$t"
	return 0
}

# One statistic from a libFuzzer log: stat NAME LOG
stat() {
	sed -n "s/^stat::$1: *//p" "$2" | tail -1
}

# The self-tests: a panic, a hang and an allocation past the ceiling must
# each fail a run, or a smoke run that passes proves nothing.
selftest() {
	local tmp="$1" t kind input log rc
	for kind in panic hang oom; do
		for t in "${TARGETS[@]}"; do
			# The panic in every target; the slower hang and oom in one.
			[ "$kind" = panic ] || [ "$t" = modconf ] || continue
			input="$tmp/selftest-$kind"
			printf 'rkmod-fuzz-selftest:%s' "$kind" >"$input"
			log="$tmp/selftest-$t-$kind.log"
			set +e
			RKMOD_FUZZ_SELFTEST=1 nice -n "$NICE" "$BIN/$t" -timeout=2 -rss_limit_mb="$RSS_MB" \
				-artifact_prefix="$tmp/" "$input" >"$log" 2>&1
			rc=$?
			set -e
			[ "$rc" -ne 0 ] || die "self-test: $t exited 0 on a deliberate $kind (log: $log)"
			case "$kind" in
			panic) grep -q "deliberate panic" "$log" && grep -q "deadly signal" "$log" ;;
			hang) grep -q "ERROR: libFuzzer: timeout" "$log" ;;
			oom) grep -q "memory allocation of .* refused" "$log" ;;
			esac || die "self-test: $t did not report the deliberate $kind as expected (log: $log)"
		done
	done
	# Without the variable the same inputs are ordinary.
	RKMOD_FUZZ_SELFTEST=0 "$BIN/modconf" "$tmp/selftest-panic" >"$tmp/selftest-off.log" 2>&1 ||
		die "self-test: the self-test input fails even when self-tests are off"
	echo "fuzz: self-tests ok (a panic, a hang and an over-limit allocation each fail a run)"
}

# A scratch directory, on tmpfs when there is one (the modfile target writes
# each input to a file there).
scratch() {
	if [ -d /dev/shm ] && [ -w /dev/shm ]; then
		mktemp -d -p /dev/shm rkmod-fuzz.XXXXXX
	else
		mktemp -d
	fi
}

smoke() {
	build
	local t log rc runs cov rate
	SMOKE_TMP="$(scratch)"
	trap 'rm -rf "$SMOKE_TMP"' EXIT
	local tmp="$SMOKE_TMP"
	export RKMOD_FUZZ_TMP="$tmp"
	selftest "$tmp"
	for t in "${TARGETS[@]}"; do
		mkdir -p "$tmp/corpus-$t" "$FUZZ/artifacts/$t"
		log="$tmp/$t.log"
		mapfile -t args < <(common_args "$t")
		mapfile -t dirs < <(inputs "$t")
		set +e
		nice -n "$NICE" "$BIN/$t" "${args[@]}" -seed=1 -max_total_time="$SMOKE_SECONDS" \
			"$tmp/corpus-$t" "${dirs[@]}" >"$log" 2>&1
		rc=$?
		set -e
		if [ "$rc" -ne 0 ]; then
			grep -E "ERROR|panicked|SUMMARY|Test unit written|memory allocation" "$log" >&2 || true
			tail -30 "$log" >&2
			die "$t: libFuzzer exited with $rc (input saved under fuzz/artifacts/$t/)"
		fi
		runs="$(stat number_of_executed_units "$log")"
		rate="$(stat average_exec_per_sec "$log")"
		cov="$(sed -n 's/.*INITED cov: \([0-9]*\).*/\1/p' "$log" | head -1)"
		[ -n "$runs" ] && [ "$runs" -ge 1000 ] || die "$t: only ${runs:-0} executions in ${SMOKE_SECONDS}s"
		[ -n "$cov" ] && [ "$cov" -ge "$(min_cov "$t")" ] ||
			die "$t: the seeds reach ${cov:-no} edges, expected at least $(min_cov "$t") (instrumentation or seeds broken)"
		printf 'fuzz: %-13s ok: %9s runs, %7s exec/s, seeds cover %5s edges\n' "$t" "$runs" "$rate" "$cov"
	done
	echo "fuzz-smoke: ${#TARGETS[@]} passed, 0 failed"
}

# Long run: run TARGET RUNS [libFuzzer args]
run_one() {
	local t="$1" runs="$2"
	shift 2
	[ -x "$BIN/$t" ] || die "unknown or unbuilt target $t (scripts/fuzz.sh build)"
	mkdir -p "$FUZZ/corpus/$t" "$FUZZ/artifacts/$t" "$FUZZ/logs"
	local log="$FUZZ/logs/$t.log" tmp start end rc
	tmp="$(scratch)"
	mapfile -t args < <(common_args "$t")
	mapfile -t dirs < <(inputs "$t")
	echo "fuzz: $t: $runs executions (log: $log)"
	start=$(date +%s)
	set +e
	RKMOD_FUZZ_TMP="$tmp" nice -n "$NICE" "$BIN/$t" "${args[@]}" -runs="$runs" "$@" \
		"$FUZZ/corpus/$t" "${dirs[@]}" >"$log" 2>&1
	rc=$?
	set -e
	end=$(date +%s)
	rm -rf "$tmp"
	printf 'fuzz: %s: exit %s, %s executions in %ss (%s exec/s average), peak RSS %s MB, corpus %s files\n' \
		"$t" "$rc" "$(stat number_of_executed_units "$log")" "$((end - start))" \
		"$(stat average_exec_per_sec "$log")" "$(stat peak_rss_mb "$log")" \
		"$(find "$FUZZ/corpus/$t" -type f | wc -l)" | tee -a "$FUZZ/logs/summary.txt"
	[ "$rc" -eq 0 ] || die "$t: finding, see $log and fuzz/artifacts/$t/"
}

case "${1:-}" in
build) build ;;
smoke) smoke ;;
run)
	[ $# -ge 3 ] || die "usage: scripts/fuzz.sh run TARGET RUNS [libFuzzer args]"
	shift
	run_one "$@"
	;;
all)
	[ $# -eq 2 ] || die "usage: scripts/fuzz.sh all RUNS"
	build
	for t in "${TARGETS[@]}"; do run_one "$t" "$2"; done
	;;
repro)
	[ $# -ge 3 ] || die "usage: scripts/fuzz.sh repro TARGET FILE..."
	t="$2"
	shift 2
	"$BIN/$t" -timeout="$TIMEOUT" -rss_limit_mb="$RSS_MB" "$@"
	;;
list) printf '%s\n' "${TARGETS[@]}" ;;
*)
	sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
	;;
esac
