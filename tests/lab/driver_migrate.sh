#!/bin/bash
# driver_migrate.sh — the libvirt driver end to end on the lab (ctest label `lab`).
#
# Runs `migtorture run` on tests/lab/scenarios/driver-idle.ini: an idle guest A→B→A three
# times, and the same with a 16 MiB/s cap; then driver-modes.ini (post-copy, auto-converge,
# multifd+zstd, xbzrle, tunnelled, direct, persistent, non-live: each passes or is skipped
# with libvirt's reason; MT_DRIVER_MODES=0 leaves it out). Checks results.json with
# driver_check (C):
# stats present and consistent (downtime < total time, transferred ≥ RAM in use, the
# hypervisor downtime filled, a polled series), the guest back on host A, the capped total time
# within 20 % of transferred ÷ 16 MiB/s, and the guest answering HTTP afterwards.
#
# The scenarios name lab:hosta/lab:hostb; the runner resolves them (suite/labresolve.c, from
# lab.json). MT_DRIVER_RESOLVE=1 writes the URIs and migration addresses into a private copy
# instead. Exits 77 (skip) without root or without a running lab.
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

# resolve SCENARIO.ini → $work/SCENARIO.ini with the lab's URIs and migration addresses
# written out (MT_DRIVER_RESOLVE=1): tests the driver without the runner's lab resolution.
# By default the scenario runs as committed and the runner resolves lab:hosta itself.
resolve() {
  local in=$here/scenarios/$1 out=$work/$1
  if [ "${MT_DRIVER_RESOLVE:-0}" != 1 ]; then echo "$in"; return; fi
  sed -e "s|^source *=.*|source   = $uri_a|" -e "s|^dest *=.*|dest     = $uri_b|" "$in" |
    awk -v a="$ip_a" -v b="$ip_b" '{ print } /^\[global\]/ {
      if (a != "") print "migrate.source_address = " a
      if (b != "") print "migrate.dest_address = " b }' > "$out"
  echo "$out"
}

# run SCENARIO.ini OUTDIR → results.json path (fails the test when there is none)
run() {
  local scen out=$work/$2 rc
  scen=$(resolve "$1")
  echo "running: $bin run -o $out $scen"
  "$bin" run -o "$out" --journal "$work/journal.$2" "$scen"
  rc=$?
  [ "$rc" = 0 ] || echo "note: migtorture exited $rc for $1"
  [ -f "$out/results.json" ] || { echo "FAIL: no results.json for $1 (exit $rc)"; return 1; }
}

fails=0
keep() { cp "$1" "${TMPDIR:-/tmp}/driver_migrate.$2.results.json" 2>/dev/null &&
  echo "results kept in ${TMPDIR:-/tmp}/driver_migrate.$2.results.json"; }
if run driver-idle.ini idle; then
  res=$work/idle/results.json
  "$check" idle "$res" "$uri_a" || { fails=$((fails + 1)); keep "$res" idle; }
  "$check" capped "$res" $((16 * 1048576)) || { fails=$((fails + 1)); keep "$res" idle; }
else
  fails=$((fails + 1))
fi
if [ "${MT_DRIVER_MODES:-1}" = 1 ]; then
  if run driver-modes.ini modes; then
    "$check" modes "$work/modes/results.json" "$uri_a" ||
      { fails=$((fails + 1)); keep "$work/modes/results.json" modes; }
  else
    fails=$((fails + 1))
  fi
fi

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
[ "$fails" = 0 ] || exit 1
echo "driver_migrate: ok"
