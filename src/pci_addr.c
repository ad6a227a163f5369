// SPDX-License-Identifier: GPL-2.0
/*
 * PCI addresses as users write them (attach, detach): "0000:00:03.0".
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/pci.h>
#include <linux/string.h>

#include "siommu.h"

/* "0000:00:03.0": segment, bus, device and function, nothing else. */
static int parse_bdf(const char *buf, unsigned int *seg, unsigned int *bus,
		     unsigned int *devfn)
{
	static const char shape[] = "xxxx:xx:xx.x";
	unsigned int v[4] = { 0 }, field = 0, dev;
	size_t len = strlen(buf), i;

	if (len && buf[len - 1] == '\n')
		len--;
	if (len != sizeof(shape) - 1)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (shape[i] != 'x') {
			if (buf[i] != shape[i])
				return -EINVAL;
			field++;
			continue;
		}
		if (hex_to_bin(buf[i]) < 0)
			return -EINVAL;
		v[field] = v[field] << 4 | hex_to_bin(buf[i]);
	}
	dev = v[2];
	if (dev > 0x1f || v[3] > 7)
		return -EINVAL;
	*seg = v[0];
	*bus = v[1];
	*devfn = PCI_DEVFN(dev, v[3]);
	return 0;
}

/**
 * siommu_pci_dev_at() - the PCI device at an address a user wrote
 * @buf: "0000:00:03.0", optionally newline-terminated
 * @err: set to -EINVAL for a malformed address, -ENODEV when no device
 *	 is there
 *
 * Return: the device, with a reference; NULL (and the reason logged).
 */
struct pci_dev *siommu_pci_dev_at(const char *buf, int *err)
{
	unsigned int seg, bus, devfn;
	struct pci_dev *pdev;

	*err = parse_bdf(buf, &seg, &bus, &devfn);
	if (*err) {
		pr_err("not a PCI address: want the form 0000:00:03.0\n");
		return NULL;
	}
	pdev = pci_get_domain_bus_and_slot(seg, bus, devfn);
	if (!pdev) {
		pr_err("no PCI device at %04x:%02x:%02x.%u\n", seg, bus,
		       PCI_SLOT(devfn), PCI_FUNC(devfn));
		*err = -ENODEV;
	}
	return pdev;
}
