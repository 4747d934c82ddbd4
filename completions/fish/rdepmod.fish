complete -c rdepmod -l sim -d 'Index the module tree of the sim kernel at SOCKET (test mode; .so modules)' -r
complete -c rdepmod -s b -l basedir -d 'Root path (default: /)' -r
complete -c rdepmod -s m -l moduledir -d 'Module directory (default: /lib/modules)' -r
complete -c rdepmod -s o -l outdir -d 'Output root path (default: same as the base directory)' -r
complete -c rdepmod -s C -l config -d 'Read configuration from PATH (a file or a directory)' -r
complete -c rdepmod -s E -l symvers -d 'Use a Module.symvers file to check symbol versions' -r
complete -c rdepmod -s F -l filesyms -d 'Use this System.map instead of the current kernel\'s symbols' -r
complete -c rdepmod -s P -l symbol-prefix -d 'Architecture symbol prefix' -r
complete -c rdepmod -l json -d 'With -n: print the modules as one JSON document (schema rkmod/1, see docs/json.md)'
complete -c rdepmod -l graph -d 'Print the dependency graph (hard, softdep and weakdep edges) as Graphviz DOT; write nothing'
complete -c rdepmod -s u
complete -c rdepmod -s q
complete -c rdepmod -s r
complete -c rdepmod -l unresolved-error
complete -c rdepmod -l quiet
complete -c rdepmod -l root
complete -c rdepmod -l map
complete -c rdepmod -s a -l all -d 'Probe all modules'
complete -c rdepmod -s A -l quick -d 'Only do the work if there is a new module'
complete -c rdepmod -s e -l errsyms -d 'Report symbols no module or kernel supplies'
complete -c rdepmod -s v -l verbose -d 'Enable verbose mode'
complete -c rdepmod -s n -l show -l dry-run -d 'Write the dependency files on stdout only'
complete -c rdepmod -s w -l warn -d 'Warn on duplicates'
complete -c rdepmod -s V -l version -d 'Show version'
complete -c rdepmod -s h -l help -d 'Show this help'

# rkmod: module names, installed releases, loaded modules and parameters
# from `rkmod __complete` (with --sim or RKMOD_SIM, the sim kernel's). The
# options that take a value come from the clap definitions.
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
complete -c rdepmod -n 'not string match -q -- "-*" (commandline -ct)' -a '(__rkmod_values rdepmod 2)'
contains rdepmod rinsmod rdepmod; or complete -c rdepmod -f
contains -- -S $_rkmod_value_opts_rdepmod; and complete -c rdepmod -s S -l set-version -x -a '(__rkmod_values rdepmod 2 releases)'
contains -- -k $_rkmod_value_opts_rdepmod; and complete -c rdepmod -s k -x -a '(__rkmod_values rdepmod 2 releases)'
