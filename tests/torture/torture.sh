#!/bin/bash
# torture.sh — crash/recover torture without the lab (docs/architecture.md §7).
#
#   torture.sh kill BIN ITERATIONS SEED   SIGKILL `migtorture run` at a seeded random moment,
#                                         `migtorture recover`, then check the system
#   torture.sh term BIN ITERATIONS SEED   SIGTERM instead: exit 143 and nothing left, no recover
#
# Everything it touches is its own: two network namespaces mtt-tort-<pid>-{a,b} joined by a veth
# pair (198.18.251.0/30), a pfifo qdisc planted on one end (it must come back EXACTLY), a temp
# directory, and a stand-in daemon (a sleep outside the namespaces, named by a pid file). The
# scenario (no migration, source = none) applies tbf, link-flap, link-down, partition and
# host-cpu stress-ng inside those namespaces and process-pause (SIGSTOP) on the stand-in: it must
# never be left stopped. Deleted at the end, also on failure.
# Every iteration prints its measurement (signal moment, run exit, recover exits). A wrong run
# exit, a SIGTERM run without partial results, a failed or non-idempotent recover is a failure.
# Prints "N runs, K leftovers, F failures"; exits 1 when anything was left or failed, 77 when
# it cannot run here.
set -u
MODE=${1:?mode kill|term}
BIN=${2:?migtorture binary}
N=${3:-20}
SEED=${4:-1}

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (namespaces, qdiscs, nftables)"; exit 77; }
for t in ip tc nft stress-ng jq; do
	command -v "$t" >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done

P="mtt-tort-$$"
NSA="$P-a"
NSB="$P-b"
TMP=$(mktemp -d /tmp/mtt-tort.XXXXXX)
STANDIN=
cleanup() {
	[ -n "$STANDIN" ] && kill -KILL "$STANDIN" 2>/dev/null
	ip netns del "$NSA" 2>/dev/null
	ip netns del "$NSB" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ip netns add "$NSA" && ip netns add "$NSB" || { echo "SKIP: cannot create namespaces"; exit 77; }
ip link add tta0 netns "$NSA" type veth peer name ttb0 netns "$NSB" || {
	echo "SKIP: cannot create veth"; exit 77; }
# no IPv6: link-local addresses come and go with every flap and would blur the comparison
ip netns exec "$NSA" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec "$NSB" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip -n "$NSA" addr add 198.18.251.1/30 dev tta0
ip -n "$NSB" addr add 198.18.251.2/30 dev ttb0
ip -n "$NSA" link set tta0 up
ip -n "$NSB" link set ttb0 up
# A non-default qdisc that must be restored exactly (tbf replaces it, undo puts it back).
ip netns exec "$NSA" tc qdisc add dev tta0 root handle 1: pfifo limit 77 || {
	echo "SKIP: cannot add a pfifo qdisc"; exit 77; }

# The state every check compares against.
snapshot() {
	local ns
	for ns in "$NSA" "$NSB"; do
		echo "== $ns"
		ip netns exec "$ns" tc qdisc show
		ip -n "$ns" -o link show | sed -E 's/^[0-9]+: //; s/ +link\/.*//'
		ip -n "$ns" -o addr show | awk '{print $2, $3, $4}'
		ip netns exec "$ns" nft list tables
	done
}
for _ in $(seq 50); do # carrier on both ends before the reference snapshot
	ip -n "$NSB" -o link show ttb0 | grep -q 'state UP' &&
		ip -n "$NSA" -o link show tta0 | grep -q 'state UP' && break
	sleep 0.1
done
# The process-pause target: ours, started here, stopped by the runner, never left stopped. In a
# session of its own: the runner refuses to signal its own process group, which it would share.
setsid sleep 100000 &
STANDIN=$!
echo "$STANDIN" >"$TMP/standin.pid"
BASE=$(snapshot)
grep -q 'pfifo 1: dev tta0 root.*limit 77p' <<<"$BASE" || { echo "FAIL: planted qdisc missing"; exit 1; }

cat >"$TMP/torture.ini" <<EOF
; crash/recover torture (tests/torture/torture.sh): faults and host stress in two namespaces
[host:ha]
kind = local
netns = $NSA

[host:hb]
kind = local
netns = $NSB

[global]
description = torture: tbf, link-flap, link-down, partition, host-cpu, process-pause
source = none
dest = none
migrate.count = 0
warmup = 200ms
cooldown = 2s
repeat = 3
targets = ha, hb

[flap]
fault = tbf dev=tta0 host=ha rate=10mbit + link-flap dev=ttb0 host=hb down=300ms period=600ms count=3 + partition host=ha a=198.18.251.1 b=198.18.251.2 + process-pause host=ha pidfile=$TMP/standin.pid for=1500ms
stress = host-cpu host=ha workers=1 load=30%

[down]
fault = tbf dev=tta0 host=ha rate=5mbit + link-down dev=ttb0 host=hb at=100ms + partition host=hb a=198.18.251.2 b=198.18.251.1 oneway=yes
stress = host-cpu host=ha workers=1 load=30%
EOF
"$BIN" validate "$TMP/torture.ini" >/dev/null || { echo "FAIL: torture scenario invalid"; exit 1; }

# Processes left: anything still inside our namespaces, any process in a process group the
# journal recorded, any stress-ng naming our temp dir or our namespaces.
leftover_procs() {
	local journal=$1 pg p cmd
	ip netns pids "$NSA" 2>/dev/null | sed 's/^/in-netns-a pid /'
	ip netns pids "$NSB" 2>/dev/null | sed 's/^/in-netns-b pid /'
	for pg in $(jq -r 'select(.op=="open" and .kind=="process") | .undo.pgid' "$journal" \
			2>/dev/null); do
		for p in /proc/[0-9]*; do
			# fields after the comm: state ppid pgrp; zombies are gone but for the reaping
			[ "$(sed -E 's/.*\) //' "$p/stat" 2>/dev/null | awk '$1 != "Z" {print $3}')" = "$pg" ] &&
				echo "pgid $pg pid ${p#/proc/} $(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)"
		done
	done
	for p in /proc/[0-9]*; do
		cmd=$(tr '\0' ' ' 2>/dev/null <"$p/cmdline") || continue
		case "$cmd" in
		*stress-ng*"$TMP"* | *stress-ng*"$P"*) echo "stress-ng pid ${p#/proc/}: $cmd" ;;
		esac
	done
}

# The stand-in daemon must be alive and running (not 'T', stopped by a pause nobody undid).
standin_state() {
	local st
	st=$(sed -E 's/.*\) //' "/proc/$STANDIN/stat" 2>/dev/null | awk '{print $1}')
	case "$st" in
	'') echo "iter $1: the stand-in daemon (pid $STANDIN) is gone" ;;
	T | t) echo "iter $1: the stand-in daemon (pid $STANDIN) was left stopped (state $st)" ;;
	esac
}

# Ids opened and never closed in a journal.
open_entries() {
	jq -rs '[.[] | select(.op=="open") | .id] - [.[] | select(.op=="close") | .id] | .[]' \
		"$1" 2>/dev/null
}

# Every check; prints one line per leftover.
check() {
	local i=$1 journal=$2 runpid=$3 now
	now=$(snapshot)
	[ "$now" = "$BASE" ] || diff <(echo "$BASE") <(echo "$now") | sed "s/^/iter $i state: /"
	ip -n "$NSA" -o link show tta0 | grep -q '[<,]UP[,>]' || echo "iter $i: tta0 not up"
	ip -n "$NSB" -o link show ttb0 | grep -q '[<,]UP[,>]' || echo "iter $i: ttb0 not up"
	nft list tables 2>/dev/null | grep "mt_partition_${runpid}_" | sed "s/^/iter $i host nft: /"
	standin_state "$i"
	leftover_procs "$journal" | sed "s/^/iter $i process: /"
	# stress-ng's private temp dirs (journalled "tmpdir" entries: recover removes them)
	find "$TMP" -maxdepth 1 -name 'mt-stress-ng-*' | sed "s/^/iter $i temp dir: /"
	[ -z "$(open_entries "$journal")" ] || echo "iter $i: journal entries still open: $(
		open_entries "$journal" | tr '\n' ' ')"
}

# One whole run first (each section once): every fault must apply and undo cleanly in the
# namespaces (exit 0), or the crashes below would test a broken run.
TMPDIR="$TMP" "$BIN" run -q --repeat 1 "$TMP/torture.ini" -o "$TMP/out.0" \
	--journal "$TMP/journal.0" >"$TMP/run.0.log" 2>&1
rc=$?
echo "uninterrupted run: exit $rc"
[ "$rc" = 0 ] || { echo "FAIL: the uninterrupted run exited $rc:"; cat "$TMP/run.0.log"; exit 1; }
for _ in $(seq 20); do # carrier comes back asynchronously
	res=$(check 0 "$TMP/journal.0" 0)
	[ -z "$res" ] && break
	sleep 0.1
done
[ -z "$res" ] || { echo "FAIL: the uninterrupted run left:"; echo "$res"; exit 1; }

RANDOM=$SEED
left=0
failed=0
# fail MSG — a wrong outcome of this iteration: printed and counted
fail() { echo "iter $i FAIL: $*"; failed=$((failed + 1)); }
# A recover that finds no journal (the SIGKILL came before the runner opened it) or nothing
# open is a no-op; anything else from the second recover is not.
noop_recover() { grep -q -e 'nothing open' -e 'nothing to recover' "$1"; }
t0=$(date +%s.%N)
for ((i = 1; i <= N; i++)); do
	journal="$TMP/journal.$i"
	out="$TMP/out.$i"
	# a moment between 0.2 s and the cell length (2.2 s)
	ms=$((200 + (RANDOM * 32768 + RANDOM) % 2001))
	# TMPDIR: stress-ng's temp path is under our dir, so a leftover is recognisable by it
	TMPDIR="$TMP" "$BIN" run -q "$TMP/torture.ini" -o "$out" --journal "$journal" --seed "$i" \
		>"$TMP/run.$i.log" 2>&1 &
	runpid=$!
	sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
	if [ "$MODE" = kill ]; then
		kill -KILL "$runpid" 2>/dev/null
		{ wait "$runpid"; } 2>/dev/null
		rc=$?
		# the run lasts ~14 s (6 cells), the signal comes within 2.2 s: always mid-run
		[ "$rc" = 137 ] || fail "SIGKILL at ${ms}ms: exit $rc (want 137): $(
			tail -3 "$TMP/run.$i.log")"
		# MTT_TORTURE_NO_RECOVER=1 skips recover: the checks must then find leftovers
		if [ -n "${MTT_TORTURE_NO_RECOVER:-}" ]; then
			rrc=0 rrc2=0; : >"$TMP/recover.$i.log"; echo 'nothing open' >"$TMP/recover2.$i.log"
		else
			"$BIN" recover --journal "$journal" >"$TMP/recover.$i.log" 2>&1
			rrc=$?
			"$BIN" recover --journal "$journal" >"$TMP/recover2.$i.log" 2>&1
			rrc2=$?
		fi
		echo "iter $i: SIGKILL at ${ms}ms, run exit $rc, recover exit $rrc ($(
			grep -c . "$TMP/recover.$i.log") lines), second recover exit $rrc2"
		[ "$rrc" = 0 ] || fail "recover exit $rrc: $(cat "$TMP/recover.$i.log")"
		{ [ "$rrc2" = 0 ] && noop_recover "$TMP/recover2.$i.log"; } ||
			fail "second recover was not a no-op (exit $rrc2): $(cat "$TMP/recover2.$i.log")"
	else
		kill -TERM "$runpid" 2>/dev/null
		{ wait "$runpid"; } 2>/dev/null
		rc=$?
		partial=no
		[ -f "$out/results.json" ] && [ "$(jq .interrupted "$out/results.json")" = true ] &&
			partial=yes
		echo "iter $i: SIGTERM at ${ms}ms, run exit $rc, partial results.json: $partial"
		# the run lasts ~14 s (6 cells), the signal comes within 2.2 s: always mid-run
		[ "$rc" = 143 ] ||
			fail "SIGTERM at ${ms}ms: exit $rc (want 143): $(tail -3 "$TMP/run.$i.log")"
		[ "$partial" = yes ] ||
			fail "SIGTERM: no partial results.json marked interrupted: $(
				tail -3 "$TMP/run.$i.log")"
	fi
	# Links and killed processes settle asynchronously (carrier, reaping): what is still there
	# after 2 s is a leftover.
	for _ in $(seq 20); do
		sleep 0.1
		res=$(check "$i" "$journal" "$runpid")
		[ -z "$res" ] && break
	done
	if [ -n "$res" ]; then
		echo "$res"
		echo "iter $i: signal at ${ms}ms, run exit $rc; run log:"
		sed 's/^/    /' "$TMP/run.$i.log" | tail -20
		left=$((left + $(wc -l <<<"$res")))
		# put things back so one leftover does not cascade into every later iteration
		"$BIN" recover --journal "$journal" >/dev/null 2>&1
	fi
	rm -rf "$out"
done
t1=$(date +%s.%N)
printf '%d runs, %d leftovers, %d failures (mode %s, seed %s, %.1f s)\n' "$N" "$left" \
	"$failed" "$MODE" "$SEED" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"
[ "$left" = 0 ] && [ "$failed" = 0 ]
