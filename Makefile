# rkmod — build, test and demo entry points. Every target installs what it
# needs on a fresh Debian machine (run as root).

CARGO      ?= cargo
RELEASE_BIN = target/release
TOOLS       = rkmod rinsmod rrmmod rlsmod rmodinfo rmodprobe rdepmod
APT_STAMP   = /var/tmp/rkmod-apt-updated

.PHONY: all build deps test test-unit test-diff vm-test lint fmt demo testdata golden bench clean

all: build

# Debian packages the tests compare against or need; installed once.
deps:
	@missing=""; \
	for p in kmod xz-utils zstd gzip gcc python3 util-linux; do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		[ -f $(APT_STAMP) ] || { apt-get update -qq && touch $(APT_STAMP); }; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

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
# /var/tmp/rkmod-trees), each ending with "N passed, M failed".
test-diff: deps build
	python3 tests/diff/modinfo_diff.py --ours $(RELEASE_BIN)/rmodinfo
	python3 tests/diff/depmod_diff.py --ours $(RELEASE_BIN)/rdepmod
	python3 tests/diff/modprobe_config_diff.py
	python3 tests/diff/modprobe_diff.py --ours $(RELEASE_BIN)/rmodprobe

# The real-kernel suites: Debian's 6.1 and 6.12 kernels in QEMU (TCG).
# On 6.12 the whole 6.1 suite runs too, with the samples built for 6.12.
vm-test: build
	python3 tests/vm/run.py --kernel 6.1 --bin-dir $(RELEASE_BIN) --scenario tests/vm/scenario-harness.sh
	python3 tests/vm/run.py --kernel 6.1 --bin-dir $(RELEASE_BIN)
	python3 tests/vm/run.py --kernel 6.12 --bin-dir $(RELEASE_BIN)
	python3 tests/vm/run.py --kernel 6.12 --bin-dir $(RELEASE_BIN) --build-samples --scenario tests/vm/scenario-6.1.sh

test: lint test-unit test-diff vm-test

bench: deps build
	python3 scripts/bench-depmod.py --ours $(RELEASE_BIN)/rdepmod

# Regenerate the rmodinfo golden files with kmod's modinfo.
golden: deps
	scripts/make-golden.sh

demo: deps build
	@scripts/demo.sh

testdata:
	scripts/build-testdata.sh

clean:
	$(CARGO) clean
