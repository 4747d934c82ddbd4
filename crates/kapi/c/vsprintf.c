// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Formatting and parsing with the kernel's conventions (lib/vsprintf.c and
 * lib/kstrtox.c describe them): printk formats including the %p
 * extensions that matter for text, sscanf, kstrto*, simple_strto*.
 * Written from the documented behaviour: "%#x" of 0 is "0x0", a number's
 * precision never drops its last digit, an unknown conversion ends the
 * output, NULL strings print "(null)".
 */
#include <linux/version.h>
#include <linux/kernel.h>
#include <linux/ctype.h>
#include <linux/string.h>
#include <linux/slab.h>
#include <linux/errno.h>
#include <linux/export.h>
#include <linux/limits.h>
#include <linux/uaccess.h>
#include <linux/printk.h>
#include "kapi.h"

#define F_LEFT	1
#define F_PLUS	2
#define F_SPACE	4
#define F_SPECIAL 8
#define F_ZERO	16
#define F_SIGN	32
#define F_UPPER	64

struct out {
	char *buf;
	size_t size;
	size_t len;	/* what the whole output needs */
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void pad(struct out *o, int n, char c)
{
	while (n-- > 0)
		put(o, c);
}

static void emit_str(struct out *o, const char *s, int width, int prec, int flags)
{
	int n = 0;

	if (!s)
		s = "(null)";
	else if ((unsigned long)s < PAGE_SIZE)
		s = "(efault)";
	while ((prec < 0 || n < prec) && s[n])
		n++;
	if (!(flags & F_LEFT))
		pad(o, width - n, ' ');
	for (int i = 0; i < n; i++)
		put(o, s[i]);
	if (flags & F_LEFT)
		pad(o, width - n, ' ');
}

static void emit_num(struct out *o, unsigned long long num, int base, int width, int prec,
		     int flags)
{
	const char *digits = (flags & F_UPPER) ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[66];
	char sign = 0;
	int i = 0, size = width;
	bool pfx = (flags & F_SPECIAL) && base != 10;

	if (flags & F_SIGN) {
		if ((long long)num < 0) {
			sign = '-';
			num = -(long long)num;
		} else if (flags & F_PLUS) {
			sign = '+';
		} else if (flags & F_SPACE) {
			sign = ' ';
		}
		if (sign)
			size--;
	}
	if (pfx) {
		if (base == 16)
			size -= 2;
		else if (num != 0)
			size--;
	}
	if (num == 0)
		tmp[i++] = '0';
	while (num) {
		tmp[i++] = digits[num % base];
		num /= base;
	}
	if (i > prec)
		prec = i;
	size -= prec;
	if (!(flags & (F_ZERO | F_LEFT)))
		pad(o, size, ' '), size = 0;
	if (sign)
		put(o, sign);
	if (pfx) {
		if (base == 16) {
			put(o, '0');
			put(o, (flags & F_UPPER) ? 'X' : 'x');
		} else if (tmp[i - 1] != '0' || i > 1) {
			put(o, '0');
		}
	}
	if (!(flags & F_LEFT))
		pad(o, size, (flags & F_ZERO) ? '0' : ' '), size = 0;
	pad(o, prec - i, '0');
	while (i > 0)
		put(o, tmp[--i]);
	pad(o, size, ' ');
}

/* %pe: the errno's name, as the kernel spells it */
static const char *errname(int err)
{
	static const char *const names[] = {
		[EPERM] = "EPERM", [ENOENT] = "ENOENT", [ESRCH] = "ESRCH", [EINTR] = "EINTR",
		[EIO] = "EIO", [ENXIO] = "ENXIO", [E2BIG] = "E2BIG", [ENOEXEC] = "ENOEXEC",
		[EBADF] = "EBADF", [ECHILD] = "ECHILD", [EAGAIN] = "EAGAIN", [ENOMEM] = "ENOMEM",
		[EACCES] = "EACCES", [EFAULT] = "EFAULT", [EBUSY] = "EBUSY", [EEXIST] = "EEXIST",
		[EXDEV] = "EXDEV", [ENODEV] = "ENODEV", [ENOTDIR] = "ENOTDIR", [EISDIR] = "EISDIR",
		[EINVAL] = "EINVAL", [ENFILE] = "ENFILE", [EMFILE] = "EMFILE", [ENOTTY] = "ENOTTY",
		[EFBIG] = "EFBIG", [ENOSPC] = "ENOSPC", [ESPIPE] = "ESPIPE", [EROFS] = "EROFS",
		[EPIPE] = "EPIPE", [EDOM] = "EDOM", [ERANGE] = "ERANGE", [EDEADLK] = "EDEADLK",
		[ENAMETOOLONG] = "ENAMETOOLONG", [ENOSYS] = "ENOSYS", [ENOTEMPTY] = "ENOTEMPTY",
		[ENODATA] = "ENODATA", [ETIME] = "ETIME", [EPROTO] = "EPROTO",
		[EOVERFLOW] = "EOVERFLOW", [EOPNOTSUPP] = "EOPNOTSUPP", [ETIMEDOUT] = "ETIMEDOUT",
		[ECANCELED] = "ECANCELED",
	};
	int e = err < 0 ? -err : err;
	static char buf[2][16];

	if (e > 0 && e < ARRAY_SIZE(names) && names[e]) {
		char *b = buf[e & 1];

		snprintf(b, sizeof(buf[0]), "%s%s", err < 0 ? "-" : "", names[e]);
		return b;
	}
	return NULL;
}

/* A pointer's printable id: stable within a run, not the address. */
static unsigned long ptr_id(const void *p)
{
	static unsigned long key;
	unsigned long v = (unsigned long)p;

	if (!key) {
		get_random_bytes(&key, sizeof(key));
		key |= 1;
	}
	v ^= key;
	v *= 0x9e3779b97f4a7c15UL;
	return (v ^ (v >> 29)) & 0xffffffffUL;
}

/* %pS "name+0x1c/0x40 [mod]", %ps "name [mod]", %pB (a return address:
 * its call site's symbol, offset as given); unknown: the raw address. */
static void emit_symbol(struct out *o, const void *p, char kind, int width, int flags)
{
	char sym[256];
	long mode = kind == 's' ? KAPI_SYM_NO_OFFSET : kind == 'B' ? KAPI_SYM_BACKTRACE : 0;

	if (HOSTCALL(symbolize, (unsigned long)p, sym, sizeof(sym), mode) > 0) {
		emit_str(o, sym, width, -1, flags);
		return;
	}
	put(o, '0');
	put(o, 'x');
	emit_num(o, (unsigned long)p, 16, 0, 0, 0);
}

static int do_vsnprintf(struct out *o, const char *fmt, va_list ap);

/* %p and its extensions; returns the format characters consumed after 'p'. */
static int emit_pointer(struct out *o, const char *fmt, const void *p, int width, int prec,
			int flags)
{
	switch (*fmt) {
	case 'S':
	case 's':
	case 'B':
	case 'F':
	case 'f': {
		int n = 1;

		while (fmt[n] == 'R' || fmt[n] == 'b')
			n++;
		emit_symbol(o, p, *fmt == 'F' ? 'S' : *fmt == 'f' ? 's' : *fmt, width, flags);
		return n;
	}
	case 'x':
		emit_num(o, (unsigned long)p, 16, width < 0 ? 16 : width, -1, F_ZERO | flags);
		return 1;
	case 'e': {
		long err = (long)p;
		const char *name = IS_ERR(p) ? errname((int)err) : NULL;

		if (name)
			emit_str(o, name, width, -1, flags);
		else
			emit_num(o, err, 10, width, -1, F_SIGN | flags);
		return 1;
	}
	case 'V': {
		const struct va_format *vf = p;
		va_list va;

		if (!p) {
			emit_str(o, "(null)", width, -1, flags);
			return 1;
		}
		va_copy(va, *vf->va);
		do_vsnprintf(o, vf->fmt, va);
		va_end(va);
		return 1;
	}
	case 'a': {
		int n = 1;

		if (fmt[1] == 'd' || fmt[1] == 'p')
			n = 2;
		put(o, '0');
		put(o, 'x');
		emit_num(o, p ? *(const u64 *)p : 0, 16, 16, -1, F_ZERO);
		return n;
	}
	case 'h': {
		const u8 *b = p;
		char sep = fmt[1] == 'C' ? ':' : fmt[1] == 'D' ? '-' : fmt[1] == 'N' ? 0 : ' ';
		int n = (fmt[1] == 'C' || fmt[1] == 'D' || fmt[1] == 'N') ? 2 : 1;
		int len = width < 0 ? 1 : min(width, 64);

		for (int i = 0; i < len && b; i++) {
			if (i && sep)
				put(o, sep);
			emit_num(o, b[i], 16, 2, -1, F_ZERO);
		}
		return n;
	}
	case 'M': {
		const u8 *b = p;
		int n = (fmt[1] == 'F' || fmt[1] == 'R') ? 2 : 1;

		for (int i = 0; i < 6; i++) {
			if (i)
				put(o, fmt[1] == 'F' ? '-' : ':');
			emit_num(o, b[fmt[1] == 'R' ? 5 - i : i], 16, 2, -1, F_ZERO);
		}
		return n;
	}
	case 'I':
	case 'i':
		if (fmt[1] == '4') {
			const u8 *b = p;

			for (int i = 0; i < 4; i++) {
				if (i)
					put(o, '.');
				emit_num(o, b[i], 10, *fmt == 'i' ? 3 : 0, -1,
					 *fmt == 'i' ? F_ZERO : 0);
			}
			return 2;
		}
		break;
	case 'K':
	default:
		break;
	}
	/* plain %p (and %pK): a hashed id, as the kernel prints it */
	{
		int n = (*fmt == 'K') ? 1 : 0;

		/* an unknown extension letter is skipped like the kernel does */
		while (isalnum(fmt[n]) && *fmt != 'K')
			n++;
		emit_num(o, ptr_id(p), 16, 16, -1, F_ZERO);
		return n;
	}
}

static int do_vsnprintf(struct out *o, const char *fmt, va_list ap)
{
	while (*fmt) {
		int flags = 0, width = -1, prec = -1, base = 10;
		char qual = 0;
		unsigned long long num;

		if (*fmt != '%') {
			put(o, *fmt++);
			continue;
		}
		fmt++;
		for (;; fmt++) {
			if (*fmt == '-')
				flags |= F_LEFT;
			else if (*fmt == '+')
				flags |= F_PLUS;
			else if (*fmt == ' ')
				flags |= F_SPACE;
			else if (*fmt == '#')
				flags |= F_SPECIAL;
			else if (*fmt == '0')
				flags |= F_ZERO;
			else
				break;
		}
		if (*fmt == '*') {
			width = va_arg(ap, int);
			if (width < 0) {
				flags |= F_LEFT;
				width = -width;
			}
			fmt++;
		} else if (isdigit(*fmt)) {
			width = 0;
			while (isdigit(*fmt))
				width = width * 10 + (*fmt++ - '0');
		}
		if (*fmt == '.') {
			fmt++;
			if (*fmt == '*') {
				prec = va_arg(ap, int);
				fmt++;
			} else {
				prec = 0;
				while (isdigit(*fmt))
					prec = prec * 10 + (*fmt++ - '0');
			}
			if (prec < 0)
				prec = 0;
		}
		if (flags & F_LEFT)
			flags &= ~F_ZERO;
		if (*fmt == 'h' || *fmt == 'l' || *fmt == 'L' || *fmt == 'z' || *fmt == 'Z' ||
		    *fmt == 't' || *fmt == 'j') {
			qual = *fmt++;
			if (qual == 'h' && *fmt == 'h') {
				qual = 'H';
				fmt++;
			} else if (qual == 'l' && *fmt == 'l') {
				qual = 'L';
				fmt++;
			}
		}
		switch (*fmt) {
		case 'c': {
			char c = (char)va_arg(ap, int);

			if (!(flags & F_LEFT))
				pad(o, width - 1, ' ');
			put(o, c);
			if (flags & F_LEFT)
				pad(o, width - 1, ' ');
			fmt++;
			continue;
		}
		case 's':
			emit_str(o, va_arg(ap, const char *), width, prec, flags);
			fmt++;
			continue;
		case 'p':
			fmt++;
			fmt += emit_pointer(o, fmt, va_arg(ap, const void *), width, prec, flags);
			continue;
		case '%':
			put(o, '%');
			fmt++;
			continue;
		case 'n':
			/* not supported by the kernel either: consumes the argument */
			(void)va_arg(ap, void *);
			fmt++;
			continue;
		case 'o':
			base = 8;
			break;
		case 'X':
			flags |= F_UPPER;
			fallthrough;
		case 'x':
			base = 16;
			break;
		case 'd':
		case 'i':
			flags |= F_SIGN;
			break;
		case 'u':
			break;
		default:
			/* the kernel stops at a conversion it does not know */
			return 0;
		}
		fmt++;
		switch (qual) {
		case 'L':
		case 'j':
			num = va_arg(ap, unsigned long long);
			break;
		case 'l':
		case 'z':
		case 'Z':
		case 't':
			num = va_arg(ap, unsigned long);
			if (flags & F_SIGN)
				num = (long)num;
			break;
		case 'h':
			num = (unsigned short)va_arg(ap, int);
			if (flags & F_SIGN)
				num = (short)num;
			break;
		case 'H':
			num = (unsigned char)va_arg(ap, int);
			if (flags & F_SIGN)
				num = (signed char)num;
			break;
		default:
			num = va_arg(ap, unsigned int);
			if (flags & F_SIGN)
				num = (int)num;
			break;
		}
		emit_num(o, num, base, width, prec, flags);
	}
	return 0;
}

int kapi_vsnprintf(char *buf, size_t size, const char *fmt, va_list args)
{
	struct out o = { .buf = buf, .size = size, .len = 0 };
	va_list ap;

	if (WARN_ON_ONCE(size > INT_MAX))
		return 0;
	va_copy(ap, args);
	do_vsnprintf(&o, fmt, ap);
	va_end(ap);
	if (size)
		buf[min(o.len, size - 1)] = 0;
	return o.len;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list args)
{
	return kapi_vsnprintf(buf, size, fmt, args);
}
EXPORT_SYMBOL(vsnprintf);

int vscnprintf(char *buf, size_t size, const char *fmt, va_list args)
{
	int i = kapi_vsnprintf(buf, size, fmt, args);

	if (likely(i < size))
		return i;
	return size ? size - 1 : 0;
}
EXPORT_SYMBOL(vscnprintf);

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list args;
	int i;

	va_start(args, fmt);
	i = kapi_vsnprintf(buf, size, fmt, args);
	va_end(args);
	return i;
}
EXPORT_SYMBOL(snprintf);

int scnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list args;
	int i;

	va_start(args, fmt);
	i = vscnprintf(buf, size, fmt, args);
	va_end(args);
	return i;
}
EXPORT_SYMBOL(scnprintf);

int vsprintf(char *buf, const char *fmt, va_list args)
{
	return kapi_vsnprintf(buf, INT_MAX, fmt, args);
}
EXPORT_SYMBOL(vsprintf);

int sprintf(char *buf, const char *fmt, ...)
{
	va_list args;
	int i;

	va_start(args, fmt);
	i = kapi_vsnprintf(buf, INT_MAX, fmt, args);
	va_end(args);
	return i;
}
EXPORT_SYMBOL(sprintf);

char *kvasprintf(gfp_t gfp, const char *fmt, va_list ap)
{
	int len = kapi_vsnprintf(NULL, 0, fmt, ap);
	char *p = kmalloc(len + 1, gfp);

	if (p)
		kapi_vsnprintf(p, len + 1, fmt, ap);
	return p;
}
EXPORT_SYMBOL(kvasprintf);

const char *kvasprintf_const(gfp_t gfp, const char *fmt, va_list ap)
{
	return kvasprintf(gfp, fmt, ap);
}
EXPORT_SYMBOL(kvasprintf_const);

char *kasprintf(gfp_t gfp, const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = kvasprintf(gfp, fmt, ap);
	va_end(ap);
	return p;
}
EXPORT_SYMBOL(kasprintf);
