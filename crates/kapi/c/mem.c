// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Memory: kmalloc and friends, slab caches, vmalloc, pages, from the
 * host's allocator. Every block carries a small header with its size, so
 * that ksize, krealloc and kfree of any of them work alike.
 */
#include <linux/version.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/err.h>
#include "kapi.h"

#define NEW_KERNEL (LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0))
#define HDR 16UL
#define MAGIC 0x6b617069UL	/* "kapi" */

struct hdr {
	unsigned long size;
	unsigned long magic;
};

/* The largest single allocation: the kernel's kmalloc limit is far below. */
#define ALLOC_MAX (1UL << 32)

static void *alloc(size_t size, gfp_t flags, size_t align)
{
	struct hdr *h;
	char *p;

	if (size > ALLOC_MAX)
		return NULL;
	if (align < HDR)
		align = HDR;
	p = (char *)HOSTCALL(alloc, size + align, align);
	if (!p)
		return NULL;
	p += align;
	h = (struct hdr *)p - 1;
	h->size = size;
	h->magic = MAGIC ^ (unsigned long)p ^ (align << 40);
	if (flags & __GFP_ZERO)
		memset(p, 0, size);
	return p;
}

static struct hdr *header(const void *p)
{
	return (struct hdr *)p - 1;
}

static void release(const void *p)
{
	unsigned long align;

	if (ZERO_OR_NULL_PTR(p))
		return;
	align = (header(p)->magic ^ MAGIC ^ (unsigned long)p) >> 40;
	if (align < HDR || align > PAGE_SIZE || (header(p)->magic & 0xffffffffffUL) !=
	    ((MAGIC ^ (unsigned long)p) & 0xffffffffffUL)) {
		kapi_logf(LOGLEVEL_ERR, "kfree: %px was not allocated by kmalloc", p);
		HOSTCALL(fatal, "kfree of a pointer kmalloc did not return");
		return;
	}
	HOSTCALL(free, (const char *)p - align);
}

void kfree(const void *p)
{
	release(p);
}
EXPORT_SYMBOL(kfree);

void kfree_sensitive(const void *p)
{
	if (!ZERO_OR_NULL_PTR(p))
		memzero_explicit((void *)p, header(p)->size);
	release(p);
}
EXPORT_SYMBOL(kfree_sensitive);

size_t ksize(const void *p)
{
	return ZERO_OR_NULL_PTR(p) ? 0 : header(p)->size;
}
EXPORT_SYMBOL(ksize);

static void *do_krealloc(const void *p, size_t size, gfp_t flags)
{
	void *n;

	if (!size) {
		release(p);
		return ZERO_SIZE_PTR;
	}
	if (ZERO_OR_NULL_PTR(p))
		return alloc(size, flags, 0);
	if (size <= header(p)->size) {
		header(p)->size = size;
		return (void *)p;
	}
	n = alloc(size, flags, 0);
	if (!n)
		return NULL;
	memcpy(n, p, header(p)->size);
	if (flags & __GFP_ZERO)
		memset(n + header(p)->size, 0, size - header(p)->size);
	release(p);
	return n;
}

/* kmalloc(0) is ZERO_SIZE_PTR, as in the kernel */
static void *kmalloc_any(size_t size, gfp_t flags)
{
	if (!size)
		return ZERO_SIZE_PTR;
	return alloc(size, flags, 0);
}

/* The caches the kmalloc() inline picks from: real objects, never used. */
struct kapi_cache {
	const char *name;
	unsigned int size;
	unsigned int align;
	void (*ctor)(void *);
};

static struct kapi_cache kmalloc_dummy = { .name = "kmalloc" };

#if NEW_KERNEL
kmem_buckets kmalloc_caches[NR_KMALLOC_TYPES] = {
	[0 ... NR_KMALLOC_TYPES - 1] = {
		[0 ... KMALLOC_SHIFT_HIGH] = (struct kmem_cache *)&kmalloc_dummy
	}
};
#else
struct kmem_cache *kmalloc_caches[NR_KMALLOC_TYPES][KMALLOC_SHIFT_HIGH + 1] = {
	[0 ... NR_KMALLOC_TYPES - 1] = {
		[0 ... KMALLOC_SHIFT_HIGH] = (struct kmem_cache *)&kmalloc_dummy
	}
};
#endif
EXPORT_SYMBOL(kmalloc_caches);

static struct kmem_cache *cache_create(const char *name, unsigned int size, unsigned int align,
				       void (*ctor)(void *))
{
	struct kapi_cache *c = kapi_zalloc(sizeof(*c));

	if (!c)
		return NULL;
	c->name = kapi_strdup(name);
	c->size = size;
	c->align = align;
	c->ctor = ctor;
	return (struct kmem_cache *)c;
}

static void *cache_alloc(struct kmem_cache *s, gfp_t flags)
{
	struct kapi_cache *c = (struct kapi_cache *)s;
	void *p = alloc(c->size, flags, c->align);

	if (p && c->ctor)
		c->ctor(p);
	return p;
}

void kmem_cache_free(struct kmem_cache *s, void *p)
{
	release(p);
}
EXPORT_SYMBOL(kmem_cache_free);

void kmem_cache_destroy(struct kmem_cache *s)
{
	struct kapi_cache *c = (struct kapi_cache *)s;

	if (!c)
		return;
	kapi_free(c->name);
	kapi_free(c);
}
EXPORT_SYMBOL(kmem_cache_destroy);

unsigned int kmem_cache_size(struct kmem_cache *s)
{
	return ((struct kapi_cache *)s)->size;
}
EXPORT_SYMBOL(kmem_cache_size);

void *vmalloc_area(unsigned long size, gfp_t flags)
{
	return alloc(size, flags, 0);
}

void vfree(const void *addr)
{
	release(addr);
}
EXPORT_SYMBOL(vfree);

void kvfree(const void *addr)
{
	release(addr);
}
EXPORT_SYMBOL(kvfree);

void kvfree_sensitive(const void *addr, size_t len)
{
	kfree_sensitive(addr);
}
EXPORT_SYMBOL(kvfree_sensitive);

static unsigned long pages(gfp_t gfp_mask, unsigned int order)
{
	return (unsigned long)alloc(PAGE_SIZE << order, gfp_mask, PAGE_SIZE);
}

#if NEW_KERNEL
unsigned long get_free_pages_noprof(gfp_t gfp_mask, unsigned int order)
{
	return pages(gfp_mask, order);
}
EXPORT_SYMBOL(get_free_pages_noprof);

unsigned long get_zeroed_page_noprof(gfp_t gfp_mask)
{
	return pages(gfp_mask | __GFP_ZERO, 0);
}
EXPORT_SYMBOL(get_zeroed_page_noprof);
#else
unsigned long __get_free_pages(gfp_t gfp_mask, unsigned int order)
{
	return pages(gfp_mask, order);
}
EXPORT_SYMBOL(__get_free_pages);

unsigned long get_zeroed_page(gfp_t gfp_mask)
{
	return pages(gfp_mask | __GFP_ZERO, 0);
}
EXPORT_SYMBOL(get_zeroed_page);
#endif

void free_pages(unsigned long addr, unsigned int order)
{
	if (addr)
		release((void *)addr);
}
EXPORT_SYMBOL(free_pages);

char *kstrdup(const char *s, gfp_t gfp)
{
	size_t len;
	char *buf;

	if (!s)
		return NULL;
	len = strlen(s) + 1;
	buf = kmalloc_any(len, gfp);
	if (buf)
		memcpy(buf, s, len);
	return buf;
}
EXPORT_SYMBOL(kstrdup);

const char *kstrdup_const(const char *s, gfp_t gfp)
{
	return kstrdup(s, gfp);
}
EXPORT_SYMBOL(kstrdup_const);

void kfree_const(const void *x)
{
	release(x);
}
EXPORT_SYMBOL(kfree_const);

char *kstrndup(const char *s, size_t max, gfp_t gfp)
{
	size_t len;
	char *buf;

	if (!s)
		return NULL;
	len = strnlen(s, max);
	buf = kmalloc_any(len + 1, gfp);
	if (buf) {
		memcpy(buf, s, len);
		buf[len] = '\0';
	}
	return buf;
}
EXPORT_SYMBOL(kstrndup);

char *kmemdup_nul(const char *s, size_t len, gfp_t gfp)
{
	char *buf;

	if (!s)
		return NULL;
	buf = kmalloc_any(len + 1, gfp);
	if (buf) {
		memcpy(buf, s, len);
		buf[len] = '\0';
	}
	return buf;
}
EXPORT_SYMBOL(kmemdup_nul);

static void *do_kmemdup(const void *src, size_t len, gfp_t gfp)
{
	void *p = kmalloc_any(len, gfp);

	if (p && len)
		memcpy(p, src, len);
	return p;
}

void *memdup_user(const void __user *src, size_t len)
{
	void *p = kmalloc_any(len, GFP_USER | __GFP_NOWARN);

	if (!p)
		return ERR_PTR(-ENOMEM);
	if (copy_from_user(p, src, len)) {
		kfree(p);
		return ERR_PTR(-EFAULT);
	}
	return p;
}
EXPORT_SYMBOL(memdup_user);

void *memdup_user_nul(const void __user *src, size_t len)
{
	char *p = kmalloc_any(len + 1, GFP_KERNEL);

	if (!p)
		return ERR_PTR(-ENOMEM);
	if (copy_from_user(p, src, len)) {
		kfree(p);
		return ERR_PTR(-EFAULT);
	}
	p[len] = '\0';
	return p;
}
EXPORT_SYMBOL(memdup_user_nul);

char *strndup_user(const char __user *s, long n)
{
	long length = strnlen(s, n);
	char *p;

	if (length >= n)
		return ERR_PTR(-EINVAL);
	p = memdup_user(s, length + 1);
	if (!IS_ERR(p))
		p[length] = '\0';
	return p;
}
EXPORT_SYMBOL(strndup_user);

#if NEW_KERNEL

void *__kmalloc_noprof(size_t size, gfp_t flags)
{
	return kmalloc_any(size, flags);
}
EXPORT_SYMBOL(__kmalloc_noprof);

void *__kmalloc_node_noprof(DECL_BUCKET_PARAMS(size, b), gfp_t flags, int node)
{
	return kmalloc_any(size, flags);
}
EXPORT_SYMBOL(__kmalloc_node_noprof);

void *__kmalloc_cache_noprof(struct kmem_cache *s, gfp_t flags, size_t size)
{
	return kmalloc_any(size, flags);
}
EXPORT_SYMBOL(__kmalloc_cache_noprof);

void *__kmalloc_cache_node_noprof(struct kmem_cache *s, gfp_t flags, int node, size_t size)
{
	return kmalloc_any(size, flags);
}
EXPORT_SYMBOL(__kmalloc_cache_node_noprof);

void *__kmalloc_large_noprof(size_t size, gfp_t flags)
{
	return alloc(size, flags, PAGE_SIZE);
}
EXPORT_SYMBOL(__kmalloc_large_noprof);

void *__kmalloc_large_node_noprof(size_t size, gfp_t flags, int node)
{
	return alloc(size, flags, PAGE_SIZE);
}
EXPORT_SYMBOL(__kmalloc_large_node_noprof);

void *__kmalloc_node_track_caller_noprof(DECL_BUCKET_PARAMS(size, b), gfp_t flags, int node,
					 unsigned long caller)
{
	return kmalloc_any(size, flags);
}
EXPORT_SYMBOL(__kmalloc_node_track_caller_noprof);

void *krealloc_noprof(const void *p, size_t new_size, gfp_t flags)
{
	return do_krealloc(p, new_size, flags);
}
EXPORT_SYMBOL(krealloc_noprof);

void *kmem_cache_alloc_noprof(struct kmem_cache *s, gfp_t flags)
{
	return cache_alloc(s, flags);
}
EXPORT_SYMBOL(kmem_cache_alloc_noprof);

void *kmem_cache_alloc_lru_noprof(struct kmem_cache *s, struct list_lru *lru, gfp_t flags)
{
	return cache_alloc(s, flags);
}
EXPORT_SYMBOL(kmem_cache_alloc_lru_noprof);

void *kmem_cache_alloc_node_noprof(struct kmem_cache *s, gfp_t flags, int node)
{
	return cache_alloc(s, flags);
}
EXPORT_SYMBOL(kmem_cache_alloc_node_noprof);

struct kmem_cache *__kmem_cache_create_args(const char *name, unsigned int object_size,
					    struct kmem_cache_args *args, slab_flags_t flags)
{
	return cache_create(name, object_size, args ? args->align : 0, args ? args->ctor : NULL);
}
EXPORT_SYMBOL(__kmem_cache_create_args);

void *__kvmalloc_node_noprof(DECL_BUCKET_PARAMS(size, b), gfp_t flags, int node)
{
	return kmalloc_any(size, flags);
}
EXPORT_SYMBOL(__kvmalloc_node_noprof);

void *kvrealloc_noprof(const void *p, size_t size, gfp_t flags)
{
	return do_krealloc(p, size, flags);
}
EXPORT_SYMBOL(kvrealloc_noprof);

void *vmalloc_noprof(unsigned long size)
{
	return vmalloc_area(size, GFP_KERNEL);
}
EXPORT_SYMBOL(vmalloc_noprof);

void *vzalloc_noprof(unsigned long size)
{
	return vmalloc_area(size, GFP_KERNEL | __GFP_ZERO);
}
EXPORT_SYMBOL(vzalloc_noprof);

void *__vmalloc_noprof(unsigned long size, gfp_t gfp_mask)
{
	return vmalloc_area(size, gfp_mask);
}
EXPORT_SYMBOL(__vmalloc_noprof);

void *vmalloc_node_noprof(unsigned long size, int node)
{
	return vmalloc_area(size, GFP_KERNEL);
}
EXPORT_SYMBOL(vmalloc_node_noprof);

void *kmemdup_noprof(const void *src, size_t len, gfp_t gfp)
{
	return do_kmemdup(src, len, gfp);
}
EXPORT_SYMBOL(kmemdup_noprof);

#else /* 6.1 */

void *__kmalloc(size_t size, gfp_t flags)
{
	return kmalloc_any(size, flags);
}
EXPORT_SYMBOL(__kmalloc);

void *__kmalloc_node(size_t size, gfp_t flags, int node)
{
	return kmalloc_any(size, flags);
}
EXPORT_SYMBOL(__kmalloc_node);

void *kmalloc_trace(struct kmem_cache *s, gfp_t flags, size_t size)
{
	return kmalloc_any(size, flags);
}
EXPORT_SYMBOL(kmalloc_trace);

void *kmalloc_node_trace(struct kmem_cache *s, gfp_t flags, int node, size_t size)
{
	return kmalloc_any(size, flags);
}
EXPORT_SYMBOL(kmalloc_node_trace);

void *kmalloc_large(size_t size, gfp_t flags)
{
	return alloc(size, flags, PAGE_SIZE);
}
EXPORT_SYMBOL(kmalloc_large);

void *kmalloc_large_node(size_t size, gfp_t flags, int node)
{
	return alloc(size, flags, PAGE_SIZE);
}
EXPORT_SYMBOL(kmalloc_large_node);

void *__kmalloc_node_track_caller(size_t size, gfp_t flags, int node, unsigned long caller)
{
	return kmalloc_any(size, flags);
}
EXPORT_SYMBOL(__kmalloc_node_track_caller);

void *krealloc(const void *p, size_t new_size, gfp_t flags)
{
	return do_krealloc(p, new_size, flags);
}
EXPORT_SYMBOL(krealloc);

void *kmem_cache_alloc(struct kmem_cache *s, gfp_t flags)
{
	return cache_alloc(s, flags);
}
EXPORT_SYMBOL(kmem_cache_alloc);

void *kmem_cache_alloc_lru(struct kmem_cache *s, struct list_lru *lru, gfp_t flags)
{
	return cache_alloc(s, flags);
}
EXPORT_SYMBOL(kmem_cache_alloc_lru);

void *kmem_cache_alloc_node(struct kmem_cache *s, gfp_t flags, int node)
{
	return cache_alloc(s, flags);
}
EXPORT_SYMBOL(kmem_cache_alloc_node);

struct kmem_cache *kmem_cache_create(const char *name, unsigned int size, unsigned int align,
				     slab_flags_t flags, void (*ctor)(void *))
{
	return cache_create(name, size, align, ctor);
}
EXPORT_SYMBOL(kmem_cache_create);

struct kmem_cache *kmem_cache_create_usercopy(const char *name, unsigned int size,
					      unsigned int align, slab_flags_t flags,
					      unsigned int useroffset, unsigned int usersize,
					      void (*ctor)(void *))
{
	return cache_create(name, size, align, ctor);
}
EXPORT_SYMBOL(kmem_cache_create_usercopy);

void *kvmalloc_node(size_t size, gfp_t flags, int node)
{
	return kmalloc_any(size, flags);
}
EXPORT_SYMBOL(kvmalloc_node);

void *kvrealloc(const void *p, size_t oldsize, size_t newsize, gfp_t flags)
{
	return do_krealloc(p, newsize, flags);
}
EXPORT_SYMBOL(kvrealloc);

void *vmalloc(unsigned long size)
{
	return vmalloc_area(size, GFP_KERNEL);
}
EXPORT_SYMBOL(vmalloc);

void *vzalloc(unsigned long size)
{
	return vmalloc_area(size, GFP_KERNEL | __GFP_ZERO);
}
EXPORT_SYMBOL(vzalloc);

void *__vmalloc(unsigned long size, gfp_t gfp_mask)
{
	return vmalloc_area(size, gfp_mask);
}
EXPORT_SYMBOL(__vmalloc);

void *vmalloc_node(unsigned long size, int node)
{
	return vmalloc_area(size, GFP_KERNEL);
}
EXPORT_SYMBOL(vmalloc_node);

void *kmemdup(const void *src, size_t len, gfp_t gfp)
{
	return do_kmemdup(src, len, gfp);
}
EXPORT_SYMBOL(kmemdup);

#endif
