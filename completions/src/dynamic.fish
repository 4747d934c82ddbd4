
# rkmod: module names, loaded modules and parameters from `rkmod __complete`.
function __rkmod_@TOOL@_values
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
    switch @TOOL@
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
complete -c @TOOL@ -f -n 'not string match -q -- "-*" (commandline -ct)' -a '(__rkmod_@TOOL@_values)'
