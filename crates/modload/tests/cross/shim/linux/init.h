/* A freestanding stand-in for the kernel's <linux/init.h>: enough for the
 * project's sample modules to compile for any architecture without kernel
 * headers, with init and exit code in the sections the kernel uses. */
#ifndef MODLOAD_SHIM_INIT_H
#define MODLOAD_SHIM_INIT_H
#define __init __attribute__((section(".init.text"), noinline))
#define __exit __attribute__((section(".exit.text"), noinline))
#define __initdata __attribute__((section(".init.data")))
#endif
