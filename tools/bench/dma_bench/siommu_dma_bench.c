// SPDX-License-Identifier: GPL-2.0
/*
 * siommu_dma_bench: throughput and latency of map+unmap through the DMA
 * API, in the manner of the kernel's dma_map_benchmark.  It calls nothing
 * but the DMA API on a device's struct device, so one tool measures
 * direct DMA (no IOMMU), the stock kernel's IOMMU in each group type and
 * every scalable_iommu allocator x policy pair: whatever dma_map_ops the
 * device has when a run starts.  It maps kernel memory only; the device
 * is never told about the addresses, so it may stay bound to its driver.
 * A benchmarking tool of the project (tools/), not part of the module.
 *
 * Interface: /sys/kernel/siommu_dma_bench/
 *
 *   run (write-only)  "<pci-device> <threads> <milliseconds> <bytes> <segments>"
 *       e.g. "0000:00:03.0 2 1000 4096 1".  threads kernel threads, one
 *       pinned to each of the first online CPUs, each map and unmap one
 *       buffer of <bytes> (segments = 1: dma_map_page) or a scatterlist
 *       of <segments> buffers of <bytes> each (dma_map_sg), in a loop,
 *       for <milliseconds>.  The write returns when the run is over.
 *       Limits: threads 1..online CPUs, milliseconds 1..60000, bytes
 *       1..262144, segments 1..64.  Errors: -EINVAL (does not parse, out
 *       of range), -ENODEV (no such PCI device), -EBUSY (a run is in
 *       progress), -ENOMEM.
 *   result (read-only)  the last run, one line:
 *       "ops=<n> errors=<n> seconds=<s> ops_per_sec=<n> map_p50_ns=<n>
 *        map_p99_ns=<n> unmap_p50_ns=<n> unmap_p99_ns=<n> need_sync=<0|1>
 *        dma_ops=<symbol>"
 *       ops counts map+unmap pairs; errors the maps the DMA API refused
 *       (each is retried, not counted as an op); need_sync, what
 *       dma_need_sync() said of the first mapping; dma_ops is the device's
 *       ops table (direct when there is none).  "none" before any run.
 *
 * Latency: one pair in latency_sample (module parameter, 256 by default;
 * 0: none) is timed (ktime_get_ns around the map and around the unmap).
 * Under TCG the guest's clocksource is the HPET, and a read costs about
 * 290 ns, three times a direct map+unmap: one pair in 16 timed (the old
 * default) halved direct DMA's rate (22.0 M -> 11.9 M pairs/s, 2 threads)
 * and so compressed every ratio to it about 1.8x; one in 256 costs it
 * about 4% (docs/invalidation.md, "Measuring").  The percentiles come from a log-linear
 * histogram with 16 steps per power of two: within about 3%.
 *
 * gapped (module parameter, off by default): each buffer is the first
 * half of an allocation twice its size, so no two buffers of a
 * scatterlist are physically adjacent.  Buffers from a fresh guest's
 * buddy allocator often are, and a list of them then maps as one run,
 * in 2 MiB superpages where both addresses align; tests that need leaf
 * tables under a list (tests/vm/kernel_backend.sh) set it.
 */

#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/pci.h>
#include <linux/dma-mapping.h>
#include <linux/dma-map-ops.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/sched.h>
#include <linux/delay.h>
#include <linux/ktime.h>
#include <linux/kallsyms.h>
#include <linux/vmalloc.h>
#include <linux/string.h>
#include <linux/kobject.h>
#include <linux/sysfs.h>

#define MAX_MS		60000
#define MAX_BYTES	(256 * 1024)
#define MAX_SEGMENTS	64
#define LATENCY_SAMPLE	256

static unsigned int latency_sample = LATENCY_SAMPLE;
module_param(latency_sample, uint, 0644);
MODULE_PARM_DESC(latency_sample, "Time one map+unmap pair in this many (0: none)");

static bool gapped;
module_param(gapped, bool, 0644);
MODULE_PARM_DESC(gapped, "Keep a gap after each buffer: no two physically adjacent");

/*
 * Histogram of nanoseconds: values below 2^SUB_BITS each have a bucket;
 * above, each power of two is split into 2^SUB_BITS equal steps.
 */
#define SUB_BITS	4
#define SUB_STEPS	BIT(SUB_BITS)
#define HIST_BUCKETS	(SUB_STEPS + (64 - SUB_BITS) * SUB_STEPS)

struct bench_params {
	struct device *dev;
	unsigned int threads;
	unsigned int ms;
	unsigned int bytes;
	unsigned int segments;
};

struct bench_thread {
	const struct bench_params *p;
	const int *stop;
	struct task_struct *task;
	struct page *pages[MAX_SEGMENTS];
	unsigned int order;		/* of each allocation in pages[] */
	struct sg_table sgt;
	u64 ops;
	u64 errors;
	u64 elapsed_ns;
	int need_sync;			/* -1 until the first mapping */
	u32 map_hist[HIST_BUCKETS];
	u32 unmap_hist[HIST_BUCKETS];
};

static DEFINE_MUTEX(bench_lock);
static char bench_result[320] = "none";

static unsigned int hist_bucket(u64 ns)
{
	unsigned int msb;

	if (ns < SUB_STEPS)
		return ns;
	msb = fls64(ns) - 1;
	return SUB_STEPS + (msb - SUB_BITS) * SUB_STEPS +
		((ns >> (msb - SUB_BITS)) & (SUB_STEPS - 1));
}

/* The middle of a bucket's range of nanoseconds. */
static u64 hist_value(unsigned int bucket)
{
	unsigned int msb, step;

	if (bucket < SUB_STEPS)
		return bucket;
	msb = (bucket - SUB_STEPS) / SUB_STEPS + SUB_BITS;
	step = (bucket - SUB_STEPS) % SUB_STEPS;
	return ((u64)(SUB_STEPS + step) << (msb - SUB_BITS)) +
		(1ULL << (msb - SUB_BITS)) / 2;
}

/* The value below which pct percent of the samples lie. */
static u64 hist_percentile(const u32 *hist, u64 samples, unsigned int pct)
{
	u64 want = div_u64(samples * pct + 99, 100), seen = 0;
	unsigned int b;

	if (!samples)
		return 0;
	for (b = 0; b < HIST_BUCKETS; b++) {
		seen += hist[b];
		if (seen >= want)
			return hist_value(b);
	}
	return hist_value(HIST_BUCKETS - 1);
}

static void bench_free_buffers(struct bench_thread *t)
{
	unsigned int i;

	for (i = 0; i < MAX_SEGMENTS; i++)
		if (t->pages[i])
			__free_pages(t->pages[i], t->order);
	if (t->sgt.sgl)
		sg_free_table(&t->sgt);
}

static int bench_alloc_buffers(struct bench_thread *t, int node)
{
	const struct bench_params *p = t->p;
	struct scatterlist *sg;
	unsigned int i;

	t->order = get_order(p->bytes) + (gapped ? 1 : 0);
	for (i = 0; i < p->segments; i++) {
		t->pages[i] = alloc_pages_node(node, GFP_KERNEL, t->order);
		if (!t->pages[i])
			return -ENOMEM;
	}
	if (p->segments == 1)
		return 0;
	if (sg_alloc_table(&t->sgt, p->segments, GFP_KERNEL))
		return -ENOMEM;
	for_each_sg(t->sgt.sgl, sg, p->segments, i)
		sg_set_page(sg, t->pages[i], p->bytes, 0);
	return 0;
}

/* One map+unmap pair; false when the map was refused. */
static bool bench_pair(struct bench_thread *t, bool timed)
{
	const struct bench_params *p = t->p;
	u64 t0 = 0, t1 = 0, t2;
	dma_addr_t addr;
	int mapped;

	if (timed)
		t0 = ktime_get_ns();
	if (p->segments == 1) {
		addr = dma_map_page(p->dev, t->pages[0], 0, p->bytes,
				    DMA_BIDIRECTIONAL);
		if (dma_mapping_error(p->dev, addr))
			return false;
		if (t->need_sync < 0)
			t->need_sync = dma_need_sync(p->dev, addr);
		if (timed)
			t1 = ktime_get_ns();
		dma_unmap_page(p->dev, addr, p->bytes, DMA_BIDIRECTIONAL);
	} else {
		mapped = dma_map_sg(p->dev, t->sgt.sgl, p->segments,
				    DMA_BIDIRECTIONAL);
		if (!mapped)
			return false;
		if (t->need_sync < 0)
			t->need_sync = dma_need_sync(p->dev,
						     sg_dma_address(t->sgt.sgl));
		if (timed)
			t1 = ktime_get_ns();
		dma_unmap_sg(p->dev, t->sgt.sgl, p->segments,
			     DMA_BIDIRECTIONAL);
	}
	if (timed) {
		t2 = ktime_get_ns();
		t->map_hist[hist_bucket(t1 - t0)]++;
		t->unmap_hist[hist_bucket(t2 - t1)]++;
	}
	return true;
}

static int bench_thread_fn(void *data)
{
	struct bench_thread *t = data;
	unsigned int sample = READ_ONCE(latency_sample);
	u64 start = ktime_get_ns();
	unsigned int n = 0;

	while (!READ_ONCE(*t->stop) && !kthread_should_stop()) {
		if (bench_pair(t, sample && n % sample == 0))
			t->ops++;
		else
			t->errors++;
		n++;
		/* Debian's kernels are not fully preemptible. */
		cond_resched();
	}
	t->elapsed_ns = ktime_get_ns() - start;
	/* kthread_stop() collects the thread: wait for it. */
	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (!kthread_should_stop())
			schedule();
		__set_current_state(TASK_RUNNING);
	}
	return 0;
}

static void bench_report(const struct bench_params *p,
			 struct bench_thread *threads)
{
	u32 *map_hist, *unmap_hist;
	u64 ops = 0, errors = 0, samples = 0, max_ns = 0;
	unsigned long rate = 0;
	unsigned int i, b;
	const struct dma_map_ops *ops_table = get_dma_ops(p->dev);
	char ops_name[KSYM_SYMBOL_LEN] = "direct";

	map_hist = kcalloc(2 * HIST_BUCKETS, sizeof(*map_hist), GFP_KERNEL);
	if (!map_hist) {
		snprintf(bench_result, sizeof(bench_result), "error=ENOMEM");
		return;
	}
	unmap_hist = map_hist + HIST_BUCKETS;
	if (ops_table)
		snprintf(ops_name, sizeof(ops_name), "%ps", ops_table);
	for (i = 0; i < p->threads; i++) {
		struct bench_thread *t = &threads[i];

		ops += t->ops;
		errors += t->errors;
		max_ns = max(max_ns, t->elapsed_ns);
		/* Each thread's rate over its own time, then summed. */
		if (t->elapsed_ns)
			rate += div64_u64(t->ops * NSEC_PER_SEC, t->elapsed_ns);
		for (b = 0; b < HIST_BUCKETS; b++) {
			map_hist[b] += t->map_hist[b];
			unmap_hist[b] += t->unmap_hist[b];
			samples += t->map_hist[b];
		}
	}
	snprintf(bench_result, sizeof(bench_result),
		 "ops=%llu errors=%llu seconds=%llu.%03llu ops_per_sec=%lu map_p50_ns=%llu map_p99_ns=%llu unmap_p50_ns=%llu unmap_p99_ns=%llu need_sync=%d dma_ops=%s",
		 ops, errors, div_u64(max_ns, NSEC_PER_SEC),
		 div_u64(max_ns % NSEC_PER_SEC, NSEC_PER_MSEC), rate,
		 hist_percentile(map_hist, samples, 50),
		 hist_percentile(map_hist, samples, 99),
		 hist_percentile(unmap_hist, samples, 50),
		 hist_percentile(unmap_hist, samples, 99),
		 threads[0].need_sync > 0, ops_name);
	kfree(map_hist);
}

static int bench_run(const struct bench_params *p)
{
	struct bench_thread *threads;
	int stop = 0;
	unsigned int i, cpu;
	int ret = 0;

	threads = vzalloc(array_size(p->threads, sizeof(*threads)));
	if (!threads)
		return -ENOMEM;
	i = 0;
	for_each_online_cpu(cpu) {
		struct bench_thread *t = &threads[i];

		if (i == p->threads)
			break;
		t->p = p;
		t->need_sync = -1;
		t->stop = &stop;
		ret = bench_alloc_buffers(t, cpu_to_node(cpu));
		if (ret)
			goto out;
		t->task = kthread_create_on_node(bench_thread_fn, t,
						 cpu_to_node(cpu),
						 "siommu_bench/%u", cpu);
		if (IS_ERR(t->task)) {
			ret = PTR_ERR(t->task);
			t->task = NULL;
			goto out;
		}
		kthread_bind(t->task, cpu);
		get_task_struct(t->task);
		i++;
	}
	if (i < p->threads) {
		/* A CPU went offline since the write was checked. */
		ret = -EINVAL;
		goto out;
	}
	for (i = 0; i < p->threads; i++)
		wake_up_process(threads[i].task);
	msleep(p->ms);
	WRITE_ONCE(stop, 1);
out:
	for (i = 0; i < p->threads; i++) {
		if (threads[i].task) {
			kthread_stop(threads[i].task);
			put_task_struct(threads[i].task);
		}
	}
	if (!ret)
		bench_report(p, threads);
	for (i = 0; i < p->threads; i++)
		if (threads[i].p)
			bench_free_buffers(&threads[i]);
	vfree(threads);
	return ret;
}

static ssize_t run_store(struct kobject *kobj, struct kobj_attribute *attr,
			 const char *buf, size_t count)
{
	struct bench_params p = { };
	unsigned int domain, bus, slot, fn;
	struct pci_dev *pdev;
	int end = 0, ret;

	if (sscanf(buf, "%x:%x:%x.%x %u %u %u %u%n", &domain, &bus, &slot,
		   &fn, &p.threads, &p.ms, &p.bytes, &p.segments, &end) != 8 ||
	    (buf[end] && strcmp(buf + end, "\n")))
		return -EINVAL;
	if (bus > 0xff || slot > 0x1f || fn > 7 || !p.threads ||
	    p.threads > num_online_cpus() || !p.ms || p.ms > MAX_MS ||
	    !p.bytes || p.bytes > MAX_BYTES || !p.segments ||
	    p.segments > MAX_SEGMENTS)
		return -EINVAL;

	pdev = pci_get_domain_bus_and_slot(domain, bus, PCI_DEVFN(slot, fn));
	if (!pdev)
		return -ENODEV;
	p.dev = &pdev->dev;
	if (!mutex_trylock(&bench_lock)) {
		pci_dev_put(pdev);
		return -EBUSY;
	}
	ret = bench_run(&p);
	mutex_unlock(&bench_lock);
	pci_dev_put(pdev);
	return ret ? ret : count;
}

static ssize_t result_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	ssize_t len;

	mutex_lock(&bench_lock);
	len = sysfs_emit(buf, "%s\n", bench_result);
	mutex_unlock(&bench_lock);
	return len;
}

static struct kobj_attribute run_attr = __ATTR_WO(run);
static struct kobj_attribute result_attr = __ATTR_RO(result);

static struct attribute *bench_attrs[] = {
	&run_attr.attr,
	&result_attr.attr,
	NULL,
};

static const struct attribute_group bench_group = {
	.attrs = bench_attrs,
};

static struct kobject *bench_kobj;

static int __init bench_init(void)
{
	int ret;

	bench_kobj = kobject_create_and_add("siommu_dma_bench", kernel_kobj);
	if (!bench_kobj)
		return -ENOMEM;
	ret = sysfs_create_group(bench_kobj, &bench_group);
	if (ret)
		kobject_put(bench_kobj);
	return ret;
}

static void __exit bench_exit(void)
{
	sysfs_remove_group(bench_kobj, &bench_group);
	kobject_put(bench_kobj);
}

module_init(bench_init);
module_exit(bench_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("DMA API map/unmap benchmark for scalable_iommu's measurements");
