/*
 * state DIRNAME < NAMES: what libkmod reads of the running kernel's
 * modules (/proc/modules, /sys/module): kmod_module_new_from_loaded, then
 * for each loaded module and each name on stdin get_initstate,
 * initstate_str, get_refcnt, get_size, get_holders and get_sections. Run
 * against two libraries (under the same fake /sys and /proc), compared.
 */
#include <errno.h>
#include <stdlib.h>

#include <libkmod.h>

#include "common.h"

static void show(struct kmod_module *mod)
{
	struct kmod_list *list, *l;
	const char *s;
	int state;

	printf("== %s\n", kmod_module_get_name(mod));
	state = kmod_module_get_initstate(mod);
	s = kmod_module_initstate_str(state);
	printf("  initstate %d %s\n", state, s ? s : "(null)");
	printf("  refcnt %d\n", kmod_module_get_refcnt(mod));
	printf("  size %ld\n", kmod_module_get_size(mod));
	list = kmod_module_get_holders(mod);
	printf("  holders%s\n", list ? "" : " (none)");
	kmod_list_foreach(l, list) {
		struct kmod_module *h = kmod_module_get_module(l);
		printf("    %s\n", kmod_module_get_name(h));
		kmod_module_unref(h);
	}
	kmod_module_unref_list(list);
	list = kmod_module_get_sections(mod);
	printf("  sections%s\n", list ? "" : " (none)");
	kmod_list_foreach(l, list)
		printf("    %s %#lx\n", kmod_module_section_get_name(l),
		       kmod_module_section_get_address(l));
	kmod_module_section_free_list(list);
}

int main(int argc, char **argv)
{
	struct kmod_list *loaded = NULL, *l;
	struct kmod_ctx *ctx;
	char line[4096];
	int r, i;

	if (argc != 2) {
		fprintf(stderr, "usage: state DIRNAME < NAMES\n");
		return 2;
	}
	ctx = kmod_new(argv[1], NULL);
	if (ctx == NULL) {
		fprintf(stderr, "kmod_new failed\n");
		return 1;
	}
	quiet_ctx(ctx);

	for (i = -1; i <= 4; i++) {
		const char *s = kmod_module_initstate_str(i);
		printf("initstate_str(%d) %s\n", i, s ? s : "(null)");
	}

	r = kmod_module_new_from_loaded(ctx, &loaded);
	printf("loaded %d\n", r);
	kmod_list_foreach(l, loaded) {
		struct kmod_module *mod = kmod_module_get_module(l);
		show(mod);
		kmod_module_unref(mod);
	}
	kmod_module_unref_list(loaded);

	while (fgets(line, sizeof(line), stdin)) {
		struct kmod_module *mod = NULL;

		chomp(line);
		if (line[0] == '\0')
			continue;
		r = kmod_module_new_from_name(ctx, line, &mod);
		if (r < 0) {
			printf("== %s: new %d\n", line, r);
			continue;
		}
		show(mod);
		kmod_module_unref(mod);
	}

	printf("edges:\n");
	printf("  initstate(NULL) %d\n", kmod_module_get_initstate(NULL));
	printf("  refcnt(NULL) %d\n", kmod_module_get_refcnt(NULL));
	printf("  size(NULL) %ld\n", kmod_module_get_size(NULL));
	printf("  holders(NULL) %s\n", kmod_module_get_holders(NULL) ? "set" : "null");
	printf("  sections(NULL) %s\n", kmod_module_get_sections(NULL) ? "set" : "null");
	printf("  section_get_name(NULL) %s\n",
	       kmod_module_section_get_name(NULL) ? "set" : "null");
	printf("  section_get_address(NULL) %#lx\n", kmod_module_section_get_address(NULL));
	printf("  new_from_loaded(NULL) %d\n", kmod_module_new_from_loaded(NULL, &loaded));
	printf("  new_from_loaded(ctx, NULL) %d\n", kmod_module_new_from_loaded(ctx, NULL));
	kmod_module_section_free_list(NULL);

	/* kmod logs the context's address when it goes: not comparable */
	kmod_set_log_priority(ctx, LOG_ERR);
	kmod_unref(ctx);
	return 0;
}
