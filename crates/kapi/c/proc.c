// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * /proc files and seq_file. Each file a module creates becomes a node
 * the host knows by its path in a real kernel; `rkmod sim read/write`
 * open it (a struct file and inode as the VFS would make them), call the
 * module's own proc_ops, and release it. seq_file fills its buffer one
 * record at a time, growing it when a record does not fit, as the
 * kernel's does.
 */
#include <linux/version.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/list.h>
#include <linux/uaccess.h>
#include <linux/spinlock.h>
#include <linux/mutex.h>
#include "kapi.h"

/* ---- the node registry ---- */

static LIST_HEAD(nodes);
static DEFINE_MUTEX(nodes_lock);

struct kapi_node *kapi_node_add(enum kapi_node_kind kind, struct kapi_node *parent,
				const char *parent_path, const char *name, umode_t mode)
{
	struct kapi_node *n = kapi_zalloc(sizeof(*n));
	const char *base = parent ? parent->path : parent_path;
	size_t len;

	if (!n)
		return NULL;
	len = strlen(base) + 1 + strlen(name) + 1;
	n->path = kapi_zalloc(len);
	n->name = kapi_strdup(name);
	if (!n->path || !n->name) {
		kapi_free(n->path);
		kapi_free(n->name);
		kapi_free(n);
		return NULL;
	}
	snprintf(n->path, len, "%s/%s", base, name);
	n->kind = kind;
	n->parent = parent;
	n->mode = mode;
	n->owner = kapi_current_module();
	mutex_lock(&nodes_lock);
	list_add_tail(&n->list, &nodes);
	mutex_unlock(&nodes_lock);
	HOSTCALL(node, 1, n->path, n);
	return n;
}

void kapi_node_remove(struct kapi_node *n)
{
	if (!n)
		return;
	mutex_lock(&nodes_lock);
	list_del(&n->list);
	mutex_unlock(&nodes_lock);
	HOSTCALL(node, 0, n->path, n);
	kapi_free(n->path);
	kapi_free(n->name);
	kapi_free(n);
}

static bool under(const char *path, const char *dir)
{
	size_t len = strlen(dir);

	return !strncmp(path, dir, len) && (path[len] == '/' || path[len] == '\0');
}

/* Remove every node at or below `path`, children first. */
void kapi_nodes_remove_under(const char *where)
{
	/* `where` may be a removed node's own path: work on a copy */
	char *path = kapi_strdup(where);

	if (!path)
		return;
	for (;;) {
		struct kapi_node *n, *found = NULL;

		mutex_lock(&nodes_lock);
		list_for_each_entry_reverse(n, &nodes, list) {
			if (under(n->path, path)) {
				found = n;
				break;
			}
		}
		mutex_unlock(&nodes_lock);
		if (!found)
			break;
		kapi_node_remove(found);
	}
	kapi_free(path);
}

/* Entry point at unload: what the module left behind, with a warning. */
void kapi_nodes_remove_owned(struct module *owner)
{
	for (;;) {
		struct kapi_node *n, *found = NULL;

		mutex_lock(&nodes_lock);
		list_for_each_entry_reverse(n, &nodes, list) {
			if (n->owner == owner) {
				found = n;
				break;
			}
		}
		mutex_unlock(&nodes_lock);
		if (!found)
			return;
		kapi_logf(LOGLEVEL_WARNING, "sim: %s left %s behind at unload; removed",
			  owner->name, found->path);
		kapi_node_remove(found);
	}
}

static struct kapi_node *find_child(struct kapi_node *parent, const char *root, const char *name)
{
	struct kapi_node *n, *found = NULL;
	const char *base = parent ? parent->path : root;
	size_t blen = strlen(base);

	mutex_lock(&nodes_lock);
	list_for_each_entry(n, &nodes, list) {
		if (!strncmp(n->path, base, blen) && n->path[blen] == '/' &&
		    !strcmp(n->path + blen + 1, name)) {
			found = n;
			break;
		}
	}
	mutex_unlock(&nodes_lock);
	return found;
}

/* ---- open files: what the host holds between open and release ---- */


ssize_t kapi_sysfs_read(struct kapi_open *o, char *buf, size_t len);
ssize_t kapi_sysfs_write(struct kapi_open *o, const char *buf, size_t len);
int kapi_debugfs_open(struct kapi_open *o);

/* Entry point: open node `n` for reading (write=0) or writing. */
long kapi_node_open(struct kapi_node *n, long write, struct kapi_open **out)
{
	struct kapi_open *o = kapi_zalloc(sizeof(*o));
	int err = 0;

	if (!o)
		return -ENOMEM;
	o->node = n;
	o->file = kapi_zalloc(sizeof(struct file));
	o->inode = kapi_zalloc(sizeof(struct inode));
	if (!o->file || !o->inode) {
		err = -ENOMEM;
		goto fail;
	}
	o->inode->i_private = n->data;
	o->inode->i_mode = n->mode;
	o->file->f_inode = o->inode;
	o->file->f_mode = write ? FMODE_WRITE : FMODE_READ;
	o->file->f_flags = write ? O_WRONLY : O_RDONLY;
	mutex_init(&o->file->f_pos_lock);

	switch (n->kind) {
	case KAPI_NODE_PROC:
		if (write ? !n->proc_ops->proc_write : !n->proc_ops->proc_read) {
			err = -EIO;
			break;
		}
		if (n->proc_ops->proc_open)
			err = n->proc_ops->proc_open(o->inode, o->file);
		break;
	case KAPI_NODE_PROC_SINGLE:
		err = write ? -EIO : single_open(o->file, n->single_show, n->data);
		break;
	case KAPI_NODE_PROC_SEQ:
		if (write)
			err = -EIO;
		else if (n->state_size)
			err = seq_open_private(o->file, n->seq_ops, n->state_size);
		else
			err = seq_open(o->file, n->seq_ops);
		break;
	case KAPI_NODE_SYSFS_ATTR:
		break;
	case KAPI_NODE_DEBUGFS:
		err = kapi_debugfs_open(o);
		break;
	default:
		err = -EISDIR;
		break;
	}
	if (err)
		goto fail;
	*out = o;
	kapi_log_flush();
	return 0;
fail:
	kapi_free(o->file);
	kapi_free(o->inode);
	kapi_free(o);
	kapi_log_flush();
	return err;
}

static const struct file_operations *node_fops(struct kapi_open *o);

/* Entry point: one read(2) of up to len bytes at the file position. */
long kapi_node_read(struct kapi_open *o, char *buf, long len)
{
	struct kapi_node *n = o->node;
	long r;

	switch (n->kind) {
	case KAPI_NODE_PROC:
		r = n->proc_ops->proc_read(o->file, (char __user *)buf, len, &o->file->f_pos);
		break;
	case KAPI_NODE_PROC_SINGLE:
	case KAPI_NODE_PROC_SEQ:
		r = seq_read(o->file, (char __user *)buf, len, &o->file->f_pos);
		break;
	case KAPI_NODE_SYSFS_ATTR:
		r = kapi_sysfs_read(o, buf, len);
		break;
	case KAPI_NODE_DEBUGFS:
		r = node_fops(o)->read ? node_fops(o)->read(o->file, (char __user *)buf, len,
							     &o->file->f_pos) : -EINVAL;
		break;
	default:
		r = -EISDIR;
	}
	kapi_log_flush();
	return r;
}

/* Entry point: one write(2) of exactly len bytes. */
long kapi_node_write(struct kapi_open *o, const char *buf, long len)
{
	struct kapi_node *n = o->node;
	long r;

	switch (n->kind) {
	case KAPI_NODE_PROC:
		r = n->proc_ops->proc_write(o->file, (const char __user *)buf, len,
					    &o->file->f_pos);
		break;
	case KAPI_NODE_SYSFS_ATTR:
		r = kapi_sysfs_write(o, buf, len);
		break;
	case KAPI_NODE_DEBUGFS:
		r = node_fops(o)->write ? node_fops(o)->write(o->file, (const char __user *)buf,
							       len, &o->file->f_pos) : -EINVAL;
		break;
	default:
		r = -EIO;
	}
	kapi_log_flush();
	return r;
}

/* Entry point: close(2). */
void kapi_node_release(struct kapi_open *o)
{
	struct kapi_node *n = o->node;

	switch (n->kind) {
	case KAPI_NODE_PROC:
		if (n->proc_ops->proc_release)
			n->proc_ops->proc_release(o->inode, o->file);
		break;
	case KAPI_NODE_PROC_SINGLE:
		single_release(o->inode, o->file);
		break;
	case KAPI_NODE_PROC_SEQ:
		if (n->state_size)
			seq_release_private(o->inode, o->file);
		else
			seq_release(o->inode, o->file);
		break;
	case KAPI_NODE_DEBUGFS:
		if (node_fops(o)->release)
			node_fops(o)->release(o->inode, o->file);
		break;
	default:
		break;
	}
	if (o->page)
		free_pages((unsigned long)o->page, 0);
	kapi_free(o->file);
	kapi_free(o->inode);
	kapi_free(o);
	kapi_log_flush();
}

static const struct file_operations *node_fops(struct kapi_open *o)
{
	return o->node->fops;
}

/* ---- procfs ---- */

static struct proc_dir_entry *to_pde(struct kapi_node *n)
{
	return (struct proc_dir_entry *)n;
}

static struct kapi_node *to_node(struct proc_dir_entry *p)
{
	return (struct kapi_node *)p;
}

static struct kapi_node *proc_add(enum kapi_node_kind kind, const char *name, umode_t mode,
				  struct proc_dir_entry *parent, void *data)
{
	struct kapi_node *n;

	if (find_child(to_node(parent), "/proc", name)) {
		pr_warn("proc_dir_entry '%s/%s' already registered\n",
			parent ? to_node(parent)->name : "", name);
		return NULL;
	}
	n = kapi_node_add(kind, to_node(parent), "/proc", name, mode);
	if (n)
		n->data = data;
	return n;
}

struct proc_dir_entry *proc_create_data(const char *name, umode_t mode,
					struct proc_dir_entry *parent,
					const struct proc_ops *proc_ops, void *data)
{
	struct kapi_node *n = proc_add(KAPI_NODE_PROC, name, mode ?: 0444, parent, data);

	if (n)
		n->proc_ops = proc_ops;
	return to_pde(n);
}
EXPORT_SYMBOL(proc_create_data);

struct proc_dir_entry *proc_create(const char *name, umode_t mode, struct proc_dir_entry *parent,
				   const struct proc_ops *proc_ops)
{
	return proc_create_data(name, mode, parent, proc_ops, NULL);
}
EXPORT_SYMBOL(proc_create);

struct proc_dir_entry *proc_create_single_data(const char *name, umode_t mode,
					       struct proc_dir_entry *parent,
					       int (*show)(struct seq_file *, void *), void *data)
{
	struct kapi_node *n = proc_add(KAPI_NODE_PROC_SINGLE, name, mode ?: 0444, parent, data);

	if (n)
		n->single_show = show;
	return to_pde(n);
}
EXPORT_SYMBOL(proc_create_single_data);

struct proc_dir_entry *proc_create_seq_private(const char *name, umode_t mode,
					       struct proc_dir_entry *parent,
					       const struct seq_operations *ops,
					       unsigned int state_size, void *data)
{
	struct kapi_node *n = proc_add(KAPI_NODE_PROC_SEQ, name, mode ?: 0444, parent, data);

	if (n) {
		n->seq_ops = ops;
		n->state_size = state_size;
	}
	return to_pde(n);
}
EXPORT_SYMBOL(proc_create_seq_private);

struct proc_dir_entry *proc_mkdir_data(const char *name, umode_t mode,
				       struct proc_dir_entry *parent, void *data)
{
	return to_pde(proc_add(KAPI_NODE_PROC_DIR, name, S_IFDIR | (mode ?: 0555), parent, data));
}
EXPORT_SYMBOL_GPL(proc_mkdir_data);

struct proc_dir_entry *proc_mkdir_mode(const char *name, umode_t mode,
				       struct proc_dir_entry *parent)
{
	return proc_mkdir_data(name, mode, parent, NULL);
}
EXPORT_SYMBOL(proc_mkdir_mode);

struct proc_dir_entry *proc_mkdir(const char *name, struct proc_dir_entry *parent)
{
	return proc_mkdir_data(name, 0, parent, NULL);
}
EXPORT_SYMBOL(proc_mkdir);

void proc_set_size(struct proc_dir_entry *de, loff_t size)
{
}
EXPORT_SYMBOL(proc_set_size);

void proc_set_user(struct proc_dir_entry *de, kuid_t uid, kgid_t gid)
{
}
EXPORT_SYMBOL(proc_set_user);

void proc_remove(struct proc_dir_entry *de)
{
	if (de)
		kapi_nodes_remove_under(to_node(de)->path);
}
EXPORT_SYMBOL(proc_remove);

void remove_proc_entry(const char *name, struct proc_dir_entry *parent)
{
	struct kapi_node *n = find_child(to_node(parent), "/proc", name);

	if (!n) {
		pr_warn("name '%s'\n", name);
		return;
	}
	kapi_nodes_remove_under(n->path);
}
EXPORT_SYMBOL(remove_proc_entry);

int remove_proc_subtree(const char *name, struct proc_dir_entry *parent)
{
	struct kapi_node *n = find_child(to_node(parent), "/proc", name);

	if (!n)
		return -ENOENT;
	kapi_nodes_remove_under(n->path);
	return 0;
}
EXPORT_SYMBOL(remove_proc_subtree);

void *proc_get_parent_data(const struct inode *inode)
{
	return NULL;
}
EXPORT_SYMBOL_GPL(proc_get_parent_data);
