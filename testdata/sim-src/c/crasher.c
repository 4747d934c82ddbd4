/* crasher: misbehaves on purpose, for the sim kernel's isolation tests.
 * mode=thread (default): a kthread dereferences NULL delay_ms after load
 * mode=init | abort | hang | fail: segfault, abort(), hang or return -err in init
 * mode=hello: mod_hello dereferences NULL
 * Exports crasher_ping() so crasher_user can depend on it. */
#define SIM_MODULE_NAME "crasher"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sim_module.h"

SIM_MODULE_LICENSE("GPL");
SIM_MODULE_AUTHOR("rkmod developers");
SIM_MODULE_DESCRIPTION("Crashes on purpose (C)");

static char *mode = "thread";
SIM_MODULE_PARAM(mode, charp, 0444, "thread, init, abort, hang, fail or hello");
static int delay_ms = 3000;
SIM_MODULE_PARAM(delay_ms, int, 0444, "Delay before the thread crashes");
static int err = ENODEV;
SIM_MODULE_PARAM(err, int, 0444, "The errno init fails with in mode=fail");

int crasher_ping(void)
{
	return 42;
}
SIM_EXPORT_SYMBOL_GPL(crasher_ping);

/* A volatile pointer: the compiler cannot prove it NULL and drop the
 * store as undefined behaviour. */
static int *volatile null_ptr;

static void null_deref(void)
{
	*null_ptr = 1;
}

static int crash_thread(void *arg)
{
	(void)arg;
	if (sim_msleep(delay_ms > 0 ? (uint32_t)delay_ms : 0))
		return 0; /* stopped before the crash: unloaded in time */
	pr_info("crasher: dereferencing NULL now");
	null_deref();
	return 0;
}

static int is(const char *m)
{
	return mode && strcmp(mode, m) == 0;
}

static int crasher_init(void)
{
	pr_info("crasher: loaded, mode=%s", mode ? mode : "(null)");
	if (is("init"))
		null_deref();
	if (is("abort"))
		abort();
	if (is("hang"))
		for (;;)
			pause();
	if (is("fail"))
		return -err;
	if (is("thread"))
		return sim_kthread_run(crash_thread, NULL, "crasher");
	return 0;
}

static void crasher_exit(void)
{
	pr_info("crasher: unloaded");
}

static void crasher_hello(void)
{
	if (is("hello"))
		null_deref();
}

SIM_MODULE_INIT(crasher_init);
SIM_MODULE_EXIT(crasher_exit);
SIM_MODULE_HELLO(crasher_hello);
