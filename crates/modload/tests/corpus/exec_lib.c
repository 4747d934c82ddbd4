/* A module another one imports from: near (both are in the low 2 GiB). */
long lib_counter = 100;

long lib_mul(long a, long b) { return a * b; }
