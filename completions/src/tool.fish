complete -c @TOOL@ -n 'not string match -q -- "-*" (commandline -ct)' -a '(__rkmod_values @TOOL@ 2)'
contains @TOOL@ rinsmod rdepmod; or complete -c @TOOL@ -f
contains -- -S $_rkmod_value_opts_@TOOL@; and complete -c @TOOL@ -s S -l set-version -x -a '(__rkmod_values @TOOL@ 2 releases)'
contains -- -k $_rkmod_value_opts_@TOOL@; and complete -c @TOOL@ -s k -x -a '(__rkmod_values @TOOL@ 2 releases)'
