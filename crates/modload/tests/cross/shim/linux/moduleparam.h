/* Stand-in for <linux/moduleparam.h>: parameters are kernel_param records
 * in __param (pointers to the name, the host's ops and the variable). */
#ifndef MODLOAD_SHIM_MODULEPARAM_H
#define MODLOAD_SHIM_MODULEPARAM_H
struct kernel_param;
struct kernel_param_ops {
	int (*set)(const char *val, const struct kernel_param *kp);
	int (*get)(char *buffer, const struct kernel_param *kp);
};
struct kernel_param {
	const char *name;
	const struct kernel_param_ops *ops;
	void *arg;
	unsigned short perm;
};
extern const struct kernel_param_ops param_ops_int;
extern const struct kernel_param_ops param_ops_charp;
int param_set_int(const char *val, const struct kernel_param *kp);
int param_get_int(char *buffer, const struct kernel_param *kp);

#define module_param_cb(name, ops, arg, perm) \
	static const struct kernel_param __param_##name \
	__attribute__((section("__param"), used)) = { #name, ops, arg, perm }
#define module_param(name, type, perm) \
	module_param_cb(name, &param_ops_##type, &name, perm)
#define MODULE_PARM_DESC(name, desc) \
	static const char __parm_desc_##name[] \
	__attribute__((section(".modinfo"), used, aligned(1))) = "parm=" #name ":" desc
#define __MODULE_PARM_TYPE(name, type) \
	static const char __parm_type_##name[] \
	__attribute__((section(".modinfo"), used, aligned(1))) = "parmtype=" #name ":" type
#endif
