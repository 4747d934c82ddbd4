/* sim_module.h - what a C sim-kernel module includes.
 *
 * A sim module is a shared object (gcc -shared -fPIC) that carries the
 * metadata a .ko carries, in sections of the same names:
 *   .modinfo            NUL-separated key=value entries
 *   __ksymtab_strings   names of exported symbols
 *   __ksymtab{,_gpl}    the same names, split by GPL-ness (marker lists)
 *   __param             the parameter table (struct sim_param[])
 * and exports the versioned C ABI below (mirrored by the Rust crate
 * sim-module, src/abi.rs; keep both in step).
 *
 * Usage: #define SIM_MODULE_NAME "name" before including (or -D it), then
 *   SIM_MODULE_LICENSE("GPL");  SIM_MODULE_AUTHOR(...);  SIM_MODULE_DESCRIPTION(...);
 *   static int io = 1;  SIM_MODULE_PARAM(io, int, 0644, "desc");
 *   int square(int x) { ... }  SIM_EXPORT_SYMBOL(square);
 *   SIM_MODULE_INIT(my_init);  SIM_MODULE_EXIT(my_exit);  SIM_MODULE_HELLO(my_hello);
 * Link with -Wl,-Bsymbolic so a module's own references bind to itself.
 */
#ifndef SIM_MODULE_H
#define SIM_MODULE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SIM_INTERFACE_VERSION 1u

#ifndef SIM_RELEASE
#define SIM_RELEASE "6.1.0-sim"
#endif
#define SIM_VERMAGIC SIM_RELEASE " SMP mod_unload sim"

/* Log levels, as KERN_EMERG..KERN_DEBUG. */
#define SIM_LOG_EMERG 0
#define SIM_LOG_ALERT 1
#define SIM_LOG_CRIT 2
#define SIM_LOG_ERR 3
#define SIM_LOG_WARNING 4
#define SIM_LOG_NOTICE 5
#define SIM_LOG_INFO 6
#define SIM_LOG_DEBUG 7

/* What module_init receives; valid until module_fini returns. */
struct sim_init_args {
	uint32_t interface_version;
	uint32_t size; /* sizeof(struct sim_init_args) on the host side */
	void *user_data;
	void (*log)(void *user_data, int level, const char *msg);
	uint64_t (*clock_ns)(void); /* CLOCK_MONOTONIC */
	/* A thread the sim kernel stops and joins before module_fini. */
	int (*thread_run)(void *user_data, int (*fn)(void *), void *arg, const char *name);
	int (*thread_should_stop)(void);
	int (*msleep)(uint32_t ms); /* non-zero: woken by a stop request */
};

enum sim_param_type {
	SIM_PARAM_int = 1,
	SIM_PARAM_uint = 2,
	SIM_PARAM_long = 3,
	SIM_PARAM_ulong = 4,
	SIM_PARAM_short = 5,
	SIM_PARAM_ushort = 6,
	SIM_PARAM_bool = 7,
	SIM_PARAM_charp = 8,
	SIM_PARAM_string = 9,
};

/* The C type each parameter type is stored in. */
typedef int sim_ctype_int;
typedef unsigned int sim_ctype_uint;
typedef long sim_ctype_long;
typedef unsigned long sim_ctype_ulong;
typedef short sim_ctype_short;
typedef unsigned short sim_ctype_ushort;
typedef bool sim_ctype_bool;
typedef char *sim_ctype_charp;

/* A check run before a value is stored: val is the text, parsed points at
 * the value parsed to the parameter's type, arg at the storage.
 * Return 0 to accept, -errno to refuse. */
typedef int (*sim_param_check)(const char *val, const void *parsed, void *arg);

struct sim_param {
	const char *name;
	uint32_t type;
	uint32_t perm;
	void *arg;
	uint32_t maxlen; /* string: buffer size including the NUL */
	sim_param_check check;
};

#define SIM_EXPORT __attribute__((visibility("default")))
#define __SIM_CAT2(a, b) a##b
#define __SIM_CAT(a, b) __SIM_CAT2(a, b)
#define __SIM_UNIQUE(prefix) __SIM_CAT(prefix, __COUNTER__)

/* One .modinfo entry, as the kernel's __MODULE_INFO. */
#define SIM_MODULE_INFO(tag, info)                                                  \
	static const char __SIM_UNIQUE(__sim_modinfo_)[]                            \
		__attribute__((section(".modinfo"), used, aligned(1))) = #tag "=" info

#define SIM_MODULE_LICENSE(l) SIM_MODULE_INFO(license, l)
#define SIM_MODULE_AUTHOR(a) SIM_MODULE_INFO(author, a)
#define SIM_MODULE_DESCRIPTION(d) SIM_MODULE_INFO(description, d)
#define SIM_MODULE_VERSION(v) SIM_MODULE_INFO(version, v)
#define SIM_MODULE_ALIAS(a) SIM_MODULE_INFO(alias, a)
#define SIM_MODULE_SOFTDEP(s) SIM_MODULE_INFO(softdep, s)

#define __SIM_PARAM_ENTRY(pname, pcode, pperm, pmax, pcheck)                        \
	static const struct sim_param __sim_param_##pname                           \
		__attribute__((section("__param"), used, aligned(sizeof(void *)))) = { \
			#pname, (pcode), (pperm), (void *)&(pname), (pmax), (pcheck)      \
		}

/* The type keyword is pasted and stringized only here, at the outermost
 * level: `bool` is a macro (stdbool.h) and must not be expanded first. */
#define __SIM_PARAM(pname, pctype, pcode, ptypename, pperm, pcheck, desc)           \
	_Static_assert(__builtin_types_compatible_p(__typeof__(pname), pctype),      \
		       "parameter " #pname ": storage is not of type " ptypename);   \
	SIM_MODULE_INFO(parm, #pname ":" desc);                                      \
	SIM_MODULE_INFO(parmtype, #pname ":" ptypename);                             \
	__SIM_PARAM_ENTRY(pname, pcode, pperm, 0, pcheck)

/* module_param(name, type, perm) + MODULE_PARM_DESC, with an optional check. */
#define SIM_MODULE_PARAM_CHECK(pname, ptype, pperm, pcheck, desc) \
	__SIM_PARAM(pname, sim_ctype_##ptype, SIM_PARAM_##ptype, #ptype, pperm, pcheck, desc)
#define SIM_MODULE_PARAM(pname, ptype, pperm, desc) \
	__SIM_PARAM(pname, sim_ctype_##ptype, SIM_PARAM_##ptype, #ptype, pperm, NULL, desc)

/* module_param_string: pname is a char array; values must fit in it. */
#define SIM_MODULE_PARAM_STRING(pname, pperm, desc)                                  \
	SIM_MODULE_INFO(parm, #pname ":" desc);                                      \
	SIM_MODULE_INFO(parmtype, #pname ":string");                                 \
	__SIM_PARAM_ENTRY(pname, SIM_PARAM_string, pperm, sizeof(pname), NULL)

/* EXPORT_SYMBOL / EXPORT_SYMBOL_GPL: name the symbol in __ksymtab_strings
 * and in the marker list of its kind. */
#define __SIM_EXPORT(sym, kind)                                                      \
	static const char __kstrtab_##sym[]                                         \
		__attribute__((section("__ksymtab_strings"), used, aligned(1))) = #sym; \
	static const char __ksymtab_##sym[]                                         \
		__attribute__((section(kind), used, aligned(1))) = #sym;             \
	extern __typeof__(sym) sym
#define SIM_EXPORT_SYMBOL(sym) __SIM_EXPORT(sym, "__ksymtab")
#define SIM_EXPORT_SYMBOL_GPL(sym) __SIM_EXPORT(sym, "__ksymtab_gpl")

/* The arguments module_init got; defined by SIM_MODULE_INIT. */
extern const struct sim_init_args *__sim_args __attribute__((visibility("hidden")));

__attribute__((format(printf, 2, 3), unused)) static void sim_log(int level, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (__sim_args)
		__sim_args->log(__sim_args->user_data, level, buf);
	else
		fprintf(stderr, "%s\n", buf);
}

#define pr_err(...) sim_log(SIM_LOG_ERR, __VA_ARGS__)
#define pr_warn(...) sim_log(SIM_LOG_WARNING, __VA_ARGS__)
#define pr_notice(...) sim_log(SIM_LOG_NOTICE, __VA_ARGS__)
#define pr_info(...) sim_log(SIM_LOG_INFO, __VA_ARGS__)
#define pr_debug(...) sim_log(SIM_LOG_DEBUG, __VA_ARGS__)

__attribute__((unused)) static uint64_t sim_clock_ns(void)
{
	return __sim_args ? __sim_args->clock_ns() : 0;
}

/* kthread_run: fn(arg) runs in a thread the sim kernel stops and joins
 * before module_fini. Returns 0 or -errno. */
__attribute__((unused)) static int sim_kthread_run(int (*fn)(void *), void *arg, const char *name)
{
	return __sim_args ? __sim_args->thread_run(__sim_args->user_data, fn, arg, name) : -22;
}

__attribute__((unused)) static bool sim_kthread_should_stop(void)
{
	return __sim_args && __sim_args->thread_should_stop();
}

/* Sleep; true when cut short by a stop request. */
__attribute__((unused)) static bool sim_msleep(uint32_t ms)
{
	return __sim_args && __sim_args->msleep(ms);
}

/* The entry points. SIM_MODULE_INIT also emits name= and vermagic=. */
#define SIM_MODULE_INIT(initfn)                                                      \
	SIM_MODULE_INFO(name, SIM_MODULE_NAME);                                      \
	SIM_MODULE_INFO(vermagic, SIM_VERMAGIC);                                     \
	const struct sim_init_args *__sim_args __attribute__((visibility("hidden"))); \
	extern const struct sim_param __start___param[]                              \
		__attribute__((weak, visibility("hidden")));                         \
	extern const struct sim_param __stop___param[]                               \
		__attribute__((weak, visibility("hidden")));                         \
	SIM_EXPORT uint32_t module_get_interface_version(void)                       \
	{                                                                            \
		return SIM_INTERFACE_VERSION;                                        \
	}                                                                            \
	SIM_EXPORT const struct sim_param *module_get_params(size_t *count)          \
	{                                                                            \
		*count = __start___param ? (size_t)(__stop___param - __start___param) : 0; \
		return __start___param;                                              \
	}                                                                            \
	SIM_EXPORT int module_init(const struct sim_init_args *args)                 \
	{                                                                            \
		__sim_args = args;                                                   \
		return initfn();                                                     \
	}                                                                            \
	extern int __sim_module_init_defined

#define SIM_MODULE_EXIT(exitfn)                                                      \
	SIM_EXPORT void module_fini(void)                                            \
	{                                                                            \
		exitfn();                                                            \
	}                                                                            \
	extern int __sim_module_exit_defined

#define SIM_MODULE_HELLO(hellofn)                                                    \
	SIM_EXPORT void mod_hello(void)                                              \
	{                                                                            \
		hellofn();                                                           \
	}                                                                            \
	extern int __sim_module_hello_defined

#endif /* SIM_MODULE_H */
