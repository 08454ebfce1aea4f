#!/bin/bash
# tests/ceph/ceph_faults.sh TOOL WRITER MIGTORTURE SRCDIR — the `ceph` ctest stage.
# Builds its own cluster with lab/ceph/ceph-up (namespace mtt-ceph-PID, 198.18.6.0/24, state
# under /run/migtorture/test-ceph-PID) and a client namespace attached to it; then:
#   every OSD fault applied and undone, back to HEALTH_OK with all OSDs up and in;
#   pause held 5 s stalls a librados writer (4 KiB write every 10 ms) for at least the pause
#   the monitors committed (the OSD map epochs that set and cleared it) less 500 ms;
#   a bad OSD id, a min_in violation and an unreachable monitor: exit 3, clear error, no change;
#   `migtorture run` with an unreachable monitor in cell 1: cell error in its timeout, tbf
#   undone, cell 2 runs, exit 3, cluster unchanged;
#   `migtorture recover` after a SIGKILLed fault holder restores the cluster;
# and tears everything down (daemons by pid, namespaces, files), also on failure.
# Skips (77) when not root or the ceph packages are missing.
set -u
TOOL=$1 WRITER=$2 MT=$3 SRC=$4
skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, ceph daemons)"
for t in ceph-mon ceph-mgr ceph-osd ceph rbd ceph-authtool monmaptool jq; do
  command -v "$t" >/dev/null 2>&1 ||
    skip "missing $t: scripts/setup installs ceph-mon ceph-mgr ceph-osd ceph-common"
done

export MT_CEPH_STATE=/run/migtorture/test-ceph-$$ MT_CEPH_NETNS=mtt-ceph-$$ MT_CEPH_NET=198.18.6
export MT_CEPH_DESC=$MT_CEPH_STATE/ceph.json MT_CEPH_IMAGE_SIZE=64M MT_LAB_QUIET=1
CNS=mtt-cephc-$$
TMP=$(mktemp -d /tmp/mt-ceph-test.XXXXXX)
CONF=$MT_CEPH_STATE/ceph.conf KEYRING=$MT_CEPH_STATE/ceph.client.admin.keyring
OPTS="ceph=$MT_CEPH_DESC"
BG=()
FAILS=0
FIG=()

# teardown: the cluster, the client namespace and the scratch dir; 1 when ceph-down reported
# leftovers. It returns rather than exits: the end of the script calls it and then still
# judges what it left and every fail() before (an exit here once made every run pass).
teardown() {
  local p rc=0
  for p in "${BG[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  BG=()
  "$SRC/lab/ceph/ceph-down" || { echo "FAIL: ceph-down reported leftovers"; rc=1; }
  ip netns del "$CNS" 2>/dev/null
  rm -rf "$TMP"
  return "$rc"
}
# An early exit (set-up failed, a signal): its status, made a failure if ceph-down failed.
on_exit() {
  local rc=$?
  teardown || [ "$rc" != 0 ] || rc=1
  exit "$rc"
}
trap on_exit EXIT

fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
# The tool runs in the client namespace, like a hypervisor attached to the storage network.
tool() { ip netns exec "$CNS" "$TOOL" --conf "$CONF" --keyring "$KEYRING" "$@"; }
jget() { sed -n "s/.*\"$1\":\([^,}]*\).*/\1/p" <<<"$2" | tr -d '"'; }
baseline() { tool state | sed 's/"pgs":"[^"]*",//'; }

# --- the cluster ---
t=$(date +%s%N)
"$SRC/lab/ceph/ceph-up" --no-root-link || { echo "FAIL: ceph-up"; exit 1; }
FIG+=("ceph-up to HEALTH_OK: $(ms "$t") ms")
rss=$(for p in $(ip netns pids "$MT_CEPH_NETNS"); do awk '/VmRSS/ {print $2}' "/proc/$p/status"; done |
      awk '{s += $1} END {printf "%d", s / 1024}')
FIG+=("cluster RSS after up: $rss MiB")
ip netns add "$CNS"
ip -n "$CNS" link set lo up
"$SRC/lab/ceph/ceph-attach" "$CNS" 198.18.6.10 || { echo "FAIL: ceph-attach"; exit 1; }
grep -q '"state": "up"' "$MT_CEPH_DESC" || { echo "FAIL: descriptor not written"; exit 1; }
grep -q 'AQ' "$MT_CEPH_DESC" && fail "descriptor holds a key"
BASE=$(baseline)
echo "baseline: $BASE"
grep -q '"up":3,"in":3' <<<"$BASE" || { echo "FAIL: cluster not 3 up / 3 in"; exit 1; }

# --- each fault on and off ---
run_fault() { # run_fault EXPECT HOLD [--probe OPTS] SPEC...
  local exp=$1 hold=$2 out rc after probe=(); shift 2
  [ "$1" = --probe ] && { probe=(--probe "$2"); shift 2; }
  out=$(tool fault --journal "$TMP/journal" --expect "$exp" --hold "$hold" "${probe[@]}" "$@" 2>/dev/null); rc=$?
  echo "$* -> $out"
  [ $rc = 0 ] || { fail "$*: exit $rc: $out"; return; }
  FIG+=("${1%% ceph=*}: apply->effect $(jget apply_to_effect_ms "$out") ms, undo->active+clean $(jget undo_to_clean_ms "$out") ms, undo->HEALTH_OK $(jget undo_to_health_ok_ms "$out") ms")
  after=$(baseline)
  [ "$after" = "$BASE" ] || fail "$*: cluster not restored: $after"
  LAST=$out
}
run_fault down:1 1 "osd-down id=1 hold=yes $OPTS"
run_fault out:1 1 --probe "$OPTS" "osd-out id=1 $OPTS"
# the ceph probe ran around it: its series and the time from fault off to HEALTH_OK
[ -n "$(jget ceph.fault_off_to_health_ok_ms "${LAST:-}")" ] ||
  fail "ceph probe: no ceph.fault_off_to_health_ok_ms in ${LAST:-}"
[ "$(jget ceph.poll_errors_count "${LAST:-}")" = 0 ] || fail "ceph probe: poll errors"
FIG+=("ceph probe: fault off -> HEALTH_OK $(jget ceph.fault_off_to_health_ok_ms "${LAST:-}") ms (1 s samples; undo blocks the loop)")
run_fault in:2 1 "osd-out id=2 $OPTS" "osd-in id=2 $OPTS"
for f in noout noup nodown noin pause norecover nobackfill; do
  run_fault "flag:$f" 0 "osd-flag flag=$f $OPTS"
done
run_fault down:2 0 "osd-stop id=2 $OPTS"
run_fault down:0 0 "osd-kill id=0 $OPTS"
run_fault none 9 "osd-thrash interval=1500ms seed=3 $OPTS"
[ "$(jget fault.osd_thrash.actions_count "${LAST:-}")" -ge 3 ] 2>/dev/null ||
  fail "osd-thrash made fewer than 3 actions: ${LAST:-}"

# --- pause stalls client I/O for the whole pause ---
ip netns exec "$CNS" "$WRITER" "$CONF" "$KEYRING" mt 13 > "$TMP/writer.out" 2>&1 &
BG+=($!)
sleep 3
e0=$(tool epoch) || fail "epoch before the pause"
out=$(tool fault --journal "$TMP/journal" --expect flag:pause --hold 5 "osd-flag flag=pause $OPTS" 2>&1) ||
  fail "pause: $out"
wait "${BG[-1]}"; wrc=$?
w=$(cat "$TMP/writer.out")
echo "writer during a 5 s pause: $w"
[ $wrc = 0 ] || fail "writer exit $wrc: $w"
stall=$(jget max_write_ms "$w")
# Judged against the pause the monitors really committed: from the epoch that set pausewr to
# the one that cleared it, by the maps' own commit stamps (the monitors batch map changes, so
# that is not the 5 s asked for). A client learns of the pause only from an OSD's copy of the
# map on its next write, but of the unpause at once (a paused client subscribes to every map):
# 500 ms covers that propagation.
maps=$(tool maps "${e0:-0}") || fail "maps after epoch ${e0:-?}"
echo "$maps"
set_ms=$(jq -s -r '[.[] | select(.flags | test("(^|,)pausewr(,|$)"))][0].modified_ms // empty' <<<"$maps")
unset_ms=$(jq -s -r --argjson s "${set_ms:-0}" \
  '[.[] | select(.modified_ms > $s and (.flags | test("(^|,)pausewr(,|$)") | not))][0].modified_ms // empty' <<<"$maps")
if [ -z "$set_ms" ] || [ -z "$unset_ms" ]; then
  fail "pause: no epoch after $e0 set and then cleared pausewr"
else
  read -r mon_ms bound <<<"$(awk -v a="$set_ms" -v b="$unset_ms" 'BEGIN{printf "%.0f %.0f", b - a, b - a - 500}')"
  [ "${stall:-0}" -ge "$bound" ] ||
    fail "pause: longest write ${stall:-?} ms, expected >= $bound (the monitors' pause $mon_ms ms - 500)"
  [ "${stall:-0}" -le $((mon_ms + 1000)) ] ||
    fail "pause: longest write ${stall:-?} ms, more than 1 s past the monitors' pause $mon_ms ms"
  FIG+=("pause 5 s: monitors' pause $mon_ms ms, longest client write $stall ms (bound >= $bound), $(jget writes "$w") writes in 13 s")
fi

# --- refusals: exit 3, a clear message, nothing changed ---
refuse() { # refuse WHAT PATTERN SPEC
  local what=$1 pat=$2 out rc lines; shift 2
  lines=$(wc -l < "$TMP/journal")
  out=$(tool fault --journal "$TMP/journal" "$@" 2>&1); rc=$?
  echo "$what -> exit $rc: $out"
  [ $rc = 3 ] || fail "$what: exit $rc, expected 3"
  grep -q -- "$pat" <<<"$out" || fail "$what: message lacks '$pat': $out"
  [ "$(wc -l < "$TMP/journal")" = "$lines" ] || fail "$what: journalled something"
  [ "$(baseline)" = "$BASE" ] || fail "$what: cluster changed"
}
refuse "bad OSD id" "osd.9 does not exist" "osd-out id=9 $OPTS"
refuse "bad OSD id (kill)" "osd.9 does not exist" "osd-kill id=9 $OPTS"
refuse "min_in" "min_in=3" "osd-out id=0 min_in=3 $OPTS"
printf '[global]\nmon_host = 198.18.6.77\n' > "$TMP/bad.conf"
t=$(date +%s%N)
refuse "unreachable monitor" "answered within 3 s" \
  "osd-out id=1 conf=$TMP/bad.conf keyring=$KEYRING timeout=3s"
FIG+=("unreachable monitor (timeout=3s): error after $(ms "$t") ms")

# --- the same through `migtorture run` (docs/architecture.md §4): cell 1's monitor does not
# answer -> cell 1 error (one line) within its timeout, its tbf undone; cell 2 (a real flag)
# runs; exit 3
ip -n "$CNS" link add mtt-cq0 type veth peer name mtt-cq1
ip -n "$CNS" link set mtt-cq0 up
QBASE=$(ip netns exec "$CNS" tc qdisc show dev mtt-cq0)
cat > "$TMP/mon.ini" <<INI
[host:c]
kind = local
netns = $CNS
[global]
source = none
dest = none
migrate.count = 0
warmup = 200ms
cooldown = 200ms
targets = c
[a-mon-unreachable]
fault = tbf host=c dev=mtt-cq0 rate=10mbit + osd-out host=c id=1 conf=$TMP/bad.conf keyring=$KEYRING timeout=3s
[b-noout]
fault = tbf host=c dev=mtt-cq0 rate=20mbit + osd-flag host=c flag=noout $OPTS
INI
t=$(date +%s%N)
"$MT" run "$TMP/mon.ini" -o "$TMP/mon-out" --journal "$TMP/mon-journal" > "$TMP/mon.log" 2>&1; rc=$?
R=$TMP/mon-out/results.json
why=$(jq -r '.cells[0].reason' "$R" 2>/dev/null)
echo "run with an unreachable monitor -> exit $rc in $(ms "$t") ms; cell 1: $why"
[ $rc = 3 ] || fail "mon unreachable run: exit $rc, expected 3: $(tail -3 "$TMP/mon.log")"
[ "$(jq -r '.cells[0].verdict' "$R" 2>/dev/null)" = error ] || fail "mon unreachable: cell 1 not error"
grep -q "answered within 3 s" <<<"$why" || fail "mon unreachable: reason lacks the timeout: $why"
[ "$(printf '%s' "$why" | wc -l)" = 0 ] || fail "mon unreachable: reason not one line"
d1=$(jq '.cells[0].duration_ms' "$R")
awk -v d="$d1" 'BEGIN { exit !(d < 6000) }' || fail "mon unreachable: cell 1 took $d1 ms (timeout 3 s)"
[ "$(jq -r '.cells[1].verdict' "$R" 2>/dev/null)" = pass ] ||
  fail "mon unreachable: cell 2 $(jq -r '.cells[1].verdict + ": " + (.cells[1].reason // "")' "$R")"
[ "$(ip netns exec "$CNS" tc qdisc show dev mtt-cq0)" = "$QBASE" ] || fail "mon unreachable: tbf left"
jq -es '([.[] | select(.op=="open") | .id] - [.[] | select(.op=="close") | .id]) | length == 0' \
  "$TMP/mon-journal" >/dev/null || fail "mon unreachable: journal entries left open"
tool wait-ok 60 >/dev/null || fail "mon unreachable: not HEALTH_OK after the run"
[ "$(baseline)" = "$BASE" ] || fail "mon unreachable run changed the cluster: $(baseline)"
FIG+=("run, monitor unreachable (timeout=3s): cell 1 error after $d1 ms, cell 2 passed, exit 3")

# --- recover after the process holding faults is SIGKILLed ---
# (not through tool(): $! must be the fault holder itself, not a subshell)
ip netns exec "$CNS" "$TOOL" --conf "$CONF" --keyring "$KEYRING" fault --journal "$TMP/rj" \
  --park "osd-out id=1 $OPTS" "osd-flag flag=noout $OPTS" "osd-stop id=2 min_in=1 $OPTS" \
  > "$TMP/park.out" 2>&1 &
BG+=($!)
for _ in $(seq 1 100); do grep -q applied "$TMP/park.out" && break; sleep 0.1; done
grep -q applied "$TMP/park.out" || fail "parked faults not applied: $(cat "$TMP/park.out")"
kill -KILL "${BG[-1]}"; wait "${BG[-1]}" 2>/dev/null
mid=$(baseline)
grep -q '"id":1,"up":1,"in":0' <<<"$mid" || fail "osd.1 not out while parked: $mid"
grep -q 'noout' <<<"$mid" || fail "noout not set while parked: $mid"
t=$(date +%s%N)
ip netns exec "$CNS" "$MT" recover --journal "$TMP/rj" || fail "recover exit $?"
FIG+=("recover of osd-out+noout+osd-stop after SIGKILL: $(ms "$t") ms (incl. 2 s settle) to active+clean")
out=$(tool wait-ok 60) || fail "not HEALTH_OK after recover"
[ "$(baseline)" = "$BASE" ] || fail "recover did not restore: $(baseline)"
ip netns exec "$CNS" "$MT" recover --journal "$TMP/rj" || fail "second recover exit $?"

# --- teardown leaves nothing ---
trap - EXIT
pids=$(ip netns pids "$MT_CEPH_NETNS" 2>/dev/null)
teardown || FAILS=$((FAILS + 1))
for p in $pids; do [ -d "/proc/$p" ] && fail "daemon $p still running after ceph-down"; done
ip netns list | grep -q "mtt-ceph-$$" && fail "namespace left behind"
[ -e "$MT_CEPH_STATE" ] && fail "state dir left behind"

echo "--- figures ---"
printf 'FIGURE: %s\n' "${FIG[@]}"
[ $FAILS = 0 ] || { echo "$FAILS failure(s)"; exit 1; }
echo "PASS"
