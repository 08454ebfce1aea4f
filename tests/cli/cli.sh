#!/bin/bash
# tests/cli/cli.sh NAME MIGTORTURE SRCDIR [BUILDDIR] — one CLI behaviour per NAME; exit 0 pass, 1 fail,
# 77 skip (with the reason printed).
set -u
name=$1 mt=$2 src=$3 bld=${4:-}
tmp=$(mktemp -d /tmp/mt-cli.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

fail() { echo "FAIL: $*"; exit 1; }
# expect_rc WANT CMD... — runs CMD, keeps its stdout/stderr in $tmp/out $tmp/err
expect_rc() {
  local want=$1; shift
  "$@" >"$tmp/out" 2>"$tmp/err"
  local got=$?
  [ "$got" -eq "$want" ] || { cat "$tmp/out" "$tmp/err"; fail "'$*' exited $got, expected $want"; }
}

case "$name" in
help)
  expect_rc 0 "$mt" --help
  cp "$tmp/out" "$tmp/help"
  for code in 0 1 2 3 4; do
    grep -qE "^  $code  " "$tmp/help" || fail "--help does not document exit status $code"
  done
  for cmd in validate plan run report compare recover lab reference; do
    grep -qE "^  $cmd " "$tmp/help" || fail "--help does not list '$cmd'"
    expect_rc 0 "$mt" "$cmd" --help
    grep -q "Exit status" "$tmp/out" || fail "'$cmd --help' lacks the exit statuses"
  done
  expect_rc 0 "$mt" run --help
  for opt in --output --repeat --seed --shard --only --dry-run; do
    grep -q -- "$opt" "$tmp/out" || fail "run --help lacks $opt"
  done
  ;;
version)
  expect_rc 0 "$mt" --version
  grep -qE '^migtorture [0-9]+\.[0-9]+\.[0-9]+' "$tmp/out" || fail "bad --version: $(cat "$tmp/out")"
  ;;
unknown_command)
  expect_rc 2 "$mt" frobnicate
  grep -q "unknown command 'frobnicate'" "$tmp/err" || fail "no clear message"
  expect_rc 2 "$mt"
  expect_rc 2 "$mt" run --no-such-option x.ini
  grep -q "unknown option '--no-such-option'" "$tmp/err" || fail "no clear option message"
  expect_rc 2 "$mt" plan --shard 3/2 "$src/scenarios/seed.ini"
  grep -q -- "--shard: expected I/N" "$tmp/err" || fail "bad --shard not explained"
  ;;
man_uptodate)
  expect_rc 0 "$mt" --man
  diff -u "$src/docs/migtorture.1" "$tmp/out" || fail "docs/migtorture.1 is stale: regenerate with 'migtorture --man > docs/migtorture.1'"
  if command -v groff >/dev/null; then
    groff -man -Tutf8 -ww -z "$src/docs/migtorture.1" 2>"$tmp/groff" || fail "groff failed"
    [ ! -s "$tmp/groff" ] || { cat "$tmp/groff"; fail "groff warnings"; }
  fi
  ;;
reference_uptodate)
  expect_rc 0 "$mt" reference
  diff -u "$src/docs/scenario-reference.md" "$tmp/out" || fail "docs/scenario-reference.md is stale: regenerate with 'migtorture reference > docs/scenario-reference.md'"
  # one topic: a core key, a plugin, a name in two tables; a typo gets a hint and exit 2
  expect_rc 0 "$mt" reference warmup
  grep -q '^warmup — core key' "$tmp/out" && grep -q '^  warmup=duration .*(default 10s)' "$tmp/out" ||
    fail "reference warmup: $(cat "$tmp/out")"
  expect_rc 0 "$mt" reference netem
  grep -q '^netem — fault plugin' "$tmp/out" && grep -q '^  delay=duration' "$tmp/out" ||
    fail "reference netem: $(cat "$tmp/out")"
  expect_rc 2 "$mt" reference netm
  grep -q "did you mean 'netem'" "$tmp/err" || fail "reference netm: $(cat "$tmp/err")"
  expect_rc 2 "$mt" reference warmup netem
  ;;
bad_scenarios)
  # Each tests/cli/bad/*.ini starts with "# expect: LINE: TEXT": validate must exit 2 and print
  # FILE:LINE: followed (somewhere) by TEXT, and create nothing.
  n=0
  bad_before=$(ls -A "$src/tests/cli/bad")
  for f in "$src"/tests/cli/bad/*.ini; do
    exp=$(sed -n '1s/^# expect: //p' "$f")
    line=${exp%%: *} text=${exp#*: }
    (cd "$tmp" && expect_rc 2 "$mt" validate "$f")
    grep -qF "$f:$line: " "$tmp/err" || fail "$(basename "$f"): no '$f:$line:' in: $(cat "$tmp/err")"
    grep -qF -- "$text" "$tmp/err" || fail "$(basename "$f"): no '$text' in: $(cat "$tmp/err")"
    [ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "$(basename "$f"): more than one error line"
    n=$((n + 1))
  done
  # nothing created: validate ran in $tmp, which holds only expect_rc's out and err; nothing
  # new beside the scenarios either
  left=""
  for x in "$tmp"/* "$tmp"/.[!.]*; do
    [ -e "$x" ] || continue
    case ${x##*/} in out | err) ;; *) left="$left ${x##*/}" ;; esac
  done
  [ -z "$left" ] || fail "validate of a bad scenario created:$left"
  [ "$(ls -A "$src/tests/cli/bad")" = "$bad_before" ] ||
    fail "validate created files in tests/cli/bad: $(ls -A "$src/tests/cli/bad")"
  # files that are not scenarios at all
  printf '' >"$tmp/empty.ini"
  expect_rc 2 "$mt" validate "$tmp/empty.ini"; grep -q "empty" "$tmp/err" || fail "empty file: $(cat "$tmp/err")"
  head -c 512 /bin/true >"$tmp/binary.ini"
  expect_rc 2 "$mt" validate "$tmp/binary.ini"; grep -q "binary" "$tmp/err" || fail "binary file: $(cat "$tmp/err")"
  expect_rc 2 "$mt" validate "$tmp/missing.ini"; grep -q "missing.ini" "$tmp/err" || fail "missing file: $(cat "$tmp/err")"
  expect_rc 2 "$mt" validate "$tmp"; grep -q "$tmp" "$tmp/err" || fail "directory: $(cat "$tmp/err")"
  echo "$n bad scenario files rejected with file:line"
  ;;
seed_validates)
  expect_rc 0 "$mt" validate "$src/scenarios/seed.ini"
  grep -q "valid, 15 cells" "$tmp/out" || fail "seed.ini: $(cat "$tmp/out")"
  ;;
scenarios_validate)
  # every shipped scenario stays valid as plugins and keys evolve
  n=0
  for f in "$src"/scenarios/*.ini; do
    expect_rc 0 "$mt" validate "$f"
    grep -q "valid, [1-9][0-9]* cells" "$tmp/out" || fail "$(basename "$f"): $(cat "$tmp/out")"
    n=$((n + 1))
  done
  [ "$n" -ge 5 ] || fail "only $n scenarios shipped"
  ;;
seed_plan_json)
  expect_rc 0 "$mt" plan --json "$src/scenarios/seed.ini"
  for s in no-video offline-video online-video; do
    grep -q "\"section\": *\"$s\"" "$tmp/out" || fail "plan lacks section $s"
  done
  [ "$(grep -c '"repeat":' "$tmp/out")" -ge 15 ] || fail "expected 15 cells (3 sections x 5 repeats)"
  expect_rc 0 "$mt" plan --json --repeat 1 --only 'offline-video*' "$src/scenarios/seed.ini"
  [ "$(grep -c '"section": *"offline-video"' "$tmp/out")" -eq 1 ] || fail "--only/--repeat not applied"
  ;;
report_roundtrip)
  f=$src/tests/unit/fixtures/results/small.json
  [ -f "$f" ] || { echo "SKIP: fixture $f missing"; exit 77; }
  expect_rc 0 "$mt" report "$f" --format json -o "$tmp/a.json"
  expect_rc 0 "$mt" report "$tmp/a.json" --format json -o "$tmp/b.json"
  cmp "$tmp/a.json" "$tmp/b.json" || fail "report json is not a fixed point"
  expect_rc 2 "$mt" report "$f" --format pdf
  expect_rc 0 "$mt" report "$f" --format markdown
  grep -q "^| no-video/fault=none | 2 (2/0/0/0) | 1018" "$tmp/out" ||
    fail "markdown table lacks the median migration time of no-video/fault=none: $(head -4 "$tmp/out")"
  grep -q "hypervisor_downtime_ms vs transferred" "$tmp/out" || fail "markdown lacks the fit"
  # two shards join into one run with the cells of both
  expect_rc 0 "$mt" report "$f" "$f" --format junit -o "$tmp/joined.xml"
  [ "$(grep -c '<testcase ' "$tmp/joined.xml")" -eq $((2 * $(grep -c '"repeat":' "$f"))) ] ||
    fail "joined report does not hold both shards' cells"
  echo '{"schema_version": 99}' >"$tmp/bad.json"
  expect_rc 2 "$mt" report "$tmp/bad.json"
  ;;
compare)
  base=$src/tests/unit/fixtures/results/small.json
  [ -f "$base" ] || { echo "SKIP: fixture $base missing"; exit 77; }
  expect_rc 0 "$mt" compare "$base" "$base"
  grep -q " 0 regressions" "$tmp/out" || fail "self-compare: $(tail -1 "$tmp/out")"
  grep -q "total_time_ms" "$tmp/out" || fail "self-compare lists no metric"
  # no-video/fault=none has repeats 1000 and 1037 ms: 1000 → 1300 moves the median +15 %
  sed 's/"total_time_ms":[[:space:]]*1000,/"total_time_ms": 1300,/' "$base" >"$tmp/worse.json"
  cmp -s "$base" "$tmp/worse.json" && fail "fixture lacks migration.total_time_ms = 1000"
  expect_rc 1 "$mt" compare "$base" "$tmp/worse.json"
  grep -q "total_time_ms.*regression" "$tmp/out" || fail "no regression row: $(cat "$tmp/out")"
  expect_rc 0 "$mt" compare --tolerance 50% "$base" "$tmp/worse.json"
  expect_rc 0 "$mt" compare "$tmp/worse.json" "$base"
  grep -q "improved" "$tmp/out" || fail "no improvement row"
  expect_rc 2 "$mt" compare "$base"
  ;;
report_html)
  # The HTML report: well-formed XML (xmllint) and, where Chromium is installed, a headless
  # screenshot that is not blank (much larger than a blank page's of the same size).
  f=$src/tests/unit/fixtures/results/small.json
  expect_rc 0 "$mt" report "$f" --format html -o "$tmp/r.html"
  xmllint --noout "$tmp/r.html" || fail "report.html is not well-formed"
  for want in "<svg" "migration time" "Thresholds" "Heat map" "fault" "network outage"; do
    grep -q "$want" "$tmp/r.html" || fail "report.html lacks '$want'"
  done
  grep -q "http://\|https://" <(sed 's#http://www.w3.org/[^"]*##g' "$tmp/r.html") &&
    fail "report.html refers to the network"
  chromium=$(command -v chromium || true)
  [ -n "$chromium" ] || { echo "SKIP: chromium not installed: screenshot check not run (xmllint passed)"; exit 77; }
  shot() { timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic \
             --no-first-run --disable-background-networking --disable-component-update \
             --disable-sync --user-data-dir="$tmp/chrome-$2" --window-size=1200,1600 \
             --screenshot="$tmp/$2.png" "file://$1" >/dev/null 2>&1; }
  printf '<html><body></body></html>' >"$tmp/blank.html"
  shot "$tmp/blank.html" blank
  shot "$tmp/r.html" report
  [ -s "$tmp/report.png" ] || fail "no screenshot"
  b=$(stat -c %s "$tmp/blank.png") r=$(stat -c %s "$tmp/report.png")
  echo "screenshot: report $r bytes, blank page $b bytes"
  [ "$r" -gt $((b * 3)) ] || fail "the report's screenshot looks blank ($r vs $b bytes)"
  ;;
report_trend)
  f=$src/tests/unit/fixtures/results/small.json
  mkdir -p "$tmp/nights/n1" "$tmp/nights/n2"
  cp "$f" "$tmp/nights/n1/results.json"
  sed 's/"total_time_ms":[[:space:]]*1000,/"total_time_ms": 1300,/' "$f" >"$tmp/nights/n2.json"
  echo '{"not":"results"}' >"$tmp/nights/other.json"
  expect_rc 0 "$mt" report --trend "$tmp/nights" -o "$tmp/trend.html"
  grep -q "passing over" "$tmp/err" || fail "a non-results file was not reported"
  xmllint --noout "$tmp/trend.html" || fail "trend.html is not well-formed"
  grep -q "trend: 2 runs" "$tmp/trend.html" || fail "trend does not hold the 2 runs"
  [ "$(grep -c '<polyline' "$tmp/trend.html")" -ge 4 ] || fail "trend has too few lines"
  mkdir "$tmp/empty"
  expect_rc 2 "$mt" report --trend "$tmp/empty"
  ;;
install)
  # what `cmake --install` puts down is what the packages ship: binary, man page, completion,
  # scenarios, lab, in-guest helper; no static library, headers or pkg-config file.
  expect_rc 0 cmake --install "$bld" --prefix "$tmp/prefix" --strip
  for f in bin/migtorture share/man/man1/migtorture.1 \
           share/bash-completion/completions/migtorture share/migtorture/scenarios/seed.ini \
           share/migtorture/lab/mt-lab libexec/migtorture/mt-guest; do
    [ -e "$tmp/prefix/$f" ] || fail "cmake --install did not install $f"
  done
  dev=$(find "$tmp/prefix" -name '*.a' -o -name '*.pc' -o -name '*.h')
  [ -z "$dev" ] || fail "cmake --install installed development files: $dev"
  # No path of the trees it was built from: the installed binary must not depend on them. An
  # ASan build records its source files' names for its global variables; packages are not
  # ASan builds.
  for b in bin/migtorture libexec/migtorture/mt-guest; do
    strings -a "$tmp/prefix/$b" | grep -q __asan_init && continue
    hit=$(strings -a "$tmp/prefix/$b" | grep -F -e "$src" -e "$bld" | head -n 3)
    [ -z "$hit" ] || fail "$b names a build path: $hit"
  done
  "$tmp/prefix/bin/migtorture" --version >/dev/null || fail "installed binary does not run"
  ;;
bash_completion)
  # the completion is the binary's --bash-completion, offers every command and every option of
  # each command's --help, and completes file operands by kind
  expect_rc 0 "$mt" --bash-completion
  cp "$tmp/out" "$tmp/comp"
  bash -n "$tmp/comp" || fail "the completion script is not valid bash"
  if [ -n "$bld" ]; then
    cmp -s "$tmp/comp" "$bld/migtorture.bash" || fail "$bld/migtorture.bash is stale"
  fi
  offered() { # offered WORD... — what completing the last WORD offers, sorted, one line
    (cd "$tmp/files" && bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
      _migtorture; printf "%s\n" "${COMPREPLY[@]}"' _ "$tmp/comp" "$@") | sort | xargs
  }
  mkdir -p "$tmp/files/sub"
  touch "$tmp/files/a.ini" "$tmp/files/b.json" "$tmp/files/c.txt"
  want() { # want "EXPECTED" WORD...
    local exp=$1 got; shift
    got=$(offered "$@")
    [ "$got" = "$exp" ] || fail "completing '$*' offers '$got', expected '$exp'"
  }
  want "recover reference report" migtorture re
  want "a.ini sub" migtorture run ""
  want "b.json sub" migtorture compare b.json ""
  want "html" migtorture report -f h
  want "sub" migtorture run -o ""
  want "down status up" migtorture lab ""
  want "" migtorture plan --seed ""
  want "netem netns" migtorture reference net   # scenario keys and plugins
  want "migrate.timeout" migtorture reference migrate.t
  for cmd in $("$mt" --help | awk '/^Commands:/{on=1; next} on && /^  [a-z]/{print $1} on && /^$/{exit}'); do
    grep -qE "(^| )$cmd( |$)" <<<"$(offered migtorture "${cmd:0:1}")" || fail "command $cmd not offered"
    for opt in $("$mt" "$cmd" --help | grep -oE -- '--[a-z][a-z-]*' | sort -u); do
      grep -qE -- "(^| )$opt( |$)" <<<"$(offered migtorture "$cmd" --)" ||
        fail "'$cmd $opt' is not offered"
    done
  done
  ;;
lab_lookup)
  # `lab` runs MT_LAB_DIR's lab script, else the installed one, never its source tree's; `lab
  # up` needs the in-guest helper (MT_GUEST_BIN, else the installed one) and refuses without.
  mkdir "$tmp/lab"
  printf '#!/bin/sh\necho "fake-lab $* helper=${MT_GUEST_BIN:-none}"\n' >"$tmp/lab/mt-lab"
  chmod 0755 "$tmp/lab/mt-lab"
  cp /bin/true "$tmp/helper"
  MT_LAB_DIR=$tmp/nolab expect_rc 3 "$mt" lab status
  grep -qF "no lab script $tmp/nolab/mt-lab" "$tmp/err" || fail "unclear: $(cat "$tmp/err")"
  MT_LAB_DIR=$tmp/lab MT_GUEST_BIN=$tmp/nohelper expect_rc 3 "$mt" lab up
  grep -qF "no in-guest helper $tmp/nohelper" "$tmp/err" || fail "unclear: $(cat "$tmp/err")"
  [ ! -s "$tmp/out" ] || fail "lab up ran the lab without the helper: $(cat "$tmp/out")"
  MT_LAB_DIR=$tmp/lab MT_GUEST_BIN=$tmp/nohelper expect_rc 0 "$mt" lab status --json
  grep -qx "fake-lab status --json helper=$tmp/nohelper" "$tmp/out" || fail "status: $(cat "$tmp/out")"
  MT_LAB_DIR=$tmp/lab MT_GUEST_BIN=$tmp/helper expect_rc 0 "$mt" lab up --ceph
  grep -qx "fake-lab up --ceph helper=$tmp/helper" "$tmp/out" || fail "up: $(cat "$tmp/out")"
  # the defaults are install paths: a missing one is named, an installed one is used
  env -u MT_LAB_DIR "$mt" lab frobnicate >"$tmp/out" 2>"$tmp/err"
  ! grep -qF "$src" "$tmp/out" "$tmp/err" || fail "lab looked into the source tree: $(cat "$tmp/err")"
  env -u MT_GUEST_BIN MT_LAB_DIR="$tmp/lab" "$mt" lab up >"$tmp/out" 2>"$tmp/err"
  grep -qE "no in-guest helper /.*/libexec/migtorture/mt-guest|helper=/.*/libexec/migtorture/mt-guest$" \
    "$tmp/out" "$tmp/err" || fail "default helper: $(cat "$tmp/out" "$tmp/err")"
  ;;
recover_empty)
  expect_rc 0 "$mt" recover --journal "$tmp/journal"
  ;;
realtime)
  # --realtime PRIO: range checked before anything is made; the run records its scheduling;
  # a process that may not use SCHED_FIFO gets a clear error and exit 3, never a silent fallback.
  cat > "$tmp/idle.ini" <<'INI'
[global]
source = none
dest = none
warmup = 0s
cooldown = 200ms
migrate.count = 0
[idle]
INI
  for bad in 0 100 x -5; do
    expect_rc 2 "$mt" run --realtime "$bad" -o "$tmp/bad" --journal "$tmp/j" "$tmp/idle.ini"
    grep -q -- "--realtime: expected an integer 1..99" "$tmp/err" || fail "--realtime $bad: $(cat "$tmp/err")"
    [ ! -e "$tmp/bad" ] || fail "--realtime $bad left $tmp/bad behind"
  done
  command -v jq >/dev/null || { echo "SKIP: jq not installed (scripts/setup)"; exit 77; }
  expect_rc 0 "$mt" run -q -o "$tmp/normal" --journal "$tmp/j" "$tmp/idle.ini"
  [ "$(jq -r .facts.scheduling "$tmp/normal/results.json")" = normal ] || fail "no scheduling fact"
  [ "$(id -u)" = 0 ] || { echo "SKIP: SCHED_FIFO part needs root"; exit 77; }
  expect_rc 0 "$mt" run -q --realtime 10 -o "$tmp/rt" --journal "$tmp/j" "$tmp/idle.ini"
  [ "$(jq -r .facts.scheduling "$tmp/rt/results.json")" = "SCHED_FIFO 10" ] || fail "no SCHED_FIFO fact"
  # the same as an unprivileged user without RLIMIT_RTPRIO (a copy of the binary: the build
  # tree may sit in a directory only root can enter, as CI's mktemp clone does)
  chmod 0777 "$tmp"; chmod 0644 "$tmp/idle.ini"
  install -m 0755 "$mt" "$tmp/mt-copy"
  expect_rc 3 setpriv --reuid=65534 --regid=65534 --clear-groups \
    prlimit --rtprio=0 "$tmp/mt-copy" run -q --realtime 10 -o "$tmp/nobody" --journal "$tmp/jn" "$tmp/idle.ini"
  grep -q "SCHED_FIFO.*needs root" "$tmp/err" || fail "unclear EPERM message: $(cat "$tmp/err")"
  ;;
cell_logs)
  # A cell keeps what its hypervisor hosts' logs gained while it ran, and only that: a local
  # host whose logs are files here (the same code reads a lab host's; an ssh host's agent runs
  # the same reader, tests/unit/test_logs.c). The file grows while the run waits in warm-up.
  command -v jq >/dev/null || { echo "SKIP: jq not installed (scripts/setup)"; exit 77; }
  command -v stress-ng >/dev/null || { echo "SKIP: stress-ng not installed (scripts/setup)"; exit 77; }
  mkdir "$tmp/hv"
  cat > "$tmp/logs.ini" <<INI
[host:hv]
kind = local
log_qemu = $tmp/hv/{domain}.log
log_libvirtd = $tmp/hv/libvirtd.log
[global]
source = none
dest = none
domain = vm1
source_host = hv
logs.max = 20B
warmup = 3s
cooldown = 0s
migrate.count = 0
stress = host-cpu workers=1 load=5%
[idle]
INI
  printf 'before the run\n' > "$tmp/hv/vm1.log"
  "$mt" run -q -o "$tmp/run" --journal "$tmp/j" "$tmp/logs.ini" > "$tmp/run.log" 2>&1 &
  pid=$!
  sleep 1.5
  line='written while the cell ran'
  printf '%s\n' "$line" >> "$tmp/hv/vm1.log"
  wait $pid || { cat "$tmp/run.log"; fail "run exited $?"; }
  r=$tmp/run/results.json
  f=$(jq -r '.cells[0].metrics.logs.hv.qemu.file' "$r")
  [ "$f" = logs/000-idle/hv-qemu.log ] || fail "logs.hv.qemu.file is '$f'"
  got=$(cat "$tmp/run/$f")
  echo "kept: '$got'; $(jq -c '.cells[0].metrics.logs' "$r")"
  # logs.max = 20B: the last 20 bytes of the line and its newline; the rest is counted
  [ "$got" = "${line: -19}" ] || fail "kept '$got', not the last 20 bytes the cell wrote"
  [ "$(jq -r '.cells[0].metrics.logs.hv.qemu.kept_bytes' "$r")" = 20 ] || fail "kept_bytes"
  [ "$(jq -r '.cells[0].metrics.logs.hv.qemu.dropped_bytes' "$r")" = $(( ${#line} + 1 - 20 )) ] ||
    fail "dropped_bytes"
  jq -r '.cells[0].metrics.logs.hv.libvirtd.absent' "$r" | grep -q "has no libvirtd log" ||
    fail "a missing libvirtd log is not said: $(jq -c '.cells[0].metrics.logs.hv' "$r")"
  jq -r '.cells[0].metrics.logs.hv.console.absent' "$r" | grep -q "names no console log" ||
    fail "a host without log_console is not said"
  # stress-ng's own log, moved out of the metrics into a file of the cell
  f=$(jq -r '.cells[0].metrics.stress.host.cpu.log_file' "$r")
  grep -q 'dispatching hogs: 1 cpu' "$tmp/run/$f" || fail "no stress-ng log kept ($f)"
  [ "$(jq -r '.cells[0].metrics.stress.host.cpu.log_text' "$r")" = null ] || fail "log text left in results.json"
  # the HTML report, beside results.json, links it
  expect_rc 0 "$mt" report -f html -o "$tmp/run/report.html" "$r"
  grep -q '<a href="logs/000-idle/hv-qemu.log">hv qemu</a> (20' "$tmp/run/report.html" ||
    fail "the report does not link the kept log: $(grep -o 'Logs of the cell.\{0,200\}' "$tmp/run/report.html")"
  ;;
json_flags)
  # validate --json and compare --json: the same outcome and exit status, as data.
  command -v jq >/dev/null || { echo "SKIP: jq not installed (scripts/setup)"; exit 77; }
  expect_rc 0 "$mt" validate --json "$src/scenarios/seed.ini"
  jq -e '.valid == true and .cells == 15 and .exit_status == 0' "$tmp/out" >/dev/null ||
    fail "validate --json: $(cat "$tmp/out")"
  expect_rc 2 "$mt" validate --json "$src/tests/cli/bad/bad-duration.ini"
  jq -e '.valid == false and .line == 4 and .exit_status == 2 and (.error | test("warmup"))' \
    "$tmp/out" >/dev/null || fail "validate --json of a bad file: $(cat "$tmp/out")"
  base=$src/tests/unit/fixtures/results/small.json
  expect_rc 0 "$mt" compare --json "$base" "$base"
  jq -e '.regressions == 0 and .compared > 0 and .tolerance_pct == 10 and
         (.metrics[0] | has("cell") and has("metric") and has("base_median") and
          has("new_median") and has("change_pct") and has("verdict"))' "$tmp/out" >/dev/null ||
    fail "compare --json: $(head -c 600 "$tmp/out")"
  sed 's/"total_time_ms":[[:space:]]*1000,/"total_time_ms": 1300,/' "$base" >"$tmp/worse.json"
  expect_rc 1 "$mt" compare --json "$base" "$tmp/worse.json"
  jq -e '.regressions == 1 and ([.metrics[] | select(.verdict == "regression")][0] |
         .metric == "migration.total_time_ms" and .change_pct > 10)' "$tmp/out" >/dev/null ||
    fail "compare --json regression: $(cat "$tmp/out")"
  for c in validate compare; do
    expect_rc 0 "$mt" "$c" --help
    grep -q -- "--json" "$tmp/out" || fail "$c --help lacks --json"
  done
  ;;
run_summary)
  # The summary a run ends with, rendered from results alone (report --format summary): per
  # scenario the medians in human units, then the counts, the verdict and the exit status.
  f=$src/tests/unit/fixtures/results/lab-seed.json
  expect_rc 0 "$mt" report "$f" --format summary
  grep -qE '^scenario +verdict +passed +migration +downtime +guest stall +net outage +transferred +loss$' "$tmp/out" ||
    fail "no header: $(cat "$tmp/out")"
  # the units of every other report (units_fmt.c): ms below 10 s, three significant digits
  grep -qE '^no-video +pass +2/2 +1175 ms +140 ms +88\.8 ms +225 ms +104 MiB +4\.5 %$' "$tmp/out" ||
    fail "no-video row: $(cat "$tmp/out")"
  grep -qE '^online-video +pass +2/2 +825 ms ' "$tmp/out" || fail "online-video row: $(cat "$tmp/out")"
  grep -qx '6 cells: 6 pass, 0 fail, 0 skip, 0 error' "$tmp/out" || fail "no counts: $(cat "$tmp/out")"
  [ "$(tail -n 1 "$tmp/out")" = "verdict: pass, exit status 0 (all thresholds held)" ] ||
    fail "last line: $(tail -n 1 "$tmp/out")"
  grep -q '[0-9]e[-+][0-9]' "$tmp/out" && fail "e-notation in the summary: $(cat "$tmp/out")"
  # an absent downtime is "-", a failed repeat shows in the verdict, passed and exit lines
  small=$src/tests/unit/fixtures/results/small.json
  expect_rc 0 "$mt" report "$small" --format summary
  grep -qE '^no-video +pass +4/4 +1118 ms +120 ms +- +415 ms ' "$tmp/out" || fail "absent not '-': $(cat "$tmp/out")"
  # a run prints it on standard output; -q keeps only the verdict line
  cat > "$tmp/idle.ini" <<'INI'
[global]
source = none
dest = none
warmup = 0s
cooldown = 100ms
migrate.count = 0
[idle]
INI
  expect_rc 0 "$mt" run -o "$tmp/r1" --journal "$tmp/j" "$tmp/idle.ini"
  grep -qE '^idle +pass +1/1 +- +- +- +- +- +-$' "$tmp/out" || fail "run summary: $(cat "$tmp/out")"
  [ "$(tail -n 1 "$tmp/out")" = "verdict: pass, exit status 0 (all thresholds held)" ] ||
    fail "run's last line: $(tail -n 1 "$tmp/out")"
  expect_rc 0 "$mt" run -q -o "$tmp/r2" --journal "$tmp/j" "$tmp/idle.ini"
  [ "$(cat "$tmp/out")" = "verdict: pass, exit status 0 (all thresholds held)" ] ||
    fail "run -q printed: $(cat "$tmp/out")"
  # the exit line is what the command exits with, also when the run could not start
  expect_rc 2 "$mt" run -q -o "$tmp/r2" --journal "$tmp/j" "$tmp/idle.ini"
  [ "$(cat "$tmp/out")" = "verdict: none, exit status 2 (usage or scenario error)" ] ||
    fail "run refused, printed: $(cat "$tmp/out")"
  ;;
guest_client)
  # guest/client on a cell outside the lab (nova names Nova hosts): the dry run aims the probe
  # at the literal guest and runs it in the lab client's namespace (lab.json: a unit fixture,
  # read only); without a lab the cell is skipped with the reason, never run locally.
  cat > "$tmp/nova.ini" <<'INI'
[global]
driver = nova
source = hosta
dest = hostb
guest = 198.18.0.50
client = lab:client
warmup = 0s
cooldown = 0s
probe = udp
[v4]
[v6]
guest = 2001:db8::5
client = local
INI
  cd "$tmp" || fail "no $tmp"
  MT_LAB_JSON=$src/tests/unit/fixtures/lab.json expect_rc 0 "$mt" run --dry-run "$tmp/nova.ini"
  grep -q "check probe udp on host client in netns mt-client" "$tmp/out" || fail "probe not on the lab client: $(cat "$tmp/out")"
  grep -qF "guest 198.18.0.50 (http://198.18.0.50/)" "$tmp/out" || fail "no literal guest: $(cat "$tmp/out")"
  grep -qF "guest 2001:db8::5 (http://[2001:db8::5]/)" "$tmp/out" || fail "no IPv6 guest: $(cat "$tmp/out")"
  grep -q "check probe udp on host local$" "$tmp/out" || fail "client = local not local: $(cat "$tmp/out")"
  expect_rc 0 "$mt" plan "$tmp/nova.ini"
  grep -q "users: guest 198.18.0.50 client lab:client" "$tmp/out" || fail "plan hides guest/client: $(cat "$tmp/out")"
  MT_LAB_JSON=$tmp/no-lab.json expect_rc 4 "$mt" run -o "$tmp/res" --journal "$tmp/j" --only v4 "$tmp/nova.ini"
  grep -q "skip: probe udp: host 'lab:client' is not available here: .*no-lab.json" "$tmp/out" "$tmp/err" || fail "no skip reason: $(cat "$tmp/out" "$tmp/err")"
  ;;
cloexec)
  # Every descriptor the library and plugins open is close-on-exec, so no child (stress-ng, ssh,
  # the lab script) inherits a journal, socket or lock. A descriptor meant to be inherited is
  # opened under a comment saying "no O_CLOEXEC" (the line before) and why.
  bad=$(cd "$src" && find suite faults workloads reports -name '*.c' -print0 | xargs -0 awk '
    FNR == 1 { prev = "" }
    /[^_a-z](open|openat|socket)\(/ && !/CLOEXEC/ && prev !~ /no O_CLOEXEC/ { print FILENAME ":" FNR ": " $0 }
    /fopen\([^;]*"[rwab+]*"\)/ { print FILENAME ":" FNR ": " $0 }
    /[^_a-z](pipe|dup|accept|mkstemp|epoll_create)\(|F_DUPFD[^_]/ { print FILENAME ":" FNR ": " $0 }
    { prev = $0 }')
  [ -z "$bad" ] || fail "descriptors without close-on-exec (O_CLOEXEC, \"e\" mode, mkostemp):
$bad"
  ;;
tmpfiles)
  # Temporary files only through mkstemp/mkdtemp in a private directory: no tmpnam/tempnam/
  # mktemp(3) (a name, not a file: raced), and no fixed /tmp path in C or the lab scripts.
  bad=$(cd "$src" && grep -rnE '[^_a-z](tmpnam|tempnam|mktemp)\(' suite faults workloads reports \
          --include='*.c' --include='*.h')
  bad+=$(cd "$src" && grep -rnE '"/tmp/[^"]' suite faults workloads reports --include='*.c' |
         grep -v 'mt-guest.state')  # the guest ring: O_NOFOLLOW and owner-checked (mt-guest.c)
  bad+=$(cd "$src" && grep -rnE '(^|[^-])/tmp/[A-Za-z0-9]' lab | grep -vE '^[^:]*:[0-9]+:\s*#|case \$1 in')
  [ -z "$bad" ] || fail "temporary file by name or at a fixed /tmp path:
$bad"
  ;;
source_refs)
  # The repository explains itself: no comment or doc cites a design file, lab notes or an issue
  # number that only the developers' workspace has (docs/architecture.md is the reference).
  bad=$(cd "$src" && git ls-files 2>/dev/null | grep -vE '^tests/cli/cli\.sh$' |
        xargs -r grep -nE 'DESIGN(\.md| §)|LAB-NOTES|\.\./shared/|[Ii]ssue #?[0-9]+' 2>/dev/null)
  git -C "$src" rev-parse 2>/dev/null || { echo "SKIP: $src is not a git checkout"; exit 77; }
  [ -z "$bad" ] || fail "references outside the repository:
$bad"
  ;;
lab_down_identity)
  # lab/lib/down.sh signals only what a pid file still names: a process group only through a pid
  # that leads it. Runs the lab's functions on this test's own sleep processes (no lab, no root).
  export MT_LAB_STATE=$tmp/state
  # shellcheck source=/dev/null
  . "$src/lab/lib/common.sh"; . "$src/lab/lib/down.sh"
  (setsid sleep 30 </dev/null >/dev/null 2>&1 & echo $! > "$tmp/leader.pid")
  (sleep 30 </dev/null >/dev/null 2>&1 & echo $! > "$tmp/member.pid")
  lead=$(cat "$tmp/leader.pid") member=$(cat "$tmp/member.pid")
  [ "$(proc_stat_field "$lead" 3)" = "$lead" ] || fail "setsid sleep does not lead its group"
  stop_pidfile "$tmp/member.pid" sleep group 2>"$tmp/err"
  grep -q "does not lead a process group; not signalled" "$tmp/err" || fail "member: $(cat "$tmp/err")"
  stop_pidfile "$tmp/leader.pid" no-such-pattern group
  stop_pidfile "$tmp/leader.pid" sleep group
  reap_pids
  sleep 0.2
  kill -0 "$member" 2>/dev/null || fail "a pid that leads no group had its group signalled"
  kill "$member"
  [ "$(proc_stat_field "$lead" 1)" = "" ] || [ "$(proc_stat_field "$lead" 1)" = Z ] || fail "the group leader survived"
  ;;
lab_secrets)
  # The OpenStack lab's password and tokens never reach a command line (/proc/PID/cmdline is
  # world-readable): curl reads them on stdin (-d @-, -H @-), mariadb its SQL, rabbitmqctl and
  # keystone-manage the password from stdin/environment; config files are created 0600
  # (private_file), never chmod'ed after the write.
  bad=$(cd "$src" && grep -nE -- '-H "X-Auth-Token|--os-password|--bootstrap-password|OS_PASSWORD=|mariadb[^|]* -e |mysql[^|]* -p|add_user [^ ]+ "\$|password.*\$pass[^|]*" *\\?$|cat > "\$OS|chmod 600' \
          lab/openstack/*)
  [ -z "$bad" ] || fail "secret on a command line or config file not created 0600:
$bad"
  ;;
*)
  fail "unknown test $name"
  ;;
esac
echo "PASS: $name"
exit 0
