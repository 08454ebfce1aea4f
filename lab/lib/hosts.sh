# hosts.sh — one private libvirtd + virtlogd per hypervisor host namespace (the recipe is in
# docs/lab.md, "The parts").
# shellcheck shell=bash

host_conf() { # host_conf DIR MIGRATION_IP — libvirtd.conf and qemu.conf for one host
  local d=$1 mig=$2
  cat > "$d/etc/libvirtd.conf" <<CONF
# Written by mt-lab: a private daemon for one lab host.
host_uuid = "$(cat /proc/sys/kernel/random/uuid)"
auth_unix_rw = "none"
auth_unix_ro = "none"
unix_sock_rw_perms = "0700"
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
CONF
  cat > "$d/etc/qemu.conf" <<CONF
# Written by mt-lab. No cgroups/namespaces/labels in the lab; both daemons share the guest's
# kernel and initrd, so libvirt must not chown them (dynamic_ownership/remember_owner off).
user = "root"
group = "root"
security_driver = "none"
cgroup_controllers = [ ]
namespaces = [ ]
dynamic_ownership = 0
remember_owner = 0
stdio_handler = "file"
migration_address = "$mig"
migration_host = "$mig"
CONF
}

host_up() { # host_up NAME NS MIGRATION_IP
  local name=$1 ns=$2 mig=$3 d=$STATE/$1 i
  mkdir -p "$d"/{etc,run,lib,log,cache}
  for i in /etc/libvirt /run/libvirt /var/lib/libvirt /var/log/libvirt /var/cache/libvirt; do
    [ -d "$i" ] && continue
    journal rmdir "$i"          # a mount point we had to make: removed again if still empty
    mkdir -p "$i"
  done
  host_conf "$d" "$mig"
  journal daemon "$d/run/libvirtd.pid" libvirtd
  journal daemon "$d/run/virtlogd.pid" virtlogd
  # shellcheck disable=SC2016  # expanded by the inner bash, from its arguments
  # The bind mounts live in the daemons' private mount namespace and vanish with them.
  nsx "$ns" unshare --mount --uts --propagation private bash -c '
    set -e; d=$1
    mount --bind "$d/etc" /etc/libvirt
    mount --bind "$d/run" /run/libvirt
    mount --bind "$d/lib" /var/lib/libvirt
    mount --bind "$d/log" /var/log/libvirt
    mount --bind "$d/cache" /var/cache/libvirt
    hostname "$2"
    virtlogd -d -p "$d/run/virtlogd.pid"
    exec libvirtd -d -p "$d/run/libvirtd.pid"' mt-lab "$d" "$ns" \
    || die "cannot start libvirtd in $ns"
  for _ in $(seq 1 100); do
    virsh -q -c "$(uri "$name")" uri >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  die "libvirtd in $ns did not answer within 20 s (see $d/log/libvirtd.log)"
}

# host_daemon_start NAME DAEMON — DAEMON (libvirtd | virtlogd) of lab host NAME again when it
# does not run: in the mount and UTS namespaces its partner daemon keeps (the bind mounts
# host_up made), with the pid file the lab's journal names, so `down` stops it as before. The
# lab's start recipe for migtorture's service faults (docs/faults.md); both gone is an error.
host_daemon_start() {
  local name=$1 daemon=$2 ns partner d p
  case $name in hosta) ns=$NS_A ;; hostb) ns=$NS_B ;; *) die "no lab host '$name' (hosta, hostb)" ;; esac
  case $daemon in
    libvirtd) partner=virtlogd ;; virtlogd) partner=libvirtd ;;
    *) die "no lab daemon '$daemon' (libvirtd, virtlogd)" ;;
  esac
  d=$STATE/$name
  pid_alive "$d/run/$daemon.pid" "$daemon" && return 0
  pid_alive "$d/run/$partner.pid" "$partner" ||
    die "neither $daemon nor $partner of $name runs: bring the lab up again"
  p=$(tr -dc 0-9 < "$d/run/$partner.pid")
  [ "$(ip netns identify "$p" 2>/dev/null)" = "$ns" ] || die "$partner of $name (pid $p) is not in $ns"
  nsenter -t "$p" -m -u -n "$daemon" -d -p "$d/run/$daemon.pid" || die "cannot start $daemon on $name"
  [ "$daemon" = libvirtd ] || return 0
  for _ in $(seq 1 100); do
    virsh -q -c "$(uri "$name")" uri >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  die "libvirtd of $name did not answer within 20 s (see $d/log/libvirtd.log)"
}

host_warm() { # host_warm NAME — make libvirtd probe QEMU now (~3 s, once per daemon), so the
  # first migration to this host is not slowed by it; runs in the background of `up`.
  virsh -q -c "$(uri "$1")" domcapabilities --virttype qemu >/dev/null 2>&1 || true
}
