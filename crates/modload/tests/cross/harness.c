/* Runs module images that modload relocated, under qemu-user. It reads a
 * plan, one step per line, and carries it out in order:
 *
 *   map BASE SIZE        map SIZE zeroed bytes at BASE (hex), read-write
 *   copy FILE ADDR       copy FILE's bytes to ADDR (a segment of an image)
 *   prot ADDR LEN MODE   protect: r, rw or rx (rx also syncs the i-cache)
 *   init NAME ADDR       call int ADDR(void), report what it returned
 *   procs                show the /proc files the modules created
 *   exit NAME ADDR       report, then call void ADDR(void)
 *
 * The modules' imports were bound by the test to this program's own
 * functions (host.c), found by name in its symbol table: it is linked
 * static and not position-independent, so those addresses are fixed.
 * Any failure prints "harness: ..." and exits 2. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "host.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

static void fail(const char *what, const char *arg)
{
	printf("harness: %s %s: %s\n", what, arg, strerror(errno));
	exit(2);
}

int main(int argc, char **argv)
{
	char line[4096], a[4000], mode[8];
	unsigned long long x, y;
	FILE *plan;

	if (argc != 2) {
		printf("usage: harness PLAN\n");
		return 2;
	}
	plan = fopen(argv[1], "r");
	if (!plan)
		fail("cannot open", argv[1]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (fgets(line, sizeof(line), plan)) {
		if (sscanf(line, "map %llx %llx", &x, &y) == 2) {
			size_t len = (y + 4095) & ~4095ULL;
			void *p = mmap((void *)x, len, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

			if (p == MAP_FAILED || p != (void *)x)
				fail("cannot map", line);
		} else if (sscanf(line, "copy %3999s %llx", a, &x) == 2) {
			FILE *f = fopen(a, "rb");
			long n;

			/* Exactly the file's size: the segment may end the mapping. */
			if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
				fail("cannot open", a);
			if (n && fread((void *)x, 1, (size_t)n, f) != (size_t)n)
				fail("cannot read", a);
			fclose(f);
		} else if (sscanf(line, "prot %llx %llx %7s", &x, &y, mode) == 3) {
			int prot = PROT_READ;

			if (!strcmp(mode, "rw"))
				prot |= PROT_WRITE;
			if (!strcmp(mode, "rx")) {
				prot |= PROT_EXEC;
				__builtin___clear_cache((char *)x, (char *)x + y);
			}
			if (mprotect((void *)x, (y + 4095) & ~4095ULL, prot))
				fail("cannot protect", line);
		} else if (sscanf(line, "init %3999s %llx", a, &x) == 2) {
			int (*init)(void) = (int (*)(void))x;

			host_report_init(a, init());
		} else if (sscanf(line, "exit %3999s %llx", a, &x) == 2) {
			void (*fn)(void) = (void (*)(void))x;

			host_report_exit(a);
			fn();
		} else if (!strncmp(line, "procs", 5)) {
			host_show_procs();
		} else {
			printf("harness: bad plan line: %s", line);
			return 2;
		}
	}
	fflush(stdout);
	return 0;
}
