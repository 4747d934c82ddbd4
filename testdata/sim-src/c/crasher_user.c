/* crasher_user: depends on crasher (uses crasher_ping), so it goes with it. */
#define SIM_MODULE_NAME "crasher_user"
#include "sim_module.h"

SIM_MODULE_LICENSE("GPL");
SIM_MODULE_DESCRIPTION("Depends on crasher (C)");

extern int crasher_ping(void);

static bool crash;
SIM_MODULE_PARAM(crash, bool, 0444, "Dereference NULL in init");

static int *volatile null_ptr;

static int crasher_user_init(void)
{
	pr_info("crasher_user: crasher_ping() = %d", crasher_ping());
	if (crash)
		*null_ptr = 1;
	return 0;
}

static void crasher_user_exit(void)
{
	pr_info("crasher_user: unloaded");
}

SIM_MODULE_INIT(crasher_user_init);
SIM_MODULE_EXIT(crasher_user_exit);
