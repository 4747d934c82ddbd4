/*
 * elfinfo DIRNAME < SPECS: for each line of stdin (a module path when it
 * starts with '/', else a module name), print what kmod_module_get_info,
 * get_versions, get_symbols and get_dependency_symbols answer, and the
 * accessors' answers on NULL. Run against two libraries, compared.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include <libkmod.h>

#include "common.h"

static void show(struct kmod_module *mod)
{
	struct kmod_list *list = NULL, *l;
	int r;

	r = kmod_module_get_info(mod, &list);
	printf("info %d\n", r);
	kmod_list_foreach(l, list)
		printf("  %s=%s\n", kmod_module_info_get_key(l), kmod_module_info_get_value(l));
	kmod_module_info_free_list(list);

	list = NULL;
	r = kmod_module_get_versions(mod, &list);
	printf("versions %d\n", r);
	kmod_list_foreach(l, list)
		printf("  %s 0x%016" PRIx64 "\n", kmod_module_version_get_symbol(l),
		       kmod_module_version_get_crc(l));
	kmod_module_versions_free_list(list);

	list = NULL;
	r = kmod_module_get_symbols(mod, &list);
	printf("symbols %d\n", r);
	kmod_list_foreach(l, list)
		printf("  %s 0x%016" PRIx64 "\n", kmod_module_symbol_get_symbol(l),
		       kmod_module_symbol_get_crc(l));
	kmod_module_symbols_free_list(list);

	list = NULL;
	r = kmod_module_get_dependency_symbols(mod, &list);
	printf("dependency_symbols %d\n", r);
	kmod_list_foreach(l, list)
		printf("  %s 0x%016" PRIx64 " %d\n", kmod_module_dependency_symbol_get_symbol(l),
		       kmod_module_dependency_symbol_get_crc(l),
		       kmod_module_dependency_symbol_get_bind(l));
	kmod_module_dependency_symbols_free_list(list);
}

static void edges(void)
{
	struct kmod_list *list = NULL;

	printf("edges:\n");
	printf("  get_info(NULL) %d\n", kmod_module_get_info(NULL, &list));
	printf("  get_versions(NULL) %d\n", kmod_module_get_versions(NULL, &list));
	printf("  get_symbols(NULL) %d\n", kmod_module_get_symbols(NULL, &list));
	printf("  get_dependency_symbols(NULL) %d\n",
	       kmod_module_get_dependency_symbols(NULL, &list));
	printf("  info_get_key(NULL) %s\n", kmod_module_info_get_key(NULL) ? "set" : "null");
	printf("  info_get_value(NULL) %s\n",
	       kmod_module_info_get_value(NULL) ? "set" : "null");
	printf("  version_get_symbol(NULL) %s\n",
	       kmod_module_version_get_symbol(NULL) ? "set" : "null");
	printf("  version_get_crc(NULL) %" PRIu64 "\n", kmod_module_version_get_crc(NULL));
	printf("  symbol_get_symbol(NULL) %s\n",
	       kmod_module_symbol_get_symbol(NULL) ? "set" : "null");
	printf("  symbol_get_crc(NULL) %" PRIu64 "\n", kmod_module_symbol_get_crc(NULL));
	printf("  dependency_symbol_get_symbol(NULL) %s\n",
	       kmod_module_dependency_symbol_get_symbol(NULL) ? "set" : "null");
	printf("  dependency_symbol_get_crc(NULL) %" PRIu64 "\n",
	       kmod_module_dependency_symbol_get_crc(NULL));
	printf("  dependency_symbol_get_bind(NULL) %d\n",
	       kmod_module_dependency_symbol_get_bind(NULL));
	kmod_module_info_free_list(NULL);
	kmod_module_versions_free_list(NULL);
	kmod_module_symbols_free_list(NULL);
	kmod_module_dependency_symbols_free_list(NULL);
}

int main(int argc, char **argv)
{
	struct kmod_ctx *ctx;
	char line[4096];

	if (argc != 2) {
		fprintf(stderr, "usage: elfinfo DIRNAME < SPECS\n");
		return 2;
	}
	ctx = kmod_new(argv[1], NULL);
	if (ctx == NULL) {
		fprintf(stderr, "kmod_new failed\n");
		return 1;
	}
	quiet_ctx(ctx);

	while (fgets(line, sizeof(line), stdin)) {
		struct kmod_module *mod = NULL;
		int r;

		chomp(line);
		if (line[0] == '\0')
			continue;
		if (line[0] == '/')
			r = kmod_module_new_from_path(ctx, line, &mod);
		else
			r = kmod_module_new_from_name(ctx, line, &mod);
		printf("== %s: %d\n", line, r);
		if (r < 0)
			continue;
		show(mod);
		/* a second time from the same object: answers must not change */
		if (line[0] != '/') {
			struct kmod_list *list = NULL;
			printf("info again %d\n", kmod_module_get_info(mod, &list));
			kmod_module_info_free_list(list);
		}
		kmod_module_unref(mod);
	}
	edges();
	/* kmod logs the context's address when it goes: not comparable */
	kmod_set_log_priority(ctx, LOG_ERR);
	kmod_unref(ctx);
	return 0;
}
