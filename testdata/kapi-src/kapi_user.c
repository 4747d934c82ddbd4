// SPDX-License-Identifier: GPL-2.0
/* User copies through a /proc file with its own proc_ops: a write is
 * kept (copy_from_user), a read returns it (copy_to_user through
 * simple_read_from_buffer), and get_user/put_user are exercised. */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/uaccess.h>
#include <linux/mutex.h>
#include <linux/slab.h>

static DEFINE_MUTEX(lock);
static char store[256] = "nothing written yet\n";
static size_t stored = 20;
static unsigned int writes;
static struct proc_dir_entry *entry;

static ssize_t user_read(struct file *f, char __user *buf, size_t len, loff_t *pos)
{
	ssize_t r;

	mutex_lock(&lock);
	r = simple_read_from_buffer(buf, len, pos, store, stored);
	mutex_unlock(&lock);
	return r;
}

static ssize_t user_write(struct file *f, const char __user *buf, size_t len, loff_t *pos)
{
	char first;

	if (len == 0)
		return 0;
	if (len >= sizeof(store))
		return -ENOSPC;
	if (get_user(first, buf))
		return -EFAULT;
	mutex_lock(&lock);
	if (copy_from_user(store, buf, len)) {
		mutex_unlock(&lock);
		return -EFAULT;
	}
	stored = len;
	writes++;
	mutex_unlock(&lock);
	pr_info("write %u: %zu bytes starting with '%c'\n", writes, len, first);
	return len;
}

static const struct proc_ops user_ops = {
	.proc_read = user_read,
	.proc_write = user_write,
	.proc_lseek = default_llseek,
};

static int __init kapi_user_init(void)
{
	entry = proc_create("kapi_user", 0666, NULL, &user_ops);
	if (!entry)
		return -ENOMEM;
	pr_info("/proc/kapi_user ready\n");
	return 0;
}

static void __exit kapi_user_exit(void)
{
	proc_remove(entry);
	pr_info("%u writes\n", writes);
}

module_init(kapi_user_init);
module_exit(kapi_user_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("rkmod kapi test: user copies through /proc");
