#!/bin/bash
# anchors.sh — faults aimed at migration phases on the real lab (docs/anchors.md). One capped hop
# of the guest carries: a tbf on the source's migration link from pre-copy pass 2 for 500 ms
# (local, in the host's namespace), a tbf on the destination's link once at most 64 MiB are
# left to copy, a netem on the router at the switch-over (through the
# router's agent), a tbf 200 ms after the hop is done, and a tbf at post-copy, which a pre-copy
# hop never reaches.
#
# Judged against what libvirt and the users saw: the pass-2 anchor lies where libvirt's
# iteration events put pass 2 (the migration.iteration_events series), inside the hop; the
# remaining<=64MiB anchor is within one 50 ms sample of the first job-statistics sample that
# showed at most 64 MiB left (migration.memory_remaining_bytes, while memory moved); the
# switch-over comes after it, at least libvirt's reported downtime before the hop's end, and
# the udp probe (every 10 ms) loses its first reply at the switch-over — the first unanswered
# probe was sent between 20 ms before the anchor (libvirt delivers the stop event a few ms
# after QEMU stopped) and 40 ms after it (the loop is busy applying the anchored faults then);
# the done anchor is the hop's end.
# Every action ran no earlier than its anchor plus offset and took effect after that; the
# post-copy one is recorded as never reached (anchor.missed 1) and the verdict is still pass.
source "$(dirname "$0")/lib.sh"
need_lab
lab_ensure_up
need_bin
work=$(mktemp -d /tmp/mt-lab-anchors.XXXXXX)
cleanup() {
  "$bin" recover --journal "$work/j" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

guest_hosts
mif=$(desc ".hosts.$src.migration_if")
{ capped_migration_ini "$src" "$dst" 60s | sed 's|^migrate.bandwidth .*|migrate.bandwidth = 32MiB/s|'
  cat <<INI

[anchored]
fault = tbf host=$src dev=$mif rate=200mbit at=hop0.iteration=2 for=500ms + tbf host=$dst dev=$(desc ".hosts.$dst.migration_if") rate=500mbit at=hop0.remaining<=64MiB for=100ms + netem host=router dev=vec0 delay=5ms at=hop0.switchover for=1s + tbf host=$src dev=$mif rate=300mbit at=hop0.done+200ms for=300ms + tbf host=$src dev=$mif rate=100mbit at=hop0.postcopy
INI
} >"$work/s.ini"
"$bin" plan "$work/s.ini" >"$work/plan" 2>&1 || fail "plan: $(cat "$work/plan")"
grep -q "hop0.iteration=2 " "$work/plan" && grep -q "hop0.done+200ms" "$work/plan" ||
  fail "plan does not show the anchors: $(cat "$work/plan")"
rc=0
"$bin" run -q -o "$work/r" --journal "$work/j" "$work/s.ini" >"$work/out" 2>&1 || rc=$?
R=$work/r/results.json
[ "$rc" = 0 ] || fail "run exit $rc: $(tail -n 3 "$work/out")"
[ "$(jq -r '.cells[0].verdict' "$R")" = pass ] || fail "verdict: $(jq -r '.cells[0].reason' "$R")"

jq -r '.cells[0].timeline[] | select(.anchor) | if .anchor_ms == null
       then "FIGURE: \(.what) at \(.anchor): \(.detail)"
       else "FIGURE: \(.what) at \(.anchor): anchor \(.anchor_ms) ms, due \(.planned_ms) ms, ran \(.actual_ms) ms, took effect \(.effect_ms) ms, trigger_lag \(.trigger_lag_ms) ms" end' "$R"
ev() { jq -r ".cells[0].timeline[] | select(.what | test(\"$1\")) | .actual_ms" "$R" | head -n 1; }
an() { # an ANCHOR FIELD — FIELD of the (first) action anchored on ANCHOR
  jq -r --arg a "$1" ".cells[0].timeline[] | select(.anchor == \$a) | .$2" "$R" | head -n 1
}
m() { jq -r ".cells[0].metrics.$1" "$R"; }
start=$(ev '^migrate.start hop 0'); done_ms=$(ev '^migrate.done hop 0')
it2=$(an hop0.iteration=2 anchor_ms); sw=$(an hop0.switchover anchor_ms)
dn=$(an hop0.done anchor_ms); pc=$(an hop0.postcopy anchor_ms)
downtime=$(m 'migration.downtime_ms // empty')
lost=$(jq -r --argjson a "$it2" '.cells[0].series["probe.udp.rtt_ms"] // empty |
  [.t_ms, .v] | transpose | map(select(.[0] > $a and .[1] == null)) | .[0][0] // empty' "$R")
rem=$(an 'hop0.remaining<=64MiB' anchor_ms)
series_rem=$(jq -r '.cells[0].series["migration.memory_remaining_bytes"] // empty |
  [.t_ms, .v] | transpose | map(select(.[1] > 0 and .[1] <= 67108864)) | .[0][0] // empty' "$R")
series_it2=$(jq -r '.cells[0].series["migration.iteration_events"] // empty |
  [.t_ms, .v] | transpose | map(select(.[1] >= 2)) | .[0][0] // empty' "$R")
echo "FIGURE: hop 0 from $start to $done_ms ms; libvirt's pass 2 event at ${series_it2:-?} ms;" \
     "first job sample with <= 64 MiB left at ${series_rem:-?} ms;" \
     "first unanswered udp probe after pass 2 sent at ${lost:-?} ms; downtime $downtime ms; anchor.reached $(m 'anchor.reached'), anchor.missed" \
     "$(m 'anchor.missed'), anchor.trigger_lag_max_ms $(m 'anchor.trigger_lag_max_ms')"

[ "$(m 'anchor.missed')" = 1 ] || fail "anchor.missed $(m 'anchor.missed'), expected 1 (post-copy)"
[ "$pc" = null ] || fail "the post-copy anchor came at $pc ms in a pre-copy hop"
for a in hop0.iteration=2 'hop0.remaining<=64MiB' hop0.switchover hop0.done; do
  [ "$(an "$a" anchor_ms)" != null ] || fail "$a never came"
  awk -v r="$(an "$a" actual_ms)" -v p="$(an "$a" planned_ms)" -v e="$(an "$a" effect_ms)" \
    'BEGIN{exit !(r >= p && e >= r)}' ||
    fail "$a: ran $(an "$a" actual_ms), due $(an "$a" planned_ms), effect $(an "$a" effect_ms)"
done
awk -v s="$start" -v a="$it2" -v w="$sw" -v d="$done_ms" 'BEGIN{exit !(s <= a && a < w && w < d)}' ||
  fail "order: hop start $start, pass 2 $it2, switch-over $sw, hop done $done_ms ms"
[ -n "$series_it2" ] || fail "libvirt sent no iteration event for pass 2"
awk -v a="$it2" -v b="$series_it2" 'BEGIN{d = a - b; exit !(d > -1 && d < 1)}' ||
  fail "the pass-2 anchor ($it2 ms) is not libvirt's pass-2 event ($series_it2 ms)"
[ -n "$series_rem" ] || fail "no job sample showed <= 64 MiB left"
awk -v a="$rem" -v b="$series_rem" -v s="$start" -v w="$sw" \
  'BEGIN{d = a - b; exit !(d > -50 && d < 50 && a > s && a < w)}' ||
  fail "the remaining<=64MiB anchor ($rem ms) is not the first such job sample ($series_rem ms)" \
       "inside the hop before the switch-over ($sw ms)"
[ -n "$downtime" ] || fail "libvirt reported no downtime for the hop"
awk -v w="$sw" -v d="$done_ms" -v t="$downtime" 'BEGIN{exit !(d - w >= t)}' ||
  fail "switch-over at $sw ms, hop done at $done_ms ms: $(awk -v w="$sw" -v d="$done_ms" \
        'BEGIN{print d - w}') ms apart, less than libvirt's downtime $downtime ms"
[ -n "$lost" ] || fail "the udp probe lost no reply after pass 2"
awk -v w="$sw" -v l="$lost" 'BEGIN{exit !(l >= w - 20 && l <= w + 40)}' ||
  fail "the udp probe's first unanswered probe was sent at $lost ms, the switch-over" \
       "anchor is $sw ms"
awk -v a="$dn" -v d="$done_ms" 'BEGIN{exit !(a - d > -1 && a - d < 1)}' ||
  fail "the done anchor ($dn ms) is not the hop's end ($done_ms ms)"
"$bin" recover --journal "$work/j" | grep -q "nothing open" || fail "journal left open entries"
ok "pass 2 at $it2 ms (libvirt: $series_it2), switch-over at $sw ms (udp: $lost)," \
   "done at $dn ms;" \
   "post-copy never came; lag max $(m 'anchor.trigger_lag_max_ms') ms"
