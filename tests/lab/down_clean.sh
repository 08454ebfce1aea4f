#!/bin/bash
# (d) `down` removes everything the lab made; a second `down` succeeds with nothing up.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need_lab
lab_ensure_up
"$LAB" down || fail "down failed"
assert_clean
"$LAB" down || fail "down with nothing up failed"
[ "$("$LAB" status)" = down ] || fail "status after down is not down"
ok "down twice, status down"
