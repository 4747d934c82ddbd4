// SPDX-License-Identifier: GPL-2.0
/* sysfs: a kobject under /sys/kernel with attributes of its own (a plain
 * file, a group in a subdirectory, a read-only one), show and store. */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt
#include <linux/module.h>
#include <linux/kobject.h>
#include <linux/sysfs.h>
#include <linux/string.h>

static struct kobject *kobj;
static int value = 10;
static char label[32] = "unset";

static ssize_t value_show(struct kobject *k, struct kobj_attribute *a, char *buf)
{
	return sysfs_emit(buf, "%d\n", value);
}

static ssize_t value_store(struct kobject *k, struct kobj_attribute *a, const char *buf,
			   size_t count)
{
	int ret = kstrtoint(buf, 10, &value);

	if (ret < 0)
		return ret;
	pr_info("value set to %d\n", value);
	return count;
}

static ssize_t label_show(struct kobject *k, struct kobj_attribute *a, char *buf)
{
	return sysfs_emit(buf, "%s\n", label);
}

static ssize_t label_store(struct kobject *k, struct kobj_attribute *a, const char *buf,
			   size_t count)
{
	strscpy(label, buf, min(count + 1, sizeof(label)));
	strim(label);
	pr_info("label set to '%s'\n", label);
	return count;
}

static ssize_t info_show(struct kobject *k, struct kobj_attribute *a, char *buf)
{
	return sysfs_emit(buf, "kobject %s, attribute %s\n", kobject_name(k), a->attr.name);
}

static struct kobj_attribute value_attr = __ATTR(value, 0644, value_show, value_store);
static struct kobj_attribute label_attr = __ATTR(label, 0644, label_show, label_store);
static struct kobj_attribute info_attr = __ATTR_RO(info);

static struct attribute *group_attrs[] = { &label_attr.attr, &info_attr.attr, NULL };
static const struct attribute_group group = { .name = "more", .attrs = group_attrs };

static int __init kapi_sysfs_init(void)
{
	int err;

	kobj = kobject_create_and_add("kapi_sysfs", kernel_kobj);
	if (!kobj)
		return -ENOMEM;
	err = sysfs_create_file(kobj, &value_attr.attr);
	if (!err)
		err = sysfs_create_group(kobj, &group);
	if (err) {
		kobject_put(kobj);
		return err;
	}
	pr_info("/sys/kernel/kapi_sysfs ready\n");
	return 0;
}

static void __exit kapi_sysfs_exit(void)
{
	sysfs_remove_group(kobj, &group);
	sysfs_remove_file(kobj, &value_attr.attr);
	kobject_put(kobj);
	pr_info("value=%d label=%s\n", value, label);
}

module_init(kapi_sysfs_init);
module_exit(kapi_sysfs_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("rkmod kapi test: sysfs attributes");
