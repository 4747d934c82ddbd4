
# rkmod: values only the module tree knows, asked of `rkmod __complete`:
# module names (honouring -S/-k and -d/-b), loaded modules, and the
# parameters of the module already on the line.
_rkmod_values() {
    local tool=$1 cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
    local i w remove= module= kind
    local -a opts=()
    case $prev in
        -S|--set-version|-k|-d|--dirname|-b|--basedir|-C|--config|-w|--wait|-F|--field|--sim)
            return 1 ;;
    esac
    [[ $cur == -* || $cur == */* ]] && return 1
    for ((i = 1; i < COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        case $w in
            -S|--set-version|-k|-d|--dirname|-b|--basedir)
                opts+=("$w" "${COMP_WORDS[i+1]}"); ((i++)) ;;
            --set-version=*|--dirname=*|--basedir=*) opts+=("$w") ;;
            -r|--remove) remove=1 ;;
            -*|*=*) ;;
            *) module=$w ;;
        esac
    done
    case $tool in
        rrmmod) kind=loaded ;;
        rmodinfo) kind=modules ;;
        rmodprobe)
            if [[ -n $remove ]]; then kind=loaded
            elif [[ -n $module ]]; then kind=params
            else kind=modules; fi ;;
        *) return 1 ;;
    esac
    local IFS=$'\n'
    if [[ $kind == params ]]; then
        COMPREPLY=($(compgen -W "$(rkmod __complete params "${opts[@]}" "$module" 2>/dev/null)" -- "$cur"))
        compopt -o nospace 2>/dev/null
    else
        COMPREPLY=($(compgen -W "$(rkmod __complete $kind "${opts[@]}" 2>/dev/null)" -- "$cur"))
    fi
    return 0
}

_rkmod_complete_@TOOL@() {
    _rkmod_values @TOOL@ || _@TOOL@ "$@"
}
complete -F _rkmod_complete_@TOOL@ -o bashdefault -o default @TOOL@
