// SPDX-License-Identifier: GPL-2.0
/*
 * test_square - uses square() from the square module, so it depends on it.
 */
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

int square(int x);

static int value = 7;
module_param(value, int, 0444);
MODULE_PARM_DESC(value, "The number to square at load");

static int __init test_square_init(void)
{
	pr_info("test_square: square(%d) = %d\n", value, square(value));
	return 0;
}

static void __exit test_square_exit(void)
{
	pr_info("test_square: unloaded\n");
}

module_init(test_square_init);
module_exit(test_square_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("rkmod developers");
MODULE_DESCRIPTION("Calls square() from the square module");
