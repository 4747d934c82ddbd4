// SPDX-License-Identifier: GPL-2.0
/* A GPL module using both of kapi_gplexp's exports. */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt
#include <linux/module.h>

int kapi_any(int x);
int kapi_gpl_only(int x);

static int __init kapi_gpluser_init(void)
{
	pr_info("kapi_any(1) = %d, kapi_gpl_only(21) = %d\n", kapi_any(1), kapi_gpl_only(21));
	return 0;
}

static void __exit kapi_gpluser_exit(void)
{
}

module_init(kapi_gpluser_init);
module_exit(kapi_gpluser_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("rkmod kapi test: a GPL user of exports");
