# The real-kernel scenario on Debian's 6.1 kernel: the sample modules and
# virtio_net's chain, loaded and removed with the rkmod tools.
. /lib.sh
plan 70
rel=$(uname -r)
mods=/lib/modules/$rel
dmesg -n 1

check "rdepmod -a writes modules.dep" rdepmod -a
check_out "modules.dep: test_square depends on square" "extra/test_square.ko: extra/square.ko" cat $mods/modules.dep
check_out "modules.dep: virtio_net's chain" "net_failover.ko" grep virtio_net $mods/modules.dep
check_out "rmodinfo by name in the guest" "rkmod developers" rmodinfo -F author khello

# rinsmod with parameters, visible in /sys
check "rinsmod khello msg=hi io=3" rinsmod $mods/extra/khello.ko msg=hi io=3
check_eq "khello msg parameter in /sys" "hi" "$(cat /sys/module/khello/parameters/msg)"
check_eq "khello io parameter in /sys" "3" "$(cat /sys/module/khello/parameters/io)"
check_out "/proc/helloworld reads back" "hi (io=3)" cat /proc/helloworld
check_fail "second rinsmod: File exists" "File exists" rinsmod $mods/extra/khello.ko
check_eq "rlsmod agrees with /proc/modules" "$(cut -d' ' -f1 /proc/modules | sort | tr '\n' ' ')" "$(rlsmod | tail -n +2 | cut -d' ' -f1 | sort | tr '\n' ' ')"
check_out "rlsmod header is kmod's" "Module                  Size  Used by" rlsmod
check "rrmmod khello" rrmmod khello
check_unloaded "khello is gone" khello
check_fail "rrmmod of a module not loaded" "is not currently loaded" rrmmod khello

# khello refuses io=9 in its parameter setter
check_fail "khello refuses io=9" "Invalid parameters" rinsmod $mods/extra/khello.ko io=9
check_unloaded "khello not loaded after io=9" khello
check "an unknown parameter is ignored by this kernel" rinsmod $mods/extra/khello.ko bogus=1
dmesg_has "the kernel says it ignored it" "unknown parameter 'bogus' ignored"
check "rrmmod khello" rrmmod khello
check_fail "test_square alone: unknown symbol" "Unknown symbol in module" rinsmod $mods/extra/test_square.ko
check_fail "hint names the unresolved symbol" "hint: unresolved symbol: square" rinsmod $mods/extra/test_square.ko

# rmodprobe loads the dependency first
check "rmodprobe test_square" rmodprobe test_square
check_loaded "square loaded as a dependency" square
check_loaded "test_square loaded" test_square
dmesg_has "test_square printed square(7) = 49" "square(7) = 49"
check_out "rlsmod shows test_square holding square" "test_square" sh -c "rlsmod | grep '^square '"
check_fail "rrmmod square refused while used" "is in use by: test_square" rrmmod square
check_fail "rmodprobe -r -w 300 square gives up while held" "gave up waiting" rmodprobe -r -w 300 square
check_loaded "square still loaded after the wait" square
check "rmodprobe -r test_square" rmodprobe -r test_square
check_unloaded "test_square removed" test_square
check_unloaded "square removed with it" square

# a wrong vermagic is refused, then forced
check_fail "wrong vermagic refused" "Invalid module format" rinsmod /opt/rkmod/khello-badmagic.ko
check_fail "hint shows both vermagic strings" "hint: vermagic mismatch" rinsmod /opt/rkmod/khello-badmagic.ko
check "wrong vermagic loaded with -f" rinsmod -f /opt/rkmod/khello-badmagic.ko
check "remove the forced module" rrmmod khello

# Debian's real modules with dependencies
check "rmodprobe virtio_net loads the chain" rmodprobe virtio_net
check_loaded "failover loaded" failover
check_loaded "net_failover loaded" net_failover
check "rmodprobe -r virtio_net" rmodprobe -r virtio_net
check_unloaded "net_failover removed" net_failover

# a module written in Rust, in a chain with C modules: square <- rust_cube <- test_cube
check_out "modules.dep: test_cube depends on rust_cube, then square" "extra/test_cube.ko: extra/rust_cube.ko extra/square.ko" cat $mods/modules.dep
LOADLOG=$(rmodprobe -v test_cube 2>&1); rc=$?
OUT=$LOADLOG
check_eq "rmodprobe -v test_cube succeeds" "0" "$rc"
check_eq "loaded square, rust_cube, test_cube in that order" "square.ko rust_cube.ko test_cube.ko" "$(echo "$LOADLOG" | grep '^insmod' | sed 's|.*/||; s| .*||' | tr '\n' ' ' | sed 's/ $//')"
dmesg_has "rust_cube (Rust) logged its parameters and cube(3) = 27" "rust_cube: loaded, label=rust factor=3: cube(3) = 27"
dmesg_has "test_cube printed cube(4) = 64" "test_cube: cube(4) = 64"
check_eq "rust_cube factor in /sys" "3" "$(cat /sys/module/rust_cube/parameters/factor)"
check_eq "rust_cube label in /sys" "rust" "$(cat /sys/module/rust_cube/parameters/label)"
check_out "rlsmod shows test_cube holding rust_cube" "test_cube" sh -c "rlsmod | grep '^rust_cube '"
check_fail "rrmmod rust_cube refused while test_cube holds it" "is in use by: test_cube" rrmmod rust_cube
check "rmodprobe -r test_cube" rmodprobe -r test_cube
check_unloaded "test_cube removed" test_cube
check_unloaded "rust_cube removed with it" rust_cube
# libkmod tries the dependencies that became unused in load order (square
# first, still held by rust_cube at that moment), so kmod's modprobe -r
# leaves square loaded here; rmodprobe must leave the same set.
ours_left=$(cut -d' ' -f1 /proc/modules | sort | tr '\n' ' ')
rmodprobe test_cube >/dev/null 2>&1
OUT=$(/opt/kmod/modprobe -r test_cube 2>&1)
kmod_left=$(cut -d' ' -f1 /proc/modules | sort | tr '\n' ' ')
check_eq "kmod's modprobe -r test_cube leaves the same modules loaded" "$kmod_left" "$ours_left"
note "left loaded by rmodprobe -r test_cube: $ours_left; by kmod's modprobe -r: $kmod_left"
check "rmodprobe -r square ends the chain" rmodprobe -r square
check_unloaded "square removed" square
check "rmodprobe rust_cube factor=5 label=cubist" rmodprobe rust_cube factor=5 label=cubist
dmesg_has "the Rust code logged the new parameters" "rust_cube: loaded, label=cubist factor=5: cube(5) = 125"
check_eq "label=cubist in /sys" "cubist" "$(cat /sys/module/rust_cube/parameters/label)"
check "rmodprobe -r rust_cube" rmodprobe -r rust_cube
# the chain's kernel log, for the record
dmesg | grep -E '(square|rust_cube|test_cube): ' | sed 's/^/vm: dmesg: /'
check_unloaded "rust_cube and square removed" square

# configuration written in the guest
cat > /etc/modprobe.d/rkmod-test.conf <<'CONF'
alias my-square square
options square offset=5
options test_square value=3
blacklist khello
softdep test_square pre: khello
CONF
check "rmodprobe through a config alias" rmodprobe my-square
check_eq "options applied to square" "5" "$(cat /sys/module/square/parameters/offset)"
check "rmodprobe test_square with a softdep" rmodprobe test_square
check_loaded "softdep pre: khello loaded (blacklist spares softdeps)" khello
dmesg_has "options and offset reached test_square" "square(3) = 14"
check "rmodprobe -r test_square" rmodprobe -r test_square
check_unloaded "softdep removed too" khello
check "rmodprobe -b through an alias of a blacklisted module is a no-op" rmodprobe -b rkmod-hello
check_unloaded "blacklisted alias not loaded" khello
rm /etc/modprobe.d/rkmod-test.conf
