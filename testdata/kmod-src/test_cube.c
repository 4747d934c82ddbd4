// SPDX-License-Identifier: GPL-2.0
/*
 * test_cube - uses cube() from rust_cube, so it depends on rust_cube, which
 * depends on square.
 */
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

int cube(int x);

static int value = 4;
module_param(value, int, 0444);
MODULE_PARM_DESC(value, "The number to cube at load");

static int __init test_cube_init(void)
{
	pr_info("test_cube: cube(%d) = %d\n", value, cube(value));
	return 0;
}

static void __exit test_cube_exit(void)
{
	pr_info("test_cube: unloaded\n");
}

module_init(test_cube_init);
module_exit(test_cube_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("rkmod developers");
MODULE_DESCRIPTION("Calls cube() from the rust_cube module");
