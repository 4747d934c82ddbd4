/* lkq: ask libkmod questions, print the answers (no pointers), for
 * comparing two libkmod.so.2 builds byte for byte.
 *
 * usage: lkq DIRNAME|- CONFIG|-|default [LOGPRIO]   then commands on stdin, one per line:
 *   lookup:ALIAS  name:NAME  namelookup:NAME  path:PATH  filter:ALIAS
 *   config  dump:N  load  unload  validate  weak:NAME  same:NAME  mkfile:PATH
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libkmod.h"

static const char *s(const char *p) { return p ? p : "(null)"; }

static void log_to_stdout(void *data, int prio, const char *file, int line,
			  const char *fn, const char *format, va_list args)
{
	(void)data; (void)file; (void)line;
	printf("LOG %d %s: ", prio, fn);
	vprintf(format, args);
}

static void print_list(const char *tag, struct kmod_list *list)
{
	struct kmod_list *l;
	kmod_list_foreach(l, list) {
		struct kmod_module *m = kmod_module_get_module(l);
		printf("  %s %s path=%s\n", tag, kmod_module_get_name(m),
		       s(kmod_module_get_path(m)));
		kmod_module_unref(m);
	}
	/* walk backwards too: prev/last must agree */
	int n = 0;
	kmod_list_foreach_reverse(l, list) n++;
	if (list)
		printf("  %s-count %d\n", tag, n);
}

static void print_module(struct kmod_module *m)
{
	printf("mod %s path=%s options=%s install=%s remove=%s\n",
	       kmod_module_get_name(m), s(kmod_module_get_path(m)),
	       s(kmod_module_get_options(m)), s(kmod_module_get_install_commands(m)),
	       s(kmod_module_get_remove_commands(m)));
	struct kmod_list *deps = kmod_module_get_dependencies(m);
	print_list("dep", deps);
	kmod_module_unref_list(deps);
	struct kmod_list *pre = NULL, *post = NULL;
	int err = kmod_module_get_softdeps(m, &pre, &post);
	if (err < 0)
		printf("  softdeps err=%d\n", err);
	print_list("pre", pre);
	print_list("post", post);
	kmod_module_unref_list(pre);
	kmod_module_unref_list(post);
}

static void print_iter(const char *what, struct kmod_config_iter *it)
{
	if (it == NULL) {
		printf("%s: NULL\n", what);
		return;
	}
	printf("%s: key-before-next=%s\n", what, s(kmod_config_iter_get_key(it)));
	while (kmod_config_iter_next(it))
		printf("%s %s = %s\n", what, s(kmod_config_iter_get_key(it)),
		       s(kmod_config_iter_get_value(it)));
	printf("%s: after-end key=%s\n", what, s(kmod_config_iter_get_key(it)));
	kmod_config_iter_free_iter(it);
}

static void lookup(struct kmod_ctx *ctx, const char *alias, int filter)
{
	struct kmod_list *list = NULL, *l;
	int err = kmod_module_new_from_lookup(ctx, alias, &list);
	printf("lookup %s: err=%d\n", alias, err);
	if (!filter) {
		kmod_list_foreach(l, list) {
			struct kmod_module *m = kmod_module_get_module(l);
			print_module(m);
			kmod_module_unref(m);
		}
	} else {
		static const int kinds[] = { KMOD_FILTER_BLACKLIST, KMOD_FILTER_BUILTIN,
					     KMOD_FILTER_BLACKLIST | KMOD_FILTER_BUILTIN };
		for (unsigned i = 0; i < 3; i++) {
			struct kmod_list *out = NULL;
			err = kmod_module_apply_filter(ctx, kinds[i], list, &out);
			printf(" filter %d: err=%d\n", kinds[i], err);
			print_list("kept", out);
			kmod_module_unref_list(out);
		}
		struct kmod_list *out = NULL;
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
		err = kmod_module_get_filtered_blacklist(ctx, list, &out);
		printf(" filtered_blacklist: err=%d\n", err);
		print_list("kept", out);
		kmod_module_unref_list(out);
	}
	kmod_module_unref_list(list);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: lkq DIRNAME CONFIG|- [LOGPRIO]\n");
		return 2;
	}
	const char *dir = strcmp(argv[1], "-") == 0 ? NULL : argv[1];
	const char *empty[] = { NULL };
	const char *paths[] = { argv[2], NULL };
	/* CONFIG "-": no configuration; "default": NULL (kmod's directories) */
	const char *const *cfg = strcmp(argv[2], "-") == 0 ? empty : paths;
	if (strcmp(argv[2], "default") == 0)
		cfg = NULL;
	struct kmod_ctx *ctx = kmod_new(dir, cfg);
	if (ctx == NULL) {
		printf("kmod_new failed\n");
		return 1;
	}
	kmod_set_log_fn(ctx, log_to_stdout, NULL);
	if (argc > 3)
		kmod_set_log_priority(ctx, atoi(argv[3]));
	printf("dirname %s prio %d\n", kmod_get_dirname(ctx), kmod_get_log_priority(ctx));

	char line[8192];
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = '\0';
		char *arg = strchr(line, ':');
		if (arg)
			*arg++ = '\0';
		fflush(stdout);
		if (strcmp(line, "lookup") == 0) {
			lookup(ctx, arg, 0);
		} else if (strcmp(line, "filter") == 0) {
			lookup(ctx, arg, 1);
		} else if (strcmp(line, "name") == 0) {
			struct kmod_module *m = NULL;
			int err = kmod_module_new_from_name(ctx, arg, &m);
			printf("name %s: err=%d\n", arg, err);
			if (m) {
				print_module(m);
				kmod_module_unref(m);
			}
		} else if (strcmp(line, "same") == 0) {
			struct kmod_module *a = NULL, *b = NULL;
			kmod_module_new_from_name(ctx, arg, &a);
			kmod_module_new_from_name(ctx, arg, &b);
			printf("same %s: %s\n", arg, a == b ? "yes" : "no");
			kmod_module_unref(a);
			kmod_module_unref(b);
		} else if (strcmp(line, "namelookup") == 0) {
			/* kmod 30 exports it as LIBKMOD_5, kmod 34 as LIBKMOD_30:
			 * take whichever default this library has */
			typedef int (*nl_fn)(struct kmod_ctx *, const char *,
					     struct kmod_module **);
			nl_fn nl = (nl_fn)dlsym(RTLD_DEFAULT, "kmod_module_new_from_name_lookup");
			struct kmod_module *m = NULL;
			int err = nl(ctx, arg, &m);
			printf("namelookup %s: err=%d found=%s\n", arg, err, m ? "yes" : "no");
			if (m) {
				print_module(m);
				kmod_module_unref(m);
			}
		} else if (strcmp(line, "path") == 0) {
			struct kmod_module *m = NULL;
			int err = kmod_module_new_from_path(ctx, arg, &m);
			printf("path %s: err=%d\n", arg, err);
			if (m) {
				print_module(m);
				kmod_module_unref(m);
			}
		} else if (strcmp(line, "config") == 0) {
			print_iter("blacklist", kmod_config_get_blacklists(ctx));
			print_iter("install", kmod_config_get_install_commands(ctx));
			print_iter("remove", kmod_config_get_remove_commands(ctx));
			print_iter("alias", kmod_config_get_aliases(ctx));
			print_iter("options", kmod_config_get_options(ctx));
			print_iter("softdep", kmod_config_get_softdeps(ctx));
		} else if (strcmp(line, "weak") == 0) {
			/* kmod 34 API: absent from kmod 30, so looked up at run time */
			typedef struct kmod_config_iter *(*cfg_fn)(const struct kmod_ctx *);
			typedef int (*weak_fn)(const struct kmod_module *, struct kmod_list **);
			cfg_fn cfg = (cfg_fn)dlsym(RTLD_DEFAULT, "kmod_config_get_weakdeps");
			weak_fn wd = (weak_fn)dlsym(RTLD_DEFAULT, "kmod_module_get_weakdeps");
			if (!cfg || !wd) {
				printf("weak: not in this library\n");
				continue;
			}
			print_iter("weakdep", cfg(ctx));
			struct kmod_module *m = NULL;
			kmod_module_new_from_name(ctx, arg, &m);
			struct kmod_list *weak = NULL;
			int err = wd(m, &weak);
			printf("weak %s: err=%d\n", arg, err);
			print_list("weak", weak);
			kmod_module_unref_list(weak);
			kmod_module_unref(m);
		} else if (strcmp(line, "dump") == 0) {
			int err = kmod_dump_index(ctx, atoi(arg), STDOUT_FILENO);
			printf("dump %s: err=%d\n", arg, err);
		} else if (strcmp(line, "load") == 0) {
			printf("load: %d\n", kmod_load_resources(ctx));
		} else if (strcmp(line, "unload") == 0) {
			kmod_unload_resources(ctx);
			printf("unload\n");
		} else if (strcmp(line, "mkfile") == 0) {
			/* a new file each run, so the directory changes */
			char fn[8300];
			snprintf(fn, sizeof(fn), "%s.%d", arg, (int)getpid());
			FILE *f = fopen(fn, "w");
			if (f)
				fclose(f);
			/* and move the directory's time on by a second, so the
			 * change shows whatever the clock's granularity */
			char dir[8300];
			struct stat st;
			snprintf(dir, sizeof(dir), "%s", arg);
			char *slash = strrchr(dir, '/');
			if (slash)
				*slash = '\0';
			if (stat(dir, &st) == 0) {
				struct timespec ts[2] = { st.st_atim, st.st_mtim };
				ts[1].tv_sec += 1;
				utimensat(AT_FDCWD, dir, ts, 0);
			}
			printf("mkfile: %s\n", f ? "ok" : "failed");
		} else if (strcmp(line, "validate") == 0) {
			printf("validate: %d\n", kmod_validate_resources(ctx));
		} else if (line[0] != '\0') {
			printf("unknown command %s\n", line);
		}
		fflush(stdout);
	}
	if (kmod_unref(ctx) != NULL)
		printf("ctx still referenced\n");
	return 0;
}
