# The real-kernel scenario on Debian's 6.1 kernel: the sample modules and
# virtio_net's chain, loaded and removed with the rkmod tools.
. /lib.sh
plan 50
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
