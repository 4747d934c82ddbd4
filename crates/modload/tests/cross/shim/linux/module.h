/* Stand-in for <linux/module.h>. In a module build (the default),
 * module_init/module_exit make init_module/cleanup_module aliases as the
 * kernel's macros do, and the MODULE_* tags go to .modinfo; exports are
 * pointers in ___ksymtab+NAME sections (absolute relocations). With
 * MODLOAD_NATIVE, the same sources become part of an ordinary program:
 * init and exit are reached through modload_init_<KBUILD_MODNAME>. */
#ifndef MODLOAD_SHIM_MODULE_H
#define MODLOAD_SHIM_MODULE_H
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/moduleparam.h>

#define MODLOAD_CAT2(a, b) a##b
#define MODLOAD_CAT(a, b) MODLOAD_CAT2(a, b)
#define MODLOAD_STR2(x) #x
#define MODLOAD_STR(x) MODLOAD_STR2(x)

#ifdef MODLOAD_NATIVE
#define module_init(fn) \
	int MODLOAD_CAT(modload_init_, KBUILD_MODNAME)(void) { return fn(); }
#define module_exit(fn) \
	void MODLOAD_CAT(modload_exit_, KBUILD_MODNAME)(void) { fn(); }
#else
#define module_init(fn) int init_module(void) __attribute__((alias(#fn)));
#define module_exit(fn) void cleanup_module(void) __attribute__((alias(#fn)));
#endif

#define MODLOAD_MODINFO(tag, value) \
	static const char MODLOAD_CAT(__modinfo_, __LINE__)[] \
	__attribute__((section(".modinfo"), used, aligned(1))) = tag "=" value
#define MODULE_LICENSE(x) MODLOAD_MODINFO("license", x)
#define MODULE_AUTHOR(x) MODLOAD_MODINFO("author", x)
#define MODULE_DESCRIPTION(x) MODLOAD_MODINFO("description", x)
#define MODULE_ALIAS(x) MODLOAD_MODINFO("alias", x)

#define EXPORT_SYMBOL(sym) \
	static const void *const __ksymtab_##sym \
	__attribute__((section("___ksymtab+" #sym), used)) = &sym
#define EXPORT_SYMBOL_GPL(sym) EXPORT_SYMBOL(sym)
#endif
