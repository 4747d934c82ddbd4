// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The string and memory functions the kernel exports. Copies and fills
 * use `rep movsb`/`rep stosb` in inline assembly, so the compiler cannot
 * turn them back into calls to themselves.
 */
#include <linux/version.h>
#include <linux/string.h>
#include <linux/ctype.h>
#include <linux/export.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include "kapi.h"

#undef memcpy
#undef memset
#undef memmove
#undef memcmp
#undef strlen
#undef strcpy
#undef strcat
#undef strcmp
#undef strncpy
#undef strncat
#undef strnlen
#undef strchr
#undef strrchr
#undef strscpy

__visible void *memcpy(void *dest, const void *src, size_t n)
{
	void *d = dest;

	asm volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
	return dest;
}
EXPORT_SYMBOL(memcpy);

__visible void *__memcpy(void *dest, const void *src, size_t n)
{
	return memcpy(dest, src, n);
}
EXPORT_SYMBOL(__memcpy);

__visible void *memset(void *s, int c, size_t n)
{
	void *d = s;

	asm volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
	return s;
}
EXPORT_SYMBOL(memset);

__visible void *__memset(void *s, int c, size_t n)
{
	return memset(s, c, n);
}
EXPORT_SYMBOL(__memset);

__visible void *memmove(void *dest, const void *src, size_t n)
{
	unsigned char *d = dest;
	const unsigned char *s = src;

	if (d <= s || d >= s + n)
		return memcpy(dest, src, n);
	while (n--)
		d[n] = s[n];
	return dest;
}
EXPORT_SYMBOL(memmove);

__visible void *__memmove(void *dest, const void *src, size_t n)
{
	return memmove(dest, src, n);
}
EXPORT_SYMBOL(__memmove);

__visible int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}
EXPORT_SYMBOL(memcmp);

int bcmp(const void *a, const void *b, size_t n)
{
	return memcmp(a, b, n);
}
EXPORT_SYMBOL(bcmp);

void *memchr(const void *s, int c, size_t n)
{
	const unsigned char *p = s;

	for (; n; n--, p++)
		if (*p == (unsigned char)c)
			return (void *)p;
	return NULL;
}
EXPORT_SYMBOL(memchr);

void *memchr_inv(const void *start, int c, size_t bytes)
{
	const u8 *p = start;

	for (; bytes; bytes--, p++)
		if (*p != (u8)c)
			return (void *)p;
	return NULL;
}
EXPORT_SYMBOL(memchr_inv);

void *memscan(void *addr, int c, size_t size)
{
	unsigned char *p = addr;

	while (size && *p != (unsigned char)c) {
		p++;
		size--;
	}
	return p;
}
EXPORT_SYMBOL(memscan);

__visible size_t strlen(const char *s)
{
	const char *p = s;

	while (*p)
		p++;
	return p - s;
}
EXPORT_SYMBOL(strlen);

size_t strnlen(const char *s, size_t count)
{
	const char *p = s;

	while (count-- && *p)
		p++;
	return p - s;
}
EXPORT_SYMBOL(strnlen);

char *strcpy(char *dest, const char *src)
{
	char *d = dest;

	while ((*d++ = *src++) != '\0')
		;
	return dest;
}
EXPORT_SYMBOL(strcpy);

char *strncpy(char *dest, const char *src, size_t count)
{
	char *d = dest;

	while (count) {
		if ((*d = *src) != 0)
			src++;
		d++;
		count--;
	}
	return dest;
}
EXPORT_SYMBOL(strncpy);

/* strscpy: -E2BIG when truncated (and still terminated) */
static ssize_t do_strscpy(char *dest, const char *src, size_t count)
{
	size_t i;

	if (count == 0 || count > INT_MAX)
		return -E2BIG;
	for (i = 0; i < count; i++) {
		dest[i] = src[i];
		if (!src[i])
			return i;
	}
	dest[count - 1] = '\0';
	return -E2BIG;
}

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
ssize_t sized_strscpy(char *dest, const char *src, size_t count)
{
	return do_strscpy(dest, src, count);
}
EXPORT_SYMBOL(sized_strscpy);
#else
ssize_t strscpy(char *dest, const char *src, size_t count)
{
	return do_strscpy(dest, src, count);
}
EXPORT_SYMBOL(strscpy);

ssize_t strscpy_pad(char *dest, const char *src, size_t count)
{
	ssize_t written = do_strscpy(dest, src, count);

	if (written < 0 || written == count - 1)
		return written;
	memset(dest + written + 1, 0, count - written - 1);
	return written;
}
EXPORT_SYMBOL(strscpy_pad);

size_t strlcpy(char *dest, const char *src, size_t size)
{
	size_t ret = strlen(src);

	if (size) {
		size_t len = (ret >= size) ? size - 1 : ret;

		memcpy(dest, src, len);
		dest[len] = '\0';
	}
	return ret;
}
EXPORT_SYMBOL(strlcpy);
#endif

char *strcat(char *dest, const char *src)
{
	strcpy(dest + strlen(dest), src);
	return dest;
}
EXPORT_SYMBOL(strcat);

char *strncat(char *dest, const char *src, size_t count)
{
	char *d = dest + strlen(dest);

	while (count-- && *src)
		*d++ = *src++;
	*d = '\0';
	return dest;
}
EXPORT_SYMBOL(strncat);

size_t strlcat(char *dest, const char *src, size_t count)
{
	size_t dsize = strlen(dest);
	size_t len = strlen(src);
	size_t res = dsize + len;

	if (dsize >= count)
		return res;
	dest += dsize;
	count -= dsize;
	if (len >= count)
		len = count - 1;
	memcpy(dest, src, len);
	dest[len] = 0;
	return res;
}
EXPORT_SYMBOL(strlcat);

int strcmp(const char *a, const char *b)
{
	unsigned char c1, c2;

	do {
		c1 = *a++;
		c2 = *b++;
		if (c1 != c2)
			return c1 < c2 ? -1 : 1;
	} while (c1);
	return 0;
}
EXPORT_SYMBOL(strcmp);

int strncmp(const char *a, const char *b, size_t count)
{
	unsigned char c1, c2;

	while (count--) {
		c1 = *a++;
		c2 = *b++;
		if (c1 != c2)
			return c1 < c2 ? -1 : 1;
		if (!c1)
			break;
	}
	return 0;
}
EXPORT_SYMBOL(strncmp);

int strcasecmp(const char *a, const char *b)
{
	int c1, c2;

	do {
		c1 = tolower(*a++);
		c2 = tolower(*b++);
	} while (c1 == c2 && c1 != 0);
	return c1 - c2;
}
EXPORT_SYMBOL(strcasecmp);

int strncasecmp(const char *a, const char *b, size_t len)
{
	unsigned char c1, c2;

	if (!len)
		return 0;
	do {
		c1 = *a++;
		c2 = *b++;
		if (!c1 || !c2)
			break;
		if (c1 == c2)
			continue;
		c1 = tolower(c1);
		c2 = tolower(c2);
		if (c1 != c2)
			break;
	} while (--len);
	return (int)c1 - (int)c2;
}
EXPORT_SYMBOL(strncasecmp);

char *strchr(const char *s, int c)
{
	for (; *s != (char)c; ++s)
		if (*s == '\0')
			return NULL;
	return (char *)s;
}
EXPORT_SYMBOL(strchr);

char *strchrnul(const char *s, int c)
{
	while (*s && *s != (char)c)
		s++;
	return (char *)s;
}
EXPORT_SYMBOL(strchrnul);

char *strnchr(const char *s, size_t count, int c)
{
	while (count--) {
		if (*s == (char)c)
			return (char *)s;
		if (*s++ == '\0')
			break;
	}
	return NULL;
}
EXPORT_SYMBOL(strnchr);

char *strrchr(const char *s, int c)
{
	const char *last = NULL;

	do {
		if (*s == (char)c)
			last = s;
	} while (*s++);
	return (char *)last;
}
EXPORT_SYMBOL(strrchr);

char *strstr(const char *s1, const char *s2)
{
	size_t l1, l2 = strlen(s2);

	if (!l2)
		return (char *)s1;
	l1 = strlen(s1);
	while (l1 >= l2) {
		l1--;
		if (!memcmp(s1, s2, l2))
			return (char *)s1;
		s1++;
	}
	return NULL;
}
EXPORT_SYMBOL(strstr);

char *strnstr(const char *s1, const char *s2, size_t len)
{
	size_t l2 = strlen(s2);

	if (!l2)
		return (char *)s1;
	while (len >= l2) {
		len--;
		if (!memcmp(s1, s2, l2))
			return (char *)s1;
		s1++;
	}
	return NULL;
}
EXPORT_SYMBOL(strnstr);

size_t strspn(const char *s, const char *accept)
{
	const char *p;

	for (p = s; *p != '\0'; ++p)
		if (!strchr(accept, *p))
			break;
	return p - s;
}
EXPORT_SYMBOL(strspn);

size_t strcspn(const char *s, const char *reject)
{
	const char *p;

	for (p = s; *p != '\0'; ++p)
		if (strchr(reject, *p))
			break;
	return p - s;
}
EXPORT_SYMBOL(strcspn);

char *strpbrk(const char *cs, const char *ct)
{
	for (; *cs != '\0'; ++cs)
		if (strchr(ct, *cs))
			return (char *)cs;
	return NULL;
}
EXPORT_SYMBOL(strpbrk);

char *strsep(char **s, const char *ct)
{
	char *sbegin = *s, *end;

	if (!sbegin)
		return NULL;
	end = strpbrk(sbegin, ct);
	if (end)
		*end++ = '\0';
	*s = end;
	return sbegin;
}
EXPORT_SYMBOL(strsep);

char *skip_spaces(const char *str)
{
	while (isspace(*str))
		++str;
	return (char *)str;
}
EXPORT_SYMBOL(skip_spaces);

char *strim(char *s)
{
	size_t size = strlen(s);
	char *end;

	if (!size)
		return s;
	end = s + size - 1;
	while (end >= s && isspace(*end))
		end--;
	*(end + 1) = '\0';
	return skip_spaces(s);
}
EXPORT_SYMBOL(strim);

char *strreplace(char *str, char old, char new)
{
	for (; *str; ++str)
		if (*str == old)
			*str = new;
	return str;
}
EXPORT_SYMBOL(strreplace);

bool sysfs_streq(const char *s1, const char *s2)
{
	while (*s1 && *s1 == *s2) {
		s1++;
		s2++;
	}
	if (*s1 == *s2)
		return true;
	if (!*s1 && *s2 == '\n' && !s2[1])
		return true;
	if (*s1 == '\n' && !s1[1] && !*s2)
		return true;
	return false;
}
EXPORT_SYMBOL(sysfs_streq);

int match_string(const char * const *array, size_t n, const char *string)
{
	for (size_t index = 0; index < n; index++) {
		if (!array[index])
			break;
		if (!strcmp(array[index], string))
			return index;
	}
	return -EINVAL;
}
EXPORT_SYMBOL(match_string);

int __sysfs_match_string(const char * const *array, size_t n, const char *str)
{
	for (size_t index = 0; index < n; index++) {
		if (!array[index])
			continue;
		if (sysfs_streq(array[index], str))
			return index;
	}
	return -EINVAL;
}
EXPORT_SYMBOL(__sysfs_match_string);

const unsigned char _ctype[] = {
	_C, _C, _C, _C, _C, _C, _C, _C,
	_C, _C | _S, _C | _S, _C | _S, _C | _S, _C | _S, _C, _C,
	_C, _C, _C, _C, _C, _C, _C, _C,
	_C, _C, _C, _C, _C, _C, _C, _C,
	_S | _SP, _P, _P, _P, _P, _P, _P, _P,
	_P, _P, _P, _P, _P, _P, _P, _P,
	_D, _D, _D, _D, _D, _D, _D, _D,
	_D, _D, _P, _P, _P, _P, _P, _P,
	_P, _U | _X, _U | _X, _U | _X, _U | _X, _U | _X, _U | _X, _U,
	_U, _U, _U, _U, _U, _U, _U, _U,
	_U, _U, _U, _U, _U, _U, _U, _U,
	_U, _U, _U, _P, _P, _P, _P, _P,
	_P, _L | _X, _L | _X, _L | _X, _L | _X, _L | _X, _L | _X, _L,
	_L, _L, _L, _L, _L, _L, _L, _L,
	_L, _L, _L, _L, _L, _L, _L, _L,
	_L, _L, _L, _P, _P, _P, _P, _C,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	_S | _SP, _P, _P, _P, _P, _P, _P, _P, _P, _P, _P, _P, _P, _P, _P, _P,
	_P, _P, _P, _P, _P, _P, _P, _P, _P, _P, _P, _P, _P, _P, _P, _P,
	_U, _U, _U, _U, _U, _U, _U, _U, _U, _U, _U, _U, _U, _U, _U, _U,
	_U, _U, _U, _U, _U, _U, _U, _P, _U, _U, _U, _U, _U, _U, _U, _L,
	_L, _L, _L, _L, _L, _L, _L, _L, _L, _L, _L, _L, _L, _L, _L, _L,
	_L, _L, _L, _L, _L, _L, _L, _P, _L, _L, _L, _L, _L, _L, _L, _L
};
EXPORT_SYMBOL(_ctype);

/* Fortified string functions found an overflow: the kernel panics. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
void __fortify_report(const u8 reason, const size_t avail, const size_t size)
{
	kapi_logf(LOGLEVEL_ERR, "detected buffer overflow in a string function (reason %u, "
		  "%zu available, %zu wanted)", reason, avail, size);
}
EXPORT_SYMBOL(__fortify_report);

void __fortify_panic(const u8 reason, const size_t avail, const size_t size)
{
	__fortify_report(reason, avail, size);
	HOSTCALL(fatal, "fortify: buffer overflow detected");
	for (;;)
		;
}
EXPORT_SYMBOL(__fortify_panic);
#else
void fortify_panic(const char *name)
{
	kapi_logf(LOGLEVEL_EMERG, "detected buffer overflow in %s", name);
	HOSTCALL(fatal, "fortify: buffer overflow detected");
	for (;;)
		;
}
EXPORT_SYMBOL(fortify_panic);
#endif

