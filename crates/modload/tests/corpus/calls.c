/* Calls: to imports, to static and global functions of the object, through
 * function-pointer tables, tail calls and recursion. */
extern int ext_add(int a, int b);
extern void ext_log(const char *msg, long value);
extern long ext_counter;

static int twice(int x) { return x * 2; }
static int __attribute__((noinline)) square(int x) { return x * x; }

int fact(int n) { return n <= 1 ? 1 : n * fact(n - 1); }

typedef int (*op_fn)(int);
static op_fn ops[] = { twice, square, 0 };
op_fn exported_ops[] = { square, twice };

int apply_all(int x)
{
	int i, acc = 0;
	for (i = 0; ops[i]; i++)
		acc += ops[i](x);
	return ext_add(acc, fact(4));
}

int tail_call(int x) { return ext_add(x, 1); }

long bump(long by)
{
	ext_counter += by;
	ext_log("bumped", ext_counter);
	return ext_counter;
}
