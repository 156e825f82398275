#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Writes vmlinux.h from kernel BTF for CO-RE. Sources, first that exists:
#   $PAW_BTF (a BTF blob or an ELF vmlinux), /sys/kernel/btf/vmlinux,
#   Debian's debug vmlinux (linux-image-*-dbg), or the BTF inside a Debian
#   kernel image (/boot/vmlinuz-*), decompressed the way the kernel's
#   scripts/extract-vmlinux does it.
# Usage: gen-vmlinux-h.sh BPFTOOL OUT
set -eu
BPFTOOL=$1
OUT=$2
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

dump() { "$BPFTOOL" btf dump file "$1" format c > "$OUT.tmp" && mv "$OUT.tmp" "$OUT"; }

# The kernel's scripts/extract-vmlinux, in short: find each compression's
# magic in the image, decompress from there, keep the first ELF payload.
is_elf() { [ "$(head -c4 "$1" 2>/dev/null | od -An -tx1 | tr -d ' ')" = "7f454c46" ]; }
extract_vmlinux() {
	for spec in '\x1f\x8b\x08:gunzip' '\xfd7zXZ\x00:unxz' '\x28\xb5\x2f\xfd:unzstd' \
		    'BZh:bunzip2' '\x5d\x00\x00\x00:unlzma'; do
		tool=${spec#*:}
		command -v "$tool" >/dev/null 2>&1 || continue
		for pos in $(LC_ALL=C grep -aboP "${spec%%:*}" "$1" | cut -d: -f1); do
			tail -c +$((pos + 1)) "$1" | $tool > "$TMP/vmlinux" 2>/dev/null || true
			is_elf "$TMP/vmlinux" && return 0
		done
	done
	return 1
}

if [ -n "${PAW_BTF:-}" ]; then
	if ! is_elf "$PAW_BTF" && \
	   [ "$(head -c2 "$PAW_BTF" | od -An -tx1 | tr -d ' ')" != "9feb" ]; then
		extract_vmlinux "$PAW_BTF" && dump "$TMP/vmlinux" && exit 0
		echo "gen-vmlinux-h: no BTF found in $PAW_BTF" >&2; exit 1
	fi
	dump "$PAW_BTF"; exit 0
fi
if [ -r /sys/kernel/btf/vmlinux ]; then
	dump /sys/kernel/btf/vmlinux; exit 0
fi
for f in /usr/lib/debug/boot/vmlinux-"$(uname -r)" /boot/vmlinux-"$(uname -r)" \
	 /usr/lib/debug/boot/vmlinux-*; do
	[ -r "$f" ] && dump "$f" && exit 0
done
for f in /boot/vmlinuz-"$(uname -r)" /boot/vmlinuz-*; do
	[ -r "$f" ] || continue
	extract_vmlinux "$f" && dump "$TMP/vmlinux" && exit 0
done
echo "gen-vmlinux-h: no kernel BTF: /sys/kernel/btf/vmlinux is absent and no" >&2
echo "gen-vmlinux-h: Debian kernel image here carries BTF; set PAW_BTF=FILE" >&2
exit 1
