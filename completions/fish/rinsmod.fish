complete -c rinsmod -l sim -d 'Use the sim kernel (test mode) at SOCKET; without a value $RKMOD_SIM, else the default socket' -r
complete -c rinsmod -s f -l force -d 'DANGEROUS: forces a module load, may cause data corruption and crash your machine'
complete -c rinsmod -s s -l syslog -d 'print to syslog, not stderr'
complete -c rinsmod -s v -l verbose -d 'enables more messages'
complete -c rinsmod -s V -l version -d 'show version'
complete -c rinsmod -s h -l help -d 'Print help'
