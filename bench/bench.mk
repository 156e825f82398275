# SPDX-License-Identifier: GPL-2.0-or-later
# Benchmarks (issue 7), included by the top-level Makefile.
#   make bench-tools   build the bench programs and tools
#   make bench-smoke   ~1 s of each tool, for CI: fails only when one is broken
#   sudo make bench    the whole set (< 10 min): table, plots, docs/benchmarks.md

BENCH_BUILD := $(BUILD)/bench
BENCH_BPF := $(BENCH_BUILD)/xdp_bench.bpf.o $(BENCH_BUILD)/cost.bpf.o \
	$(BENCH_BUILD)/sync.bpf.o
BENCH_SKELS := $(BENCH_BPF:.bpf.o=.skel.h)
# The Operator's side: these run pawd (bench/harness.c).
BENCH_OP_TOOLS := $(BENCH_BUILD)/paw-bench-postbox $(BENCH_BUILD)/paw-bench-setup \
	$(BENCH_BUILD)/paw-bench-scale
BENCH_TOOLS := $(BENCH_BUILD)/paw-bench-fwd $(BENCH_BUILD)/paw-bench-cost \
	$(BENCH_BUILD)/paw-bench-maps $(BENCH_OP_TOOLS)
BENCH_HDRS := bench/bench_abi.h bench/ref_fwd.h bench/common.h bench/harness.h $(BPF_HDRS)

# After $(BUILD): its rule makes build/lib and the rest, and runs only
# while $(BUILD) does not exist yet.
$(BENCH_BUILD): | $(BUILD)
	$(Q)mkdir -p $@

$(BENCH_BPF): $(BENCH_BUILD)/%.bpf.o: bench/%.bpf.c $(BENCH_HDRS) $(BUILD)/vmlinux.h \
		| $(BENCH_BUILD)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -Ibench -c $< -o $@

$(BENCH_SKELS): $(BENCH_BUILD)/%.skel.h: $(BENCH_BUILD)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

$(BENCH_BUILD)/common.o: bench/common.c $(BENCH_HDRS) $(HDRS) | $(BENCH_BUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) -Ibench -c $< -o $@

$(BENCH_BUILD)/harness.o: bench/harness.c $(BENCH_BUILD)/sync.skel.h $(BENCH_HDRS) $(HDRS) \
		| $(BENCH_BUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) -Ibench -I$(BENCH_BUILD) -c $< -o $@

# Static pattern rules win over the pattern rule below.
$(BENCH_OP_TOOLS): $(BENCH_BUILD)/paw-bench-%: bench/%.c $(BENCH_BUILD)/harness.o \
		$(BENCH_BUILD)/common.o $(BENCH_HDRS) $(HDRS) $(LIBPAW)
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) -Ibench -I$(BENCH_BUILD) $< $(BENCH_BUILD)/harness.o \
		$(BENCH_BUILD)/common.o -o $@ $(USER_LDFLAGS) $(LIBPAW) $(ALL_LIBS) -lpthread

$(BENCH_BUILD)/paw-bench-%: bench/%.c $(BENCH_BUILD)/common.o $(BENCH_HDRS) $(HDRS) \
		$(LIBPAW)
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) -Ibench -I$(BENCH_BUILD) $< $(BENCH_BUILD)/common.o -o $@ \
		$(USER_LDFLAGS) $(LIBPAW) $(ALL_LIBS) -lpthread

$(BENCH_BUILD)/paw-bench-fwd: $(BENCH_BUILD)/xdp_bench.skel.h
$(BENCH_BUILD)/paw-bench-cost: $(BENCH_BUILD)/cost.skel.h

EXTRA_ALL += $(BENCH_TOOLS)

.PHONY: bench bench-tools bench-smoke

bench-tools: $(BENCH_TOOLS)

bench-smoke: bench-tools
	bench/run.sh --smoke

# Installs gnuplot (the plots) when missing, then runs everything.
bench:
	scripts/install-deps.sh build test bench
	$(MAKE) bench-tools
	bench/run.sh
