complete -c rmodinfo -s F -l field -d 'Print only provided FIELD' -r
complete -c rmodinfo -s k -l set-version -d 'Use VERSION instead of `uname -r`' -r
complete -c rmodinfo -s b -l basedir -d 'Use DIR as filesystem root for /lib/modules' -r -F
complete -c rmodinfo -l sim -d 'Use the sim kernel (test mode) at SOCKET; without a value $RKMOD_SIM, else the default socket' -r
complete -c rmodinfo -s a -l author -d 'Print only \'author\''
complete -c rmodinfo -s d -l description -d 'Print only \'description\''
complete -c rmodinfo -s l -l license -d 'Print only \'license\''
complete -c rmodinfo -s p -l parameters -d 'Print only \'parm\''
complete -c rmodinfo -s n -l filename -d 'Print only \'filename\''
complete -c rmodinfo -s 0 -l null -d 'Use \\0 instead of \\n'
complete -c rmodinfo -s m -l modname -d 'Handle argument as module name instead of alias or filename'
complete -c rmodinfo -s V -l version -d 'Show version'
complete -c rmodinfo -l json -d 'Print one JSON document (schema rkmod/1, see docs/json.md) instead of text; -F, -0 and the field options are ignored'
complete -c rmodinfo -s h -l help -d 'Print help'

# rkmod: module names, installed releases, loaded modules and parameters
# from `rkmod __complete` (with --sim or RKMOD_SIM, the sim kernel's). The
# options that take a value come from the clap definitions.
set -g _rkmod_value_opts_rmodinfo -F --field -k --set-version -b --basedir
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
complete -c rmodinfo -n 'not string match -q -- "-*" (commandline -ct)' -a '(__rkmod_values rmodinfo 2)'
contains rmodinfo rinsmod rdepmod; or complete -c rmodinfo -f
contains -- -S $_rkmod_value_opts_rmodinfo; and complete -c rmodinfo -s S -l set-version -x -a '(__rkmod_values rmodinfo 2 releases)'
contains -- -k $_rkmod_value_opts_rmodinfo; and complete -c rmodinfo -s k -x -a '(__rkmod_values rmodinfo 2 releases)'
