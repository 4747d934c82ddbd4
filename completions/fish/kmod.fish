# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_kmod_global_optspecs
    string join \n V/version h/help
end

function __fish_kmod_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_kmod_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_kmod_using_subcommand
    set -l cmd (__fish_kmod_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c kmod -n "__fish_kmod_needs_command" -s V -l version -d 'show version'
complete -c kmod -n "__fish_kmod_needs_command" -s h -l help -d 'Print help'
complete -c kmod -n "__fish_kmod_needs_command" -f -a "help" -d 'show help message'
complete -c kmod -n "__fish_kmod_needs_command" -f -a "list" -d 'list currently loaded modules'
complete -c kmod -n "__fish_kmod_needs_command" -f -a "static-nodes" -d 'outputs the static-node information installed with the currently running kernel'
complete -c kmod -n "__fish_kmod_using_subcommand help" -s h -l help -d 'Print help'
complete -c kmod -n "__fish_kmod_using_subcommand list" -s h -l help -d 'Print help'
complete -c kmod -n "__fish_kmod_using_subcommand static-nodes" -s f -l format -d 'choose format to use' -r -f -a "human\t''
tmpfiles\t''
devname\t''"
complete -c kmod -n "__fish_kmod_using_subcommand static-nodes" -s o -l output -d 'write output to file' -r -F
complete -c kmod -n "__fish_kmod_using_subcommand static-nodes" -s h -l help -d 'Print help'
