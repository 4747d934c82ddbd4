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

# rkmod: module names, loaded modules and parameters from `rkmod __complete`.
function __rkmod_rmodinfo_values
    set -l words (commandline -opc)
    set -l opts
    set -l module
    set -l remove 0
    set -l i 2
    while test $i -le (count $words)
        set -l w $words[$i]
        switch $w
            case -S --set-version -k -d --dirname -b --basedir
                set i (math $i + 1)
                set opts $opts $w $words[$i]
            case -r --remove
                set remove 1
            case '-*' '*=*'
            case '*'
                set module $w
        end
        set i (math $i + 1)
    end
    switch rmodinfo
        case rrmmod
            rkmod __complete loaded
        case rmodinfo
            rkmod __complete modules $opts
        case rmodprobe
            if test $remove = 1
                rkmod __complete loaded
            else if test -n "$module"
                rkmod __complete params $opts $module
            else
                rkmod __complete modules $opts
            end
    end
end
complete -c rmodinfo -f -n 'not string match -q -- "-*" (commandline -ct)' -a '(__rkmod_rmodinfo_values)'
