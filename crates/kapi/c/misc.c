// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The rest of what teaching modules call: user copies (the "user" buffers
 * are the host's request buffers), randomness, the list and refcount
 * debug hooks, BUG and WARN reporting.
 */
#include <linux/version.h>
#include <linux/uaccess.h>
#include <linux/random.h>
#include <linux/list.h>
#include <linux/refcount.h>
#include <linux/string.h>
#include <linux/bug.h>
#include <linux/printk.h>
#include <asm/unistd.h>
#include "kapi.h"

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
/* read by access_ok() in modules (the kernel patches it in at boot) */
unsigned long USER_PTR_MAX = 0x00007ffffffff000UL - 1;
EXPORT_SYMBOL(USER_PTR_MAX);
#endif

unsigned long _copy_to_user(void __user *to, const void *from, unsigned long n)
{
	memcpy((void __force *)to, from, n);
	return 0;
}
EXPORT_SYMBOL(_copy_to_user);

unsigned long _copy_from_user(void *to, const void __user *from, unsigned long n)
{
	memcpy(to, (const void __force *)from, n);
	return 0;
}
EXPORT_SYMBOL(_copy_from_user);

void __check_object_size(const void *ptr, unsigned long n, bool to_user)
{
}
EXPORT_SYMBOL(__check_object_size);

void __copy_overflow(int size, unsigned long count)
{
	kapi_logf(LOGLEVEL_WARNING, "Buffer overflow detected (%d < %lu)!", size, count);
}
EXPORT_SYMBOL(__copy_overflow);

long strncpy_from_user(char *dst, const char __user *src, long count)
{
	long i;

	for (i = 0; i < count; i++) {
		dst[i] = ((const char __force *)src)[i];
		if (!dst[i])
			return i;
	}
	return count;
}
EXPORT_SYMBOL(strncpy_from_user);

long strnlen_user(const char __user *str, long count)
{
	return strnlen((const char __force *)str, count) + 1;
}
EXPORT_SYMBOL(strnlen_user);

long copy_from_kernel_nofault(void *dst, const void *src, size_t size)
{
	memcpy(dst, src, size);
	return 0;
}
EXPORT_SYMBOL_GPL(copy_from_kernel_nofault);

long copy_from_user_nofault(void *dst, const void __user *src, size_t size)
{
	memcpy(dst, (const void __force *)src, size);
	return 0;
}
EXPORT_SYMBOL_GPL(copy_from_user_nofault);

void get_random_bytes(void *buf, size_t len)
{
	u8 *p = buf;

	while (len) {
		long n = kapi_syscall(__NR_getrandom, (long)p, len, 0, 0, 0);

		if (n <= 0)
			continue;
		p += n;
		len -= n;
	}
}
EXPORT_SYMBOL(get_random_bytes);

#define RANDOM(type)					\
type get_random_##type(void)				\
{							\
	type v;						\
	get_random_bytes(&v, sizeof(v));		\
	return v;					\
}							\
EXPORT_SYMBOL(get_random_##type)

RANDOM(u8);
RANDOM(u16);
RANDOM(u32);
RANDOM(u64);

u32 __get_random_u32_below(u32 ceil)
{
	return ceil ? get_random_u32() % ceil : 0;
}
EXPORT_SYMBOL(__get_random_u32_below);

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 12, 0)
bool __list_add_valid(struct list_head *new, struct list_head *prev, struct list_head *next)
{
	return true;
}
EXPORT_SYMBOL(__list_add_valid);

bool __list_del_entry_valid(struct list_head *entry)
{
	return true;
}
EXPORT_SYMBOL(__list_del_entry_valid);

#else
bool __list_add_valid_or_report(struct list_head *new, struct list_head *prev,
				struct list_head *next)
{
	return true;
}
EXPORT_SYMBOL(__list_add_valid_or_report);

bool __list_del_entry_valid_or_report(struct list_head *entry)
{
	return true;
}
EXPORT_SYMBOL(__list_del_entry_valid_or_report);
#endif

void refcount_warn_saturate(refcount_t *r, enum refcount_saturation_type t)
{
	refcount_set(r, REFCOUNT_SATURATED);
	kapi_logf(LOGLEVEL_WARNING, "refcount_t: %s.",
		  t == REFCOUNT_ADD_UAF || t == REFCOUNT_SUB_UAF ? "underflow; use-after-free" :
		  t == REFCOUNT_DEC_LEAK ? "decrement hit 0; leaking memory" :
		  t == REFCOUNT_ADD_NOT_ZERO_OVF ? "saturated; leaking memory" :
		  "addition on 0; use-after-free");
}
EXPORT_SYMBOL(refcount_warn_saturate);

bool refcount_dec_and_mutex_lock(refcount_t *r, struct mutex *lock)
{
	if (refcount_dec_not_one(r))
		return false;
	mutex_lock(lock);
	if (!refcount_dec_and_test(r)) {
		mutex_unlock(lock);
		return false;
	}
	return true;
}
EXPORT_SYMBOL(refcount_dec_and_mutex_lock);

bool refcount_dec_not_one(refcount_t *r)
{
	unsigned int val = refcount_read(r);

	do {
		if (val == REFCOUNT_SATURATED)
			return true;
		if (val == 1)
			return false;
	} while (!atomic_try_cmpxchg_release(&r->refs, &val, val - 1));
	return true;
}
EXPORT_SYMBOL(refcount_dec_not_one);
