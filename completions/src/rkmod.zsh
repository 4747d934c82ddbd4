
# rkmod TOOL ...: TOOL's values after its name (rkmod modprobe te<TAB>).
_rkmod_rkmod_dispatch() {
    local i w
    for ((i = 2; i < CURRENT; i++)); do
        w=${words[i]}
        case $w in
            -*) ;;
            insmod|rmmod|modinfo|modprobe|depmod)
                _rkmod_values r$w $((i + 1)) && return 0
                break ;;
            *) break ;;
        esac
    done
    _rkmod "$@"
}
compdef _rkmod_rkmod_dispatch rkmod
# autoloaded as _rkmod by the first <TAB>: complete that one too
if [ "$funcstack[1]" = "_rkmod" ]; then
    _rkmod_rkmod_dispatch "$@"
fi
