// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Numbers from text with the kernel's rules (lib/kstrtox.c describes
 * them): kstrto* (a base prefix, one trailing newline, ERANGE on
 * overflow), simple_strto*, and sscanf.
 */
#include <linux/kernel.h>
#include <linux/ctype.h>
#include <linux/string.h>
#include <linux/errno.h>
#include <linux/export.h>
#include <linux/limits.h>
#include <linux/math64.h>
#include <linux/uaccess.h>
#include "kapi.h"

static unsigned int fixup_radix(const char **s, unsigned int base)
{
	if (base == 0) {
		if ((*s)[0] == '0') {
			if (_tolower((*s)[1]) == 'x' && isxdigit((*s)[2]))
				base = 16;
			else
				base = 8;
		} else {
			base = 10;
		}
	}
	if (base == 16 && (*s)[0] == '0' && _tolower((*s)[1]) == 'x')
		*s += 2;
	return base;
}

/* Digits parsed; *overflow set when the value does not fit 64 bits. */
static unsigned int parse_digits(const char *s, unsigned int base, unsigned long long *p,
				 bool *overflow, size_t max)
{
	unsigned long long res = 0;
	unsigned int rv = 0;

	*overflow = false;
	while (rv < max) {
		unsigned int c = s[rv], val;

		if (c >= '0' && c <= '9')
			val = c - '0';
		else if (_tolower(c) >= 'a' && _tolower(c) <= 'f')
			val = _tolower(c) - 'a' + 10;
		else
			break;
		if (val >= base)
			break;
		if (res > div_u64(ULLONG_MAX - val, base))
			*overflow = true;
		res = res * base + val;
		rv++;
	}
	*p = res;
	return rv;
}

static int kstrtoull_raw(const char *s, unsigned int base, unsigned long long *res)
{
	unsigned long long v;
	bool overflow;
	unsigned int n;

	base = fixup_radix(&s, base);
	n = parse_digits(s, base, &v, &overflow, SIZE_MAX);
	if (overflow)
		return -ERANGE;
	if (n == 0)
		return -EINVAL;
	s += n;
	if (*s == '\n')
		s++;
	if (*s)
		return -EINVAL;
	*res = v;
	return 0;
}

int kstrtoull(const char *s, unsigned int base, unsigned long long *res)
{
	if (s[0] == '+')
		s++;
	return kstrtoull_raw(s, base, res);
}
EXPORT_SYMBOL(kstrtoull);

int kstrtoll(const char *s, unsigned int base, long long *res)
{
	unsigned long long tmp;
	int rv;

	if (s[0] == '-') {
		rv = kstrtoull_raw(s + 1, base, &tmp);
		if (rv < 0)
			return rv;
		if ((long long)-tmp > 0)
			return -ERANGE;
		*res = -tmp;
	} else {
		rv = kstrtoull(s, base, &tmp);
		if (rv < 0)
			return rv;
		if ((long long)tmp < 0)
			return -ERANGE;
		*res = tmp;
	}
	return 0;
}
EXPORT_SYMBOL(kstrtoll);

int _kstrtoul(const char *s, unsigned int base, unsigned long *res)
{
	unsigned long long tmp;
	int rv = kstrtoull(s, base, &tmp);

	if (rv < 0)
		return rv;
	*res = tmp;
	return 0;
}
EXPORT_SYMBOL(_kstrtoul);

int _kstrtol(const char *s, unsigned int base, long *res)
{
	long long tmp;
	int rv = kstrtoll(s, base, &tmp);

	if (rv < 0)
		return rv;
	*res = tmp;
	return 0;
}
EXPORT_SYMBOL(_kstrtol);

#define KSTRTO_UNSIGNED(name, type, max)					\
int name(const char *s, unsigned int base, type *res)			\
{									\
	unsigned long long tmp;						\
	int rv = kstrtoull(s, base, &tmp);				\
	if (rv < 0)							\
		return rv;						\
	if (tmp > (max))						\
		return -ERANGE;						\
	*res = tmp;							\
	return 0;							\
}									\
EXPORT_SYMBOL(name)

#define KSTRTO_SIGNED(name, type, min, max)				\
int name(const char *s, unsigned int base, type *res)			\
{									\
	long long tmp;							\
	int rv = kstrtoll(s, base, &tmp);				\
	if (rv < 0)							\
		return rv;						\
	if (tmp < (min) || tmp > (max))					\
		return -ERANGE;						\
	*res = tmp;							\
	return 0;							\
}									\
EXPORT_SYMBOL(name)

KSTRTO_UNSIGNED(kstrtouint, unsigned int, UINT_MAX);
KSTRTO_UNSIGNED(kstrtou16, u16, U16_MAX);
KSTRTO_UNSIGNED(kstrtou8, u8, U8_MAX);
KSTRTO_SIGNED(kstrtoint, int, INT_MIN, INT_MAX);
KSTRTO_SIGNED(kstrtos16, s16, S16_MIN, S16_MAX);
KSTRTO_SIGNED(kstrtos8, s8, S8_MIN, S8_MAX);

int kstrtobool(const char *s, bool *res)
{
	if (!s)
		return -EINVAL;
	switch (s[0]) {
	case 'y':
	case 'Y':
	case 't':
	case 'T':
	case '1':
		*res = true;
		return 0;
	case 'n':
	case 'N':
	case 'f':
	case 'F':
	case '0':
		*res = false;
		return 0;
	case 'o':
	case 'O':
		switch (s[1]) {
		case 'n':
		case 'N':
			*res = true;
			return 0;
		case 'f':
		case 'F':
			*res = false;
			return 0;
		}
		break;
	}
	return -EINVAL;
}
EXPORT_SYMBOL(kstrtobool);

#define KSTRTO_FROM_USER(f, g, type)					\
int f(const char __user *s, size_t count, unsigned int base, type *res)	\
{									\
	char buf[1 + sizeof(unsigned long long) * 8 + 1 + 1];		\
	count = min(count, sizeof(buf) - 1);				\
	if (copy_from_user(buf, s, count))				\
		return -EFAULT;						\
	buf[count] = '\0';						\
	return g(buf, base, res);					\
}									\
EXPORT_SYMBOL(f)

KSTRTO_FROM_USER(kstrtoull_from_user, kstrtoull, unsigned long long);
KSTRTO_FROM_USER(kstrtoll_from_user, kstrtoll, long long);
KSTRTO_FROM_USER(kstrtoul_from_user, _kstrtoul, unsigned long);
KSTRTO_FROM_USER(kstrtol_from_user, _kstrtol, long);
KSTRTO_FROM_USER(kstrtouint_from_user, kstrtouint, unsigned int);
KSTRTO_FROM_USER(kstrtoint_from_user, kstrtoint, int);
KSTRTO_FROM_USER(kstrtou8_from_user, kstrtou8, u8);

int kstrtobool_from_user(const char __user *s, size_t count, bool *res)
{
	char buf[4] = { 0 };

	count = min(count, sizeof(buf) - 1);
	if (copy_from_user(buf, s, count))
		return -EFAULT;
	return kstrtobool(buf, res);
}
EXPORT_SYMBOL(kstrtobool_from_user);

unsigned long long simple_strtoull(const char *cp, char **endp, unsigned int base)
{
	unsigned long long v;
	bool overflow;

	base = fixup_radix(&cp, base);
	cp += parse_digits(cp, base, &v, &overflow, SIZE_MAX);
	if (endp)
		*endp = (char *)cp;
	return v;
}
EXPORT_SYMBOL(simple_strtoull);

unsigned long simple_strtoul(const char *cp, char **endp, unsigned int base)
{
	return simple_strtoull(cp, endp, base);
}
EXPORT_SYMBOL(simple_strtoul);

long long simple_strtoll(const char *cp, char **endp, unsigned int base)
{
	if (*cp == '-')
		return -simple_strtoull(cp + 1, endp, base);
	return simple_strtoull(cp, endp, base);
}
EXPORT_SYMBOL(simple_strtoll);

long simple_strtol(const char *cp, char **endp, unsigned int base)
{
	return simple_strtoll(cp, endp, base);
}
EXPORT_SYMBOL(simple_strtol);

/* ---- sscanf ---- */

int vsscanf(const char *buf, const char *fmt, va_list args)
{
	const char *str = buf;
	int num = 0;

	while (*fmt) {
		bool suppress = false, is_sign = false;
		int width = -1, base = 10;
		char qual = 0;

		if (isspace(*fmt)) {
			fmt = skip_spaces(++fmt);
			str = skip_spaces(str);
		}
		if (*fmt != '%' && *fmt) {
			if (*fmt++ != *str++)
				break;
			continue;
		}
		if (!*fmt)
			break;
		fmt++;
		if (*fmt == '*') {
			suppress = true;
			fmt++;
		}
		if (isdigit(*fmt)) {
			width = 0;
			while (isdigit(*fmt))
				width = width * 10 + (*fmt++ - '0');
			if (width <= 0)
				break;
		}
		if (*fmt == 'h' || _tolower(*fmt) == 'l' || _tolower(*fmt) == 'z' || *fmt == 't' ||
		    *fmt == 'j') {
			qual = *fmt++;
			if (qual == *fmt) {
				if (qual == 'h') {
					qual = 'H';
					fmt++;
				} else if (qual == 'l') {
					qual = 'L';
					fmt++;
				}
			}
		}
		if (!*fmt)
			break;
		if (*fmt == 'n') {
			if (!suppress)
				*va_arg(args, int *) = str - buf;
			fmt++;
			continue;
		}
		if (!*str)
			break;
		switch (*fmt++) {
		case 'c': {
			char *s = suppress ? NULL : va_arg(args, char *);

			if (width == -1)
				width = 1;
			do {
				if (s)
					*s++ = *str;
				str++;
			} while (--width > 0 && *str);
			if (!suppress)
				num++;
			continue;
		}
		case 's': {
			char *s = suppress ? NULL : va_arg(args, char *);

			if (width == -1)
				width = SHRT_MAX;
			str = skip_spaces(str);
			while (*str && !isspace(*str) && width-- > 0) {
				if (s)
					*s++ = *str;
				str++;
			}
			if (s)
				*s = '\0';
			if (!suppress)
				num++;
			continue;
		}
		case 'o':
			base = 8;
			break;
		case 'x':
		case 'X':
			base = 16;
			break;
		case 'i':
			base = 0;
			fallthrough;
		case 'd':
			is_sign = true;
			fallthrough;
		case 'u':
			break;
		case '%':
			if (*str++ != '%')
				return num;
			continue;
		default:
			return num;
		}
		/* a number */
		{
			unsigned long long v;
			bool neg = false, overflow;
			const char *p = skip_spaces(str);
			size_t max = width < 0 ? SIZE_MAX : width;
			unsigned int b = base, n;

			if (is_sign && *p == '-') {
				neg = true;
				p++;
				max = max ? max - 1 : 0;
			}
			if (!isdigit(*p) && !(b == 16 && isxdigit(*p)))
				return num;
			{
				const char *q = p;

				b = fixup_radix(&q, b);
				if (q != p) {
					max = max >= (size_t)(q - p) ? max - (q - p) : 0;
					p = q;
				}
			}
			n = parse_digits(p, b, &v, &overflow, max);
			if (n == 0)
				return num;
			str = p + n;
			if (neg)
				v = -v;
			if (suppress)
				continue;
			switch (qual) {
			case 'H':
				*va_arg(args, u8 *) = v;
				break;
			case 'h':
				*va_arg(args, u16 *) = v;
				break;
			case 'l':
			case 'z':
			case 'Z':
			case 't':
				*va_arg(args, unsigned long *) = v;
				break;
			case 'L':
			case 'j':
				*va_arg(args, unsigned long long *) = v;
				break;
			default:
				*va_arg(args, unsigned int *) = v;
				break;
			}
			num++;
		}
	}
	return num;
}
EXPORT_SYMBOL(vsscanf);

int sscanf(const char *buf, const char *fmt, ...)
{
	va_list args;
	int i;

	va_start(args, fmt);
	i = vsscanf(buf, fmt, args);
	va_end(args);
	return i;
}
EXPORT_SYMBOL(sscanf);
