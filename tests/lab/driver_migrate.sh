#!/bin/bash
# driver_migrate.sh — the libvirt driver end to end on the lab (ctest label `lab`).
#
# Runs `migtorture run` on tests/lab/scenarios/driver-idle.ini: an idle guest A→B→A three
# times, and the same with a 16 MiB/s cap; then checks results.json with driver_check (C):
# stats present and consistent (downtime < total time, transferred ≥ RAM in use, the
# hypervisor downtime filled, a polled series), the guest back on host A, the capped total time
# within 20 % of transferred ÷ 16 MiB/s, and the guest answering HTTP afterwards.
#
# The lab's lab: references are resolved here, from lab.json (libvirt_uri, migration_ip), into
# a private copy of the scenario, so the test exercises the driver whether or not the runner
# resolves lab: itself. Exits 77 (skip) without root or without a running lab.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
bin=${MT_BINARY:-$src/build/migtorture}
check=${MT_DRIVER_CHECK:-$src/build/tests/lab/driver/driver_check}
lab_json=${MT_LAB_JSON:-/run/migtorture/lab/lab.json}

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (the lab's libvirtd sockets and namespaces)"
[ -x "$bin" ] || skip "no migtorture binary at $bin (build first)"
[ -x "$check" ] || skip "no driver_check at $check (build first)"
# Like the lab's own tests: bring the lab up when this tree has it and it is down.
if [ ! -f "$lab_json" ] && [ -x "$src/lab/mt-lab" ] && [ "${MT_LAB_NO_UP:-0}" != 1 ]; then
  "$src/lab/mt-lab" up >/dev/null 2>&1 || skip "lab/mt-lab up failed"
fi
[ -f "$lab_json" ] || skip "no lab descriptor $lab_json (run lab/mt-lab up)"
grep -q '"state": *"up"' "$lab_json" || skip "the lab in $lab_json is not up"

val() { "$check" labvalue "$lab_json" "$1"; }
uri_a=$(val hosts.hosta.libvirt_uri) && uri_b=$(val hosts.hostb.libvirt_uri) ||
  skip "lab.json lacks hosts.hosta/hostb.libvirt_uri"
ip_a=$(val hosts.hosta.migration_ip || true)
ip_b=$(val hosts.hostb.migration_ip || true)
gh=$(val guest.host || true)
[ -z "$gh" ] || [ "$gh" = hosta ] || skip "the guest runs on '$gh', the scenario starts on hosta"

work=$(mktemp -d /tmp/mt-driver-lab.XXXXXX)
trap 'rm -rf "$work"' EXIT
scen=$work/driver-idle.ini
{
  sed -e "s|^source *=.*|source   = $uri_a|" -e "s|^dest *=.*|dest     = $uri_b|" \
      "$here/scenarios/driver-idle.ini"
} > "$scen.tmp"
# the migration-network addresses go into [global], right after its header
awk -v a="$ip_a" -v b="$ip_b" '{ print } /^\[global\]/ {
  if (a != "") print "migrate.source_address = " a
  if (b != "") print "migrate.dest_address = " b }' "$scen.tmp" > "$scen"

echo "running: $bin run $scen -o $work/out"
"$bin" run "$scen" -o "$work/out"
rc=$?
res=$work/out/results.json
[ -f "$res" ] || { echo "FAIL: no results.json (migtorture exited $rc)"; exit 1; }
[ "$rc" = 0 ] || echo "note: migtorture exited $rc"

fails=0
"$check" idle "$res" "$uri_a" || fails=$((fails + 1))
"$check" capped "$res" $((16 * 1048576)) || fails=$((fails + 1))

# The guest still serves its website from where it ended (host A).
url=$(val guest.http_url || true)
if [ -n "$url" ] && command -v curl >/dev/null && ip netns list | grep -q '^mt-client'; then
  if ip netns exec mt-client curl -sf -o /dev/null --max-time 10 "$url"; then
    echo "guest answers HTTP at $url"
  else
    echo "FAIL: guest does not answer HTTP at $url after the migrations"
    fails=$((fails + 1))
  fi
fi
if [ "$fails" != 0 ]; then
  cp "$res" "${TMPDIR:-/tmp}/driver_migrate.results.json" 2>/dev/null &&
    echo "results kept in ${TMPDIR:-/tmp}/driver_migrate.results.json"
  exit 1
fi
echo "driver_migrate: ok"
