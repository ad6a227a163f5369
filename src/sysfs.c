// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/scalable_iommu: the module's control and status files.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kobject.h>
#include <linux/kstrtox.h>
#include <linux/pci.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "dma/domain.h"
#include "dma/shadow.h"
#include "siommu.h"
#include "base/stats.h"
#include "dma/inval/batch.h"

/* sysfs callbacks get only the kobject; there is one module instance. */
static struct siommu *sysfs_sio;

/* What sysfs offers, in the order it lists them. */
static const struct siommu_iova_ops *const allocators[] = {
	&siommu_iova_rbtree_ops,
	&siommu_iova_magazine_ops,
	&siommu_iova_kmalloc_ops,
	&siommu_iova_identity_ops,
	&siommu_iova_linux_ops,
};

static const unsigned int nr_allocators = ARRAY_SIZE(allocators);

static ssize_t units_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	unsigned int i;
	int n = 0;

	if (sysfs_sio->backend == SIOMMU_BACKEND_KERNEL)
		return sysfs_emit(buf, "kernel %s: the kernel's driver has units, tables, queues\n",
				  sysfs_sio->kernel_iommu);
	for (i = 0; i < sysfs_sio->nr_units; i++)
		n += siommu_unit_describe(&sysfs_sio->units[i], buf, n);
	return n;
}

static struct kobj_attribute units_attr = __ATTR_RO(units);

/* Who holds the page tables: "vtd" (ours) or "kernel" (see siommu.h). */
static ssize_t backend_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  sysfs_sio->backend == SIOMMU_BACKEND_KERNEL ?
			  "kernel" : "vtd");
}

static struct kobj_attribute backend_attr = __ATTR_RO(backend);

/* Debug: "dmarN" or "dmarN queued", see siommu_inval_inject_error(). */
static ssize_t inject_queue_error_store(struct kobject *kobj,
					struct kobj_attribute *attr,
					const char *buf, size_t count)
{
	const char *mode = strchr(buf, ' ');
	size_t len = mode ? mode - buf : count;
	struct siommu_unit *unit = NULL;
	unsigned int i, index;
	char name[16];
	int ret;

	if ((mode && !sysfs_streq(mode + 1, "queued")) || len >= sizeof(name))
		goto bad_input;
	strscpy(name, buf, len + 1);
	if (strncmp(name, "dmar", 4) || kstrtouint(name + 4, 10, &index))
		goto bad_input;
	for (i = 0; i < sysfs_sio->nr_units && !unit; i++)
		if (sysfs_sio->units[i].index == index)
			unit = &sysfs_sio->units[i];
	if (!unit) {
		pr_err("inject_queue_error: no unit dmar%u\n", index);
		return -ENODEV;
	}
	ret = siommu_inval_inject_error(unit, !!mode);
	return ret ? ret : count;

bad_input:
	pr_err("inject_queue_error: want a unit's name, as in dmar0, and optionally \" queued\"\n");
	return -EINVAL;
}

static struct kobj_attribute inject_queue_error_attr =
	__ATTR(inject_queue_error, 0200, NULL, inject_queue_error_store);

static ssize_t rmrrs_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	const struct dmar_info *dmar = &sysfs_sio->dmar;
	unsigned int i;
	int n = 0;

	for (i = 0; i < dmar->nr_rmrrs; i++) {
		const struct dmar_rmrr *r = &dmar->rmrrs[i];

		n += sysfs_emit_at(buf, n, "rmrr%u segment=%u base=%#llx end=%#llx scope=",
				   i, r->segment, r->base, r->end);
		n += siommu_scopes_describe(r->scopes, r->nr_scopes, buf, n);
		n += sysfs_emit_at(buf, n, "\n");
	}
	return n;
}

static struct kobj_attribute rmrrs_attr = __ATTR_RO(rmrrs);

static ssize_t attach_store(struct kobject *kobj, struct kobj_attribute *attr,
			    const char *buf, size_t count)
{
	int ret = siommu_attach(sysfs_sio, buf);

	return ret ? ret : count;
}

static struct kobj_attribute attach_attr = __ATTR_WO(attach);

static ssize_t detach_store(struct kobject *kobj, struct kobj_attribute *attr,
			    const char *buf, size_t count)
{
	int ret = siommu_detach(sysfs_sio, buf);

	return ret ? ret : count;
}

static struct kobj_attribute detach_attr = __ATTR_WO(detach);

/*
 * protection: page maps every buffer in place, whole pages; subpage
 * serves mappings that do not cover whole pages from shadow buffers
 * (src/dma/shadow.c), and needs strict invalidation.
 */
static const char *const protection_names[] = { "page", "subpage" };

static const char *dev_protection(struct siommu_domain *dom)
{
	return protection_names[READ_ONCE(dom->subpage)];
}

/* One managed device a line: address, unit, domain, policies, load. */
static ssize_t devices_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	struct siommu_domain *dom;
	int n = 0;

	mutex_lock(&sysfs_sio->lock);
	list_for_each_entry(dom, &sysfs_sio->domains, node) {
		struct siommu_xlate *xl = dom->xlate;

		n += sysfs_emit_at(buf, n, "%s ", pci_name(dom->pdev));
		n += xl->ops->describe(xl, buf, n);
		n += sysfs_emit_at(buf, n,
				   " allocator=%s invalidation=%s driver=%s mappings=%lu table_pages=%ld table_pages_peak=%ld table_pages_needed=%ld",
				   siommu_domain_allocator(dom)->name,
				   siommu_domain_inval_policy(dom)->name,
				   dev_driver_string(&dom->pdev->dev),
				   siommu_domain_outstanding(dom),
				   xl->ops->table_pages(xl),
				   xl->ops->table_pages_peak(xl),
				   xl->ops->table_pages_needed(xl));
		if (xl->ops->superpage_maps)
			n += sysfs_emit_at(buf, n, " superpage_maps=%ld",
					   xl->ops->superpage_maps(xl));
		n += sysfs_emit_at(buf, n,
				   " protection=%s shadow_buffers=%lu untrusted=%d",
				   dev_protection(dom), siommu_shadow_in_use(dom),
				   dom->pdev->untrusted);
		/* Its requester ids, last: pci_events.c. */
		n += siommu_rids_describe(dom->pdev, buf, n);
		n += sysfs_emit_at(buf, n, "\n");
	}
	mutex_unlock(&sysfs_sio->lock);
	return n;
}

static struct kobj_attribute devices_attr = __ATTR_RO(devices);

/*
 * Detached devices whose old domain still has mappings out, one a line:
 * late DMA calls returning them reach that domain (forward.c).
 */
static ssize_t draining_show(struct kobject *kobj,
			     struct kobj_attribute *attr, char *buf)
{
	struct siommu_domain *dom;
	int n = 0;

	mutex_lock(&sysfs_sio->lock);
	list_for_each_entry(dom, &sysfs_sio->draining, node) {
		n += sysfs_emit_at(buf, n, "%s ", pci_name(dom->pdev));
		n += dom->xlate->ops->describe(dom->xlate, buf, n);
		n += sysfs_emit_at(buf, n, " mappings=%lu detached_ms=%u%s\n",
				   siommu_domain_outstanding(dom),
				   jiffies_to_msecs(jiffies - dom->detached_at),
				   dom->detached == SIOMMU_HANDING_BACK ?
				   " translated" : "");
	}
	mutex_unlock(&sysfs_sio->lock);
	return n;
}

static struct kobj_attribute draining_attr = __ATTR_RO(draining);

/*
 * A choice among names, shown as /sys/block/x/queue/scheduler does:
 * every name, the active one in brackets.
 */
static ssize_t choice_show(const char *const *names, unsigned int nr,
			   const char *active, char *buf)
{
	unsigned int i;
	int n = 0;

	for (i = 0; i < nr; i++)
		n += sysfs_emit_at(buf, n, strcmp(names[i], active) ?
				   "%s%s" : "%s[%s]", i ? " " : "", names[i]);
	return n + sysfs_emit_at(buf, n, "\n");
}

/* Index of the name written, or -EINVAL (logged) for anything else. */
static int choice_find(const char *what, const char *const *names,
		       unsigned int nr, const char *buf, size_t count)
{
	size_t len = count && buf[count - 1] == '\n' ? count - 1 : count;
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (strlen(names[i]) == len && !strncmp(names[i], buf, len))
			return i;
	pr_err("unknown %s '%*pE'; the choices are in the file\n", what,
	       (int)min_t(size_t, len, 32), buf);
	return -EINVAL;
}

static const char *allocator_names[8];
static const char *policy_names[8];

static ssize_t allocator_show(struct kobject *kobj,
			      struct kobj_attribute *attr, char *buf)
{
	return choice_show(allocator_names, nr_allocators,
			   sysfs_sio->allocator->name, buf);
}

static ssize_t allocator_store(struct kobject *kobj,
			       struct kobj_attribute *attr, const char *buf,
			       size_t count)
{
	int i = choice_find("allocator", allocator_names,
			    nr_allocators, buf, count);

	if (i >= 0)
		i = siommu_set_allocator(sysfs_sio, allocators[i]);
	return i < 0 ? i : count;
}

static struct kobj_attribute allocator_attr = __ATTR_RW(allocator);

static ssize_t invalidation_show(struct kobject *kobj,
				 struct kobj_attribute *attr, char *buf)
{
	return choice_show(policy_names, siommu_nr_inval_policies,
			   sysfs_sio->policy->name, buf);
}

static ssize_t invalidation_store(struct kobject *kobj,
				  struct kobj_attribute *attr,
				  const char *buf, size_t count)
{
	int i = choice_find("invalidation policy", policy_names,
			    siommu_nr_inval_policies, buf, count);

	if (i >= 0)
		i = siommu_set_inval_policy(sysfs_sio,
					    siommu_inval_policies[i]);
	return i < 0 ? i : count;
}

static struct kobj_attribute invalidation_attr = __ATTR_RW(invalidation);

/* An unsigned integer in [lo, hi]; anything else -EINVAL, logged. */
static int bounded_store(const char *what, const char *buf, unsigned int lo,
			 unsigned int hi, unsigned int *to)
{
	unsigned int v;

	if (kstrtouint(buf, 0, &v) || v < lo || v > hi) {
		pr_err("%s: want an integer from %u to %u\n", what, lo, hi);
		return -EINVAL;
	}
	WRITE_ONCE(*to, v);
	return 0;
}

static ssize_t batch_size_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(siommu_batch_size));
}

static ssize_t batch_size_store(struct kobject *kobj,
				struct kobj_attribute *attr, const char *buf,
				size_t count)
{
	int ret = bounded_store("batch_size", buf, 1, SIOMMU_BATCH_MAX,
				&siommu_batch_size);

	return ret ? ret : count;
}

static struct kobj_attribute batch_size_attr = __ATTR_RW(batch_size);

static ssize_t flush_timeout_us_show(struct kobject *kobj,
				     struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(siommu_flush_timeout_us));
}

static ssize_t flush_timeout_us_store(struct kobject *kobj,
				      struct kobj_attribute *attr,
				      const char *buf, size_t count)
{
	int ret = bounded_store("flush_timeout_us", buf,
				SIOMMU_FLUSH_TIMEOUT_MIN_US,
				SIOMMU_FLUSH_TIMEOUT_MAX_US,
				&siommu_flush_timeout_us);

	if (ret)
		return ret;
	/*
	 * A pending batch's timer was armed with the old timeout: flush it
	 * now, or a lowered bound would not hold for what is batched.
	 */
	siommu_inval_policies_drain();
	return count;
}

static struct kobj_attribute flush_timeout_us_attr =
	__ATTR_RW(flush_timeout_us);

/*
 * reclaim_tables: 1 (the default) frees an I/O page-table page when its
 * last entry is unmapped; 0 keeps emptied tables linked, as Linux does
 * (for measuring what reclamation costs).  Takes effect at the next unmap.
 */
static ssize_t reclaim_tables_show(struct kobject *kobj,
				   struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(vtd_pgtable_reclaim));
}

static ssize_t reclaim_tables_store(struct kobject *kobj,
				    struct kobj_attribute *attr,
				    const char *buf, size_t count)
{
	int ret = bounded_store("reclaim_tables", buf, 0, 1,
				&vtd_pgtable_reclaim);

	return ret ? ret : count;
}

static struct kobj_attribute reclaim_tables_attr = __ATTR_RW(reclaim_tables);

/*
 * device/<bdf>/: one managed device's own allocator and policy.
 *
 * The callbacks find the domain by the directory's name under sio->lock.
 * Detach removes the directory with that lock held, and removal waits for
 * callbacks in progress; so they only try the lock and have the write
 * restarted when it is busy, rather than wait for it.
 */
static struct siommu_domain *device_dom(struct kobject *kobj)
{
	struct siommu_domain *dom;

	lockdep_assert_held(&sysfs_sio->lock);
	list_for_each_entry(dom, &sysfs_sio->domains, node)
		if (!strcmp(pci_name(dom->pdev), kobject_name(kobj)))
			return dom;
	return NULL;
}

/*
 * sio->lock taken and the directory's domain found: 0, and the caller
 * unlocks; else the errno to return, lock not held.
 */
static int device_dom_lock(struct kobject *kobj, struct siommu_domain **dom)
{
	if (!mutex_trylock(&sysfs_sio->lock))
		return restart_syscall();
	*dom = device_dom(kobj);
	if (*dom)
		return 0;
	mutex_unlock(&sysfs_sio->lock);
	return -ENODEV;
}

/* A device's choice file: @names, @active(its domain) marked. */
static ssize_t dev_choice_show(struct kobject *kobj, char *buf,
			       const char *const *names, unsigned int nr,
			       const char *(*active)(struct siommu_domain *))
{
	struct siommu_domain *dom;
	ssize_t n = device_dom_lock(kobj, &dom);

	if (n)
		return n;
	n = choice_show(names, nr, active(dom), buf);
	mutex_unlock(&sysfs_sio->lock);
	return n;
}

static const char *dev_allocator(struct siommu_domain *dom)
{
	return siommu_domain_allocator(dom)->name;
}

static ssize_t dev_allocator_show(struct kobject *kobj,
				  struct kobj_attribute *attr, char *buf)
{
	return dev_choice_show(kobj, buf, allocator_names, nr_allocators,
			       dev_allocator);
}

static ssize_t dev_allocator_store(struct kobject *kobj,
				   struct kobj_attribute *attr,
				   const char *buf, size_t count)
{
	struct siommu_domain *dom;
	int i = choice_find("allocator", allocator_names,
			    nr_allocators, buf, count);
	bool changed;
	int ret;

	if (i < 0)
		return i;
	ret = device_dom_lock(kobj, &dom);
	if (ret)
		return ret;
	changed = siommu_domain_allocator(dom) != allocators[i];
	ret = siommu_allocator_allowed(sysfs_sio, allocators[i]) ?:
	      siommu_allocator_check(allocators[i], dom->xlate->max_iova) ?:
	      siommu_domain_set_allocator(dom, allocators[i]);
	if (ret)
		pr_err("%s: cannot switch to that allocator (%d)\n",
		       kobject_name(kobj), ret);
	else if (changed)
		siommu_stat_inc(SIOMMU_STAT_SWAPS);
	schedule_delayed_work(&sysfs_sio->reap_work, HZ / 10);
	mutex_unlock(&sysfs_sio->lock);
	return ret ? ret : count;
}

static struct kobj_attribute dev_allocator_attr =
	__ATTR(allocator, 0644, dev_allocator_show, dev_allocator_store);

static const char *dev_invalidation(struct siommu_domain *dom)
{
	return siommu_domain_inval_policy(dom)->name;
}

static ssize_t dev_invalidation_show(struct kobject *kobj,
				     struct kobj_attribute *attr, char *buf)
{
	return dev_choice_show(kobj, buf, policy_names,
			       siommu_nr_inval_policies, dev_invalidation);
}

static ssize_t dev_invalidation_store(struct kobject *kobj,
				      struct kobj_attribute *attr,
				      const char *buf, size_t count)
{
	struct siommu_domain *dom;
	int i = choice_find("invalidation policy", policy_names,
			    siommu_nr_inval_policies, buf, count);
	bool changed;
	int ret;

	if (i < 0)
		return i;
	ret = device_dom_lock(kobj, &dom);
	if (ret)
		return ret;
	changed = siommu_domain_inval_policy(dom) != siommu_inval_policies[i];
	ret = siommu_domain_set_inval_policy(dom, siommu_inval_policies[i]);
	if (ret)
		pr_err("%s: %s invalidation refused: %s; only strict serves it\n",
		       kobject_name(kobj), siommu_inval_policies[i]->name,
		       siommu_domain_why_strict(dom));
	else if (changed)
		siommu_stat_inc(SIOMMU_STAT_SWAPS);
	mutex_unlock(&sysfs_sio->lock);
	return ret ? ret : count;
}

static struct kobj_attribute dev_invalidation_attr =
	__ATTR(invalidation, 0644, dev_invalidation_show,
	       dev_invalidation_store);

static ssize_t dev_protection_show(struct kobject *kobj,
				   struct kobj_attribute *attr, char *buf)
{
	return dev_choice_show(kobj, buf, protection_names,
			       ARRAY_SIZE(protection_names), dev_protection);
}

static ssize_t dev_protection_store(struct kobject *kobj,
				    struct kobj_attribute *attr,
				    const char *buf, size_t count)
{
	struct siommu_domain *dom;
	int i = choice_find("protection", protection_names,
			    ARRAY_SIZE(protection_names), buf, count);
	int ret;

	if (i < 0)
		return i;
	ret = device_dom_lock(kobj, &dom);
	if (ret)
		return ret;
	ret = siommu_domain_set_protection(dom, i);
	if (ret == -EPERM)
		pr_err("%s: subpage protection needs strict invalidation; its policy is %s\n",
		       kobject_name(kobj), siommu_domain_inval_policy(dom)->name);
	else if (ret)
		pr_err("%s: cannot set up shadow buffers (%d)\n",
		       kobject_name(kobj), ret);
	else if (!i && dom->pdev->untrusted)
		pr_warn("%s: untrusted device now maps whole pages: it can reach the rest of every page it is given\n",
			kobject_name(kobj));
	mutex_unlock(&sysfs_sio->lock);
	return ret ? ret : count;
}

static struct kobj_attribute dev_protection_attr =
	__ATTR(protection, 0644, dev_protection_show, dev_protection_store);

static ssize_t dev_outstanding_show(struct kobject *kobj,
				    struct kobj_attribute *attr, char *buf)
{
	struct siommu_domain *dom;
	ssize_t n = device_dom_lock(kobj, &dom);

	if (n)
		return n;
	n = sysfs_emit(buf, "%lu\n", siommu_domain_outstanding(dom));
	mutex_unlock(&sysfs_sio->lock);
	return n;
}

static struct kobj_attribute dev_outstanding_attr =
	__ATTR(outstanding, 0444, dev_outstanding_show, NULL);

/* Debug: "1" takes every mapping away (siommu_domain_revoke()). */
static ssize_t dev_revoke_store(struct kobject *kobj,
				struct kobj_attribute *attr, const char *buf,
				size_t count)
{
	struct siommu_domain *dom;
	int ret;

	if (!sysfs_streq(buf, "1"))
		return -EINVAL;
	ret = device_dom_lock(kobj, &dom);
	if (ret)
		return ret;
	siommu_domain_revoke(dom);
	mutex_unlock(&sysfs_sio->lock);
	return count;
}

static struct kobj_attribute dev_revoke_attr =
	__ATTR(revoke, 0200, NULL, dev_revoke_store);

static struct attribute *device_attrs[] = {
	&dev_allocator_attr.attr,
	&dev_invalidation_attr.attr,
	&dev_protection_attr.attr,
	&dev_outstanding_attr.attr,
	&dev_revoke_attr.attr,
	NULL,
};

static const struct attribute_group device_group = {
	.attrs = device_attrs,
};

/*
 * device/<bdf>/ for a newly attached device, @dom on sio->domains.
 * Return: 0 or a negative errno (the directory is then absent).
 */
static int device_dir_add(struct siommu *sio, struct siommu_domain *dom)
{
	int ret;

	/* dom->kobj is set and cleared only under it. */
	lockdep_assert_held(&sio->lock);
	dom->kobj = kobject_create_and_add(pci_name(dom->pdev),
					   sio->devices_kobj);
	if (!dom->kobj)
		return -ENOMEM;
	ret = sysfs_create_group(dom->kobj, &device_group);
	if (ret) {
		kobject_put(dom->kobj);
		dom->kobj = NULL;
	}
	return ret;
}

static void device_dir_remove(struct siommu_domain *dom)
{
	lockdep_assert_held(dom->lock);
	if (!dom->kobj)
		return;
	sysfs_remove_group(dom->kobj, &device_group);
	kobject_put(dom->kobj);
	dom->kobj = NULL;
}

static const struct siommu_device_events device_dir_events = {
	.attached = device_dir_add,
	.detached = device_dir_remove,
};

/*
 * Computed for stats/: totals the per-CPU counters cannot hold, over every
 * managed device, draining ones included (their ranges are still out).
 * Allocator counts are those of the live instances: an instance torn down
 * after a swap takes its counts with it.
 */
struct domain_totals {
	unsigned long outstanding;
	struct siommu_iova_stats iova;
	long tables, tables_needed;
	bool want_needed;	/* tables_needed walks every table: on demand */
};

static void add_domain(struct domain_totals *t, struct siommu_domain *dom)
{
	t->outstanding += siommu_domain_outstanding(dom);
	siommu_domain_iova_stats(dom, &t->iova);
	t->tables += dom->xlate->ops->table_pages(dom->xlate);
	if (t->want_needed)
		t->tables_needed +=
			dom->xlate->ops->table_pages_needed(dom->xlate);
}

static int sum_domains(struct domain_totals *t, bool want_needed)
{
	struct siommu_domain *dom;

	memset(t, 0, sizeof(*t));
	t->want_needed = want_needed;
	if (!mutex_trylock(&sysfs_sio->lock))
		return restart_syscall();
	list_for_each_entry(dom, &sysfs_sio->domains, node)
		add_domain(t, dom);
	list_for_each_entry(dom, &sysfs_sio->draining, node)
		add_domain(t, dom);
	mutex_unlock(&sysfs_sio->lock);
	return 0;
}

static ssize_t outstanding_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	struct domain_totals t;
	int ret = sum_domains(&t, false);

	return ret ?: sysfs_emit(buf, "%lu\n", t.outstanding);
}

static struct kobj_attribute outstanding_attr = __ATTR_RO(outstanding);

static ssize_t iova_stat_show(struct kobject *kobj,
			      struct kobj_attribute *attr, char *buf)
{
	struct domain_totals t;
	unsigned long v;
	bool needed = !strcmp(attr->attr.name, "table_pages_needed");
	int ret = sum_domains(&t, needed);

	if (ret)
		return ret;
	if (needed)
		v = t.tables_needed;
	else if (!strcmp(attr->attr.name, "cache_hits"))
		v = t.iova.cache_hits;
	else if (!strcmp(attr->attr.name, "cache_misses"))
		v = t.iova.cache_misses;
	else if (!strcmp(attr->attr.name, "depot_exchanges"))
		v = t.iova.depot_exchanges;
	else
		v = t.tables;
	return sysfs_emit(buf, "%lu\n", v);
}

static struct kobj_attribute cache_hits_attr =
	__ATTR(cache_hits, 0444, iova_stat_show, NULL);
static struct kobj_attribute cache_misses_attr =
	__ATTR(cache_misses, 0444, iova_stat_show, NULL);
static struct kobj_attribute depot_exchanges_attr =
	__ATTR(depot_exchanges, 0444, iova_stat_show, NULL);
static struct kobj_attribute table_pages_attr =
	__ATTR(table_pages, 0444, iova_stat_show, NULL);
static struct kobj_attribute table_pages_needed_attr =
	__ATTR(table_pages_needed, 0444, iova_stat_show, NULL);

/*
 * Module-wide, whatever became of the domains and instances that held
 * them: with nothing attached, both read 0 (but for the identity domain's
 * tables on a unit without pass-through), or something leaked.
 */
static ssize_t live_table_pages_show(struct kobject *kobj,
				     struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%ld\n",
			  atomic_long_read(&vtd_pgtable_pages_live));
}

static struct kobj_attribute live_table_pages_attr =
	__ATTR_RO(live_table_pages);

/* The most live_table_pages has been since load. */
static ssize_t table_pages_peak_show(struct kobject *kobj,
				     struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%ld\n",
			  atomic_long_read(&vtd_pgtable_pages_peak));
}

static struct kobj_attribute table_pages_peak_attr =
	__ATTR_RO(table_pages_peak);

static ssize_t live_magazines_show(struct kobject *kobj,
				   struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%ld\n",
			  atomic_long_read(&siommu_iova_magazines_live));
}

static struct kobj_attribute live_magazines_attr = __ATTR_RO(live_magazines);

static ssize_t oldest_batch_age_us_show(struct kobject *kobj,
					struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", siommu_inval_policies_oldest_age_us());
}

static struct kobj_attribute oldest_batch_age_us_attr =
	__ATTR_RO(oldest_batch_age_us);

static struct attribute *computed_stat_attrs[] = {
	&outstanding_attr.attr,
	&cache_hits_attr.attr,
	&cache_misses_attr.attr,
	&depot_exchanges_attr.attr,
	&table_pages_attr.attr,
	&table_pages_needed_attr.attr,
	&live_table_pages_attr.attr,
	&table_pages_peak_attr.attr,
	&live_magazines_attr.attr,
	&oldest_batch_age_us_attr.attr,
	NULL,
};

static const struct attribute_group computed_stat_group = {
	.attrs = computed_stat_attrs,
};

static struct attribute *siommu_attrs[] = {
	&backend_attr.attr,
	&units_attr.attr,
	&rmrrs_attr.attr,
	&attach_attr.attr,
	&detach_attr.attr,
	&devices_attr.attr,
	&draining_attr.attr,
	&allocator_attr.attr,
	&invalidation_attr.attr,
	&batch_size_attr.attr,
	&flush_timeout_us_attr.attr,
	&reclaim_tables_attr.attr,
	&inject_queue_error_attr.attr,		/* debug */
	NULL,
};

static const struct attribute_group siommu_group = {
	.attrs = siommu_attrs,
};

int siommu_sysfs_init(struct siommu *sio)
{
	int ret;

	sysfs_sio = sio;
	for (ret = 0; ret < nr_allocators; ret++)
		allocator_names[ret] = allocators[ret]->name;
	for (ret = 0; ret < siommu_nr_inval_policies; ret++)
		policy_names[ret] = siommu_inval_policies[ret]->name;
	sio->kobj = kobject_create_and_add(KBUILD_MODNAME, kernel_kobj);
	if (!sio->kobj)
		return -ENOMEM;
	ret = sysfs_create_group(sio->kobj, &siommu_group);
	if (ret)
		goto put;
	ret = siommu_stats_init(sio->kobj, &sio->stats_kobj);
	if (ret)
		goto remove;
	ret = sysfs_create_group(sio->stats_kobj, &computed_stat_group);
	if (ret)
		goto remove_stats;
	sio->devices_kobj = kobject_create_and_add("device", sio->kobj);
	if (!sio->devices_kobj) {
		ret = -ENOMEM;
		goto remove_computed;
	}
	sio->device_events = &device_dir_events;
	return 0;
remove_computed:
	sysfs_remove_group(sio->stats_kobj, &computed_stat_group);
remove_stats:
	siommu_stats_exit(sio->stats_kobj);
	sio->stats_kobj = NULL;
remove:
	sysfs_remove_group(sio->kobj, &siommu_group);
put:
	kobject_put(sio->kobj);
	sio->kobj = NULL;
	return ret;
}

void siommu_sysfs_exit(struct siommu *sio)
{
	struct siommu_domain *dom;

	if (!sio->kobj)
		return;
	/* Children first: detach (after this) finds them gone. */
	mutex_lock(&sio->lock);
	list_for_each_entry(dom, &sio->domains, node)
		device_dir_remove(dom);
	mutex_unlock(&sio->lock);
	kobject_put(sio->devices_kobj);
	sio->devices_kobj = NULL;
	sysfs_remove_group(sio->stats_kobj, &computed_stat_group);
	siommu_stats_exit(sio->stats_kobj);
	sio->stats_kobj = NULL;
	sysfs_remove_group(sio->kobj, &siommu_group);
	kobject_put(sio->kobj);
	sio->kobj = NULL;
}
