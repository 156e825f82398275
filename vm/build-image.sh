#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds the Paw VM from Debian packages only, under $VM_DIR (build/vm):
#   vmlinuz      the kernel of the Debian package $VM_KERNEL
#   rootfs.ext4  the root filesystem: the packages of vm/packages.txt, of
#                the `test` group of scripts/install-deps.sh and those
#                owning the libraries of the binaries in $BUILD, unpacked
#                with dpkg-deb, and the kernel modules $VM_MODULES with
#                their dependencies (modules.dep from depmod -b)
#   boot.cpio    the start of the initramfs: busybox and the modules that
#                reach the disk and the status port (virtio_pci,
#                virtio_blk, virtio_console)
# The project is in neither: vm/run.sh packs vm/init, vm/guest.sh and the
# tree with build/ into the rest of the initramfs on every boot.
#
# Packages are resolved by apt as for an empty system, fetched with
# `apt-get download` into $VM_DIR/debs (kept), and the image is rebuilt
# only when the resolved set, the kernel, the module list or this script
# change ($VM_DIR/image.key). Needs apt's package lists (apt-get update);
# root is not needed.
#
# Environment: BUILD (build), VM_DIR ($BUILD/vm), VM_KERNEL
# (linux-image-cloud-amd64: a Debian kernel package, a metapackage or
# PKG/SUITE such as linux-image-cloud-amd64/bookworm-backports),
# VM_MODULES, VM_PACKAGES (more Debian packages), VM_FORCE=1 rebuilds.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
VM_DIR=${VM_DIR:-$BUILD/vm}
VM_KERNEL=${VM_KERNEL:-linux-image-cloud-amd64}
VM_MODULES=${VM_MODULES:-virtio_pci virtio_console veth tun dummy}
VM_PACKAGES=${VM_PACKAGES:-}

say() { printf 'vm: %s\n' "$*" >&2; }
die() { printf 'vm: error: %s\n' "$*" >&2; exit 1; }

for tool in apt-get apt-cache dpkg-deb dpkg-query tar cpio depmod modprobe ldd sha256sum mkfs.ext4 flock; do
	command -v "$tool" >/dev/null 2>&1 ||
		die "'$tool' is missing: run scripts/install-deps.sh vm"
done

mkdir -p "$VM_DIR/debs"
VM_DIR_REL=${VM_DIR%/}
VM_DIR=$(cd "$VM_DIR" && pwd)
# One build at a time per image directory; a second one waits (bounded).
exec 9> "$VM_DIR/build.lock"
flock -w 900 9 || die "another vm/build-image.sh holds $VM_DIR/build.lock"
rm -rf "$VM_DIR"/tmp.*	# what a killed build left
TMP=$(mktemp -d "$VM_DIR/tmp.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
start=$(date +%s%N)

# ---- what goes in ----

words() { sed -e 's/#.*//' "$@" | tr -s ' \t' '\n' | sed '/^$/d'; }

# The `test` group, as scripts/install-deps.sh spells it (test="...").
test_pkgs=$(sed -n '/^test="/,$p' scripts/install-deps.sh | tr '\n' ' ' |
	sed -e 's/^test="//' -e 's/".*//')
[ -n "$test_pkgs" ] || die "no test=\"...\" group in scripts/install-deps.sh"

# Every ELF file the build made (not objects), and the libraries they
# need: each goes in as the Debian package that owns it, or copied as is
# when no package does (say, a library in /usr/local).
elfs=()
while IFS= read -r -d '' f; do
	[ "$(head -c4 "$f" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ] && elfs+=("$f")
done < <(find "$BUILD" -path "$VM_DIR_REL" -prune -o -type f \
	\( -perm -u+x -o -name '*.so' -o -name '*.so.*' \) ! -name '*.o' -print0 2>/dev/null)
libs=$(for f in "${elfs[@]}"; do ldd "$f" 2>/dev/null || true; done |
	awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u)
# One dpkg-query for all: with merged /usr a library may be recorded
# under /lib or /usr/lib, by its name or by its target.
lib_pkgs="" unowned=""
if [ -n "$libs" ]; then
	# shellcheck disable=SC2086
	for l in $libs; do printf '%s\n%s\n' "$l" "$(readlink -f "$l")"; done |
		sed -e 'p' -e 's|^/usr/|/|;t' -e 's|^/|/usr/|' | sort -u > "$TMP/libpaths"
	xargs dpkg-query -S < "$TMP/libpaths" 2>/dev/null | grep -v '^diversion' |
		sed -E 's/^([^:,]+)[^ ]* (.*)$/\2 \1/' > "$TMP/owners" || true
	for l in $libs; do
		owner=$(awk -v a="$l" -v b="$(readlink -f "$l")" '
			{ p = $1; sub(/^\/usr\//, "/", p) }
			{ x = a; sub(/^\/usr\//, "/", x); y = b; sub(/^\/usr\//, "/", y) }
			p == x || p == y { print $2; exit }' "$TMP/owners")
		if [ -n "$owner" ]; then
			lib_pkgs="$lib_pkgs $owner"
		else
			unowned="$unowned $l"
		fi
	done
fi

# shellcheck disable=SC2046,SC2086
want=$(printf '%s\n' $(words vm/packages.txt) $test_pkgs $lib_pkgs $VM_PACKAGES | sort -u)

# Stale or missing package lists: as root, refresh them once and start
# over; otherwise say what to do.
again() {
	if [ "$(id -u)" -eq 0 ] && [ -z "${PAW_VM_APT_UPDATED:-}" ]; then
		say "$1: apt-get update, then once more"
		apt-get update -qq || die "apt-get update failed"
		rm -rf "$TMP" "$VM_DIR/resolved.key"
		PAW_VM_APT_UPDATED=1 exec "$0"
	fi
	[ -n "${PAW_VM_APT_UPDATED:-}" ] && die "$1, even with fresh package lists"
	die "$1 (run apt-get update as root, then again)"
}

# apt's answer for an empty system: "Inst NAME (VERSION ORIGIN [ARCH])".
resolve() {
	apt-get -s -q -o Dir::State::status=/dev/null -o APT::Install-Recommends=false \
		-o APT::Install-Suggests=false install "$@" > "$TMP/sim" 2>&1 ||
		{ grep -v '^[A-Z][a-z]' "$TMP/sim" >&2; return 1; }
	awk '$1 == "Inst" && match($0, /\[[a-z0-9]+\]\)/) { v = $3; sub(/^\(/, "", v)
		print $2, v, substr($0, RSTART + 1, RLENGTH - 3) }' "$TMP/sim"
}
# apt answers the same while its package lists and configuration stay
# the same: keep its answer (a few seconds) for the next run.
lists=$(apt-config shell L Dir::State::lists/d | sed -n "s/^L='\(.*\)'$/\1/p")
rkey=$( { echo "$want"; echo "kernel: $VM_KERNEL";
	stat -c '%n %s %Y' "${lists:-/var/lib/apt/lists}"/*Packages* /etc/apt/sources.list \
		/etc/apt/sources.list.d/* /etc/apt/preferences /etc/apt/preferences.d/* 2>/dev/null || true
	} | sha256sum | cut -d' ' -f1)
if [ -f "$VM_DIR/resolved.key" ] && [ "$(cat "$VM_DIR/resolved.key")" = "$rkey" ] &&
   [ -s "$VM_DIR/resolved.manifest" ] && [ -s "$VM_DIR/resolved.kernel" ]; then
	cp "$VM_DIR/resolved.manifest" "$TMP/manifest"
	cp "$VM_DIR/resolved.kernel" "$TMP/kernel"
else
	# shellcheck disable=SC2086
	resolve $want > "$TMP/resolved" || again "apt cannot resolve the packages"
	sort "$TMP/resolved" > "$TMP/manifest"
	resolve "$VM_KERNEL" > "$TMP/resolved" || again "apt cannot resolve $VM_KERNEL"
	awk '$1 ~ /^linux-image-[0-9]/' "$TMP/resolved" | head -1 > "$TMP/kernel"
	[ -s "$TMP/kernel" ] || die "'$VM_KERNEL' is not (and depends on no) linux-image-VERSION package"
	cp "$TMP/manifest" "$VM_DIR/resolved.manifest"
	cp "$TMP/kernel" "$VM_DIR/resolved.kernel"
	echo "$rkey" > "$VM_DIR/resolved.key"
fi
read -r kpkg kver karch < "$TMP/kernel"

key=$( { cat "$TMP/manifest" "$TMP/kernel"; echo "modules: $VM_MODULES";
	echo "unowned: $unowned"; for l in $unowned; do sha256sum "$l"; done;
	sha256sum "$0" vm/packages.txt; } | sha256sum | cut -d' ' -f1)
if [ "${VM_FORCE:-0}" != 1 ] && [ -f "$VM_DIR/image.key" ] && [ "$(cat "$VM_DIR/image.key")" = "$key" ] &&
   [ -f "$VM_DIR/vmlinuz" ] && [ -f "$VM_DIR/boot.cpio" ] && [ -f "$VM_DIR/rootfs.ext4" ]; then
	say "image up to date ($kpkg $kver, $(wc -l < "$VM_DIR/manifest") packages)"
	exit 0
fi
say "building the image: $kpkg $kver, $(wc -l < "$TMP/manifest") packages"

# ---- fetch ----

deb_of() { printf '%s/debs/%s_%s_%s.deb' "$VM_DIR" "$1" "${2//:/%3a}" "$3"; }
missing=()
while read -r n v a; do
	[ -f "$(deb_of "$n" "$v" "$a")" ] || missing+=("$n=$v")
done < <(cat "$TMP/manifest" "$TMP/kernel")
if [ ${#missing[@]} -gt 0 ]; then
	say "apt-get download: ${#missing[@]} packages"
	sandbox=()
	[ "$(id -u)" -eq 0 ] && sandbox=(-o APT::Sandbox::User=root)
	(cd "$VM_DIR/debs" && apt-get download -q "${sandbox[@]}" "${missing[@]}" > "$TMP/dl" 2>&1) ||
		{ grep -E '^(E|W):' "$TMP/dl" >&2; again "apt-get download failed"; }
fi
while read -r n v a; do
	[ -f "$(deb_of "$n" "$v" "$a")" ] || die "no $(deb_of "$n" "$v" "$a") after download"
done < <(cat "$TMP/manifest" "$TMP/kernel")

# ---- root filesystem ----

root=$TMP/root
mkdir -p "$root"/usr/{bin,sbin,lib,lib64}
# Debian 12 is merged-/usr: /bin is /usr/bin and so on.
for d in bin sbin lib lib64; do ln -s "usr/$d" "$root/$d"; done
: > "$TMP/alternatives"
while read -r n v a; do
	deb=$(deb_of "$n" "$v" "$a")
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$root" --keep-directory-symlink \
		--no-same-owner --wildcards --exclude='./usr/share/doc/*' \
		--exclude='./usr/share/man/*' --exclude='./usr/share/info/*' \
		--exclude='./usr/share/locale/*' --exclude='./usr/share/lintian/*'
	# Maintainer scripts do not run; keep what update-alternatives would
	# have linked (awk -> mawk, which -> which.debianutils, ...).
	dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./postinst 2>/dev/null |
		sed -e ':a' -e '/\\$/N; s/\\\n//; ta' |
		awk '{ for (i = 1; i <= NF; i++) if ($i == "--install" && $(i + 4) ~ /^[0-9]+$/)
			print $(i + 4), $(i + 1), $(i + 3) }' >> "$TMP/alternatives" || true
done < "$TMP/manifest"
# Highest priority wins, as update-alternatives --auto would choose.
sort -k1,1nr "$TMP/alternatives" | while read -r _ link target; do
	case "$link$target" in *'$'*) continue ;; esac
	[ -e "$root$target" ] && [ ! -e "$root$link" ] && [ ! -L "$root$link" ] &&
		mkdir -p "$root$(dirname "$link")" && ln -s "$target" "$root$link"
done
for l in $unowned; do
	say "warning: $l belongs to no Debian package: copied from this host"
	mkdir -p "$root$(dirname "$l")"
	cp -L "$l" "$root$l"
done

# Busybox fills only the gaps (poweroff, ...), never a real tool's place.
bb=$root/usr/bin/busybox
[ -x "$bb" ] || die "busybox-static is not in the image"
"$bb" --list-full | while read -r p; do
	name=${p##*/}
	[ -e "$root/usr/bin/$name" ] || [ -e "$root/usr/sbin/$name" ] || [ -L "$root/usr/bin/$name" ] ||
		ln -s /usr/bin/busybox "$root/usr/bin/$name"
done
[ "$(readlink "$root/usr/bin/sh")" != /usr/bin/busybox ] || die "/bin/sh would be busybox"

mkdir -p "$root"/{proc,sys,dev,run,tmp,root,mnt,etc,var/tmp,var/log}
chmod 1777 "$root/tmp" "$root/var/tmp"
# What base-files' postinst would have made: /var/run is /run.
rm -rf "$root/var/run" "$root/var/lock"
ln -s /run "$root/var/run"
ln -s /run/lock "$root/var/lock"
# What base-passwd's postinst would have made: Debian's standard users
# and groups (tests use nobody, nogroup and users).
if [ -f "$root/usr/share/base-passwd/passwd.master" ] &&
   [ -f "$root/usr/share/base-passwd/group.master" ]; then
	cp "$root/usr/share/base-passwd/passwd.master" "$root/etc/passwd"
	cp "$root/usr/share/base-passwd/group.master" "$root/etc/group"
else
	printf 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' \
		> "$root/etc/passwd"
	printf 'root:x:0:\ntty:x:5:\nusers:x:100:\nnogroup:x:65534:\n' > "$root/etc/group"
fi
printf 'root:*:19000:0:99999:7:::\n' > "$root/etc/shadow"
echo paw-vm > "$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tpaw-vm\n::1\tlocalhost ip6-localhost ip6-loopback\n' \
	> "$root/etc/hosts"
printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files\nservices: files\nprotocols: files\n' \
	> "$root/etc/nsswitch.conf"
printf 'PS1='\''paw-vm:\\w# '\''\n' > "$root/root/.bashrc"
# The kernel's modprobe: notes what the image lacks (vm/guest.sh reports it).
mkdir -p "$root/usr/local/sbin"
cat > "$root/usr/local/sbin/paw-modprobe" <<'EOF'
#!/bin/sh
/sbin/modprobe "$@" && exit 0
echo "$*" >> /run/paw-missing-modules
exit 1
EOF
chmod 755 "$root/usr/local/sbin/paw-modprobe"
cp "$TMP/manifest" "$root/etc/paw-vm-packages"
if [ "$(id -u)" -eq 0 ]; then
	ldconfig -r "$root" 2>/dev/null || true	# else vm/guest.sh runs ldconfig
fi

# ---- kernel and modules ----

kroot=$TMP/kroot
dpkg-deb -x "$(deb_of "$kpkg" "$kver" "$karch")" "$kroot"
kvers=$(ls "$kroot/lib/modules")
[ "$(echo "$kvers" | wc -l)" -eq 1 ] || die "$kpkg holds several module trees: $kvers"
depmod -b "$kroot" "$kvers"
for m in $VM_MODULES; do
	modprobe -d "$kroot" -S "$kvers" --show-depends "$m" > "$TMP/deps" 2>&1 ||
		{ cat "$TMP/deps" >&2; die "module '$m' is not in $kpkg"; }
	awk '$1 == "insmod" { print $2 }' "$TMP/deps"
done | sort -u | while read -r ko; do
	rel=${ko#"$kroot"}
	mkdir -p "$root$(dirname "$rel")"
	cp "$ko" "$root$rel"
done
cp "$kroot/lib/modules/$kvers"/modules.{builtin,builtin.modinfo,order} "$root/lib/modules/$kvers/"
depmod -b "$root" "$kvers"
cp "$kroot/boot/vmlinuz-$kvers" "$TMP/vmlinuz"
cp "$kroot/boot/config-$kvers" "$TMP/config"
mkdir -p "$root/boot"
cp "$TMP/config" "$root/boot/config-$kvers"	# bpftool feature probe reads it

# ---- the boot initramfs: busybox and the modules to reach the disk ----

# vm/init (busybox sh) loads them in this order, mounts the disk and
# switches to it; vm/run.sh adds vm/init itself and the project.
boot=$TMP/boot
mkdir -p "$boot/bin" "$boot/etc"
cp "$root/usr/bin/busybox" "$boot/bin/busybox"
for m in virtio_pci virtio_blk virtio_console; do
	modprobe -d "$kroot" -S "$kvers" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
done | awk '!seen[$0]++' | while read -r ko; do
	rel=${ko#"$kroot"}
	mkdir -p "$boot$(dirname "$rel")"
	cp "$ko" "$boot$rel"
	echo "$rel"
done > "$boot/etc/modules"
(cd "$boot" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc -R +0:+0 --quiet) > "$TMP/boot.cpio"

# ---- the root filesystem as a disk ----

# ext4, read by the guest as it needs it (an initramfs this size took the
# guest 5-6 s to unpack under TCG). qemu opens it with snapshot=on: the
# guest writes, the file never changes. Sparse, with room to write.
used=$(du -sm "$root" | cut -f1)
truncate -s "$((used + used / 4 + 512))M" "$TMP/rootfs.ext4"
mkfs.ext4 -q -F -L paw-root -O ^has_journal -E root_owner=0:0 -d "$root" "$TMP/rootfs.ext4" ||
	die "mkfs.ext4 -d failed"

rm -f "$VM_DIR/base.cpio"
mv "$TMP/vmlinuz" "$TMP/boot.cpio" "$TMP/rootfs.ext4" "$VM_DIR/"
mv "$TMP/config" "$VM_DIR/kernel.config"
cp "$TMP/manifest" "$VM_DIR/manifest"
printf '%s %s %s\n' "$kpkg" "$kver" "$kvers" > "$VM_DIR/kernel"
echo "$key" > "$VM_DIR/image.key"
# Keep the cache to what this image uses.
keep=$TMP/keep
while read -r n v a; do deb_of "$n" "$v" "$a"; echo; done \
	< <(cat "$VM_DIR/manifest" "$TMP/kernel") > "$keep"
for f in "$VM_DIR"/debs/*.deb; do
	grep -qxF "$f" "$keep" || rm -f "$f"
done
ms=$((($(date +%s%N) - start) / 1000000))
say "image built in $((ms / 1000)).$((ms % 1000 / 100))s:" \
	"$VM_DIR/vmlinuz ($kvers), $VM_DIR/rootfs.ext4 ($used MiB used)"
