# common.sh — constants, errors and the object journal shared by every lab step.
# Sourced by lab/mt-lab; never executed on its own.
# shellcheck shell=bash disable=SC2034  # constants are used by the other lib files

LAB_TAG=mt-lab   # prefix of die and log (base.sh)
# shellcheck source-path=SCRIPTDIR source-path=SCRIPTDIR/lib source-path=SCRIPTDIR/../lib source=base.sh
. "$(dirname "${BASH_SOURCE[0]}")/base.sh"

# Everything the lab creates at run time lives under STATE (on-disk /run, not tmpfs here).
STATE=${MT_LAB_STATE:-/run/migtorture/lab}
JOURNAL=$STATE/objects
CACHE=${MT_CACHE_DIR:-/var/cache/migtorture}

# Addresses: only the benchmark range 198.18.0.0/15, never anything that routes out.
TENANT_NET=198.18.0.0/24
GUEST_IP=198.18.0.10
GUEST_MAC=52:54:00:12:00:10
CLIENT_IP=198.18.0.100
MGMT_HOST_IP=198.18.3.1     # root-namespace end of the router management link
MGMT_ROUTER_IP=198.18.3.2   # sshd inside the UML router
MIG_A_IP=198.19.0.1
MIG_B_IP=198.19.0.2

NS_A=mt-hosta NS_B=mt-hostb NS_C=mt-client NS_R=mt-router
BRIDGE=mtbr0               # tenant bridge, same name in both host namespaces
DOMAIN=web

# Lab guest K (1-based; mt-lab up --guests N, at most MAX_GUESTS, suite/labref.h says the same):
# domain web, web2, web3...; address 198.18.0.(9+K) below the OpenStack instance's .20; the
# MAC's last byte mirrors the address. Guest 1 is GUEST_IP/GUEST_MAC/DOMAIN.
MAX_GUESTS=10
guest_name() { if [ "$1" = 1 ]; then echo "$DOMAIN"; else echo "$DOMAIN$1"; fi; }
guest_ip() { echo "198.18.0.$((9 + $1))"; }
guest_mac() { printf '52:54:00:12:00:%02d\n' $((9 + $1)); }
guest_count() { cat "$STATE/guests" 2>/dev/null || echo 1; }

# journal KIND ARGS... — record an object of the base lab before creating it (lib/down.sh).
journal() { journal_add "$JOURNAL" "$@"; }

# nsx NS CMD... — run a command inside one of the lab's network namespaces.
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# uri HOST — libvirt URI of a lab host's private libvirtd.
uri() { echo "qemu+unix:///system?socket=$STATE/$1/run/libvirt-sock"; }
