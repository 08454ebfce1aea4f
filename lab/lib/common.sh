# common.sh — constants, errors and the object journal shared by every lab step.
# Sourced by lab/mt-lab; never executed on its own.
# shellcheck shell=bash disable=SC2034  # constants are used by the other lib files

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

die() { echo "mt-lab: $*" >&2; exit 3; }
log() { [ -n "${MT_LAB_QUIET:-}" ] || echo "mt-lab: $*" >&2; }

# journal KIND ARGS... — record an object BEFORE creating it, so `down` can remove it even
# when `up` dies half-way (set -e, SIGKILL). One line per object, undone in reverse order.
journal() {
  mkdir -p "$STATE"
  printf '%s\n' "$*" >> "$JOURNAL"
}

# nsx NS CMD... — run a command inside one of the lab's network namespaces.
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# uri HOST — libvirt URI of a lab host's private libvirtd.
uri() { echo "qemu+unix:///system?socket=$STATE/$1/run/libvirt-sock"; }

# pid_alive PIDFILE PATTERN — true if the pid in PIDFILE runs and its command line matches
# PATTERN: guards against a recycled pid so we only ever signal what we started.
pid_alive() {
  local f=$1 pat=$2 pid
  [ -s "$f" ] || return 1
  pid=$(tr -dc '0-9' < "$f")
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q -- "$pat"
}

# proc_stat_field PID N — field N of /proc/PID/stat counted after the command name (which may
# hold spaces): 1 = state, 3 = process group, 20 = start time in clock ticks. Empty if gone.
proc_stat_field() {
  local n=$2 s f=()
  s=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
  read -r -a f <<< "${s##*) }"
  echo "${f[$((n - 1))]:-}"
}

ns_exists() { ip netns list | awk '{print $1}' | grep -qx -- "$1"; }  # exact name, not a prefix
