
# rkmod: values only the module tree knows, asked of `rkmod __complete`:
# module names (honouring -S/-k and -d/-b), installed releases for -S/-k,
# loaded modules, and the parameters of the module already on the line;
# with --sim or RKMOD_SIM, those of the sim kernel. The options that take
# a value come from the clap definitions (`make completions`).
declare -gA _rkmod_value_opts 2>/dev/null
@VALUE_OPTS@
# _rkmod_values TOOL FIRST: complete the word under the cursor for TOOL
# (rmodprobe, rmodinfo, rrmmod, rinsmod, rdepmod) whose arguments start at word
# FIRST; returns 1 when the word is not one of these values.
_rkmod_values() {
    local tool=$1 first=$2 i w cur prev cword=0
    local -a words=() opts=()
    local module= remove= all= given=" "
    # bash splits name=value at '=' (COMP_WORDBREAKS): join the pieces
    for ((i = 0; i < ${#COMP_WORDS[@]}; i++)); do
        w=${COMP_WORDS[i]}
        if ((i > first && ${#words[@]} > 0)) && [[ $w == = || ${COMP_WORDS[i-1]} == = ]]; then
            words[${#words[@]}-1]+=$w
        else
            words+=("$w")
        fi
        ((i == COMP_CWORD)) && cword=$((${#words[@]} - 1))
    done
    cur=${words[cword]} prev=${words[cword-1]}
    local value_opts=" ${_rkmod_value_opts[$tool]} "
    for ((i = first; i < cword; i++)); do
        w=${words[i]}
        case $w in
            -S|--set-version|-k|-d|--dirname|-b|--basedir)
                ((i + 1 < cword)) && opts+=("$w" "${words[i+1]}"); ((i++)) ;;
            --set-version=*|--dirname=*|--basedir=*|--sim|--sim=*) opts+=("$w") ;;
            -r|--remove) remove=1 ;;
            -a|--all) all=1 ;;
            -*) [[ $value_opts == *" $w "* ]] && ((i++)) ;;
            *=*) given+="${w%%=*}= " ;;
            *) [[ -z $module ]] && module=$w ;;
        esac
    done
    local IFS=$'\n' kind
    case $prev in
        -S|--set-version|-k) kind=releases ;;
        *) [[ $value_opts == *" $prev "* ]] && return 1 ;;
    esac
    if [[ -z $kind ]]; then
        case $cur in
            --set-version=*)
                local piece=${COMP_WORDS[COMP_CWORD]} pre=
                [[ $piece == = ]] && piece= pre==
                COMPREPLY=($(compgen -P "$pre" -W "$(rkmod __complete releases "${opts[@]}" 2>/dev/null)" -- "$piece"))
                return 0 ;;
            -*|*/*) return 1 ;;
            *=*) # a parameter's value: nothing to offer, and no file names
                COMPREPLY=(); compopt +o default +o bashdefault 2>/dev/null; return 0 ;;
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
        local p
        COMPREPLY=()
        for p in $(rkmod __complete params "${opts[@]}" "$module" 2>/dev/null); do
            # a parameter already given is not offered again
            [[ $given == *" $p "* || $p != "$cur"* ]] || COMPREPLY+=("$p")
        done
        compopt -o nospace 2>/dev/null
    else
        COMPREPLY=($(compgen -W "$(rkmod __complete $kind "${opts[@]}" 2>/dev/null)" -- "$cur"))
    fi
    return 0
}
