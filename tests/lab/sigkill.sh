#!/bin/bash
# (e) SIGKILL of `up` (its whole process group) at several points, then `down` -> clean.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need_lab
"$LAB" down >/dev/null || fail "initial down failed"
for delay in 1 4 9; do
  setsid "$LAB" up >/dev/null 2>&1 &
  pid=$!
  sleep "$delay"
  kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  st=$("$LAB" status)
  echo "    killed up after ${delay}s: status $st, $(wc -l < "$STATE/objects" 2>/dev/null || echo 0) journal entries"
  "$LAB" down || fail "down after SIGKILL at ${delay}s failed"
  assert_clean
done
ok "SIGKILL during up at 1, 4, 9 s, then down: clean each time"
