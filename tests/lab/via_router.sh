#!/bin/bash
# `up --migration-via-router`: the migration link crosses the UML router, so netem there delays
# the migration stream (ping between the migration IPs +20 +- 1.5 ms), and A->B->A still works.
# Starts its own lab in that mode and takes it down again. Its router's first boot dies
# (tests/lab/uml-crash-once, as UML now and then does here): up must boot it again and say so.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need_lab
command -v ping >/dev/null || skip "missing ping (iputils-ping; run scripts/setup)"
if [ "$("$LAB" status)" != down ] && [ "$(jq -r .migration_via_router "$STATE/lab.json" 2>/dev/null)" != true ]; then
  "$LAB" down >/dev/null || fail "down of the running lab failed"
fi
mark=$(mktemp -u /tmp/mt-uml-mark.XXXXXX)
MT_LAB_UML=$REPO/tests/lab/uml-crash-once MT_LAB_UML_MARK=$mark \
  "$LAB" up --migration-via-router >/dev/null 2>"$mark.log" || { cat "$mark.log"; fail "up --migration-via-router failed"; }
cat "$mark.log"
grep -q "UML router exited during boot (ptrace set fp regs failed.*); booting it again" "$mark.log" ||
  fail "up did not say it booted the router again after its first boot died"
[ -s "$STATE/router/console.log.1" ] || fail "the failed boot's console was not kept"
rm -f "$mark" "$mark.log"
[ "$(desc .migration_via_router)" = true ] || fail "descriptor says migration_via_router is not true"
cfg=$(desc .hosts.router.ssh.config_file) dev=$(desc .hosts.router.interfaces.migration_b_side)
nsa=$(desc .hosts.hosta.netns) ipb=$(desc .hosts.hostb.migration_ip)
rsh() { ssh -F "$cfg" router "$@"; }
restore() { rsh tc qdisc del dev "$dev" root >/dev/null 2>&1 || true; }
# This test made its lab: a failure takes it down too, so nothing is left running.
on_exit() { local rc=$?; restore; [ $rc = 0 ] || "$LAB" down >/dev/null 2>&1; exit $rc; }
trap on_exit EXIT
avg() { median_rtt "$nsa" "$ipb"; }
base=$(avg); [ -n "$base" ] || fail "no ping replies between the migration IPs"
rsh tc qdisc replace dev "$dev" root netem delay 20ms limit 10000 || fail "netem over ssh failed"
with=$(avg); restore
echo "    migration link rtt median: $base ms, with netem on router $dev: $with ms"
awk -v b="$base" -v w="$with" 'BEGIN{d=w-b; exit !(d>=18.5 && d<=21.5)}' \
  || fail "netem on $dev did not delay the migration link by 20 ms ($base -> $with ms)"
bash "$(dirname "$0")/migrate.sh" || fail "migration through the router failed"
"$LAB" down >/dev/null || fail "down failed"
assert_clean
ok "migration link through the router: netem applies, A->B->A works, down clean"
