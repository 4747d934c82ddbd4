// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The small file helpers modules use in their own file operations
 * (simple_read_from_buffer, the llseek variants, simple_open).
 */
#include <linux/fs.h>
#include <linux/uaccess.h>
#include "kapi.h"

ssize_t simple_read_from_buffer(void __user *to, size_t count, loff_t *ppos, const void *from,
				size_t available)
{
	loff_t pos = *ppos;

	if (pos < 0)
		return -EINVAL;
	if (pos >= available || !count)
		return 0;
	if (count > available - pos)
		count = available - pos;
	if (copy_to_user(to, from + pos, count))
		return -EFAULT;
	*ppos = pos + count;
	return count;
}
EXPORT_SYMBOL(simple_read_from_buffer);

ssize_t simple_write_to_buffer(void *to, size_t available, loff_t *ppos,
			       const void __user *from, size_t count)
{
	loff_t pos = *ppos;

	if (pos < 0)
		return -EINVAL;
	if (pos >= available || !count)
		return 0;
	if (count > available - pos)
		count = available - pos;
	if (copy_from_user(to + pos, from, count))
		return -EFAULT;
	*ppos = pos + count;
	return count;
}
EXPORT_SYMBOL(simple_write_to_buffer);

loff_t noop_llseek(struct file *file, loff_t offset, int whence)
{
	return file->f_pos;
}
EXPORT_SYMBOL(noop_llseek);

loff_t default_llseek(struct file *file, loff_t offset, int whence)
{
	if (whence == SEEK_CUR)
		offset += file->f_pos;
	if (offset < 0)
		return -EINVAL;
	file->f_pos = offset;
	return offset;
}
EXPORT_SYMBOL(default_llseek);

int nonseekable_open(struct inode *inode, struct file *filp)
{
	return 0;
}
EXPORT_SYMBOL(nonseekable_open);

int simple_open(struct inode *inode, struct file *file)
{
	if (inode->i_private)
		file->private_data = inode->i_private;
	return 0;
}
EXPORT_SYMBOL(simple_open);
