#!/bin/bash
# tests/ceph/lab_ceph.sh up|down — the ctest fixture `mt_lab_ceph`: one lab with Ceph storage
# (`mt-lab up --ceph`, ~45 s) shared by ceph_lab_rbd and openstack_nova_migrate, which would
# otherwise each bring up and take down their own (both use a lab that is up with --ceph).
#   up    brings the lab up with --ceph (prints the time); a lab already up with --ceph is
#         used as it is; a lab up without it is a failure (its tests would skip or reuse the
#         wrong lab). Skips (77) without root, the lab's tools or the Ceph packages.
#   down  takes the lab down and checks nothing is left: the lab's objects (assert_clean)
#         and the cluster's (its namespace, storage link, state directory, daemons).
# shellcheck source=../lab/lib.sh
. "$(dirname "$0")/../lab/lib.sh"
NAME=lab_ceph_${1:-}
need_lab
case ${1:-} in
up)
  for t in ceph ceph-mon ceph-mgr ceph-osd ceph-authtool; do
    command -v "$t" >/dev/null 2>&1 || skip "missing $t (run scripts/setup)"
  done
  if [ "$("$LAB" status)" = up ]; then
    [ "$(desc '.storage.kind // empty')" = ceph ] ||
      fail "a lab without --ceph is up: take it down first (lab/mt-lab down)"
    ok "a lab with Ceph is already up: used as it is"
    exit 0
  fi
  t=$(date +%s%N)
  MT_LAB_QUIET=1 "$LAB" up --ceph >/dev/null || fail "mt-lab up --ceph failed"
  echo "FIGURE: mt-lab up --ceph: ready in $((($(date +%s%N) - t) / 1000000)) ms"
  ok "lab up with Ceph" ;;
down)
  "$LAB" down || fail "mt-lab down failed"
  assert_clean
  [ -e /run/netns/mt-ceph ] && fail "netns mt-ceph left"
  ip link show mt-stor >/dev/null 2>&1 && fail "link mt-stor left"
  [ -e /run/migtorture/ceph ] && fail "/run/migtorture/ceph left"
  for p in /proc/[0-9]*; do
    { c=$(tr '\0' ' ' < "$p/cmdline"); } 2>/dev/null || continue
    case $c in *"/run/migtorture/ceph/ceph.conf"*) fail "process left: ${c:0:60}" ;; esac
  done
  ok "lab with Ceph down, nothing left" ;;
*) fail "usage: lab_ceph.sh up|down" ;;
esac
