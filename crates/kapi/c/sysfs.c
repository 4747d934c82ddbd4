// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * sysfs (kobjects and their attributes, under /sys) and debugfs (under
 * /sys/kernel/debug): each file a node the host serves. An attribute is
 * read through its kobject type's sysfs_ops->show into a page once per
 * open, as kernfs does, and written through ->store with the text as
 * written, NUL-terminated.
 */
#include <linux/kobject.h>
#include <linux/sysfs.h>
#include <linux/debugfs.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/uaccess.h>
#include "kapi.h"


/* ---- kobjects ---- */

static struct kobject kernel_kobj_obj = { .name = "kernel" };
static struct kobject fs_kobj_obj = { .name = "fs" };
static struct kobject firmware_kobj_obj = { .name = "firmware" };
static struct kobject power_kobj_obj = { .name = "power" };
static struct kobject mm_kobj_obj = { .name = "mm", .parent = &kernel_kobj_obj };
struct kobject *kernel_kobj = &kernel_kobj_obj;
struct kobject *fs_kobj = &fs_kobj_obj;
struct kobject *firmware_kobj = &firmware_kobj_obj;
struct kobject *power_kobj = &power_kobj_obj;
struct kobject *mm_kobj = &mm_kobj_obj;
EXPORT_SYMBOL_GPL(kernel_kobj);
EXPORT_SYMBOL_GPL(fs_kobj);
EXPORT_SYMBOL_GPL(firmware_kobj);
EXPORT_SYMBOL_GPL(power_kobj);
EXPORT_SYMBOL_GPL(mm_kobj);

/* "/sys/kernel/<name>...": the kobject's path, in buf. */
static void kobj_path(const struct kobject *kobj, char *buf, size_t len)
{
	const struct kobject *chain[16];
	int n = 0;
	size_t off;

	for (; kobj && n < 16; kobj = kobj->parent)
		chain[n++] = kobj;
	off = scnprintf(buf, len, "/sys");
	while (n--)
		off += scnprintf(buf + off, len - off, "/%s", chain[n]->name ?: "");
}

static ssize_t kobj_attr_show(struct kobject *kobj, struct attribute *attr, char *buf)
{
	struct kobj_attribute *kattr = container_of(attr, struct kobj_attribute, attr);

	return kattr->show ? kattr->show(kobj, kattr, buf) : -EIO;
}

static ssize_t kobj_attr_store(struct kobject *kobj, struct attribute *attr, const char *buf,
			       size_t count)
{
	struct kobj_attribute *kattr = container_of(attr, struct kobj_attribute, attr);

	return kattr->store ? kattr->store(kobj, kattr, buf, count) : -EIO;
}

const struct sysfs_ops kobj_sysfs_ops = {
	.show = kobj_attr_show,
	.store = kobj_attr_store,
};
EXPORT_SYMBOL_GPL(kobj_sysfs_ops);

static void dynamic_kobj_release(struct kobject *kobj)
{
	kfree(kobj);
}

static const struct kobj_type dynamic_kobj_ktype = {
	.release = dynamic_kobj_release,
	.sysfs_ops = &kobj_sysfs_ops,
};

int kobject_set_name_vargs(struct kobject *kobj, const char *fmt, va_list vargs)
{
	const char *old = kobj->name;

	kobj->name = kvasprintf(GFP_KERNEL, fmt, vargs);
	if (!kobj->name) {
		kobj->name = old;
		return -ENOMEM;
	}
	kfree(old);
	return 0;
}
EXPORT_SYMBOL(kobject_set_name_vargs);

int kobject_set_name(struct kobject *kobj, const char *fmt, ...)
{
	va_list vargs;
	int retval;

	va_start(vargs, fmt);
	retval = kobject_set_name_vargs(kobj, fmt, vargs);
	va_end(vargs);
	return retval;
}
EXPORT_SYMBOL(kobject_set_name);

void kobject_init(struct kobject *kobj, const struct kobj_type *ktype)
{
	if (!kobj)
		return;
	kref_init(&kobj->kref);
	INIT_LIST_HEAD(&kobj->entry);
	kobj->ktype = ktype;
	kobj->state_initialized = 1;
}
EXPORT_SYMBOL(kobject_init);

static int kobject_add_varg(struct kobject *kobj, struct kobject *parent, const char *fmt,
			    va_list vargs)
{
	char path[256];
	struct kapi_node *n;
	int ret = kobject_set_name_vargs(kobj, fmt, vargs);

	if (ret)
		return ret;
	kobj->parent = parent;
	kobj_path(parent, path, sizeof(path));
	n = kapi_node_add(KAPI_NODE_SYSFS_DIR, NULL, parent ? path : "/sys", kobj->name, 0755);
	if (!n)
		return -ENOMEM;
	n->kobj = kobj;
	kobj->sd = (struct kernfs_node *)n;
	kobj->state_in_sysfs = 1;
	if (parent)
		kobject_get(parent);
	return 0;
}

int kobject_add(struct kobject *kobj, struct kobject *parent, const char *fmt, ...)
{
	va_list args;
	int retval;

	if (!kobj)
		return -EINVAL;
	va_start(args, fmt);
	retval = kobject_add_varg(kobj, parent, fmt, args);
	va_end(args);
	return retval;
}
EXPORT_SYMBOL(kobject_add);

int kobject_init_and_add(struct kobject *kobj, const struct kobj_type *ktype,
			 struct kobject *parent, const char *fmt, ...)
{
	va_list args;
	int retval;

	kobject_init(kobj, ktype);
	va_start(args, fmt);
	retval = kobject_add_varg(kobj, parent, fmt, args);
	va_end(args);
	return retval;
}
EXPORT_SYMBOL_GPL(kobject_init_and_add);

struct kobject *kobject_create_and_add(const char *name, struct kobject *parent)
{
	struct kobject *kobj = kzalloc(sizeof(*kobj), GFP_KERNEL);

	if (!kobj)
		return NULL;
	kobject_init(kobj, &dynamic_kobj_ktype);
	if (kobject_add(kobj, parent, "%s", name)) {
		kobject_put(kobj);
		return NULL;
	}
	return kobj;
}
EXPORT_SYMBOL_GPL(kobject_create_and_add);

void kobject_del(struct kobject *kobj)
{
	struct kobject *parent;

	if (!kobj || !kobj->state_in_sysfs)
		return;
	parent = kobj->parent;
	kapi_nodes_remove_under(((struct kapi_node *)kobj->sd)->path);
	kobj->sd = NULL;
	kobj->state_in_sysfs = 0;
	kobj->parent = NULL;
	kobject_put(parent);
}
EXPORT_SYMBOL(kobject_del);

struct kobject *kobject_get(struct kobject *kobj)
{
	if (kobj && kobj->state_initialized)
		kref_get(&kobj->kref);
	return kobj;
}
EXPORT_SYMBOL(kobject_get);

static void kobject_release(struct kref *kref)
{
	struct kobject *kobj = container_of(kref, struct kobject, kref);
	const char *name = kobj->name;

	kobject_del(kobj);
	if (kobj->ktype && kobj->ktype->release)
		kobj->ktype->release(kobj);
	kfree(name);
}

void kobject_put(struct kobject *kobj)
{
	if (kobj && kobj->state_initialized)
		kref_put(&kobj->kref, kobject_release);
}
EXPORT_SYMBOL(kobject_put);

char *kobject_get_path(const struct kobject *kobj, gfp_t flag)
{
	char path[256];

	kobj_path(kobj, path, sizeof(path));
	return kstrdup(path + strlen("/sys"), flag);
}
EXPORT_SYMBOL_GPL(kobject_get_path);

int kobject_uevent(struct kobject *kobj, enum kobject_action action)
{
	return 0;
}
EXPORT_SYMBOL_GPL(kobject_uevent);

/* ---- attributes ---- */

int sysfs_create_file_ns(struct kobject *kobj, const struct attribute *attr, const void *ns)
{
	char path[256];
	struct kapi_node *n;

	if (!kobj || !attr)
		return -EINVAL;
	kobj_path(kobj, path, sizeof(path));
	n = kapi_node_add(KAPI_NODE_SYSFS_ATTR, NULL, path, attr->name, attr->mode);
	if (!n)
		return -ENOMEM;
	n->kobj = kobj;
	n->attr = attr;
	return 0;
}
EXPORT_SYMBOL_GPL(sysfs_create_file_ns);

int sysfs_create_files(struct kobject *kobj, const struct attribute * const *ptr)
{
	int err = 0;

	for (int i = 0; ptr[i] && !err; i++)
		err = sysfs_create_file_ns(kobj, ptr[i], NULL);
	return err;
}
EXPORT_SYMBOL_GPL(sysfs_create_files);

void sysfs_remove_file_ns(struct kobject *kobj, const struct attribute *attr, const void *ns)
{
	char path[256];
	size_t off;

	kobj_path(kobj, path, sizeof(path));
	off = strlen(path);
	scnprintf(path + off, sizeof(path) - off, "/%s", attr->name);
	kapi_nodes_remove_under(path);
}
EXPORT_SYMBOL_GPL(sysfs_remove_file_ns);

void sysfs_remove_files(struct kobject *kobj, const struct attribute * const *ptr)
{
	for (int i = 0; ptr[i]; i++)
		sysfs_remove_file_ns(kobj, ptr[i], NULL);
}
EXPORT_SYMBOL_GPL(sysfs_remove_files);

int sysfs_create_group(struct kobject *kobj, const struct attribute_group *grp)
{
	char path[256];
	int err = 0;

	kobj_path(kobj, path, sizeof(path));
	if (grp->name) {
		size_t off = strlen(path);

		if (!kapi_node_add(KAPI_NODE_SYSFS_DIR, NULL, path, grp->name, 0755))
			return -ENOMEM;
		scnprintf(path + off, sizeof(path) - off, "/%s", grp->name);
	}
	for (int i = 0; grp->attrs && grp->attrs[i] && !err; i++) {
		struct attribute *attr = grp->attrs[i];
		umode_t mode = attr->mode;
		struct kapi_node *n;

		if (grp->is_visible) {
			mode = grp->is_visible(kobj, attr, i);
			if (!mode)
				continue;
		}
		n = kapi_node_add(KAPI_NODE_SYSFS_ATTR, NULL, path, attr->name, mode);
		if (!n) {
			err = -ENOMEM;
			break;
		}
		n->kobj = kobj;
		n->attr = attr;
	}
	return err;
}
EXPORT_SYMBOL_GPL(sysfs_create_group);

int sysfs_create_groups(struct kobject *kobj, const struct attribute_group **groups)
{
	int err = 0;

	for (int i = 0; groups && groups[i] && !err; i++)
		err = sysfs_create_group(kobj, groups[i]);
	return err;
}
EXPORT_SYMBOL_GPL(sysfs_create_groups);

void sysfs_remove_group(struct kobject *kobj, const struct attribute_group *grp)
{
	char path[256];

	kobj_path(kobj, path, sizeof(path));
	if (grp->name) {
		size_t off = strlen(path);

		scnprintf(path + off, sizeof(path) - off, "/%s", grp->name);
		kapi_nodes_remove_under(path);
		return;
	}
	for (int i = 0; grp->attrs && grp->attrs[i]; i++)
		sysfs_remove_file_ns(kobj, grp->attrs[i], NULL);
}
EXPORT_SYMBOL_GPL(sysfs_remove_group);

void sysfs_remove_groups(struct kobject *kobj, const struct attribute_group **groups)
{
	for (int i = 0; groups && groups[i]; i++)
		sysfs_remove_group(kobj, groups[i]);
}
EXPORT_SYMBOL_GPL(sysfs_remove_groups);

void sysfs_notify(struct kobject *kobj, const char *dir, const char *attr)
{
}
EXPORT_SYMBOL_GPL(sysfs_notify);

int sysfs_emit(char *buf, const char *fmt, ...)
{
	va_list args;
	int len;

	if (!buf || offset_in_page(buf))
		return 0;
	va_start(args, fmt);
	len = vscnprintf(buf, PAGE_SIZE, fmt, args);
	va_end(args);
	return len;
}
EXPORT_SYMBOL_GPL(sysfs_emit);

int sysfs_emit_at(char *buf, int at, const char *fmt, ...)
{
	va_list args;
	int len;

	if (!buf || offset_in_page(buf) || at < 0 || at >= PAGE_SIZE)
		return 0;
	va_start(args, fmt);
	len = vscnprintf(buf + at, PAGE_SIZE - at, fmt, args);
	va_end(args);
	return len;
}
EXPORT_SYMBOL_GPL(sysfs_emit_at);

ssize_t kapi_sysfs_read(struct kapi_open *o, char *buf, size_t len)
{
	const struct sysfs_ops *ops = o->node->kobj->ktype ? o->node->kobj->ktype->sysfs_ops : NULL;
	loff_t pos = o->file->f_pos;

	if (!o->page) {
		ssize_t n;

		if (!ops || !ops->show)
			return -EIO;
		/* a page-aligned page, as sysfs_emit insists */
		o->page = (char *)__get_free_pages(GFP_KERNEL | __GFP_ZERO, 0);
		if (!o->page)
			return -ENOMEM;
		n = ops->show(o->node->kobj, (struct attribute *)o->node->attr, o->page);
		if (n < 0)
			return n;
		o->page_len = min_t(ssize_t, n, PAGE_SIZE - 1);
	}
	if (pos >= o->page_len)
		return 0;
	len = min_t(size_t, len, o->page_len - pos);
	memcpy(buf, o->page + pos, len);
	o->file->f_pos += len;
	return len;
}

ssize_t kapi_sysfs_write(struct kapi_open *o, const char *buf, size_t len)
{
	const struct sysfs_ops *ops = o->node->kobj->ktype ? o->node->kobj->ktype->sysfs_ops : NULL;
	char *page;
	ssize_t n;

	if (!ops || !ops->store)
		return -EIO;
	len = min_t(size_t, len, PAGE_SIZE - 1);
	page = (char *)__get_free_pages(GFP_KERNEL | __GFP_ZERO, 0);
	if (!page)
		return -ENOMEM;
	memcpy(page, buf, len);
	n = ops->store(o->node->kobj, (struct attribute *)o->node->attr, page, len);
	free_pages((unsigned long)page, 0);
	return n;
}

/* ---- debugfs ---- */

static struct kapi_node *dnode(struct dentry *d)
{
	return IS_ERR_OR_NULL(d) ? NULL : (struct kapi_node *)d;
}

struct dentry *debugfs_create_dir(const char *name, struct dentry *parent)
{
	struct kapi_node *n = kapi_node_add(KAPI_NODE_DEBUGFS_DIR, dnode(parent),
					    "/sys/kernel/debug", name, S_IFDIR | 0755);

	return n ? (struct dentry *)n : ERR_PTR(-ENOMEM);
}
EXPORT_SYMBOL_GPL(debugfs_create_dir);

struct dentry *debugfs_create_file(const char *name, umode_t mode, struct dentry *parent,
				   void *data, const struct file_operations *fops)
{
	struct kapi_node *n = kapi_node_add(KAPI_NODE_DEBUGFS, dnode(parent), "/sys/kernel/debug",
					    name, mode);

	if (!n)
		return ERR_PTR(-ENOMEM);
	n->data = data;
	n->fops = fops;
	return (struct dentry *)n;
}
EXPORT_SYMBOL_GPL(debugfs_create_file);

struct dentry *debugfs_create_file_unsafe(const char *name, umode_t mode, struct dentry *parent,
					  void *data, const struct file_operations *fops)
{
	return debugfs_create_file(name, mode, parent, data, fops);
}
EXPORT_SYMBOL_GPL(debugfs_create_file_unsafe);

void debugfs_remove(struct dentry *dentry)
{
	struct kapi_node *n = dnode(dentry);

	if (n)
		kapi_nodes_remove_under(n->path);
}
EXPORT_SYMBOL_GPL(debugfs_remove);

int kapi_debugfs_open(struct kapi_open *o)
{
	const struct file_operations *fops = o->node->fops;

	o->file->f_op = fops;
	if (fops && fops->open)
		return fops->open(o->inode, o->file);
	return 0;
}

/* Numbers in debugfs: the value's text, and writes parsed back. */
#define DEBUGFS_NUM(name, type, fmt, parse)					\
static ssize_t name##_read(struct file *f, char __user *buf, size_t len, loff_t *ppos) \
{										\
	char tmp[32];								\
	int n = scnprintf(tmp, sizeof(tmp), fmt "\n", *(type *)f->f_inode->i_private); \
	return simple_read_from_buffer(buf, len, ppos, tmp, n);			\
}										\
static ssize_t name##_write(struct file *f, const char __user *buf, size_t len,	\
			    loff_t *ppos)					\
{										\
	char tmp[32];								\
	type v;									\
	int err;								\
	len = min(len, sizeof(tmp) - 1);					\
	memcpy(tmp, (const char __force *)buf, len);				\
	tmp[len] = 0;								\
	err = parse(tmp, 0, &v);						\
	if (err)								\
		return err;							\
	*(type *)f->f_inode->i_private = v;					\
	return len;								\
}										\
static const struct file_operations name##_fops = {				\
	.read = name##_read,							\
	.write = name##_write,							\
};										\
void debugfs_create_##name(const char *n, umode_t mode, struct dentry *parent, type *value) \
{										\
	debugfs_create_file(n, mode, parent, value, &name##_fops);		\
}										\
EXPORT_SYMBOL_GPL(debugfs_create_##name)

DEBUGFS_NUM(u8, u8, "%hhu", kstrtou8);
DEBUGFS_NUM(u16, u16, "%hu", kstrtou16);
DEBUGFS_NUM(u32, u32, "%u", kstrtou32);
DEBUGFS_NUM(u64, u64, "%llu", kstrtou64);
DEBUGFS_NUM(ulong, unsigned long, "%lu", kstrtoul);
DEBUGFS_NUM(x8, u8, "0x%02x", kstrtou8);
DEBUGFS_NUM(x16, u16, "0x%04x", kstrtou16);
DEBUGFS_NUM(x32, u32, "0x%08x", kstrtou32);
DEBUGFS_NUM(x64, u64, "0x%016llx", kstrtou64);

static ssize_t bool_read(struct file *f, char __user *buf, size_t len, loff_t *ppos)
{
	char tmp[2] = { *(bool *)f->f_inode->i_private ? 'Y' : 'N', '\n' };

	return simple_read_from_buffer(buf, len, ppos, tmp, 2);
}

static ssize_t bool_write(struct file *f, const char __user *buf, size_t len, loff_t *ppos)
{
	bool v;
	int err = kstrtobool_from_user(buf, len, &v);

	if (err)
		return err;
	*(bool *)f->f_inode->i_private = v;
	return len;
}

static const struct file_operations bool_fops = { .read = bool_read, .write = bool_write };

void debugfs_create_bool(const char *name, umode_t mode, struct dentry *parent, bool *value)
{
	debugfs_create_file(name, mode, parent, value, &bool_fops);
}
EXPORT_SYMBOL_GPL(debugfs_create_bool);
