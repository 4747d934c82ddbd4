// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Workqueues: each one an ordered queue served by its own kthread
 * (started at the first work), delayed work through a timer, and the
 * flush/cancel calls waiting for a running item to finish. A queued
 * work's `data` holds its workqueue and the pending bit, as the kernel's
 * holds its pool and the same bit (work_pending() reads it).
 */
#include <linux/version.h>
#include <linux/workqueue.h>
#include <linux/kthread.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/list.h>
#include <linux/sched.h>
#include "kapi.h"

struct workqueue_struct {
	char name[32];
	raw_spinlock_t lock;
	struct list_head works;
	struct task_struct *worker;
	struct work_struct *current_work;
	u32 kick;	/* futex: bumped when work arrives or on stop */
	u32 seq;	/* futex: bumped when an item finishes */
	bool stopping;
} __aligned(256);

#define WQ_MASK (~255UL)

struct workqueue_struct *system_wq;
struct workqueue_struct *system_highpri_wq;
struct workqueue_struct *system_long_wq;
struct workqueue_struct *system_unbound_wq;
struct workqueue_struct *system_freezable_wq;
struct workqueue_struct *system_power_efficient_wq;
struct workqueue_struct *system_freezable_power_efficient_wq;
EXPORT_SYMBOL(system_wq);
EXPORT_SYMBOL(system_highpri_wq);
EXPORT_SYMBOL_GPL(system_long_wq);
EXPORT_SYMBOL_GPL(system_unbound_wq);
EXPORT_SYMBOL_GPL(system_freezable_wq);
EXPORT_SYMBOL_GPL(system_power_efficient_wq);
EXPORT_SYMBOL_GPL(system_freezable_power_efficient_wq);
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
struct workqueue_struct *system_bh_wq;
struct workqueue_struct *system_bh_highpri_wq;
struct workqueue_struct *system_percpu_wq;
struct workqueue_struct *system_dfl_wq;
EXPORT_SYMBOL_GPL(system_bh_wq);
EXPORT_SYMBOL_GPL(system_bh_highpri_wq);
EXPORT_SYMBOL(system_percpu_wq);
EXPORT_SYMBOL_GPL(system_dfl_wq);
#endif

static struct workqueue_struct *wq_of(struct work_struct *work)
{
	return (struct workqueue_struct *)(atomic_long_read(&work->data) & WQ_MASK);
}

static void bump(u32 *f)
{
	WRITE_ONCE(*f, *f + 1);
	kapi_futex_wake(f, INT_MAX);
}

static int worker_fn(void *arg)
{
	struct workqueue_struct *wq = arg;

	for (;;) {
		struct work_struct *work = NULL;
		u32 seen = READ_ONCE(wq->kick);

		raw_spin_lock(&wq->lock);
		if (!list_empty(&wq->works)) {
			work = list_first_entry(&wq->works, struct work_struct, entry);
			list_del_init(&work->entry);
			/* clear pending before running: it may queue itself again */
			atomic_long_set(&work->data, (unsigned long)wq);
			wq->current_work = work;
		}
		raw_spin_unlock(&wq->lock);
		if (!work) {
			if (READ_ONCE(wq->stopping))
				return 0;
			kapi_futex_wait(&wq->kick, seen, 0);
			continue;
		}
		work->func(work);
		raw_spin_lock(&wq->lock);
		wq->current_work = NULL;
		raw_spin_unlock(&wq->lock);
		bump(&wq->seq);
	}
}

/* Put a work whose pending bit is already set on wq. */
static void enqueue(struct workqueue_struct *wq, struct work_struct *work)
{
	bool start = false;

	raw_spin_lock(&wq->lock);
	atomic_long_set(&work->data, (unsigned long)wq | WORK_STRUCT_PENDING);
	list_add_tail(&work->entry, &wq->works);
	if (!wq->worker) {
		wq->worker = (struct task_struct *)1;	/* claimed */
		start = true;
	}
	raw_spin_unlock(&wq->lock);
	if (start) {
		struct task_struct *t = kthread_create(worker_fn, wq, "kworker/u:%s", wq->name);

		if (IS_ERR(t)) {
			kapi_logf(LOGLEVEL_ERR, "workqueue %s: cannot start its worker", wq->name);
			return;
		}
		kapi_task_of(t)->owner = NULL;
		WRITE_ONCE(wq->worker, t);
		wake_up_process(t);
	}
	bump(&wq->kick);
}

struct workqueue_struct *alloc_workqueue(const char *fmt, unsigned int flags, int max_active, ...)
{
	struct workqueue_struct *wq = kapi_zalloc(sizeof(*wq) + 256);
	va_list args;

	if (!wq)
		return NULL;
	wq = PTR_ALIGN(wq, 256);
	va_start(args, max_active);
	kapi_vsnprintf(wq->name, sizeof(wq->name), fmt, args);
	va_end(args);
	raw_spin_lock_init(&wq->lock);
	INIT_LIST_HEAD(&wq->works);
	return wq;
}
EXPORT_SYMBOL_GPL(alloc_workqueue);

bool queue_work_on(int cpu, struct workqueue_struct *wq, struct work_struct *work)
{
	if (test_and_set_bit(WORK_STRUCT_PENDING_BIT, work_data_bits(work)))
		return false;
	enqueue(wq, work);
	return true;
}
EXPORT_SYMBOL(queue_work_on);

bool queue_work_node(int node, struct workqueue_struct *wq, struct work_struct *work)
{
	return queue_work_on(WORK_CPU_UNBOUND, wq, work);
}
EXPORT_SYMBOL_GPL(queue_work_node);

/* Wait until nothing queued on wq before this call is left. */
static void wq_drain(struct workqueue_struct *wq)
{
	for (;;) {
		u32 seen = READ_ONCE(wq->seq);
		bool idle;

		raw_spin_lock(&wq->lock);
		idle = list_empty(&wq->works) && !wq->current_work;
		raw_spin_unlock(&wq->lock);
		if (idle)
			return;
		kapi_futex_wait(&wq->seq, seen, 10 * NSEC_PER_MSEC);
	}
}

void __flush_workqueue(struct workqueue_struct *wq)
{
	wq_drain(wq);
}
EXPORT_SYMBOL(__flush_workqueue);

void drain_workqueue(struct workqueue_struct *wq)
{
	wq_drain(wq);
}
EXPORT_SYMBOL_GPL(drain_workqueue);

void destroy_workqueue(struct workqueue_struct *wq)
{
	struct task_struct *t;

	wq_drain(wq);
	WRITE_ONCE(wq->stopping, true);
	bump(&wq->kick);
	t = READ_ONCE(wq->worker);
	if (t && t != (struct task_struct *)1)
		kthread_stop(t);
	/* the allocation is not freed: a delayed work may still name it */
}
EXPORT_SYMBOL_GPL(destroy_workqueue);

static bool wait_running(struct work_struct *work)
{
	struct workqueue_struct *wq = wq_of(work);
	bool waited = false;

	if (!wq)
		return false;
	for (;;) {
		u32 seen = READ_ONCE(wq->seq);
		bool busy;

		raw_spin_lock(&wq->lock);
		busy = wq->current_work == work || work_pending(work);
		raw_spin_unlock(&wq->lock);
		if (!busy)
			return waited;
		waited = true;
		kapi_futex_wait(&wq->seq, seen, 10 * NSEC_PER_MSEC);
	}
}

bool flush_work(struct work_struct *work)
{
	return wait_running(work);
}
EXPORT_SYMBOL_GPL(flush_work);

/* Take a queued (not yet running) work off its queue. */
static bool unqueue(struct work_struct *work)
{
	struct workqueue_struct *wq = wq_of(work);
	bool was = false;

	if (!wq)
		return false;
	raw_spin_lock(&wq->lock);
	if (work_pending(work) && !list_empty(&work->entry)) {
		list_del_init(&work->entry);
		atomic_long_set(&work->data, (unsigned long)wq);
		was = true;
	}
	raw_spin_unlock(&wq->lock);
	return was;
}

bool cancel_work(struct work_struct *work)
{
	return unqueue(work);
}
EXPORT_SYMBOL(cancel_work);

bool cancel_work_sync(struct work_struct *work)
{
	bool was = unqueue(work);

	wait_running(work);
	return was;
}
EXPORT_SYMBOL_GPL(cancel_work_sync);

void delayed_work_timer_fn(struct timer_list *t)
{
	struct delayed_work *dwork = from_timer(dwork, t, timer);

	enqueue(dwork->wq, &dwork->work);
}
EXPORT_SYMBOL(delayed_work_timer_fn);

bool queue_delayed_work_on(int cpu, struct workqueue_struct *wq, struct delayed_work *dwork,
			   unsigned long delay)
{
	if (test_and_set_bit(WORK_STRUCT_PENDING_BIT, work_data_bits(&dwork->work)))
		return false;
	dwork->wq = wq;
	dwork->cpu = cpu;
	if (!delay) {
		enqueue(wq, &dwork->work);
		return true;
	}
	/* pending, with its queue recorded, while the timer runs */
	atomic_long_set(&dwork->work.data, (unsigned long)wq | WORK_STRUCT_PENDING);
	dwork->timer.expires = jiffies + delay;
	add_timer(&dwork->timer);
	return true;
}
EXPORT_SYMBOL(queue_delayed_work_on);

static bool cancel_delayed(struct delayed_work *dwork)
{
	if (timer_delete(&dwork->timer)) {
		atomic_long_set(&dwork->work.data, (unsigned long)dwork->wq);
		return true;
	}
	return unqueue(&dwork->work);
}

bool mod_delayed_work_on(int cpu, struct workqueue_struct *wq, struct delayed_work *dwork,
			 unsigned long delay)
{
	bool was = cancel_delayed(dwork);

	queue_delayed_work_on(cpu, wq, dwork, delay);
	return was;
}
EXPORT_SYMBOL_GPL(mod_delayed_work_on);

bool cancel_delayed_work(struct delayed_work *dwork)
{
	return cancel_delayed(dwork);
}
EXPORT_SYMBOL(cancel_delayed_work);

bool cancel_delayed_work_sync(struct delayed_work *dwork)
{
	bool was = cancel_delayed(dwork);

	timer_delete_sync(&dwork->timer);
	wait_running(&dwork->work);
	return was;
}
EXPORT_SYMBOL(cancel_delayed_work_sync);

bool flush_delayed_work(struct delayed_work *dwork)
{
	if (timer_delete_sync(&dwork->timer))
		enqueue(dwork->wq, &dwork->work);
	return flush_work(&dwork->work);
}
EXPORT_SYMBOL(flush_delayed_work);

struct work_struct *current_work(void)
{
	return NULL;
}
EXPORT_SYMBOL(current_work);

unsigned int work_busy(struct work_struct *work)
{
	struct workqueue_struct *wq = wq_of(work);

	return (work_pending(work) ? WORK_BUSY_PENDING : 0) |
	       (wq && READ_ONCE(wq->current_work) == work ? WORK_BUSY_RUNNING : 0);
}
EXPORT_SYMBOL_GPL(work_busy);

void __warn_flushing_systemwide_wq(void)
{
}
EXPORT_SYMBOL(__warn_flushing_systemwide_wq);

/* Entry point: the system workqueues. */
long kapi_wq_init(void)
{
	system_wq = alloc_workqueue("events", 0, 0);
	system_highpri_wq = alloc_workqueue("events_highpri", WQ_HIGHPRI, 0);
	system_long_wq = alloc_workqueue("events_long", 0, 0);
	system_unbound_wq = alloc_workqueue("events_unbound", WQ_UNBOUND, 0);
	system_freezable_wq = alloc_workqueue("events_freezable", WQ_FREEZABLE, 0);
	system_power_efficient_wq = alloc_workqueue("events_power_efficient", 0, 0);
	system_freezable_power_efficient_wq = alloc_workqueue("events_freezable_pwr_ef", 0, 0);
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
	system_bh_wq = alloc_workqueue("events_bh", 0, 0);
	system_bh_highpri_wq = alloc_workqueue("events_bh_highpri", 0, 0);
	/* the newer names of the per-CPU and the default (unbound) queues */
	system_percpu_wq = system_wq;
	system_dfl_wq = system_unbound_wq;
#endif
	return system_wq ? 0 : -ENOMEM;
}
