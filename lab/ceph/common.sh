# common.sh — constants, the object journal and helpers of the lab's Ceph mini-cluster.
# Sourced by ceph-up, ceph-down, ceph-status and ceph-attach; never executed on its own.
# shellcheck shell=bash disable=SC2034  # constants are used by the other scripts
#
# Every name below can be overridden from the environment, so a test can build a second,
# independent cluster (its own namespace, subnet, state directory) next to the lab's.

LAB_TAG=ceph-lab   # prefix of die and log (lab/lib/base.sh: also the journal and pid_alive)
# shellcheck source-path=SCRIPTDIR source-path=SCRIPTDIR/lib source-path=SCRIPTDIR/../lib source=base.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/base.sh"

CEPH_STATE=${MT_CEPH_STATE:-/run/migtorture/ceph}       # everything made at run time
CEPH_DESC=${MT_CEPH_DESC:-/run/migtorture/ceph/ceph.json} # the descriptor others read
CEPH_NS=${MT_CEPH_NETNS:-mt-ceph}                        # the cluster's network namespace
# Storage network: only the benchmark range 198.18.0.0/15. The lab uses 198.18.0/24 (tenant),
# 198.18.3/24 (management) and 198.19.0/24 (migration); storage is 198.18.4/24.
CEPH_NET=${MT_CEPH_NET:-198.18.4}                        # first three octets of a /24
CEPH_MON_IP=$CEPH_NET.1                                  # on the bridge inside CEPH_NS
CEPH_BRIDGE=sbr0                                         # storage bridge inside CEPH_NS
# Root-namespace end of the storage network (so the runner's librados client reaches the mon).
CEPH_ROOT_IF=${MT_CEPH_ROOT_IF:-mt-stor}
CEPH_ROOT_IP=$CEPH_NET.254
CEPH_POOL=${MT_CEPH_POOL:-mt}
CEPH_IMAGE=${MT_CEPH_IMAGE:-web-disk}
CEPH_IMAGE_SIZE=${MT_CEPH_IMAGE_SIZE:-256M}
CEPH_OSDS=${MT_CEPH_OSDS:-3}
CEPH_OSD_BYTES=${MT_CEPH_OSD_BYTES:-4294967296}          # sparse block file per OSD
CEPH_RBD_USER=mt                                         # cephx user for the guest's disk
CONF=$CEPH_STATE/ceph.conf
ADMIN_KEYRING=$CEPH_STATE/ceph.client.admin.keyring
RBD_KEYRING=$CEPH_STATE/ceph.client.$CEPH_RBD_USER.keyring
# The fault operator: reads the maps and may run only the OSD commands the faults use — what a
# cloud would hand a test runner instead of client.admin.
CEPH_OPS_USER=migtorture
OPS_KEYRING=$CEPH_STATE/ceph.client.$CEPH_OPS_USER.keyring
CJOURNAL=$CEPH_STATE/objects                             # one line per object made

# cjournal KIND ARGS... — record an object of the cluster before creating it (ceph-down).
cjournal() { journal_add "$CJOURNAL" "$@"; }

nsx() { ip netns exec "$CEPH_NS" "$@"; }

# ceph CLI inside the namespace, with our conf and the admin key, bounded in time.
cceph() { nsx timeout 20 ceph -c "$CONF" -k "$ADMIN_KEYRING" --connect-timeout 10 "$@"; }

pid_of() { tr -dc '0-9' < "$1" 2>/dev/null; }

# The exact argv a daemon is started with (also written to the descriptor, so a fault can
# revive a killed OSD the same way without knowing about this script).
daemon_argv() { # daemon_argv TYPE ID
  printf '%s\n' ip netns exec "$CEPH_NS" "ceph-$1" -c "$CONF" -i "$2"
}
pid_file() { echo "$CEPH_STATE/run/$1.$2.pid"; }
