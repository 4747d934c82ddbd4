/* hammer: one kmod_ctx shared by many threads. Every thread asks the same
 * questions about the same names over and over (lookups, dependencies,
 * softdeps, options, module info and probe dry runs when the library has
 * them) and checks every answer against the one a single thread computed
 * first. Prints the number of answers checked and of mismatches.
 *
 * usage: hammer DIRNAME CONFIG|- THREADS ROUNDS < names
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libkmod.h"

struct buf {
	char *p;
	size_t len, cap;
};

static void put(struct buf *b, const char *s)
{
	size_t n = strlen(s);
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, s, n + 1);
	b->len += n;
}

static void putf(struct buf *b, const char *a, const char *c)
{
	put(b, a);
	put(b, c ? c : "(null)");
	put(b, "\n");
}

typedef int (*info_fn)(const struct kmod_module *, struct kmod_list **);
typedef const char *(*info_str_fn)(const struct kmod_list *);
typedef void (*info_free_fn)(struct kmod_list *);
typedef int (*probe_fn)(struct kmod_module *, unsigned int, const char *,
			int (*)(struct kmod_module *, const char *, void *), const void *,
			void (*)(struct kmod_module *, bool, const char *));
static info_fn get_info;
static info_str_fn info_key, info_value;
static info_free_fn info_free;
static probe_fn probe;

static struct kmod_ctx *ctx;
static char **names;
static int n_names;
static char **expected;
static int rounds;
static long checked, mismatches;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static __thread struct buf *probe_out;

static void print_action(struct kmod_module *m, bool install, const char *options)
{
	put(probe_out, install ? "  probe install " : "  probe insmod ");
	putf(probe_out, kmod_module_get_name(m), options);
}

static void names_of(struct buf *b, const char *tag, struct kmod_list *list)
{
	struct kmod_list *l;
	kmod_list_foreach(l, list) {
		struct kmod_module *m = kmod_module_get_module(l);
		put(b, tag);
		putf(b, kmod_module_get_name(m), kmod_module_get_path(m));
		kmod_module_unref(m);
	}
}

static char *answer(const char *name)
{
	struct buf b = { 0 };
	struct kmod_list *list = NULL, *l;
	char num[32];
	int err = kmod_module_new_from_lookup(ctx, name, &list);
	snprintf(num, sizeof(num), "%d", err);
	putf(&b, "lookup err=", num);
	kmod_list_foreach(l, list) {
		struct kmod_module *m = kmod_module_get_module(l);
		putf(&b, "mod ", kmod_module_get_name(m));
		putf(&b, " path ", kmod_module_get_path(m));
		putf(&b, " options ", kmod_module_get_options(m));
		putf(&b, " install ", kmod_module_get_install_commands(m));
		struct kmod_list *deps = kmod_module_get_dependencies(m);
		names_of(&b, "  dep ", deps);
		kmod_module_unref_list(deps);
		struct kmod_list *pre = NULL, *post = NULL;
		kmod_module_get_softdeps(m, &pre, &post);
		names_of(&b, "  pre ", pre);
		names_of(&b, "  post ", post);
		kmod_module_unref_list(pre);
		kmod_module_unref_list(post);
		if (get_info) {
			struct kmod_list *info = NULL, *i;
			err = get_info(m, &info);
			snprintf(num, sizeof(num), "%d", err < 0 ? err : 0);
			putf(&b, "  info err=", num);
			kmod_list_foreach(i, info) {
				put(&b, "  info ");
				put(&b, info_key(i));
				putf(&b, "=", info_value(i));
			}
			info_free(info);
		}
		if (probe) {
			struct buf pb = { 0 };
			probe_out = &pb;
			err = probe(m, KMOD_PROBE_DRY_RUN | KMOD_PROBE_IGNORE_LOADED, NULL, NULL,
				    NULL, print_action);
			snprintf(num, sizeof(num), "%d", err);
			putf(&b, "  probe err=", num);
			if (pb.p)
				put(&b, pb.p);
			free(pb.p);
		}
		/* a module made from its file is the one of its name */
		const char *path = kmod_module_get_path(m);
		if (path) {
			struct kmod_module *byname = NULL, *bypath = NULL;
			err = kmod_module_new_from_path(ctx, path, &bypath);
			kmod_module_new_from_name(ctx, kmod_module_get_name(m), &byname);
			snprintf(num, sizeof(num), "%d", err);
			putf(&b, "  from path err=", num);
			put(&b, bypath == byname ? "  same by path\n" : "  OTHER BY PATH\n");
			kmod_module_unref(bypath);
			kmod_module_unref(byname);
		}
		kmod_module_unref(m);
	}
	struct kmod_list *kept = NULL;
	kmod_module_apply_filter(ctx, KMOD_FILTER_BLACKLIST | KMOD_FILTER_BUILTIN, list, &kept);
	names_of(&b, "kept ", kept);
	kmod_module_unref_list(kept);
	kmod_module_unref_list(list);
	/* contexts are referenced and configuration read from any thread */
	struct kmod_ctx *c2 = kmod_ref(ctx);
	struct kmod_config_iter *it = kmod_config_get_options(c2);
	while (kmod_config_iter_next(it))
		putf(&b, "option ", kmod_config_iter_get_value(it));
	kmod_config_iter_free_iter(it);
	kmod_unref(c2);
	/* the context keeps one object per name */
	struct kmod_module *a = NULL, *c = NULL;
	kmod_module_new_from_name(ctx, name, &a);
	kmod_module_new_from_name(ctx, name, &c);
	put(&b, a == c ? "same object\n" : "DIFFERENT OBJECTS\n");
	kmod_module_unref(a);
	kmod_module_unref(c);
	return b.p;
}

static void *worker(void *arg)
{
	long id = (long)arg, ok = 0, bad = 0;
	for (int r = 0; r < rounds; r++) {
		for (int k = 0; k < n_names; k++) {
			int i = (k + id * 7 + r) % n_names; /* threads start apart */
			char *got = answer(names[i]);
			if (strcmp(got, expected[i]) == 0) {
				ok++;
			} else {
				if (bad == 0)
					fprintf(stderr, "MISMATCH thread %ld name %s:\n%s--- expected:\n%s",
						id, names[i], got, expected[i]);
				bad++;
			}
			free(got);
			if (id == 0 && k % 16 == 0)
				(void)kmod_validate_resources(ctx);
		}
	}
	pthread_mutex_lock(&lock);
	checked += ok + bad;
	mismatches += bad;
	pthread_mutex_unlock(&lock);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: hammer DIRNAME CONFIG|- THREADS ROUNDS < names\n");
		return 2;
	}
	const char *empty[] = { NULL };
	const char *paths[] = { argv[2], NULL };
	ctx = kmod_new(argv[1], strcmp(argv[2], "-") == 0 ? empty : paths);
	if (!ctx)
		return 1;
	kmod_set_log_priority(ctx, 0);
	int threads = atoi(argv[3]);
	rounds = atoi(argv[4]);
	get_info = (info_fn)dlsym(RTLD_DEFAULT, "kmod_module_get_info");
	info_key = (info_str_fn)dlsym(RTLD_DEFAULT, "kmod_module_info_get_key");
	info_value = (info_str_fn)dlsym(RTLD_DEFAULT, "kmod_module_info_get_value");
	info_free = (info_free_fn)dlsym(RTLD_DEFAULT, "kmod_module_info_free_list");
	if (!info_key || !info_value || !info_free)
		get_info = NULL;
	probe = (probe_fn)dlsym(RTLD_DEFAULT, "kmod_module_probe_insert_module");
	if (getenv("HAMMER_NO_INFO"))
		get_info = NULL;
	if (getenv("HAMMER_NO_PROBE"))
		probe = NULL;
	if (getenv("HAMMER_LOAD"))
		kmod_load_resources(ctx);

	char line[4096];
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = '\0';
		if (!line[0])
			continue;
		names = realloc(names, sizeof(*names) * (n_names + 1));
		names[n_names++] = strdup(line);
	}
	expected = calloc(n_names, sizeof(*expected));
	for (int i = 0; i < n_names; i++) {
		expected[i] = answer(names[i]);
		if (getenv("HAMMER_PRINT"))
			fputs(expected[i], stdout);
	}

	pthread_t *t = calloc(threads, sizeof(*t));
	for (long i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);

	/* the single-threaded answers, once more, must not have changed */
	for (int i = 0; i < n_names; i++) {
		char *again = answer(names[i]);
		if (strcmp(again, expected[i]) != 0)
			mismatches++;
		free(again);
	}
	printf("names %d threads %d rounds %d info %s probe %s checked %ld mismatches %ld\n",
	       n_names, threads, rounds, get_info ? "yes" : "no", probe ? "yes" : "no",
	       checked, mismatches);
	if (kmod_unref(ctx) != NULL)
		printf("ctx still referenced\n");
	return mismatches != 0;
}
