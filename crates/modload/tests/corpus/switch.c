/* Switch tables (jump tables in .rodata pointing into .text), string
 * tables, and a dense lookup. */
extern int ext_default(int);

int dispatch(int op, int a, int b)
{
	switch (op) {
	case 0: return a + b;
	case 1: return a - b;
	case 2: return a * b;
	case 3: return b ? a / b : 0;
	case 4: return a & b;
	case 5: return a | b;
	case 6: return a ^ b;
	case 7: return a << (b & 31);
	case 8: return a >> (b & 31);
	case 9: return -a;
	default: return ext_default(op);
	}
}

const char *day_name(int d)
{
	switch (d) {
	case 0: return "Sunday";
	case 1: return "Monday";
	case 2: return "Tuesday";
	case 3: return "Wednesday";
	case 4: return "Thursday";
	case 5: return "Friday";
	case 6: return "Saturday";
	default: return "?";
	}
}
