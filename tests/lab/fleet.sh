#!/bin/bash
# fleet.sh — two VMs in one cell (docs/evacuation.md) on a lab of its own (mt-lab up --guests 2):
# tests/lab/scenarios/fleet.ini migrates web and web2 hosta -> hostb together
# (migrate.concurrency = 2), then evacuates hostb back one VM at a time (migrate.evacuate).
# Judged against what libvirt and the hosts say, not against the runner's own plan:
#   together: both hops ran at once (each started before the other ended), both VMs ended on
#     hostb, each VM's figures under vm.NAME. (libvirt's time and downtime, its own probe's
#     outage);
#   evacuate: the driver found both on hostb, the second started only after the first ended,
#     the evacuation took at least the sum of the two hops, both run on hosta after and serve
#     HTTP; a fault at hop0.switchover came inside web's hop, one with vm=web2 inside web2's.
# Prints the evacuation table (FIGURE:). The lab it brought up goes down, nothing left.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need_lab
need_bin
if [ "$("$LAB" status)" != down ]; then
  n=$(jq '.guests | length' "$STATE/lab.json" 2>/dev/null || echo "?")
  [ "$n" = 2 ] || fail "the lab is up with $n guest(s): this test brings up its own (--guests 2); take it down first"
  started=0
else
  t=$(date +%s%N)
  MT_LAB_QUIET=1 "$LAB" up --guests 2 >/dev/null || fail "mt-lab up --guests 2 failed"
  echo "mt-lab up --guests 2: $((($(date +%s%N) - t) / 1000000)) ms"
  started=1
fi
work=$(mktemp -d /tmp/mt-fleet.XXXXXX)
cleanup() {
  rm -rf "$work"
  if [ "$started" = 1 ]; then "$LAB" down >/dev/null 2>&1 || echo "mt-lab down failed" >&2; fi
}
trap cleanup EXIT
A=$(uri hosta) B=$(uri hostb)
state_on() { virsh -q -c "$1" domstate "$2" 2>/dev/null | head -n 1; }
serves() { # serves DOMAIN — its guest answers HTTP from the client
  client curl -fsS -o /dev/null -m 5 "$(jq -r --arg d "$1" '.guests[] | select(.name == $d) | .http_url' "$STATE/lab.json")index.html"
}
for d in web web2; do
  [ "$(state_on "$A" $d)" = running ] || fail "$d does not run on hosta before the test"
done

rc=0
"$bin" run "$REPO/tests/lab/scenarios/fleet.ini" -o "$work/out" --journal "$work/journal" \
  > "$work/log" 2>&1 || rc=$?
cat "$work/log"
r=$work/out/results.json
[ $rc = 0 ] || fail "migtorture run fleet.ini exited $rc"
m() { jq -r --arg s "$1" ".cells[] | select(.section == \$s) | .metrics.$2 // \"-\"" "$r"; }

# together: both at once
[ "$(m together migration.vms_migrated)" = 2 ] || fail "together: $(m together migration.vms_migrated) VMs moved"
[ "$(m together migration.concurrency_max)" = 2 ] || fail "together: at most $(m together migration.concurrency_max) ran at once"
awk -v s1="$(m together vm.web.migration.fleet_start_ms)" -v e1="$(m together vm.web.migration.fleet_end_ms)" \
    -v s2="$(m together vm.web2.migration.fleet_start_ms)" -v e2="$(m together vm.web2.migration.fleet_end_ms)" \
    'BEGIN { exit !(s2 < e1 && s1 < e2) }' ||
  fail "together: the hops did not overlap (web $(m together vm.web.migration.fleet_start_ms)-$(m together vm.web.migration.fleet_end_ms) ms, web2 $(m together vm.web2.migration.fleet_start_ms)-$(m together vm.web2.migration.fleet_end_ms) ms)"
for d in web web2; do
  # where libvirt had it at the cell's end (the evacuate cell has moved it back since)
  [ "$(m together "vm.$d.migration.final_host")" = "$B" ] ||
    fail "together: $d ended on $(m together "vm.$d.migration.final_host"), not $B"
  for k in migration.total_time_ms downtime.hypervisor_downtime_ms downtime.network_outage_ms; do
    [[ "$(m together "vm.$d.$k")" =~ ^[0-9.]+$ ]] || fail "together: no vm.$d.$k"
  done
done

# evacuate: one after the other, back to hosta
[ "$(m evacuate migration.evacuated)" = "web web2" ] || fail "evacuate: evacuated '$(m evacuate migration.evacuated)', not 'web web2'"
[ "$(m evacuate migration.direction)" = "dest->source" ] || fail "evacuate: started from $(m evacuate migration.direction)"
[ "$(m evacuate migration.concurrency_max)" = 1 ] || fail "evacuate: $(m evacuate migration.concurrency_max) ran at once"
awk -v e1="$(m evacuate vm.web.migration.fleet_end_ms)" -v s2="$(m evacuate vm.web2.migration.fleet_start_ms)" \
    'BEGIN { exit !(s2 >= e1) }' || fail "evacuate: web2 started before web ended"
awk -v t="$(m evacuate migration.evacuation_time_ms)" -v a="$(m evacuate vm.web.migration.driver_elapsed_ms)" \
    -v b="$(m evacuate vm.web2.migration.driver_elapsed_ms)" 'BEGIN { exit !(t >= a + b) }' ||
  fail "evacuate: took $(m evacuate migration.evacuation_time_ms) ms, less than its two hops"
# anchors per VM: the switch-over of web (no vm=) inside web's hop, web2's inside web2's
anc() { jq -r --arg a "$1" '.cells[] | select(.section == "evacuate") | .timeline[] | select(.anchor == $a) | .anchor_ms' "$r" | head -n 1; }
for pair in "hop0.switchover|web" "hop0.switchover (web2)|web2"; do
  name=${pair%|*} d=${pair#*|}
  at=$(anc "$name")
  s=$(m evacuate "vm.$d.migration.fleet_start_ms") e=$(m evacuate "vm.$d.migration.fleet_end_ms")
  echo "FIGURE: evacuate: anchor $name at ${at:-never} ms; $d's hop $s .. $e ms"
  awk -v t="${at:--1}" -v s="$s" -v e="$e" 'BEGIN { exit !(t >= s && t <= e) }' ||
    fail "evacuate: $name came at ${at:-never} ms, outside $d's hop ($s .. $e ms)"
done
for d in web web2; do
  [ "$(state_on "$A" $d)" = running ] || fail "$d does not run on hosta after the evacuation"
  [ -z "$(state_on "$B" $d)" ] || [ "$(state_on "$B" $d)" = "shut off" ] || fail "$d still active on hostb"
  serves $d || fail "$d does not serve HTTP after the evacuation"
done

for c in together evacuate; do
  echo "FIGURE: $c (concurrency $(m $c migration.concurrency_max)): evacuation $(m $c migration.evacuation_time_ms) ms, slowest $(m $c migration.slowest_vm) $(m $c migration.slowest_vm_time_ms) ms, mean rate $(m $c migration.fleet_mean_bytes_s) B/s"
  for d in web web2; do
    echo "FIGURE:   $d: queued $(m $c vm.$d.migration.queue_wait_ms) ms, libvirt $(m $c vm.$d.migration.total_time_ms) ms, downtime $(m $c vm.$d.downtime.hypervisor_downtime_ms) ms, outage $(m $c vm.$d.downtime.network_outage_ms) ms, data $(m $c vm.$d.migration.transferred_bytes) B"
  done
done
ok "two VMs migrated together (overlapping hops) and evacuated back one at a time; each VM measured apart"
