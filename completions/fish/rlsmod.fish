complete -c rlsmod -l sim -d 'Use the sim kernel (test mode) at SOCKET; without a value $RKMOD_SIM, else the default socket' -r
complete -c rlsmod -s s -l syslog -d 'print to syslog, not stderr'
complete -c rlsmod -s v -l verbose -d 'enables more messages'
complete -c rlsmod -s V -l version -d 'show version'
complete -c rlsmod -l json -d 'Print one JSON document (schema rkmod/1, see docs/json.md) instead of the table'
complete -c rlsmod -s h -l help -d 'Print help'
