complete -c rmodprobe -s w -l wait -d 'When removing a module, wait up to MSEC for its refcount to become 0' -r
complete -c rmodprobe -s C -l config -d 'Use FILE instead of default search paths' -r -F
complete -c rmodprobe -s d -l dirname -d 'Use DIR as filesystem root for /lib/modules' -r -F
complete -c rmodprobe -s S -l set-version -d 'Use VERSION instead of `uname -r`' -r
complete -c rmodprobe -l sim -d 'Use the sim kernel (test mode) at SOCKET; without a value $RKMOD_SIM, else the default socket' -r
complete -c rmodprobe -s a -l all -d 'Consider every non-argument to be a module name to be inserted or removed (-r)'
complete -c rmodprobe -s r -l remove -d 'Remove modules instead of inserting'
complete -c rmodprobe -l remove-holders -l remove-dependencies -d 'Also remove module holders (use together with -r)'
complete -c rmodprobe -s R -l resolve-alias -d 'Only lookup and print alias and exit'
complete -c rmodprobe -l first-time -d 'Fail if module already inserted or removed'
complete -c rmodprobe -s i -l ignore-install -l ignore-remove -d 'Ignore install and remove commands'
complete -c rmodprobe -s b -l use-blacklist -d 'Apply blacklist to resolved alias'
complete -c rmodprobe -s f -l force -d 'Force module insertion or removal'
complete -c rmodprobe -l force-modversion -d 'Ignore module\'s version'
complete -c rmodprobe -l force-vermagic -d 'Ignore module\'s version magic'
complete -c rmodprobe -s D -l show-depends -d 'Only print module dependencies and exit'
complete -c rmodprobe -l json -d 'With -D: print the load plans as one JSON document (schema rkmod/1, see docs/json.md)'
complete -c rmodprobe -l graph -d 'With -D: print the dependency graph (hard, softdep and weakdep edges) as Graphviz DOT'
complete -c rmodprobe -s c -l showconfig -l show-config -d 'Print out known configuration and exit'
complete -c rmodprobe -l show-modversions -l dump-modversions -d 'Dump module symbol version and exit'
complete -c rmodprobe -l show-exports -d 'Only print module exported symbol versions and exit'
complete -c rmodprobe -s n -l dry-run -l show -d 'Do not execute operations, just print out'
complete -c rmodprobe -s s -l syslog -d 'print to syslog, not stderr'
complete -c rmodprobe -s q -l quiet -d 'disable messages'
complete -c rmodprobe -s v -l verbose -d 'enables more messages'
complete -c rmodprobe -s V -l version -d 'show version'
complete -c rmodprobe -s h -l help -d 'Print help'

# rkmod: module names, installed releases, loaded modules and parameters
# from `rkmod __complete` (with --sim or RKMOD_SIM, the sim kernel's). The
# options that take a value come from the clap definitions.
set -g _rkmod_value_opts_rmodprobe -w --wait -C --config -d --dirname -S --set-version
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
complete -c rmodprobe -n 'not string match -q -- "-*" (commandline -ct)' -a '(__rkmod_values rmodprobe 2)'
contains rmodprobe rinsmod rdepmod; or complete -c rmodprobe -f
contains -- -S $_rkmod_value_opts_rmodprobe; and complete -c rmodprobe -s S -l set-version -x -a '(__rkmod_values rmodprobe 2 releases)'
contains -- -k $_rkmod_value_opts_rmodprobe; and complete -c rmodprobe -s k -x -a '(__rkmod_values rmodprobe 2 releases)'
