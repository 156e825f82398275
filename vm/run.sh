#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Boots the Paw VM (vm/build-image.sh made it) with qemu and either runs
# the suite inside or gives a shell:
#   vm/run.sh test [TESTS_RUN_ARGS...]   exits with the suite's status
#   vm/run.sh exec COMMAND...            runs COMMAND (bash -c) in the tree
#   vm/run.sh shell                      interactive; Ctrl-A x quits qemu
#
# The guest gets the kernel, the root disk (rootfs.ext4, opened with
# snapshot=on: the file never changes) and an initramfs: boot.cpio and,
# made here on every boot, vm/init, vm/guest.sh and the project tree with
# build/ as the host built it (the guest builds nothing, installs
# nothing). No network card.
#
# The status comes back on a virtio serial port backed by a host file,
# pre-seeded with "exit 255": a guest that dies or hangs never passes.
# A kernel WARNING/BUG/Oops/panic/lockup in the guest fails the run, and
# so does the hard timeout, which kills qemu.
#
# Environment: BUILD (build), VM_DIR ($BUILD/vm), VM_MEM (2G), VM_SMP (2),
# VM_TIMEOUT (seconds, 900; 0 = none, the default for shell),
# VM_ACCEL (auto | kvm | tcg), VM_KVM_PROBE (seconds KVM gets to reach
# userspace, 20), VM_CMDLINE (more kernel parameters), VM_CPU (qemu's
# -cpu: host under KVM, qemu64 under TCG), QEMU,
# PAW_VM_SELFTEST_FAIL=1 (adds a failing test, to prove failures fail),
# PAW_TEST_* (passed to the guest's tests/run.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
VM_DIR=${VM_DIR:-$BUILD/vm}
VM_MEM=${VM_MEM:-2G}
VM_SMP=${VM_SMP:-2}
VM_ACCEL=${VM_ACCEL:-auto}
VM_KVM_PROBE=${VM_KVM_PROBE:-20}
VM_CMDLINE=${VM_CMDLINE:-}
QEMU=${QEMU:-qemu-system-x86_64}

# Messages go to fd 3, a copy of stderr: the loop watching qemu runs with
# stderr closed off, so bash's own note on a qemu killed by a signal
# ("Aborted") stays out of the way (qemu.err has qemu's words).
exec 3>&2
say() { printf 'vm: %s\n' "$*" >&3; }
die() { printf 'vm: error: %s\n' "$*" >&3; exit 1; }

mode=${1:-}
shift || true
case "$mode" in
test|exec) VM_TIMEOUT=${VM_TIMEOUT:-900} ;;
shell) VM_TIMEOUT=${VM_TIMEOUT:-0} ;;
*) die "usage: vm/run.sh {test [ARGS...] | exec COMMAND... | shell}" ;;
esac
case "$VM_ACCEL" in auto|kvm|tcg) ;; *) die "VM_ACCEL must be auto, kvm or tcg" ;; esac
case "$VM_TIMEOUT$VM_KVM_PROBE" in *[!0-9]*) die "VM_TIMEOUT and VM_KVM_PROBE are seconds" ;; esac
command -v "$QEMU" >/dev/null || die "no $QEMU: run scripts/install-deps.sh vm"
command -v cpio >/dev/null || die "no cpio: run scripts/install-deps.sh vm"
for f in vmlinuz boot.cpio rootfs.ext4; do
	[ -f "$VM_DIR/$f" ] || die "no $VM_DIR/$f: run 'make vm' first"
done
[ -d "$BUILD/tests" ] || die "no $BUILD/tests: run 'make' first"

run=$VM_DIR/run
out=$VM_DIR/out
# One VM per image directory at a time: they share run/ and out/.
exec 9> "$VM_DIR/run.lock"
flock -n 9 || die "another VM is running from $VM_DIR (run.lock): wait for it to end"
qpid=""
tty_state=""
# shellcheck disable=SC2317  # called by the traps
cleanup() {
	if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then
		kill -TERM "$qpid" 2>/dev/null || true
		sleep 1
		kill -KILL "$qpid" 2>/dev/null || true
	fi
	if [ -n "$tty_state" ]; then stty "$tty_state" 2>/dev/null || true; fi
	rm -rf "$run/stage"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- the per-boot initramfs: vm/init, the project, what to run ----

rm -rf "$run" "$out"
mkdir -p "$run/stage/paw-vm" "$run/stage/paw" "$out"
stage=$run/stage
cp vm/init "$stage/init"
cp vm/guest.sh "$stage/paw-vm/guest.sh"
chmod 755 "$stage/init" "$stage/paw-vm/guest.sh"
echo "$mode" > "$stage/paw-vm/mode"
for a in "$@"; do printf '%s\n' "$a"; done > "$stage/paw-vm/args"

# The tree as it is (uncommitted tests included), without .git, other
# build directories, the VM itself or old logs.
vm_rel=$(realpath -m --relative-to=. "$VM_DIR")
build_rel=$(realpath -m --relative-to=. "$BUILD")
top=()
for e in * .[!.]*; do
	[ -e "$e" ] || continue
	case "$e" in
	.git) continue ;;
	build*) [ "$e" = "${build_rel%%/*}" ] || continue ;;
	esac
	top+=("$e")
done
tar -c --exclude="./$vm_rel" --exclude="./$build_rel/vm" --exclude="./$build_rel/test-logs" \
	-f - "${top[@]/#/./}" | tar -x -C "$stage/paw"
guest_build=$BUILD
case "$build_rel" in
../*|/*)	# a build directory outside the tree goes in as build/
	mkdir -p "$stage/paw/build"
	tar -C "$BUILD" -c --exclude="./$(realpath -m --relative-to="$BUILD" "$VM_DIR")" \
		--exclude=./vm --exclude=./test-logs . |
		tar -x -C "$stage/paw/build"
	guest_build=build ;;
esac
{
	printf 'export BUILD=%q\n' "$guest_build"
	while IFS='=' read -r k _; do
		printf 'export %s=%q\n' "$k" "${!k}"
	done < <(env | grep -E '^PAW_TEST_[A-Z0-9_]*=' || true)
} > "$stage/paw-vm/env"
if [ "${PAW_VM_SELFTEST_FAIL:-0}" = 1 ]; then
	say "PAW_VM_SELFTEST_FAIL=1: adding a failing test, tests/e2e/test_vm_selftest_fail.sh"
	mkdir -p "$stage/paw/tests/e2e"
	printf '#!/bin/bash\necho "this test fails on purpose (PAW_VM_SELFTEST_FAIL=1)"\nexit 1\n' \
		> "$stage/paw/tests/e2e/test_vm_selftest_fail.sh"
fi
if [ "$mode" = shell ] && [ -t 0 ]; then
	tty_state=$(stty -g)
	read -r rows cols < <(stty size) && echo "rows $rows cols $cols" > "$stage/paw-vm/stty"
fi
(cd "$stage" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc -R +0:+0 --quiet) > "$run/paw.cpio"
rm -rf "$stage"
size=$(du -m "$run/paw.cpio" | cut -f1)
[ "$size" -lt 256 ] || say "warning: the project takes ${size} MiB of the guest's memory"
# Two archives in one initrd: the kernel unpacks them in turn.
cat "$VM_DIR/boot.cpio" "$run/paw.cpio" > "$run/initrd"

# ---- boot ----

status=$run/status
cmdline="console=ttyS0 loglevel=5 printk.time=1 panic=-1 rdinit=/init 8250.nr_uarts=1"
cmdline="$cmdline random.trust_cpu=on mitigations=off $VM_CMDLINE"
# shellcheck disable=SC2054  # commas inside qemu's own arguments
qemu_args=(-nodefaults -no-user-config -display none -no-reboot -nic none
	-m "$VM_MEM" -smp "$VM_SMP"
	-kernel "$VM_DIR/vmlinuz" -initrd "$run/initrd" -append "$cmdline"
	-drive "file=$VM_DIR/rootfs.ext4,format=raw,if=virtio,snapshot=on,cache=unsafe"
	-device virtio-serial-pci,id=vser
	-chardev "file,id=st,path=$status,append=on"
	-device virtserialport,bus=vser.0,chardev=st,name=paw.status
	-chardev "file,id=out,path=$run/out.tar"
	-device virtserialport,bus=vser.0,chardev=out,name=paw.out)
# shellcheck disable=SC2054
if [ "$mode" = shell ]; then
	# Ctrl-C goes to the guest; Ctrl-A x quits, Ctrl-A c is the monitor.
	qemu_args+=(-chardev "stdio,id=con,mux=on,signal=off,logfile=$out/console.log"
		-serial chardev:con -mon chardev=con,mode=readline)
else
	qemu_args+=(-chardev "stdio,id=con,logfile=$out/console.log" -serial chardev:con)
fi

# watch PROBE START: waits for qemu ($qpid). Returns 2 when PROBE is set
# and the guest did not say "booted" within PROBE seconds (qemu killed),
# else qemu's exit status.
watch() {
	local probe=$1 start=$2 waited=0 rc=0
	while kill -0 "$qpid" 2>/dev/null; do
		if [ "$probe" -gt 0 ]; then
			if grep -q '^booted' "$status"; then
				probe=0
			elif [ $((SECONDS - start)) -ge "$probe" ]; then
				probe_killed=1
				kill -TERM "$qpid" || true
				wait "$qpid" || true
				return 2
			fi
		fi
		if [ "$VM_TIMEOUT" -gt 0 ] && [ $((SECONDS - start)) -ge "$VM_TIMEOUT" ]; then
			timed_out=1
			echo >&3
			say "TIMEOUT: the guest ran for ${VM_TIMEOUT}s (VM_TIMEOUT): killing qemu"
			kill -TERM "$qpid" || true
			while kill -0 "$qpid" && [ "$waited" -lt 50 ]; do
				sleep 0.1; waited=$((waited + 1))
			done
			kill -KILL "$qpid" || true
			break
		fi
		sleep 0.2
	done
	wait "$qpid" || rc=$?
	return "$rc"
}

# boot ACCEL PROBE: 0 when qemu ran to its end (or the timeout hit),
# 2 when PROBE is set and the guest did not reach userspace in time.
timed_out=0 probe_killed=0
boot() {
	local accel=$1 probe=$2 cpu start rc=0
	# qemu64 boots and runs the suite faster under TCG than max does.
	case "$accel" in kvm) cpu=${VM_CPU:-host} ;; tcg) cpu=${VM_CPU:-qemu64} ;; esac
	echo "exit 255" > "$status"
	: > "$run/out.tar"
	start=$SECONDS
	if [ "$mode" = shell ]; then
		"$QEMU" -accel "$accel" -cpu "$cpu" "${qemu_args[@]}" <&0 2> "$run/qemu.err" &
	else
		"$QEMU" -accel "$accel" -cpu "$cpu" "${qemu_args[@]}" < /dev/null 2> "$run/qemu.err" &
	fi
	qpid=$!
	watch "$probe" "$start" 2>/dev/null || rc=$?
	qpid=""
	if [ "$probe" -gt 0 ] && ! grep -q '^booted' "$status"; then
		return 2  # qemu gave up before userspace: KVM refused or crashed
	fi
	[ "$rc" -eq 0 ] || [ "$timed_out" = 1 ] || say "qemu exited with status $rc: $(tail -3 "$run/qemu.err")"
	cat "$run/qemu.err" >&3
	return 0
}

# KVM when it works, found by trying: a guest that does not reach
# userspace within VM_KVM_PROBE seconds under KVM is booted again under
# TCG. A failure is remembered for this host, qemu and kernel.
probe_key="$(uname -r) $("$QEMU" --version | head -1) $(cat "$VM_DIR/kernel" 2>/dev/null)"
kvm_bad=$VM_DIR/kvm-failed
accel=tcg
if [ "$VM_ACCEL" = kvm ] || { [ "$VM_ACCEL" = auto ] &&
		! { [ -f "$kvm_bad" ] && [ "$(cat "$kvm_bad")" = "$probe_key" ]; }; }; then
	if [ -w /dev/kvm ] || [ "$VM_ACCEL" = kvm ]; then
		accel=kvm
	else
		say "KVM: /dev/kvm is not there or not writable for $(id -un)"
	fi
elif [ "$VM_ACCEL" = auto ]; then
	say "KVM: failed on this host before ($kvm_bad); delete it or set VM_ACCEL=kvm to try again"
fi

wall=$SECONDS
if [ "$accel" = kvm ]; then
	say "booting $(cut -d' ' -f3 "$VM_DIR/kernel") under KVM (TCG if it has not reached userspace in ${VM_KVM_PROBE}s)"
	probe=$VM_KVM_PROBE
	[ "$VM_ACCEL" = kvm ] && probe=0
	if boot kvm "$probe"; then
		grep -q '^booted' "$status" && rm -f "$kvm_bad"
	else
		if [ "$probe_killed" = 1 ]; then
			say "KVM: no userspace within ${VM_KVM_PROBE}s"
		else
			say "KVM: qemu gave up: $(tail -1 "$run/qemu.err" 2>/dev/null)"
		fi
		echo "$probe_key" > "$kvm_bad"
		accel=tcg
	fi
fi
if [ "$accel" = tcg ]; then
	say "booting $(cut -d' ' -f3 "$VM_DIR/kernel") under TCG (software emulation, $VM_SMP cpus, $VM_MEM)"
	wall=$SECONDS
	boot tcg 0
fi
wall=$((SECONDS - wall))

# ---- the verdict ----

[ "$mode" = shell ] && [ -n "$tty_state" ] && stty "$tty_state" 2>/dev/null
tar -xf "$run/out.tar" -C "$out" 2>/dev/null || say "warning: the guest's logs did not all come back"
rc=$(sed -n 's/^exit \([0-9][0-9]*\)$/\1/p' "$status" | tail -1)
booted=$(sed -n 's/^booted //p' "$status" | tail -1)
suite=$(awk '$1 == "suite" { printf "%.1f", $3 - $2 }' "$status" | tail -1)
cp "$status" "$out/status"

# What the kernel's own vmtest treats as failures, seen in any kernel
# line ("[ seconds] ...") of the console or of the guest's dmesg.
bad='\[ *[0-9]+\.[0-9]+\] .*(WARNING:|BUG:|Oops|Kernel panic|kernel BUG|general protection|soft lockup|hard LOCKUP|rcu: INFO|detected stall|blocked for more than|UBSAN:|KASAN:|Call Trace:)'
problems=$(cat "$out/console.log" "$out/dmesg.txt" 2>/dev/null | tr -d '\r' |
	grep -aE "$bad" | sed -E 's/^.*(\[ *[0-9]+\.[0-9]+\])/\1/' | sort -u | head -20 || true)

counts=$(tr -d '\r' < "$out/console.log" | grep -aE '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' |
	tail -1 || true)
verdict=0
echo >&2
say "accel $accel, userspace at ${booted:-?}s (guest clock)${suite:+, suite ${suite}s}," \
	"qemu ${wall}s wall; logs in $out/"
[ "$mode" != test ] || say "in the guest: ${counts:-no closing line from tests/run.sh}"
if [ "$timed_out" = 1 ]; then
	say "FAILED: timed out after ${VM_TIMEOUT}s"
	verdict=1
elif [ -z "$rc" ] || [ "$rc" = 255 ]; then
	say "FAILED: no exit status from the guest (it died, hung or never booted)"
	verdict=1
elif [ "$rc" != 0 ]; then
	what="suite"
	[ "$mode" = test ] || what="command"
	say "FAILED: the $what exited with status $rc"
	verdict=$rc
fi
if [ -n "$problems" ]; then
	say "FAILED: the guest kernel reported problems:"
	printf '  %s\n' "$problems" >&2
	[ "$verdict" -ne 0 ] || verdict=1
fi
[ "$verdict" -eq 0 ] && [ "$mode" = test ] && say "PASSED: the suite passed inside the VM"
exit "$verdict"
