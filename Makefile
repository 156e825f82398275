# SPDX-License-Identifier: GPL-2.0-or-later
# Paw Switchboard. One rule chain for the datapath:
#   bpf/X.bpf.c -> build/X.bpf.o -> build/X.skel.h -> userspace objects.
# `make V=1` shows the commands.

.DELETE_ON_ERROR:
.SUFFIXES:

ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

BUILD ?= build
PREFIX ?= /usr/local
DESTDIR ?=

# config.mk comes from ./configure, run on demand. The goals that first
# install Debian packages must not need it before they have.
ENTRY_GOALS := clean distclean deps help check
ifeq ($(filter $(ENTRY_GOALS),$(MAKECMDGOALS)),)
-include config.mk
config.mk: configure
	$(Q)./configure
endif

ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/' \
	-e 's/ppc64le/powerpc/' -e 's/mips.*/mips/' -e 's/riscv64/riscv/' -e 's/s390x/s390/')

WARN := -Wall -Wextra -Werror
CFLAGS ?= -O2 -g
SAN ?=
USER_CFLAGS := $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -Iinclude -Ilib -I$(BUILD) \
	$(LIBBPF_CFLAGS) $(SAN)
LDFLAGS ?=
USER_LDFLAGS := $(LDFLAGS) $(SAN)

BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) $(WARN) \
	-Wno-unused-function -I$(BUILD) -Iinclude -Ibpf

# ---- datapath ----

BPF_OBJS := $(BUILD)/switchboard.bpf.o
BPF_HDRS := include/paw/abi.h $(wildcard bpf/lib/*.h)

$(BUILD):
	$(Q)mkdir -p $(BUILD)/lib $(BUILD)/tests

$(BUILD)/vmlinux.h: scripts/gen-vmlinux-h.sh | $(BUILD)
	$(call msg,BTF,$@)
	$(Q)scripts/gen-vmlinux-h.sh $(BPFTOOL) $@

$(BUILD)/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) $(BUILD)/vmlinux.h | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

# ---- libpaw ----

LIB_SRCS := $(wildcard lib/*.c)
LIB_OBJS := $(LIB_SRCS:lib/%.c=$(BUILD)/lib/%.o)
LIBPAW := $(BUILD)/libpaw.a

$(BUILD)/lib/switchboard.o: $(BUILD)/switchboard.skel.h

$(BUILD)/lib/%.o: lib/%.c $(wildcard include/paw/*.h lib/*.h) | $(BUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) $(LIBMNL_CFLAGS) $(JANSSON_CFLAGS) $(LIBSODIUM_CFLAGS) \
		-c $< -o $@

$(LIBPAW): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

# ---- tests ----

TEST_LIBS := $(LIBPAW) $(LIBBPF_LIBS) $(CMOCKA_LIBS) -lelf -lz
TEST_BINS := $(BUILD)/tests/test_datapath $(BUILD)/tests/test_smoke

$(BUILD)/tests/test_datapath: tests/datapath/test_datapath.c tests/datapath/frames.h \
		$(LIBPAW) | $(BUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) -Itests/datapath $< -o $@ $(USER_LDFLAGS) $(TEST_LIBS)

$(BUILD)/tests/test_smoke: tests/datapath/test_smoke.c $(LIBPAW) | $(BUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) $< -o $@ $(USER_LDFLAGS) $(TEST_LIBS)

# ---- top-level targets ----

.PHONY: all bpf check deps clean distclean help

all: bpf $(LIBPAW) $(TEST_BINS)

bpf: $(BPF_OBJS) $(BPF_OBJS:.bpf.o=.skel.h)

deps:
	scripts/install-deps.sh build test

# The README's test command: install, build, run every tier.
check: deps
	$(MAKE) all
	tests/run.sh

clean:
	$(call msg,CLEAN,$(BUILD))
	$(Q)rm -rf $(BUILD)

distclean: clean
	$(Q)rm -f config.mk

help:
	@echo "make            build everything (runs ./configure when needed)"
	@echo "make check      install test dependencies, build, run every test tier"
	@echo "make clean      remove $(BUILD)/"
