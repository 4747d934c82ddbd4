# rkmod TOOL ...: TOOL's values after its name (rkmod modprobe te<TAB>).
for t in insmod rmmod modinfo modprobe depmod
    set -l f -f
    contains $t insmod depmod; and set f
    complete -c rkmod $f -n "__fish_seen_subcommand_from $t; and not string match -q -- '-*' (commandline -ct)" -a "(__rkmod_values r$t 3)"
end
