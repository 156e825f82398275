# SPDX-License-Identifier: GPL-2.0-or-later
# The bundled VM (docs/vm.md), included by the top Makefile.
#   make vm          build the image from Debian packages (cached in $(VM_DIR))
#   make vm-test     boot it and run tests/run.sh inside; exits with its status
#   make vm-shell    boot it with a shell on the console, the project in /paw
#   make vm-exec CMD='...'   boot it, run one command in /paw, exit with its status
#   make vm-clean    remove $(VM_DIR) (the cached packages too)
# Knobs: VM_KERNEL (a Debian kernel package), VM_MODULES, VM_PACKAGES,
# VM_MEM, VM_SMP, VM_TIMEOUT, VM_ACCEL (auto|kvm|tcg), VM_TEST_ARGS
# (arguments of tests/run.sh), VM_CMDLINE.

VM_DIR ?= $(BUILD)/vm
# Debian 12's own kernel: the package linux-image-cloud-amd64 depends on.
# Any Debian kernel package, metapackage or PKG/SUITE works, e.g.
# linux-image-amd64 or linux-image-cloud-amd64/bookworm-backports.
VM_KERNEL ?= linux-image-cloud-amd64
# With their dependencies. The kernel autoloads them through modprobe;
# the guest reports any module it asked for and did not find.
VM_MODULES ?= virtio_pci virtio_console veth tun dummy
VM_PACKAGES ?=
VM_MEM ?= 2G
VM_SMP ?= 2
VM_TIMEOUT ?=
VM_ACCEL ?= auto
VM_TEST_ARGS ?=
VM_CMDLINE ?=
VM_CPU ?=

VM_ENV = BUILD='$(BUILD)' VM_DIR='$(VM_DIR)' VM_KERNEL='$(VM_KERNEL)' \
	VM_MODULES='$(VM_MODULES)' VM_PACKAGES='$(VM_PACKAGES)' VM_MEM='$(VM_MEM)' \
	VM_SMP='$(VM_SMP)' VM_ACCEL='$(VM_ACCEL)' VM_CMDLINE='$(VM_CMDLINE)' VM_CPU='$(VM_CPU)' \
	$(if $(VM_TIMEOUT),VM_TIMEOUT='$(VM_TIMEOUT)')

.PHONY: vm vm-test vm-shell vm-exec vm-clean

# Like `make check`: install what is missing (qemu, ...; the build's own
# packages too, so a fresh machine gets there), build, then the image,
# which holds the libraries of the built binaries. The build runs in a
# sub-make: this one may have read config.mk before clang was there.
vm:
	$(Q)scripts/install-deps.sh build vm
	$(Q)$(MAKE) --no-print-directory $(if $(Q),-s) all
	$(Q)$(VM_ENV) vm/build-image.sh

vm-test: vm
	$(Q)$(VM_ENV) vm/run.sh test $(VM_TEST_ARGS)

vm-shell: vm
	$(Q)$(VM_ENV) vm/run.sh shell

# CMD reaches the script through the environment, quotes and all.
vm-exec: vm
	$(Q)test -n "$$CMD" || { echo "make vm-exec CMD='...'" >&2; exit 2; }
	$(Q)$(VM_ENV) vm/run.sh exec "$$CMD"

vm-clean:
	$(call msg,CLEAN,$(VM_DIR))
	$(Q)rm -rf $(VM_DIR)
