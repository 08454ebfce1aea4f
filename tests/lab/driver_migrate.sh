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
# instead. Brings the lab up when it is down (lib.sh: lab_ensure_up; not with MT_LAB_NO_UP=1,
# then no lab up is a skip). Exits 77 (skip) for what this machine lacks (root, the lab's
# tools, the binaries); a failed bring-up, a descriptor without the hosts' URIs or a guest that
# does not serve HTTP afterwards is a failure.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# run() and the checks read exit codes themselves; no errexit/pipefail from lib.sh
set +e +o pipefail
here=$(cd "$(dirname "$0")" && pwd)
check=${MT_DRIVER_CHECK:-$REPO/build/tests/lab/driver/driver_check}
lab_json=${MT_LAB_JSON:-$STATE/lab.json}
need_lab
need_bin
[ -x "$check" ] || skip "no driver_check at $check (build first)"
if [ "${MT_LAB_NO_UP:-0}" = 1 ]; then
  [ "$("$LAB" status)" = up ] || skip "the lab is not up and MT_LAB_NO_UP=1"
else
  lab_ensure_up
fi
[ -f "$lab_json" ] || fail "no lab descriptor $lab_json with the lab up"
grep -q '"state": *"up"' "$lab_json" || fail "the lab descriptor $lab_json does not say up"

val() { "$check" labvalue "$lab_json" "$1"; }
uri_a=$(val hosts.hosta.libvirt_uri) && uri_b=$(val hosts.hostb.libvirt_uri) ||
  fail "lab.json lacks hosts.hosta/hostb.libvirt_uri"
ip_a=$(val hosts.hosta.migration_ip || true)
ip_b=$(val hosts.hostb.migration_ip || true)

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
  "$check" idle "$res" "$uri_a,$uri_b" || { fails=$((fails + 1)); keep "$res" idle; }
  "$check" capped "$res" $((16 * 1048576)) || { fails=$((fails + 1)); keep "$res" idle; }
else
  fails=$((fails + 1))
fi
if [ "${MT_DRIVER_MODES:-1}" = 1 ]; then
  if run driver-modes.ini modes; then
    "$check" modes "$work/modes/results.json" "$uri_a,$uri_b" ||
      { fails=$((fails + 1)); keep "$work/modes/results.json" modes; }
  else
    fails=$((fails + 1))
  fi
fi

# The guest still serves its website from where it ended (host A). A descriptor without its
# URL or a lab without the client namespace is a broken lab, not a reason to leave it out.
url=$(val guest.http_url)
if [ -z "$url" ]; then
  echo "FAIL: lab.json lacks guest.http_url: the guest's HTTP was not checked"
  fails=$((fails + 1))
elif ip netns exec mt-client curl -sf -o /dev/null --max-time 10 "$url"; then
  echo "guest answers HTTP at $url"
else
  echo "FAIL: guest does not answer HTTP at $url from mt-client after the migrations"
  fails=$((fails + 1))
fi
[ "$fails" = 0 ] || fail "$fails check(s) failed"
echo "driver_migrate: ok"
