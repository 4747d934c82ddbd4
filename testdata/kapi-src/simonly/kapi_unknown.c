// SPDX-License-Identifier: GPL-2.0
/* Imports kernel functions the sim kernel does not implement: refused at
 * load with each symbol named, as a kernel refuses a symbol it lacks. */
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/etherdevice.h>

static struct pci_driver driver = { .name = "kapi_unknown" };

static int __init kapi_unknown_init(void)
{
	struct net_device *dev = alloc_etherdev(0);

	free_netdev(dev);
	return pci_register_driver(&driver);
}

static void __exit kapi_unknown_exit(void)
{
	pci_unregister_driver(&driver);
}

module_init(kapi_unknown_init);
module_exit(kapi_unknown_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("rkmod kapi test: imports outside the sim kernel's API");
