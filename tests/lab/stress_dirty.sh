#!/bin/bash
# stress_dirty.sh — guest-dirty during live migration on the lab (ctest label `lab`).
#
# The guest dirties 96 MiB at 50 MiB/s (mt-guest through the guest agent) while it migrates
# A→B→A under a 100 MiB/s cap. Checks with stress_check (C): every cell ran, memory integrity is
# "ok" (the dirtier checks each page before rewriting it, verify checks all pages at the end),
# and libvirt's dirty rate during the migration is within 25 % of the set rate.
# A sweep of 96 MiB takes ~1.9 s at 50 MiB/s, longer than QEMU's >= 1 s dirty-rate period, so
# libvirt counts every write (a smaller region would be counted once per period).
#
# Exits 77 (skip) without root or without a RUNNING lab: unlike the lab's own tests it never
# brings the lab up (the lab may be someone else's). Needs a lab guest built with an mt-guest
# that has `dirty` (lab/guest/build.sh copies build/workloads/guest/mt-guest).
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
bin=${MT_BINARY:-$src/build/migtorture}
check=${MT_STRESS_CHECK:-$src/build/tests/lab/stress/stress_check}
lab_json=${MT_LAB_JSON:-/run/migtorture/lab/lab.json}
rate_mib=${MT_DIRTY_RATE_MIB:-50}

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (the lab's libvirtd sockets)"
[ -x "$bin" ] || skip "no migtorture binary at $bin (build first)"
[ -x "$check" ] || skip "no stress_check at $check (build first)"
[ -f "$lab_json" ] || skip "no lab descriptor $lab_json (the lab is not up; this test does not start it)"
grep -q '"state": *"up"' "$lab_json" || skip "the lab in $lab_json is not up"

# Does the guest's mt-guest know `dirty`? (an older lab image does not)
# The VM may run on either host (a cell starts from wherever the last one left it).
uri_a=""
for h in hosta hostb; do
  u=$(sed -n "s/.*\"libvirt_uri\": *\"\([^\"]*$h[^\"]*\)\".*/\1/p" "$lab_json" | head -1)
  [ -n "$u" ] || skip "lab.json lacks $h's libvirt_uri"
  [ "$(virsh -c "$u" domstate web 2>/dev/null | head -1)" = running ] && uri_a=$u
done
[ -n "$uri_a" ] || skip "the guest 'web' runs on neither lab host"
exec_out=$(virsh -c "$uri_a" qemu-agent-command web \
  '{"execute":"guest-exec","arguments":{"path":"/bin/mt-guest","arg":["--help"],"capture-output":true}}' 2>/dev/null)
pid=$(echo "$exec_out" | sed -n 's/.*"pid":\([0-9]*\).*/\1/p')
[ -n "$pid" ] || skip "the guest agent did not run /bin/mt-guest: $exec_out"
sleep 0.5
st=$(virsh -c "$uri_a" qemu-agent-command web \
  "{\"execute\":\"guest-exec-status\",\"arguments\":{\"pid\":$pid}}" 2>/dev/null)
help=$(echo "$st" | sed -n 's/.*"out-data":"\([^"]*\)".*/\1/p' | base64 -d 2>/dev/null)
echo "$help" | grep -q "mt-guest dirty" ||
  skip "the lab guest's mt-guest has no 'dirty' (rebuild the lab image with this tree's mt-guest)"

work=$(mktemp -d /tmp/mt-stress-lab.XXXXXX)
trap 'rm -rf "$work"' EXIT
cat > "$work/dirty.ini" <<INI
[global]
description = guest-dirty ${rate_mib} MiB/s during A→B→A
driver   = libvirt
source   = lab:hosta
dest     = lab:hostb
domain   = web
warmup   = 10s
cooldown = 5s
migrate.count     = 2
migrate.interval  = 5s
migrate.timeout   = 180s
migrate.bandwidth = 100MiB/s

[dirty]
stress = guest-dirty size=96M rate=${rate_mib}MiB/s
INI
echo "running: $bin run $work/dirty.ini -o $work/out"
"$bin" run "$work/dirty.ini" -o "$work/out"
rc=$?
[ -f "$work/out/results.json" ] || { echo "FAIL: no results.json (exit $rc)"; exit 1; }
"$check" dirty "$work/out/results.json" $((rate_mib * 1048576)) 25
