# SPDX-License-Identifier: GPL-2.0
# What src/compat.h needs to know that no kernel version number tells,
# probed in the headers built against; included by every Kbuild file
# whose code includes src/compat.h.

# 6.12.y's stable updates moved driver_override from struct pci_dev into
# struct device.
ifneq ($(shell grep -s -l __device_set_driver_override $(srctree)/include/linux/device.h),)
ccflags-y += -DSIOMMU_HAVE_DEVICE_DRIVER_OVERRIDE
endif
