/* test_square: uses square() from the square module. */
#define SIM_MODULE_NAME "test_square"
#include "sim_module.h"

SIM_MODULE_LICENSE("GPL");
SIM_MODULE_AUTHOR("rkmod developers");
SIM_MODULE_DESCRIPTION("Calls square() from the square module (C)");
SIM_MODULE_SOFTDEP("pre: khello");

extern int square(int x);

static int num = 7;
SIM_MODULE_PARAM(num, int, 0444, "The number to square");

static int test_square_init(void)
{
	pr_info("test_square: square(%d) = %d", num, square(num));
	return 0;
}

static void test_square_exit(void)
{
	pr_info("test_square: unloaded");
}

SIM_MODULE_INIT(test_square_init);
SIM_MODULE_EXIT(test_square_exit);
