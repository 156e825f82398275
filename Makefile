# SPDX-License-Identifier: GPL-2.0-or-later
# Paw Switchboard. One rule chain for the datapath:
#   bpf/X.bpf.c -> build/X.bpf.o -> build/X.skel.h -> userspace objects.
# `make V=1` shows the commands.

.DEFAULT_GOAL := all
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
ENTRY_GOALS := clean distclean deps help check demo demo-clean
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

BPF_OBJS := $(BUILD)/switchboard.bpf.o $(BUILD)/pass.bpf.o
BPF_HDRS := include/paw/abi.h $(wildcard bpf/lib/*.h)

$(BUILD):
	$(Q)mkdir -p $(BUILD)/lib $(BUILD)/tests $(BUILD)/daemon $(BUILD)/ctl

$(BUILD)/vmlinux.h: scripts/gen-vmlinux-h.sh | $(BUILD)
	$(call msg,BTF,$@)
	$(Q)scripts/gen-vmlinux-h.sh $(BPFTOOL) $@

$(BUILD)/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) $(BUILD)/vmlinux.h | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

# ---- libpaw: everything pawd, pawctl and tests share ----

LIB_SRCS := $(wildcard lib/*.c)
LIB_OBJS := $(LIB_SRCS:lib/%.c=$(BUILD)/lib/%.o)
LIBPAW := $(BUILD)/libpaw.a
HDRS := $(wildcard include/paw/*.h lib/*.h daemon/*.h ctl/*.h)

$(BUILD)/lib/switchboard.o: $(BUILD)/switchboard.skel.h

DEP_CFLAGS := $(LIBMNL_CFLAGS) $(LIBNL_ROUTE_CFLAGS) $(JANSSON_CFLAGS) $(LIBSODIUM_CFLAGS) \
	$(SQLITE3_CFLAGS) $(INIH_CFLAGS)
ALL_LIBS := $(LIBBPF_LIBS) $(LIBMNL_LIBS) $(LIBNL_ROUTE_LIBS) $(JANSSON_LIBS) \
	$(LIBSODIUM_LIBS) $(SQLITE3_LIBS) $(INIH_LIBS) -lelf -lz

$(BUILD)/lib/%.o: lib/%.c $(HDRS) | $(BUILD)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(USER_CFLAGS) $(DEP_CFLAGS) -fPIC -c $< -o $@

$(LIBPAW): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

# libpawclient: the Postbox client side alone, for any C program.
PAWCLIENT_OBJS := $(filter $(BUILD)/lib/postbox.o $(BUILD)/lib/pawclient.o \
	$(BUILD)/lib/util.o,$(LIB_OBJS))
LIBPAWCLIENT := $(if $(filter $(BUILD)/lib/pawclient.o,$(LIB_OBJS)),\
	$(BUILD)/libpawclient.a $(BUILD)/libpawclient.so)

$(BUILD)/libpawclient.a: $(PAWCLIENT_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/libpawclient.so: $(PAWCLIENT_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) -shared -Wl,-soname,libpawclient.so.1 $(USER_LDFLAGS) $^ -o $@ $(LIBSODIUM_LIBS)

# ---- pawd, the Operator ----

DAEMON_SRCS := $(wildcard daemon/*.c)
DAEMON_OBJS := $(DAEMON_SRCS:daemon/%.c=$(BUILD)/daemon/%.o)
# Everything but main(): unit tests link it.
LIBPAWD := $(BUILD)/libpawd.a
PAWD := $(if $(DAEMON_SRCS),$(BUILD)/pawd)

$(BUILD)/daemon/%.o: daemon/%.c $(HDRS) $(BUILD)/switchboard.skel.h | $(BUILD)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(USER_CFLAGS) $(DEP_CFLAGS) -Idaemon -c $< -o $@

$(LIBPAWD): $(filter-out $(BUILD)/daemon/main.o,$(DAEMON_OBJS))
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/pawd: $(BUILD)/daemon/main.o $(LIBPAWD) $(LIBPAW)
	$(call msg,LD,$@)
	$(Q)$(CC) $(USER_LDFLAGS) $^ -o $@ $(ALL_LIBS)

# ---- pawctl ----

CTL_SRCS := $(wildcard ctl/*.c)
CTL_OBJS := $(CTL_SRCS:ctl/%.c=$(BUILD)/ctl/%.o)
LIBPAWCTL := $(BUILD)/libpawctl.a
PAWCTL := $(if $(CTL_SRCS),$(BUILD)/pawctl)

$(BUILD)/ctl/%.o: ctl/%.c $(HDRS) | $(BUILD)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(USER_CFLAGS) $(DEP_CFLAGS) -Ictl -c $< -o $@

$(LIBPAWCTL): $(filter-out $(BUILD)/ctl/main.o,$(CTL_OBJS))
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/pawctl: $(BUILD)/ctl/main.o $(LIBPAWCTL) $(LIBPAW)
	$(call msg,LD,$@)
	$(Q)$(CC) $(USER_LDFLAGS) $^ -o $@ $(ALL_LIBS)

# ---- tests ----

TEST_LIBS := $(LIBPAW) $(ALL_LIBS) $(CMOCKA_LIBS)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/test_%.c=$(BUILD)/tests/test_unit_%)
TEST_BINS := $(BUILD)/tests/test_datapath $(BUILD)/tests/test_smoke $(UNIT_BINS) \
	$(if $(LIBPAWCLIENT),$(BUILD)/tests/pawclient_live)

# A unit test links the daemon's and pawctl's libraries, so any module
# of either can be tested without main().
$(BUILD)/tests/test_unit_%: tests/unit/test_%.c $(wildcard tests/unit/*.h) \
		$(if $(DAEMON_SRCS),$(LIBPAWD)) $(if $(CTL_SRCS),$(LIBPAWCTL)) $(LIBPAW) | $(BUILD)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(USER_CFLAGS) $(DEP_CFLAGS) -Idaemon -Ictl -Itests/unit $< -o $@ \
		$(USER_LDFLAGS) $(if $(DAEMON_SRCS),$(LIBPAWD)) $(if $(CTL_SRCS),$(LIBPAWCTL)) \
		$(TEST_LIBS)

$(BUILD)/tests/test_datapath: tests/datapath/test_datapath.c tests/datapath/frames.h \
		$(LIBPAW) | $(BUILD)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(USER_CFLAGS) -Itests/datapath $< -o $@ $(USER_LDFLAGS) $(TEST_LIBS)

# libpawclient against a live pawd (tests/e2e/test_libpawclient.sh): linked
# with libpawclient alone, as an outside program would be.
$(BUILD)/tests/pawclient_live: tests/e2e/pawclient_live.c $(BUILD)/libpawclient.a | $(BUILD)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(USER_CFLAGS) $< -o $@ $(USER_LDFLAGS) $(BUILD)/libpawclient.a \
		$(LIBSODIUM_LIBS) $(CMOCKA_LIBS)

$(BUILD)/tests/test_smoke: tests/datapath/test_smoke.c $(LIBPAW) | $(BUILD)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(USER_CFLAGS) $< -o $@ $(USER_LDFLAGS) $(TEST_LIBS)

# Fragments owned by their directories (benchmarks, the VM image).
-include bench/bench.mk vm/vm.mk

# ---- top-level targets ----

.PHONY: all bpf check deps clean distclean help demo demo-clean install

all: bpf $(LIBPAW) $(LIBPAWCLIENT) $(PAWD) $(PAWCTL) $(TEST_BINS) $(EXTRA_ALL)

bpf: $(BPF_OBJS) $(BPF_OBJS:.bpf.o=.skel.h)

deps:
	scripts/install-deps.sh build test

# The README's test command: install, build, run every tier.
check: deps
	$(MAKE) all
	tests/run.sh

# The README's main job.
demo: deps
	$(MAKE) all
	scripts/demo.sh

# What an interrupted demo left: its namespaces, pins and pawd.
demo-clean:
	-for f in /tmp/paw-demo.*/pawd.pid; do [ -f "$$f" ] && kill -9 "$$(cat $$f)"; done; true
	-for ns in $$(ip netns list | awk '{print $$1}' | grep '^paw-demo-'); do \
		ip netns del $$ns; rm -rf /etc/netns/$$ns; done; true
	-rm -rf /sys/fs/bpf/paw-demo-* /tmp/paw-demo.*

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/sbin \
		$(DESTDIR)$(PREFIX)/share/man/man8 $(DESTDIR)$(PREFIX)/share/bash-completion/completions \
		$(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include/paw $(DESTDIR)/etc/paw \
		$(DESTDIR)$(PREFIX)/lib/systemd/system
	install -m 0755 $(BUILD)/pawctl $(DESTDIR)$(PREFIX)/bin/pawctl
	install -m 0755 $(BUILD)/pawd $(DESTDIR)$(PREFIX)/sbin/pawd
	install -m 0644 man/pawctl.8 man/pawd.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	install -m 0644 completion/pawctl.bash \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/pawctl
	install -m 0644 $(BUILD)/libpawclient.a $(DESTDIR)$(PREFIX)/lib/
	install -m 0755 $(BUILD)/libpawclient.so $(DESTDIR)$(PREFIX)/lib/libpawclient.so.1
	ln -sf libpawclient.so.1 $(DESTDIR)$(PREFIX)/lib/libpawclient.so
	install -m 0644 include/paw/pawclient.h include/paw/postbox.h $(DESTDIR)$(PREFIX)/include/paw/
	sed "s|@SBINDIR@|$(PREFIX)/sbin|" daemon/pawd.service > $(DESTDIR)$(PREFIX)/lib/systemd/system/pawd.service
	[ -e $(DESTDIR)/etc/paw/pawd.conf ] || install -m 0644 daemon/pawd.conf $(DESTDIR)/etc/paw/pawd.conf

clean:
	$(call msg,CLEAN,$(BUILD))
	$(Q)rm -rf $(BUILD)

distclean: clean
	$(Q)rm -f config.mk

help:
	@echo "make            build everything (runs ./configure when needed)"
	@echo "make check      install test dependencies, build, run every test tier"
	@echo "make clean      remove $(BUILD)/"
