#!/bin/bash
# seed_run.sh — the seed's three web scenarios through `migtorture run` on the lab: every cell
# passes, the three downtimes stand side by side (hypervisor < total time; guest stall from
# mt-guest; network outage from the probes), QoS per phase exists, each workload moved data,
# and the guest still serves HTTP afterwards.
source "$(dirname "$0")/lib.sh"
need_lab
lab_ensure_up
need_bin
work=$(mktemp -d /tmp/mt-seed-run.XXXXXX)
trap 'rm -rf "$work"' EXIT

"$bin" run "$REPO/tests/lab/scenarios/seed-quick.ini" -o "$work/out" --journal "$work/journal" \
  || fail "migtorture run exited $? ($(tail -n 3 "$work/out/results.json" 2>/dev/null | tr -d '\n'))"
r=$work/out/results.json
q() { jq -r "$1" "$r"; }
[ "$(q '.cells | length')" = 3 ] || fail "expected 3 cells"
for i in 0 1 2; do
  c=".cells[$i]"
  name=$(q "$c.name")
  [ "$(q "$c.verdict")" = pass ] || fail "$name: $(q "$c.verdict"): $(q "$c.reason")"
  tot=$(q "$c.metrics.migration.total_time_ms")
  hv=$(q "$c.metrics.downtime.hypervisor_downtime_ms")
  gs=$(q "$c.metrics.downtime.guest_stall_ms")
  no=$(q "$c.metrics.downtime.network_outage_ms")
  for v in "$tot" "$hv" "$gs" "$no"; do
    [[ "$v" =~ ^[0-9.]+$ ]] || fail "$name: a downtime or the total time is not a number: total=$tot hypervisor=$hv guest_stall=$gs network_outage=$no"
  done
  awk -v h="$hv" -v t="$tot" 'BEGIN { exit !(h > 0 && h < t) }' ||
    fail "$name: hypervisor downtime $hv ms not within (0, total $tot ms)"
  for ph in baseline during after; do
    [[ "$(q "$c.metrics.qos.$ph.rtt_ms.p50")" =~ ^[0-9.]+$ ]] || fail "$name: no qos.$ph.rtt_ms.p50"
    [[ "$(q "$c.metrics.qos.$ph.loss_pct")" =~ ^[0-9.]+$ ]] || fail "$name: no qos.$ph.loss_pct"
  done
  [ "$(q "$c.metrics.qos.source")" = udp ] || fail "$name: primary probe is not udp"
  [[ "$(q "$c.metrics.probe.icmp.baseline.received")" =~ ^[1-9][0-9]*$ ]] || fail "$name: icmp got no reply"
  [[ "$(q "$c.metrics.probe.http.baseline.received")" =~ ^[1-9][0-9]*$ ]] || fail "$name: http got no reply"
  case $name in
    no-video) [[ "$(q "$c.metrics.qos.baseline.page.load_ms.p50")" =~ ^[0-9.]+$ ]] ||
                fail "no-video: no page load in the baseline" ;;
    offline-video) awk -v b="$(q "$c.metrics.qos.baseline.video.throughput_bps.mean")" \
                     'BEGIN { exit !(b > 1e6) }' || fail "offline-video: baseline goodput ≤ 1 Mbit/s" ;;
    online-video) [[ "$(q "$c.metrics.web.stream.segments")" =~ ^[1-9][0-9]*$ ]] ||
                    fail "online-video: no segment played" ;;
  esac
  echo "$name: total ${tot} ms; downtime: hypervisor ${hv} ms, guest stall ${gs} ms, network outage ${no} ms"
  # The hypervisors' logs the cell kept: what each wrote during this cell only. Its one hop
  # started QEMU once on the destination ("starting up" begins each libvirt QEMU log entry).
  if [ "$(q "$c.metrics.migration.direction")" = "source->dest" ]; then to=hostb; else to=hosta; fi
  for h in hosta hostb; do
    for role in libvirtd qemu; do
      f=$(q "$c.metrics.logs.$h.$role.file")
      [ -f "$work/out/$f" ] || fail "$name: no $h $role log kept ($f; $(q "$c.metrics.logs.$h.$role"))"
    done
  done
  [ -f "$work/out/$(q "$c.metrics.logs.hosta.console.file")" ] || fail "$name: no console log kept"
  [ "$(q "$c.metrics.logs.hostb.console")" = null ] || fail "$name: the lab's one console file kept twice"
  qlog=$work/out/$(q "$c.metrics.logs.$to.qemu.file")
  n=$(grep -c 'starting up' "$qlog")
  [ "$n" = 1 ] || fail "$name: $to's QEMU log of the cell has $n QEMU starts, not 1: $(head -c 300 "$qlog")"
  grep -q -- '-incoming' "$qlog" || fail "$name: $to's QEMU log of the cell has no -incoming"
  echo "$name: logs kept: $(for h in hosta hostb; do for role in libvirtd qemu console; do
    b=$(q "$c.metrics.logs.$h.$role.kept_bytes"); [ "$b" = null ] || printf '%s %s %s B; ' "$h" "$role" "$b"; done; done)"
done
http_ok / || fail "the guest does not serve HTTP after the run"
ok "3 seed cells measured; guest serves HTTP"
