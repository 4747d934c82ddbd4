# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_rkmod_global_optspecs
    string join \n V/version h/help
end

function __fish_rkmod_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_rkmod_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_rkmod_using_subcommand
    set -l cmd (__fish_rkmod_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c rkmod -n "__fish_rkmod_needs_command" -s V -l version -d 'Show version'
complete -c rkmod -n "__fish_rkmod_needs_command" -s h -l help -d 'Print help'
complete -c rkmod -n "__fish_rkmod_needs_command" -f -a "insmod" -d 'Insert a module into the Linux kernel'
complete -c rkmod -n "__fish_rkmod_needs_command" -f -a "rmmod" -d 'Remove a module from the Linux kernel'
complete -c rkmod -n "__fish_rkmod_needs_command" -f -a "lsmod" -d 'Show the status of modules in the Linux kernel'
complete -c rkmod -n "__fish_rkmod_needs_command" -f -a "modinfo" -d 'Show information about Linux kernel modules'
complete -c rkmod -n "__fish_rkmod_needs_command" -f -a "modprobe" -d 'Add and remove modules from the Linux kernel'
complete -c rkmod -n "__fish_rkmod_needs_command" -f -a "depmod" -d 'Generate modules.dep and map files'
complete -c rkmod -n "__fish_rkmod_needs_command" -f -a "list" -d 'list currently loaded modules'
complete -c rkmod -n "__fish_rkmod_needs_command" -f -a "static-nodes" -d 'outputs the static-node information installed with the currently running kernel'
complete -c rkmod -n "__fish_rkmod_needs_command" -f -a "sim" -d 'The sim kernel (test mode): serve, start, stop, status, log, read, write'
complete -c rkmod -n "__fish_rkmod_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c rkmod -n "__fish_rkmod_using_subcommand insmod" -l sim -d 'Use the sim kernel (test mode) at SOCKET; without a value $RKMOD_SIM, else the default socket' -r
complete -c rkmod -n "__fish_rkmod_using_subcommand insmod" -s f -l force -d 'DANGEROUS: forces a module load, may cause data corruption and crash your machine'
complete -c rkmod -n "__fish_rkmod_using_subcommand insmod" -s s -l syslog -d 'print to syslog, not stderr'
complete -c rkmod -n "__fish_rkmod_using_subcommand insmod" -s v -l verbose -d 'enables more messages'
complete -c rkmod -n "__fish_rkmod_using_subcommand insmod" -s V -l version -d 'show version'
complete -c rkmod -n "__fish_rkmod_using_subcommand insmod" -s h -l help -d 'Print help'
complete -c rkmod -n "__fish_rkmod_using_subcommand rmmod" -l sim -d 'Use the sim kernel (test mode) at SOCKET; without a value $RKMOD_SIM, else the default socket' -r
complete -c rkmod -n "__fish_rkmod_using_subcommand rmmod" -s f -l force -d 'DANGEROUS: forces a module unload and may crash your machine'
complete -c rkmod -n "__fish_rkmod_using_subcommand rmmod" -s s -l syslog -d 'print to syslog, not stderr'
complete -c rkmod -n "__fish_rkmod_using_subcommand rmmod" -s v -l verbose -d 'enables more messages'
complete -c rkmod -n "__fish_rkmod_using_subcommand rmmod" -s V -l version -d 'show version'
complete -c rkmod -n "__fish_rkmod_using_subcommand rmmod" -s h -l help -d 'Print help'
complete -c rkmod -n "__fish_rkmod_using_subcommand lsmod" -l sim -d 'Use the sim kernel (test mode) at SOCKET; without a value $RKMOD_SIM, else the default socket' -r
complete -c rkmod -n "__fish_rkmod_using_subcommand lsmod" -s s -l syslog -d 'print to syslog, not stderr'
complete -c rkmod -n "__fish_rkmod_using_subcommand lsmod" -s v -l verbose -d 'enables more messages'
complete -c rkmod -n "__fish_rkmod_using_subcommand lsmod" -s V -l version -d 'show version'
complete -c rkmod -n "__fish_rkmod_using_subcommand lsmod" -l json -d 'Print one JSON document (schema rkmod/1, see docs/json.md) instead of the table'
complete -c rkmod -n "__fish_rkmod_using_subcommand lsmod" -s h -l help -d 'Print help'
complete -c rkmod -n "__fish_rkmod_using_subcommand modinfo" -s F -l field -d 'Print only provided FIELD' -r
complete -c rkmod -n "__fish_rkmod_using_subcommand modinfo" -s k -l set-version -d 'Use VERSION instead of `uname -r`' -r
complete -c rkmod -n "__fish_rkmod_using_subcommand modinfo" -s b -l basedir -d 'Use DIR as filesystem root for /lib/modules' -r -F
complete -c rkmod -n "__fish_rkmod_using_subcommand modinfo" -l sim -d 'Use the sim kernel (test mode) at SOCKET; without a value $RKMOD_SIM, else the default socket' -r
complete -c rkmod -n "__fish_rkmod_using_subcommand modinfo" -s a -l author -d 'Print only \'author\''
complete -c rkmod -n "__fish_rkmod_using_subcommand modinfo" -s d -l description -d 'Print only \'description\''
complete -c rkmod -n "__fish_rkmod_using_subcommand modinfo" -s l -l license -d 'Print only \'license\''
complete -c rkmod -n "__fish_rkmod_using_subcommand modinfo" -s p -l parameters -d 'Print only \'parm\''
complete -c rkmod -n "__fish_rkmod_using_subcommand modinfo" -s n -l filename -d 'Print only \'filename\''
complete -c rkmod -n "__fish_rkmod_using_subcommand modinfo" -s 0 -l null -d 'Use \\0 instead of \\n'
complete -c rkmod -n "__fish_rkmod_using_subcommand modinfo" -s m -l modname -d 'Handle argument as module name instead of alias or filename'
complete -c rkmod -n "__fish_rkmod_using_subcommand modinfo" -s V -l version -d 'Show version'
complete -c rkmod -n "__fish_rkmod_using_subcommand modinfo" -l json -d 'Print one JSON document (schema rkmod/1, see docs/json.md) instead of text; -F, -0 and the field options are ignored'
complete -c rkmod -n "__fish_rkmod_using_subcommand modinfo" -s h -l help -d 'Print help'
complete -c rkmod -n "__fish_rkmod_using_subcommand modprobe" -s w -l wait -d 'When removing a module, wait up to MSEC for its refcount to become 0' -r
complete -c rkmod -n "__fish_rkmod_using_subcommand modprobe" -s C -l config -d 'Use FILE instead of default search paths' -r -F
complete -c rkmod -n "__fish_rkmod_using_subcommand modprobe" -s d -l dirname -d 'Use DIR as filesystem root for /lib/modules' -r -F
complete -c rkmod -n "__fish_rkmod_using_subcommand modprobe" -s S -l set-version -d 'Use VERSION instead of `uname -r`' -r
complete -c rkmod -n "__fish_rkmod_using_subcommand modprobe" -l sim -d 'Use the sim kernel (test mode) at SOCKET; without a value $RKMOD_SIM, else the default socket' -r
complete -c rkmod -n "__fish_rkmod_using_subcommand modprobe" -s a -l all -d 'Consider every non-argument to be a module name to be inserted or removed (-r)'
complete -c rkmod -n "__fish_rkmod_using_subcommand modprobe" -s r -l remove -d 'Remove modules instead of inserting'
complete -c rkmod -n "__fish_rkmod_using_subcommand modprobe" -l remove-holders -l remove-dependencies -d 'Also remove module holders (use together with -r)'
complete -c rkmod -n "__fish_rkmod_using_subcommand modprobe" -s R -l resolve-alias -d 'Only lookup and print alias and exit'
complete -c rkmod -n "__fish_rkmod_using_subcommand modprobe" -l first-time -d 'Fail if module already inserted or removed'
complete -c rkmod -n "__fish_rkmod_using_subcommand modprobe" -s i -l ignore-install -l ignore-remove -d 'Ignore install and remove commands'
complete -c rkmod -n "__fish_rkmod_using_subcommand modprobe" -s b -l use-blacklist -d 'Apply blacklist to resolved alias'
complete -c rkmod -n "__fish_rkmod_using_subcommand modprobe" -s f -l force -d 'Force module insertion or removal'
complete -c rkmod -n "__fish_rkmod_using_subcommand modprobe" -l force-modversion -d 'Ignore module\'s version'
complete -c rkmod -n "__fish_rkmod_using_subcommand modprobe" -l force-vermagic -d 'Ignore module\'s version magic'
complete -c rkmod -n "__fish_rkmod_using_subcommand modprobe" -s D -l show-depends -d 'Only print module dependencies and exit'
complete -c rkmod -n "__fish_rkmod_using_subcommand modprobe" -l json -d 'With -D: print the load plans as one JSON document (schema rkmod/1, see docs/json.md)'
complete -c rkmod -n "__fish_rkmod_using_subcommand modprobe" -l graph -d 'With -D: print the dependency graph (hard, softdep and weakdep edges) as Graphviz DOT'
complete -c rkmod -n "__fish_rkmod_using_subcommand modprobe" -s c -l showconfig -l show-config -d 'Print out known configuration and exit'
complete -c rkmod -n "__fish_rkmod_using_subcommand modprobe" -l show-modversions -l dump-modversions -d 'Dump module symbol version and exit'
complete -c rkmod -n "__fish_rkmod_using_subcommand modprobe" -l show-exports -d 'Only print module exported symbol versions and exit'
complete -c rkmod -n "__fish_rkmod_using_subcommand modprobe" -s n -l dry-run -l show -d 'Do not execute operations, just print out'
complete -c rkmod -n "__fish_rkmod_using_subcommand modprobe" -s s -l syslog -d 'print to syslog, not stderr'
complete -c rkmod -n "__fish_rkmod_using_subcommand modprobe" -s q -l quiet -d 'disable messages'
complete -c rkmod -n "__fish_rkmod_using_subcommand modprobe" -s v -l verbose -d 'enables more messages'
complete -c rkmod -n "__fish_rkmod_using_subcommand modprobe" -s V -l version -d 'show version'
complete -c rkmod -n "__fish_rkmod_using_subcommand modprobe" -s h -l help -d 'Print help'
complete -c rkmod -n "__fish_rkmod_using_subcommand depmod" -l sim -d 'Index the module tree of the sim kernel at SOCKET (test mode; .so modules)' -r
complete -c rkmod -n "__fish_rkmod_using_subcommand depmod" -s b -l basedir -d 'Root path (default: /)' -r
complete -c rkmod -n "__fish_rkmod_using_subcommand depmod" -s m -l moduledir -d 'Module directory (default: /lib/modules)' -r
complete -c rkmod -n "__fish_rkmod_using_subcommand depmod" -s o -l outdir -d 'Output root path (default: same as the base directory)' -r
complete -c rkmod -n "__fish_rkmod_using_subcommand depmod" -s C -l config -d 'Read configuration from PATH (a file or a directory)' -r
complete -c rkmod -n "__fish_rkmod_using_subcommand depmod" -s E -l symvers -d 'Use a Module.symvers file to check symbol versions' -r
complete -c rkmod -n "__fish_rkmod_using_subcommand depmod" -s F -l filesyms -d 'Use this System.map instead of the current kernel\'s symbols' -r
complete -c rkmod -n "__fish_rkmod_using_subcommand depmod" -s P -l symbol-prefix -d 'Architecture symbol prefix' -r
complete -c rkmod -n "__fish_rkmod_using_subcommand depmod" -l json -d 'With -n: print the modules as one JSON document (schema rkmod/1, see docs/json.md)'
complete -c rkmod -n "__fish_rkmod_using_subcommand depmod" -l graph -d 'Print the dependency graph (hard, softdep and weakdep edges) as Graphviz DOT; write nothing'
complete -c rkmod -n "__fish_rkmod_using_subcommand depmod" -s u
complete -c rkmod -n "__fish_rkmod_using_subcommand depmod" -s q
complete -c rkmod -n "__fish_rkmod_using_subcommand depmod" -s r
complete -c rkmod -n "__fish_rkmod_using_subcommand depmod" -l unresolved-error
complete -c rkmod -n "__fish_rkmod_using_subcommand depmod" -l quiet
complete -c rkmod -n "__fish_rkmod_using_subcommand depmod" -l root
complete -c rkmod -n "__fish_rkmod_using_subcommand depmod" -l map
complete -c rkmod -n "__fish_rkmod_using_subcommand depmod" -s a -l all -d 'Probe all modules'
complete -c rkmod -n "__fish_rkmod_using_subcommand depmod" -s A -l quick -d 'Only do the work if there is a new module'
complete -c rkmod -n "__fish_rkmod_using_subcommand depmod" -s e -l errsyms -d 'Report symbols no module or kernel supplies'
complete -c rkmod -n "__fish_rkmod_using_subcommand depmod" -s v -l verbose -d 'Enable verbose mode'
complete -c rkmod -n "__fish_rkmod_using_subcommand depmod" -s n -l show -l dry-run -d 'Write the dependency files on stdout only'
complete -c rkmod -n "__fish_rkmod_using_subcommand depmod" -s w -l warn -d 'Warn on duplicates'
complete -c rkmod -n "__fish_rkmod_using_subcommand depmod" -s V -l version -d 'Show version'
complete -c rkmod -n "__fish_rkmod_using_subcommand depmod" -s h -l help -d 'Show this help'
complete -c rkmod -n "__fish_rkmod_using_subcommand list" -s h -l help -d 'Print help'
complete -c rkmod -n "__fish_rkmod_using_subcommand static-nodes" -s f -l format -d 'choose format to use' -r -f -a "human\t''
tmpfiles\t''
devname\t''"
complete -c rkmod -n "__fish_rkmod_using_subcommand static-nodes" -s o -l output -d 'write output to file' -r -F
complete -c rkmod -n "__fish_rkmod_using_subcommand static-nodes" -s h -l help -d 'Print help'
complete -c rkmod -n "__fish_rkmod_using_subcommand sim; and not __fish_seen_subcommand_from serve start stop status log read write help" -s h -l help -d 'Print help'
complete -c rkmod -n "__fish_rkmod_using_subcommand sim; and not __fish_seen_subcommand_from serve start stop status log read write help" -f -a "serve" -d 'Run a sim kernel in the foreground until SIGTERM, SIGINT or SIGHUP'
complete -c rkmod -n "__fish_rkmod_using_subcommand sim; and not __fish_seen_subcommand_from serve start stop status log read write help" -f -a "start" -d 'Start a sim kernel in the background; return once it serves'
complete -c rkmod -n "__fish_rkmod_using_subcommand sim; and not __fish_seen_subcommand_from serve start stop status log read write help" -f -a "stop" -d 'Stop a sim kernel (SIGTERM) and wait until it is gone'
complete -c rkmod -n "__fish_rkmod_using_subcommand sim; and not __fish_seen_subcommand_from serve start stop status log read write help" -f -a "status" -d 'Show a sim kernel\'s state'
complete -c rkmod -n "__fish_rkmod_using_subcommand sim; and not __fish_seen_subcommand_from serve start stop status log read write help" -f -a "log" -d 'Print a sim kernel\'s log (its dmesg)'
complete -c rkmod -n "__fish_rkmod_using_subcommand sim; and not __fish_seen_subcommand_from serve start stop status log read write help" -f -a "read" -d 'Print a module\'s file (/proc/..., /sys/kernel/..., /sys/module/M/parameters/P) as the module\'s own code serves it'
complete -c rkmod -n "__fish_rkmod_using_subcommand sim; and not __fish_seen_subcommand_from serve start stop status log read write help" -f -a "write" -d 'Write VALUE (exactly, no newline added) to a module\'s file in one write'
complete -c rkmod -n "__fish_rkmod_using_subcommand sim; and not __fish_seen_subcommand_from serve start stop status log read write help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c rkmod -n "__fish_rkmod_using_subcommand sim; and __fish_seen_subcommand_from serve" -l state -d 'The daemon\'s state directory (default: $XDG_RUNTIME_DIR/rkmod-sim)' -r -F
complete -c rkmod -n "__fish_rkmod_using_subcommand sim; and __fish_seen_subcommand_from serve" -l socket -d 'The daemon\'s socket (default: DIR/rkmod-sim.sock with --state, else $RKMOD_SIM, else $XDG_RUNTIME_DIR/rkmod-sim.sock)' -r -F
complete -c rkmod -n "__fish_rkmod_using_subcommand sim; and __fish_seen_subcommand_from serve" -l modules -d 'The module tree (default: DIR/lib/modules/RELEASE)' -r -F
complete -c rkmod -n "__fish_rkmod_using_subcommand sim; and __fish_seen_subcommand_from serve" -l release -d 'The kernel release the sim kernel reports and checks vermagic against' -r
complete -c rkmod -n "__fish_rkmod_using_subcommand sim; and __fish_seen_subcommand_from serve" -l init-timeout -d 'Seconds a call into a module (module_init first) may take before its host is killed' -r
complete -c rkmod -n "__fish_rkmod_using_subcommand sim; and __fish_seen_subcommand_from serve" -l headers -d 'The release\'s kernel headers (kbuild directory) for .ko modules (default: /lib/modules/RELEASE/build)' -r -F
complete -c rkmod -n "__fish_rkmod_using_subcommand sim; and __fish_seen_subcommand_from serve" -l allow-outside-tree -d 'Load module files from anywhere, not only from the module tree'
complete -c rkmod -n "__fish_rkmod_using_subcommand sim; and __fish_seen_subcommand_from serve" -l echo-log -d 'Copy log lines to stderr as well'
complete -c rkmod -n "__fish_rkmod_using_subcommand sim; and __fish_seen_subcommand_from serve" -s h -l help -d 'Print help'
complete -c rkmod -n "__fish_rkmod_using_subcommand sim; and __fish_seen_subcommand_from start" -l state -d 'The daemon\'s state directory (default: $XDG_RUNTIME_DIR/rkmod-sim)' -r -F
complete -c rkmod -n "__fish_rkmod_using_subcommand sim; and __fish_seen_subcommand_from start" -l socket -d 'The daemon\'s socket (default: DIR/rkmod-sim.sock with --state, else $RKMOD_SIM, else $XDG_RUNTIME_DIR/rkmod-sim.sock)' -r -F
complete -c rkmod -n "__fish_rkmod_using_subcommand sim; and __fish_seen_subcommand_from start" -l modules -d 'The module tree (default: DIR/lib/modules/RELEASE)' -r -F
complete -c rkmod -n "__fish_rkmod_using_subcommand sim; and __fish_seen_subcommand_from start" -l release -d 'The kernel release the sim kernel reports and checks vermagic against' -r
complete -c rkmod -n "__fish_rkmod_using_subcommand sim; and __fish_seen_subcommand_from start" -l init-timeout -d 'Seconds a call into a module (module_init first) may take before its host is killed' -r
complete -c rkmod -n "__fish_rkmod_using_subcommand sim; and __fish_seen_subcommand_from start" -l headers -d 'The release\'s kernel headers (kbuild directory) for .ko modules (default: /lib/modules/RELEASE/build)' -r -F
complete -c rkmod -n "__fish_rkmod_using_subcommand sim; and __fish_seen_subcommand_from start" -l wait -d 'Seconds to wait for it to serve' -r
complete -c rkmod -n "__fish_rkmod_using_subcommand sim; and __fish_seen_subcommand_from start" -l allow-outside-tree -d 'Load module files from anywhere, not only from the module tree'
complete -c rkmod -n "__fish_rkmod_using_subcommand sim; and __fish_seen_subcommand_from start" -l echo-log -d 'Copy log lines to stderr as well'
complete -c rkmod -n "__fish_rkmod_using_subcommand sim; and __fish_seen_subcommand_from start" -s h -l help -d 'Print help'
complete -c rkmod -n "__fish_rkmod_using_subcommand sim; and __fish_seen_subcommand_from stop" -l state -d 'The daemon\'s state directory (default: $XDG_RUNTIME_DIR/rkmod-sim)' -r -F
complete -c rkmod -n "__fish_rkmod_using_subcommand sim; and __fish_seen_subcommand_from stop" -l socket -d 'The daemon\'s socket (default: DIR/rkmod-sim.sock with --state, else $RKMOD_SIM, else $XDG_RUNTIME_DIR/rkmod-sim.sock)' -r -F
complete -c rkmod -n "__fish_rkmod_using_subcommand sim; and __fish_seen_subcommand_from stop" -l timeout -d 'Seconds to wait for it to stop' -r
complete -c rkmod -n "__fish_rkmod_using_subcommand sim; and __fish_seen_subcommand_from stop" -s h -l help -d 'Print help'
complete -c rkmod -n "__fish_rkmod_using_subcommand sim; and __fish_seen_subcommand_from status" -l state -d 'The daemon\'s state directory (default: $XDG_RUNTIME_DIR/rkmod-sim)' -r -F
complete -c rkmod -n "__fish_rkmod_using_subcommand sim; and __fish_seen_subcommand_from status" -l socket -d 'The daemon\'s socket (default: DIR/rkmod-sim.sock with --state, else $RKMOD_SIM, else $XDG_RUNTIME_DIR/rkmod-sim.sock)' -r -F
complete -c rkmod -n "__fish_rkmod_using_subcommand sim; and __fish_seen_subcommand_from status" -l json -d 'As JSON (the protocol\'s status record)'
complete -c rkmod -n "__fish_rkmod_using_subcommand sim; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help'
complete -c rkmod -n "__fish_rkmod_using_subcommand sim; and __fish_seen_subcommand_from log" -l state -d 'The daemon\'s state directory (default: $XDG_RUNTIME_DIR/rkmod-sim)' -r -F
complete -c rkmod -n "__fish_rkmod_using_subcommand sim; and __fish_seen_subcommand_from log" -l socket -d 'The daemon\'s socket (default: DIR/rkmod-sim.sock with --state, else $RKMOD_SIM, else $XDG_RUNTIME_DIR/rkmod-sim.sock)' -r -F
complete -c rkmod -n "__fish_rkmod_using_subcommand sim; and __fish_seen_subcommand_from log" -s f -l follow -d 'Keep printing new lines as they come'
complete -c rkmod -n "__fish_rkmod_using_subcommand sim; and __fish_seen_subcommand_from log" -s h -l help -d 'Print help'
complete -c rkmod -n "__fish_rkmod_using_subcommand sim; and __fish_seen_subcommand_from read" -l state -d 'The daemon\'s state directory (default: $XDG_RUNTIME_DIR/rkmod-sim)' -r -F
complete -c rkmod -n "__fish_rkmod_using_subcommand sim; and __fish_seen_subcommand_from read" -l socket -d 'The daemon\'s socket (default: DIR/rkmod-sim.sock with --state, else $RKMOD_SIM, else $XDG_RUNTIME_DIR/rkmod-sim.sock)' -r -F
complete -c rkmod -n "__fish_rkmod_using_subcommand sim; and __fish_seen_subcommand_from read" -s h -l help -d 'Print help'
complete -c rkmod -n "__fish_rkmod_using_subcommand sim; and __fish_seen_subcommand_from write" -l state -d 'The daemon\'s state directory (default: $XDG_RUNTIME_DIR/rkmod-sim)' -r -F
complete -c rkmod -n "__fish_rkmod_using_subcommand sim; and __fish_seen_subcommand_from write" -l socket -d 'The daemon\'s socket (default: DIR/rkmod-sim.sock with --state, else $RKMOD_SIM, else $XDG_RUNTIME_DIR/rkmod-sim.sock)' -r -F
complete -c rkmod -n "__fish_rkmod_using_subcommand sim; and __fish_seen_subcommand_from write" -s h -l help -d 'Print help'
complete -c rkmod -n "__fish_rkmod_using_subcommand sim; and __fish_seen_subcommand_from help" -f -a "serve" -d 'Run a sim kernel in the foreground until SIGTERM, SIGINT or SIGHUP'
complete -c rkmod -n "__fish_rkmod_using_subcommand sim; and __fish_seen_subcommand_from help" -f -a "start" -d 'Start a sim kernel in the background; return once it serves'
complete -c rkmod -n "__fish_rkmod_using_subcommand sim; and __fish_seen_subcommand_from help" -f -a "stop" -d 'Stop a sim kernel (SIGTERM) and wait until it is gone'
complete -c rkmod -n "__fish_rkmod_using_subcommand sim; and __fish_seen_subcommand_from help" -f -a "status" -d 'Show a sim kernel\'s state'
complete -c rkmod -n "__fish_rkmod_using_subcommand sim; and __fish_seen_subcommand_from help" -f -a "log" -d 'Print a sim kernel\'s log (its dmesg)'
complete -c rkmod -n "__fish_rkmod_using_subcommand sim; and __fish_seen_subcommand_from help" -f -a "read" -d 'Print a module\'s file (/proc/..., /sys/kernel/..., /sys/module/M/parameters/P) as the module\'s own code serves it'
complete -c rkmod -n "__fish_rkmod_using_subcommand sim; and __fish_seen_subcommand_from help" -f -a "write" -d 'Write VALUE (exactly, no newline added) to a module\'s file in one write'
complete -c rkmod -n "__fish_rkmod_using_subcommand sim; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c rkmod -n "__fish_rkmod_using_subcommand help; and not __fish_seen_subcommand_from insmod rmmod lsmod modinfo modprobe depmod list static-nodes sim help" -f -a "insmod" -d 'Insert a module into the Linux kernel'
complete -c rkmod -n "__fish_rkmod_using_subcommand help; and not __fish_seen_subcommand_from insmod rmmod lsmod modinfo modprobe depmod list static-nodes sim help" -f -a "rmmod" -d 'Remove a module from the Linux kernel'
complete -c rkmod -n "__fish_rkmod_using_subcommand help; and not __fish_seen_subcommand_from insmod rmmod lsmod modinfo modprobe depmod list static-nodes sim help" -f -a "lsmod" -d 'Show the status of modules in the Linux kernel'
complete -c rkmod -n "__fish_rkmod_using_subcommand help; and not __fish_seen_subcommand_from insmod rmmod lsmod modinfo modprobe depmod list static-nodes sim help" -f -a "modinfo" -d 'Show information about Linux kernel modules'
complete -c rkmod -n "__fish_rkmod_using_subcommand help; and not __fish_seen_subcommand_from insmod rmmod lsmod modinfo modprobe depmod list static-nodes sim help" -f -a "modprobe" -d 'Add and remove modules from the Linux kernel'
complete -c rkmod -n "__fish_rkmod_using_subcommand help; and not __fish_seen_subcommand_from insmod rmmod lsmod modinfo modprobe depmod list static-nodes sim help" -f -a "depmod" -d 'Generate modules.dep and map files'
complete -c rkmod -n "__fish_rkmod_using_subcommand help; and not __fish_seen_subcommand_from insmod rmmod lsmod modinfo modprobe depmod list static-nodes sim help" -f -a "list" -d 'list currently loaded modules'
complete -c rkmod -n "__fish_rkmod_using_subcommand help; and not __fish_seen_subcommand_from insmod rmmod lsmod modinfo modprobe depmod list static-nodes sim help" -f -a "static-nodes" -d 'outputs the static-node information installed with the currently running kernel'
complete -c rkmod -n "__fish_rkmod_using_subcommand help; and not __fish_seen_subcommand_from insmod rmmod lsmod modinfo modprobe depmod list static-nodes sim help" -f -a "sim" -d 'The sim kernel (test mode): serve, start, stop, status, log, read, write'
complete -c rkmod -n "__fish_rkmod_using_subcommand help; and not __fish_seen_subcommand_from insmod rmmod lsmod modinfo modprobe depmod list static-nodes sim help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c rkmod -n "__fish_rkmod_using_subcommand help; and __fish_seen_subcommand_from sim" -f -a "serve" -d 'Run a sim kernel in the foreground until SIGTERM, SIGINT or SIGHUP'
complete -c rkmod -n "__fish_rkmod_using_subcommand help; and __fish_seen_subcommand_from sim" -f -a "start" -d 'Start a sim kernel in the background; return once it serves'
complete -c rkmod -n "__fish_rkmod_using_subcommand help; and __fish_seen_subcommand_from sim" -f -a "stop" -d 'Stop a sim kernel (SIGTERM) and wait until it is gone'
complete -c rkmod -n "__fish_rkmod_using_subcommand help; and __fish_seen_subcommand_from sim" -f -a "status" -d 'Show a sim kernel\'s state'
complete -c rkmod -n "__fish_rkmod_using_subcommand help; and __fish_seen_subcommand_from sim" -f -a "log" -d 'Print a sim kernel\'s log (its dmesg)'
complete -c rkmod -n "__fish_rkmod_using_subcommand help; and __fish_seen_subcommand_from sim" -f -a "read" -d 'Print a module\'s file (/proc/..., /sys/kernel/..., /sys/module/M/parameters/P) as the module\'s own code serves it'
complete -c rkmod -n "__fish_rkmod_using_subcommand help; and __fish_seen_subcommand_from sim" -f -a "write" -d 'Write VALUE (exactly, no newline added) to a module\'s file in one write'

# rkmod: module names, installed releases, loaded modules and parameters
# from `rkmod __complete` (with --sim or RKMOD_SIM, the sim kernel's). The
# options that take a value come from the clap definitions.
set -g _rkmod_value_opts_rinsmod 
set -g _rkmod_value_opts_rrmmod 
set -g _rkmod_value_opts_rmodinfo -F --field -k --set-version -b --basedir
set -g _rkmod_value_opts_rmodprobe -w --wait -C --config -d --dirname -S --set-version
set -g _rkmod_value_opts_rdepmod -b --basedir -m --moduledir -o --outdir -C --config -E --symvers -F --filesyms -P --symbol-prefix
# __rkmod_values TOOL FIRST [KIND]: the values for TOOL whose arguments
# start at word FIRST of the command line; KIND forces one (releases).
function __rkmod_values -a tool first kind
    set -l words (commandline -opc)
    set -l vo _rkmod_value_opts_$tool
    set -l opts
    set -l module
    set -l remove 0
    set -l all 0
    set -l given
    set -l i $first
    while test $i -le (count $words)
        set -l w $words[$i]
        switch $w
            case -S --set-version -k -d --dirname -b --basedir
                set i (math $i + 1)
                set opts $opts $w $words[$i]
            case '--set-version=*' '--dirname=*' '--basedir=*' --sim '--sim=*'
                set opts $opts $w
            case -r --remove
                set remove 1
            case -a --all
                set all 1
            case '-*'
                if contains -- $w $$vo
                    set i (math $i + 1)
                end
            case '*=*'
                set given $given (string split -m1 = -- $w)[1]=
            case '*'
                test -z "$module"; and set module $w
        end
        set i (math $i + 1)
    end
    if test "$kind" = releases
        rkmod __complete releases $opts
        return
    end
    switch $tool
        case rrmmod
            rkmod __complete loaded $opts
        case rmodinfo
            rkmod __complete modules $opts
        case rinsmod
            test -n "$module"; and __rkmod_params $module $given -- $opts
        case rdepmod
            test -z "$module"; and rkmod __complete releases $opts
        case rmodprobe
            if test $remove = 1
                rkmod __complete loaded $opts
            else if test -n "$module" -a $all = 0
                __rkmod_params $module $given -- $opts
            else
                rkmod __complete modules $opts
            end
    end
end

# __rkmod_params MODULE GIVEN... -- OPTS...: MODULE's parameters not given yet
function __rkmod_params -a module
    set -l rest $argv[2..-1]
    set -l sep (contains -i -- -- $rest)
    set -l given
    set -l opts
    test $sep -gt 1; and set given $rest[1..(math $sep - 1)]
    test $sep -lt (count $rest); and set opts $rest[(math $sep + 1)..-1]
    for p in (rkmod __complete params $opts $module)
        contains -- $p $given; or echo $p
    end
end
# rkmod TOOL ...: TOOL's values after its name (rkmod modprobe te<TAB>).
for t in insmod rmmod modinfo modprobe depmod
    set -l f -f
    contains $t insmod depmod; and set f
    complete -c rkmod $f -n "__fish_seen_subcommand_from $t; and not string match -q -- '-*' (commandline -ct)" -a "(__rkmod_values r$t 3)"
end
