/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Intel VT-d remapping hardware unit: register offsets and fields.
 *
 * Values follow the Intel Virtualization Technology for Directed I/O
 * Architecture Specification.  Only integer macros live here, so the same
 * header serves the module and the userspace harness.
 */
#ifndef SCALABLE_IOMMU_VTD_REGS_H
#define SCALABLE_IOMMU_VTD_REGS_H

#include <linux/bits.h>

/* Register offsets from the unit's base address. */
#define VTD_REG_VER		0x00	/* 32-bit: version */
#define VTD_REG_CAP		0x08	/* 64-bit: capabilities */
#define VTD_REG_ECAP		0x10	/* 64-bit: extended capabilities */
#define VTD_REG_GCMD		0x18	/* 32-bit: global command */
#define VTD_REG_GSTS		0x1c	/* 32-bit: global status */
#define VTD_REG_RTADDR		0x20	/* 64-bit: root table address */
#define VTD_REG_CCMD		0x28	/* 64-bit: context command */
#define VTD_REG_FSTS		0x34	/* 32-bit: fault status */
#define VTD_REG_FECTL		0x38	/* 32-bit: fault event control */
#define VTD_REG_PMEN		0x64	/* 32-bit: protected memory enable */
#define VTD_REG_IQH		0x80	/* 64-bit: invalidation queue head */
#define VTD_REG_IQT		0x88	/* 64-bit: invalidation queue tail */
#define VTD_REG_IQA		0x90	/* 64-bit: invalidation queue address */
#define VTD_REG_IRTA		0xb8	/* 64-bit: interrupt remap table */

/* Bits 51:12 of every table pointer and page-table entry: an address. */
#define VTD_ADDR_MASK		0x000ffffffffff000ULL

/* The smallest register window every unit implements. */
#define VTD_REG_MIN_SIZE	0x1000

/* VER_REG */
#define VTD_VER_MAJOR(v)	(((v) >> 4) & 0xf)
#define VTD_VER_MINOR(v)	((v) & 0xf)

/* CAP_REG */
#define VTD_CAP_ND(c)	((unsigned int)((c) & 0x7))		/* domain-id bits: 4 + 2*ND */
#define VTD_CAP_RWBF(c)	((unsigned int)(((c) >> 4) & 1))	/* write-buffer flush needed */
#define VTD_CAP_CM(c)	((unsigned int)(((c) >> 7) & 1))	/* caching mode */
#define VTD_CAP_SAGAW(c)	((unsigned int)(((c) >> 8) & 0x1f))	/* supported guest AWs */
#define VTD_CAP_MGAW(c)	((unsigned int)((((c) >> 16) & 0x3f) + 1))
#define VTD_CAP_FRO(c)	((unsigned int)((((c) >> 24) & 0x3ff) * 16))
#define VTD_CAP_SLLPS(c)	((unsigned int)(((c) >> 34) & 0xf))
#define VTD_CAP_PSI(c)	((unsigned int)(((c) >> 39) & 1))
#define VTD_CAP_NFR(c)	((unsigned int)((((c) >> 40) & 0xff) + 1))
#define VTD_CAP_MAMV(c)	((unsigned int)(((c) >> 48) & 0x3f))

/* SAGAW bits: bit n set means an (n + 2)-level table of 30 + 9n bits. */
#define VTD_SAGAW_LEVELS(bit)	((bit) + 2)
#define VTD_SAGAW_WIDTH(bit)	(30 + 9 * (bit))

/* ECAP_REG */
#define VTD_ECAP_C(e)	((unsigned int)((e) & 1))		/* page-walk coherency */
#define VTD_ECAP_QI(e)	((unsigned int)(((e) >> 1) & 1))	/* queued invalidation */
#define VTD_ECAP_DT(e)	((unsigned int)(((e) >> 2) & 1))	/* device TLB */
#define VTD_ECAP_IR(e)	((unsigned int)(((e) >> 3) & 1))	/* interrupt remapping */
#define VTD_ECAP_EIM(e)	((unsigned int)(((e) >> 4) & 1))	/* x2APIC interrupt mode */
#define VTD_ECAP_PT(e)	((unsigned int)(((e) >> 6) & 1))	/* pass-through */
#define VTD_ECAP_SC(e)	((unsigned int)(((e) >> 7) & 1))	/* snoop control */
#define VTD_ECAP_IRO(e)	((unsigned int)((((e) >> 8) & 0x3ff) * 16))
#define VTD_ECAP_SMTS(e)	((unsigned int)(((e) >> 43) & 1))	/* scalable mode */

/* IOTLB registers sit at ECAP.IRO: IVA at +0, IOTLB command at +8. */
#define VTD_IOTLB_REGS_SIZE	16
/* Each fault recording register is 128 bits. */
#define VTD_FRCD_SIZE		16

/* GCMD_REG and GSTS_REG share bit positions. */
#define VTD_GSTS_TES		BIT(31)	/* translation enabled */
#define VTD_GSTS_RTPS		BIT(30)	/* root table pointer set */
#define VTD_GSTS_WBFS		BIT(27)	/* write-buffer flush */
#define VTD_GSTS_QIES		BIT(26)	/* invalidation queue enabled */
#define VTD_GSTS_IRES		BIT(25)	/* interrupt remapping enabled */
#define VTD_GSTS_IRTPS		BIT(24)	/* interrupt remap table set */
#define VTD_GSTS_CFIS		BIT(23)	/* compatibility format IRQs */

/* FECTL_REG */
#define VTD_FECTL_IM		BIT(31)	/* fault interrupt masked */

/* FSTS_REG */
#define VTD_FSTS_PFO		BIT(0)	/* primary fault overflow */
#define VTD_FSTS_PPF		BIT(1)	/* primary fault pending */
#define VTD_FSTS_FRI(s)		(((s) >> 8) & 0xff)	/* first record */

/* Fault recording register, high 64 bits. */
#define VTD_FRCD_SID(hi)	((u16)((hi) & 0xffff))
#define VTD_FRCD_REASON(hi)	((unsigned int)(((hi) >> 32) & 0xff))
#define VTD_FRCD_READ(hi)	((unsigned int)(((hi) >> 62) & 1))
#define VTD_FRCD_F		BIT_ULL(63)	/* valid; write 1 to clear */

/* PMEN_REG */
#define VTD_PMEN_PRS		BIT(0)	/* protected region status */

#endif /* SCALABLE_IOMMU_VTD_REGS_H */
