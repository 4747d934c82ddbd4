// SPDX-License-Identifier: GPL-2.0
/* procfs and seq_file: a directory with a single_open file, a seq_file
 * iterator long enough to span several reads (and records that do not
 * fit a page), and a seq_file with private state. */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/string.h>

static struct proc_dir_entry *dir;
static int lines = 600;
module_param(lines, int, 0444);

static int summary_show(struct seq_file *m, void *v)
{
	seq_printf(m, "lines=%d\n", lines);
	seq_puts(m, "puts works\n");
	seq_putc(m, '!');
	seq_putc(m, '\n');
	seq_write(m, "written\n", 8);
	return 0;
}

static void *num_start(struct seq_file *m, loff_t *pos)
{
	return *pos < lines ? pos : NULL;
}

static void *num_next(struct seq_file *m, void *v, loff_t *pos)
{
	(*pos)++;
	return *pos < lines ? pos : NULL;
}

static void num_stop(struct seq_file *m, void *v)
{
}

static int num_show(struct seq_file *m, void *v)
{
	loff_t n = *(loff_t *)v;

	seq_printf(m, "%4lld %s\n", n, n % 7 ? "line of text in a long seq file" : "seventh");
	return 0;
}

static const struct seq_operations num_ops = {
	.start = num_start,
	.next = num_next,
	.stop = num_stop,
	.show = num_show,
};

/* one record larger than a page: seq_file must grow its buffer */
static int big_show(struct seq_file *m, void *v)
{
	for (int i = 0; i < 700; i++)
		seq_printf(m, "%03d%c", i % 1000, i % 20 == 19 ? '\n' : ' ');
	seq_putc(m, '\n');
	return 0;
}

/* private state, made at open */
struct state {
	int magic;
};

static void *priv_start(struct seq_file *m, loff_t *pos)
{
	struct state *st = m->private;

	if (!st->magic)
		st->magic = 4242;
	return *pos < 3 ? pos : NULL;
}

static void *priv_next(struct seq_file *m, void *v, loff_t *pos)
{
	(*pos)++;
	return *pos < 3 ? pos : NULL;
}

static int priv_show(struct seq_file *m, void *v)
{
	struct state *st = m->private;

	seq_printf(m, "record %lld of private state %d\n", *(loff_t *)v, st->magic);
	return 0;
}

static const struct seq_operations priv_ops = {
	.start = priv_start,
	.next = priv_next,
	.stop = num_stop,
	.show = priv_show,
};

static int __init kapi_proc_init(void)
{
	dir = proc_mkdir("kapi_proc", NULL);
	if (!dir)
		return -ENOMEM;
	proc_create_single("summary", 0444, dir, summary_show);
	proc_create_seq("numbers", 0444, dir, &num_ops);
	proc_create_single("big", 0444, dir, big_show);
	proc_create_seq_private("private", 0444, dir, &priv_ops, sizeof(struct state), NULL);
	pr_info("/proc/kapi_proc ready (%d lines)\n", lines);
	return 0;
}

static void __exit kapi_proc_exit(void)
{
	remove_proc_subtree("kapi_proc", NULL);
	pr_info("removed\n");
}

module_init(kapi_proc_init);
module_exit(kapi_proc_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("rkmod kapi test: procfs and seq_file");
