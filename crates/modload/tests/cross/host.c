/* Host functions for modules run by harness.c (and linked directly into
 * the native build of the same sources). Kept small and deterministic: the
 * output of both runs must be the same bytes. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"

struct seq_file {
	const char *name;
};
struct proc_dir_entry {
	const char *name;
	int (*show)(struct seq_file *, void *);
	int live;
};
struct kernel_param;
struct kernel_param_ops {
	int (*set)(const char *val, const struct kernel_param *kp);
	int (*get)(char *buffer, const struct kernel_param *kp);
};
struct kernel_param {
	const char *name;
	const struct kernel_param_ops *ops;
	void *arg;
	unsigned short perm;
};

static struct proc_dir_entry procs[8];

/* The kernel's log levels ("\001" + digit) are dropped, as dmesg shows. */
int _printk(const char *fmt, ...)
{
	va_list ap;
	int n;

	if (fmt[0] == '\001' && fmt[1])
		fmt += 2;
	va_start(ap, fmt);
	n = vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
	return n;
}

int printk(const char *fmt, ...) __attribute__((alias("_printk")));

void seq_printf(struct seq_file *m, const char *fmt, ...)
{
	va_list ap;

	printf("  %s| ", m->name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

struct proc_dir_entry *proc_create_single(const char *name, unsigned short mode,
					  struct proc_dir_entry *parent,
					  int (*show)(struct seq_file *, void *))
{
	(void)mode;
	(void)parent;
	for (unsigned i = 0; i < sizeof(procs) / sizeof(procs[0]); i++) {
		if (!procs[i].live) {
			procs[i] = (struct proc_dir_entry){ strdup(name), show, 1 };
			printf("host: /proc/%s created\n", name);
			return &procs[i];
		}
	}
	return NULL;
}

void proc_remove(struct proc_dir_entry *e)
{
	if (e && e->live) {
		printf("host: /proc/%s removed\n", e->name);
		e->live = 0;
	}
}

void host_show_procs(void)
{
	for (unsigned i = 0; i < sizeof(procs) / sizeof(procs[0]); i++) {
		if (procs[i].live) {
			struct seq_file m = { procs[i].name };
			printf("host: cat /proc/%s\n", procs[i].name);
			printf("host: show returned %d\n", procs[i].show(&m, NULL));
		}
	}
	fflush(stdout);
}

int kstrtoint(const char *s, unsigned int base, int *res)
{
	char *end;
	long v = strtol(s, &end, (int)base);

	if (end == s)
		return -22;
	*res = (int)v;
	return 0;
}

int param_set_int(const char *val, const struct kernel_param *kp)
{
	return kstrtoint(val, 0, kp->arg);
}

int param_get_int(char *buffer, const struct kernel_param *kp)
{
	return sprintf(buffer, "%d\n", *(int *)kp->arg);
}

static int param_set_charp(const char *val, const struct kernel_param *kp)
{
	*(const char **)kp->arg = val;
	return 0;
}

static int param_get_charp(char *buffer, const struct kernel_param *kp)
{
	return sprintf(buffer, "%s\n", *(const char **)kp->arg);
}

const struct kernel_param_ops param_ops_int = { param_set_int, param_get_int };
const struct kernel_param_ops param_ops_charp = { param_set_charp, param_get_charp };

/* Stands in for rust_cube's export (no Rust toolchain for these targets). */
int cube(int x)
{
	return x * x * x;
}

/* What compilers call even in freestanding code; the harness binds the
 * module's imports to these (static glibc's own are IFUNCs). */
void *modload_host_memcpy(void *d, const void *s, size_t n) { return memcpy(d, s, n); }
void *modload_host_memset(void *d, int c, size_t n) { return memset(d, c, n); }
void *modload_host_memmove(void *d, const void *s, size_t n) { return memmove(d, s, n); }
size_t modload_host_strlen(const char *s) { return strlen(s); }
int modload_host_strcmp(const char *a, const char *b) { return strcmp(a, b); }

void host_report_init(const char *module, int ret)
{
	printf("host: init %s returned %d\n", module, ret);
	fflush(stdout);
}

void host_report_exit(const char *module)
{
	printf("host: exit %s\n", module);
	fflush(stdout);
}
