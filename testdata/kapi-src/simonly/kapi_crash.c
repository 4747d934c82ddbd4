// SPDX-License-Identifier: GPL-2.0
/* A module that dies where it is told to: where=init (a NULL dereference
 * in init), thread (in a kthread, after init returned), read (in its
 * /proc file's show), hang (init never returns). The sim kernel must
 * lose this module and nothing else. */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt
#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/delay.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>

static char *where = "none";
module_param(where, charp, 0444);

static int *volatile nothing;
static struct task_struct *thread;
static struct proc_dir_entry *entry;

static int crash_thread(void *arg)
{
	msleep(100);
	pr_info("thread about to crash\n");
	return *nothing;
}

static int crash_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%d\n", *nothing);
	return 0;
}

static int __init kapi_crash_init(void)
{
	pr_info("where=%s\n", where);
	if (!strcmp(where, "init"))
		return *nothing;
	if (!strcmp(where, "hang"))
		for (;;)
			msleep(10);
	if (!strcmp(where, "thread"))
		thread = kthread_run(crash_thread, NULL, "kapi_crash");
	if (!strcmp(where, "read"))
		entry = proc_create_single("kapi_crash", 0444, NULL, crash_show);
	return 0;
}

static void __exit kapi_crash_exit(void)
{
	proc_remove(entry);
}

module_init(kapi_crash_init);
module_exit(kapi_crash_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("rkmod kapi test: crashes and hangs, for the sim kernel only");
