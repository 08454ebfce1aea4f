#!/bin/bash
# (c) `up` on a running lab is a no-op: same guest (QEMU pid), same descriptor, fast.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need_lab
lab_ensure_up
pidf() { local f; for f in "$STATE"/host?/run/qemu/"$(desc .guest.name)".pid; do [ -f "$f" ] && echo "$f"; done; }
p1=$(cat "$(pidf)") j1=$(jq -S 'del(.guest.host)' "$STATE/lab.json") n1=$(wc -l < "$STATE/objects")
t0=$(date +%s%N)
"$LAB" up >/dev/null 2>&1 || fail "second up failed"
ms=$((($(date +%s%N) - t0) / 1000000))
p2=$(cat "$(pidf)") j2=$(jq -S 'del(.guest.host)' "$STATE/lab.json") n2=$(wc -l < "$STATE/objects")
[ "$p1" = "$p2" ] || fail "guest restarted by second up (qemu pid $p1 -> $p2)"
[ "$j1" = "$j2" ] || fail "descriptor changed by second up"
[ "$n1" = "$n2" ] || fail "second up created objects ($n1 -> $n2 journal lines)"
[ "$("$LAB" status)" = up ] || fail "status is not up"
# Not a timing assertion on purpose (CI machines vary): printed for the docs, and bounded
# loosely so a rebuild (tens of seconds) is still caught.
[ "$ms" -lt 5000 ] || fail "second up took $ms ms: it did real work"
ok "second up was a no-op in $ms ms"
