// SPDX-License-Identifier: GPL-2.0
/*
 * scalable_iommu: scalable DMA remapping on Intel VT-d for stock kernels.
 *
 * Module lifecycle.  Where the kernel's own IOMMU driver translates DMA
 * (a stock kernel's default, VT-d or AMD-Vi), run over it: attached
 * devices get domains of its driver and our allocators and policies
 * (dma/xlate/kernel.c).  Elsewhere find the VT-d units the firmware
 * describes, refuse to start where anyone else already translates DMA
 * through them, drive them ourselves, and leave every register as found
 * on unload.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/acpi.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "dma/domain.h"
#include "dma/inval/policy.h"
#include "dma/xlate/kernel.h"
#include "siommu.h"
#include "vtd/regs.h"

static char *devices;
module_param(devices, charp, 0444);
MODULE_PARM_DESC(devices,
		 "PCI devices to attach at load, comma-separated (0000:00:03.0,...)");

#ifdef CONFIG_INTEL_IOMMU
/*
 * Exported by the kernel's VT-d driver and set once it has turned DMA
 * remapping on (intel_iommu=on), but declared only in its private header.
 */
extern int intel_iommu_enabled;
#define kernel_dma_remapping_active()	(intel_iommu_enabled != 0)
#else
#define kernel_dma_remapping_active()	false
#endif

struct siommu siommu;

static void siommu_units_release(struct siommu *sio)
{
	unsigned int i;

	for (i = 0; i < sio->nr_units; i++)
		siommu_unit_unmap(&sio->units[i]);
	kfree(sio->units);
	sio->units = NULL;
	sio->nr_units = 0;
}

static int siommu_read_dmar(struct siommu *sio)
{
	struct acpi_table_header *table;
	acpi_status status;
	int ret;

	status = acpi_get_table(ACPI_SIG_DMAR, 0, &table);
	if (ACPI_FAILURE(status)) {
		pr_err("no ACPI DMAR table, and no IOMMU driver of the kernel translates: this machine has no VT-d unit (or firmware disabled it) and no other IOMMU the kernel drives\n");
		return -ENODEV;
	}
	ret = dmar_parse((const u8 *)table, table->length, &sio->dmar);
	acpi_put_table(table);
	if (ret == -EINVAL) {
		pr_err("malformed ACPI DMAR table (bad structure at byte %zu); not touching VT-d\n",
		       sio->dmar.bad_offset);
		return ret;
	}
	if (ret)
		return ret;
	if (!sio->dmar.nr_drhds) {
		pr_err("ACPI DMAR table lists no remapping unit\n");
		dmar_info_free(&sio->dmar);
		return -ENODEV;
	}
	return 0;
}

static int siommu_units_init(struct siommu *sio)
{
	unsigned int i;
	int ret;

	sio->units = kcalloc(sio->dmar.nr_drhds, sizeof(*sio->units),
			     GFP_KERNEL);
	if (!sio->units)
		return -ENOMEM;
	for (i = 0; i < sio->dmar.nr_drhds; i++) {
		struct siommu_unit *unit = &sio->units[i];

		unit->index = i;
		unit->drhd = &sio->dmar.drhds[i];
		ret = siommu_unit_map(unit);
		if (ret)
			goto fail;
		sio->nr_units++;
	}

	/* Only now refuse: every unit is checked before any is touched. */
	for (i = 0; i < sio->nr_units; i++) {
		struct siommu_unit *unit = &sio->units[i];

		if (unit->gsts_at_load & VTD_GSTS_TES) {
			pr_err("dmar%u at %#llx is already translating DMA (enabled by firmware or another driver); refusing to take it over\n",
			       i, unit->drhd->base);
			ret = -EBUSY;
			goto fail;
		}
	}
	return 0;
fail:
	siommu_units_release(sio);
	return ret;
}

static void siommu_report(const struct siommu *sio)
{
	unsigned int i;

	for (i = 0; i < sio->nr_units; i++) {
		const struct siommu_unit *u = &sio->units[i];

		pr_info("dmar%u: %#llx ver %u.%u cap %#llx ecap %#llx%s%s\n",
			i, u->drhd->base, VTD_VER_MAJOR(u->ver),
			VTD_VER_MINOR(u->ver), u->cap, u->ecap,
			u->gsts_at_load & VTD_GSTS_IRES ?
				", interrupt remapping by the kernel" : "",
			u->gsts_at_load & VTD_GSTS_QIES ?
				", invalidation queue held by the kernel" : "");
	}
	for (i = 0; i < sio->dmar.nr_rmrrs; i++)
		pr_info("rmrr%u: [%#llx-%#llx] for %u device scope(s)\n", i,
			sio->dmar.rmrrs[i].base, sio->dmar.rmrrs[i].end,
			sio->dmar.rmrrs[i].nr_scopes);
}

static void siommu_units_disable(struct siommu *sio)
{
	unsigned int i;

	for (i = 0; i < sio->nr_units; i++)
		siommu_unit_disable(&sio->units[i]);
}

static int siommu_units_enable(struct siommu *sio)
{
	unsigned int i;
	int ret;

	for (i = 0; i < sio->nr_units; i++) {
		ret = siommu_unit_enable(&sio->units[i],
					 &siommu_unmanaged_devices, sio);
		if (ret) {
			siommu_units_disable(sio);
			return ret;
		}
	}
	return 0;
}

/* devices=: attach each; the first failure fails the load. */
static int siommu_attach_param(struct siommu *sio)
{
	char *list, *cur, *bdf;
	int ret = 0;

	if (!devices || !*devices)
		return 0;
	list = kstrdup(devices, GFP_KERNEL);
	if (!list)
		return -ENOMEM;
	cur = list;
	while (!ret && (bdf = strsep(&cur, ",")))
		ret = siommu_attach(sio, bdf);
	kfree(list);
	if (ret)
		pr_err("devices=%s: could not attach every device (%d)\n",
		       devices, ret);
	return ret;
}

/* Which IOMMU the kernel drives, from the ACPI table that describes it. */
static const char *kernel_iommu_name(void)
{
	struct acpi_table_header *table;

	if (ACPI_SUCCESS(acpi_get_table(ACPI_SIG_DMAR, 0, &table))) {
		acpi_put_table(table);
		return "VT-d";
	}
	if (ACPI_SUCCESS(acpi_get_table(ACPI_SIG_IVRS, 0, &table))) {
		acpi_put_table(table);
		return "AMD-Vi";
	}
	return "IOMMU";
}

/* Our own VT-d units: found, checked, mapped; not yet translating. */
static int siommu_vtd_init(struct siommu *sio)
{
	int ret;

	ret = siommu_read_dmar(sio);
	if (ret)
		return ret;
	ret = siommu_units_init(sio);
	if (ret)
		dmar_info_free(&sio->dmar);
	return ret;
}

static int __init siommu_init(void)
{
	struct siommu *sio = &siommu;
	int ret;

	if (kernel_dma_remapping_active() || siommu_kernel_translates()) {
		/*
		 * Debian's stock kernels turn it on by default: what a
		 * fresh install meets first.
		 */
		sio->backend = SIOMMU_BACKEND_KERNEL;
		sio->kernel_iommu = kernel_iommu_name();
		pr_info("the kernel's own IOMMU driver translates DMA: devices attached get domains of its driver, with our IOVA allocators and invalidation policies (for our own VT-d page tables boot with intel_iommu=off)\n");
	} else {
		sio->backend = SIOMMU_BACKEND_VTD;
		ret = siommu_vtd_init(sio);
		if (ret)
			return ret;
	}
	mutex_init(&sio->lock);
	INIT_LIST_HEAD(&sio->domains);
	INIT_LIST_HEAD(&sio->draining);
	INIT_LIST_HEAD(&sio->devs);
	sio->allocator = &siommu_iova_rbtree_ops;
	sio->policy = &siommu_inval_strict;
	siommu_reap_init(sio);
	ret = siommu_inval_policies_init();
	if (ret)
		goto release_units;
	ret = siommu_hotplug_init(sio);
	if (ret)
		goto exit_policies;
	siommu_report(sio);
	ret = siommu_pci_events_init(sio);
	if (ret)
		goto exit_hotplug;
	if (sio->backend == SIOMMU_BACKEND_VTD) {
		/* A device hot-added meanwhile waits (pci_events.c). */
		mutex_lock(&siommu_context_lock);
		ret = siommu_units_enable(sio);
		mutex_unlock(&siommu_context_lock);
		if (ret)
			goto exit_pci_events;
		siommu_fault_start(&sio->faults, sio->units, sio->nr_units);
	}
	ret = siommu_sysfs_init(sio);
	if (ret)
		goto disable;
	ret = siommu_attach_param(sio);
	if (ret)
		goto detach;
	if (sio->backend == SIOMMU_BACKEND_VTD)
		pr_info("ready: %u unit(s) translating\n", sio->nr_units);
	else
		pr_info("ready, over the kernel's IOMMU driver\n");
	return 0;

detach:
	siommu_detach_all(sio);
	siommu_devs_free(sio);
	siommu_sysfs_exit(sio);
	cancel_delayed_work_sync(&sio->reap_work);
	/* What is batched goes to the units while they still translate. */
	siommu_inval_policies_drain();
disable:
	siommu_pci_events_exit(sio);
	siommu_fault_stop(&sio->faults);
	siommu_units_disable(sio);
exit_pci_events:
	siommu_pci_events_exit(sio);
exit_hotplug:
	siommu_hotplug_exit(sio);
exit_policies:
	siommu_inval_policies_exit();
	rcu_barrier();
release_units:
	siommu_units_release(sio);
	dmar_info_free(&sio->dmar);
	return ret;
}

static void __exit siommu_exit(void)
{
	struct siommu *sio = &siommu;
	unsigned int i;
	bool clean = true;

	siommu_sysfs_exit(sio);
	siommu_pci_events_exit(sio);
	siommu_detach_all(sio);
	siommu_devs_free(sio);
	cancel_delayed_work_sync(&sio->reap_work);
	siommu_hotplug_exit(sio);
	siommu_inval_policies_exit();
	/* Table pages still waiting for RCU: their callback is ours. */
	rcu_barrier();
	siommu_fault_stop(&sio->faults);
	siommu_units_disable(sio);
	for (i = 0; i < sio->nr_units; i++)
		clean &= siommu_unit_registers_unchanged(&sio->units[i]);
	siommu_units_release(sio);
	dmar_info_free(&sio->dmar);
	if (sio->backend == SIOMMU_BACKEND_KERNEL)
		pr_info("unloaded; every device back with the kernel's IOMMU driver\n");
	else
		pr_info("unloaded; %s\n", clean ? "every unit left as found" :
			"a unit's registers changed while loaded (see above)");
}

module_init(siommu_init);
module_exit(siommu_exit);

MODULE_DESCRIPTION("Scalable DMA remapping for Intel VT-d, and over the kernel's IOMMU drivers");
MODULE_AUTHOR("The scalable_iommu authors");
MODULE_LICENSE("GPL");
MODULE_VERSION(SIOMMU_VERSION);
