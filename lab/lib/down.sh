# down.sh — undo the journal in reverse order. Every step tolerates "already gone", so `down`
# works after a complete, failed or SIGKILLed `up`, and when nothing is up at all.
# shellcheck shell=bash

# Processes (stop_pidfile, reap_pids: base.sh) get TERM at once and are waited for together
# (libvirtd takes ~2 s to exit) before the next non-process entry; whatever is still alive
# after 5 s gets KILL. A group is signalled only through a pid that still leads it (setsid at
# up; a recycled number in someone else's group is left alone).

kill_ns_procs() { # stragglers of a killed `up` (a daemon whose pid file was not written yet):
  # only processes that are the lab's own kinds; anything else in the namespace is named, not
  # signalled (it belongs to whoever started it there).
  local ns=$1 p cmd mine=() other=()
  for p in $(ip netns pids "$ns" 2>/dev/null); do
    { cmd=$(tr '\0' ' ' < "/proc/$p/cmdline"); } 2>/dev/null || continue
    case $cmd in
      # "sshd: root@notty": a session of a cluster-mode host's sshd (lab/lib/cluster.sh)
      *linux.uml*|*libvirtd*|*virtlogd*|*qemu-system*|*"$STATE"*|"sshd: "*) mine+=("$p") ;;
      *) other+=("$p:${cmd:0:40}") ;;
    esac
  done
  [ ${#other[@]} -eq 0 ] || log "down: leaving processes not started by the lab in $ns: ${other[*]}"
  [ ${#mine[@]} -gt 0 ] || return 0
  kill -TERM "${mine[@]}" 2>/dev/null || true
  sleep 0.5
  for p in "${mine[@]}"; do [ -d "/proc/$p" ] && kill -KILL "$p" 2>/dev/null; done
  return 0
}

undo() { # undo KIND ARGS...
  local kind=$1; shift
  case $kind in
    domain)
      local h
      for h in hosta hostb; do
        [ -S "$STATE/$h/run/libvirt-sock" ] || continue
        timeout 10 virsh -q -c "$(uri "$h")" destroy "$1" >/dev/null 2>&1 || true
        timeout 10 virsh -q -c "$(uri "$h")" undefine "$1" >/dev/null 2>&1 || true
      done
      # QEMU outlives a dead libvirtd: end it by the pid file libvirt wrote for it.
      for h in hosta hostb; do stop_pidfile "$STATE/$h/run/qemu/$1.pid" qemu-system; done
      reap_pids ;;
    daemon)   stop_pidfile "$1" "$2" ;;
    pgroup)   stop_pidfile "$1" "$2" group ;;
    sshmaster)
      if [ -f "$STATE/router/ssh_config" ]; then
        ssh -F "$STATE/router/ssh_config" -O exit router >/dev/null 2>&1 || true
      fi ;;
    link)
      if [ "$1" = root ]; then ip link del "$2" 2>/dev/null || true
      elif ns_exists "$1"; then ip -n "$1" link del "$2" 2>/dev/null || true; fi ;;
    netns)
      if ns_exists "$1"; then kill_ns_procs "$1"; ip netns del "$1"; fi ;;
    file)
      case $1 in "$STATE"/*) rm -rf -- "$1" ;; esac ;;
    rmdir)    rmdir -- "$1" 2>/dev/null || true ;;
    secret)   storage_undo_secret "$1" ;;
    ceph)     "$LAB_DIR/ceph/ceph-down" || log "down: ceph-down reported leftovers" ;;
    state)    rm -rf -- "$STATE" ;;
    *)        echo "mt-lab: unknown journal entry: $kind $*" >&2 ;;
  esac
}

undo_entry() { # undo_entry KIND ARGS... — processes stopped so far are reaped first, unless
  # this entry is one of them too (they are then awaited together)
  case $1 in daemon|pgroup|sshmaster) ;; *) reap_pids ;; esac
  undo "$@"
}

lab_down() {
  [ -f "$JOURNAL" ] || { rm -rf -- "$STATE"; log "down: nothing to do"; return 0; }
  journal_walk "$JOURNAL" undo_entry
  reap_pids
  rm -rf -- "$STATE"
  rmdir "$(dirname "$STATE")" 2>/dev/null || true
  log "down: done"
}
