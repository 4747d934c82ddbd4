// SPDX-License-Identifier: GPL-2.0
/* Exports between modules: one symbol for anyone, one GPL-only; and the
 * module's own reference count through try_module_get/module_put. */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt
#include <linux/module.h>

int kapi_any(int x)
{
	return x + 1;
}
EXPORT_SYMBOL(kapi_any);

int kapi_gpl_only(int x)
{
	return x * 2;
}
EXPORT_SYMBOL_GPL(kapi_gpl_only);

static int __init kapi_gplexp_init(void)
{
	bool got = try_module_get(THIS_MODULE);

	pr_info("try_module_get: %d, refcount %d\n", got, module_refcount(THIS_MODULE));
	module_put(THIS_MODULE);
	pr_info("after module_put: refcount %d\n", module_refcount(THIS_MODULE));
	return 0;
}

static void __exit kapi_gplexp_exit(void)
{
	pr_info("exit\n");
}

module_init(kapi_gplexp_init);
module_exit(kapi_gplexp_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("rkmod kapi test: exports");
