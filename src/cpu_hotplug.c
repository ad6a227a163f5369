// SPDX-License-Identifier: GPL-2.0
/*
 * CPU hotplug: allocators that cache ranges per CPU (magazine) give a
 * dead CPU's caches back.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpuhotplug.h>
#include <linux/rcupdate.h>

#include "dma/domain.h"
#include "siommu.h"

/*
 * Runs on a live CPU after the dead one stopped, with the hotplug lock
 * held: under RCU alone, without sio->lock, whose holders may wait for
 * the hotplug lock (see attach.c's locking note).
 */
static int cpu_dead(unsigned int cpu)
{
	struct siommu_domain *dom;

	rcu_read_lock();
	list_for_each_entry_rcu(dom, &siommu.domains, node)
		siommu_domain_cpu_dead(dom, cpu);
	list_for_each_entry_rcu(dom, &siommu.draining, node)
		siommu_domain_cpu_dead(dom, cpu);
	rcu_read_unlock();
	return 0;
}

/**
 * siommu_hotplug_init() - be told when a CPU goes offline
 * @sio: the module
 *
 * Return: 0, or a negative errno.
 */
int siommu_hotplug_init(struct siommu *sio)
{
	int ret = cpuhp_setup_state_nocalls(CPUHP_BP_PREPARE_DYN,
					    KBUILD_MODNAME ":dead", NULL,
					    cpu_dead);

	if (ret < 0)
		return ret;
	sio->hotplug_state = ret;
	return 0;
}

void siommu_hotplug_exit(struct siommu *sio)
{
	if (sio->hotplug_state > 0)
		cpuhp_remove_state_nocalls(sio->hotplug_state);
	sio->hotplug_state = 0;
}
