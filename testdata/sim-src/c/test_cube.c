/* test_cube: uses cube() from rust_cube (whose logic is Rust). */
#define SIM_MODULE_NAME "test_cube"
#include "sim_module.h"

SIM_MODULE_LICENSE("GPL");
SIM_MODULE_AUTHOR("rkmod developers");
SIM_MODULE_DESCRIPTION("Calls cube() from the rust_cube module (C)");

extern int cube(int x);

static int value = 4;
SIM_MODULE_PARAM(value, int, 0444, "The number to cube at load");

static int test_cube_init(void)
{
	pr_info("test_cube: cube(%d) = %d", value, cube(value));
	return 0;
}

static void test_cube_exit(void)
{
	pr_info("test_cube: unloaded");
}

SIM_MODULE_INIT(test_cube_init);
SIM_MODULE_EXIT(test_cube_exit);
