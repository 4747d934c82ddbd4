/* counter: a kthread increments count (parameters/count) every period_ms. */
#define SIM_MODULE_NAME "counter"
#include "sim_module.h"

SIM_MODULE_LICENSE("GPL");
SIM_MODULE_AUTHOR("rkmod developers");
SIM_MODULE_DESCRIPTION("Counts in a thread of its own (C)");

static unsigned long count;
SIM_MODULE_PARAM(count, ulong, 0444, "Ticks counted so far");
static int period_ms = 50;
SIM_MODULE_PARAM(period_ms, int, 0444, "Milliseconds between ticks");

static int counter_thread(void *arg)
{
	(void)arg;
	while (!sim_kthread_should_stop()) {
		__atomic_add_fetch(&count, 1, __ATOMIC_RELAXED);
		sim_msleep(period_ms > 0 ? (uint32_t)period_ms : 1);
	}
	return 0;
}

static int counter_init(void)
{
	int err = sim_kthread_run(counter_thread, NULL, "counter");

	if (err)
		return err;
	pr_info("counter: counting every %d ms", period_ms);
	return 0;
}

static void counter_exit(void)
{
	pr_info("counter: stopped at %lu", __atomic_load_n(&count, __ATOMIC_RELAXED));
}

static void counter_hello(void)
{
	pr_info("counter: count=%lu", __atomic_load_n(&count, __ATOMIC_RELAXED));
}

SIM_MODULE_INIT(counter_init);
SIM_MODULE_EXIT(counter_exit);
SIM_MODULE_HELLO(counter_hello);
