/* Stand-in for <linux/proc_fs.h>: the host records the show function. */
#ifndef MODLOAD_SHIM_PROC_FS_H
#define MODLOAD_SHIM_PROC_FS_H
struct seq_file;
struct proc_dir_entry;
struct proc_dir_entry *proc_create_single(const char *name, unsigned short mode,
					  struct proc_dir_entry *parent,
					  int (*show)(struct seq_file *, void *));
void proc_remove(struct proc_dir_entry *entry);
#endif
