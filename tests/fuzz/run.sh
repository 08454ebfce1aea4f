#!/bin/bash
# tests/fuzz/run.sh BUILD_DIR SECONDS — runs every built fuzz target for SECONDS each, with its
# seed corpus (tests/fuzz/corpus/<target>/) copied to a scratch corpus; fails on any crash.
# Prints per target: executions and whether it crashed.
set -u
build=$1 secs=${2:-60}
src=$(cd "$(dirname "$0")" && pwd)
rc=0
for bin in "$build"/tests/fuzz/fuzz_*; do
  [ -x "$bin" ] || continue
  t=$(basename "$bin")
  work=$(mktemp -d /tmp/mt-fuzz-$t.XXXXXX)
  [ -d "$src/corpus/$t" ] && cp -r "$src/corpus/$t/." "$work/"
  # seed corpora from the tests' own inputs
  top=$src/../..
  case $t in
    fuzz_scenario) cp "$top"/scenarios/*.ini "$top"/tests/cli/bad/*.ini "$work/" 2>/dev/null
                   cp "$top"/tests/unit/fixtures/scenarios/* "$work/" 2>/dev/null ;;
    fuzz_results_json) cp "$top"/tests/unit/fixtures/results/*.json "$work/" 2>/dev/null ;;
    fuzz_stress) for f in "$top"/tests/unit/fixtures/stress-ng/*.yaml; do # selector byte 0: YAML
                   { printf '\0'; cat "$f"; } > "$work/$(basename "$f")"; done ;;
  esac
  log=$work.log
  "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
         -print_final_stats=1 -artifact_prefix="$work/crash-" "$work" >"$log" 2>&1
  r=$?
  execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -n1)
  [ -n "$execs" ] || execs=$(grep -oE '#[0-9]+' "$log" | tail -n1 | tr -d '#')
  if [ "$r" -ne 0 ]; then
    echo "fuzz: $t: CRASH after ${execs:-?} executions (exit $r); log: $log"
    tail -n 40 "$log"
    rc=1
  else
    echo "fuzz: $t: ${execs:-?} executions in ${secs}s, 0 crashes"
    rm -rf "$work" "$log"
  fi
done
exit "$rc"
