// SPDX-License-Identifier: GPL-2.0
/* A module under a non-GPL license importing a GPL-only export: the
 * kernel refuses it with "Unknown symbol". (The file itself is GPL; the
 * license string is the test.) */
#include <linux/module.h>

int kapi_gpl_only(int x);

static int __init kapi_nongpl_init(void)
{
	return kapi_gpl_only(1) == 2 ? 0 : -EINVAL;
}

module_init(kapi_nongpl_init);
MODULE_LICENSE("Proprietary");
MODULE_DESCRIPTION("rkmod kapi test: GPL-only exports are refused to non-GPL modules");
