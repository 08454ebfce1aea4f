# base.sh — what every part of the lab shares (the base lab, lab/ceph, lab/openstack): messages,
# process identity, and the journal of created objects that makes every `down` work after a
# failed or SIGKILLed `up` (docs/lab.md, "Commands"). Sourced by lab/lib/common.sh,
# lab/ceph/common.sh and lab/openstack/lib.sh, each of which sets LAB_TAG first.
# shellcheck shell=bash

# die MSG / log MSG — one line on stderr, prefixed with the part's tag (mt-lab, ceph-lab,
# os-lab). die exits 3 (infrastructure error); log is silent under MT_LAB_QUIET, die never is.
die() { echo "${LAB_TAG:-mt-lab}: $*" >&2; exit 3; }
log() { [ -n "${MT_LAB_QUIET:-}" ] || echo "${LAB_TAG:-mt-lab}: $*" >&2; }

ns_exists() { ip netns list | awk '{print $1}' | grep -qx -- "$1"; }  # exact name, not a prefix

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
  local n=$2 s fields=()
  s=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
  read -r -a fields <<< "${s##*) }"
  echo "${fields[$((n - 1))]:-}"
}

# journal_add FILE KIND ARGS... — record an object BEFORE creating it (one line of words per
# object), so a `down` can remove it even when `up` dies half-way (set -e, SIGKILL).
journal_add() {
  local f=$1; shift
  mkdir -p "$(dirname "$f")"
  printf '%s\n' "$*" >> "$f"
}

# journal_walk FILE FN — calls FN KIND ARGS... for every entry of FILE, newest first, with
# stdin from /dev/null (virsh or ssh inside FN must not eat the journal). No FILE: no calls.
journal_walk() {
  local f=$1 fn=$2 line lines
  [ -f "$f" ] || return 0
  mapfile -t lines < <(tac "$f")
  for line in "${lines[@]}"; do
    # shellcheck disable=SC2086  # journal lines are space-separated words we wrote
    "$fn" $line < /dev/null
  done
}

# Stopping processes: TERM at once, all of them awaited together by reap_pids, which KILLs
# only a process that still has the start time seen at TERM (never a pid recycled since).
WAIT_PIDS=()   # "PID:START", or "-PID:START" for the process group PID leads

# stop_proc PID START MODE — TERM the process PID if it still has start time START (the
# identity recorded when it was started or first seen). MODE: pid (the process alone); group
# (the process group PID leads; a PID that leads none is not signalled); session (the group
# when PID leads one, else the process alone — for daemons started under setsid).
stop_proc() {
  local pid=$1 start=$2 mode=$3 leads=0
  [ -n "$start" ] && [ "$(proc_stat_field "$pid" 20)" = "$start" ] || return 0
  [ "$(proc_stat_field "$pid" 3)" = "$pid" ] && leads=1
  if [ "$mode" = group ] && [ $leads = 0 ]; then
    log "down: pid $pid does not lead a process group; not signalled"
    return 0
  fi
  if [ "$mode" != pid ] && [ $leads = 1 ]; then
    kill -TERM -- "-$pid" 2>/dev/null || true; WAIT_PIDS+=("-$pid:$start")
  else
    kill -TERM "$pid" 2>/dev/null || true; WAIT_PIDS+=("$pid:$start")
  fi
}

# stop_pidfile FILE PATTERN [group] — stop_proc on the process FILE names, if it still matches
# PATTERN (pid_alive); with "group", its process group.
stop_pidfile() {
  local f=$1 pat=$2 grp=${3:-} pid
  pid_alive "$f" "$pat" || return 0
  pid=$(tr -dc '0-9' < "$f")
  if [ -n "$grp" ] && [ "$(proc_stat_field "$pid" 3)" != "$pid" ]; then
    log "down: $f: pid $pid does not lead a process group; not signalled"
    return 0
  fi
  stop_proc "$pid" "$(proc_stat_field "$pid" 20)" "${grp:-pid}"
}

# reap_pids [SECONDS] — waits up to SECONDS (default 5) for everything stop_proc signalled,
# then KILLs what is still there with the same start time.
reap_pids() {
  local secs=${1:-5} e p alive
  [ ${#WAIT_PIDS[@]} -gt 0 ] || return 0
  for _ in $(seq 1 $((secs * 5))); do
    alive=0
    for e in "${WAIT_PIDS[@]}"; do p=${e%%:*}; [ -d "/proc/${p#-}" ] && alive=1; done
    [ $alive = 1 ] || break
    sleep 0.2
  done
  for e in "${WAIT_PIDS[@]}"; do
    p=${e%%:*}
    if [ "$(proc_stat_field "${p#-}" 20)" = "${e#*:}" ]; then
      kill -KILL -- "$p" 2>/dev/null || true
    fi
  done
  WAIT_PIDS=()
}
