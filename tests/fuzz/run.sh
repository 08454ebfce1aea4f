#!/bin/bash
# tests/fuzz/run.sh BUILD_DIR SECONDS — runs every built fuzz target for SECONDS each, all at
# the same time (one process per target: CI's wall time is SECONDS, not targets × SECONDS; on
# 2 cores each target gets a share of a core, the executions line says how many it ran), with
# its seed corpus (tests/fuzz/corpus/<target>/ plus the tests' own inputs) copied to a scratch
# corpus. Fails on any crash, leak, timeout or out-of-memory, printing the reproducer's path.
# Prints per target: executions, crashes and the slowest input's time.
# MT_FUZZ_SERIAL=1 runs them one after another.
set -u
build=$1 secs=${2:-60}
src=$(cd "$(dirname "$0")" && pwd)
top=$src/../..
rc=0

# seed TARGET DIR: the seed corpus of TARGET into DIR
seed() {
  [ -d "$src/corpus/$1" ] && cp -r "$src/corpus/$1/." "$2/"
  case $1 in
    fuzz_scenario) cp "$top"/scenarios/*.ini "$top"/tests/cli/bad/*.ini "$2/" 2>/dev/null
                   cp "$top"/tests/unit/fixtures/scenarios/* "$2/" 2>/dev/null ;;
    fuzz_results_json) cp "$top"/tests/unit/fixtures/results/*.json "$2/" 2>/dev/null ;;
    fuzz_stress) for f in "$top"/tests/unit/fixtures/stress-ng/*.yaml; do # selector byte 0: YAML
                   { printf '\0'; cat "$f"; } > "$2/$(basename "$f")"; done ;;
  esac
  return 0
}

declare -A pid work
for bin in "$build"/tests/fuzz/fuzz_*; do
  [ -x "$bin" ] || continue
  t=$(basename "$bin")
  work[$t]=$(mktemp -d /tmp/mt-fuzz-$t.XXXXXX)
  seed "$t" "${work[$t]}"
  "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
         -print_final_stats=1 -artifact_prefix="${work[$t]}/crash-" "${work[$t]}" \
         >"${work[$t]}.log" 2>&1 &
  pid[$t]=$!
  [ "${MT_FUZZ_SERIAL:-0}" = 1 ] && wait "${pid[$t]}"
done
[ ${#pid[@]} -gt 0 ] || { echo "fuzz: no targets built in $build/tests/fuzz"; exit 1; }
for t in $(printf '%s\n' "${!pid[@]}" | sort); do
  wait "${pid[$t]}"; r=$?
  log=${work[$t]}.log
  execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -n1)
  [ -n "$execs" ] || execs=$(grep -oE '#[0-9]+' "$log" | tail -n1 | tr -d '#')
  # the margin against -timeout=10: how long the slowest input took (whole seconds)
  slow=$(grep -oE 'stat::slowest_unit_time_sec: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -n1)
  if [ "$r" -ne 0 ]; then
    echo "fuzz: $t: CRASH after ${execs:-?} executions (exit $r); log: $log; reproducer: $(ls "${work[$t]}"/crash-* 2>/dev/null | head -n1)"
    tail -n 40 "$log"
    rc=1
  else
    echo "fuzz: $t: ${execs:-?} executions in ${secs}s, 0 crashes, slowest input ${slow:-?} s"
    rm -rf "${work[$t]}" "$log"
  fi
done
exit "$rc"
