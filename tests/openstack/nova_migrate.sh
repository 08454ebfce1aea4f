#!/bin/bash
# nova_migrate.sh — the OpenStack lab end to end: lab with Ceph (mt-lab up --ceph, unless a lab
# is already up) + lab/openstack/os-up, then scenarios/seed-openstack.ini (the thesis' three
# web scenarios) through `migtorture run` with driver = nova (password from the lab's
# clouds.yaml): every cell migrates the instance hosta → hostb → hosta through os-migrateLive,
# Nova's API-observed time stands next to libvirt's own figures from the destination compute's
# libvirtd, and the probes and web workloads in the lab client measure the instance's users
# through its neutron port. With Ceph the instance disk is on RBD (no block copy). Then one
# cell with an application credential from the environment under a tbf rate limit on the
# migration link; two failure cells (the destination's L2 agent paused at the switch-over, its
# nova-compute restarted mid-hop, each aimed by a Nova phase anchor); migrate.timeout abort and
# force_complete; a compute drained of two servers (migrate.evacuate, Nova's own queue). Exit 77 (with the reason) when OpenStack is not installed (scripts/setup
# --openstack) or this is not root.
source "$(dirname "$0")/../lab/lib.sh"
need_lab
need_bin
# shellcheck source=../../lab/openstack/lib.sh
. "$REPO/lab/openstack/lib.sh"
os_installed || skip "OpenStack is not installed (scripts/setup --openstack: ~300 packages, ~3-9 min)"
base_was_up=0
if [ "$("$LAB" status)" = up ]; then
  base_was_up=1
else
  t=$(date +%s%N)
  MT_LAB_QUIET=1 "$LAB" up --ceph >/dev/null || fail "mt-lab up --ceph failed"
  echo "mt-lab up --ceph: $((($(date +%s%N) - t) / 1000000)) ms"
fi
# OpenStack holds ~3 GB: always taken down again; the base lab only when this test started it.
cleanup() {
  rm -rf "${work:-/nonexistent}"
  [ "${MT_OS_KEEP:-0}" = 1 ] && return 0
  "$REPO/lab/openstack/os-down" || echo "os-down failed" >&2
  [ $base_was_up = 1 ] || "$LAB" down >/dev/null 2>&1 || true
}
trap cleanup EXIT
t=$(date +%s%N)
rc=0
"$REPO/lab/openstack/os-up" >"${TMPDIR:-/tmp}/os-up.log" 2>&1 || rc=$?
[ $rc = 77 ] && skip "$(tail -n 1 "${TMPDIR:-/tmp}/os-up.log")"
[ $rc = 0 ] || fail "os-up exited $rc: $(tail -n 3 "${TMPDIR:-/tmp}/os-up.log" | tr '\n' ' ')"
echo "os-up: $((($(date +%s%N) - t) / 1000000)) ms (0 when it was already up); steps: $(tr '\n' ' ' < "$OS/timings")"
work=$(mktemp -d /tmp/mt-nova.XXXXXX)
backend=$(cat "$OS/image-backend")
echo "image backend: $backend (rbd when the lab has Ceph)"
if [ "$(jq -r '.storage.kind // empty' "$STATE/lab.json")" = ceph ]; then
  [ "$backend" = rbd ] || fail "the lab has Ceph but Nova's image backend is $backend"
fi

check_cells() { # check_cells RESULTS [outage-judged] — every cell passed (unless the caller
  # judged the verdicts), both hops measured by Nova and libvirt
  local r=$1 n i c name
  n=$(jq '.cells | length' "$r")
  for ((i = 0; i < n; i++)); do
    c=".cells[$i]"
    name=$(jq -r "$c.name" "$r")
    # outage-judged: the seed run's verdicts were judged by the caller
    [ "${2:-}" = outage-judged ] || [ "$(jq -r "$c.verdict" "$r")" = pass ] ||
      fail "$name: $(jq -r "$c.verdict" "$r"): $(jq -r "$c.reason" "$r")"
    [ "$(jq -r "$c.metrics.migration.hops_completed" "$r")" = 2 ] || fail "$name: not 2 hops"
    # two hops end where the cell started: hosta, or hostb when the cell found it there
    want=hosta; [ "$(jq -r "$c.metrics.migration.direction" "$r")" = "dest->source" ] && want=hostb
    [ "$(jq -r "$c.metrics.migration.final_host" "$r")" = $want ] || fail "$name: final host is not $want"
    for h in "" "hop1."; do
      api=$(jq -r "$c.metrics.migration.${h}total_time_ms" "$r")
      lv=$(jq -r "$c.metrics.migration.${h}libvirt_total_time_ms" "$r")
      dt=$(jq -r "$c.metrics.downtime.${h}hypervisor_downtime_ms" "$r")
      st=$(jq -r "$c.metrics.migration.${h}nova_status" "$r")
      fh=$(jq -r "$c.metrics.migration.${h}host_after" "$r")
      for v in "$api" "$lv" "$dt"; do
        [[ "$v" =~ ^[0-9.]+$ ]] || fail "$name ${h:-hop0.}: not a number: api=$api libvirt=$lv downtime=$dt"
      done
      [ "$st" = completed ] || fail "$name ${h:-hop0.}: nova status $st"
      # Nova sees the migration from outside: its time covers libvirt's, never less.
      awk -v a="$api" -v l="$lv" 'BEGIN { exit !(l > 0 && a >= l) }' ||
        fail "$name ${h:-hop0.}: API time $api ms < libvirt time $lv ms"
      if [ "$backend" = rbd ]; then
        # shared storage: Nova moved no disk (block_migration auto chose false)
        [ "$(jq -r "$c.metrics.migration.${h}disk_total_bytes // 0" "$r")" = 0 ] ||
          fail "$name ${h:-hop0.}: a disk was copied on RBD"
      fi
      echo "$name ${h:-hop0.} -> $fh: nova API ${api} ms (record $(jq -r "$c.metrics.migration.${h}nova_record_ms" "$r") ms), libvirt ${lv} ms, hypervisor downtime ${dt} ms, nova memory $(jq -r "$c.metrics.migration.${h}memory_processed_bytes // \"-\"" "$r")/$(jq -r "$c.metrics.migration.${h}memory_total_bytes // \"-\"" "$r") B, libvirt data $(jq -r "$c.metrics.migration.${h}transferred_bytes" "$r") B"
    done
  done
}

check_users() { # check_users RESULTS — the probes and web workloads reached the instance
  local r=$1 n i c name q
  n=$(jq '.cells | length' "$r")
  for ((i = 0; i < n; i++)); do
    c=".cells[$i]"
    name=$(jq -r "$c.name" "$r")
    q="$c.metrics.qos.during"
    # udp replies during the migration: most came back (the switch-over loses a few)
    jq -e "($q.received // 0) > 0.5 * ($q.sent // 0) and ($q.sent // 0) > 100" "$r" >/dev/null ||
      fail "$name: udp probe sent $(jq -r "$q.sent" "$r"), received $(jq -r "$q.received" "$r")"
    jq -e "$c.metrics.downtime.network_outage_ms | numbers" "$r" >/dev/null ||
      fail "$name: no network outage measured"
    case $name in
      # Loads caught in a switch-over may fail (a measured outcome, not a test failure), so
      # failures are judged against the outages the probes saw: a new load starts every
      # interval (web-page's 200 ms default, as seed-openstack.ini has it), so one outage of
      # O ms can fail at most the load in flight plus one per interval within it. Failures past
      # hops × (1 + ceil(O / 200)), with O the cell's longest outage, happened while the
      # network was up: the web service itself failed. (A ratio of the loads, as before, moved
      # with the machine's speed: 4 of 12 failed in a slow run with a 1.4 s outage.)
      no-video)
        local loads failures hops outage bound
        loads=$(jq -r "$q.page.loads // 0" "$r") failures=$(jq -r "$q.page.failures // 0" "$r")
        hops=$(jq -r "$c.metrics.migration.hops_completed // 0" "$r")
        outage=$(jq -r "$c.metrics.downtime.network_outage_ms // 0 | ceil" "$r")
        bound=$((hops * (1 + (outage + 199) / 200)))
        echo "$name: page loads $loads, failures $failures, bound $bound ($hops hops x (1 + ceil($outage ms outage / 200 ms)))"
        [ "$loads" -gt 10 ] && [ "$failures" -le "$bound" ] ||
          fail "$name: page loads $(jq -c "$q.page" "$r"), failures bound $bound" ;;
      offline-video) jq -e "$q.video.throughput_bps.mean > 0" "$r" >/dev/null ||
        fail "$name: no video goodput" ;;
      online-video) jq -e "$q.stream | objects" "$r" >/dev/null || fail "$name: no stream figures" ;;
    esac
    echo "$name: network outage $(jq -r "$c.metrics.downtime.network_outage_ms" "$r") ms, guest stall $(jq -r "$c.metrics.downtime.guest_stall_ms" "$r") ms, rtt p50 $(jq -r "$q.rtt_ms.p50" "$r") ms, loss $(jq -r "$q.loss_pct" "$r") %"
  done
}

# Warm-up round trip, measured: right after os-up this is the first migration to hostb, whose
# linuxbridge agent has never wired the instance's network (seconds of outage: 3.2 s by hand,
# 12 s under CI's load). The seed scenarios then measure the steady state.
"$bin" run "$REPO/tests/openstack/scenarios/first-migration.ini" -o "$work/first" \
  --journal "$work/journal" -q || fail "migtorture run first-migration.ini exited $?"
r=$work/first/results.json
[ "$(jq -r '.cells[0].verdict' "$r")" = pass ] || fail "first round trip: $(jq -r '.cells[0].reason' "$r")"
echo "first Nova round trip after os-up: network outage $(jq -r '.cells[0].metrics.downtime.network_outage_ms' "$r") ms, hypervisor downtime $(jq -r '.cells[0].metrics.downtime.hypervisor_downtime_ms' "$r") / $(jq -r '.cells[0].metrics.downtime.hop1.hypervisor_downtime_ms' "$r") ms"
"$bin" run "$REPO/scenarios/seed-openstack.ini" --repeat "${MT_OS_REPEAT:-1}" -o "$work/seed" \
  --journal "$work/journal"
rc=$?
# The scenario's outage threshold (5 s) is the thesis' steady-state SLA, judged on the figures
# of this run. A cell may fail it only where the migration itself was that slow: its outage
# must stay within its slowest hop as Nova timed it plus those 5 s (an outage past the hop
# that caused it means the network stayed broken after Nova said done). Measured: a CI run
# with builds beside it took 36-44 s per hop (4-6 s idle) and saw outages of 6.3-14.2 s.
[ $rc = 0 ] || [ $rc = 1 ] || fail "migtorture run seed-openstack.ini exited $rc"
echo "seed-openstack.ini: exit $rc, load average $(cut -d' ' -f1-3 /proc/loadavg)"
jq -c '.cells[] | {name, verdict, outage_ms: .metrics.downtime.network_outage_ms,
       hop_ms: [.metrics.migration.total_time_ms, .metrics.migration.hop1.total_time_ms],
       failed: [.checks[] | select(.held == false) | .expr]}' "$work/seed/results.json"
jq -e '[.cells[] | select(.verdict != "pass") |
        select(.verdict != "fail" or
               ([.checks[] | select(.held == false) | .expr | startswith("network_outage_ms")] | all | not) or
               .metrics.downtime.network_outage_ms >
                 ([.metrics.migration.total_time_ms, .metrics.migration.hop1.total_time_ms] | max) + 5000)]
       | length == 0' "$work/seed/results.json" > /dev/null ||
  fail "seed-openstack.ini: a cell failed other than by an outage within its slowest hop + 5 s"
check_cells "$work/seed/results.json" outage-judged
check_users "$work/seed/results.json"
"$bin" report -f markdown "$work/seed/results.json" | head -n 5
grep -rq -- "$(cat "$OS/secret")" "$work/seed" && fail "the password leaked into the results"

# Application credential of a user of its own, from the environment only; tbf on the migration
# link. While hop 0 runs, that user's password changes: Keystone revokes all its tokens, Nova
# answers the driver's next call 401, and the driver must take a new token from the application
# credential (which outlives the password change) and carry on (os-up turns Nova's token cache
# off so the revocation is seen at once).
token
KS=http://$OS_IP:5000
upw=$(head -c 15 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
uid=$(api POST "$KS/v3/users" "{\"user\":{\"name\":\"mt-nova-test-$$\",\"domain_id\":\"default\",\"password\":\"$upw\"}}" | jq -r .user.id)
[ -n "$uid" ] && [ "$uid" != null ] || fail "could not create a keystone user"
proj=$(api GET "$KS/v3/projects?name=admin" | jq -r '.projects[0].id')
rid=$(api GET "$KS/v3/roles?name=admin" | jq -r '.roles[0].id')
api PUT "$KS/v3/projects/$proj/users/$uid/roles/$rid" >/dev/null
utok=$(curl -fsS -D - -o /dev/null -H 'Content-Type: application/json' \
  -d "{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":{\"id\":\"$uid\",\"password\":\"$upw\"}}},\"scope\":{\"project\":{\"id\":\"$proj\"}}}}" \
  "$KS/v3/auth/tokens" | awk -F': ' 'tolower($1)=="x-subject-token"{print $2}' | tr -d '\r')
read -r acid acs < <(curl -fsS -H "X-Auth-Token: $utok" -H 'Content-Type: application/json' \
  -d "{\"application_credential\":{\"name\":\"mt-test-$$\"}}" \
  "$KS/v3/users/$uid/application_credentials" | jq -r '.application_credential | "\(.id) \(.secret)"')
[ -n "$acs" ] || fail "could not create an application credential"
sid=$(api GET "http://$OS_IP:8774/v2.1/servers?name=$OS_SERVER" | jq -r '.servers[0].id')
env -u OS_CLOUD OS_AUTH_URL="$KS/v3" OS_APPLICATION_CREDENTIAL_ID="$acid" \
  OS_APPLICATION_CREDENTIAL_SECRET="$acs" \
  "$bin" run "$REPO/tests/openstack/scenarios/appcred-fault.ini" -o "$work/ac" \
  --journal "$work/journal" > "$work/ac.log" 2>&1 &
runpid=$!
# The revocation lands while libvirt copies memory (Nova's record says "running"; ~10 s under
# the tbf): by then Nova's own pre-checks, which act with the user's token, are done. Revoked
# during them (a CI run, 1 s after the server showed "migrating"), Nova failed the migration
# itself ("failed" after 11 s) — Nova's behaviour, not the driver's that this cell tests.
st=
for _ in $(seq 1 120); do
  st=$(api GET "http://$OS_IP:8774/v2.1/servers/$sid/migrations" | jq -r '[.migrations[].status] | first // empty')
  [ "$st" = running ] && break
  sleep 0.25
done
[ "$st" = running ] || fail "the appcred cell's hop 0 was never seen running (Nova's record: '$st')"
sleep 0.5
api PATCH "$KS/v3/users/$uid" "{\"user\":{\"password\":\"$upw-new\"}}" >/dev/null
rc=0; wait $runpid || rc=$?
cat "$work/ac.log"
[ $rc = 0 ] || fail "migtorture run appcred-fault.ini exited $rc"
check_cells "$work/ac/results.json"
r=$work/ac/results.json
echo "tokens: $(jq -r '.cells[0].metrics.migration.nova_tokens' "$r"), of them after a 401: $(jq -r '.cells[0].metrics.migration.nova_unauthorized' "$r")"
jq -e '.cells[0].metrics.migration.nova_unauthorized >= 1 and .cells[0].metrics.migration.nova_tokens >= 2' "$r" >/dev/null ||
  fail "the revoked token was not answered by a new one"
grep -rq -- "$acs" "$work/ac" && fail "the application credential secret leaked into the results"

# Failures at the moments that matter, through Nova (tests/openstack/scenarios/failures.ini): the
# destination's L2 agent paused 10 s from the switch-over, and its nova-compute restarted as the
# first pre-copy pass begins. The anchors come from the source compute's libvirtd (Nova phases):
# each must have come and acted. What Nova and the client then saw is the measurement, printed
# for docs/failures-results.md; the lab must be whole again after (both computes up in Nova,
# the server ACTIVE and idle) for the cells below.
services_up() { api GET "http://$OS_IP:8774/v2.1/os-services?binary=nova-compute" |
  jq '[.services[] | select(.state == "up" and .status == "enabled")] | length'; }
rc=0
"$bin" run "$REPO/tests/openstack/scenarios/failures.ini" -o "$work/fail" \
  --journal "$work/journal" > "$work/fail.log" 2>&1 || rc=$?
cat "$work/fail.log"
r=$work/fail/results.json
[ -f "$r" ] || fail "failures.ini: no results (exit $rc)"
[ $rc = 0 ] || [ $rc = 3 ] || fail "failures.ini exited $rc"
seed_outages=$(jq -r '[.cells[].metrics.downtime.network_outage_ms | numbers | round] | map(tostring) | join(", ")' "$work/seed/results.json")
for cell in neutron-agent-paused nova-compute-restart; do
  c=".cells[] | select(.section == \"$cell\")"
  anchor=hop0.switchover kind=process-pause
  [ $cell = nova-compute-restart ] && anchor=hop0.iteration=1 kind=service-restart
  lag=$(jq -r --arg a "$anchor" --arg k "fault.on $kind" "[$c | .timeline[] | select(.anchor == \$a and (.what | startswith(\$k)))][0].trigger_lag_ms // empty" "$r")
  [ -n "$lag" ] || fail "$cell: no $kind at $anchor took effect (Nova phases: $(jq -r "$c | .metrics.migration.phase_events // \"\" | tostring" "$r"); timeline: $(jq -c "[$c | .timeline[] | .what]" "$r" | head -c 300))"
  # a pause takes effect at once; a restart's stop when the old daemon has exited (seconds)
  [ $kind = process-pause ] && { awk -v l="$lag" 'BEGIN { exit !(l >= 0 && l < 1000) }' ||
    fail "$cell: trigger lag $lag ms"; }
  echo "FIGURE: $cell: verdict $(jq -r "$c | .verdict" "$r") $(jq -r "$c | .reason // \"\"" "$r" | head -c 200); nova status $(jq -r "$c | .metrics.migration.nova_status // \"-\"" "$r"), server on $(jq -r "$c | .metrics.migration.host_after // \"-\"" "$r"), Nova API $(jq -r "$c | .metrics.migration.total_time_ms // \"-\"" "$r") ms, hypervisor downtime $(jq -r "$c | .metrics.downtime.hypervisor_downtime_ms // \"-\"" "$r") ms, client outage $(jq -r "$c | .metrics.downtime.network_outage_ms // \"-\"" "$r") ms (seed cells: $seed_outages ms); $kind at $anchor: trigger lag $lag ms"
done
c='.cells[] | select(.section == "neutron-agent-paused")'
[ "$(jq -r "$c | .verdict" "$r")" = pass ] ||
  fail "neutron-agent-paused: $(jq -r "$c | .verdict" "$r"): $(jq -r "$c | .reason" "$r")"
c='.cells[] | select(.section == "nova-compute-restart")'
recipe=$(jq -r "$c | .metrics.fault[\"service-restart\"][\"nova-compute\"].recipe // empty" "$r")
[[ "$recipe" =~ ^lab\ host[ab]\ nova-compute$ ]] || fail "nova-compute-restart: start recipe '$recipe'"
# the compute started by the recipe reports to Nova again; the server settles
t=$(date +%s%N)
for _ in $(seq 1 120); do [ "$(services_up)" = 2 ] && break; sleep 1; done
[ "$(services_up)" = 2 ] || fail "nova-compute-restart: the restarted compute is not up in Nova after 120 s"
echo "FIGURE: nova-compute-restart: both computes up in Nova $((($(date +%s%N) - t) / 1000000)) ms after the cell ($recipe)"
sv=
for _ in $(seq 1 120); do
  sv=$(api GET "http://$OS_IP:8774/v2.1/servers/$sid")
  [ "$(jq -r '.server.status + "/" + (.server["OS-EXT-STS:task_state"] // "none")' <<<"$sv")" = ACTIVE/none ] && break
  sleep 1
done
echo "FIGURE: after the failure cells the server is $(jq -r '.server.status' <<<"$sv"), task_state $(jq -r '.server["OS-EXT-STS:task_state"]' <<<"$sv"), on $(jq -r '.server["OS-EXT-SRV-ATTR:host"]' <<<"$sv")"
[ "$(jq -r '.server.status + "/" + (.server["OS-EXT-STS:task_state"] // "none")' <<<"$sv")" = ACTIVE/none ] ||
  fail "after the failure cells the server is not ACTIVE and idle"

# migrate.timeout through Nova: under 60 mbit each way a hop cannot finish in 8 s. abort →
# DELETE the migration: the cell is an error (exit 3) with the reason, the server stays, ACTIVE,
# on its host; force_complete → Nova pauses the guest and finishes: the hop counts, with a
# long downtime. The second cell also lets Nova's scheduler pick the destination.
before=$(api GET "http://$OS_IP:8774/v2.1/servers/$sid" | jq -r '.server["OS-EXT-SRV-ATTR:host"]')
rc=0
"$bin" run "$REPO/tests/openstack/scenarios/timeouts.ini" --only abort -o "$work/abort" \
  --journal "$work/journal" > "$work/abort.log" 2>&1 || rc=$?
r=$work/abort/results.json
[ $rc = 3 ] || { cat "$work/abort.log"; fail "abort cell: exit $rc, not 3"; }
[ "$(jq -r '.cells[0].verdict' "$r")" = error ] || fail "abort cell: verdict $(jq -r '.cells[0].verdict' "$r")"
jq -r '.cells[0].reason' "$r" | grep -q "did not finish within 8 s and was aborted" ||
  fail "abort cell: reason $(jq -r '.cells[0].reason' "$r")"
[ "$(jq -r '.cells[0].metrics.migration.on_timeout' "$r")" = abort ] || fail "abort cell: no abort sent"
# Nova names an aborted migration 'cancelled' only when its monitor's 0.5 s poll lands while
# libvirt still reports the job Cancelled; once the job is gone it guesses from the domain still
# running on the source and writes 'failed' (nova/virt/libvirt/driver.py _live_migration_monitor,
# migration.py find_job_type). Either is Nova's record of our abort; the server's place and the
# reason above are what show the abort worked.
ns=$(jq -r '.cells[0].metrics.migration.nova_status' "$r")
case $ns in cancelled|failed) ;; *) fail "abort cell: nova status $ns, not cancelled or failed";; esac
sv=$(api GET "http://$OS_IP:8774/v2.1/servers/$sid")
[ "$(jq -r '.server.status' <<<"$sv")/$(jq -r '.server["OS-EXT-SRV-ATTR:host"]' <<<"$sv")" = "ACTIVE/$before" ] ||
  fail "after the abort the server is $(jq -r '.server.status' <<<"$sv") on $(jq -r '.server["OS-EXT-SRV-ATTR:host"]' <<<"$sv"), not ACTIVE on $before"
echo "abort: $(jq -r '.cells[0].reason' "$r"); DELETE sent at $(jq -r '.cells[0].metrics.migration.timeout_action_ms' "$r") ms, nova status $ns, server ACTIVE on $before"
"$bin" run "$REPO/tests/openstack/scenarios/timeouts.ini" --only force-complete -o "$work/force" \
  --journal "$work/journal" > "$work/force.log" 2>&1 || { cat "$work/force.log"; fail "force-complete cell exited $?"; }
r=$work/force/results.json
[ "$(jq -r '.cells[0].metrics.migration.on_timeout' "$r")" = force_complete ] || fail "force-complete: not sent"
[ "$(jq -r '.cells[0].metrics.migration.nova_status' "$r")" = completed ] || fail "force-complete: not completed"
after=$(jq -r '.cells[0].metrics.migration.host_after' "$r")
[ "$after" != "$before" ] || fail "force-complete: the scheduler left the server on $before"
dt=$(jq -r '.cells[0].metrics.downtime.hypervisor_downtime_ms' "$r")
awk -v d="$dt" 'BEGIN { exit !(d >= 500) }' || fail "force-complete: downtime $dt ms (a paused copy should be long)"
echo "force_complete: sent at $(jq -r '.cells[0].metrics.migration.timeout_action_ms' "$r") ms, Nova API $(jq -r '.cells[0].metrics.migration.total_time_ms' "$r") ms, hypervisor downtime $dt ms, scheduler chose $after"
# A compute drained through Nova (tests/openstack/scenarios/evacuate.ini): a second server next
# to web-os (its own image, whose kernel command line gives it 198.18.0.21, and port), then
# migrate.evacuate moves every server on that compute, both requests at once. Nova runs
# max_concurrent_live_migrations (1, its default) per compute and queues the other: one server's
# record waits while the other migrates.
where=$(api GET "http://$OS_IP:8774/v2.1/servers/$sid" | jq -r '.server["OS-EXT-SRV-ATTR:host"]')
t=$(date +%s%N)
os_server_add web-os2 198.18.0.21 "$where" >/dev/null || fail "evacuate: cannot start web-os2 (above)"
echo "second server web-os2 on $where, serving: $((($(date +%s%N) - t) / 1000000)) ms"
rc=0
"$bin" run "$REPO/tests/openstack/scenarios/evacuate.ini" -o "$work/evac" \
  --journal "$work/journal" > "$work/evac.log" 2>&1 || rc=$?
cat "$work/evac.log"
r=$work/evac/results.json
[ $rc = 0 ] || fail "evacuate.ini exited $rc"
e() { jq -r ".cells[0].metrics.$1 // \"-\"" "$r"; }
[ "$(e migration.evacuated)" = "web-os web-os2" ] || fail "evacuate: moved '$(e migration.evacuated)', not both servers"
[ "$(e migration.vms_migrated)" = 2 ] || fail "evacuate: $(e migration.vms_migrated) of 2 moved"
for v in web-os web-os2; do
  h=$(jq -r --arg v "$v" '.cells[0].metrics.vm[$v].migration.host_after' "$r")
  [ -n "$h" ] && [ "$h" != "$where" ] || fail "evacuate: $v ended on '$h'"
  [[ "$(jq -r --arg v "$v" '.cells[0].metrics.vm[$v].downtime.network_outage_ms' "$r")" =~ ^[0-9.]+$ ]] ||
    fail "evacuate: no outage measured for $v"
done
# Both requests were in flight at once, yet Nova ran them one after the other: the later one's
# record stayed accepted/queued (nova_queued_ms) at least until the earlier one had passed Nova's
# pre-checks (its own nova_queued_ms) and libvirt had moved it. (By hand: 13.2 s against
# 3.5 + 1.6 s.)
jq -e '.cells[0].metrics.migration.concurrency_max == 2' "$r" >/dev/null || fail "evacuate: the requests were not sent together"
read -r qe le ql < <(jq -r '[.cells[0].metrics.vm[] | .migration] | sort_by(.nova_queued_ms // 0) |
  "\(.[0].nova_queued_ms // 0) \(.[0].libvirt_total_time_ms // 0) \(.[1].nova_queued_ms // 0)"' "$r")
awk -v qe="$qe" -v le="$le" -v ql="$ql" 'BEGIN { exit !(ql >= qe + le) }' ||
  fail "evacuate: Nova did not queue the second migration (waits $qe and $ql ms, the first's libvirt migration $le ms)"
echo "FIGURE: Nova evacuation of $where: $(e migration.evacuation_time_ms) ms for both; $(jq -r '.cells[0].metrics.vm | to_entries[] | "\(.key): queued \(.value.migration.nova_queued_ms // "-") ms, Nova API \(.value.migration.total_time_ms) ms, libvirt \(.value.migration.libvirt_total_time_ms) ms, downtime \(.value.downtime.hypervisor_downtime_ms) ms, outage \(.value.downtime.network_outage_ms) ms"' "$r" | tr '\n' ';')"

ok "Nova migrated the instance both ways (password; application credential through a token revocation, with a tbf fault); the L2 agent paused at the switch-over and nova-compute restarted mid-hop; timeout abort and force_complete; scheduler target; a compute drained of two servers"
