// SPDX-License-Identifier: GPL-2.0
/*
 * The reaper: what a swap retired and what a detach left draining is torn
 * down here, once its last range or mapping is back (attach.c, swaps.c
 * schedule it).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jiffies.h>
#include <linux/pci.h>
#include <linux/workqueue.h>

#include "dma/domain.h"
#include "siommu.h"

/*
 * Instances a swap retired are torn down once their last range is back,
 * and detached domains once their last mapping is; until then this work
 * looks again every 100 ms.
 */
static void reap_work(struct work_struct *work)
{
	struct siommu *sio = container_of(to_delayed_work(work), struct siommu,
					  reap_work);
	struct siommu_domain *dom, *tmp;
	bool again = false;

	mutex_lock(&sio->lock);
	list_for_each_entry(dom, &sio->domains, node)
		again |= siommu_domain_reap(dom);
	list_for_each_entry_safe(dom, tmp, &sio->draining, node) {
		struct pci_dev *pdev = dom->pdev;
		unsigned int ms = jiffies_to_msecs(jiffies - dom->detached_at);

		bool unbound = dom->detached == SIOMMU_HANDING_BACK;
		bool rebind = unbound && dom->rebind;

		siommu_domain_reap(dom);
		pci_dev_get(pdev);
		if (!siommu_release_drained(sio, dom, false)) {
			again = true;
		} else if (!unbound) {
			pci_info(pdev, "the last DMA mapping of its old domain came back %u ms after detach; untranslated again\n",
				 ms);
		} else {
			pci_info(pdev, "the last DMA mapping of its old domain came back %u ms after detach; handed back to the kernel's IOMMU driver\n",
				 ms);
			/* Its driver waited (attach.c): probe it now. */
			if (rebind && device_attach(&pdev->dev) < 0)
				pci_err(pdev, "no driver bound after hand-back\n");
		}
		pci_dev_put(pdev);
	}
	mutex_unlock(&sio->lock);
	if (again)
		schedule_delayed_work(&sio->reap_work, HZ / 10);
}

void siommu_reap_init(struct siommu *sio)
{
	INIT_DELAYED_WORK(&sio->reap_work, reap_work);
}
