// SPDX-License-Identifier: GPL-2.0
/* Deferred work: a workqueue of the module's own, the system workqueue,
 * delayed work, timers, msleep and jiffies. */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt
#include <linux/module.h>
#include <linux/workqueue.h>
#include <linux/timer.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/atomic.h>

static struct workqueue_struct *wq;
static struct work_struct work, sys_work;
static struct delayed_work dwork, never_dwork;
static struct timer_list timer, never_timer;
static atomic_t runs = ATOMIC_INIT(0);
static DECLARE_COMPLETION(dwork_done);
static DECLARE_COMPLETION(timer_done);

static void work_fn(struct work_struct *w)
{
	atomic_inc(&runs);
}

static void dwork_fn(struct work_struct *w)
{
	complete(&dwork_done);
}

static void timer_fn(struct timer_list *t)
{
	complete(&timer_done);
}

static void never_fn(struct timer_list *t)
{
	pr_err("this timer was deleted and must not run\n");
}

static int __init kapi_work_init(void)
{
	unsigned long j0;
	bool queued;

	wq = alloc_workqueue("kapi_work", 0, 1);
	if (!wq)
		return -ENOMEM;
	INIT_WORK(&work, work_fn);
	queued = queue_work(wq, &work);
	flush_workqueue(wq);
	pr_info("queued %d, ran %d\n", queued, atomic_read(&runs));
	queue_work(wq, &work);
	flush_work(&work);
	pr_info("again: ran %d\n", atomic_read(&runs));

	INIT_WORK(&sys_work, work_fn);
	schedule_work(&sys_work);
	flush_work(&sys_work);
	pr_info("system workqueue: ran %d\n", atomic_read(&runs));

	INIT_DELAYED_WORK(&dwork, dwork_fn);
	queue_delayed_work(wq, &dwork, msecs_to_jiffies(20));
	pr_info("delayed work pending: %d\n", delayed_work_pending(&dwork));
	wait_for_completion(&dwork_done);
	pr_info("delayed work ran\n");

	INIT_DELAYED_WORK(&never_dwork, dwork_fn);
	queue_delayed_work(wq, &never_dwork, 100 * HZ);
	pr_info("cancelled a pending delayed work: %d\n", cancel_delayed_work_sync(&never_dwork));

	timer_setup(&timer, timer_fn, 0);
	mod_timer(&timer, jiffies + msecs_to_jiffies(20));
	wait_for_completion(&timer_done);
	pr_info("timer fired\n");
	timer_setup(&never_timer, never_fn, 0);
	mod_timer(&never_timer, jiffies + 100 * HZ);
	pr_info("deleted a pending timer: %d\n", del_timer_sync(&never_timer));

	j0 = jiffies;
	msleep(50);
	pr_info("jiffies advanced during msleep(50): %d\n", time_after(jiffies, j0));
	pr_info("msecs_to_jiffies(1000) = %lu, HZ = %d\n", msecs_to_jiffies(1000), HZ);
	return 0;
}

static void __exit kapi_work_exit(void)
{
	destroy_workqueue(wq);
	pr_info("workqueue destroyed after %d runs\n", atomic_read(&runs));
}

module_init(kapi_work_init);
module_exit(kapi_work_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("rkmod kapi test: workqueues, timers, sleeping");
