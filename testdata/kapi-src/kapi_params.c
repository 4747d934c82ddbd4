// SPDX-License-Identifier: GPL-2.0
/* Module parameters of every standard type, arrays, a copied string and
 * callbacks of the module's own; the values are logged at init and exit,
 * and read and written through /sys/module/kapi_params/parameters/. */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt
#include <linux/module.h>
#include <linux/moduleparam.h>

static unsigned char p_byte = 1;
static short p_short = -2;
static unsigned short p_ushort = 3;
static int p_int = -4;
static unsigned int p_uint = 5;
static long p_long = -6;
static unsigned long p_ulong = 7;
static unsigned long long p_ullong = 8;
static char *p_charp = "charp";
static bool p_bool = true;
static bool p_invbool;
static int p_array[4] = { 1, 2 };
static int p_array_n = 2;
static char p_string[8] = "str";
static unsigned int p_hexint = 0xab;

module_param(p_byte, byte, 0644);
module_param(p_short, short, 0644);
module_param(p_ushort, ushort, 0644);
module_param(p_int, int, 0644);
module_param(p_uint, uint, 0644);
module_param(p_long, long, 0644);
module_param(p_ulong, ulong, 0644);
module_param(p_ullong, ullong, 0644);
module_param(p_charp, charp, 0644);
module_param(p_bool, bool, 0644);
module_param(p_invbool, invbool, 0644);
module_param_array(p_array, int, &p_array_n, 0644);
module_param_string(p_string, p_string, sizeof(p_string), 0644);
module_param(p_hexint, hexint, 0644);

/* even numbers only, from the module's own set op */
static int even = 2;
static int even_set(const char *val, const struct kernel_param *kp)
{
	int n, ret = kstrtoint(val, 0, &n);

	if (ret)
		return ret;
	if (n & 1) {
		pr_info("even: refusing %d\n", n);
		return -EINVAL;
	}
	return param_set_int(val, kp);
}

static int even_get(char *buf, const struct kernel_param *kp)
{
	return sprintf(buf, "even=%d\n", *(int *)kp->arg);
}

static const struct kernel_param_ops even_ops = {
	.set = even_set,
	.get = even_get,
};
module_param_cb(even, &even_ops, &even, 0644);

static int hidden = 9;
module_param(hidden, int, 0);

static void show(const char *when)
{
	pr_info("%s: byte=%u short=%d ushort=%u int=%d uint=%u long=%ld ulong=%lu ullong=%llu\n",
		when, p_byte, p_short, p_ushort, p_int, p_uint, p_long, p_ulong, p_ullong);
	pr_info("%s: charp=%s bool=%d invbool=%d array=%d:%d,%d,%d,%d string=%s hexint=%#x even=%d hidden=%d\n",
		when, p_charp, p_bool, p_invbool, p_array_n, p_array[0], p_array[1], p_array[2],
		p_array[3], p_string, p_hexint, even, hidden);
}

static int __init kapi_params_init(void)
{
	show("init");
	return 0;
}

static void __exit kapi_params_exit(void)
{
	show("exit");
}

module_init(kapi_params_init);
module_exit(kapi_params_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("rkmod kapi test: parameters");
