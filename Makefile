# rkmod — build, test and demo entry points. Every target installs what it
# needs on a fresh Debian machine (run as root).

CARGO      ?= cargo
RELEASE_BIN = target/release
TOOLS       = rkmod rinsmod rrmmod rlsmod rmodinfo rmodprobe rdepmod
APT_STAMP   = /var/tmp/rkmod-apt-updated

.PHONY: all build deps deps-headers test test-unit test-diff vm-test sim-vs-kernel lint fmt demo testdata golden bench clean man completions install test-install fuzz-smoke fuzz

all: build

# Debian packages the tests compare against or need; installed once. The
# kernel image's modules are test inputs (the loader relocates them); its
# headers build the sample modules and the sim kernel's kernel API. The
# cross compilers (and their binutils) and qemu-user check the loader's
# aarch64 and riscv64 engines; Debian's arm64 and riscv64 kernel packages
# are fetched (not installed) under /var/tmp for the same tests.
deps:
	@missing=""; \
	for p in kmod xz-utils zstd gzip gcc make python3 util-linux groff-base zsh fish linux-image-amd64 linux-headers-amd64 \
		gcc-aarch64-linux-gnu gcc-riscv64-linux-gnu qemu-user; do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		[ -f $(APT_STAMP) ] || { apt-get update -qq && touch $(APT_STAMP); }; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi
	@scripts/fetch-foreign-kernels.sh

build:
	$(CARGO) build --release --workspace

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all

test-unit: deps
	$(CARGO) test --workspace

# Differential tests against kmod on Debian's module trees (cached under
# /var/tmp/rkmod-trees), each ending with "N passed, M failed". The
# rdepmod cache's randomized test runs 60 rounds here (seconds);
# RKMOD_CACHE_DIFF_ROUNDS=N runs more.
test-diff: deps build
	python3 tests/diff/modinfo_diff.py --ours $(RELEASE_BIN)/rmodinfo
	python3 tests/diff/depmod_diff.py --ours $(RELEASE_BIN)/rdepmod
	python3 tests/diff/depmod_cache_diff.py --ours $(RELEASE_BIN)/rdepmod
	python3 tests/diff/modprobe_config_diff.py
	python3 tests/diff/modprobe_diff.py --ours $(RELEASE_BIN)/rmodprobe

# The real-kernel suites: Debian's 6.1 and 6.12 kernels in QEMU (TCG).
# On 6.12 the whole 6.1 suite runs too, with the samples built for 6.12.
vm-test: build
	python3 tests/vm/run.py --kernel 6.1 --bin-dir $(RELEASE_BIN) --scenario tests/vm/scenario-harness.sh
	python3 tests/vm/run.py --kernel 6.1 --bin-dir $(RELEASE_BIN)
	python3 tests/vm/run.py --kernel 6.12 --bin-dir $(RELEASE_BIN)
	python3 tests/vm/run.py --kernel 6.12 --bin-dir $(RELEASE_BIN) --scenario tests/vm/scenario-6.1.sh

# The sim kernel against the real one: the same .ko files (built for the
# kernel that boots) through one scenario in QEMU and in the sim kernel,
# every step's status, bytes and log lines compared (6.1 and 6.12).
sim-vs-kernel: build
	python3 tests/simko/compare.py --kernel 6.1 --bin-dir $(RELEASE_BIN)
	python3 tests/simko/compare.py --kernel 6.12 --bin-dir $(RELEASE_BIN)
	python3 tests/simko/isolation.py --kernel 6.1 --bin-dir $(RELEASE_BIN)

test: lint test-unit test-install test-diff vm-test sim-vs-kernel fuzz-smoke

# Fuzzing on the stable toolchain (libFuzzer; fuzz/README.md): fuzz-smoke
# builds every target, checks that a panic, a hang and an over-limit
# allocation each fail a run, then runs each target on its seeds and
# regressions and mutates for FUZZ_SMOKE_SECONDS (10) seconds: about a
# minute once built. `make fuzz FUZZ_RUNS=N` runs each target to N executions.
fuzz-smoke:
	scripts/fuzz.sh smoke

FUZZ_RUNS ?= 10000000
fuzz:
	scripts/fuzz.sh all $(FUZZ_RUNS)

# Man pages (section 8) and completions, from the clap definitions and the
# written parts in man/src and completions/src; a test fails when stale.
man completions: build
	$(RELEASE_BIN)/rkmod __generate .

# make install PREFIX=/usr/local DESTDIR= [SYMLINKS=1]: the binaries, the
# man pages and the completions; with SYMLINKS=1 also kmod's plain names
# (modprobe, depmod, ...) as links to rkmod.
PREFIX  ?= /usr/local
DESTDIR ?=
install: build
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/man/man8 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/site-functions \
		$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 755 $(addprefix $(RELEASE_BIN)/,$(TOOLS)) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 man/*.5 $(DESTDIR)$(PREFIX)/share/man/man5/
	install -m 644 man/*.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	install -m 644 completions/bash/* $(DESTDIR)$(PREFIX)/share/bash-completion/completions/
	install -m 644 completions/zsh/* $(DESTDIR)$(PREFIX)/share/zsh/site-functions/
	install -m 644 completions/fish/* $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/
	@if [ "$(SYMLINKS)" = 1 ]; then \
		for t in insmod rmmod lsmod modinfo modprobe depmod; do \
			ln -sf rkmod $(DESTDIR)$(PREFIX)/bin/$$t; \
		done; \
	fi

# make install into a scratch DESTDIR, with and without the plain names.
test-install: build
	@d=$$(mktemp -d); trap 'rm -rf "$$d"' EXIT; \
	$(MAKE) -s install DESTDIR=$$d PREFIX=/usr >/dev/null && \
	for f in bin/rkmod bin/rmodprobe bin/rdepmod share/man/man8/rmodprobe.8 share/man/man5/modprobe.d.5 \
		share/bash-completion/completions/rmodprobe share/zsh/site-functions/_rmodprobe \
		share/fish/vendor_completions.d/rmodprobe.fish; do \
		[ -e "$$d/usr/$$f" ] || { echo "test-install: $$f missing"; exit 1; }; \
	done; \
	[ ! -e "$$d/usr/bin/modprobe" ] || { echo "test-install: plain names without SYMLINKS=1"; exit 1; }; \
	$(MAKE) -s install DESTDIR=$$d PREFIX=/usr SYMLINKS=1 >/dev/null && \
	[ "$$(readlink $$d/usr/bin/modprobe)" = rkmod ] || { echo "test-install: no modprobe link"; exit 1; }; \
	$$d/usr/bin/modinfo -F license testdata/kernel/*/square.ko | grep -qx GPL || { echo "test-install: modinfo link"; exit 1; }; \
	echo "test-install: ok"

bench: deps build
	python3 scripts/bench-depmod.py --ours $(RELEASE_BIN)/rdepmod

# Regenerate the rmodinfo golden files with kmod's modinfo.
golden: deps
	scripts/make-golden.sh

# The kernel headers the .ko part of the demo builds against.
deps-headers:
	@dpkg-query -W -f='$${Status}' linux-headers-amd64 2>/dev/null | grep -q 'install ok installed' || { \
		echo "installing: linux-headers-amd64 make"; \
		[ -f $(APT_STAMP) ] || { apt-get update -qq && touch $(APT_STAMP); }; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq linux-headers-amd64 make >/dev/null; }

demo: deps deps-headers build
	@scripts/demo.sh

testdata:
	scripts/build-testdata.sh

clean:
	$(CARGO) clean
