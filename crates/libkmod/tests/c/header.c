/* Our libkmod.h alone is enough for a C (or C++) program, and its values
 * are kmod's (kmod's API documentation gives them). */
#include <libkmod.h>

#ifdef __cplusplus
#define STATIC_ASSERT static_assert
#else
#define STATIC_ASSERT _Static_assert
#endif

STATIC_ASSERT(KMOD_RESOURCES_MUST_RECREATE == 2, "resources");
STATIC_ASSERT(KMOD_INDEX_MODULES_BUILTIN == 4, "index");
STATIC_ASSERT(KMOD_INDEX_MODULES_BUILTIN_ALIAS == 3, "index");
STATIC_ASSERT(KMOD_INSERT_FORCE_MODVERSION == 2, "insert");
STATIC_ASSERT(KMOD_PROBE_FAIL_ON_LOADED == 0x20, "probe");
STATIC_ASSERT(KMOD_PROBE_APPLY_BLACKLIST_ALL == 0x10000, "probe");
STATIC_ASSERT(KMOD_PROBE_APPLY_BLACKLIST_ALIAS_ONLY == 0x40000, "probe");
STATIC_ASSERT(KMOD_REMOVE_FORCE == O_TRUNC && KMOD_REMOVE_NOWAIT == O_NONBLOCK, "remove");
STATIC_ASSERT(KMOD_REMOVE_NOLOG == 1, "remove");
STATIC_ASSERT(KMOD_FILTER_BUILTIN == 2, "filter");
STATIC_ASSERT(KMOD_SYMBOL_UNDEF == 'U' && KMOD_SYMBOL_WEAK == 'W', "bind");
STATIC_ASSERT(KMOD_MODULE_GOING == 3, "initstate");
STATIC_ASSERT(sizeof(enum kmod_index) == 4 && sizeof(enum kmod_module_initstate) == 4, "enum size");

int main(void)
{
	struct kmod_list *l = NULL, *e;
	int n = 0;
	kmod_list_foreach(e, l) n++;
	kmod_list_foreach_reverse(e, l) n++;
	return n;
}
