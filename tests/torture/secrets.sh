#!/bin/bash
# secrets.sh BIN — planted credentials never reach an output (docs/architecture.md §8).
#
# A fake Ceph keyring (given as keyring= to an osd-down fault) and a fake ssh identity (a
# [host:far] kind=ssh section, address 127.0.0.1 so nothing leaves the machine) hold a marker
# string. validate, plan (text and JSON), run (refused by the blast radius, then with
# --allow-host-faults so librados reads the keyring, then --dry-run), report in every format and
# recover run; every stdout, stderr, results file, report and the journal must lack the marker
# (the files' PATHS may appear). Also: the results file and journal of a scenario naming
# credential files are mode 0600, and an existing non-empty output directory is refused
# without --force.
set -u
BIN=${1:?migtorture binary}
TMP=$(mktemp -d /tmp/mtt-secrets.XXXXXX)
[ -n "${MTT_KEEP:-}" ] || trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

SECRET="MTTSECRET-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
printf '[client.admin]\n\tkey = %s==\n' "$SECRET" >"$TMP/keyring"
printf -- '-----BEGIN OPENSSH PRIVATE KEY-----\n%s\n-----END OPENSSH PRIVATE KEY-----\n' \
	"$SECRET" >"$TMP/id_secret"
chmod 600 "$TMP/keyring" "$TMP/id_secret"
: >"$TMP/known_hosts"
printf '[global]\nmon_host = 127.0.0.1:1\nkeyring = %s\n' "$TMP/keyring" >"$TMP/ceph.conf"

cat >"$TMP/s.ini" <<EOF
[host:far]
kind = ssh
address = 127.0.0.1
identity = $TMP/id_secret
known_hosts = $TMP/known_hosts

[global]
source = none
dest = none
migrate.count = 0
warmup = 100ms
cooldown = 200ms
targets = far

[osd]
fault = osd-down id=1 keyring=$TMP/keyring conf=$TMP/ceph.conf ceph=$TMP/ceph.json timeout=1s wait_clean=0s

[ssh]
stress = host-cpu host=far workers=1 load=10%
EOF
J="$TMP/journal"
n=0
step() { # step NAME EXPECTED-EXIT-REGEX CMD...
	local name=$1 want=$2 rc
	shift 2
	n=$((n + 1))
	"$@" >"$TMP/o.$n.$name.stdout" 2>"$TMP/o.$n.$name.stderr"
	rc=$?
	[[ $rc =~ ^($want)$ ]] || fail "$name: exit $rc, want $want: $(head -c 600 "$TMP/o.$n.$name.stderr")"
}
step validate 0 "$BIN" validate "$TMP/s.ini"
step plan 0 "$BIN" plan "$TMP/s.ini"
step plan-json 0 "$BIN" plan --json "$TMP/s.ini"
step run 3 "$BIN" run -v "$TMP/s.ini" -o "$TMP/out1" --journal "$J"
step run-host 3 "$BIN" run -vv --allow-host-faults "$TMP/s.ini" -o "$TMP/out2" --journal "$J"
step dry-run '[0-9]+' "$BIN" run --dry-run --allow-host-faults "$TMP/s.ini" -o "$TMP/out3" \
	--journal "$J"
for d in out1 out2; do
	[ -f "$TMP/$d/results.json" ] || fail "$d: no results.json"
	for f in json junit openmetrics html markdown; do
		step "report-$d-$f" 0 "$BIN" report -f "$f" "$TMP/$d/results.json"
		step "report-$d-$f-file" 0 "$BIN" report -f "$f" -o "$TMP/$d/report.$f" \
			"$TMP/$d/results.json"
	done
	# results naming credential files are readable by root only
	for f in results.json report.json report.junit report.openmetrics report.html report.markdown; do
		mode=$(stat -c %a "$TMP/$d/$f")
		[ "$mode" = 600 ] || fail "$d/$f mode $mode, want 600 (the scenario names credential files)"
	done
done
step recover 0 "$BIN" recover --journal "$J"
step recover2 0 "$BIN" recover --journal "$J"
[ -f "$J" ] || fail "no journal written"
mode=$(stat -c %a "$J")
[ "$mode" = 600 ] || fail "journal mode $mode, want 600"

# The paths are fine (the user wrote them); the content never.
grep -q "$TMP/keyring" "$TMP/out2/results.json" "$TMP"/o.* ||
	echo "note: the keyring path appears nowhere (fine)"
leaks=$(grep -rl -- "$SECRET" "$TMP" | grep -v -e "^$TMP/keyring\$" -e "^$TMP/id_secret\$" \
	-e "^$TMP/ceph.conf\$")
[ -z "$leaks" ] || fail "secret content found in: $leaks"
checked=$(find "$TMP" -type f | grep -c -v -e '/keyring$' -e '/id_secret$' -e '/ceph.conf$')
echo "ok: secret absent from $checked outputs ($n commands: stdout, stderr, results, reports, journal)"

# An existing non-empty output directory is refused without --force, accepted with it.
mkdir -p "$TMP/full" && echo keep >"$TMP/full/precious"
"$BIN" run "$TMP/s.ini" -o "$TMP/full" --journal "$J" >"$TMP/full.out" 2>&1
rc=$?
[ "$rc" = 2 ] || [ "$rc" = 3 ] || fail "non-empty output dir: exit $rc, want 2 or 3"
grep -qi -- "--force" "$TMP/full.out" || fail "refusal does not mention --force: $(cat "$TMP/full.out")"
[ ! -e "$TMP/full/results.json" ] || fail "results.json written into a non-empty dir without --force"
[ "$(cat "$TMP/full/precious")" = keep ] || fail "existing file changed"
"$BIN" run --force "$TMP/s.ini" -o "$TMP/full" --journal "$J" >/dev/null 2>&1
[ -f "$TMP/full/results.json" ] || fail "--force: no results.json"
# and a run naming no credential file stays readable by all
grep -v -e '^identity' -e '^fault = osd' "$TMP/s.ini" >"$TMP/plain.ini"
"$BIN" run "$TMP/plain.ini" -o "$TMP/plain" --journal "$J" >/dev/null 2>&1
mode=$(stat -c %a "$TMP/plain/results.json" 2>/dev/null)
[ "$mode" = 644 ] || fail "results of a run naming no credentials: mode '$mode', want 644"
echo "ok: non-empty output directory refused without --force (exit $rc), written with it"
