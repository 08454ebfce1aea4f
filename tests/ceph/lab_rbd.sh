#!/bin/bash
# tests/ceph/lab_rbd.sh MIGTORTURE SRCDIR — the lab with its Ceph storage (`mt-lab up --ceph`,
# ctest label `ceph`). Brings the lab up with --ceph (or uses one that is up with --ceph) and:
#   lab.json has the storage part; the cephx key is a libvirt secret on both hosts, never in
#   lab.json; the guest's disk is RBD (vda, network/rbd source);
#   a 32 MiB seeded pattern is written on the RBD disk through the guest agent;
#   `migtorture run`: live migration A→B with `osd-down id=1 hold=yes` from the migration's start
#   and guest-disk measuring — completes, and the pattern reads back (O_DIRECT) with the same
#   checksum on B;
#   `migtorture run`: `osd-flag flag=pause` held 5 s, no migration, the ceph probe recording
#   the OSD map epochs — guest-disk measures a write stall at least as long as the pause the
#   monitors really committed (the epoch that set pauserd/pausewr to the one that cleared
#   them, from the maps' own commit stamps) less 500 ms: the client learns of the pause from
#   an OSD's copy of the map on its next write, and of the unpause at once (a paused client
#   subscribes to every new map). The 5 s asked for is not the bound: the monitors batch map
#   changes (up to paxos_propose_interval, 1 s), so the pause they commit can be ~1 s shorter;
# then tears the lab down when it brought it up (lab_ceph.sh down: nothing left). Under ctest the
# fixture mt_lab_ceph (tests/ceph/lab_ceph.sh) brings the lab up and down around it.
# Skips (77) without root, the lab's tools, the ceph packages or QEMU's rbd driver, or when a lab
# WITHOUT --ceph is up (someone else's; this test does not take it down).
MT=$1 SRC=$2
# The lab tests' set-up (LAB, STATE, skip, need_lab, running_on, guest_run).
# shellcheck source=../lab/lib.sh
. "$SRC/tests/lab/lib.sh"
# the checks count failures and read exit codes themselves: no errexit/pipefail from lib.sh
set +e +o pipefail
need_lab
for t in ceph ceph-mon ceph-mgr ceph-osd ceph-authtool; do
  command -v "$t" >/dev/null 2>&1 || skip "missing $t (run scripts/setup)"
done
[ -f /usr/lib/x86_64-linux-gnu/qemu/block-rbd.so ] || skip "QEMU has no rbd driver (qemu-block-extra)"

FAILS=0 FIG=() OWN=0
TMP=$(mktemp -d /tmp/mt-lab-rbd.XXXXXX)
# Counts and goes on (replaces lib.sh's fail, which exits; no lib.sh function that calls fail
# is used here).
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
cleanup() {
  if [ $OWN = 1 ]; then "$LAB" down >/dev/null 2>&1 || echo "FAIL: mt-lab down"; fi
  # KEEP=DIR keeps the runs' results and logs for a look afterwards
  if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP" && cp -r "$TMP"/. "$KEEP"/; fi
  rm -rf "$TMP"
}
trap cleanup EXIT

st=$("$LAB" status)
if [ "$st" = up ]; then
  [ "$(jq -r '.storage.kind // empty' "$STATE/lab.json")" = ceph ] ||
    skip "a lab without --ceph is up (not ours to take down); run mt-lab down first"
else
  OWN=1
  t=$(date +%s%N)
  MT_LAB_QUIET=1 "$LAB" up --ceph || { echo "FAIL: mt-lab up --ceph"; exit 1; }
  FIG+=("mt-lab up --ceph: ready in $(ms "$t") ms")
fi
D=$STATE/lab.json
j() { jq -r "$1" "$D"; }
FIG+=("Ceph HEALTH_OK $(j .storage.health_ok_ms) ms after mt-lab up started")
[ "$(j .storage.state)" = up ] || fail "storage.state is $(j .storage.state)"
grep -q 'AQ[A-Za-z0-9+/]\{30\}' "$D" && fail "lab.json holds a key"
uuid=$(j .storage.libvirt_secret_uuid)
for h in hosta hostb; do
  virsh -q -c "$(j .hosts.$h.libvirt_uri)" secret-list | grep -q "$uuid" || fail "no secret $uuid on $h"
done

# --- where the guest runs, its disk, and the guest agent from the shell ---
where() { # prints the host the guest runs on (it may be on either); the caller sets GURI
  local h
  for h in hosta hostb; do running_on "$h" && { echo "$h"; return 0; }; done
  return 1
}
h0=$(where) || { echo "FAIL: the guest runs nowhere"; exit 1; }
GURI=$(j ".hosts.$h0.libvirt_uri")
virsh -c "$GURI" dumpxml web | grep -q "protocol='rbd'" || fail "the guest's disk is not RBD"
virsh -c "$GURI" domblklist web | grep -q '^ *vda' || fail "the guest has no vda"

gexec() { guest_run "$GURI" "$@"; } # gexec ARGS... — mt-guest ARGS in the guest (lib.sh)
before=$(gexec disk-fill --dev /dev/vda --offset 0 --size 32M --seed 7) ||
  { echo "FAIL: disk-fill on the RBD disk: $before"; exit 1; }
sum0=$(jq -r .sum <<<"$before")
echo "pattern written: $before"

# --- live migration with osd-down during it ---
hB=$([ "$h0" = hosta ] && echo hostb || echo hosta)
cat > "$TMP/mig.ini" <<INI
[global]
driver   = libvirt
source   = lab:$h0
dest     = lab:$hB
domain   = web
warmup   = 3s
cooldown = 15s
migrate.timeout = 180s
probe    = ceph host=lab:hosta
targets  = local
[rbd]
workload = guest-disk
fault    = osd-down id=1 hold=yes at=0s for=10s
INI
"$MT" run "$TMP/mig.ini" -o "$TMP/mig" > "$TMP/mig.log" 2>&1; rc=$?
R=$TMP/mig/results.json
if [ ! -f "$R" ]; then fail "migration run: no results (exit $rc): $(tail -5 "$TMP/mig.log")"
else
  m() { jq -r ".cells[0].metrics | $1" "$R"; }
  echo "migration run: exit $rc verdict $(jq -r '.cells[0].verdict' "$R") $(jq -r '.cells[0].reason' "$R")"
  [ $rc = 0 ] || fail "migration run exit $rc: $(jq -r '.cells[0].reason' "$R")"
  tt=$(m '.migration.total_time_ms'); dt=$(m '.migration.downtime_ms // .downtime.hypervisor_downtime_ms')
  [ "$tt" != null ] || fail "no migration.total_time_ms"
  [ "$(m '.guest_disk.writes_count')" -gt 0 ] 2>/dev/null || fail "guest-disk made no writes"
  FIG+=("migration with osd-down: total $tt ms, downtime $dt ms, guest longest write $(m '.guest_disk.longest_stall_ms') ms, stalls $(m '.guest_disk.stall_count'), fault off->HEALTH_OK $(m '.ceph.fault_off_to_health_ok_ms') ms")
fi
h1=$(where) || fail "the guest runs nowhere after the migration"
[ "${h1:-}" = "$hB" ] || fail "the guest is on ${h1:-nowhere}, expected $hB"
GURI=$(j ".hosts.${h1:-$hB}.libvirt_uri")   # where() ran in a subshell
after=$(gexec disk-sum --dev /dev/vda --offset 0 --size 32M) || fail "disk-sum: $after"
echo "pattern read back on ${h1:-?}: $after"
[ "$(jq -r .sum <<<"$after")" = "$sum0" ] || fail "checksum differs after migration: $sum0 -> $after"

# --- pause 5 s: the guest's writes stall >= 4.5 s ---
cat > "$TMP/pause.ini" <<INI
[global]
driver   = libvirt
source   = lab:${h1:-$hB}
dest     = lab:$h0
domain   = web
warmup   = 2s
cooldown = 10s
migrate.count = 0
targets  = local
probe    = ceph host=lab:hosta
[pause]
workload = guest-disk
fault    = osd-flag flag=pause at=1s for=5s
INI
"$MT" run "$TMP/pause.ini" -o "$TMP/pause" > "$TMP/pause.log" 2>&1; rc=$?
R=$TMP/pause/results.json
if [ ! -f "$R" ]; then fail "pause run: no results (exit $rc): $(tail -5 "$TMP/pause.log")"
else
  [ $rc = 0 ] || fail "pause run exit $rc: $(jq -r '.cells[0].reason' "$R")"
  ls_ms=$(jq -r '.cells[0].metrics.guest_disk.longest_stall_ms' "$R")
  # when the timeline asked (fault.on/off) and when the monitors committed it (ceph.osdmap)
  ev() { jq -r --arg w "$1" --arg d "$2" \
    '[.cells[0].timeline[] | select(.what == $w and ((.detail // "") | test($d)))][0].actual_ms // empty' "$R"; }
  on=$(ev "fault.on osd-flag" .) off=$(ev "fault.off osd-flag" .)
  set_ms=$(ev ceph.osdmap '\+pausewr') unset_ms=$(ev ceph.osdmap '-pausewr')
  jq -r '.cells[0].timeline[] | select(.what == "ceph.osdmap") | "  osd map at \(.actual_ms) ms: \(.detail)"' "$R"
  if [ -z "$set_ms" ] || [ -z "$unset_ms" ]; then
    fail "pause: the ceph probe recorded no map setting and clearing pausewr (set '${set_ms}', cleared '${unset_ms}')"
  else
    read -r mon_ms bound <<<"$(awk -v a="$set_ms" -v b="$unset_ms" 'BEGIN{printf "%.0f %.0f", b - a, b - a - 500}')"
    FIG+=("pause 5 s: asked at +${on} ms, off at +${off} ms; monitors committed it at +${set_ms} ms, cleared at +${unset_ms} ms: pause ${mon_ms} ms; guest longest write $ls_ms ms (bound >= $bound ms), stalls $(jq -r '.cells[0].metrics.guest_disk.stall_count' "$R"), writes $(jq -r '.cells[0].metrics.guest_disk.writes_count' "$R"), settled after undo $(jq -r '.cells[0].metrics.fault["osd-flag"].undo_to_settled_ms' "$R") ms")
    awk -v v="$ls_ms" -v b="$bound" 'BEGIN{exit !(v >= b)}' ||
      fail "pause: longest guest write $ls_ms ms, expected >= $bound (the monitors' pause $mon_ms ms - 500)"
    # nor much longer than the pause: a write held past the unpause means the client missed it
    awk -v v="$ls_ms" -v m="$mon_ms" 'BEGIN{exit !(v <= m + 1000)}' ||
      fail "pause: longest guest write $ls_ms ms, more than 1 s past the monitors' pause $mon_ms ms"
  fi
fi

# --- ceph-mon paused 5 s from the start of a hop back: the guest's writes go on (a client
# talks to the OSDs, not the monitor), the migration waits for the monitor (the destination
# QEMU opens the RBD image through it) and ends after it is continued ---
hC=${h1:-$hB}
cat > "$TMP/mon.ini" <<INI
[global]
driver   = libvirt
source   = lab:$hC
dest     = lab:$h0
domain   = web
warmup   = 3s
cooldown = 3s
migrate.timeout = 120s
targets  = local, stor
[host:stor]
; the lab's Ceph daemons run in their own network namespace (lab/ceph/common.sh)
kind  = local
netns = mt-ceph
[mon-paused]
workload = guest-disk
fault    = process-pause host=stor role=ceph-mon id=a at=hop0.start for=5s
INI
"$MT" run "$TMP/mon.ini" -o "$TMP/mon" > "$TMP/mon.log" 2>&1; rc=$?
R=$TMP/mon/results.json
if [ ! -f "$R" ]; then fail "mon-paused run: no results (exit $rc): $(tail -5 "$TMP/mon.log")"
else
  [ $rc = 0 ] || fail "mon-paused run exit $rc: $(jq -r '.cells[0].reason' "$R")"
  tl() { jq -r --arg w "$1" --arg f "$2" '[.cells[0].timeline[] | select(.what | startswith($w)) | .[$f]][0] // empty' "$R"; }
  hop_on=$(tl "migrate.start hop 0" actual_ms) hop_done=$(tl "migrate.done hop 0" actual_ms)
  stop_ms=$(tl "fault.on process-pause" effect_ms) cont_ms=$(tl "fault.off process-pause" effect_ms)
  lag=$(tl "fault.on process-pause" trigger_lag_ms)
  ls_ms=$(jq -r '.cells[0].metrics.guest_disk.longest_stall_ms' "$R")
  FIG+=("ceph-mon paused 5 s at hop0.start: hop from +$hop_on ms to +$hop_done ms (libvirt total $(jq -r '.cells[0].metrics.migration.total_time_ms' "$R") ms), mon stopped at +$stop_ms ms (trigger lag $lag ms), continued at +$cont_ms ms; guest writes $(jq -r '.cells[0].metrics.guest_disk.writes_count' "$R"), errors $(jq -r '.cells[0].metrics.guest_disk.errors_count' "$R"), longest $ls_ms ms")
  if [ -z "$hop_done" ] || [ -z "$cont_ms" ] || [ -z "$stop_ms" ]; then
    fail "mon-paused: timeline lacks the hop's end or the pause (done '$hop_done', stopped '$stop_ms', continued '$cont_ms')"
  else
    # the destination cannot open the guest's disk while the monitor is stopped
    awk -v d="$hop_done" -v c="$cont_ms" 'BEGIN{exit !(d > c)}' ||
      fail "mon-paused: the hop ended at +$hop_done ms, before the monitor was continued at +$cont_ms ms"
  fi
  [ "$(jq -r '.cells[0].metrics.guest_disk.errors_count' "$R")" = 0 ] || fail "mon-paused: guest write errors"
  # the running guest's writes are not held for the monitor's pause (the osd-flag pause above holds them 4-5 s)
  awk -v v="$ls_ms" 'BEGIN{exit !(v < 3000)}' || fail "mon-paused: a guest write took $ls_ms ms: held by the monitor's pause"
  h2=$(where) || fail "the guest runs nowhere after the mon-paused hop"
  [ "${h2:-}" = "$h0" ] || fail "after the mon-paused hop the guest is on ${h2:-nowhere}, expected $h0"
  GURI=$(j ".hosts.${h2:-$h0}.libvirt_uri")
  after=$(gexec disk-sum --dev /dev/vda --offset 0 --size 32M) || fail "disk-sum: $after"
  [ "$(jq -r .sum <<<"$after")" = "$sum0" ] || fail "checksum differs after the mon-paused hop: $sum0 -> $after"
fi

# --- down leaves nothing (lab and cluster), when this test brought the lab up ---
if [ $OWN = 1 ]; then
  OWN=0
  bash "$SRC/tests/ceph/lab_ceph.sh" down || fail "mt-lab down left something (above)"
fi
printf 'FIGURE: %s\n' "${FIG[@]}"
[ $FAILS = 0 ] || { echo "$FAILS failure(s)"; exit 1; }
echo "ok"
