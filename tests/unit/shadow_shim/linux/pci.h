/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in: a device is its minimum DMA alignment. */
#ifndef SHIM_LINUX_PCI_H
#define SHIM_LINUX_PCI_H
#include <stdio.h>
#include <linux/types.h>

struct device {
	unsigned int min_align_mask;
};

struct pci_dev {
	struct device dev;
	bool untrusted;
};

#define dev_err_ratelimited(dev, fmt, ...) \
	fprintf(stderr, "device: " fmt, ##__VA_ARGS__)
#endif
