/*
 * probe DIRNAME CONFIG < COMMANDS: kmod_module_probe_insert_module and its
 * callbacks, insert_module and remove_module, over a modules directory and
 * one configuration path. Each stdin line is one of
 *   probe FLAGS lookup|name|path ARG [EXTRA OPTIONS...]
 *   probe-system ...  (the same without run_install: libkmod runs commands)
 *   insert FLAGS name|path ARG [OPTIONS...]
 *   remove FLAGS NAME
 * FLAGS in hex. "run_install" answers with the number in $RUN_INSTALL_RET
 * (0 when unset). Everything is printed; run against two libraries and
 * compared.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include <libkmod.h>

#include "common.h"

static int run_install_ret;

static int run_install(struct kmod_module *m, const char *cmd, void *data)
{
	printf("    run_install %s cmd='%s' data=%s\n", kmod_module_get_name(m), cmd,
	       (const char *)data);
	return run_install_ret;
}

static void print_action(struct kmod_module *m, bool install, const char *options)
{
	const char *path = kmod_module_get_path(m);
	printf("    action %s install=%d options='%s' path=%s\n", kmod_module_get_name(m),
	       install, options, path ? path : "(none)");
}

static void run_one(struct kmod_module *mod, const char *verb, unsigned int flags,
		    const char *rest)
{
	int r;

	printf("  module %s\n", kmod_module_get_name(mod));
	if (strcmp(verb, "insert") == 0)
		r = kmod_module_insert_module(mod, flags, rest);
	else if (strcmp(verb, "probe-system") == 0)
		/* install commands run by libkmod itself */
		r = kmod_module_probe_insert_module(mod, flags, rest, NULL, NULL, print_action);
	else
		r = kmod_module_probe_insert_module(mod, flags, rest, run_install, "cookie",
						    print_action);
	printf("  %s %d\n", verb, r);
	/* and once more without callbacks, when dry */
	if (strcmp(verb, "probe") == 0 && (flags & KMOD_PROBE_DRY_RUN))
		printf("  again %d\n",
		       kmod_module_probe_insert_module(mod, flags, rest, NULL, NULL, NULL));
}

int main(int argc, char **argv)
{
	const char *config[2] = { NULL, NULL };
	struct kmod_ctx *ctx;
	char line[4096];
	const char *ret = getenv("RUN_INSTALL_RET");

	if (argc != 3) {
		fprintf(stderr, "usage: probe DIRNAME CONFIG < COMMANDS\n");
		return 2;
	}
	if (ret != NULL)
		run_install_ret = atoi(ret);
	config[0] = argv[2];
	ctx = kmod_new(argv[1], config);
	if (ctx == NULL) {
		fprintf(stderr, "kmod_new failed\n");
		return 1;
	}
	quiet_ctx(ctx);

	while (fgets(line, sizeof(line), stdin)) {
		char *verb, *flags_s, *how, *arg, *rest, *save = NULL;
		struct kmod_list *list = NULL, *l;
		unsigned int flags;
		int r;

		chomp(line);
		if (line[0] == '\0' || line[0] == '#')
			continue;
		printf("> %s\n", line);
		verb = strtok_r(line, " ", &save);
		flags_s = strtok_r(NULL, " ", &save);
		if (verb == NULL || flags_s == NULL)
			continue;
		flags = strtoul(flags_s, NULL, 16);
		if (strcmp(verb, "remove") == 0) {
			struct kmod_module *mod = NULL;
			arg = strtok_r(NULL, " ", &save);
			r = kmod_module_new_from_name(ctx, arg, &mod);
			if (r < 0) {
				printf("  new: %d\n", r);
				continue;
			}
			printf("  remove %d\n", kmod_module_remove_module(mod, flags));
			kmod_module_unref(mod);
			continue;
		}
		how = strtok_r(NULL, " ", &save);
		arg = strtok_r(NULL, " ", &save);
		rest = strtok_r(NULL, "", &save);
		if (how == NULL || arg == NULL)
			continue;
		if (strcmp(how, "lookup") == 0) {
			r = kmod_module_new_from_lookup(ctx, arg, &list);
			printf("  lookup %d\n", r);
			kmod_list_foreach(l, list)
				run_one(kmod_module_get_module(l), verb, flags, rest);
			/* get_module took a reference per entry */
			kmod_list_foreach(l, list)
				kmod_module_unref(kmod_module_get_module(l));
			kmod_module_unref_list(list);
		} else {
			struct kmod_module *mod = NULL;

			if (strcmp(how, "path") == 0)
				r = kmod_module_new_from_path(ctx, arg, &mod);
			else
				r = kmod_module_new_from_name(ctx, arg, &mod);
			printf("  new %d\n", r);
			if (r < 0)
				continue;
			run_one(mod, verb, flags, rest);
			kmod_module_unref(mod);
		}
	}
	printf("> edges\n");
	printf("  probe(NULL) %d\n",
	       kmod_module_probe_insert_module(NULL, 0, NULL, NULL, NULL, NULL));
	printf("  insert(NULL) %d\n", kmod_module_insert_module(NULL, 0, NULL));
	printf("  remove(NULL) %d\n", kmod_module_remove_module(NULL, 0));
	/* kmod logs the context's address when it goes: not comparable */
	kmod_set_log_priority(ctx, LOG_ERR);
	kmod_unref(ctx);
	return 0;
}
