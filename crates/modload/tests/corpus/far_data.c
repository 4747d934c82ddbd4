/* Kernel-model code reading data of an import directly (PC32): out of
 * range when the import is far, which the loader must refuse. */
extern long host_value;
long read_host(void) { return host_value; }
