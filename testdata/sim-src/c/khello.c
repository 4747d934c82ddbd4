/* khello: the hello-world sim module. mod_hello logs msg once a second. */
#define SIM_MODULE_NAME "khello"
#include <errno.h>
#include "sim_module.h"

SIM_MODULE_LICENSE("GPL");
SIM_MODULE_AUTHOR("rkmod developers");
SIM_MODULE_DESCRIPTION("Hello-world sim module (C)");
SIM_MODULE_VERSION("1.0");
SIM_MODULE_ALIAS("sim:khello");

static char *msg = "hello from khello";
SIM_MODULE_PARAM(msg, charp, 0644, "Message mod_hello prints");

/* io accepts 0..4 only, like a module_param_cb setter. */
static int io_check(const char *val, const void *parsed, void *arg)
{
	int v = *(const int *)parsed;

	(void)val;
	(void)arg;
	return (v < 0 || v >= 5) ? -EINVAL : 0;
}
static int io = 1;
SIM_MODULE_PARAM_CHECK(io, int, 0644, io_check, "An io level, 0..4");

static char tag[8] = "none";
SIM_MODULE_PARAM_STRING(tag, 0644, "A tag of up to 7 characters");

static int khello_init(void)
{
	pr_info("khello: loaded, msg=\"%s\" io=%d tag=%s", msg ? msg : "(null)", io, tag);
	return 0;
}

static void khello_exit(void)
{
	pr_info("khello: unloaded");
}

static void khello_hello(void)
{
	pr_info("khello: %s", msg ? msg : "(null)");
}

SIM_MODULE_INIT(khello_init);
SIM_MODULE_EXIT(khello_exit);
SIM_MODULE_HELLO(khello_hello);
