complete -c rrmmod -l sim -d 'Use the sim kernel (test mode) at SOCKET; without a value $RKMOD_SIM, else the default socket' -r
complete -c rrmmod -s f -l force -d 'DANGEROUS: forces a module unload and may crash your machine'
complete -c rrmmod -s s -l syslog -d 'print to syslog, not stderr'
complete -c rrmmod -s v -l verbose -d 'enables more messages'
complete -c rrmmod -s V -l version -d 'show version'
complete -c rrmmod -s h -l help -d 'Print help'

# rkmod: module names, loaded modules and parameters from `rkmod __complete`.
function __rkmod_rrmmod_values
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
    switch rrmmod
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
complete -c rrmmod -f -n 'not string match -q -- "-*" (commandline -ct)' -a '(__rkmod_rrmmod_values)'
