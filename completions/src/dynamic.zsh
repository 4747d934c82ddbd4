
# rkmod: module names and loaded modules from `rkmod __complete`, offered
# beside the options clap_complete describes above.
_rkmod_@TOOL@_values() {
    local -a opts values
    local i
    for ((i = 2; i < CURRENT; i++)); do
        case ${words[i]} in
            -S|--set-version|-k|-d|--dirname|-b|--basedir) opts+=(${words[i]} ${words[i+1]}) ;;
        esac
    done
    case @TOOL@ in
        rrmmod) values=(${(f)"$(rkmod __complete loaded)"}) ;;
        *) if (( ${words[(I)-r|--remove]} )); then
               values=(${(f)"$(rkmod __complete loaded)"})
           else
               values=(${(f)"$(rkmod __complete modules $opts)"})
           fi ;;
    esac
    compadd -a values
}
_rkmod_@TOOL@_dispatch() {
    [[ ${words[CURRENT]} == -* ]] || _rkmod_@TOOL@_values
    _@TOOL@ "$@"
}
compdef _rkmod_@TOOL@_dispatch @TOOL@
