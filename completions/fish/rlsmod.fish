complete -c rlsmod -l sim -d 'Use the sim kernel (test mode) at SOCKET; without a value $RKMOD_SIM, else the default socket' -r
complete -c rlsmod -s V -l version -d 'Show version'
complete -c rlsmod -l json -d 'Print one JSON document (schema rkmod/1, see docs/json.md) instead of the table'
complete -c rlsmod -s h -l help -d 'Print help'
