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
# Uses the running lab and never starts or stops one (it may be someone else's; in CI
# lab_migrate brings it up first). Exits 77 (skip) for what this machine lacks (root, the lab's
# tools, the binaries), when no lab is up, or when the lab guest's mt-guest predates `dirty`
# (an image of another tree: lab/guest/build.sh copies build/workloads/guest/mt-guest). A lab
# that is half up (`mt-lab status` partial: a daemon or the guest died), a guest running
# nowhere or a guest agent that cannot run mt-guest is a failure.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# the checks below read exit codes themselves; no errexit/pipefail from lib.sh
set +e +o pipefail
rate_mib=${MT_DIRTY_RATE_MIB:-50}
check=${MT_STRESS_CHECK:-$REPO/build/tests/lab/stress/stress_check}
need_lab
need_bin
[ -x "$check" ] || skip "no stress_check at $check (build first)"
lab_st=$("$LAB" status)
case $lab_st in
up) ;;
down) skip "the lab is not up (this test does not start one)" ;;
*) fail "the lab is '$lab_st', not up: a daemon or the guest died (lab/mt-lab status)" ;;
esac

# Where the guest runs (a cell starts from wherever the last one left it); a guest running
# nowhere is a broken lab.
guest_hosts
uri_a=$(uri "$src")
[ -n "$uri_a" ] && [ "$uri_a" != null ] || fail "lab.json lacks $src's libvirt_uri"
# Does the guest's mt-guest know `dirty`? Ask it for its help through the guest agent.
help=$(guest_run "$uri_a" --help 2>&1)
case $? in
0) ;;
99) fail "the guest agent did not run /bin/mt-guest: $help" ;;
98) fail "mt-guest --help did not end in the guest within 60 s" ;;
*) ;; # it ran: an mt-guest old enough to fail on --help has no `dirty` either (skip below)
esac
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
[ -f "$work/out/results.json" ] || fail "no results.json (exit $rc)"
"$check" dirty "$work/out/results.json" $((rate_mib * 1048576)) 25
