#!/bin/bash
# failures.sh CASE BIN — failure semantics without the lab (docs/architecture.md §4). Root.
#
#   stress-missing  PATH holds no stress-ng: the stress cell is `error` with a one-line reason
#                   naming the Debian package, its tbf is undone, the next cell runs, exit 3,
#                   results.json holds both cells
#   disk-full       the output directory is a 4 KiB tmpfs: a clear error, exit 3, the faults
#                   undone, no temp file or process left (the tmpfs is unmounted after)
#
# Works in its own namespace mtt-tort-<pid>-f (veth end with a planted pfifo qdisc that must
# come back exactly); deleted at the end, also on failure.
set -u
CASE=${1:?case}
BIN=${2:?migtorture binary}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (namespace, qdisc, mount)"; exit 77; }
command -v jq >/dev/null || { echo "SKIP: jq not installed"; exit 77; }
NS="mtt-tort-$$-f"
TMP=$(mktemp -d /tmp/mtt-fail.XXXXXX)
cleanup() {
	mountpoint -q "$TMP/out" 2>/dev/null && umount "$TMP/out"
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$TMP/run.log" ] && sed 's/^/    /' "$TMP/run.log"; exit 1; }

ip netns add "$NS" || { echo "SKIP: cannot create a namespace"; exit 77; }
ip -n "$NS" link add ttf0 type veth peer name ttf1 || fail "veth"
ip -n "$NS" link set ttf0 up && ip -n "$NS" link set ttf1 up
ip netns exec "$NS" tc qdisc add dev ttf0 root handle 1: pfifo limit 77 || fail "pfifo"
BASE=$(ip netns exec "$NS" tc qdisc show dev ttf0)

cat >"$TMP/s.ini" <<EOF
[host:h]
kind = local
netns = $NS

[global]
source = none
dest = none
migrate.count = 0
warmup = 100ms
cooldown = 300ms
targets = h

[a-stress]
fault = tbf dev=ttf0 host=h rate=10mbit
stress = host-cpu host=h workers=1 load=10%

[b-plain]
fault = tbf dev=ttf0 host=h rate=20mbit
EOF
"$BIN" validate "$TMP/s.ini" >/dev/null || fail "scenario invalid"

check_clean() {
	[ "$(ip netns exec "$NS" tc qdisc show dev ttf0)" = "$BASE" ] ||
		fail "qdisc not restored: $(ip netns exec "$NS" tc qdisc show dev ttf0)"
	[ -z "$(ip netns pids "$NS")" ] || fail "processes left in $NS: $(ip netns pids "$NS")"
	jq -es '([.[] | select(.op=="open") | .id] - [.[] | select(.op=="close") | .id]) | length == 0' \
		"$TMP/journal" >/dev/null || fail "journal entries left open"
}

case $CASE in
stress-missing)
	mkdir "$TMP/empty"
	PATH="$TMP/empty" "$BIN" run "$TMP/s.ini" -o "$TMP/out" --journal "$TMP/journal" \
		>"$TMP/run.log" 2>&1
	rc=$?
	[ "$rc" = 3 ] || fail "exit $rc, want 3"
	R="$TMP/out/results.json"
	[ "$(jq '.cells | length' "$R")" = 2 ] || fail "results hold $(jq '.cells | length' "$R") cells, want 2"
	v=$(jq -r '.cells[0].verdict' "$R")
	why=$(jq -r '.cells[0].reason // .cells[0].verdict_reason // empty' "$R")
	[ "$v" = error ] || fail "stress cell verdict '$v', want error"
	grep -q 'Debian package stress-ng' <<<"$why" || fail "reason does not name the package: '$why'"
	[ "$(wc -l <<<"$why")" = 1 ] || fail "reason is not one line: '$why'"
	v=$(jq -r '.cells[1].verdict' "$R")
	[ "$v" = pass ] || fail "next cell verdict '$v', want pass (it must run)"
	check_clean
	echo "ok: stress-ng missing: cell error ('$why'), tbf undone, next cell passed, exit 3"
	;;
disk-full)
	mkdir "$TMP/out"
	mount -t tmpfs -o size=4k,nr_inodes=16 mtt-tort-full "$TMP/out" ||
		{ echo "SKIP: cannot mount a tmpfs"; exit 77; }
	"$BIN" run "$TMP/s.ini" -o "$TMP/out" --journal "$TMP/journal" >"$TMP/run.log" 2>&1
	rc=$?
	[ "$rc" = 3 ] || fail "exit $rc, want 3"
	grep -q 'No space left on device' "$TMP/run.log" || fail "no clear 'No space left' error"
	left=$(ls -A "$TMP/out" | grep -vx logs)
	[ -z "$left" ] || [ "$left" = results.json ] || fail "left in the output dir: $left"
	# The cells' kept logs (docs/results.md) may stay, but whole: here only stress-ng's, which
	# ends with a newline; one the full disk cut short must be gone, not left half written.
	if [ -d "$TMP/out/logs" ]; then
		for f in $(find "$TMP/out/logs" -type f); do
			[ -s "$f" ] && [ "$(tail -c1 "$f" | od -An -c | tr -d ' ')" = '\n' ] ||
				fail "a half-written log left: $f ($(wc -c < "$f") bytes)"
		done
		echo "kept logs: $(find "$TMP/out/logs" -type f -printf '%P %s B; ')"
	fi
	check_clean
	echo "ok: disk full: exit 3, '$(grep -m1 'No space' "$TMP/run.log")', faults undone"
	;;
*) fail "unknown case $CASE" ;;
esac
