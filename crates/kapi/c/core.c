// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The sim CPU: per-CPU data (one "CPU" per host thread, reached through
 * %gs as in the kernel), tasks and kthreads, raw syscalls, the entry
 * points the host calls, and what the compiler and the kernel's headers
 * expect to find (stack protector, paravirt operations, CPU masks).
 */
#include <linux/version.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/kthread.h>
#include <linux/cred.h>
#include <linux/cpumask.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/module.h>
#include <asm/paravirt.h>
#include <asm/processor.h>
#include <asm/unistd.h>
#include <linux/futex.h>
#include <linux/time64.h>
#include "kapi.h"

#define NEW_KERNEL (LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0))

/* ---- per-CPU data: every host thread that runs kernel code is a CPU ---- */

DEFINE_PER_CPU_FIRST(struct fixed_percpu_data, fixed_percpu_data) __visible;
DEFINE_PER_CPU_READ_MOSTLY(unsigned long, this_cpu_off);
#if NEW_KERNEL
DEFINE_PER_CPU_ALIGNED(struct pcpu_hot, pcpu_hot);
/* the kernel's linker script makes const_pcpu_hot an alias of pcpu_hot;
 * the sim's loader does the same (kapi_percpu_aliases) */
#else
DEFINE_PER_CPU(struct task_struct *, current_task);
DEFINE_PER_CPU(int, __preempt_count) = INIT_PREEMPT_COUNT;
DEFINE_PER_CPU_READ_MOSTLY(int, cpu_number);
DEFINE_PER_CPU(unsigned long, cpu_current_top_of_stack);
#endif
/* the module whose code this thread runs, for ownership of what it makes */
static DEFINE_PER_CPU(unsigned long, kapi_module);

/* Alias pairs the loader binds: "alias=target", NUL-separated. */
const char kapi_percpu_aliases[] =
#if NEW_KERNEL
	"const_pcpu_hot=pcpu_hot\0"
#endif
	"";

unsigned long __per_cpu_offset[NR_CPUS] __read_mostly;
unsigned int nr_cpu_ids __read_mostly = 1;
struct cpumask __cpu_possible_mask __read_mostly;
struct cpumask __cpu_online_mask __read_mostly;
struct cpumask __cpu_present_mask __read_mostly;
struct cpumask __cpu_active_mask __read_mostly;
struct cpuinfo_x86 boot_cpu_data __read_mostly;
EXPORT_SYMBOL(__per_cpu_offset);
EXPORT_SYMBOL(nr_cpu_ids);
EXPORT_SYMBOL(__cpu_possible_mask);
EXPORT_SYMBOL(__cpu_online_mask);
EXPORT_SYMBOL(__cpu_present_mask);
EXPORT_SYMBOL(__cpu_active_mask);
EXPORT_SYMBOL(boot_cpu_data);

const struct kapi_host_ops *kapi_host;

/* ---- raw syscalls ---- */

void kapi_futex_wait(u32 *addr, u32 val, u64 timeout_ns)
{
	struct __kernel_timespec ts;

	ts.tv_sec = timeout_ns / NSEC_PER_SEC;
	ts.tv_nsec = timeout_ns % NSEC_PER_SEC;
	kapi_syscall(__NR_futex, (long)addr, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, val,
		     timeout_ns ? (long)&ts : 0, 0);
}

void kapi_futex_wake(u32 *addr, int n)
{
	kapi_syscall(__NR_futex, (long)addr, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, n, 0, 0);
}

static u64 clock_ns(int clock)
{
	struct __kernel_timespec ts;

	kapi_syscall(__NR_clock_gettime, clock, (long)&ts, 0, 0, 0);
	return (u64)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

u64 kapi_mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

u64 kapi_real_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

void kapi_nanosleep(u64 ns)
{
	struct __kernel_timespec ts;

	ts.tv_sec = ns / NSEC_PER_SEC;
	ts.tv_nsec = ns % NSEC_PER_SEC;
	/* EINTR: sleep again for what is left */
	while (kapi_syscall(__NR_nanosleep, (long)&ts, (long)&ts, 0, 0, 0) == -EINTR)
		;
}

int kapi_gettid(void)
{
	return kapi_syscall(__NR_gettid, 0, 0, 0, 0, 0);
}

void kapi_yield(void)
{
	kapi_syscall(__NR_sched_yield, 0, 0, 0, 0, 0);
}

/* ---- memory for kapi itself ---- */

void *kapi_zalloc(size_t size)
{
	void *p = (void *)HOSTCALL(alloc, size, 16);

	if (p)
		memset(p, 0, size);
	return p;
}

void kapi_free(const void *p)
{
	if (p)
		HOSTCALL(free, p);
}

char *kapi_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = kapi_zalloc(n);

	if (d)
		memcpy(d, s, n);
	return d;
}

/* ---- tasks ---- */

static struct cred kapi_cred;
static atomic_t next_pid = ATOMIC_INIT(1000);

struct kapi_task *kapi_task_of(struct task_struct *t)
{
	return (struct kapi_task *)((char *)t + ALIGN(sizeof(*t), 64));
}

struct task_struct *kapi_new_task(const char *name, int kthread)
{
	struct task_struct *t = kapi_zalloc(ALIGN(sizeof(*t), 64) + sizeof(struct kapi_task));

	if (!t)
		return NULL;
	refcount_set(&t->usage, 1);
	WRITE_ONCE(t->__state, TASK_RUNNING);
	t->flags = kthread ? PF_KTHREAD : 0;
	t->pid = t->tgid = atomic_inc_return(&next_pid);
	t->cred = t->real_cred = &kapi_cred;
	t->prio = t->static_prio = t->normal_prio = 120;
	strscpy(t->comm, name, sizeof(t->comm));
	t->real_parent = t->parent = t;
	t->group_leader = t;
	INIT_LIST_HEAD(&t->children);
	INIT_LIST_HEAD(&t->sibling);
	return t;
}

void __put_task_struct(struct task_struct *t)
{
	kapi_free(t);
}
EXPORT_SYMBOL_GPL(__put_task_struct);

#if NEW_KERNEL
void __put_task_struct_rcu_cb(struct rcu_head *rhp)
{
	__put_task_struct(container_of(rhp, struct task_struct, rcu));
}
EXPORT_SYMBOL_GPL(__put_task_struct_rcu_cb);
#endif

struct module *kapi_current_module(void)
{
	return (struct module *)this_cpu_read(kapi_module);
}

/*
 * Entry point: make the calling thread a sim CPU. The host has pointed
 * %gs at a copy of the per-CPU template; `gsbase` is that address. `task`
 * is the thread's task (a kthread starting), or NULL for a new one.
 */
void kapi_cpu_init(unsigned long gsbase, struct task_struct *task, const char *name)
{
	if (!task)
		task = kapi_new_task(name, 0);
	this_cpu_write(this_cpu_off, gsbase);
	this_cpu_write(fixed_percpu_data.stack_canary, get_random_u64() & ~0xffUL);
#if NEW_KERNEL
	this_cpu_write(pcpu_hot.current_task, task);
	this_cpu_write(pcpu_hot.preempt_count, INIT_PREEMPT_COUNT);
	this_cpu_write(pcpu_hot.cpu_number, 0);
#else
	this_cpu_write(current_task, task);
	this_cpu_write(__preempt_count, INIT_PREEMPT_COUNT);
	this_cpu_write(cpu_number, 0);
#endif
	this_cpu_write(kapi_module, (unsigned long)(task ? kapi_task_of(task)->owner : NULL));
}

/* Entry point: the module the calling thread runs code of, from now on. */
struct module *kapi_enter_module(struct module *mod)
{
	struct module *old = kapi_current_module();

	this_cpu_write(kapi_module, (unsigned long)mod);
	return old;
}

/* ---- kthreads ---- */

/* Entry point: the body of a host thread started by thread_start. */
void kapi_thread_main(struct task_struct *t)
{
	struct kapi_task *kt = kapi_task_of(t);

	this_cpu_write(kapi_module, (unsigned long)kt->owner);
	WRITE_ONCE(kt->started, 1);
	kapi_futex_wake(&kt->started, INT_MAX);
	if (!READ_ONCE(kt->should_stop))
		kt->result = kt->threadfn(kt->data);
	else
		kt->result = -EINTR;
	kapi_log_flush();
	smp_store_release(&kt->exited, 1);
	kapi_futex_wake(&kt->exited, INT_MAX);
}

struct task_struct *kthread_create_on_node(int (*threadfn)(void *data), void *data,
					   int node, const char namefmt[], ...)
{
	char name[TASK_COMM_LEN * 4];
	struct task_struct *t;
	struct kapi_task *kt;
	va_list ap;

	va_start(ap, namefmt);
	kapi_vsnprintf(name, sizeof(name), namefmt, ap);
	va_end(ap);
	t = kapi_new_task(name, 1);
	if (!t)
		return ERR_PTR(-ENOMEM);
	kt = kapi_task_of(t);
	kt->threadfn = threadfn;
	kt->data = data;
	kt->owner = kapi_current_module();
	WRITE_ONCE(t->__state, TASK_UNINTERRUPTIBLE);
	refcount_inc(&t->usage);	/* the thread's own reference */
	return t;
}
EXPORT_SYMBOL(kthread_create_on_node);

static int kapi_start_thread(struct task_struct *t)
{
	struct kapi_task *kt = kapi_task_of(t);

	if (cmpxchg(&kt->started, 0, 2) != 0)
		return 0;
	if (HOSTCALL(thread_start, t, t->comm) < 0) {
		kt->result = -ENOMEM;
		kt->exited = 1;
		return 0;
	}
	return 1;
}

int wake_up_process(struct task_struct *t)
{
	struct kapi_task *kt = kapi_task_of(t);
	unsigned int old = READ_ONCE(t->__state);

	WRITE_ONCE(t->__state, TASK_RUNNING);
	if (kt->threadfn && !READ_ONCE(kt->started))
		return kapi_start_thread(t);
	WRITE_ONCE(kt->wakeups, kt->wakeups + 1);
	kapi_futex_wake(&kt->wakeups, INT_MAX);
	return old != TASK_RUNNING;
}
EXPORT_SYMBOL(wake_up_process);

int wake_up_state(struct task_struct *t, unsigned int state)
{
	if (!(READ_ONCE(t->__state) & state))
		return 0;
	return wake_up_process(t);
}
EXPORT_SYMBOL(wake_up_state);

bool kthread_should_stop(void)
{
	return READ_ONCE(kapi_task_of(current)->should_stop);
}
EXPORT_SYMBOL(kthread_should_stop);

bool kthread_should_park(void)
{
	return false;
}
EXPORT_SYMBOL_GPL(kthread_should_park);

bool __kthread_should_park(struct task_struct *k)
{
	return false;
}
EXPORT_SYMBOL_GPL(__kthread_should_park);

void kapi_task_wait(struct task_struct *t, u64 timeout_ns)
{
	struct kapi_task *kt = kapi_task_of(t);

	while (!smp_load_acquire(&kt->exited))
		kapi_futex_wait(&kt->exited, 0, timeout_ns);
}

int kthread_stop(struct task_struct *t)
{
	struct kapi_task *kt = kapi_task_of(t);
	int ret;

	WRITE_ONCE(kt->should_stop, 1);
	if (!READ_ONCE(kt->started)) {
		/* never woken: its function never runs */
		WRITE_ONCE(kt->started, 3);
		kt->result = -EINTR;
		smp_store_release(&kt->exited, 1);
		put_task_struct(t);
	} else {
		wake_up_process(t);
		kapi_task_wait(t, 0);
		put_task_struct(t);
	}
	ret = kt->result;
	put_task_struct(t);
	return ret;
}
EXPORT_SYMBOL(kthread_stop);

#if NEW_KERNEL
int kthread_stop_put(struct task_struct *k)
{
	int ret = kthread_stop(k);

	put_task_struct(k);
	return ret;
}
EXPORT_SYMBOL(kthread_stop_put);
#endif

void kthread_bind(struct task_struct *p, unsigned int cpu)
{
}
EXPORT_SYMBOL(kthread_bind);

void set_user_nice(struct task_struct *p, long nice)
{
	p->static_prio = NICE_TO_PRIO(nice);
}
EXPORT_SYMBOL(set_user_nice);

void sched_set_fifo(struct task_struct *p)
{
}
EXPORT_SYMBOL_GPL(sched_set_fifo);

void sched_set_normal(struct task_struct *p, int nice)
{
}
EXPORT_SYMBOL_GPL(sched_set_normal);

/* ---- scheduling ---- */

/* Sleep until woken or `timeout_ns` (0: no limit); false on timeout. */
static bool sleep_until_woken(u64 timeout_ns)
{
	struct task_struct *t = current;
	struct kapi_task *kt = kapi_task_of(t);
	u64 deadline = timeout_ns ? kapi_mono_ns() + timeout_ns : 0;

	for (;;) {
		u32 seen = READ_ONCE(kt->wakeups);
		u64 now;

		if (READ_ONCE(t->__state) == TASK_RUNNING)
			return true;
		if (READ_ONCE(kt->should_stop) && (t->flags & PF_KTHREAD)) {
			WRITE_ONCE(t->__state, TASK_RUNNING);
			return true;
		}
		now = kapi_mono_ns();
		if (deadline && now >= deadline) {
			WRITE_ONCE(t->__state, TASK_RUNNING);
			return false;
		}
		kapi_futex_wait(&kt->wakeups, seen, deadline ? deadline - now : 0);
	}
}

asmlinkage __visible void schedule(void)
{
	sleep_until_woken(0);
}
EXPORT_SYMBOL(schedule);

long schedule_timeout(long timeout)
{
	u64 start, ns;
	long left;

	if (timeout == MAX_SCHEDULE_TIMEOUT) {
		schedule();
		return timeout;
	}
	if (timeout < 0) {
		WRITE_ONCE(current->__state, TASK_RUNNING);
		return 0;
	}
	start = kapi_mono_ns();
	ns = (u64)jiffies_to_usecs(timeout) * NSEC_PER_USEC;
	if (!sleep_until_woken(ns ? ns : 1))
		return 0;
	left = timeout - (long)nsecs_to_jiffies(kapi_mono_ns() - start);
	return left > 0 ? left : 0;
}
EXPORT_SYMBOL(schedule_timeout);

long schedule_timeout_interruptible(long timeout)
{
	__set_current_state(TASK_INTERRUPTIBLE);
	return schedule_timeout(timeout);
}
EXPORT_SYMBOL(schedule_timeout_interruptible);

long schedule_timeout_killable(long timeout)
{
	__set_current_state(TASK_KILLABLE);
	return schedule_timeout(timeout);
}
EXPORT_SYMBOL(schedule_timeout_killable);

long schedule_timeout_uninterruptible(long timeout)
{
	__set_current_state(TASK_UNINTERRUPTIBLE);
	return schedule_timeout(timeout);
}
EXPORT_SYMBOL(schedule_timeout_uninterruptible);

long schedule_timeout_idle(long timeout)
{
	__set_current_state(TASK_IDLE);
	return schedule_timeout(timeout);
}
EXPORT_SYMBOL(schedule_timeout_idle);

int __cond_resched(void)
{
	return 0;
}
EXPORT_SYMBOL(__cond_resched);

asmlinkage __visible void preempt_schedule(void)
{
}
EXPORT_SYMBOL(preempt_schedule);

asmlinkage __visible void preempt_schedule_notrace(void)
{
}
EXPORT_SYMBOL(preempt_schedule_notrace);

void yield(void)
{
	kapi_yield();
}
EXPORT_SYMBOL(yield);

void msleep(unsigned int msecs)
{
	kapi_nanosleep((u64)msecs * NSEC_PER_MSEC);
}
EXPORT_SYMBOL(msleep);

unsigned long msleep_interruptible(unsigned int msecs)
{
	msleep(msecs);
	return 0;
}
EXPORT_SYMBOL(msleep_interruptible);

void usleep_range_state(unsigned long min, unsigned long max, unsigned int state)
{
	kapi_nanosleep((u64)min * NSEC_PER_USEC);
}
EXPORT_SYMBOL(usleep_range_state);

void __udelay(unsigned long usecs)
{
	kapi_nanosleep((u64)usecs * NSEC_PER_USEC);
}
EXPORT_SYMBOL(__udelay);

void __ndelay(unsigned long nsecs)
{
	kapi_nanosleep(nsecs);
}
EXPORT_SYMBOL(__ndelay);

void __const_udelay(unsigned long xloops)
{
	/* xloops = usecs * 2^32 / 10^6 * HZ-ish scaling (0x10c7 per usec) */
	kapi_nanosleep((xloops / 0x10c7 + 1) * NSEC_PER_USEC);
}
EXPORT_SYMBOL(__const_udelay);

void __delay(unsigned long loops)
{
	kapi_nanosleep(loops);
}
EXPORT_SYMBOL(__delay);

/* ---- the compiler's and the headers' expectations ---- */

__visible void __stack_chk_fail(void)
{
	char buf[128];

	snprintf(buf, sizeof(buf), "stack-protector: Kernel stack is corrupted in: %pB",
		 __builtin_return_address(0));
	kapi_logf(0, "Kernel panic - not syncing: %s", buf);
	kapi_log_flush();
	HOSTCALL(fatal, buf);
	for (;;)
		;
}
EXPORT_SYMBOL(__stack_chk_fail);

void kapi_pv_save_fl(void);
void kapi_pv_nop(void);
void kapi_pv_spin_unlock(void);
void kapi_pv_false(void);

struct paravirt_patch_template pv_ops = {
	.irq.save_fl = { .func = (void *)kapi_pv_save_fl },
	.irq.irq_disable = { .func = (void *)kapi_pv_nop },
	.irq.irq_enable = { .func = (void *)kapi_pv_nop },
	.lock.queued_spin_lock_slowpath = native_queued_spin_lock_slowpath,
	.lock.queued_spin_unlock = { .func = (void *)kapi_pv_spin_unlock },
	.lock.vcpu_is_preempted = { .func = (void *)kapi_pv_false },
};
EXPORT_SYMBOL(pv_ops);

/* Entry point: the first call into kapi, on a thread set up by kapi_cpu_init. */
long kapi_init(const struct kapi_host_ops *ops)
{
	if (!ops || ops->abi_version != KAPI_ABI_VERSION || ops->size != sizeof(*ops))
		return -EPROTO;
	kapi_host = ops;
	cpumask_set_cpu(0, &__cpu_possible_mask);
	cpumask_set_cpu(0, &__cpu_online_mask);
	cpumask_set_cpu(0, &__cpu_present_mask);
	cpumask_set_cpu(0, &__cpu_active_mask);
	return KAPI_ABI_VERSION;
}

/* Entry point: the ABI version this kapi.ko speaks. */
long kapi_abi_version(void)
{
	return KAPI_ABI_VERSION;
}

MODULE_LICENSE("GPL and additional rights");
MODULE_DESCRIPTION("rkmod sim kernel: the userspace kernel API");

/* Entry point: the command that loads modules from now on (the client's). */
void kapi_set_comm(const char *name)
{
	strscpy(current->comm, name, sizeof(current->comm));
}
