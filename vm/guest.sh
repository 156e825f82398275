#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# PID 1 of the Paw VM, on the root disk: vm/init mounted everything and
# switched to it. Runs the suite (/paw-vm/mode = test) or gives a shell
# on the console (shell), or runs one command (exec), then powers off. vm/run.sh wrote
# /paw-vm/{mode,args,env} and the project tree in /paw.
#
# The result goes back on the virtio serial port "paw.status", as lines
#   booted UPTIME       once userspace runs (vm/run.sh's KVM probe waits for it)
#   suite START END     the suite's run, on the guest's clock
#   exit N              the suite's exit status, last of all
# and the logs (build/test-logs, dmesg, lsmod) as a tar stream on
# "paw.out". No `set -e`: PID 1 must reach poweroff whatever fails.
# Until the suite starts, only bash builtins: under TCG every program
# started costs a tenth of a second.

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8 TERM=${TERM:-linux}
umask 022
exec </dev/console >/dev/console 2>&1

# VM_CMDLINE=paw.trace traces this script, with timestamps.
read -r cmdline < /proc/cmdline
if [[ " $cmdline " == *" paw.trace "* ]]; then
	PS4='+ ${EPOCHREALTIME} '
	set -x
fi

log() { printf 'paw-vm: %s\n' "$*"; }
uptime_s() { local u; read -r u _ < /proc/uptime; echo "$u"; }
poweroff_now() {
	sync
	busybox poweroff -f
	echo o > /proc/sysrq-trigger
	sleep 30
}
fail_boot() { log "FATAL: $*"; poweroff_now; }

echo paw-vm > /proc/sys/kernel/hostname
[ -s /etc/ld.so.cache ] || ldconfig	# an image built without root has none
echo /usr/local/sbin/paw-modprobe > /proc/sys/kernel/modprobe
# Device-backed modules have no node to autoload them through (devtmpfs
# makes /dev/net/tun only once tun is in): load them up front.
/usr/local/sbin/paw-modprobe -q tun || true

port() {	# NAME: the device of the virtio serial port of that name
	local f name i
	for ((i = 0; i < 100; i++)); do
		for f in /sys/class/virtio-ports/*/name; do
			[ -r "$f" ] || continue
			read -r name < "$f"
			f=${f%/name}
			[ "$name" = "$1" ] && [ -c "/dev/${f##*/}" ] && { echo "/dev/${f##*/}"; return 0; }
		done
		read -r -t 0.05 <> <(:) || true	# sleep without a program
	done
	return 1
}
status_port=$(port paw.status) || fail_boot "no virtio port paw.status"
out_port=$(port paw.out) || fail_boot "no virtio port paw.out"
booted=$(uptime_s)
echo "booted $booted" > "$status_port"

read -r osrelease < /proc/sys/kernel/osrelease
read -r online < /sys/devices/system/cpu/online
while read -r k v _; do [ "$k" = MemTotal: ] && break; done < /proc/meminfo
log "userspace up at ${booted}s: kernel $osrelease, cpus $online, $((v / 1024)) MiB"

mode=""
[ -f /paw-vm/mode ] && read -r mode < /paw-vm/mode
args=()
[ -f /paw-vm/args ] && mapfile -t args < /paw-vm/args
# shellcheck disable=SC1091
[ -f /paw-vm/env ] && . /paw-vm/env
cd /paw || fail_boot "no /paw"
ip link set lo up

collect() {
	mkdir -p /run/paw-out
	dmesg > /run/paw-out/dmesg.txt 2>&1
	cp -r "${BUILD:-build}/test-logs" /run/paw-out/ 2>/dev/null
	lsmod > /run/paw-out/lsmod.txt 2>&1
	if [ -s /run/paw-missing-modules ]; then
		sort -u /run/paw-missing-modules > /run/paw-out/missing-modules.txt
		log "the kernel asked for modules the image lacks (add them to VM_MODULES):" \
			"$(tr '\n' ' ' < /run/paw-out/missing-modules.txt)"
	fi
	tar -C /run/paw-out -cf "$out_port" .
}

case "$mode" in
test)
	log "running: tests/run.sh ${args[*]}"
	start=$(uptime_s)
	bash tests/run.sh "${args[@]}"
	rc=$?
	end=$(uptime_s)
	log "suite exit status $rc, took $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')s"
	collect
	echo "suite $start $end" > "$status_port"
	echo "exit $rc" > "$status_port"
	;;
exec)
	log "running: ${args[*]}"
	bash -c "${args[*]}"
	rc=$?
	log "exit status $rc"
	collect
	echo "exit $rc" > "$status_port"
	;;
shell)
	tty=ttyS0
	[ -r /sys/class/tty/console/active ] && read -r tty < /sys/class/tty/console/active
	tty=${tty##* }
	# shellcheck disable=SC2046
	[ -f /paw-vm/stty ] && stty $(cat /paw-vm/stty) < "/dev/$tty" 2>/dev/null
	log "the project is in /paw, build/ as the host built it. Try:"
	log "  tests/run.sh     tests/run.sh datapath     bpftool prog     ip -all netns"
	log "exit (or Ctrl-D) powers off; Ctrl-A x quits qemu at once."
	setsid -c -w bash -i <>"/dev/$tty" >&0 2>&0
	collect
	echo "exit 0" > "$status_port"
	;;
*)
	log "unknown mode '$mode'"
	;;
esac
poweroff_now
