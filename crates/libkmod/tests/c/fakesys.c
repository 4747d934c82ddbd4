/*
 * LD_PRELOAD shim for the libkmod state tests: paths under /sys/module and
 * the file /proc/modules are redirected below $FAKE_SYSROOT, so a test can
 * show both libraries (ours and the system's) the same made-up kernel
 * state. Only the calls either library makes for those paths are wrapped.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *redirect(const char *path, char *buf)
{
	const char *root = getenv("FAKE_SYSROOT");
	size_t n = strlen("/sys/module");

	if (root == NULL || path == NULL)
		return path;
	if ((strncmp(path, "/sys/module", n) == 0 && (path[n] == '\0' || path[n] == '/')) ||
	    strcmp(path, "/proc/modules") == 0) {
		snprintf(buf, PATH_MAX, "%s%s", root, path);
		return buf;
	}
	return path;
}

#define REAL(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))

static int mode_of(int flags, va_list ap)
{
	if (flags & (O_CREAT | O_TMPFILE))
		return va_arg(ap, int);
	return 0;
}

int open(const char *path, int flags, ...)
{
	char buf[PATH_MAX];
	va_list ap;
	int mode;

	va_start(ap, flags);
	mode = mode_of(flags, ap);
	va_end(ap);
	return REAL(open)(redirect(path, buf), flags, mode);
}

int open64(const char *path, int flags, ...)
{
	char buf[PATH_MAX];
	va_list ap;
	int mode;

	va_start(ap, flags);
	mode = mode_of(flags, ap);
	va_end(ap);
	return REAL(open64)(redirect(path, buf), flags, mode);
}

int openat(int dfd, const char *path, int flags, ...)
{
	char buf[PATH_MAX];
	va_list ap;
	int mode;

	va_start(ap, flags);
	mode = mode_of(flags, ap);
	va_end(ap);
	return REAL(openat)(dfd, redirect(path, buf), flags, mode);
}

int openat64(int dfd, const char *path, int flags, ...)
{
	char buf[PATH_MAX];
	va_list ap;
	int mode;

	va_start(ap, flags);
	mode = mode_of(flags, ap);
	va_end(ap);
	return REAL(openat64)(dfd, redirect(path, buf), flags, mode);
}

FILE *fopen(const char *path, const char *mode)
{
	char buf[PATH_MAX];
	return REAL(fopen)(redirect(path, buf), mode);
}

FILE *fopen64(const char *path, const char *mode)
{
	char buf[PATH_MAX];
	return REAL(fopen64)(redirect(path, buf), mode);
}

DIR *opendir(const char *path)
{
	char buf[PATH_MAX];
	return REAL(opendir)(redirect(path, buf));
}

int stat(const char *path, struct stat *st)
{
	char buf[PATH_MAX];
	return REAL(stat)(redirect(path, buf), st);
}

int stat64(const char *path, struct stat64 *st)
{
	char buf[PATH_MAX];
	return REAL(stat64)(redirect(path, buf), st);
}

int lstat(const char *path, struct stat *st)
{
	char buf[PATH_MAX];
	return REAL(lstat)(redirect(path, buf), st);
}

int lstat64(const char *path, struct stat64 *st)
{
	char buf[PATH_MAX];
	return REAL(lstat64)(redirect(path, buf), st);
}

int fstatat(int dfd, const char *path, struct stat *st, int flags)
{
	char buf[PATH_MAX];
	return REAL(fstatat)(dfd, redirect(path, buf), st, flags);
}

int fstatat64(int dfd, const char *path, struct stat64 *st, int flags)
{
	char buf[PATH_MAX];
	return REAL(fstatat64)(dfd, redirect(path, buf), st, flags);
}

int statx(int dfd, const char *path, int flags, unsigned int mask, struct statx *stx)
{
	char buf[PATH_MAX];
	return REAL(statx)(dfd, redirect(path, buf), flags, mask, stx);
}

int access(const char *path, int mode)
{
	char buf[PATH_MAX];
	return REAL(access)(redirect(path, buf), mode);
}
