# The harness's own proof, on either kernel: the guest is what the other
# scenarios assume, and real loading works in it with busybox's own
# applets (called explicitly as `busybox insmod`; they are not on PATH).
# It needs no rkmod tool but rmodinfo. It also prints the kernel's facts
# (compression, signature enforcement, lockdown, taint) as `vm:` lines.
#   python3 tests/vm/run.py --kernel 6.1 --scenario tests/vm/scenario-harness.sh
. /lib.sh
rel=$(uname -r)
mods=/lib/modules/$rel
plan 27
dmesg -n 1

# facts, not checks
mkdir -p /sys/kernel/security && mount -t securityfs none /sys/kernel/security 2>/dev/null
note "compression: $(cat /sys/module/compression 2>/dev/null || echo '(no /sys/module/compression)')"
note "sig_enforce: $(cat /sys/module/module/parameters/sig_enforce 2>/dev/null || echo '(none)')"
note "lockdown: $(cat /sys/kernel/security/lockdown 2>/dev/null || echo '(none)')"
note "cmdline: $(cat /proc/cmdline)"

# the guest as the scenarios expect it
check_eq "uname -r names the module tree" "$rel" "$(ls /lib/modules)"
check "/proc/modules is readable" cat /proc/modules
check "no modules.dep shipped (scenarios run rdepmod -a)" test ! -e $mods/modules.dep
check "modules.order and modules.builtin shipped" test -s $mods/modules.order -a -s $mods/modules.builtin
check "busybox's module applets are not on PATH" sh -c '! command -v insmod && ! command -v rmmod && ! command -v lsmod && ! command -v modprobe && ! command -v depmod && ! command -v modinfo'
check "the rkmod tools are on PATH" sh -c 'for t in rkmod rinsmod rrmmod rlsmod rmodinfo rmodprobe rdepmod; do command -v $t || exit 1; done'

# virtio_net's chain, from the kernel's own tree (.ko or .ko.xz); virtio and
# virtio_ring are modules on 6.1 and built in on 6.12
ko() { find $mods/kernel -name "$1.ko*"; }
check_out "rmodinfo in the guest: virtio_net depends on net_failover" "net_failover" rmodinfo -F depends $(ko virtio_net)
check_out "rmodinfo in the guest: vermagic is this kernel's" "$rel " rmodinfo -F vermagic $(ko net_failover)
for m in virtio_ring virtio; do
    if [ -n "$(ko $m)" ]; then check "busybox insmod $m" busybox insmod $(ko $m)
    else check "$m is built in" grep -q "/$m.ko" $mods/modules.builtin; fi
done
check "busybox insmod failover" busybox insmod $(ko failover)
check "busybox insmod net_failover" busybox insmod $(ko net_failover)
check "busybox insmod virtio_net" busybox insmod $(ko virtio_net)
check_eq "/proc/modules: virtio_net's chain" "3" "$(grep -cE '^(failover|net_failover|virtio_net) ' /proc/modules)"
check_out "/proc/modules: net_failover used by virtio_net" "virtio_net" grep '^net_failover ' /proc/modules
check_fail "busybox rmmod net_failover refused while used" "" busybox rmmod net_failover
check "busybox rmmod virtio_net" busybox rmmod virtio_net
check "busybox rmmod net_failover" busybox rmmod net_failover
check "busybox rmmod failover" busybox rmmod failover
for m in virtio virtio_ring; do
    if [ -n "$(ko $m)" ]; then check "busybox rmmod $m" busybox rmmod $m
    else check_unloaded "$m (built in) is not in /proc/modules" $m; fi
done
check_eq "/proc/modules: the chain is gone" "0" "$(grep -cE '^(failover|net_failover|virtio_net|virtio|virtio_ring) ' /proc/modules)"

# an unsigned sample module with parameters, built for this very kernel
# at test time (run.py refuses samples of another ABI); missing, it fails
check "sample khello.ko in extra/" test -e $mods/extra/khello.ko
check "busybox insmod khello msg=vm io=2 (unsigned)" busybox insmod $mods/extra/khello.ko msg=vm io=2
check_eq "khello msg parameter in /sys" "vm" "$(cat /sys/module/khello/parameters/msg 2>&1)"
note "tainted: $(cat /proc/sys/kernel/tainted); $(dmesg | grep -m1 -E 'verification failed|tainting')"
check "busybox rmmod khello" busybox rmmod khello
check_unloaded "khello is gone" khello
