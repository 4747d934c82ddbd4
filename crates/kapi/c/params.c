// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Module parameters: the param_ops_* of every standard type, arrays and
 * copied strings, with the kernel's textual forms ("%i\n", "Y\n", a comma
 * list), and the kernel's parse_args over a module's __param table with
 * its log lines (`9' invalid for parameter `io', unknown parameter 'x'
 * ignored). The host reads and writes parameters through the module's
 * own ops, as sysfs does.
 */
#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/module.h>
#include <linux/string.h>
#include <linux/ctype.h>
#include <linux/slab.h>
#include <linux/err.h>
#include "kapi.h"

#define STD_PARAM(name, type, format, parse)				\
int param_set_##name(const char *val, const struct kernel_param *kp)	\
{									\
	return parse(val, 0, (type *)kp->arg);				\
}									\
int param_get_##name(char *buffer, const struct kernel_param *kp)	\
{									\
	return scnprintf(buffer, PAGE_SIZE, format "\n", *((type *)kp->arg)); \
}									\
const struct kernel_param_ops param_ops_##name = {			\
	.set = param_set_##name,					\
	.get = param_get_##name,					\
};									\
EXPORT_SYMBOL(param_set_##name);					\
EXPORT_SYMBOL(param_get_##name);					\
EXPORT_SYMBOL(param_ops_##name)

STD_PARAM(byte, unsigned char, "%hhu", kstrtou8);
STD_PARAM(short, short, "%hi", kstrtos16);
STD_PARAM(ushort, unsigned short, "%hu", kstrtou16);
STD_PARAM(int, int, "%i", kstrtoint);
STD_PARAM(uint, unsigned int, "%u", kstrtouint);
STD_PARAM(long, long, "%li", kstrtol);
STD_PARAM(ulong, unsigned long, "%lu", kstrtoul);
STD_PARAM(ullong, unsigned long long, "%llu", kstrtoull);
STD_PARAM(hexint, unsigned int, "%#08x", kstrtouint);

int param_set_uint_minmax(const char *val, const struct kernel_param *kp, unsigned int min,
			  unsigned int max)
{
	unsigned int num;
	int ret;

	if (!val)
		return -EINVAL;
	ret = kstrtouint(val, 0, &num);
	if (ret)
		return ret;
	if (num < min || num > max)
		return -EINVAL;
	*((unsigned int *)kp->arg) = num;
	return 0;
}
EXPORT_SYMBOL_GPL(param_set_uint_minmax);

/* charp values this code allocated, so that only those are freed */
struct param_string {
	struct list_head list;
	char val[];
};
static LIST_HEAD(param_strings);
static DEFINE_SPINLOCK(param_strings_lock);

static char *alloc_param_string(size_t len)
{
	struct param_string *p = kmalloc(sizeof(*p) + len, GFP_KERNEL);

	if (!p)
		return NULL;
	spin_lock(&param_strings_lock);
	list_add(&p->list, &param_strings);
	spin_unlock(&param_strings_lock);
	return p->val;
}

static void maybe_free_param_string(void *s)
{
	struct param_string *p, *found = NULL;

	spin_lock(&param_strings_lock);
	list_for_each_entry(p, &param_strings, list) {
		if (p->val == s) {
			list_del(&p->list);
			found = p;
			break;
		}
	}
	spin_unlock(&param_strings_lock);
	kfree(found);
}

int param_set_charp(const char *val, const struct kernel_param *kp)
{
	size_t len, maxlen = 1024;
	char *s;

	len = strnlen(val, maxlen + 1);
	if (len == maxlen + 1) {
		pr_err("%s: string parameter too long\n", kp->name);
		return -ENOSPC;
	}
	s = alloc_param_string(len + 1);
	if (!s)
		return -ENOMEM;
	strcpy(s, val);
	maybe_free_param_string(*(char **)kp->arg);
	*(char **)kp->arg = s;
	return 0;
}
EXPORT_SYMBOL(param_set_charp);

int param_get_charp(char *buffer, const struct kernel_param *kp)
{
	return scnprintf(buffer, PAGE_SIZE, "%s\n", *((char **)kp->arg));
}
EXPORT_SYMBOL(param_get_charp);

void param_free_charp(void *arg)
{
	maybe_free_param_string(*((char **)arg));
}
EXPORT_SYMBOL(param_free_charp);

const struct kernel_param_ops param_ops_charp = {
	.set = param_set_charp,
	.get = param_get_charp,
	.free = param_free_charp,
};
EXPORT_SYMBOL(param_ops_charp);

int param_set_bool(const char *val, const struct kernel_param *kp)
{
	if (!val)
		val = "1";
	return kstrtobool(val, kp->arg);
}
EXPORT_SYMBOL(param_set_bool);

int param_get_bool(char *buffer, const struct kernel_param *kp)
{
	return sprintf(buffer, "%c\n", *(bool *)kp->arg ? 'Y' : 'N');
}
EXPORT_SYMBOL(param_get_bool);

const struct kernel_param_ops param_ops_bool = {
	.flags = KERNEL_PARAM_OPS_FL_NOARG,
	.set = param_set_bool,
	.get = param_get_bool,
};
EXPORT_SYMBOL(param_ops_bool);

int param_set_bool_enable_only(const char *val, const struct kernel_param *kp)
{
	bool orig = *(bool *)kp->arg, v;
	struct kernel_param dummy = { .arg = &v };
	int err = param_set_bool(val, &dummy);

	if (err)
		return err;
	if (!v && orig)
		return -EROFS;
	*(bool *)kp->arg = v;
	return 0;
}
EXPORT_SYMBOL_GPL(param_set_bool_enable_only);

const struct kernel_param_ops param_ops_bool_enable_only = {
	.flags = KERNEL_PARAM_OPS_FL_NOARG,
	.set = param_set_bool_enable_only,
	.get = param_get_bool,
};
EXPORT_SYMBOL_GPL(param_ops_bool_enable_only);

int param_set_invbool(const char *val, const struct kernel_param *kp)
{
	bool v;
	struct kernel_param dummy = { .arg = &v };
	int ret = param_set_bool(val, &dummy);

	if (ret == 0)
		*(bool *)kp->arg = !v;
	return ret;
}
EXPORT_SYMBOL(param_set_invbool);

int param_get_invbool(char *buffer, const struct kernel_param *kp)
{
	return sprintf(buffer, "%c\n", (*(bool *)kp->arg) ? 'N' : 'Y');
}
EXPORT_SYMBOL(param_get_invbool);

const struct kernel_param_ops param_ops_invbool = {
	.set = param_set_invbool,
	.get = param_get_invbool,
};
EXPORT_SYMBOL(param_ops_invbool);

int param_set_bint(const char *val, const struct kernel_param *kp)
{
	bool v;
	struct kernel_param dummy = { .arg = &v };
	int ret = param_set_bool(val, &dummy);

	if (ret == 0)
		*(int *)kp->arg = v;
	return ret;
}
EXPORT_SYMBOL(param_set_bint);

const struct kernel_param_ops param_ops_bint = {
	.flags = KERNEL_PARAM_OPS_FL_NOARG,
	.set = param_set_bint,
	.get = param_get_int,
};
EXPORT_SYMBOL(param_ops_bint);

/* A comma-separated list into the array's elements. Like the kernel's,
 * it cuts the caller's string at each comma (so an error names only the
 * element that failed). */
static int param_array_set(const char *val, const struct kernel_param *kp)
{
	const struct kparam_array *arr = kp->arr;
	unsigned int temp_num, *num = arr->num ?: &temp_num;
	struct kernel_param elem = { .name = kp->name, .arg = arr->elem, .level = kp->level,
				     .mod = kp->mod };
	char *cur = (char *)val;
	char save;
	int ret;

	if (!val)
		return -EINVAL;
	*num = 0;
	do {
		size_t len;

		if (*num == arr->max) {
			pr_err("%s: can only take %i arguments\n", kp->name, arr->max);
			return -EINVAL;
		}
		len = strcspn(cur, ",");
		save = cur[len];
		cur[len] = '\0';
		ret = arr->ops->set(cur, &elem);
		if (ret)
			return ret;
		elem.arg += arr->elemsize;
		cur += len + 1;
		(*num)++;
	} while (save == ',');
	return 0;
}

static int param_array_get(char *buffer, const struct kernel_param *kp)
{
	const struct kparam_array *arr = kp->arr;
	struct kernel_param p = *kp;
	unsigned int i, n = arr->num ? *arr->num : arr->max;
	int off = 0, ret;

	for (i = 0; i < n; i++) {
		if (i)
			buffer[off - 1] = ',';	/* the element's newline */
		p.arg = arr->elem + arr->elemsize * i;
		ret = arr->ops->get(buffer + off, &p);
		if (ret < 0)
			return ret;
		off += ret;
	}
	buffer[off] = '\0';
	return off;
}

static void param_array_free(void *arg)
{
	const struct kparam_array *arr = arg;

	if (arr->ops->free)
		for (unsigned int i = 0; i < (arr->num ? *arr->num : arr->max); i++)
			arr->ops->free(arr->elem + arr->elemsize * i);
}

const struct kernel_param_ops param_array_ops = {
	.set = param_array_set,
	.get = param_array_get,
	.free = param_array_free,
};
EXPORT_SYMBOL(param_array_ops);

int param_set_copystring(const char *val, const struct kernel_param *kp)
{
	const struct kparam_string *kps = kp->str;

	if (strlen(val) + 1 > kps->maxlen) {
		pr_err("%s: string doesn't fit in %u chars.\n", kp->name, kps->maxlen - 1);
		return -ENOSPC;
	}
	strcpy(kps->string, val);
	return 0;
}
EXPORT_SYMBOL(param_set_copystring);

int param_get_string(char *buffer, const struct kernel_param *kp)
{
	return scnprintf(buffer, PAGE_SIZE, "%s\n", kp->str->string);
}
EXPORT_SYMBOL(param_get_string);

const struct kernel_param_ops param_ops_string = {
	.set = param_set_copystring,
	.get = param_get_string,
};
EXPORT_SYMBOL(param_ops_string);

void kernel_param_lock(struct module *mod)
{
	mutex_lock(&mod->param_lock);
}
EXPORT_SYMBOL(kernel_param_lock);

void kernel_param_unlock(struct module *mod)
{
	mutex_unlock(&mod->param_lock);
}
EXPORT_SYMBOL(kernel_param_unlock);

/* ---- parse_args, as load_module runs it ---- */

static bool kapi_parameq(const char *a, const char *b)
{
	for (;; a++, b++) {
		char x = *a == '-' ? '_' : *a, y = *b == '-' ? '_' : *b;

		if (x != y)
			return false;
		if (!x)
			return true;
	}
}

/* Split "param=value" off args (quotes group, and are dropped). */
static char *kapi_next_arg(char *args, char **param, char **val)
{
	unsigned int i, equals = 0;
	int in_quote = 0, quoted = 0;

	if (*args == '"') {
		args++;
		in_quote = 1;
		quoted = 1;
	}
	for (i = 0; args[i]; i++) {
		if (isspace(args[i]) && !in_quote)
			break;
		if (equals == 0 && args[i] == '=')
			equals = i;
		if (args[i] == '"')
			in_quote = !in_quote;
	}
	*param = args;
	if (!equals) {
		*val = NULL;
	} else {
		args[equals] = '\0';
		*val = args + equals + 1;
		if (**val == '"') {
			(*val)++;
			if (args[i - 1] == '"')
				args[i - 1] = '\0';
		}
	}
	if (quoted && i > 0 && args[i - 1] == '"')
		args[i - 1] = '\0';
	if (args[i]) {
		args[i] = '\0';
		args += i + 1;
	} else {
		args += i;
	}
	return skip_spaces(args);
}

static int parse_one(struct module *mod, char *param, char *val)
{
	for (unsigned int i = 0; i < mod->num_kp; i++) {
		const struct kernel_param *kp = &mod->kp[i];
		int err;

		if (!kapi_parameq(param, kp->name))
			continue;
		if (!val && !(kp->ops->flags & KERNEL_PARAM_OPS_FL_NOARG))
			return -EINVAL;
		if (kp->flags & KERNEL_PARAM_FL_UNSAFE)
			pr_notice("Setting dangerous option %s - tainting kernel\n", kp->name);
		kernel_param_lock(mod);
		err = kp->ops->set(val, kp);
		kernel_param_unlock(mod);
		return err;
	}
	/* what load_module does with a name no parameter has */
	if (strcmp(param, "dyndbg") && !(strlen(param) > 7 &&
					  !strcmp(param + strlen(param) - 7, ".dyndbg")))
		pr_warn("%s: unknown parameter '%s' ignored\n", mod->name, param);
	return 0;
}

/* Entry point: apply the module's arguments as load_module does. */
long kapi_parse_args(struct module *mod, char *args)
{
	long err = 0;

	args = skip_spaces(args);
	while (*args) {
		char *param, *val;
		int ret;

		args = kapi_next_arg(args, &param, &val);
		if (!val && strcmp(param, "--") == 0)
			break;
		ret = parse_one(mod, param, val);
		switch (ret) {
		case 0:
			continue;
		case -ENOENT:
			pr_err("%s: Unknown parameter `%s'\n", mod->name, param);
			break;
		case -ENOSPC:
			pr_err("%s: `%s' too large for parameter `%s'\n", mod->name, val ?: "",
			       param);
			break;
		default:
			pr_err("%s: `%s' invalid for parameter `%s'\n", mod->name, val ?: "",
			       param);
			break;
		}
		err = ret;
	}
	kapi_log_flush();
	return err;
}

/* Entry points for sysfs: name and permissions of parameter i. */
long kapi_param_info(struct module *mod, long i, const char **name, long *perm)
{
	if (i < 0 || i >= mod->num_kp)
		return -ENOENT;
	*name = mod->kp[i].name;
	*perm = mod->kp[i].perm;
	return 0;
}

/* Read parameter i through its get op into a page; its length or -errno. */
long kapi_param_get(struct module *mod, long i, char *page)
{
	const struct kernel_param *kp;
	long n;

	if (i < 0 || i >= mod->num_kp)
		return -ENOENT;
	kp = &mod->kp[i];
	if (!kp->ops->get)
		return -EPERM;
	kernel_param_lock(mod);
	n = kp->ops->get(page, kp);
	kernel_param_unlock(mod);
	kapi_log_flush();
	return n;
}

/* Write parameter i as a write to its sysfs file does (the text as given). */
long kapi_param_set(struct module *mod, long i, const char *val)
{
	const struct kernel_param *kp;
	long err;

	if (i < 0 || i >= mod->num_kp)
		return -ENOENT;
	kp = &mod->kp[i];
	if (!kp->ops->set)
		return -EPERM;
	kernel_param_lock(mod);
	err = kp->ops->set(val, kp);
	kernel_param_unlock(mod);
	kapi_log_flush();
	return err;
}

/* Entry point at unload: each parameter's free op, as the kernel does. */
void kapi_params_free(struct module *mod)
{
	for (unsigned int i = 0; i < mod->num_kp; i++)
		if (mod->kp[i].ops->free)
			mod->kp[i].ops->free(mod->kp[i].arg);
}
