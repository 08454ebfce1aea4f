# storage.sh — `mt-lab up --ceph`: the Ceph mini-cluster (lab/ceph/ceph-up) on the storage
# network, attached to both hypervisor namespaces, a cephx client key as a libvirt secret on
# both libvirtds, and the guest's data disk on RBD. Keys never reach an argv, a log or lab.json.
# shellcheck shell=bash

CEPH_DIR=$LAB_DIR/ceph
CEPH_DESC=${MT_CEPH_DESC:-/run/migtorture/ceph/ceph.json}
STOR_A_IP=198.18.4.11   # hosta's end of the storage network (198.18.4.0/24; mon = .1)
STOR_B_IP=198.18.4.12
RBD_DEV=vda             # the guest sees its RBD data disk as /dev/vda (raw, no filesystem)

# storage_start — ceph-up in the background (~20 s, needs none of the lab's namespaces), so it
# overlaps with the UML boot and the libvirtds. Its finish time is kept for the HEALTH_OK figure.
storage_start() {
  journal ceph                 # undo: lab/ceph/ceph-down (its own journal of what it made)
  ( "$CEPH_DIR/ceph-up" > "$STATE/ceph-up.log" 2>&1; rc=$?
    date +%s%N > "$STATE/ceph-done-ns"; exit $rc ) &
  STORAGE_PID=$!
}

# storage_wait T0_NS — waits for ceph-up; attaches both hosts; records HEALTH_OK time from T0.
storage_wait() {
  local t0=$1
  wait "$STORAGE_PID" || die "ceph-up failed: $(tail -n 1 "$STATE/ceph-up.log")"
  echo $((($(cat "$STATE/ceph-done-ns") - t0) / 1000000)) > "$STATE/ceph-health-ok-ms"
  "$CEPH_DIR/ceph-attach" "$NS_A" "$STOR_A_IP" stor0 || die "ceph-attach $NS_A failed"
  "$CEPH_DIR/ceph-attach" "$NS_B" "$STOR_B_IP" stor0 || die "ceph-attach $NS_B failed"
}

jfield() { sed -n "s/.*\"$1\": *\"\\([^\"]*\\)\".*/\\1/p" "$CEPH_DESC" | head -n 1; }

# storage_secret — one libvirt secret (same uuid on both hosts, so migration finds it) holding
# the RBD client's key, set from a 0600 file that is removed at once (never on a command line).
storage_secret() {
  local uuid xml keyf user keyring h
  user=$(jfield rbd_client) keyring=$(jfield rbd_keyring)
  if [ -z "$user" ] || [ ! -f "$keyring" ]; then die "ceph descriptor lacks rbd_client/rbd_keyring"; fi
  uuid=$(cat /proc/sys/kernel/random/uuid)
  echo "$uuid" > "$STATE/ceph-secret-uuid"
  xml=$STATE/ceph-secret.xml
  cat > "$xml" <<XML
<secret ephemeral='no' private='yes'>
  <uuid>$uuid</uuid>
  <usage type='ceph'><name>client.$user migtorture lab</name></usage>
</secret>
XML
  keyf=$STATE/ceph-secret.key
  journal file "$keyf"
  (umask 077; ceph-authtool -p -n "client.$user" "$keyring" | tr -d '\n' > "$keyf") ||
    die "cannot read client.$user's key"
  journal secret "$uuid"
  for h in hosta hostb; do
    virsh -q -c "$(uri "$h")" secret-define "$xml" >/dev/null || die "secret-define on $h failed"
    virsh -q -c "$(uri "$h")" secret-set-value "$uuid" --file "$keyf" >/dev/null ||
      die "secret-set-value on $h failed"
  done
  rm -f -- "$keyf"
}

# storage_disk_xml — the guest's <disk> element (one line, for sed): raw RBD image, cache=none
# (libvirt calls network disks without a host cache safe to migrate).
storage_disk_xml() {
  printf "%s" "<disk type='network' device='disk'><driver name='qemu' type='raw' cache='none'/>" \
    "<auth username='$(jfield rbd_client)'><secret type='ceph' uuid='$(cat "$STATE/ceph-secret-uuid")'/></auth>" \
    "<source protocol='rbd' name='$(jfield pool)/$(jfield image)'><host name='$(jfield mon_addr)' port='6789'/></source>" \
    "<target dev='$RBD_DEV' bus='virtio'/></disk>"
}

storage_undo_secret() { # storage_undo_secret UUID — on every host whose libvirtd still runs
  local h
  for h in hosta hostb; do
    [ -S "$STATE/$h/run/libvirt-sock" ] || continue
    timeout 10 virsh -q -c "$(uri "$h")" secret-undefine "$1" >/dev/null 2>&1 || true
  done
}

storage_state() { # prints up or down (the cluster's own status)
  "$CEPH_DIR/ceph-status" 2>/dev/null || echo down
}

storage_json() { # the lab descriptor's "storage" member (null without --ceph)
  if [ "$(cat "$STATE/ceph" 2>/dev/null)" != 1 ]; then echo null; return 0; fi
  cat <<JSON
{"kind": "ceph", "state": "$(storage_state)", "descriptor": "$CEPH_DESC",
    "netns": "mt-ceph", "subnet": "198.18.4.0/24", "mon_addr": "$(jfield mon_addr)",
    "conf": "$(jfield conf)", "keyring": "$(jfield keyring)",
    "rbd_client": "$(jfield rbd_client)", "rbd_keyring": "$(jfield rbd_keyring)",
    "pool": "$(jfield pool)", "image": "$(jfield image)", "image_size": "$(jfield image_size)",
    "libvirt_secret_uuid": "$(cat "$STATE/ceph-secret-uuid" 2>/dev/null)",
    "hosts": {"$NS_A": {"dev": "stor0", "ip": "$STOR_A_IP"},
              "$NS_B": {"dev": "stor0", "ip": "$STOR_B_IP"}},
    "guest_disk": "/dev/$RBD_DEV", "guest_disk_use": "raw",
    "health_ok_ms": $(cat "$STATE/ceph-health-ok-ms" 2>/dev/null || echo null)}
JSON
}
