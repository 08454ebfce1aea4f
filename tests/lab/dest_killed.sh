#!/bin/bash
# driver_dest_killed.sh — the destination dies in the middle of a migration: the
# cell ends `error` with libvirt's message, the run exits 3, and the VM keeps running and
# serving on the source. "Dies" = the destination's incoming QEMU is SIGKILLed (by the PID
# libvirt wrote for it, a process the lab started) a second into a bandwidth-capped migration;
# the destination's libvirtd stays, so the lab is usable afterwards.
source "$(dirname "$0")/lib.sh"
need_lab
lab_ensure_up
need_bin
work=$(mktemp -d /tmp/mt-dest-killed.XXXXXX)
run_pid=""
trap '[ -n "$run_pid" ] && kill "$run_pid" 2>/dev/null; rm -rf "$work"' EXIT

guest_hosts
pidfile=$STATE/$dst/run/qemu/web.pid
old=$(cat "$pidfile" 2>/dev/null || true)

{ capped_migration_ini "$src" "$dst" 90s; echo "[dest-killed]"; } >"$work/kill.ini"
"$bin" run "$work/kill.ini" -o "$work/out" --journal "$work/journal" -q >"$work/log" 2>&1 &
run_pid=$!
# the destination's incoming QEMU: a new pid in its pid file, alive
victim=$(incoming_qemu "$pidfile" "$old")
[ -n "$victim" ] || fail "the destination QEMU never started ($(tail -n 2 "$work/log"))"
sleep 1
kill -KILL "$victim"
rc=0
wait "$run_pid" || rc=$?   # (lib.sh sets -e: the expected non-zero exit must not end us)
run_pid=""
[ "$rc" = 3 ] || fail "migtorture run exited $rc, expected 3 ($(tail -n 2 "$work/log"))"
r=$work/out/results.json
[ "$(jq -r '.cells[0].verdict' "$r")" = error ] || fail "cell verdict is not error"
reason=$(jq -r '.cells[0].reason' "$r")
echo "reason: $reason"
[ -n "$reason" ] && [ "$reason" != null ] || fail "no reason"
running_on "$src" || fail "the guest is not running on the source $src any more"
http_ok / || fail "the guest does not serve HTTP on the source after the failed migration"
ok "destination QEMU killed mid-migration: cell error with libvirt's reason, guest still on $src and serving"
