// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Time: jiffies advanced at HZ by the tick thread (modules read the
 * variable directly), timer_list timers run on that thread as the timer
 * softirq runs them, RCU callbacks after a tick, the ktime_get family and
 * the jiffies conversions.
 */
#include <linux/version.h>
#include <linux/jiffies.h>
#include <linux/timer.h>
#include <linux/timekeeping.h>
#include <linux/ktime.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>
#include <linux/sched.h>
#include <linux/kthread.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/time64.h>
#include "kapi.h"

u64 jiffies_64 __cacheline_aligned_in_smp = INITIAL_JIFFIES;
/* `jiffies` is the same word, as the kernel's linker script makes it */
asm(".globl jiffies\n.set jiffies, jiffies_64");

static u64 boot_ns;
static DEFINE_RAW_SPINLOCK(timer_lock);
static struct timer_list *pending;	/* singly linked through entry.next */
static struct timer_list *running;
static u32 running_done;		/* futex: bumped after each callback */

/* Marks a pending timer in entry.pprev (the kernel's "pending" test). */
#define PENDING ((struct hlist_node **)0x122)

static void unlink_locked(struct timer_list *t)
{
	struct timer_list **p = &pending;

	while (*p && *p != t)
		p = (struct timer_list **)&(*p)->entry.next;
	if (*p)
		*p = (struct timer_list *)t->entry.next;
	t->entry.next = NULL;
	t->entry.pprev = NULL;
}

void init_timer_key(struct timer_list *timer, void (*func)(struct timer_list *),
		    unsigned int flags, const char *name, struct lock_class_key *key)
{
	timer->entry.pprev = NULL;
	timer->entry.next = NULL;
	timer->function = func;
	timer->flags = flags;
}
EXPORT_SYMBOL(init_timer_key);

int mod_timer(struct timer_list *timer, unsigned long expires)
{
	int was;

	raw_spin_lock(&timer_lock);
	was = timer->entry.pprev != NULL;
	if (was)
		unlink_locked(timer);
	timer->expires = expires;
	timer->entry.next = (struct hlist_node *)pending;
	timer->entry.pprev = PENDING;
	pending = timer;
	raw_spin_unlock(&timer_lock);
	return was;
}
EXPORT_SYMBOL(mod_timer);

int mod_timer_pending(struct timer_list *timer, unsigned long expires)
{
	return timer_pending(timer) ? mod_timer(timer, expires) : 0;
}
EXPORT_SYMBOL(mod_timer_pending);

int timer_reduce(struct timer_list *timer, unsigned long expires)
{
	if (timer_pending(timer) && time_before_eq(timer->expires, expires))
		return 1;
	return mod_timer(timer, expires);
}
EXPORT_SYMBOL(timer_reduce);

void add_timer(struct timer_list *timer)
{
	mod_timer(timer, timer->expires);
}
EXPORT_SYMBOL(add_timer);

void add_timer_on(struct timer_list *timer, int cpu)
{
	mod_timer(timer, timer->expires);
}
EXPORT_SYMBOL_GPL(add_timer_on);

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
void add_timer_local(struct timer_list *timer)
{
	mod_timer(timer, timer->expires);
}
EXPORT_SYMBOL(add_timer_local);

void add_timer_global(struct timer_list *timer)
{
	mod_timer(timer, timer->expires);
}
EXPORT_SYMBOL(add_timer_global);
#endif

int timer_delete(struct timer_list *timer)
{
	int was;

	raw_spin_lock(&timer_lock);
	was = timer->entry.pprev != NULL;
	if (was)
		unlink_locked(timer);
	raw_spin_unlock(&timer_lock);
	return was;
}
EXPORT_SYMBOL(timer_delete);

int try_to_del_timer_sync(struct timer_list *timer)
{
	if (READ_ONCE(running) == timer)
		return -1;
	return timer_delete(timer);
}
EXPORT_SYMBOL(try_to_del_timer_sync);

int timer_delete_sync(struct timer_list *timer)
{
	int was = timer_delete(timer);

	/* a callback running on the tick thread finishes first */
	for (;;) {
		u32 seen = READ_ONCE(running_done);

		if (READ_ONCE(running) != timer)
			break;
		kapi_futex_wait(&running_done, seen, NSEC_PER_MSEC);
	}
	return was;
}
EXPORT_SYMBOL(timer_delete_sync);

int timer_shutdown_sync(struct timer_list *timer)
{
	int was = timer_delete_sync(timer);

	timer->function = NULL;
	return was;
}
EXPORT_SYMBOL_GPL(timer_shutdown_sync);

int timer_shutdown(struct timer_list *timer)
{
	int was = timer_delete(timer);

	timer->function = NULL;
	return was;
}
EXPORT_SYMBOL_GPL(timer_shutdown);

/* Run every expired timer, one at a time, outside the lock. */
void kapi_timers_run(void)
{
	for (;;) {
		struct timer_list *t, *due = NULL;

		raw_spin_lock(&timer_lock);
		for (t = pending; t; t = (struct timer_list *)t->entry.next)
			if (time_after_eq(jiffies, t->expires))
				due = t;
		if (due) {
			unlink_locked(due);
			WRITE_ONCE(running, due);
		}
		raw_spin_unlock(&timer_lock);
		if (!due)
			return;
		if (due->function)
			due->function(due);
		WRITE_ONCE(running, NULL);
		WRITE_ONCE(running_done, running_done + 1);
		kapi_futex_wake(&running_done, INT_MAX);
	}
}

/* ---- RCU callbacks, run by the tick thread a tick later ---- */

static DEFINE_RAW_SPINLOCK(rcu_lock);
static struct rcu_head *rcu_queue;

void kapi_rcu_queue(struct rcu_head *head, rcu_callback_t func)
{
	head->func = func;
	raw_spin_lock(&rcu_lock);
	head->next = rcu_queue;
	rcu_queue = head;
	raw_spin_unlock(&rcu_lock);
}

static void rcu_run(void)
{
	struct rcu_head *list;

	raw_spin_lock(&rcu_lock);
	list = rcu_queue;
	rcu_queue = NULL;
	raw_spin_unlock(&rcu_lock);
	while (list) {
		struct rcu_head *next = list->next;

		list->func(list);
		list = next;
	}
}

void rcu_barrier(void)
{
	while (READ_ONCE(rcu_queue))
		kapi_nanosleep(NSEC_PER_MSEC);
}
EXPORT_SYMBOL_GPL(rcu_barrier);

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
void kvfree_call_rcu(struct rcu_head *head, void *ptr)
{
	synchronize_rcu();
	kvfree(ptr);
}
#else
void kvfree_call_rcu(struct rcu_head *head, rcu_callback_t func)
{
	/* func is the offset of head within the object */
	void *ptr = (void *)head - (unsigned long)func;

	synchronize_rcu();
	kvfree(ptr);
}
#endif
EXPORT_SYMBOL_GPL(kvfree_call_rcu);

/* ---- the tick ---- */

static u64 ns_to_jiffies64(u64 ns)
{
	return div_u64(ns, NSEC_PER_SEC / HZ);
}

/* The body of the tick thread: jiffies at HZ, then timers and RCU. */
int kapi_tick_thread(void *unused)
{
	u64 idle = 0;

	while (!kthread_should_stop()) {
		WRITE_ONCE(jiffies_64, INITIAL_JIFFIES + ns_to_jiffies64(kapi_mono_ns() - boot_ns));
		kapi_timers_run();
		rcu_run();
		/* a record left open (no newline) shows after a second */
		if (++idle >= HZ) {
			idle = 0;
			kapi_log_flush();
		}
		kapi_nanosleep(NSEC_PER_SEC / HZ);
	}
	return 0;
}

/* Entry point: start the clock and the tick thread. */
long kapi_time_init(void)
{
	struct task_struct *t;

	boot_ns = kapi_mono_ns();
	t = kthread_create(kapi_tick_thread, NULL, "ktimers/0");
	if (IS_ERR(t))
		return PTR_ERR(t);
	wake_up_process(t);
	return 0;
}

unsigned int jiffies_to_msecs(const unsigned long j)
{
	return (MSEC_PER_SEC / HZ) * j;
}
EXPORT_SYMBOL(jiffies_to_msecs);

unsigned int jiffies_to_usecs(const unsigned long j)
{
	return (USEC_PER_SEC / HZ) * j;
}
EXPORT_SYMBOL(jiffies_to_usecs);

unsigned long __msecs_to_jiffies(const unsigned int m)
{
	if ((int)m < 0)
		return MAX_JIFFY_OFFSET;
	return (m + (MSEC_PER_SEC / HZ) - 1) / (MSEC_PER_SEC / HZ);
}
EXPORT_SYMBOL(__msecs_to_jiffies);

unsigned long __usecs_to_jiffies(const unsigned int u)
{
	if (u > jiffies_to_usecs(MAX_JIFFY_OFFSET))
		return MAX_JIFFY_OFFSET;
	return (u + (USEC_PER_SEC / HZ) - 1) / (USEC_PER_SEC / HZ);
}
EXPORT_SYMBOL(__usecs_to_jiffies);

u64 nsecs_to_jiffies64(u64 n)
{
	return div_u64(n, NSEC_PER_SEC / HZ);
}
EXPORT_SYMBOL(nsecs_to_jiffies64);

unsigned long nsecs_to_jiffies(u64 n)
{
	return (unsigned long)nsecs_to_jiffies64(n);
}
EXPORT_SYMBOL_GPL(nsecs_to_jiffies);

clock_t jiffies_to_clock_t(unsigned long x)
{
	return x / (HZ / USER_HZ);
}
EXPORT_SYMBOL(jiffies_to_clock_t);

ktime_t ktime_get(void)
{
	return kapi_mono_ns();
}
EXPORT_SYMBOL_GPL(ktime_get);

ktime_t ktime_get_raw(void)
{
	return kapi_mono_ns();
}
EXPORT_SYMBOL_GPL(ktime_get_raw);

ktime_t ktime_get_with_offset(enum tk_offsets offs)
{
	return offs == TK_OFFS_REAL ? kapi_real_ns() : kapi_mono_ns();
}
EXPORT_SYMBOL_GPL(ktime_get_with_offset);

u64 ktime_get_mono_fast_ns(void)
{
	return kapi_mono_ns();
}
EXPORT_SYMBOL_GPL(ktime_get_mono_fast_ns);

u64 ktime_get_boot_fast_ns(void)
{
	return kapi_mono_ns();
}
EXPORT_SYMBOL_GPL(ktime_get_boot_fast_ns);

u64 ktime_get_real_fast_ns(void)
{
	return kapi_real_ns();
}
EXPORT_SYMBOL_GPL(ktime_get_real_fast_ns);

void ktime_get_ts64(struct timespec64 *ts)
{
	*ts = ns_to_timespec64(kapi_mono_ns());
}
EXPORT_SYMBOL_GPL(ktime_get_ts64);

void ktime_get_real_ts64(struct timespec64 *ts)
{
	*ts = ns_to_timespec64(kapi_real_ns());
}
EXPORT_SYMBOL(ktime_get_real_ts64);

void ktime_get_coarse_real_ts64(struct timespec64 *ts)
{
	ktime_get_real_ts64(ts);
}
EXPORT_SYMBOL(ktime_get_coarse_real_ts64);

time64_t ktime_get_seconds(void)
{
	return div_u64(kapi_mono_ns(), NSEC_PER_SEC);
}
EXPORT_SYMBOL_GPL(ktime_get_seconds);

time64_t ktime_get_real_seconds(void)
{
	return div_u64(kapi_real_ns(), NSEC_PER_SEC);
}
EXPORT_SYMBOL_GPL(ktime_get_real_seconds);

struct timespec64 ns_to_timespec64(s64 nsec)
{
	struct timespec64 ts = { 0, 0 };
	s32 rem;

	if (likely(nsec > 0)) {
		ts.tv_sec = div_u64_rem(nsec, NSEC_PER_SEC, &rem);
		ts.tv_nsec = rem;
	} else if (nsec < 0) {
		ts.tv_sec = -div_u64_rem(-nsec - 1, NSEC_PER_SEC, &rem) - 1;
		ts.tv_nsec = NSEC_PER_SEC - rem - 1;
	}
	return ts;
}
EXPORT_SYMBOL(ns_to_timespec64);
