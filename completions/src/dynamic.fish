
# rkmod: module names, installed releases, loaded modules and parameters
# from `rkmod __complete` (with --sim or RKMOD_SIM, the sim kernel's). The
# options that take a value come from the clap definitions.
@VALUE_OPTS@
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
