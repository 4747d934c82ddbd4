/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rkmod's userspace kernel API: what the sim kernel exports to real .ko
 * modules. This layer is compiled by kbuild against the headers of the
 * release the modules were built for, so every struct it touches
 * (kernel_param, module, seq_file, file, task_struct, ...) has that
 * release's layout by construction. It runs in a sim host process and asks
 * the host (Rust) for what only the host can do: memory, threads, the log,
 * the registry of /proc and /sys files. Everything else is raw syscalls.
 */
#ifndef RKMOD_KAPI_H
#define RKMOD_KAPI_H

#include <linux/types.h>
#include <linux/module.h>

/* Bumped when struct kapi_host_ops or an entry point changes. */
#define KAPI_ABI_VERSION 1

/* File kinds the host serves for `rkmod sim read/write`. */
enum kapi_node_kind {
	KAPI_NODE_PROC = 1,	/* proc_ops */
	KAPI_NODE_PROC_SINGLE,	/* proc_create_single_data */
	KAPI_NODE_PROC_SEQ,	/* proc_create_seq_private */
	KAPI_NODE_PROC_DIR,
	KAPI_NODE_SYSFS_ATTR,	/* an attribute of a kobject */
	KAPI_NODE_SYSFS_DIR,	/* a kobject */
	KAPI_NODE_DEBUGFS,	/* file_operations under /sys/kernel/debug */
	KAPI_NODE_DEBUGFS_DIR,
};

/*
 * What the host provides. Called through kapi_hostcall(), which gives the
 * host a 16-byte aligned stack (kernel code keeps only 8). At most five
 * arguments, no varargs.
 */
struct kapi_host_ops {
	u32 abi_version;
	u32 size;
	/* One finished log record (no trailing newline). */
	void (*log)(long level, const char *text, unsigned long len, u64 mono_ns);
	void *(*alloc)(unsigned long size, unsigned long align);
	void (*free)(void *ptr);
	/* Start a host thread (named `name`) running kapi_thread_main(task). */
	long (*thread_start)(void *task, const char *name);
	/* A file appeared (add=1) or went away (add=0). */
	void (*node)(long add, const char *path, void *node);
	/* Symbolise an address into buf: "name+0x1c/0x40 [module]"; see
	 * KAPI_SYM_*. Returns the length, 0 when unknown. */
	long (*symbolize)(unsigned long addr, char *buf, unsigned long len, long mode);
	/* A fatal condition in module code (BUG, panic): report and die. */
	void (*fatal)(const char *text);
};

#define KAPI_SYM_NO_OFFSET 1	/* %ps: "name [module]" */
#define KAPI_SYM_BACKTRACE 2	/* %pB: the symbol of addr - 1, offset of addr */

extern const struct kapi_host_ops *kapi_host;
long kapi_hostcall(void *fn, long a, long b, long c, long d, long e);
#define HOSTCALL(op, ...) kapi_hostcall5((void *)kapi_host->op, ##__VA_ARGS__)
#define kapi_hostcall5(fn, ...) __kapi_hc(fn, ##__VA_ARGS__, 0, 0, 0, 0, 0)
#define __kapi_hc(fn, a, b, c, d, e, ...) \
	kapi_hostcall(fn, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e))

/* Raw syscalls: the host's libc is never called from kernel code. */
long kapi_syscall(long nr, long a, long b, long c, long d, long e);
void kapi_futex_wait(u32 *addr, u32 val, u64 timeout_ns);
void kapi_futex_wake(u32 *addr, int n);
u64 kapi_mono_ns(void);
u64 kapi_real_ns(void);
void kapi_nanosleep(u64 ns);
int kapi_gettid(void);
void kapi_yield(void);

/* Memory for kapi's own use (zeroed). */
void *kapi_zalloc(size_t size);
void kapi_free(const void *p);
char *kapi_strdup(const char *s);

/* Log records: printk's back end. */
void kapi_log_flush(void);
void kapi_logf(int level, const char *fmt, ...) __printf(2, 3);

/* Per-thread state that is not in task_struct. */
struct kapi_task {
	int (*threadfn)(void *data);
	void *data;
	int result;
	u32 started;		/* futex: 1 once the host thread runs */
	u32 wakeups;		/* futex: bumped by every wake-up */
	u32 should_stop;
	u32 exited;		/* futex: 1 once threadfn returned */
	struct module *owner;	/* the module whose code this thread runs */
};
struct kapi_task *kapi_task_of(struct task_struct *t);
struct task_struct *kapi_new_task(const char *name, int kthread);
void kapi_task_wait(struct task_struct *t, u64 timeout_ns);

/* The module whose code the current thread is running (for ownership). */
struct module *kapi_current_module(void);

/* /proc, /sys and debugfs files. */
struct kapi_node {
	struct list_head list;
	enum kapi_node_kind kind;
	char *path;
	char *name;
	struct kapi_node *parent;
	struct module *owner;
	umode_t mode;
	void *data;
	union {
		const struct proc_ops *proc_ops;
		int (*single_show)(struct seq_file *, void *);
		struct {
			const struct seq_operations *seq_ops;
			unsigned int state_size;
		};
		struct {
			struct kobject *kobj;
			const struct attribute *attr;
		};
		const struct file_operations *fops;
	};
};
struct kapi_node *kapi_node_add(enum kapi_node_kind kind, struct kapi_node *parent,
				const char *parent_path, const char *name, umode_t mode);
void kapi_node_remove(struct kapi_node *n);
void kapi_nodes_remove_under(const char *path);
void kapi_nodes_remove_owned(struct module *owner);

/* An open file, between kapi_node_open and kapi_node_release. */
struct kapi_open {
	struct kapi_node *node;
	struct file *file;
	struct inode *inode;
	char *page;		/* sysfs: the attribute's text */
	ssize_t page_len;
};

/* Timers are run by the tick thread. */
void kapi_timers_run(void);
int kapi_tick_thread(void *unused);

/* vsnprintf with the kernel's formats. */
int kapi_vsnprintf(char *buf, size_t size, const char *fmt, va_list args);

/*
 * Exports are not marked: the sim's loader takes the kernel's export
 * table (Module.symvers of these headers) and binds each exported name
 * kapi defines. EXPORT_SYMBOL stays in the sources as documentation.
 */
#undef EXPORT_SYMBOL
#undef EXPORT_SYMBOL_GPL
#define EXPORT_SYMBOL(sym)
#define EXPORT_SYMBOL_GPL(sym)

#endif
