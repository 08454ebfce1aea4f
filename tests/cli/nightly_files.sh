#!/bin/bash
# tests/cli/nightly_files.sh SRCDIR — the shipped nightly files (contrib/nightly/) are well-formed
# and do what docs/nightly.md says: the systemd units pass `systemd-analyze verify` (where it
# runs) and a section/key check of our own, the GitLab file parses as YAML and shards into
# per-shard artifact paths, the Jenkinsfile has balanced brackets and the expected stages.
# Exit 0 pass, 1 fail, 77 skip (with the reason printed).
# shellcheck disable=SC2016  # the single-quoted $NAMEs are the checked files' own text
set -u
src=$1
dir=$src/contrib/nightly
tmp=$(mktemp -d /tmp/mt-nightly.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

fail() { echo "FAIL: $*"; exit 1; }
note() { echo "note: $*"; }
# has FILE FIXED-STRING WHAT — FILE contains FIXED-STRING, else fail naming WHAT
has() { grep -qF -- "$2" "$1" || fail "$(basename "$1"): $3 (no '$2')"; }

PY=/usr/bin/python3  # Debian's, which has python3-yaml (a pyenv python3 may come first on PATH)
command -v "$PY" >/dev/null || { echo "SKIP: no python3 (scripts/setup installs python3-yaml)"; exit 77; }
for f in migtorture-nightly.service migtorture-nightly.timer gitlab-ci.yml Jenkinsfile; do
  [ -f "$dir/$f" ] || fail "contrib/nightly/$f is missing"
  grep -qF "contrib/nightly/$f" "$src/docs/nightly.md" || fail "docs/nightly.md does not point at contrib/nightly/$f"
done

# --- systemd units -------------------------------------------------------------------------
# Our own check, which runs everywhere: every line is a comment, a [Section] of the unit type,
# a Key=value with a key that section knows, or the continuation of a line ending in '\'.
"$PY" - "$dir/migtorture-nightly.service" "$dir/migtorture-nightly.timer" <<'EOF' || exit 1
import sys
KEYS = {
    "Unit": {"Description", "After", "Wants", "Requires", "Before", "Documentation"},
    "Service": {"Type", "Environment", "EnvironmentFile", "WorkingDirectory", "StateDirectory",
                "ExecStartPre", "ExecStart", "ExecStartPost", "TimeoutStartSec",
                "SuccessExitStatus", "User", "Nice"},
    "Timer": {"OnCalendar", "Persistent", "RandomizedDelaySec", "Unit", "AccuracySec"},
    "Install": {"WantedBy"},
}
WANT = {".service": ["Unit", "Service"], ".timer": ["Unit", "Timer", "Install"]}
for path in sys.argv[1:]:
    name = path.rsplit("/", 1)[1]
    ext = name[name.rindex("."):]
    seen, section, cont = {}, None, False
    for n, raw in enumerate(open(path), 1):
        line = raw.rstrip("\n")
        where = f"{name}:{n}"
        if cont:
            cont = line.endswith("\\")
            continue
        s = line.strip()
        if not s or s[0] in "#;":
            continue
        if s.startswith("["):
            if not s.endswith("]") or s[1:-1] not in WANT[ext]:
                sys.exit(f"FAIL: {where}: section {s} does not belong in a {ext} unit")
            section = s[1:-1]
            seen.setdefault(section, {})
            continue
        if section is None or "=" not in s:
            sys.exit(f"FAIL: {where}: not 'Key=value' inside a section: {s}")
        key, val = s.split("=", 1)
        if key not in KEYS[section]:
            sys.exit(f"FAIL: {where}: unexpected key {key} in [{section}]")
        seen[section].setdefault(key, []).append(val)
        cont = line.endswith("\\")
    for sec in WANT[ext]:
        if sec not in seen:
            sys.exit(f"FAIL: {name}: no [{sec}] section")
    if ext == ".service":
        svc = seen["Service"]
        if svc.get("Type") != ["oneshot"]:
            sys.exit(f"FAIL: {name}: Type= is not oneshot")
        if not any("recover" in v for v in svc.get("ExecStartPre", [])):
            sys.exit(f"FAIL: {name}: no ExecStartPre running 'migtorture recover'")
        if "ExecStart" not in svc:
            sys.exit(f"FAIL: {name}: no ExecStart=")
    else:
        if not seen["Timer"].get("OnCalendar"):
            sys.exit(f"FAIL: {name}: no OnCalendar=")
        if seen["Install"].get("WantedBy") != ["timers.target"]:
            sys.exit(f"FAIL: {name}: not WantedBy=timers.target")
print("ok: systemd units: sections and keys")
EOF
svc=$dir/migtorture-nightly.service
has "$svc" '"$MIGTORTURE" run "$SCENARIO" -o "$d"' "ExecStart does not run the scenario into the night's directory"
for fmt in junit html openmetrics; do has "$svc" "--format $fmt" "no $fmt report"; done
has "$svc" 'report --trend "$NIGHTLY"' "no trend page"
has "$svc" 'exit $rc' "the run's exit status is not the unit's"

# systemd-analyze verify needs no running systemd, but it loads the system's unit paths; try
# it on a known-good unit first so a machine where it cannot work is told apart from our error.
if ! command -v systemd-analyze >/dev/null; then
  note "systemd-analyze verify skipped: no systemd-analyze on this machine"
else
  mkdir "$tmp/units"
  printf '[Unit]\nDescription=probe\n[Service]\nType=oneshot\nExecStart=/bin/true\n' > "$tmp/units/mt-probe.service"
  if ! timeout 60 systemd-analyze verify "$tmp/units/mt-probe.service" >"$tmp/probe.log" 2>&1; then
    note "systemd-analyze verify skipped: it fails on a known-good unit here: $(tail -n 1 "$tmp/probe.log")"
  else
    cp "$dir/migtorture-nightly.service" "$dir/migtorture-nightly.timer" "$tmp/units/"
    rc=0
    timeout 60 systemd-analyze verify "$tmp/units/migtorture-nightly.service" \
      "$tmp/units/migtorture-nightly.timer" >"$tmp/verify.log" 2>&1 || rc=$?
    # Other units of this machine may be reported too (their own problems): only ours count.
    if [ $rc -ne 0 ] || grep -q 'migtorture-nightly' "$tmp/verify.log"; then
      cat "$tmp/verify.log"
      fail "systemd-analyze verify rejects the units (exit $rc)"
    fi
    echo "ok: systemd-analyze verify"
  fi
fi

# --- GitLab CI -----------------------------------------------------------------------------
gl=$dir/gitlab-ci.yml
if "$PY" -c 'import yaml' 2>/dev/null; then
  "$PY" - "$gl" <<'EOF' || exit 1
import sys, yaml
def die(m): sys.exit("FAIL: gitlab-ci.yml: " + m)
try:
    d = yaml.safe_load(open(sys.argv[1]))
except yaml.YAMLError as e:
    die("not YAML: " + " ".join(str(e).split()))
def script(job): return "\n".join(d[job].get("script", []))
if d.get("stages") != ["build", "torture", "report"]: die(f"stages are {d.get('stages')}")
for job in ("build", "nightly", "join"):
    if job not in d: die(f"no job '{job}'")
if "cmake --build" not in script("build"): die("the build job does not build")
if not any(p.startswith("build/") for p in d["build"]["artifacts"]["paths"]):
    die("the build job keeps no binary")
n = d["nightly"]
if not isinstance(n.get("parallel"), int) or n["parallel"] < 2: die("nightly is not parallel")
run = [l for l in n["script"] if "migtorture run" in l]
if len(run) != 1: die("nightly does not run 'migtorture run' exactly once")
if '--shard "$CI_NODE_INDEX/$CI_NODE_TOTAL"' not in run[0]: die("the run is not sharded")
paths = n["artifacts"]["paths"]
if n["artifacts"].get("when") != "always": die("shard artifacts are not kept when a shard fails")
if not any("$CI_NODE_INDEX" in p for p in paths): die(f"artifact paths {paths} are not per shard")
for p in paths:
    if ("-o \"" + p.rstrip("/") + "\"") not in run[0]: die(f"the run does not write into {p}")
if n.get("allow_failure", {}).get("exit_codes") != [1]: die("only exit 1 may be allowed to fail")
j = d["join"]
if "nightly" not in j.get("needs", []): die("join does not collect the shards")
if "report out/shard-*/results.json" not in script("join"): die("join does not join the shards")
if j["artifacts"]["reports"].get("junit") != "junit.xml": die("no junit report")
print("ok: gitlab-ci.yml parses and shards into per-shard artifacts")
EOF
else
  fail "Debian's python3 has no yaml module: scripts/setup installs python3-yaml"
fi

# --- Jenkinsfile ---------------------------------------------------------------------------
# No Groovy here: brackets must balance outside strings and comments, and the stages and steps
# docs/nightly.md describes must be there. Whether Jenkins accepts it is not checked.
jf=$dir/Jenkinsfile
"$PY" - "$jf" <<'EOF' || exit 1
import sys
text = open(sys.argv[1]).read()
pairs, stack, i, line = {")": "(", "]": "[", "}": "{"}, [], 0, 1
while i < len(text):
    c = text[i]
    if c == "\n": line += 1
    if text.startswith("//", i):
        i = text.find("\n", i)
        if i < 0: break
        continue
    if c in "'\"":
        j = i + 1
        while j < len(text) and text[j] != c:
            if text[j] == "\\": j += 1
            if text[j] == "\n": sys.exit(f"FAIL: Jenkinsfile:{line}: unterminated string")
            j += 1
        i = j + 1
        continue
    if c in "([{": stack.append((c, line))
    elif c in ")]}":
        if not stack or stack[-1][0] != pairs[c]:
            sys.exit(f"FAIL: Jenkinsfile:{line}: unbalanced '{c}'")
        stack.pop()
    i += 1
if stack: sys.exit(f"FAIL: Jenkinsfile:{stack[-1][1]}: '{stack[-1][0]}' never closed")
print("ok: Jenkinsfile brackets balance (no Groovy here: not compiled)")
EOF
for s in "stage('build')" "stage('torture')" "stage('shard')" "stage('report')"; do
  has "$jf" "$s" "missing stage"
done
has "$jf" "cmake --build build" "no build step"
has "$jf" "--shard \"\$SHARD\"" "the run is not sharded"
has "$jf" "values '1/4', '2/4', '3/4', '4/4'" "no shard axis"
has "$jf" "report out/shard-*/results.json" "the shards are not joined"
has "$jf" "junit " "no junit step"
has "$jf" "cron(" "no nightly trigger"
echo "ok: Jenkinsfile stages and steps"
