/* Shared by the state helper's C test programs: a log function that
 * prints libkmod's messages on stdout, so they are compared too. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

static void log_to_stdout(void *data, int priority, const char *file, int line,
			  const char *fn, const char *format, va_list args)
{
	(void)data;
	(void)file;
	(void)line;
	(void)fn;
	printf("log<%d>: ", priority);
	vprintf(format, args);
	fflush(stdout);
}

static void quiet_ctx(struct kmod_ctx *ctx)
{
	kmod_set_log_fn(ctx, log_to_stdout, NULL);
	/* LOG_INFO: errors and information, not debug (kmod's release builds
	 * have none) */
	kmod_set_log_priority(ctx, getenv("PRIO") ? atoi(getenv("PRIO")) : LOG_INFO);
}

static char *chomp(char *s)
{
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}
