/* One timed run for scripts/bench.py: vfork + exec ARGV with stdout and
 * stderr on /dev/null, wait4; prints "<wall ns> <peak RSS KiB> <exit status>".
 * A small C parent, because a child's ru_maxrss counts the memory of the
 * process it was forked from until its exec: forked from Python, every
 * tool would show at least Python's RSS. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	struct rusage ru;
	int status = 0, null;
	pid_t pid;

	if (argc < 2)
		return 2;
	null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = vfork();
	if (pid == 0) {
		dup2(null, 1);
		dup2(null, 2);
		execv(argv[1], argv + 1);
		_exit(127);
	}
	if (pid < 0 || wait4(pid, &status, 0, &ru) < 0)
		return 2;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%lld %ld %d\n",
	       (long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec),
	       ru.ru_maxrss, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return 0;
}
