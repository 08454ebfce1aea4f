# lib.sh — shared helpers of the lab tests: skip rules, lab access, the "nothing left" check.
# shellcheck shell=bash
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LAB=$REPO/lab/mt-lab
# The runner starts a lab daemon a fault stopped with this tree's `mt-lab start-daemon`
# (faults/service.h), not an installed package's.
export MT_LAB_DIR=${MT_LAB_DIR:-$REPO/lab}
STATE=${MT_LAB_STATE:-/run/migtorture/lab}
NAME=$(basename "$0" .sh)

skip() { echo "SKIP $NAME: $*"; exit 77; }
fail() { echo "FAIL $NAME: $*"; exit 1; }
ok()   { echo "ok   $NAME: $*"; }

need_lab() { # skip (77) when this machine cannot run the lab, with the reason
  [ "$(id -u)" = 0 ] || skip "needs root (network namespaces, libvirtd)"
  local t
  for t in ip ethtool unshare virsh libvirtd virtlogd qemu-system-x86_64 linux.uml ssh \
           /usr/sbin/sshd busybox curl cpio openssl apt-get jq; do
    command -v "$t" >/dev/null 2>&1 || skip "missing $t (run scripts/setup)"
  done
  [ -c /dev/net/tun ] || skip "no /dev/net/tun"
}

# lab_ensure_up — use the running lab as it is (either migration mode), else bring one up.
lab_ensure_up() {
  [ "$("$LAB" status)" = up ] && return 0
  "$LAB" up >/dev/null || fail "mt-lab up failed"
}
desc() { jq -r "$1" "$STATE/lab.json"; }   # desc JQ-FILTER — a value from the descriptor

# need_router_lab DESCRIPTOR — need_lab, python3 (the router tests read DESCRIPTOR with it) and a
# lab up with its UML router: brought up when down; no descriptor or router namespace fails.
need_router_lab() {
  need_lab
  command -v python3 >/dev/null || skip "missing python3 (run scripts/setup)"
  lab_ensure_up
  [ -r "$1" ] || fail "no lab descriptor $1 with the lab up"
  [ -e /run/netns/mt-router ] || fail "no mt-router namespace with the lab up"
}

need_bin() { # bin= the migtorture binary under test (MT_BINARY, else the build tree's); skip without
  bin=${MT_BINARY:-$REPO/build/migtorture}
  [ -x "$bin" ] || skip "no migtorture binary at $bin (build first)"
}
uri() { desc ".hosts.$1.libvirt_uri"; }   # uri HOST — a lab host's libvirt URI
running_on() { # running_on HOST — the lab guest runs there
  [ "$(virsh -c "$(uri "$1")" domstate web 2>/dev/null | head -n 1)" = running ]
}
guest_hosts() { # src= where the lab guest runs now, dst= the other host; fail when nowhere
  if running_on hosta; then src=hosta dst=hostb; elif running_on hostb; then src=hostb dst=hosta
  else fail "the guest runs on neither host"; fi
}
client() { ip netns exec "$(desc .hosts.client.netns)" "$@"; }

# capped_migration_ini SRC DST TIMEOUT — the [global] section of a one-hop migration of the
# guest SRC→DST capped at 8 MiB/s, with a udp probe: slow enough to break something mid-way.
capped_migration_ini() {
  cat <<INI
[global]
driver   = libvirt
source   = lab:$1
dest     = lab:$2
domain   = web
warmup   = 1s
cooldown = 1s
probe    = udp interval=10ms
migrate.bandwidth = 8MiB/s
migrate.timeout   = $3
INI
}

# incoming_qemu PIDFILE OLD — waits up to 30 s for the destination's incoming QEMU (a pid other
# than OLD in PIDFILE, alive, a QEMU) and prints its pid; prints nothing when none came.
incoming_qemu() {
  local p
  for _ in $(seq 1 300); do
    p=$(cat "$1" 2>/dev/null || true)
    if [ -n "$p" ] && [ "$p" != "$2" ] && [ -d "/proc/$p" ] &&
       grep -q qemu-system "/proc/$p/comm" 2>/dev/null; then
      echo "$p"
      return 0
    fi
    sleep 0.1
  done
}

# guest_run URI ARGS... — runs /bin/mt-guest ARGS in the guest through its agent (the guest
# runs on URI's host); prints its stdout, its stderr to ours. Status: mt-guest's exit code, 99
# when the agent could not run it, 98 when it did not end within 60 s.
guest_run() {
  local uri=$1 args pid st
  shift
  args=$(printf '%s\n' "$@" | jq -R . | jq -sc .)
  pid=$(virsh -c "$uri" qemu-agent-command web \
    "{\"execute\":\"guest-exec\",\"arguments\":{\"path\":\"/bin/mt-guest\",\"arg\":$args,\"capture-output\":true}}" |
    jq -r .return.pid) || return 99
  [[ "$pid" =~ ^[0-9]+$ ]] || return 99
  for _ in $(seq 1 600); do
    st=$(virsh -c "$uri" qemu-agent-command web \
      "{\"execute\":\"guest-exec-status\",\"arguments\":{\"pid\":$pid}}") || return 99
    if [ "$(jq -r .return.exited <<<"$st")" = true ]; then
      jq -r '.return["out-data"] // ""' <<<"$st" | base64 -d
      jq -r '.return["err-data"] // ""' <<<"$st" | base64 -d >&2
      return "$(jq -r '.return.exitcode // 99' <<<"$st")"
    fi
    sleep 0.1
  done
  return 98
}

http_ok() { # http_ok PATH — the guest serves PATH to the client (fresh connection, 5 s max)
  client curl -fsS -o /dev/null -m 5 "$(desc .guest.http_url)${1#/}"
}

# median_rtt NS IP — median RTT (ms) of 100 pings from NS: robust to the outliers that a shared
# 2-core machine and the TCG guest's ~1 ms of noisy reply time put into a mean.
median_rtt() {
  ip netns exec "$1" ping -n -c 100 -i 0.02 "$2" | sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p' \
    | sort -g | awk '{v[NR]=$1} END{if (NR) print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'
}

# assert_clean — the lab left nothing behind. Lists every kind of object it checks.
assert_clean() {
  local bad="" ns dev
  for ns in mt-hosta mt-hostb mt-client mt-router; do          # namespaces
    ip netns list | awk '{print $1}' | grep -qx -- "$ns" && bad="$bad netns:$ns"
    [ -e "/run/netns/$ns" ] && bad="$bad netns-file:$ns"
  done
  for dev in mt-mgmt mtbr0 t-ab t-ba t-ar r-t r-c c-r r-m m-ab m-ba m-ar m-br r-ma r-mb \
             rbr-c rbr-t rbr-m rbr-ma rbr-mb tap-c tap-t tap-m tap-ma tap-mb; do  # bridges/veths/taps
    ip link show "$dev" >/dev/null 2>&1 && bad="$bad link:$dev"
  done
  local p cmd                                                  # processes
  for p in /proc/[0-9]*; do
    { cmd=$(tr '\0' ' ' < "$p/cmdline"); } 2>/dev/null || continue   # may exit meanwhile
    case $cmd in
      *"$STATE"*|*migtorture/guest*|*lab/router/uml-init*) bad="$bad process:${p#/proc/}:${cmd:0:60}" ;;
    esac
  done
  # mounts: the lab's netns files and anything under its state dir (not other mt-* users')
  grep -qE "netns/mt-(hosta|hostb|client|router) |$STATE" /proc/self/mountinfo && bad="$bad mount"
  [ -e "$STATE" ] && bad="$bad file:$STATE"                                 # files
  [ -z "$bad" ] || fail "left behind:$bad"
  ok "clean: no mt-* netns, lab bridge/veth/tap, process, mount or $STATE"
}
