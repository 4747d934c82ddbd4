/* square: exports square() for test_square. */
#define SIM_MODULE_NAME "square"
#include "sim_module.h"

SIM_MODULE_LICENSE("GPL");
SIM_MODULE_AUTHOR("rkmod developers");
SIM_MODULE_DESCRIPTION("Exports square() (C)");

static int verbose;
SIM_MODULE_PARAM(verbose, int, 0644, "Log every call when non-zero");

int square(int x)
{
	if (verbose)
		pr_info("square: square(%d)", x);
	return x * x;
}
SIM_EXPORT_SYMBOL(square);

static int square_init(void)
{
	pr_info("square: loaded");
	return 0;
}

static void square_exit(void)
{
	pr_info("square: unloaded");
}

SIM_MODULE_INIT(square_init);
SIM_MODULE_EXIT(square_exit);
