# rkmod — build, test and demo entry points. Every target installs what it
# needs on a fresh Debian machine (run as root).

CARGO      ?= cargo
# What `make build` ships, and what every suite, the demo, `make bench` and
# `make install` use: the tools statically linked (static-PIE, with the
# liblzma crate's bundled xz 5.8 built in: its decoder reads Debian's
# .ko.xz tree a third faster than the 5.4 kmod links), beside the sim
# kernel's module host. A tool call is then exec and
# its own work: no dynamic loader, no liblzma, libgcc_s and libm to map and
# relocate (a third of a `modprobe` call, issue 14). The module host
# dlopens modules, so it is the dynamic rkmod-sim-host of the workspace
# build, which a static rkmod starts (cargo's own target/release/rkmod is
# dynamic and works alone). cargo re-links target/release on every build,
# so the shipped set is staged in a directory of its own.
RELEASE_BIN = target/dist
HOST_TRIPLE := $(shell rustc -vV 2>/dev/null | sed -n 's/^host: //p')
STATIC_DIR  = target/$(HOST_TRIPLE)/release
# (bin/build.rs links static builds with packed relative relocations)
STATIC_RUSTFLAGS = -C target-feature=+crt-static
TOOLS       = rkmod rinsmod rrmmod rlsmod rmodinfo rmodprobe rdepmod
APT_STAMP   = /var/tmp/rkmod-apt-updated

.PHONY: all build deps deps-headers test test-unit test-diff vm-test vm-test-libkmod sim-vs-kernel lint fmt demo testdata golden bench clean man completions install test-install fuzz-smoke fuzz

all: build

# Debian packages the tests compare against or need; installed once. The
# kernel image's modules are test inputs (the loader relocates them); its
# headers build the sample modules and the sim kernel's kernel API. The
# cross compilers (and their binutils) and qemu-user check the loader's
# aarch64 and riscv64 engines; Debian's arm64 and riscv64 kernel packages
# are fetched (not installed) under /var/tmp for the same tests.
deps:
	@missing=""; \
	for p in kmod libkmod2 xz-utils zstd gzip gcc g++ make pkg-config liblzma-dev python3 util-linux groff-base zsh fish linux-image-amd64 linux-headers-amd64 \
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
	RUSTFLAGS="$(STATIC_RUSTFLAGS)" \
		$(CARGO) build --release --target $(HOST_TRIPLE) -p rkmod-cli --bins
	@mkdir -p $(RELEASE_BIN)
	@for t in $(TOOLS); do ln -f $(STATIC_DIR)/$$t $(RELEASE_BIN)/$$t; done
	@ln -f target/release/rkmod-sim-host $(RELEASE_BIN)/rkmod-sim-host
	@ln -f target/release/libkmod.so $(RELEASE_BIN)/libkmod.so

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
# RKMOD_CACHE_DIFF_ROUNDS=N runs more. Last, Debian's dracut-install on
# rkmod's libkmod.so.2 against kmod's library (--quick: every 100th module
# plus the softdep, firmware, alias, filter and batch cases; without it,
# every 20th).
test-diff: deps build
	python3 tests/diff/modinfo_diff.py --ours $(RELEASE_BIN)/rmodinfo
	python3 tests/diff/depmod_diff.py --ours $(RELEASE_BIN)/rdepmod
	python3 tests/diff/depmod_cache_diff.py --ours $(RELEASE_BIN)/rdepmod
	python3 tests/diff/modprobe_config_diff.py
	python3 tests/diff/modprobe_diff.py --ours $(RELEASE_BIN)/rmodprobe
	python3 tests/diff/libkmod_dracut_diff.py --lib $(RELEASE_BIN) --quick

# The real-kernel suites: Debian's 6.1 and 6.12 kernels in QEMU (TCG).
# On 6.12 the whole 6.1 suite runs too, with the samples built for 6.12.
vm-test: build
	python3 tests/vm/run.py --kernel 6.1 --bin-dir $(RELEASE_BIN) --scenario tests/vm/scenario-harness.sh
	python3 tests/vm/run.py --kernel 6.1 --bin-dir $(RELEASE_BIN)
	python3 tests/vm/run.py --kernel 6.12 --bin-dir $(RELEASE_BIN)
	python3 tests/vm/run.py --kernel 6.12 --bin-dir $(RELEASE_BIN) --scenario tests/vm/scenario-6.1.sh

# libkmod.so.2 (crates/libkmod, built by `make build`) judged by Debian's own
# systemd-modules-load, udevadm and lspci in QEMU, each compared with the
# same program on kmod's library (tests/vm/scenario-libkmod.sh).
vm-test-libkmod: build
	python3 tests/vm/run.py --kernel 6.1 --bin-dir $(RELEASE_BIN) --libkmod $(RELEASE_BIN)/libkmod.so
	python3 tests/vm/run.py --kernel 6.12 --bin-dir $(RELEASE_BIN) --libkmod $(RELEASE_BIN)/libkmod.so

# The sim kernel against the real one: the same .ko files (built for the
# kernel that boots) through one scenario in QEMU and in the sim kernel,
# every step's status, bytes and log lines compared (6.1 and 6.12).
sim-vs-kernel: build
	python3 tests/simko/compare.py --kernel 6.1 --bin-dir $(RELEASE_BIN)
	python3 tests/simko/compare.py --kernel 6.12 --bin-dir $(RELEASE_BIN)
	python3 tests/simko/isolation.py --kernel 6.1 --bin-dir $(RELEASE_BIN)

test: lint test-unit test-install test-diff vm-test vm-test-libkmod sim-vs-kernel fuzz-smoke

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

# make install PREFIX=/usr/local DESTDIR= [SYMLINKS=1]: the binaries (the
# sim kernel's module host in $(PREFIX)/lib/rkmod), the man pages, the completions, the C header of sim modules
# ($(PREFIX)/include/rkmod/sim_module.h) and the documents
# ($(PREFIX)/share/doc/rkmod). SYMLINKS=1 installs kmod's names as Debian's
# kmod package lays them out: kmod (and lsmod) in bin, modprobe, depmod,
# insmod, rmmod, lsmod and modinfo in sbin, all links to rkmod; the pages
# under kmod's names (links to rkmod's); the `kmod` completions.
# LIBKMOD=1 also installs rkmod's libkmod.so.2 (kmod's C library API) with
# the libkmod.so link in $(LIBDIR), libkmod.h in $(INCLUDEDIR) and
# libkmod.pc in $(PKGCONFIGDIR); without it no library is installed, so
# nothing replaces a system library by surprise.
PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR  ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
MANDIR  ?= $(PREFIX)/share/man
INCLUDEDIR ?= $(PREFIX)/include
LIBDIR  ?= $(PREFIX)/lib
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
# The kmod release whose library API libkmod.so.2 provides (libkmod.pc's Version).
LIBKMOD_API_VERSION = 34
# where a static rkmod looks for its module host: ../lib/rkmod from its bin
SIMHOSTDIR ?= $(PREFIX)/lib/rkmod
DOCDIR  ?= $(PREFIX)/share/doc/rkmod
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR  ?= $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d
KMOD_TOOLS   = insmod rmmod lsmod modinfo modprobe depmod
# The completions under rkmod's names; kmod's `kmod` ones go with SYMLINKS=1.
RKMOD_COMPLETIONS = $(filter-out completions/bash/kmod completions/zsh/_kmod completions/fish/kmod.fish,$(wildcard completions/bash/* completions/zsh/* completions/fish/*))
install: build
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR) \
		$(DESTDIR)$(INCLUDEDIR)/rkmod $(DESTDIR)$(DOCDIR)
	install -m 755 $(addprefix $(RELEASE_BIN)/,$(TOOLS)) $(DESTDIR)$(BINDIR)/
	install -d $(DESTDIR)$(SIMHOSTDIR)
	install -m 755 $(RELEASE_BIN)/rkmod-sim-host $(DESTDIR)$(SIMHOSTDIR)/
	install -m 644 man/*.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 644 man/*.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 644 $(filter completions/bash/%,$(RKMOD_COMPLETIONS)) $(DESTDIR)$(BASHCOMPDIR)/
	install -m 644 $(filter completions/zsh/%,$(RKMOD_COMPLETIONS)) $(DESTDIR)$(ZSHCOMPDIR)/
	install -m 644 $(filter completions/fish/%,$(RKMOD_COMPLETIONS)) $(DESTDIR)$(FISHCOMPDIR)/
	install -m 644 crates/sim-module/include/sim_module.h $(DESTDIR)$(INCLUDEDIR)/rkmod/
	install -m 644 README.md docs/*.md $(DESTDIR)$(DOCDIR)/
	@if [ "$(SYMLINKS)" = 1 ]; then \
		set -e; \
		install -d $(DESTDIR)$(SBINDIR); \
		ln -sf rkmod $(DESTDIR)$(BINDIR)/kmod; \
		ln -sf kmod $(DESTDIR)$(BINDIR)/lsmod; \
		for t in $(KMOD_TOOLS); do \
			ln -sf $$(realpath -s -m --relative-to=$(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR)/kmod) $(DESTDIR)$(SBINDIR)/$$t; \
			ln -sf r$$t.8 $(DESTDIR)$(MANDIR)/man8/$$t.8; \
		done; \
		ln -sf rkmod.8 $(DESTDIR)$(MANDIR)/man8/kmod.8; \
		ln -sf modules.dep.5 $(DESTDIR)$(MANDIR)/man5/modules.dep.bin.5; \
		install -m 644 completions/bash/kmod $(DESTDIR)$(BASHCOMPDIR)/; \
		install -m 644 completions/zsh/_kmod $(DESTDIR)$(ZSHCOMPDIR)/; \
		install -m 644 completions/fish/kmod.fish $(DESTDIR)$(FISHCOMPDIR)/; \
	fi
	@if [ "$(LIBKMOD)" = 1 ]; then \
		set -e; \
		install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(INCLUDEDIR); \
		install -m 755 $(RELEASE_BIN)/libkmod.so $(DESTDIR)$(LIBDIR)/libkmod.so.2; \
		ln -sf libkmod.so.2 $(DESTDIR)$(LIBDIR)/libkmod.so; \
		install -m 644 crates/libkmod/include/libkmod.h $(DESTDIR)$(INCLUDEDIR)/; \
		sed -e 's|@prefix@|$(PREFIX)|' -e 's|@libdir@|$(LIBDIR)|' -e 's|@includedir@|$(INCLUDEDIR)|' \
			-e 's|@VERSION@|$(LIBKMOD_API_VERSION)|' crates/libkmod/libkmod.pc.in >$(DESTDIR)$(PKGCONFIGDIR)/libkmod.pc; \
	fi

# make install into a scratch root, with and without kmod's names, and
# run the installed tools from there (tests/install/check.sh).
test-install: build
	tests/install/check.sh

# rkmod against kmod 30 (Debian's), and kmod 34 with KMOD34=DIR (a kmod 34
# build; scripts/build-kmod34.sh makes one as distributions do).
bench: deps build
	python3 scripts/bench.py --bin $(RELEASE_BIN) $(if $(KMOD34),--kmod34 $(KMOD34))

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
