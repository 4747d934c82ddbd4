
# rkmod: values only the module tree knows, asked of `rkmod __complete`:
# module names (honouring -S/-k and -d/-b), installed releases for -S/-k,
# loaded modules, and the parameters of the module already on the line;
# with --sim or RKMOD_SIM, those of the sim kernel. The options that take
# a value come from the clap definitions (`make completions`).
typeset -gA _rkmod_value_opts
@VALUE_OPTS@
# _rkmod_values TOOL FIRST: complete words[CURRENT] for TOOL (rmodprobe,
# rmodinfo, rrmmod, rinsmod, rdepmod) whose arguments start at words[FIRST];
# returns 1 when the word is not one of these values.
_rkmod_values() {
    local tool=$1 first=$2 i w kind= module= remove= all= p
    local -a opts values given
    local cur=${words[CURRENT]} prev=${words[CURRENT-1]}
    local value_opts=" ${_rkmod_value_opts[$tool]} "
    for ((i = first; i < CURRENT; i++)); do
        w=${words[i]}
        case $w in
            -S|--set-version|-k|-d|--dirname|-b|--basedir)
                ((i + 1 < CURRENT)) && opts+=($w ${words[i+1]}); ((i++)) ;;
            --set-version=*|--dirname=*|--basedir=*|--sim|--sim=*) opts+=($w) ;;
            -r|--remove) remove=1 ;;
            -a|--all) all=1 ;;
            -*) [[ $value_opts == *" $w "* ]] && ((i++)) ;;
            *=*) given+=(${w%%=*}=) ;;
            *) [[ -z $module ]] && module=$w ;;
        esac
    done
    case $prev in
        -S|--set-version|-k) kind=releases ;;
        *) [[ $value_opts == *" $prev "* ]] && return 1 ;;
    esac
    if [[ -z $kind ]]; then
        case $cur in
            -*|*/*) return 1 ;;
            *=*) return 0 ;; # a parameter's value: nothing to offer
        esac
        case $tool in
            rrmmod) kind=loaded ;;
            rmodinfo) kind=modules ;;
            rinsmod) [[ -n $module ]] && kind=params || return 1 ;;
            rdepmod) [[ -z $module ]] && kind=releases || return 1 ;;
            rmodprobe)
                if [[ -n $remove ]]; then kind=loaded
                elif [[ -n $module && -z $all ]]; then kind=params
                else kind=modules; fi ;;
            *) return 1 ;;
        esac
    fi
    if [[ $kind == params ]]; then
        for p in ${(f)"$(rkmod __complete params $opts $module 2>/dev/null)"}; do
            # a parameter already given is not offered again
            (( ${given[(Ie)$p]} )) || values+=($p)
        done
        compadd -S '' -a values
    else
        values=(${(f)"$(rkmod __complete $kind $opts 2>/dev/null)"})
        compadd -a values
    fi
    return 0
}
