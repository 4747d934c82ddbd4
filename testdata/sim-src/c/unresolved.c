/* unresolved: imports a symbol no module exports; loading must fail. */
#define SIM_MODULE_NAME "unresolved"
#include "sim_module.h"

SIM_MODULE_LICENSE("GPL");
SIM_MODULE_DESCRIPTION("Needs a symbol nobody exports (C)");

extern int nobody_exports_this(void);

static int unresolved_init(void)
{
	return nobody_exports_this();
}

SIM_MODULE_INIT(unresolved_init);
