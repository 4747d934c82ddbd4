
# rkmod TOOL ...: TOOL's values after its name (rkmod modprobe te<TAB>).
_rkmod_complete_rkmod() {
    local i w
    for ((i = 1; i < COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
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
complete -F _rkmod_complete_rkmod -o bashdefault -o default rkmod
