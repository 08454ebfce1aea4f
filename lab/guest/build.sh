#!/bin/bash
# build.sh — build (or reuse) the lab guest: Debian kernel + busybox initramfs that serves the
# thesis' three web scenarios and runs qemu-ga and mt-guest.
# Packages are fetched with `apt-get download` and unpacked with `dpkg -x`, never installed.
# The result is cached under $CACHE/guest/<content-hash>/ and the folder is printed on stdout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${MT_CACHE_DIR:-/var/cache/migtorture}/guest
# The in-guest helper: $MT_GUEST_BIN (`migtorture lab` sets it), else, for the lab of a source
# tree, that tree's default build, else the installed one (the migtorture-guest package). The
# guest workloads need it in the guest, so a missing one stops the build.
if [ -n "${MT_GUEST_BIN:-}" ]; then
  helper=$MT_GUEST_BIN
elif [ -f "$repo/workloads/guest/mt-guest.c" ]; then
  helper=$repo/build/workloads/guest/mt-guest
else
  helper=/usr/libexec/migtorture/mt-guest
fi
# Modules in load order (virtio chain, then the console for the guest agent channel).
MODS="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci failover
net_failover virtio_net virtio_console virtio_blk"

fail() { echo "guest/build.sh: $*" >&2; exit 3; }
[ -x "$helper" ] || fail "no in-guest helper $helper (build it, install migtorture-guest or set MT_GUEST_BIN)"

resolve_kernel() {
  apt-cache depends linux-image-amd64 2>/dev/null \
    | awk '/Depends: linux-image-[0-9]/{print $2; exit}'
}
kpkg=$(resolve_kernel)
if [ -z "$kpkg" ]; then   # package lists missing (fresh machine, or cleaned): fetch them once
  apt-get -o DPkg::Lock::Timeout=300 update -qq >/dev/null 2>&1 || true
  kpkg=$(resolve_kernel)
fi
[ -n "$kpkg" ] || fail "cannot resolve linux-image-amd64 (apt-get update failed?)"
PKGS=("$kpkg" busybox-static qemu-guest-agent)

# Cache key: package versions + every file of this folder + the helper binary.
key=$(
  for p in "${PKGS[@]}"; do
    apt-cache policy "$p" | awk -v p="$p" '/Candidate:/{print p, $2}'
  done
  cd "$here" && find . -type f -print0 | sort -z | xargs -0 sha256sum
  sha256sum < "$helper"
)
key=$(printf '%s\n' "$key" | sha256sum | cut -c1-16)
out=$cache/$key
if [ -s "$out/vmlinuz" ] && [ -s "$out/initrd.gz" ]; then echo "$out"; exit 0; fi

mkdir -p "$cache"
# A build killed with SIGKILL cannot run its trap: sweep such leftovers once they are old.
find "$cache" -maxdepth 1 -name '.build.*' -mmin +30 -exec rm -rf {} + 2>/dev/null || true
work=$(mktemp -d "$cache/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/debs" "$work/x" "$work/root"
(cd "$work/debs" && apt-get download -q "${PKGS[@]}" >/dev/null 2>"$work/apt.err") \
  || fail "apt-get download failed: $(tail -n 1 "$work/apt.err")"
for d in "$work"/debs/*.deb; do dpkg -x "$d" "$work/x"; done

r=$work/root
mkdir -p "$r"/{bin,sbin,dev,proc,sys,run,tmp,etc,lib/modules,www/cgi-bin}
cp "$work/x/bin/busybox" "$r/bin/busybox"
ln -s busybox "$r/bin/sh"          # init runs /etc/rc through /bin/sh before --install
ln -s bin/busybox "$r/init"      # busybox init reaps orphans (CGI, daemons) as PID 1 should
install -m 0755 "$here/rc" "$r/etc/rc"
printf '::sysinit:/etc/rc\n::respawn:/bin/busybox sh -c "exec sleep 2147483647"\n' \
  > "$r/etc/inittab"
printf 'root:x:0:0:root:/:/bin/sh\n' > "$r/etc/passwd"
printf 'root:x:0:\n' > "$r/etc/group"

# Kernel modules: plain .ko in 6.1, but accept compressed ones too.
kver=$(basename "$(ls -d "$work"/x/lib/modules/*)")
for m in $MODS; do
  f=$(find "$work/x/lib/modules/$kver" -name "$m.ko*" | head -n 1)
  [ -n "$f" ] || continue            # built into the kernel
  case $f in
    *.xz)  xz -dc "$f" > "$r/lib/modules/$m.ko" ;;
    *.zst) zstd -qdc "$f" > "$r/lib/modules/$m.ko" ;;
    *)     cp "$f" "$r/lib/modules/$m.ko" ;;
  esac
done
cp "$work/x/boot/vmlinuz-$kver" "$work/vmlinuz"

# qemu-ga is dynamically linked: bring its libraries (resolved on the host) and the loader.
install -D -m 0755 "$work/x/usr/sbin/qemu-ga" "$r/usr/sbin/qemu-ga"
ldd "$work/x/usr/sbin/qemu-ga" > "$work/ldd" || fail "ldd qemu-ga failed"
if grep -q 'not found' "$work/ldd"; then fail "qemu-ga libraries missing on host: $(grep 'not found' "$work/ldd" | tr -s ' \n' ' ')"; fi
awk '/=> \//{print $3} /^\t\//{print $1}' "$work/ldd" | while read -r lib; do
  install -D -m 0755 "$(readlink -f "$lib")" "$r$lib"
done

# The in-guest helper mt-guest (workloads/guest/), started from rc.
install -m 0755 "$helper" "$r/bin/mt-guest"

# Website: page + assets, CGI stream segments, and the video block (rc expands it to 20 MiB).
cp -r "$here/www/." "$r/www/"
chmod 0755 "$r"/www/cgi-bin/*
# A 1x1 PNG as the page's image asset, written here so git holds no binary.
printf '\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\0\x05\0\x01\xff\x89\x99=\x1d\0\0\0\0IEND\xaeB`\x82' \
  > "$r/www/logo.png"
# Deterministic pseudo-random 1 MiB block: AES-128-CTR keystream with an all-zero key and IV.
openssl enc -aes-128-ctr -nosalt -K 00000000000000000000000000000000 \
  -iv 00000000000000000000000000000000 -in /dev/zero 2>/dev/null | head -c 1048576 \
  > "$r/www/.block" || true
[ "$(stat -c %s "$r/www/.block")" = 1048576 ] || fail "video block generation failed"

(cd "$r" && find . | cpio -o -H newc --quiet | gzip -6) > "$work/initrd.gz"
mkdir -p "$work/out"
mv "$work/vmlinuz" "$work/initrd.gz" "$work/out/"
printf '%s\n' "${PKGS[@]}" > "$work/out/packages"
rm -rf "$out"
mv "$work/out" "$out"
echo "$out"
