// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Locking and waiting: spinlocks and rwlocks in the kernel's lock words
 * (so the headers' inline unlocks agree), mutexes, semaphores and rwsems
 * sleeping on futexes, wait queues, completions, RCU. Interrupts do not
 * exist in a sim thread, so the _irq/_irqsave/_bh forms are the plain
 * ones and return "interrupts were enabled".
 */
#include <linux/version.h>
#include <linux/spinlock.h>
#include <linux/rwlock.h>
#include <linux/mutex.h>
#include <linux/semaphore.h>
#include <linux/rwsem.h>
#include <linux/wait.h>
#include <linux/swait.h>
#include <linux/completion.h>
#include <linux/sched.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/jiffies.h>
#include "kapi.h"

#define IRQ_FLAGS 0x200UL	/* X86_EFLAGS_IF: "were enabled" */
#define BACKOFF_NS (50 * NSEC_PER_USEC)

/* ---- spinlocks: the qspinlock word, 0 free, 1 held ---- */

static inline void kapi_spin_wait(atomic_t *v)
{
	int spins = 0;

	while (atomic_cmpxchg_acquire(v, 0, 1) != 0) {
		if (++spins < 100)
			cpu_relax();
		else
			kapi_yield();
	}
}

void __lockfunc _raw_spin_lock(raw_spinlock_t *lock)
{
	kapi_spin_wait(&lock->raw_lock.val);
}
EXPORT_SYMBOL(_raw_spin_lock);

void __lockfunc _raw_spin_lock_bh(raw_spinlock_t *lock) __alias(_raw_spin_lock);
EXPORT_SYMBOL(_raw_spin_lock_bh);
void __lockfunc _raw_spin_lock_irq(raw_spinlock_t *lock) __alias(_raw_spin_lock);
EXPORT_SYMBOL(_raw_spin_lock_irq);

unsigned long __lockfunc _raw_spin_lock_irqsave(raw_spinlock_t *lock)
{
	kapi_spin_wait(&lock->raw_lock.val);
	return IRQ_FLAGS;
}
EXPORT_SYMBOL(_raw_spin_lock_irqsave);

int __lockfunc _raw_spin_trylock(raw_spinlock_t *lock)
{
	return atomic_cmpxchg_acquire(&lock->raw_lock.val, 0, 1) == 0;
}
EXPORT_SYMBOL(_raw_spin_trylock);

int __lockfunc _raw_spin_trylock_bh(raw_spinlock_t *lock) __alias(_raw_spin_trylock);
EXPORT_SYMBOL(_raw_spin_trylock_bh);

void __lockfunc _raw_spin_unlock(raw_spinlock_t *lock)
{
	atomic_set_release(&lock->raw_lock.val, 0);
}
EXPORT_SYMBOL(_raw_spin_unlock);

void __lockfunc _raw_spin_unlock_bh(raw_spinlock_t *lock) __alias(_raw_spin_unlock);
EXPORT_SYMBOL(_raw_spin_unlock_bh);
void __lockfunc _raw_spin_unlock_irq(raw_spinlock_t *lock) __alias(_raw_spin_unlock);
EXPORT_SYMBOL(_raw_spin_unlock_irq);

void __lockfunc _raw_spin_unlock_irqrestore(raw_spinlock_t *lock, unsigned long flags)
{
	atomic_set_release(&lock->raw_lock.val, 0);
}
EXPORT_SYMBOL(_raw_spin_unlock_irqrestore);

/* the slow path of an inline lock that lost the race (pv_ops points here) */
void native_queued_spin_lock_slowpath(struct qspinlock *lock, u32 val)
{
	kapi_spin_wait(&lock->val);
}
EXPORT_SYMBOL(native_queued_spin_lock_slowpath);

/* ---- rwlocks: the qrwlock word, readers count in 0x100s, 0xff a writer ---- */

#define QW_LOCKED 0xffU
#define QR_BIAS 0x100U

static void read_acquire(arch_rwlock_t *l)
{
	for (;;) {
		u32 c = atomic_read(&l->cnts);

		if (!(c & QW_LOCKED) && atomic_cmpxchg_acquire(&l->cnts, c, c + QR_BIAS) == c)
			return;
		kapi_yield();
	}
}

static void write_acquire(arch_rwlock_t *l)
{
	while (atomic_cmpxchg_acquire(&l->cnts, 0, QW_LOCKED) != 0)
		kapi_yield();
}

void __lockfunc _raw_read_lock(rwlock_t *lock)
{
	read_acquire(&lock->raw_lock);
}
EXPORT_SYMBOL(_raw_read_lock);
void __lockfunc _raw_read_lock_bh(rwlock_t *lock) __alias(_raw_read_lock);
EXPORT_SYMBOL(_raw_read_lock_bh);
void __lockfunc _raw_read_lock_irq(rwlock_t *lock) __alias(_raw_read_lock);
EXPORT_SYMBOL(_raw_read_lock_irq);

unsigned long __lockfunc _raw_read_lock_irqsave(rwlock_t *lock)
{
	read_acquire(&lock->raw_lock);
	return IRQ_FLAGS;
}
EXPORT_SYMBOL(_raw_read_lock_irqsave);

void __lockfunc _raw_read_unlock(rwlock_t *lock)
{
	atomic_sub_return_release(QR_BIAS, &lock->raw_lock.cnts);
}
EXPORT_SYMBOL(_raw_read_unlock);
void __lockfunc _raw_read_unlock_bh(rwlock_t *lock) __alias(_raw_read_unlock);
EXPORT_SYMBOL(_raw_read_unlock_bh);
void __lockfunc _raw_read_unlock_irq(rwlock_t *lock) __alias(_raw_read_unlock);
EXPORT_SYMBOL(_raw_read_unlock_irq);

void __lockfunc _raw_read_unlock_irqrestore(rwlock_t *lock, unsigned long flags)
{
	_raw_read_unlock(lock);
}
EXPORT_SYMBOL(_raw_read_unlock_irqrestore);

int __lockfunc _raw_read_trylock(rwlock_t *lock)
{
	u32 c = atomic_read(&lock->raw_lock.cnts);

	return !(c & QW_LOCKED) && atomic_cmpxchg_acquire(&lock->raw_lock.cnts, c, c + QR_BIAS) == c;
}
EXPORT_SYMBOL(_raw_read_trylock);

void __lockfunc _raw_write_lock(rwlock_t *lock)
{
	write_acquire(&lock->raw_lock);
}
EXPORT_SYMBOL(_raw_write_lock);
void __lockfunc _raw_write_lock_bh(rwlock_t *lock) __alias(_raw_write_lock);
EXPORT_SYMBOL(_raw_write_lock_bh);
void __lockfunc _raw_write_lock_irq(rwlock_t *lock) __alias(_raw_write_lock);
EXPORT_SYMBOL(_raw_write_lock_irq);

unsigned long __lockfunc _raw_write_lock_irqsave(rwlock_t *lock)
{
	write_acquire(&lock->raw_lock);
	return IRQ_FLAGS;
}
EXPORT_SYMBOL(_raw_write_lock_irqsave);

void __lockfunc _raw_write_unlock(rwlock_t *lock)
{
	atomic_set_release(&lock->raw_lock.cnts, 0);
}
EXPORT_SYMBOL(_raw_write_unlock);
void __lockfunc _raw_write_unlock_bh(rwlock_t *lock) __alias(_raw_write_unlock);
EXPORT_SYMBOL(_raw_write_unlock_bh);
void __lockfunc _raw_write_unlock_irq(rwlock_t *lock) __alias(_raw_write_unlock);
EXPORT_SYMBOL(_raw_write_unlock_irq);

void __lockfunc _raw_write_unlock_irqrestore(rwlock_t *lock, unsigned long flags)
{
	_raw_write_unlock(lock);
}
EXPORT_SYMBOL(_raw_write_unlock_irqrestore);

int __lockfunc _raw_write_trylock(rwlock_t *lock)
{
	return atomic_cmpxchg_acquire(&lock->raw_lock.cnts, 0, QW_LOCKED) == 0;
}
EXPORT_SYMBOL(_raw_write_trylock);

void queued_read_lock_slowpath(struct qrwlock *lock)
{
	atomic_sub(QR_BIAS, &lock->cnts);	/* the inline fast path added it */
	read_acquire(lock);
}
EXPORT_SYMBOL(queued_read_lock_slowpath);

void queued_write_lock_slowpath(struct qrwlock *lock)
{
	write_acquire(lock);
}
EXPORT_SYMBOL(queued_write_lock_slowpath);

/* ---- mutexes: owner = the holding task; sleepers wait on its low word ---- */

void __mutex_init(struct mutex *lock, const char *name, struct lock_class_key *key)
{
	atomic_long_set(&lock->owner, 0);
	raw_spin_lock_init(&lock->wait_lock);
	INIT_LIST_HEAD(&lock->wait_list);
}
EXPORT_SYMBOL(__mutex_init);

static u32 *owner_word(struct mutex *lock)
{
	return (u32 *)&lock->owner;
}

int mutex_trylock(struct mutex *lock)
{
	return atomic_long_cmpxchg_acquire(&lock->owner, 0, (long)current) == 0;
}
EXPORT_SYMBOL(mutex_trylock);

void mutex_lock(struct mutex *lock)
{
	while (!mutex_trylock(lock)) {
		long v = atomic_long_read(&lock->owner);

		if (v)
			kapi_futex_wait(owner_word(lock), (u32)v, 10 * NSEC_PER_MSEC);
	}
}
EXPORT_SYMBOL(mutex_lock);

int mutex_lock_interruptible(struct mutex *lock)
{
	mutex_lock(lock);
	return 0;
}
EXPORT_SYMBOL(mutex_lock_interruptible);

int mutex_lock_killable(struct mutex *lock)
{
	mutex_lock(lock);
	return 0;
}
EXPORT_SYMBOL(mutex_lock_killable);

void mutex_lock_io(struct mutex *lock)
{
	mutex_lock(lock);
}
EXPORT_SYMBOL_GPL(mutex_lock_io);

void mutex_unlock(struct mutex *lock)
{
	atomic_long_set_release(&lock->owner, 0);
	kapi_futex_wake(owner_word(lock), 1);
}
EXPORT_SYMBOL(mutex_unlock);

bool mutex_is_locked(struct mutex *lock)
{
	return atomic_long_read(&lock->owner) != 0;
}
EXPORT_SYMBOL(mutex_is_locked);

int atomic_dec_and_mutex_lock(atomic_t *cnt, struct mutex *lock)
{
	if (atomic_add_unless(cnt, -1, 1))
		return 0;
	mutex_lock(lock);
	if (!atomic_dec_and_test(cnt)) {
		mutex_unlock(lock);
		return 0;
	}
	return 1;
}
EXPORT_SYMBOL(atomic_dec_and_mutex_lock);

/* ---- counting semaphores ---- */

static DEFINE_RAW_SPINLOCK(sem_lock);

int down_trylock(struct semaphore *sem)
{
	int ok = 0;

	raw_spin_lock(&sem_lock);
	if (sem->count > 0) {
		sem->count--;
		ok = 1;
	}
	raw_spin_unlock(&sem_lock);
	return !ok;
}
EXPORT_SYMBOL(down_trylock);

void down(struct semaphore *sem)
{
	while (down_trylock(sem))
		kapi_futex_wait(&sem->count, 0, 10 * NSEC_PER_MSEC);
}
EXPORT_SYMBOL(down);

int down_interruptible(struct semaphore *sem)
{
	down(sem);
	return 0;
}
EXPORT_SYMBOL(down_interruptible);

int down_killable(struct semaphore *sem)
{
	down(sem);
	return 0;
}
EXPORT_SYMBOL(down_killable);

int down_timeout(struct semaphore *sem, long timeout)
{
	u64 end = kapi_mono_ns() + (u64)jiffies_to_usecs(timeout) * NSEC_PER_USEC;

	while (down_trylock(sem)) {
		if (kapi_mono_ns() >= end)
			return -ETIME;
		kapi_futex_wait(&sem->count, 0, NSEC_PER_MSEC);
	}
	return 0;
}
EXPORT_SYMBOL(down_timeout);

void up(struct semaphore *sem)
{
	raw_spin_lock(&sem_lock);
	sem->count++;
	raw_spin_unlock(&sem_lock);
	kapi_futex_wake(&sem->count, 1);
}
EXPORT_SYMBOL(up);

/* ---- rw semaphores: count > 0 readers, -1 a writer ---- */

void __init_rwsem(struct rw_semaphore *sem, const char *name, struct lock_class_key *key)
{
	atomic_long_set(&sem->count, 0);
	atomic_long_set(&sem->owner, 0);
	raw_spin_lock_init(&sem->wait_lock);
	INIT_LIST_HEAD(&sem->wait_list);
}
EXPORT_SYMBOL(__init_rwsem);

int down_read_trylock(struct rw_semaphore *sem)
{
	long c = atomic_long_read(&sem->count);

	return c >= 0 && atomic_long_cmpxchg_acquire(&sem->count, c, c + 1) == c;
}
EXPORT_SYMBOL(down_read_trylock);

void down_read(struct rw_semaphore *sem)
{
	while (!down_read_trylock(sem))
		kapi_futex_wait((u32 *)&sem->count, (u32)-1, NSEC_PER_MSEC);
}
EXPORT_SYMBOL(down_read);

int down_read_interruptible(struct rw_semaphore *sem)
{
	down_read(sem);
	return 0;
}
EXPORT_SYMBOL(down_read_interruptible);

int down_read_killable(struct rw_semaphore *sem)
{
	down_read(sem);
	return 0;
}
EXPORT_SYMBOL(down_read_killable);

void up_read(struct rw_semaphore *sem)
{
	if (atomic_long_dec_return_release(&sem->count) == 0)
		kapi_futex_wake((u32 *)&sem->count, INT_MAX);
}
EXPORT_SYMBOL(up_read);

int down_write_trylock(struct rw_semaphore *sem)
{
	return atomic_long_cmpxchg_acquire(&sem->count, 0, -1) == 0;
}
EXPORT_SYMBOL(down_write_trylock);

void down_write(struct rw_semaphore *sem)
{
	while (!down_write_trylock(sem)) {
		long c = atomic_long_read(&sem->count);

		if (c)
			kapi_futex_wait((u32 *)&sem->count, (u32)c, NSEC_PER_MSEC);
	}
}
EXPORT_SYMBOL(down_write);

int down_write_killable(struct rw_semaphore *sem)
{
	down_write(sem);
	return 0;
}
EXPORT_SYMBOL(down_write_killable);

void up_write(struct rw_semaphore *sem)
{
	atomic_long_set_release(&sem->count, 0);
	kapi_futex_wake((u32 *)&sem->count, INT_MAX);
}
EXPORT_SYMBOL(up_write);

void downgrade_write(struct rw_semaphore *sem)
{
	atomic_long_set_release(&sem->count, 1);
	kapi_futex_wake((u32 *)&sem->count, INT_MAX);
}
EXPORT_SYMBOL(downgrade_write);

/* ---- wait queues ---- */

void __init_waitqueue_head(struct wait_queue_head *wq_head, const char *name,
			   struct lock_class_key *key)
{
	spin_lock_init(&wq_head->lock);
	INIT_LIST_HEAD(&wq_head->head);
}
EXPORT_SYMBOL(__init_waitqueue_head);

void add_wait_queue(struct wait_queue_head *wq_head, struct wait_queue_entry *wq_entry)
{
	unsigned long flags;

	wq_entry->flags &= ~WQ_FLAG_EXCLUSIVE;
	spin_lock_irqsave(&wq_head->lock, flags);
	list_add(&wq_entry->entry, &wq_head->head);
	spin_unlock_irqrestore(&wq_head->lock, flags);
}
EXPORT_SYMBOL(add_wait_queue);

void add_wait_queue_exclusive(struct wait_queue_head *wq_head, struct wait_queue_entry *wq_entry)
{
	unsigned long flags;

	wq_entry->flags |= WQ_FLAG_EXCLUSIVE;
	spin_lock_irqsave(&wq_head->lock, flags);
	list_add_tail(&wq_entry->entry, &wq_head->head);
	spin_unlock_irqrestore(&wq_head->lock, flags);
}
EXPORT_SYMBOL(add_wait_queue_exclusive);

void remove_wait_queue(struct wait_queue_head *wq_head, struct wait_queue_entry *wq_entry)
{
	unsigned long flags;

	spin_lock_irqsave(&wq_head->lock, flags);
	list_del(&wq_entry->entry);
	spin_unlock_irqrestore(&wq_head->lock, flags);
}
EXPORT_SYMBOL(remove_wait_queue);

int default_wake_function(struct wait_queue_entry *curr, unsigned int mode, int wake_flags,
			  void *key)
{
	return wake_up_state(curr->private, mode);
}
EXPORT_SYMBOL(default_wake_function);

int autoremove_wake_function(struct wait_queue_entry *wq_entry, unsigned int mode, int sync,
			     void *key)
{
	int ret = default_wake_function(wq_entry, mode, sync, key);

	if (ret)
		list_del_init_careful(&wq_entry->entry);
	return ret;
}
EXPORT_SYMBOL(autoremove_wake_function);

void init_wait_entry(struct wait_queue_entry *wq_entry, int flags)
{
	wq_entry->flags = flags;
	wq_entry->private = current;
	wq_entry->func = autoremove_wake_function;
	INIT_LIST_HEAD(&wq_entry->entry);
}
EXPORT_SYMBOL(init_wait_entry);

long prepare_to_wait_event(struct wait_queue_head *wq_head, struct wait_queue_entry *wq_entry,
			   int state)
{
	unsigned long flags;

	spin_lock_irqsave(&wq_head->lock, flags);
	if (list_empty(&wq_entry->entry)) {
		if (wq_entry->flags & WQ_FLAG_EXCLUSIVE)
			list_add_tail(&wq_entry->entry, &wq_head->head);
		else
			list_add(&wq_entry->entry, &wq_head->head);
	}
	set_current_state(state);
	spin_unlock_irqrestore(&wq_head->lock, flags);
	return 0;
}
EXPORT_SYMBOL(prepare_to_wait_event);

void prepare_to_wait(struct wait_queue_head *wq_head, struct wait_queue_entry *wq_entry,
		     int state)
{
	wq_entry->flags &= ~WQ_FLAG_EXCLUSIVE;
	prepare_to_wait_event(wq_head, wq_entry, state);
}
EXPORT_SYMBOL(prepare_to_wait);

bool prepare_to_wait_exclusive(struct wait_queue_head *wq_head,
			       struct wait_queue_entry *wq_entry, int state)
{
	wq_entry->flags |= WQ_FLAG_EXCLUSIVE;
	prepare_to_wait_event(wq_head, wq_entry, state);
	return false;
}
EXPORT_SYMBOL(prepare_to_wait_exclusive);

void finish_wait(struct wait_queue_head *wq_head, struct wait_queue_entry *wq_entry)
{
	unsigned long flags;

	__set_current_state(TASK_RUNNING);
	if (!list_empty_careful(&wq_entry->entry)) {
		spin_lock_irqsave(&wq_head->lock, flags);
		list_del_init(&wq_entry->entry);
		spin_unlock_irqrestore(&wq_head->lock, flags);
	}
}
EXPORT_SYMBOL(finish_wait);

int __wake_up(struct wait_queue_head *wq_head, unsigned int mode, int nr_exclusive, void *key)
{
	struct wait_queue_entry *curr, *next;
	unsigned long flags;
	int woken = 0;

	spin_lock_irqsave(&wq_head->lock, flags);
	list_for_each_entry_safe(curr, next, &wq_head->head, entry) {
		unsigned int f = curr->flags;
		int ret = curr->func(curr, mode, 0, key);

		if (ret < 0)
			break;
		if (ret)
			woken++;
		if (ret && (f & WQ_FLAG_EXCLUSIVE) && !--nr_exclusive)
			break;
	}
	spin_unlock_irqrestore(&wq_head->lock, flags);
	return woken;
}
EXPORT_SYMBOL(__wake_up);

void __wake_up_sync(struct wait_queue_head *wq_head, unsigned int mode)
{
	__wake_up(wq_head, mode, 1, NULL);
}
EXPORT_SYMBOL_GPL(__wake_up_sync);

void __wake_up_locked(struct wait_queue_head *wq_head, unsigned int mode, int nr)
{
	struct wait_queue_entry *curr, *next;

	list_for_each_entry_safe(curr, next, &wq_head->head, entry)
		if (curr->func(curr, mode, 0, NULL) && (curr->flags & WQ_FLAG_EXCLUSIVE) && !--nr)
			break;
}
EXPORT_SYMBOL_GPL(__wake_up_locked);

long wait_woken(struct wait_queue_entry *wq_entry, unsigned int mode, long timeout)
{
	set_current_state(mode);
	if (!(wq_entry->flags & WQ_FLAG_WOKEN))
		timeout = schedule_timeout(timeout);
	__set_current_state(TASK_RUNNING);
	smp_store_mb(wq_entry->flags, wq_entry->flags & ~WQ_FLAG_WOKEN);
	return timeout;
}
EXPORT_SYMBOL(wait_woken);

int woken_wake_function(struct wait_queue_entry *wq_entry, unsigned int mode, int sync,
			void *key)
{
	smp_mb();
	wq_entry->flags |= WQ_FLAG_WOKEN;
	return default_wake_function(wq_entry, mode, sync, key);
}
EXPORT_SYMBOL(woken_wake_function);

/* ---- completions: `done` counts; waiters sleep on it ---- */

static DEFINE_RAW_SPINLOCK(completion_lock);

void __init_swait_queue_head(struct swait_queue_head *q, const char *name,
			     struct lock_class_key *key)
{
	raw_spin_lock_init(&q->lock);
	INIT_LIST_HEAD(&q->task_list);
}
EXPORT_SYMBOL(__init_swait_queue_head);

void complete(struct completion *x)
{
	raw_spin_lock(&completion_lock);
	if (x->done != UINT_MAX)
		x->done++;
	raw_spin_unlock(&completion_lock);
	kapi_futex_wake(&x->done, INT_MAX);
}
EXPORT_SYMBOL(complete);

void complete_all(struct completion *x)
{
	raw_spin_lock(&completion_lock);
	x->done = UINT_MAX;
	raw_spin_unlock(&completion_lock);
	kapi_futex_wake(&x->done, INT_MAX);
}
EXPORT_SYMBOL(complete_all);

bool try_wait_for_completion(struct completion *x)
{
	bool ret = false;

	raw_spin_lock(&completion_lock);
	if (x->done) {
		if (x->done != UINT_MAX)
			x->done--;
		ret = true;
	}
	raw_spin_unlock(&completion_lock);
	return ret;
}
EXPORT_SYMBOL(try_wait_for_completion);

bool completion_done(struct completion *x)
{
	return READ_ONCE(x->done) != 0;
}
EXPORT_SYMBOL(completion_done);

/* Jiffies left (at least 1) once done, 0 on timeout. */
static unsigned long wait_done(struct completion *x, long timeout)
{
	u64 start = kapi_mono_ns(), limit = 0;

	if (timeout != MAX_SCHEDULE_TIMEOUT)
		limit = (u64)jiffies_to_usecs(timeout) * NSEC_PER_USEC;
	while (!try_wait_for_completion(x)) {
		u64 spent = kapi_mono_ns() - start;

		if (limit && spent >= limit)
			return 0;
		kapi_futex_wait(&x->done, 0, limit ? limit - spent : 0);
	}
	if (!limit)
		return timeout;
	return max(1L, timeout - (long)nsecs_to_jiffies(kapi_mono_ns() - start));
}

void wait_for_completion(struct completion *x)
{
	wait_done(x, MAX_SCHEDULE_TIMEOUT);
}
EXPORT_SYMBOL(wait_for_completion);

unsigned long wait_for_completion_timeout(struct completion *x, unsigned long timeout)
{
	return wait_done(x, timeout);
}
EXPORT_SYMBOL(wait_for_completion_timeout);

int wait_for_completion_interruptible(struct completion *x)
{
	wait_done(x, MAX_SCHEDULE_TIMEOUT);
	return 0;
}
EXPORT_SYMBOL(wait_for_completion_interruptible);

long wait_for_completion_interruptible_timeout(struct completion *x,
						       unsigned long timeout)
{
	return wait_done(x, timeout);
}
EXPORT_SYMBOL(wait_for_completion_interruptible_timeout);

int wait_for_completion_killable(struct completion *x)
{
	wait_done(x, MAX_SCHEDULE_TIMEOUT);
	return 0;
}
EXPORT_SYMBOL(wait_for_completion_killable);

long wait_for_completion_killable_timeout(struct completion *x, unsigned long timeout)
{
	return wait_done(x, timeout);
}
EXPORT_SYMBOL(wait_for_completion_killable_timeout);

void wait_for_completion_io(struct completion *x)
{
	wait_done(x, MAX_SCHEDULE_TIMEOUT);
}
EXPORT_SYMBOL(wait_for_completion_io);

/* ---- RCU: readers are not tracked; a grace period is a short sleep ---- */

void __rcu_read_lock(void)
{
	current->rcu_read_lock_nesting++;
}
EXPORT_SYMBOL_GPL(__rcu_read_lock);

void __rcu_read_unlock(void)
{
	current->rcu_read_lock_nesting--;
}
EXPORT_SYMBOL_GPL(__rcu_read_unlock);

void synchronize_rcu(void)
{
	kapi_nanosleep(NSEC_PER_MSEC);
}
EXPORT_SYMBOL_GPL(synchronize_rcu);

void synchronize_rcu_expedited(void)
{
	synchronize_rcu();
}
EXPORT_SYMBOL_GPL(synchronize_rcu_expedited);

void kapi_rcu_queue(struct rcu_head *head, rcu_callback_t func);

void call_rcu(struct rcu_head *head, rcu_callback_t func)
{
	kapi_rcu_queue(head, func);
}
EXPORT_SYMBOL_GPL(call_rcu);

void rcu_barrier(void);
