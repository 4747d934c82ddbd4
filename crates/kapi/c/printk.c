// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * printk: log levels from KERN_* prefixes, and the kernel's record
 * semantics: a message without a trailing newline stays open and is
 * continued only by a KERN_CONT message of the same task; any other
 * message ends it as a line of its own. Finished records go to the host,
 * which keeps the sim kernel's dmesg.
 */
#include <linux/kernel.h>
#include <linux/printk.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/dynamic_debug.h>
#include <linux/ratelimit.h>
#include <linux/export.h>
#include "kapi.h"

#define RECORD_MAX 1024
#define DEFAULT_LEVEL CONFIG_MESSAGE_LOGLEVEL_DEFAULT

static DEFINE_SPINLOCK(log_lock);
static struct {
	char text[RECORD_MAX];
	size_t len;
	int level;
	pid_t caller;
	u64 ts;
	bool open;
} rec;

static void emit_locked(void)
{
	if (rec.open) {
		HOSTCALL(log, rec.level, rec.text, rec.len, rec.ts);
		rec.open = false;
		rec.len = 0;
	}
}

void kapi_log_flush(void)
{
	unsigned long flags;

	spin_lock_irqsave(&log_lock, flags);
	emit_locked();
	spin_unlock_irqrestore(&log_lock, flags);
}

/* Strip KERN_* prefixes: the level (or -1), and whether it continues. */
static const char *parse_prefix(const char *text, int *level, bool *cont)
{
	while (text[0] == KERN_SOH_ASCII && text[1]) {
		char c = text[1];

		if (c >= '0' && c <= '7')
			*level = c - '0';
		else if (c == 'c')
			*cont = true;
		else if (c != 'd')
			break;
		text += 2;
	}
	return text;
}

static int store(int level, const char *fmt, va_list args)
{
	char buf[RECORD_MAX];
	const char *text;
	bool cont = false, newline = false;
	unsigned long flags;
	pid_t me = current ? current->pid : 0;
	int len;

	len = kapi_vsnprintf(buf, sizeof(buf), fmt, args);
	len = min(len, (int)sizeof(buf) - 1);
	text = parse_prefix(buf, &level, &cont);
	len -= text - buf;
	if (len > 0 && text[len - 1] == '\n') {
		newline = true;
		len--;
	}
	if (level < 0)
		level = DEFAULT_LEVEL;

	spin_lock_irqsave(&log_lock, flags);
	if (!(cont && rec.open && rec.caller == me))
		emit_locked();
	if (!rec.open) {
		rec.open = true;
		rec.level = level;
		rec.caller = me;
		rec.ts = kapi_mono_ns();
		rec.len = 0;
	}
	len = min_t(int, len, RECORD_MAX - rec.len);
	memcpy(rec.text + rec.len, text, len);
	rec.len += len;
	if (newline)
		emit_locked();
	spin_unlock_irqrestore(&log_lock, flags);
	return len + newline;
}

void kapi_logf(int level, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	store(level, fmt, args);
	va_end(args);
	kapi_log_flush();
}

asmlinkage int vprintk(const char *fmt, va_list args)
{
	return store(-1, fmt, args);
}
EXPORT_SYMBOL(vprintk);

asmlinkage int vprintk_emit(int facility, int level, const struct dev_printk_info *dev_info,
			    const char *fmt, va_list args)
{
	return store(level, fmt, args);
}
EXPORT_SYMBOL(vprintk_emit);

asmlinkage __visible int _printk(const char *fmt, ...)
{
	va_list args;
	int r;

	va_start(args, fmt);
	r = vprintk(fmt, args);
	va_end(args);
	return r;
}
EXPORT_SYMBOL(_printk);

__printf(1, 2) __cold int _printk_deferred(const char *fmt, ...)
{
	va_list args;
	int r;

	va_start(args, fmt);
	r = vprintk(fmt, args);
	va_end(args);
	return r;
}
EXPORT_SYMBOL(_printk_deferred);

int __printk_ratelimit(const char *func)
{
	return 1;
}
EXPORT_SYMBOL(__printk_ratelimit);

bool printk_timed_ratelimit(unsigned long *caller_jiffies, unsigned int interval_msecs)
{
	return true;
}
EXPORT_SYMBOL(printk_timed_ratelimit);

int ___ratelimit(struct ratelimit_state *rs, const char *func)
{
	return 1;
}
EXPORT_SYMBOL(___ratelimit);

/* Called only when the descriptor's static branch is enabled. */
void __dynamic_pr_debug(struct _ddebug *descriptor, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	store(LOGLEVEL_DEBUG, fmt, args);
	va_end(args);
}
EXPORT_SYMBOL(__dynamic_pr_debug);

void __warn_printk(const char *fmt, ...)
{
	va_list args;

	_printk(KERN_WARNING "------------[ cut here ]------------\n");
	va_start(args, fmt);
	vprintk(fmt, args);
	va_end(args);
}
EXPORT_SYMBOL(__warn_printk);

asmlinkage __visible void dump_stack_lvl(const char *log_lvl)
{
	printk("%sCPU: 0 PID: %d Comm: %.20s (rkmod sim)\n", log_lvl, current->pid,
	       current->comm);
	printk("%sCall Trace:\n", log_lvl);
	printk("%s <TASK>\n", log_lvl);
	printk("%s %pS\n", log_lvl, __builtin_return_address(0));
	printk("%s </TASK>\n", log_lvl);
}
EXPORT_SYMBOL(dump_stack_lvl);

asmlinkage __visible void dump_stack(void)
{
	dump_stack_lvl(KERN_DEFAULT);
}
EXPORT_SYMBOL(dump_stack);

void panic(const char *fmt, ...)
{
	char buf[RECORD_MAX];
	va_list args;

	va_start(args, fmt);
	kapi_vsnprintf(buf, sizeof(buf), fmt, args);
	va_end(args);
	kapi_logf(LOGLEVEL_EMERG, "Kernel panic - not syncing: %s", buf);
	HOSTCALL(fatal, buf);
	for (;;)
		;
}
EXPORT_SYMBOL(panic);
