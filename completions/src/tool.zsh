
_rkmod_@TOOL@_dispatch() {
    _rkmod_values @TOOL@ 2 || _@TOOL@ "$@"
}
compdef _rkmod_@TOOL@_dispatch @TOOL@
# autoloaded as _@TOOL@ by the first <TAB>: complete that one too
if [ "$funcstack[1]" = "_@TOOL@" ]; then
    _rkmod_@TOOL@_dispatch "$@"
fi
