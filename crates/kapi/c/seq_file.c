// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * seq_file: the buffer is filled one record at a time and grown when a
 * single record does not fit, as the kernel's does, so a module's show
 * sees the same calls; single_open and the private-state variants.
 */
#include <linux/version.h>
#include <linux/seq_file.h>
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/list.h>
#include <linux/uaccess.h>
#include <linux/mutex.h>
#include "kapi.h"

static void *seq_buf_alloc(size_t size)
{
	return kvmalloc(size, GFP_KERNEL_ACCOUNT);
}

int seq_open(struct file *file, const struct seq_operations *op)
{
	struct seq_file *p = kzalloc(sizeof(*p), GFP_KERNEL);

	if (!p)
		return -ENOMEM;
	file->private_data = p;
	mutex_init(&p->lock);
	p->op = op;
	p->file = file;
	file->f_mode &= ~FMODE_PWRITE;
	return 0;
}
EXPORT_SYMBOL(seq_open);

/* Fill m->buf from m->index on: whole records, at least one. */
static int seq_fill(struct seq_file *m, size_t want)
{
	void *p;
	int err = 0;

	m->from = 0;
	m->count = 0;
	if (!m->buf) {
		m->size = PAGE_SIZE;
		m->buf = seq_buf_alloc(m->size);
		if (!m->buf)
			return -ENOMEM;
	}
	p = m->op->start(m, &m->index);
	while (p && !IS_ERR(p)) {
		size_t before = m->count;
		loff_t pos = m->index;

		err = m->op->show(m, p);
		if (err < 0)
			break;
		if (err > 0)	/* SEQ_SKIP */
			m->count = before;
		if (seq_has_overflowed(m)) {
			if (before) {
				m->count = before;	/* the next fill starts here */
				break;
			}
			/* one record larger than the buffer: grow and retry */
			m->op->stop(m, p);
			kvfree(m->buf);
			m->count = 0;
			m->size <<= 1;
			m->buf = seq_buf_alloc(m->size);
			if (!m->buf)
				return -ENOMEM;
			p = m->op->start(m, &m->index);
			continue;
		}
		err = 0;
		p = m->op->next(m, p, &m->index);
		if (m->index == pos)	/* a next() that does not move */
			m->index++;
		if (m->count >= want)
			break;
	}
	m->op->stop(m, p);
	if (IS_ERR(p))
		return PTR_ERR(p);
	return err;
}

ssize_t seq_read(struct file *file, char __user *buf, size_t size, loff_t *ppos)
{
	struct seq_file *m = file->private_data;
	size_t copied = 0;
	int err = 0;

	mutex_lock(&m->lock);
	if (*ppos != m->read_pos) {
		/* a seek: start over and skip to the position */
		m->index = 0;
		m->count = 0;
		m->read_pos = 0;
		while (m->read_pos < *ppos) {
			size_t n;

			err = seq_fill(m, PAGE_SIZE);
			if (err || !m->count)
				break;
			n = min_t(size_t, m->count, *ppos - m->read_pos);
			m->from += n;
			m->count -= n;
			m->read_pos += n;
		}
	}
	while (!err && copied < size) {
		size_t n;

		if (!m->count) {
			err = seq_fill(m, size - copied);
			if (err || !m->count)
				break;
		}
		n = min(m->count, size - copied);
		if (copy_to_user(buf + copied, m->buf + m->from, n)) {
			err = -EFAULT;
			break;
		}
		m->from += n;
		m->count -= n;
		copied += n;
	}
	*ppos += copied;
	m->read_pos += copied;
	mutex_unlock(&m->lock);
	return copied ? copied : err;
}
EXPORT_SYMBOL(seq_read);

loff_t seq_lseek(struct file *file, loff_t offset, int whence)
{
	struct seq_file *m = file->private_data;

	if (whence == SEEK_CUR)
		offset += file->f_pos;
	else if (whence != SEEK_SET)
		return -EINVAL;
	if (offset < 0)
		return -EINVAL;
	file->f_pos = offset;
	mutex_lock(&m->lock);
	m->read_pos = -1;	/* forces a rewind on the next read */
	mutex_unlock(&m->lock);
	return offset;
}
EXPORT_SYMBOL(seq_lseek);

int seq_release(struct inode *inode, struct file *file)
{
	struct seq_file *m = file->private_data;

	kvfree(m->buf);
	kfree(m);
	return 0;
}
EXPORT_SYMBOL(seq_release);

void seq_vprintf(struct seq_file *m, const char *f, va_list args)
{
	int len;

	if (m->count < m->size) {
		len = kapi_vsnprintf(m->buf + m->count, m->size - m->count, f, args);
		if (m->count + len < m->size) {
			m->count += len;
			return;
		}
	}
	m->count = m->size;	/* overflowed */
}
EXPORT_SYMBOL(seq_vprintf);

void seq_printf(struct seq_file *m, const char *f, ...)
{
	va_list args;

	va_start(args, f);
	seq_vprintf(m, f, args);
	va_end(args);
}
EXPORT_SYMBOL(seq_printf);

int seq_write(struct seq_file *seq, const void *data, size_t len)
{
	if (seq->count + len < seq->size) {
		memcpy(seq->buf + seq->count, data, len);
		seq->count += len;
		return 0;
	}
	seq->count = seq->size;
	return -1;
}
EXPORT_SYMBOL(seq_write);

void seq_putc(struct seq_file *m, char c)
{
	if (m->count >= m->size)
		return;
	m->buf[m->count++] = c;
}
EXPORT_SYMBOL(seq_putc);

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
void __seq_puts(struct seq_file *m, const char *s)
{
	seq_write(m, s, strlen(s));
}
EXPORT_SYMBOL(__seq_puts);
#else
void seq_puts(struct seq_file *m, const char *s)
{
	seq_write(m, s, strlen(s));
}
EXPORT_SYMBOL(seq_puts);
#endif

void seq_put_decimal_ull_width(struct seq_file *m, const char *delimiter,
			       unsigned long long num, unsigned int width)
{
	seq_printf(m, "%s%*llu", delimiter, width, num);
}
EXPORT_SYMBOL(seq_put_decimal_ull_width);

void seq_put_decimal_ull(struct seq_file *m, const char *delimiter, unsigned long long num)
{
	seq_printf(m, "%s%llu", delimiter, num);
}
EXPORT_SYMBOL(seq_put_decimal_ull);

void seq_put_decimal_ll(struct seq_file *m, const char *delimiter, long long num)
{
	seq_printf(m, "%s%lld", delimiter, num);
}
EXPORT_SYMBOL(seq_put_decimal_ll);

void seq_pad(struct seq_file *m, char c)
{
	int size = m->pad_until - m->count;

	if (size > 0) {
		if (size + m->count > m->size) {
			m->count = m->size;
			return;
		}
		memset(m->buf + m->count, ' ', size);
		m->count += size;
	}
	if (c)
		seq_putc(m, c);
}
EXPORT_SYMBOL(seq_pad);

void *single_start(struct seq_file *p, loff_t *pos)
{
	return *pos ? NULL : SEQ_START_TOKEN;
}

static void *single_next(struct seq_file *p, void *v, loff_t *pos)
{
	++*pos;
	return NULL;
}

static void single_stop(struct seq_file *p, void *v)
{
}

int single_open(struct file *file, int (*show)(struct seq_file *, void *), void *data)
{
	struct seq_operations *op = kmalloc(sizeof(*op), GFP_KERNEL_ACCOUNT);
	int res = -ENOMEM;

	if (op) {
		op->start = single_start;
		op->next = single_next;
		op->stop = single_stop;
		op->show = show;
		res = seq_open(file, op);
		if (!res)
			((struct seq_file *)file->private_data)->private = data;
		else
			kfree(op);
	}
	return res;
}
EXPORT_SYMBOL(single_open);

int single_open_size(struct file *file, int (*show)(struct seq_file *, void *), void *data,
		     size_t size)
{
	return single_open(file, show, data);
}
EXPORT_SYMBOL(single_open_size);

int single_release(struct inode *inode, struct file *file)
{
	const struct seq_operations *op = ((struct seq_file *)file->private_data)->op;
	int res = seq_release(inode, file);

	kfree(op);
	return res;
}
EXPORT_SYMBOL(single_release);

void *__seq_open_private(struct file *f, const struct seq_operations *ops, int psize)
{
	void *private = kzalloc(psize, GFP_KERNEL_ACCOUNT);

	if (!private)
		return NULL;
	if (seq_open(f, ops)) {
		kfree(private);
		return NULL;
	}
	((struct seq_file *)f->private_data)->private = private;
	return private;
}
EXPORT_SYMBOL(__seq_open_private);

int seq_open_private(struct file *filp, const struct seq_operations *ops, int psize)
{
	return __seq_open_private(filp, ops, psize) ? 0 : -ENOMEM;
}
EXPORT_SYMBOL(seq_open_private);

int seq_release_private(struct inode *inode, struct file *file)
{
	struct seq_file *seq = file->private_data;

	kfree(seq->private);
	seq->private = NULL;
	return seq_release(inode, file);
}
EXPORT_SYMBOL(seq_release_private);

struct list_head *seq_list_start(struct list_head *head, loff_t pos)
{
	struct list_head *lh;

	list_for_each(lh, head)
		if (pos-- == 0)
			return lh;
	return NULL;
}
EXPORT_SYMBOL(seq_list_start);

struct list_head *seq_list_start_head(struct list_head *head, loff_t pos)
{
	if (!pos)
		return head;
	return seq_list_start(head, pos - 1);
}
EXPORT_SYMBOL(seq_list_start_head);

struct list_head *seq_list_next(void *v, struct list_head *head, loff_t *ppos)
{
	struct list_head *lh = ((struct list_head *)v)->next;

	++*ppos;
	return lh == head ? NULL : lh;
}
EXPORT_SYMBOL(seq_list_next);
