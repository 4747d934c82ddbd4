# The real-kernel scenario on Debian's 6.12 kernel, whose modules are
# .ko.xz: handed to the kernel compressed (MODULE_INIT_COMPRESSED_FILE),
# then once through the userspace-decompression fallback.
. /lib.sh
plan 16
rel=$(uname -r)
mods=/lib/modules/$rel
dmesg -n 1

check "rdepmod -a on .ko.xz modules" rdepmod -a
check_out "modules.dep lists virtio_net's chain" "net_failover.ko.xz" grep virtio_net $mods/modules.dep
check_out "the kernel decompresses xz itself" "xz" cat /sys/module/compression
check_out "rmodinfo reads a .ko.xz by name" "virtio" rmodinfo -F alias virtio_net
check_out "rmodprobe -v shows the compressed file" "virtio_net.ko.xz" rmodprobe -v virtio_net
check_loaded "virtio_net loaded from .ko.xz" virtio_net
check_loaded "net_failover loaded" net_failover
check_eq "rlsmod agrees with /proc/modules" "$(cut -d' ' -f1 /proc/modules | sort | tr '\n' ' ')" "$(rlsmod | tail -n +2 | cut -d' ' -f1 | sort | tr '\n' ' ')"
check_fail "rrmmod net_failover refused while held" "is in use by: virtio_net" rrmmod net_failover
check "rmodprobe -r virtio_net" rmodprobe -r virtio_net
check_unloaded "virtio_net removed" virtio_net
check "fallback: decompress in userspace, init_module" env RKMOD_USERSPACE_DECOMPRESS=1 rmodprobe virtio_net
check_loaded "virtio_net loaded through the fallback" virtio_net
check "rmodprobe -r virtio_net again" rmodprobe -r virtio_net
check_unloaded "net_failover removed" net_failover
check_fail "rinsmod of a missing dependency chain fails" "Unknown symbol in module" rinsmod $(grep -o '[^ ]*/virtio_net.ko.xz' $mods/modules.dep | head -n1 | sed "s|^|$mods/|")
