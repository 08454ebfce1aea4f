#!/bin/bash
# failures.sh CASE — failure semantics on the running lab (docs/architecture.md §4).
#
#   dest-libvirtd  the destination's libvirtd is SIGKILLed (by the pid the lab wrote for it) a
#                  second into a bandwidth-capped migration; restarted afterwards in the
#                  daemons' own mount namespace (that of the host's virtlogd, as mt-lab made it)
#   link-cut       the migration link goes down (on the source's end) mid-migration and stays
#                  down: the driver gives up at migrate.timeout with a one-line reason
#   guest-crash    the source QEMU (the guest itself) is SIGKILLed mid-migration; the guest is
#                  started again on hosta (where the lab defined it) afterwards
#
# Each: a two-cell scenario; cell 1 migrates with a tbf on the source's migration link (so undo
# is checked) and a UDP probe (so there is something measured), cell 2 runs the same fault and
# probe without migration. Asserts: exit 3; cell 1 `error` with a one-line reason; its probe
# series and the migration's error are in results.json; the tbf is gone (the qdisc is what it
# was); no journal entry left open; cell 2 ran and passed; the lab is usable after (guest
# serves HTTP, both libvirtds answer).
source "$(dirname "$0")/lib.sh"
CASE=${1:?case: dest-libvirtd | link-cut | guest-crash}
NAME="${NAME}_$CASE"
need_lab
lab_ensure_up
need_bin
work=$(mktemp -d /tmp/mt-lab-fail.XXXXXX)
run_pid=""
restore=()   # commands that put the lab back, run on exit whatever happened
cleanup() {
  [ -n "$run_pid" ] && kill "$run_pid" 2>/dev/null && wait "$run_pid" 2>/dev/null
  local c
  for c in "${restore[@]}"; do eval "$c" || echo "restore failed: $c"; done
  rm -rf "$work"
}
trap cleanup EXIT

guest_hosts
sns=$(desc ".hosts.$src.netns")
mif=$(desc ".hosts.$src.migration_if")
qdisc() { ip netns exec "$sns" tc qdisc show dev "$mif"; }
BASE=$(qdisc)

# libvirtd_restart HOST — a libvirtd for HOST again, in the mount namespace of the host's
# virtlogd (the private bind mounts mt-lab made), with the pid file mt-lab's journal names.
libvirtd_restart() {
  local d=$STATE/$1 vl
  vl=$(tr -dc 0-9 <"$d/run/virtlogd.pid")
  [ -n "$vl" ] && [ -d "/proc/$vl" ] || { echo "no virtlogd for $1"; return 1; }
  nsenter -t "$vl" -m -u -n libvirtd -d -p "$d/run/libvirtd.pid" || return 1
  for _ in $(seq 1 100); do
    virsh -q -c "$(uri "$1")" uri >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "libvirtd of $1 did not answer within 20 s"; return 1
}

pid_alive_lv() { [ -d "/proc/$(tr -dc 0-9 <"$STATE/$1/run/libvirtd.pid")" ]; }

# guest_restart — the guest anew on hosta (defined there by the lab), serving and answering.
guest_restart() {
  local h
  for h in hosta hostb; do running_on "$h" && return 0; done
  virsh -q -c "$(uri hosta)" start web >/dev/null || return 1
  for _ in $(seq 1 120); do http_ok / 2>/dev/null && break; sleep 0.5; done
  for _ in $(seq 1 60); do
    virsh -q -c "$(uri hosta)" qemu-agent-command web '{"execute":"guest-ping"}' \
      >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  echo "the restarted guest's agent did not answer"; return 1
}

timeout=60s
[ "$CASE" = link-cut ] && timeout=8s
{ capped_migration_ini "$src" "$dst" "$timeout"; cat <<INI; } >"$work/s.ini"

[a-migrate]
fault = tbf host=$src dev=$mif rate=400mbit

[b-after]
migrate.count = 0
fault = tbf host=$src dev=$mif rate=300mbit
INI
"$bin" validate "$work/s.ini" >/dev/null || fail "scenario invalid: $("$bin" validate "$work/s.ini" 2>&1)"

t0=$(date +%s%N)
"$bin" run "$work/s.ini" -o "$work/out" --journal "$work/journal" -q >"$work/log" 2>&1 &
run_pid=$!
# The migration runs once the destination's incoming QEMU exists (a new pid in its pid file).
pidfile=$STATE/$dst/run/qemu/web.pid
old=$(cat "$pidfile" 2>/dev/null || true)
started=$(incoming_qemu "$pidfile" "$old")
[ -n "$started" ] || fail "the migration never started ($(tail -n 2 "$work/log"))"
sleep 1
[ "$(qdisc)" != "$BASE" ] || fail "the tbf of cell 1 is not on $mif during the migration"
case $CASE in
dest-libvirtd)
  victim=$(tr -dc 0-9 <"$STATE/$dst/run/libvirtd.pid")
  restore+=("pid_alive_lv $dst || libvirtd_restart $dst")
  kill -KILL "$victim"
  echo "killed $dst's libvirtd (pid $victim) $(( ($(date +%s%N) - t0) / 1000000 )) ms into the run" ;;
link-cut)
  restore+=("ip -n $sns link set $mif up")
  ip -n "$sns" link set "$mif" down
  echo "cut $mif in $sns $(( ($(date +%s%N) - t0) / 1000000 )) ms into the run" ;;
guest-crash)
  victim=$(tr -dc 0-9 <"$STATE/$src/run/qemu/web.pid")
  restore+=("guest_restart")
  kill -KILL "$victim"
  echo "killed the guest's QEMU on $src (pid $victim) $(( ($(date +%s%N) - t0) / 1000000 )) ms into the run" ;;
*) fail "unknown case $CASE" ;;
esac
t1=$(date +%s%N)
rc=0
wait "$run_pid" || rc=$?
run_pid=""
echo "run ended $(( ($(date +%s%N) - t1) / 1000000 )) ms after the failure, exit $rc"
[ "$rc" = 3 ] || fail "migtorture run exited $rc, expected 3 ($(tail -n 3 "$work/log"))"

r=$work/out/results.json
[ -f "$r" ] || fail "no results.json"
[ "$(jq '.cells | length' "$r")" = 2 ] || fail "results hold $(jq '.cells | length' "$r") cells, want 2"
[ "$(jq -r '.cells[0].verdict' "$r")" = error ] || fail "cell 1 verdict $(jq -r '.cells[0].verdict' "$r"), want error"
reason=$(jq -r '.cells[0].reason' "$r")
echo "cell 1 reason: $reason"
[ -n "$reason" ] && [ "$reason" != null ] || fail "cell 1 has no reason"
[ "$(printf '%s' "$reason" | wc -l)" = 0 ] || fail "the reason is not one line"
[ ${#reason} -le 400 ] || fail "the reason is ${#reason} characters long"
# it names the cause, not only libvirt's symptom
case $CASE in
dest-libvirtd) want="destination's libvirtd is gone" ;;
link-cut)      want="migration stream stalled" ;;
guest-crash)   want="no longer runs on the source" ;;
esac
grep -qF "$want" <<<"$reason" || fail "the reason does not say '$want'"
# what cell 1 measured up to the failure
jq -e '.cells[0].metrics.migration.error | type == "string"' "$r" >/dev/null ||
  fail "cell 1 lacks migration.error"
n=$(jq '[.cells[0].series | to_entries[] | select(.key | startswith("probe.udp")) | .value.t_ms | length] | max // 0' "$r")
[ "$n" -gt 50 ] || fail "cell 1 kept only $n UDP probe samples"
jq -e '[.cells[0].timeline[] | select(.what == "fault.off" or (.what | startswith("fault.off")))] | length >= 1' \
  "$r" >/dev/null || fail "cell 1's timeline shows no fault.off"
[ "$(jq -r '.cells[1].verdict' "$r")" = pass ] ||
  fail "cell 2 verdict $(jq -r '.cells[1].verdict' "$r") ($(jq -r '.cells[1].reason' "$r")), want pass"
# undone: no tbf left (the qdisc is compared once the link is back up), the journal closed
! qdisc | grep -q tbf || fail "the tbf on $mif was not undone: $(qdisc)"
jq -es '([.[] | select(.op=="open") | .id] - [.[] | select(.op=="close") | .id]) | length == 0' \
  "$work/journal" >/dev/null || fail "journal entries left open"
echo "cell 1: $n probe samples, migration.error: $(jq -r '.cells[0].metrics.migration.error' "$r" | head -c 160)"

# the lab is usable again
for c in "${restore[@]}"; do eval "$c" || fail "could not restore: $c"; done
restore=()
[ "$(qdisc)" = "$BASE" ] || fail "qdisc on $mif not restored: '$(qdisc)', was '$BASE'"
virsh -q -c "$(uri hosta)" uri >/dev/null && virsh -q -c "$(uri hostb)" uri >/dev/null ||
  fail "a libvirtd does not answer after the test"
for _ in $(seq 1 50); do http_ok / 2>/dev/null && break; sleep 0.2; done
http_ok / || fail "the guest does not serve HTTP after the test"
n_running=0
for h in hosta hostb; do running_on "$h" && n_running=$((n_running + 1)); done
[ "$n_running" = 1 ] || fail "the guest runs on $n_running hosts"
for h in hosta hostb; do   # no half-migrated copy left active (it would block the next migration)
  st=$(virsh -c "$(uri "$h")" domstate web 2>/dev/null | head -n 1 || true)
  running_on "$h" || [ "$st" != paused ] || fail "a paused copy of the guest is left on $h"
done
[ "$("$LAB" status)" = up ] || fail "lab status $("$LAB" status) after the test"
ok "$CASE: exit 3, cell 1 error ('$reason'), tbf undone, cell 2 passed, lab usable"
