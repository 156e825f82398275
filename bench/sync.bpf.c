// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Counts one process's fsync() and fdatasync() calls (bench/harness.c):
 * how many commits of the data server reached the disk. SQLite in WAL
 * mode with synchronous=FULL syncs the WAL once per commit, plus the
 * database file at each checkpoint.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

const volatile __u32 target_tgid;

__u64 syncs;

static __always_inline void count(void)
{
	if ((bpf_get_current_pid_tgid() >> 32) == target_tgid)
		__sync_fetch_and_add(&syncs, 1);
}

SEC("tracepoint/syscalls/sys_enter_fdatasync")
int on_fdatasync(void *ctx __attribute__((unused)))
{
	count();
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_fsync")
int on_fsync(void *ctx __attribute__((unused)))
{
	count();
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
