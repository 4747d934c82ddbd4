complete -c rdepmod -l sim -d 'Index the module tree of the sim kernel at SOCKET (test mode; .so modules)' -r
complete -c rdepmod -s b -l basedir -d 'Root path (default: /)' -r
complete -c rdepmod -s m -l moduledir -d 'Module directory (default: /lib/modules)' -r
complete -c rdepmod -s o -l outdir -d 'Output root path (default: same as the base directory)' -r
complete -c rdepmod -s C -l config -d 'Read configuration from PATH (a file or a directory)' -r
complete -c rdepmod -s E -l symvers -d 'Use a Module.symvers file to check symbol versions' -r
complete -c rdepmod -s F -l filesyms -d 'Use this System.map instead of the current kernel\'s symbols' -r
complete -c rdepmod -s P -l symbol-prefix -d 'Architecture symbol prefix' -r
complete -c rdepmod -l json -d 'With -n: print the modules as one JSON document (schema rkmod/1, see docs/json.md)'
complete -c rdepmod -l graph -d 'Print the dependency graph (hard, softdep and weakdep edges) as Graphviz DOT; write nothing'
complete -c rdepmod -s u
complete -c rdepmod -s q
complete -c rdepmod -s r
complete -c rdepmod -l unresolved-error
complete -c rdepmod -l quiet
complete -c rdepmod -l root
complete -c rdepmod -l map
complete -c rdepmod -s a -l all -d 'Probe all modules'
complete -c rdepmod -s A -l quick -d 'Only do the work if there is a new module'
complete -c rdepmod -s e -l errsyms -d 'Report symbols no module or kernel supplies'
complete -c rdepmod -s v -l verbose -d 'Enable verbose mode'
complete -c rdepmod -s n -l show -l dry-run -d 'Write the dependency files on stdout only'
complete -c rdepmod -s w -l warn -d 'Warn on duplicates'
complete -c rdepmod -s V -l version -d 'Show version'
complete -c rdepmod -s h -l help -d 'Show this help'
