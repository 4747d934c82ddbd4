// SPDX-License-Identifier: GPL-2.0
/*
 * khello - a sample module with a string parameter, a range-checked
 * integer parameter and a read-only /proc/helloworld.
 */
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>

static char *msg = "hello";
module_param(msg, charp, 0444);
MODULE_PARM_DESC(msg, "Message shown at load and in /proc/helloworld");

static int io = 1;

/* Accept only 0..5: anything else is refused before init runs. */
static int io_set(const char *val, const struct kernel_param *kp)
{
	int n, ret;

	ret = kstrtoint(val, 10, &n);
	if (ret)
		return ret;
	if (n < 0 || n > 5)
		return -EINVAL;
	return param_set_int(val, kp);
}

static const struct kernel_param_ops io_ops = {
	.set = io_set,
	.get = param_get_int,
};

module_param_cb(io, &io_ops, &io, 0644);
__MODULE_PARM_TYPE(io, "int");
MODULE_PARM_DESC(io, "An I/O level between 0 and 5");

static int helloworld_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%s (io=%d)\n", msg, io);
	return 0;
}

static struct proc_dir_entry *entry;

static int __init khello_init(void)
{
	entry = proc_create_single("helloworld", 0444, NULL, helloworld_show);
	if (!entry)
		return -ENOMEM;
	pr_info("khello: %s (io=%d)\n", msg, io);
	return 0;
}

static void __exit khello_exit(void)
{
	proc_remove(entry);
	pr_info("khello: goodbye\n");
}

module_init(khello_init);
module_exit(khello_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("rkmod developers");
MODULE_DESCRIPTION("Hello world with parameters and a /proc file");
MODULE_ALIAS("rkmod-hello");
