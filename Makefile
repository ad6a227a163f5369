# SPDX-License-Identifier: GPL-2.0
#
# scalable_iommu: out-of-tree kernel module.  Kbuild (the file) lists the
# objects; this Makefile is the user's entry point.
#
#   make                 build against the running kernel's headers
#   make KDIR=<dir>      build against another kernel's headers
#   make install         install into /lib/modules/<kver>/updates
#   make lint            sparse (C=1) and checkpatch
#   make check           everything CI runs: build, lint, dkms, VM tests
#   make check-build, check-lint, check-dkms, check-unit, check-vm
#                        one step of make check (tools/ci/check.sh STEP)
#   make check-debug     the VM suites on KASAN and KCSAN debug kernels
#                        (on demand; FLAVOURS=kasan for one)
#   make boot-setup      add intel_iommu=off to GRUB (tools/boot-setup.sh;
#                        DRY_RUN=1 to only show it); make boot-undo: remove
#   make check-rt        the core VM tests on Debian's PREEMPT_RT kernel
#                        (on demand)
#   make demo            boot a VM with an emulated VT-d unit and show it off
#   make bench           ours vs the stock kernel's IOMMU vs none, and ours
#                        over the kernel's page tables: results/

KDIR ?= /lib/modules/$(shell uname -r)/build
PWD := $(CURDIR)
TOOLS := $(PWD)/tools

.PHONY: all modules install clean lint check check-build check-lint \
	check-dkms check-unit check-vm check-debug check-rt demo bench \
	boot-setup boot-undo

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(PWD) modules

install: modules
	$(MAKE) -C $(KDIR) M=$(PWD) INSTALL_MOD_DIR=updates modules_install
	# The release the module was built for, as the kernel will ask for it
	# (some distributions' headers answer "make kernelrelease" otherwise).
	depmod -a $$(modinfo -F vermagic scalable_iommu.ko | cut -d' ' -f1)

clean:
	$(MAKE) -C $(KDIR) M=$(PWD) clean 2>/dev/null || \
		find src \( -name "*.o" -o -name ".*.cmd" \) -delete; rm -f *.ko *.mod *.mod.c .*.cmd modules.order Module.symvers
	if [ -d tests/unit ]; then $(MAKE) -C tests/unit clean; fi

lint:
	$(TOOLS)/ci/lint.sh

check:
	$(TOOLS)/ci/check.sh

check-build:
	$(TOOLS)/ci/check.sh build

check-lint:
	$(TOOLS)/ci/check.sh lint

check-dkms:
	$(TOOLS)/ci/check.sh dkms

check-unit:
	$(TOOLS)/ci/check.sh unit

check-vm:
	$(TOOLS)/ci/check.sh vm

check-debug:
	$(TOOLS)/ci/check-debug.sh

boot-setup:
	$(TOOLS)/boot-setup.sh $(if $(DRY_RUN),--dry-run) install

boot-undo:
	$(TOOLS)/boot-setup.sh $(if $(DRY_RUN),--dry-run) undo

check-rt:
	$(TOOLS)/ci/check-rt.sh

demo:
	$(TOOLS)/vm/demo.sh

bench:
	$(TOOLS)/bench/bench.sh
