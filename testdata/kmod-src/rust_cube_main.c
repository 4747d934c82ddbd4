// SPDX-License-Identifier: GPL-2.0
/*
 * rust_cube - the C shim of a module whose logic is Rust (rust_cube.rs):
 * what kbuild and the module loader need from C (module_init/exit,
 * parameters, the export) stays here; cube() itself is Rust and calls
 * square() from the square module.
 */
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

/* Defined in rust_cube.rs. */
int cube(int x);
int rust_cube_init(int factor, const char *label);

static int factor = 3;
module_param(factor, int, 0444);
MODULE_PARM_DESC(factor, "The number cubed at load");

static char *label = "rust";
module_param(label, charp, 0444);
MODULE_PARM_DESC(label, "A name the Rust code logs at load");

EXPORT_SYMBOL(cube);

static int __init rust_cube_module_init(void)
{
	return rust_cube_init(factor, label);
}

static void __exit rust_cube_module_exit(void)
{
	pr_info("rust_cube: unloaded\n");
}

module_init(rust_cube_module_init);
module_exit(rust_cube_module_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("rkmod developers");
MODULE_DESCRIPTION("Exports cube(), written in Rust, built on square()");
