// SPDX-License-Identifier: GPL-2.0
/* printk: levels, the kernel's formats, continuation lines, pr_debug,
 * and the text helpers (snprintf, sscanf, kstrto*). */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/printk.h>
#include <linux/kstrtox.h>
#include <linux/string.h>
#include <linux/sched.h>

static noinline int kapi_printk_marker(int x)
{
	return x * 3;
}

static int __init kapi_printk_init(void)
{
	char buf[64];
	unsigned long long ull;
	unsigned int u;
	long l;
	int a, b, n, err;
	bool flag;
	char word[16];

	pr_emerg("emerg %d\n", 0);
	pr_alert("alert %d\n", 1);
	pr_crit("crit %d\n", 2);
	pr_err("err %d\n", 3);
	pr_warn("warning %d\n", 4);
	pr_notice("notice %d\n", 5);
	pr_info("info %d\n", 6);
	printk(KERN_DEBUG KBUILD_MODNAME ": debug via printk %d\n", 7);
	printk(KBUILD_MODNAME ": default level\n");
	pr_debug("pr_debug is off unless enabled\n");

	pr_info("ints: %d %i %u %x %X %o %5d|%-5d|%05d %+d % d\n", -42, 42, 42u, 0xbeef, 0xbeef,
		8, 7, 7, 7, 3, 3);
	pr_info("longs: %ld %lu %lld %llu %zu %zd %hhu %hd\n", -1L, 2UL, -3LL, 4ULL, (size_t)5,
		(ssize_t)-6, (unsigned char)257, (short)-7);
	pr_info("hex: %#x %#o %#X %08x %.3d %.0d|\n", 255, 8, 255, 0x1234, 5, 0);
	pr_info("strings: [%s] [%10s] [%-10s] [%.3s] [%c] [%s]\n", "abc", "right", "left",
		"truncate", 'z', (char *)NULL);
	pr_info("percent: 100%%\n");
	pr_info("symbol: %pS %ps\n", kapi_printk_marker, kapi_printk_marker);
	pr_info("error names: %pe %pe\n", ERR_PTR(-EINVAL), ERR_PTR(-ENOMEM));

	/* a message without a newline is ended by the next printk */
	pr_info("no newline here");
	pr_info("next line\n");
	/* ...unless that one continues it */
	pr_info("continued:");
	pr_cont(" one");
	pr_cont(" two\n");

	n = snprintf(buf, sizeof(buf), "%s-%d", "snprintf", 12345);
	pr_info("snprintf: %s (%d)\n", buf, n);
	n = snprintf(buf, 8, "%s", "truncated string");
	pr_info("snprintf truncated: %s (%d)\n", buf, n);
	n = scnprintf(buf, 8, "%s", "truncated string");
	pr_info("scnprintf: %s (%d)\n", buf, n);
	n = sscanf("17 0x1f word", "%d %x %15s", &a, &b, word);
	pr_info("sscanf: %d items: %d %d %s\n", n, a, b, word);

	err = kstrtoint("-123", 10, &a);
	pr_info("kstrtoint: %d %d\n", err, a);
	err = kstrtouint("0x10", 0, &u);
	pr_info("kstrtouint: %d %u\n", err, u);
	err = kstrtoull("18446744073709551615\n", 10, &ull);
	pr_info("kstrtoull: %d %llu\n", err, ull);
	err = kstrtoull("18446744073709551616", 10, &ull);
	pr_info("kstrtoull overflow: %d\n", err);
	err = kstrtol("12abc", 10, &l);
	pr_info("kstrtol junk: %d\n", err);
	err = kstrtobool("on", &flag);
	pr_info("kstrtobool: %d %d\n", err, flag);
	pr_info("marker: %d\n", kapi_printk_marker(14));
	pr_info("loaded by %s\n", current->comm);
	return 0;
}

static void __exit kapi_printk_exit(void)
{
	pr_info("exit\n");
}

module_init(kapi_printk_init);
module_exit(kapi_printk_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("rkmod kapi test: printk and text");
