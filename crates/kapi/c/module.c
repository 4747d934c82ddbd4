// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * struct module: what the loader fills in before init (state, parameters,
 * reference count), the calls into init and exit, and the reference
 * counting modules use on each other (try_module_get, module_put).
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include "kapi.h"

#define MODULE_REF_BASE 1

struct module *kapi_enter_module(struct module *mod);

/* Entry point: ready `mod` (its .gnu.linkonce.this_module) for init. */
long kapi_module_setup(struct module *mod, struct kernel_param *params, unsigned long bytes,
		       char *args)
{
	if (bytes % sizeof(struct kernel_param))
		return -ENOEXEC;
	mod->state = MODULE_STATE_COMING;
	mutex_init(&mod->param_lock);
	mod->kp = params;
	mod->num_kp = bytes / sizeof(struct kernel_param);
	mod->args = args;
	INIT_LIST_HEAD(&mod->source_list);
	INIT_LIST_HEAD(&mod->target_list);
	/* the base, plus the reference held while init runs */
	atomic_set(&mod->refcnt, MODULE_REF_BASE + 1);
	return 0;
}

/* Entry points: the module's state as /sys/module/<m>/initstate shows it. */
void kapi_module_set_state(struct module *mod, long state)
{
	mod->state = state;
}

long kapi_module_has_exit(struct module *mod)
{
	return mod->exit != NULL;
}

long kapi_module_has_init(struct module *mod)
{
	return mod->init != NULL;
}

/* Entry point: run the module's init; its return value. */
long kapi_call_init(struct module *mod)
{
	struct module *old = kapi_enter_module(mod);
	long ret = mod->init ? mod->init() : 0;

	kapi_enter_module(old);
	/* drop the reference init ran under */
	atomic_dec(&mod->refcnt);
	kapi_log_flush();
	return ret;
}

/* Entry point: run the module's exit. */
void kapi_call_exit(struct module *mod)
{
	struct module *old = kapi_enter_module(mod);

	if (mod->exit)
		mod->exit();
	kapi_enter_module(old);
	kapi_log_flush();
}

int module_refcount(struct module *mod)
{
	return atomic_read(&mod->refcnt) - MODULE_REF_BASE;
}
EXPORT_SYMBOL(module_refcount);

void __module_get(struct module *module)
{
	if (module)
		atomic_inc(&module->refcnt);
}
EXPORT_SYMBOL(__module_get);

bool try_module_get(struct module *module)
{
	if (!module)
		return true;
	if (module->state == MODULE_STATE_GOING)
		return false;
	return atomic_inc_not_zero(&module->refcnt);
}
EXPORT_SYMBOL(try_module_get);

void module_put(struct module *module)
{
	if (module)
		WARN_ON_ONCE(atomic_dec_if_positive(&module->refcnt) < 0);
}
EXPORT_SYMBOL(module_put);
