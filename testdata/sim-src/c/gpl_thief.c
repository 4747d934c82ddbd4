/* gpl_thief: a proprietary module using a GPL-only export; refused. */
#define SIM_MODULE_NAME "gpl_thief"
#include "sim_module.h"

SIM_MODULE_LICENSE("Proprietary");
SIM_MODULE_DESCRIPTION("Uses crasher_ping, a GPL-only export (C)");

extern int crasher_ping(void);

static int gpl_thief_init(void)
{
	return crasher_ping() == 42 ? 0 : -1;
}

static void gpl_thief_exit(void)
{
}

SIM_MODULE_INIT(gpl_thief_init);
SIM_MODULE_EXIT(gpl_thief_exit);
