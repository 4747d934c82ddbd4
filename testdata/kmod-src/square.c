// SPDX-License-Identifier: GPL-2.0
/*
 * square - exports square() for test_square, and a GPL-only variant.
 */
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

static int offset;
module_param(offset, int, 0644);
MODULE_PARM_DESC(offset, "Added to every result");

int square(int x)
{
	return x * x + offset;
}
EXPORT_SYMBOL(square);

int square_gpl(int x)
{
	return square(x);
}
EXPORT_SYMBOL_GPL(square_gpl);

static int __init square_init(void)
{
	pr_info("square: loaded (offset=%d)\n", offset);
	return 0;
}

static void __exit square_exit(void)
{
	pr_info("square: unloaded\n");
}

module_init(square_init);
module_exit(square_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("rkmod developers");
MODULE_DESCRIPTION("Exports square() to other modules");
