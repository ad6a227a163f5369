/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints: scalable_iommu:{map,unmap,inval,fault}, for ftrace and
 * `perf record -e 'scalable_iommu:*'`.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM scalable_iommu

#if !defined(SCALABLE_IOMMU_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define SCALABLE_IOMMU_TRACE_H

/* siommu_inval's unit on the kernel backend: did is its IOMMU group. */
#define SIOMMU_TRACE_GROUP	(~0U)

#include <linux/device.h>
#include <linux/tracepoint.h>

#include "compat.h"

DECLARE_EVENT_CLASS(siommu_mapping,
		    TP_PROTO(struct device *dev, u64 iova, u64 phys,
			     size_t size),
		    TP_ARGS(dev, iova, phys, size),
		    TP_STRUCT__entry(__string(dev, dev_name(dev))
				     __field(u64, iova)
				     __field(u64, phys)
				     __field(size_t, size)),
		    TP_fast_assign(siommu_assign_str(dev, dev_name(dev));
				   __entry->iova = iova;
				   __entry->phys = phys;
				   __entry->size = size;),
		    TP_printk("dev=%s iova=%#llx phys=%#llx size=%zu",
			      __get_str(dev), __entry->iova, __entry->phys,
			      __entry->size));

DEFINE_EVENT(siommu_mapping, siommu_map,
	     TP_PROTO(struct device *dev, u64 iova, u64 phys, size_t size),
	     TP_ARGS(dev, iova, phys, size));

DEFINE_EVENT(siommu_mapping, siommu_unmap,
	     TP_PROTO(struct device *dev, u64 iova, u64 phys, size_t size),
	     TP_ARGS(dev, iova, phys, size));

TRACE_EVENT(siommu_inval,
	    TP_PROTO(unsigned int unit, u16 did, u64 iova,
		     unsigned long npages),
	    TP_ARGS(unit, did, iova, npages),
	    TP_STRUCT__entry(__field(unsigned int, unit)
			     __field(u16, did)
			     __field(u64, iova)
			     __field(unsigned long, npages)),
	    TP_fast_assign(__entry->unit = unit;
			   __entry->did = did;
			   __entry->iova = iova;
			   __entry->npages = npages;),
	    /* On the kernel's driver (unit SIOMMU_TRACE_GROUP): "groupN". */
	    TP_printk("%s%u did=%u iova=%#llx pages=%lu",
		      __entry->unit == SIOMMU_TRACE_GROUP ? "group" : "dmar",
		      __entry->unit == SIOMMU_TRACE_GROUP ? __entry->did :
							    __entry->unit,
		      __entry->did, __entry->iova, __entry->npages));

/* @write is a u8, not a bool: sparse objects to sizeof(bool). */
TRACE_EVENT(siommu_fault,
	    TP_PROTO(unsigned int unit, u16 sid, u64 addr, unsigned int reason,
		     u8 write),
	    TP_ARGS(unit, sid, addr, reason, write),
	    TP_STRUCT__entry(__field(unsigned int, unit)
			     __field(u16, sid)
			     __field(u64, addr)
			     __field(unsigned int, reason)
			     __field(u8, write)),
	    TP_fast_assign(__entry->unit = unit;
			   __entry->sid = sid;
			   __entry->addr = addr;
			   __entry->reason = reason;
			   __entry->write = write;),
	    TP_printk("dmar%u sid=%02x:%02x.%u addr=%#llx %s reason=%#x",
		      __entry->unit, __entry->sid >> 8,
		      (__entry->sid >> 3) & 0x1f, __entry->sid & 7,
		      __entry->addr, __entry->write ? "write" : "read",
		      __entry->reason));

#endif /* SCALABLE_IOMMU_TRACE_H */

/* Found through the -I$(src)/src the Kbuild file sets. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH base
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
