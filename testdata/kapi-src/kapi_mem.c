// SPDX-License-Identifier: GPL-2.0
/* Memory: kmalloc and friends, slab caches, vmalloc, pages; checked and
 * logged at init. */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/gfp.h>
#include <linux/string.h>
#include <linux/mm.h>

struct thing {
	int id;
	char name[20];
};

static struct kmem_cache *cache;
static int ctor_calls;

static void thing_ctor(void *p)
{
	ctor_calls++;
}

static bool all_zero(const void *p, size_t n)
{
	return !memchr_inv(p, 0, n);
}

static int __init kapi_mem_init(void)
{
	char *a, *b, *s;
	int *v;
	struct thing *t1, *t2;
	unsigned long page;
	void *big;

	a = kmalloc(32, GFP_KERNEL);
	if (!a)
		return -ENOMEM;
	strscpy(a, "kmalloc works", 32);
	pr_info("kmalloc: %s\n", a);
	a = krealloc(a, 4096, GFP_KERNEL);
	pr_info("krealloc keeps: %s\n", a);
	kfree(a);

	b = kzalloc(100, GFP_KERNEL);
	pr_info("kzalloc zeroed: %d\n", all_zero(b, 100));
	kfree(b);
	v = kcalloc(10, sizeof(*v), GFP_KERNEL);
	pr_info("kcalloc zeroed: %d\n", all_zero(v, 10 * sizeof(*v)));
	kfree(v);
	pr_info("kfree(NULL) is fine\n");
	kfree(NULL);

	s = kstrdup("duplicated", GFP_KERNEL);
	pr_info("kstrdup: %s\n", s);
	kfree(s);
	s = kasprintf(GFP_KERNEL, "kasprintf %d-%s", 7, "x");
	pr_info("%s\n", s);
	kfree(s);
	s = kmemdup("mem\0dup", 8, GFP_KERNEL);
	pr_info("kmemdup: %s %s\n", s, s + 4);
	kfree(s);

	big = vmalloc(1 << 20);
	memset(big, 0x5a, 1 << 20);
	pr_info("vmalloc 1 MiB: last byte %#x\n", ((u8 *)big)[(1 << 20) - 1]);
	vfree(big);
	big = vzalloc(8192);
	pr_info("vzalloc zeroed: %d\n", all_zero(big, 8192));
	vfree(big);
	big = kvmalloc(64 << 10, GFP_KERNEL);
	pr_info("kvmalloc: %s\n", big ? "ok" : "failed");
	kvfree(big);

	page = get_zeroed_page(GFP_KERNEL);
	pr_info("get_zeroed_page: aligned %d zeroed %d\n", !(page & (PAGE_SIZE - 1)),
		all_zero((void *)page, PAGE_SIZE));
	free_page(page);

	cache = kmem_cache_create("kapi_things", sizeof(struct thing), 0, 0, thing_ctor);
	t1 = kmem_cache_alloc(cache, GFP_KERNEL);
	t2 = kmem_cache_zalloc(cache, GFP_KERNEL);
	t1->id = 1;
	strscpy(t1->name, "first", sizeof(t1->name));
	pr_info("cache object: %d %s, zalloc zeroed: %d, ctor ran: %d\n", t1->id, t1->name,
		all_zero(t2, sizeof(*t2)), ctor_calls > 0);
	kmem_cache_free(cache, t1);
	kmem_cache_free(cache, t2);
	return 0;
}

static void __exit kapi_mem_exit(void)
{
	kmem_cache_destroy(cache);
	pr_info("cache destroyed\n");
}

module_init(kapi_mem_init);
module_exit(kapi_mem_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("rkmod kapi test: memory");
