/* Data: initialised and zeroed globals, read-only tables, pointers to data
 * and strings in initialisers, imports of data, static locals. */
extern int ext_table[16];
extern const char ext_name[];

struct entry {
	const char *name;
	int *counter;
	const struct entry *next;
	unsigned short flags;
};

int counters[4] = { 1, 2, 3, 4 };
static int zeroed[64];
long big_bss[512];
const char *const messages[] = { "zero", "one", "two", "three" };
static const struct entry last = { "last", &counters[3], 0, 7 };
const struct entry first = { "first", &counters[0], &last, 1 };
struct entry writable = { "writable", zeroed + 5, &first, 3 };
const char *name_ptr = ext_name;
int *table_ptr = &ext_table[3];

int sum_counters(void)
{
	static int calls;
	int i, s = 0;
	calls++;
	for (i = 0; i < 4; i++)
		s += counters[i] + zeroed[i] + ext_table[i];
	return s + calls + (int)big_bss[7];
}

const char *message(unsigned i) { return i < 4 ? messages[i] : ext_name; }
int entry_flags(const struct entry *e) { return e ? e->flags + entry_flags(e->next) : 0; }
