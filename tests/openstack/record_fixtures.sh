#!/bin/bash
# record_fixtures.sh OUTDIR — records REAL Keystone/Nova answers from the running OpenStack lab
# (lab/openstack/os-up) for the unit tests (tests/unit/fixtures/nova/). It live-migrates the
# lab server once (hosta → hostb, polling fast to catch the in-progress record) and provokes
# the errors the driver maps (400, 401, 404, 406, 409). Tokens and passwords are never written:
# token bodies carry no secret (the token is a header), and the files are checked for the
# password before they are kept.
set -euo pipefail
OUT=${1:?usage: record_fixtures.sh OUTDIR}
HERE=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
. "$HERE/../../lab/openstack/lib.sh"
mkdir -p "$OUT"
PASS=$(cat "$OS/secret")
N="http://$OS_IP:8774/v2.1"
rec() { # rec FILE METHOD URL [BODY] — saves the body, prints the HTTP code
  local f=$1; shift
  curl -sS -o "$OUT/$f" -w '%{http_code}' -X "$1" -H "X-Auth-Token: $TOKEN" \
    -H 'Content-Type: application/json' -H "OpenStack-API-Version: compute ${MV:-2.80}" \
    ${3:+-d "$3"} "$2"
}
body='{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"admin","domain":{"name":"Default"},"password":"'$PASS'"}}},"scope":{"project":{"name":"admin","domain":{"name":"Default"}}}}}'
curl -sS -D "$OUT/.h" -o "$OUT/keystone_token.json" -H 'Content-Type: application/json' -d "$body" "http://$OS_IP:5000/v3/auth/tokens" >/dev/null
TOKEN=$(awk -F': ' 'tolower($1)=="x-subject-token"{print $2}' "$OUT/.h" | tr -d '\r'); rm -f "$OUT/.h"
curl -sS -o "$OUT/keystone_401.json" -H 'Content-Type: application/json' \
  -d "${body/$PASS/wrong-password}" "http://$OS_IP:5000/v3/auth/tokens" >/dev/null
# an application credential of admin, and the token it gives (unscoped request, scoped answer)
uid=$(jq -r .token.user.id "$OUT/keystone_token.json")
curl -sS -o "$OUT/.ac" -H "X-Auth-Token: $TOKEN" -H 'Content-Type: application/json' \
  -d '{"application_credential":{"name":"mt-record","roles":[{"name":"admin"}]}}' \
  "http://$OS_IP:5000/v3/users/$uid/application_credentials"
acid=$(jq -r .application_credential.id "$OUT/.ac"); acs=$(jq -r .application_credential.secret "$OUT/.ac")
rm -f "$OUT/.ac"
curl -sS -o "$OUT/keystone_token_appcred.json" -H 'Content-Type: application/json' \
  -d '{"auth":{"identity":{"methods":["application_credential"],"application_credential":{"id":"'$acid'","secret":"'$acs'"}}}}' \
  "http://$OS_IP:5000/v3/auth/tokens" >/dev/null
echo "$acid $acs" > "$OS/appcred"   # for the lab test (stays in the lab's state dir, 0600)
chmod 600 "$OS/appcred"
rec nova_servers_list.json GET "$N/servers?all_tenants=1&name=%5Eweb-os%24" >/dev/null
sid=$(jq -r '.servers[0].id' "$OUT/nova_servers_list.json")
rec nova_server_active.json GET "$N/servers/$sid" >/dev/null
rec nova_404_server.json GET "$N/servers/00000000-0000-0000-0000-000000000000" >/dev/null
MV=2.999 rec nova_406_microversion.json GET "$N/servers/$sid" >/dev/null
rec nova_400_nohost.json POST "$N/servers/$sid/action" '{"os-migrateLive":{"host":"nohost","block_migration":"auto"}}' >/dev/null
# the real migration: catch the server migrating and the in-progress migration record
rec .post POST "$N/servers/$sid/action" '{"os-migrateLive":{"host":"hostb","block_migration":"auto"}}' >/dev/null
got_run=0 got_srv=0
for _ in $(seq 1 200); do
  if [ $got_run = 0 ]; then
    rec .m GET "$N/servers/$sid/migrations" >/dev/null
    if [ "$(jq '.migrations | length' "$OUT/.m")" -gt 0 ]; then
      cp "$OUT/.m" "$OUT/nova_server_migrations_running.json"
      [ "$(jq '.migrations[0].memory_processed_bytes // 0' "$OUT/.m")" -gt 0 ] && got_run=1
    fi
  fi
  if [ $got_srv = 0 ]; then
    rec .s GET "$N/servers/$sid" >/dev/null
    if [ "$(jq -r '.server["OS-EXT-STS:task_state"]' "$OUT/.s")" = migrating ]; then
      cp "$OUT/.s" "$OUT/nova_server_migrating.json"; got_srv=1
      code=$(rec nova_409_migrating.json POST "$N/servers/$sid/action" '{"os-migrateLive":{"host":"hostb","block_migration":"auto"}}')
      echo "409 probe: HTTP $code"
    fi
  fi
  rec .s2 GET "$N/servers/$sid" >/dev/null
  [ "$(jq -r '.server["OS-EXT-STS:task_state"]' "$OUT/.s2")" = null ] && [ $got_srv = 1 ] && break
  sleep 0.2
done
sleep 3
rec nova_os_migrations.json GET "$N/os-migrations?instance_uuid=$sid&migration_type=live-migration" >/dev/null
rec nova_server_after.json GET "$N/servers/$sid" >/dev/null
rm -f "$OUT"/.m "$OUT"/.s "$OUT"/.s2 "$OUT"/.post
if grep -rl -- "$PASS" "$OUT" || grep -rl -- "$acs" "$OUT" || grep -rl -- "$TOKEN" "$OUT"; then
  echo "record_fixtures: a secret leaked into a fixture; removing them" >&2; rm -rf "$OUT"; exit 1
fi
echo "recorded: $(ls "$OUT" | tr '\n' ' ') (in-progress record with bytes: $got_run)"
