/* Built against Debian's libkmod.so.2 (kmod 30), whose
 * kmod_module_new_from_name_lookup is in LIBKMOD_5 (kmod 34 moved it to
 * LIBKMOD_30): such a program must run on our library too. */
#include <stdio.h>

#include "libkmod.h"

int main(int argc, char **argv)
{
	const char *none[] = { NULL };
	struct kmod_ctx *ctx = kmod_new(argv[1], none);
	for (int i = 2; i < argc; i++) {
		struct kmod_module *m = NULL;
		int err = kmod_module_new_from_name_lookup(ctx, argv[i], &m);
		printf("%s: err=%d name=%s path=%s\n", argv[i], err,
		       m ? kmod_module_get_name(m) : "-",
		       m && kmod_module_get_path(m) ? kmod_module_get_path(m) : "-");
		kmod_module_unref(m);
	}
	kmod_unref(ctx);
	return 0;
}
