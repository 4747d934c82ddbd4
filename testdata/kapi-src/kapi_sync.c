// SPDX-License-Identifier: GPL-2.0
/* Concurrency: kthreads counting under a mutex, a spinlock (irqsave), an
 * rwlock and atomics; completions; a wait queue they sleep on; timeouts;
 * kthread_stop and the thread's return value. Only init and exit log,
 * in an order the completions fix. */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt
#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/rwlock.h>
#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/wait.h>
#include <linux/sched.h>
#include <linux/delay.h>
#include <linux/jiffies.h>

#define ROUNDS 20000

static DEFINE_MUTEX(mutex);
static DEFINE_SPINLOCK(spin);
static DEFINE_RWLOCK(rwlock);
static atomic_t atomic_count = ATOMIC_INIT(0);
static int mutex_count, spin_count, rw_count;
static DECLARE_COMPLETION(counted);
static DECLARE_COMPLETION(woken);
static DECLARE_COMPLETION(never);
static DECLARE_WAIT_QUEUE_HEAD(queue);
static int go;
static struct task_struct *workers[2];

static void count(void)
{
	unsigned long flags;

	for (int i = 0; i < ROUNDS; i++) {
		mutex_lock(&mutex);
		mutex_count++;
		mutex_unlock(&mutex);
		spin_lock_irqsave(&spin, flags);
		spin_count++;
		spin_unlock_irqrestore(&spin, flags);
		write_lock(&rwlock);
		rw_count++;
		write_unlock(&rwlock);
		atomic_inc(&atomic_count);
	}
}

static int worker(void *arg)
{
	long id = (long)arg;

	count();
	complete(&counted);
	wait_event_interruptible(queue, READ_ONCE(go));
	complete(&woken);
	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		schedule_timeout(HZ / 50);
	}
	return 40 + id;
}

static int __init kapi_sync_init(void)
{
	int reads;

	for (long i = 0; i < 2; i++) {
		workers[i] = kthread_run(worker, (void *)i, "kapi_sync/%ld", i);
		if (IS_ERR(workers[i]))
			return PTR_ERR(workers[i]);
	}
	count();
	wait_for_completion(&counted);
	wait_for_completion(&counted);
	read_lock(&rwlock);
	reads = rw_count;
	read_unlock(&rwlock);
	pr_info("mutex %d, spinlock %d, rwlock %d, atomic %d\n", mutex_count, spin_count, reads,
		atomic_read(&atomic_count));
	pr_info("mutex is %s\n", mutex_is_locked(&mutex) ? "locked" : "free");
	WRITE_ONCE(go, 1);
	wake_up_interruptible(&queue);
	wait_for_completion(&woken);
	wait_for_completion(&woken);
	pr_info("both workers woke from the wait queue\n");
	pr_info("a completion nobody completes times out: %lu\n",
		wait_for_completion_timeout(&never, msecs_to_jiffies(30)));
	pr_info("done: %d\n", completion_done(&counted));
	return 0;
}

static void __exit kapi_sync_exit(void)
{
	int r0 = kthread_stop(workers[0]);
	int r1 = kthread_stop(workers[1]);

	pr_info("kthread_stop returned %d and %d\n", r0, r1);
}

module_init(kapi_sync_init);
module_exit(kapi_sync_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("rkmod kapi test: locks, completions, wait queues, kthreads");
