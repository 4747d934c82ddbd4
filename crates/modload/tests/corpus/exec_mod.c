/* Executed by the tests: imports from exec_lib (near) and from the test
 * process (far: through the loader's PLT, or through 64-bit pointers). */
extern long lib_mul(long a, long b);
extern long lib_counter;
extern long host_sum8(long a, long b, long c, long d, long e, long f, long g, long h);
extern void host_record(long v);
extern long host_value;

/* Kernel-model code reaches far data only through a 64-bit pointer in data
 * (volatile, or gcc folds it into a direct, out-of-range reference). */
static long *volatile host_value_ptr = &host_value;
long table[4] = { 10, 20, 30, 40 };
long *table_ptr = &table[2];
static const char greeting[] = "hello";
const char *greeting_ptr = greeting;
long bss_counter;

long mod_calls(long x)
{
	long r = lib_mul(x, 3);
	host_record(r);
	r += host_sum8(1, 2, 3, 4, 5, 6, 7, 8);
	lib_counter += 1;
	bss_counter += r;
	return r;
}

long mod_data(void)
{
	return *table_ptr + table[0] + *host_value_ptr + greeting_ptr[1];
}

long mod_switch(int op, long a)
{
	switch (op) {
	case 0: return a + 1;
	case 1: return a * 7;
	case 2: return a - 9;
	case 3: return a << 2;
	case 4: return -a;
	case 5: return a / 3;
	case 6: return a ^ 0x55;
	default: return 0;
	}
}

long mod_bss(void) { return bss_counter; }
long mod_lib_counter(void) { return lib_counter; }

/* Taking the address of an import and calling through the pointer. */
long mod_fnptr(long x)
{
	long (*volatile f)(long, long) = lib_mul;
	return f(x, x);
}

#ifdef __PIC__
/* Only position-independent code reaches far data directly (via the GOT). */
long mod_host_value(void) { return host_value; }
#endif
