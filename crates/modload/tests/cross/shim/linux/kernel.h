/* Stand-in for <linux/kernel.h>: printing goes to the host's _printk. */
#ifndef MODLOAD_SHIM_KERNEL_H
#define MODLOAD_SHIM_KERNEL_H
#include <linux/init.h>
int _printk(const char *fmt, ...);
int kstrtoint(const char *s, unsigned int base, int *res);
#define pr_info(fmt, ...) _printk(fmt, ##__VA_ARGS__)
#define pr_err(fmt, ...) _printk(fmt, ##__VA_ARGS__)
#define EINVAL 22
#define ENOMEM 12
#define NULL ((void *)0)
#endif
