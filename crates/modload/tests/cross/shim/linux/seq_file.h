/* Stand-in for <linux/seq_file.h>. */
#ifndef MODLOAD_SHIM_SEQ_FILE_H
#define MODLOAD_SHIM_SEQ_FILE_H
struct seq_file;
void seq_printf(struct seq_file *m, const char *fmt, ...);
#endif
