#!/bin/sh
# Debian's kernel image packages of the foreign architectures whose modules
# the loader's tests relocate (crates/modload/tests/foreign_modules.rs and
# cross_ld_compare.rs): arm64 from bookworm (the host's release) and
# riscv64 from trixie (bookworm has no riscv64; trixie is the first release
# with it). Fetched with apt-get download through a private apt
# configuration, so the host's sources and dpkg architectures stay as they
# are, and unpacked with dpkg-deb -x (never installed) under
# $RKMOD_FOREIGN_KERNELS (/var/tmp/rkmod-foreign-kernels)/<arch>.
# Idempotent: a finished unpack leaves .done (the package's name).
set -eu
root=${RKMOD_FOREIGN_KERNELS:-/var/tmp/rkmod-foreign-kernels}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

fetch() { # ARCH SUITE [SECURITY-SUITE]
	arch=$1 suite=$2
	dest=$root/$arch
	[ -f "$dest/.done" ] && return 0
	apt=$root/apt-$arch
	rm -rf "$dest"
	mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$dest"
	echo "deb [arch=$arch signed-by=$keyring] http://deb.debian.org/debian $suite main" >"$apt/sources.list"
	if [ $# -ge 3 ]; then
		echo "deb [arch=$arch signed-by=$keyring] http://deb.debian.org/debian-security $3 main" >>"$apt/sources.list"
	fi
	: >"$apt/status"
	set -- -o Dir::Etc::SourceList="$apt/sources.list" -o Dir::Etc::SourceParts=/nonexistent \
		-o Dir::State::Lists="$apt/lists" -o Dir::State::Status="$apt/status" \
		-o Dir::Cache="$apt/cache" -o APT::Architecture="$arch" -o APT::Architectures="$arch" \
		-o APT::Sandbox::User=root
	apt-get -qq "$@" update
	# The meta-package names the current image package.
	pkg=$(apt-cache "$@" depends "linux-image-$arch" | awk '/Depends: linux-image-/ { print $2; exit }')
	[ -n "$pkg" ] || { echo "fetch-foreign-kernels: no linux-image-$arch in $suite" >&2; exit 1; }
	(cd "$apt" && apt-get -qq "$@" download "$pkg")
	dpkg-deb -x "$apt/${pkg}"_*.deb "$dest"
	rm -f "$apt/${pkg}"_*.deb
	echo "$pkg" >"$dest/.done"
	echo "fetch-foreign-kernels: $pkg unpacked in $dest"
}

fetch arm64 bookworm bookworm-security
fetch riscv64 trixie
