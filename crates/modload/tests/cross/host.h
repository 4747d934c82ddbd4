/* The host side of the cross-architecture execution tests: the functions
 * a module imports (printing, /proc, parameters) and the reports both the
 * harness and the native build print, so their outputs can be compared. */
#ifndef MODLOAD_HOST_H
#define MODLOAD_HOST_H
void host_report_init(const char *module, int ret);
void host_report_exit(const char *module);
void host_show_procs(void);
#endif
