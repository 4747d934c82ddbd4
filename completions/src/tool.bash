
_rkmod_complete_@TOOL@() {
    _rkmod_values @TOOL@ 1 || _@TOOL@ "$@"
}
complete -F _rkmod_complete_@TOOL@ -o bashdefault -o default @TOOL@
