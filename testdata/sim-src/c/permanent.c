/* permanent: no module_fini, so only a forced removal takes it out. */
#define SIM_MODULE_NAME "permanent"
#include "sim_module.h"

SIM_MODULE_LICENSE("Proprietary");
SIM_MODULE_DESCRIPTION("Has no exit function (C)");

static int permanent_init(void)
{
	pr_info("permanent: loaded");
	return 0;
}

SIM_MODULE_INIT(permanent_init);
