#!/bin/bash
# remote_ssh.sh — a fault on an ssh host, for real: the test's own sshd in its own namespace.
#
#   remote_ssh.sh MIGTORTURE
#
# Builds namespace mtt-remote-ssh (veth mtr0/mtr1, 198.18.200.1/24 on mtr0), generates a host
# key, a client key, authorized_keys and known_hosts into a 0700 temporary directory, and
# starts /usr/sbin/sshd -D on 198.18.200.1 there (UsePAM no, StrictModes off, PidFile in the
# temporary directory). The key is set up as docs/remote-hosts.md says: command="MT agent",
# restrict in authorized_keys, and an agent.conf (SetEnv MT_AGENT_CONF) allowing tbf on mtr0
# only. migtorture itself runs inside the namespace (ip netns exec), so its ssh session, the
# far side's `migtorture agent` and the qdisc all live there; nothing else on the machine is
# touched.
#   1. run: `tbf dev=mtr0 rate=10mbit host=r` ([host:r] kind=ssh) is applied (seen with tc
#      while the cell runs) and undone after; results.json has the effect times (fault.applied
#      / fault.undone events) and the session figures (remote.r.*).
#   2. dead-man: the runner is SIGKILLed while the fault is on → ssh's stdin ends → the agent
#      undoes by itself; `migtorture recover` then closes the runner's entry through a new
#      session.
#   3. SIGINT while the fault is on: the runner undoes through its session and exits 130.
#   4. a known_hosts entry with another key: refused (exit 3) with ssh's own words.
#   5. the key runs nothing but the agent: `ssh HOST touch FILE` creates no file.
#   6. tbf on mtr1, which agent.conf does not allow: the cell is an error with the agent's
#      reason (exit 3), mtr1's qdisc is untouched.
#   7. host stress on the ssh host (`stress = host-cpu host=r`, allowed by agent.conf's
#      [allow] stress): the agent's stress-ng runs while the cell does, its metrics reach
#      results.json, and neither the process nor its temp dir is left after the run.
#   8. the runner is SIGKILLed while that stress runs: the agent's dead-man switch stops
#      stress-ng, and `migtorture recover` closes the runner's two entries through a new
#      session (the new agent knows them as its own, already undone).
# Prints the measured figures. Exit 77 (with the reason) without root or OpenSSH.
set -u
MT=${1:?usage: remote_ssh.sh MIGTORTURE}
MT=$(readlink -f "$MT")
NS=mtt-remote-ssh
ADDR=198.18.200.1

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (network namespace, sshd, qdiscs)"
for b in /usr/sbin/sshd ssh ssh-keygen ip tc; do
  command -v "$b" >/dev/null || skip "$b is missing (openssh-server, openssh-client, iproute2)"
done

TMP=$(mktemp -d /tmp/mtt-remote-ssh.XXXXXX)
chmod 0700 "$TMP"
SSHD_PID=   # the listener's own PID, from its PidFile (ip netns exec may fork)
WRAP_PID=
RUN_PID=
cleanup() {
  [ -n "$RUN_PID" ] && kill -9 "$RUN_PID" 2>/dev/null
  [ -z "$SSHD_PID" ] && [ -s "$TMP/sshd.pid" ] && SSHD_PID=$(cat "$TMP/sshd.pid")
  if [ -n "$SSHD_PID" ]; then
    kill "$SSHD_PID" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$SSHD_PID" 2>/dev/null || break; sleep 0.1; done
  fi
  [ -n "$WRAP_PID" ] && wait "$WRAP_PID" 2>/dev/null
  ip netns del "$NS" 2>/dev/null
  if [ -n "${MTT_KEEP:-}" ]; then echo "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$TMP/sshd.log" ] && sed 's/^/  sshd: /' "$TMP/sshd.log" | tail -5; exit 1; }
nsx() { ip netns exec "$NS" "$@"; }
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
root_qdisc() { nsx tc qdisc show dev mtr0 root | awk '{print $2; exit}'; }

# A leftover of an earlier, killed run of this very test.
ip netns del "$NS" 2>/dev/null
ip netns add "$NS" || fail "ip netns add $NS"
nsx ip link set lo up
nsx ip link add mtr0 type veth peer name mtr1 || fail "veth"
nsx ip addr add "$ADDR/24" dev mtr0
nsx ip link set mtr0 up
nsx ip link set mtr1 up

ssh-keygen -q -t ed25519 -N '' -C mtt-remote-host -f "$TMP/host_key" || fail "host key"
ssh-keygen -q -t ed25519 -N '' -C mtt-remote-client -f "$TMP/id" || fail "client key"
# The runner's key can start the agent and nothing else (docs/remote-hosts.md).
printf 'command="%s agent",restrict %s\n' "$MT" "$(cut -d' ' -f1,2 "$TMP/id.pub")" \
  > "$TMP/authorized_keys"
cat > "$TMP/agent.conf" <<CONF
; what the agent may change here
[allow]
faults = tbf
interfaces = mtr0
stress = host-cpu
[limits]
stress_workers_max = 1
CONF
printf '%s %s\n' "$ADDR" "$(cut -d' ' -f1,2 "$TMP/host_key.pub")" > "$TMP/known_hosts"
cat > "$TMP/sshd_config" <<CONF
ListenAddress $ADDR
HostKey $TMP/host_key
AuthorizedKeysFile $TMP/authorized_keys
PidFile $TMP/sshd.pid
UsePAM no
UseDNS no
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
PrintMotd no
SetEnv MT_AGENT_JOURNAL=$TMP/agent.journal MT_AGENT_CONF=$TMP/agent.conf
CONF
# sshd refuses to start without its privilege separation directory (Debian creates it at boot
# only when the ssh service runs).
[ -d /run/sshd ] || mkdir -m 0755 /run/sshd
nsx /usr/sbin/sshd -D -f "$TMP/sshd_config" -E "$TMP/sshd.log" </dev/null >/dev/null 2>&1 &
WRAP_PID=$!
up=
# ssh HOST COMMAND: the forced command runs instead (the agent; stdin empty: it exits at once).
rssh() {
  nsx ssh -T -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$TMP/known_hosts" \
    -o IdentitiesOnly=yes -i "$TMP/id" -l root "$ADDR" "$@" </dev/null
}
for _ in $(seq 1 50); do
  rssh true 2>/dev/null && { up=1; break; }
  sleep 0.1
done
[ -n "$up" ] || fail "sshd on $ADDR did not answer"
SSHD_PID=$(cat "$TMP/sshd.pid")
t=$(date +%s%N)
rssh true 2>/dev/null
echo "figure: one cold ssh login (the forced command: an agent with nothing to do): $(ms "$t") ms"

scenario() { # scenario FOR COOLDOWN [DEV [TARGETS]]
  local dev=${3:-mtr0} targets=${4:-r:mtr0}
  cat > "$TMP/s.ini" <<INI
[global]
description = remote_ssh.sh: tbf on an ssh host
source = none
dest = none
warmup = 0s
cooldown = $2
migrate.count = 0
; the blast radius: the ssh host's device is a declared target
targets = $targets

[host:r]
kind = ssh
address = $ADDR
user = root
identity = $TMP/id
known_hosts = $TMP/known_hosts
remote_binary = $MT

[remote]
fault = tbf dev=$dev rate=10mbit at=0s for=$1 host=r
INI
}

# ---- 1. a run: applied while on, undone after, times in the results ----
scenario 3s 5s
[ "$(root_qdisc)" = noqueue ] || fail "mtr0 does not start with noqueue: $(root_qdisc)"
t=$(date +%s%N)
# shellcheck disable=SC2016
nsx bash -c 'echo $$ > "$0"; exec "$@"' "$TMP/run1.pid" \
  "$MT" run -v --journal "$TMP/journal" -o "$TMP/out" "$TMP/s.ini" > "$TMP/run.log" 2>&1 &
WRAP1=$!
for _ in $(seq 1 50); do [ -s "$TMP/run1.pid" ] && break; sleep 0.05; done
RUN_PID=$(cat "$TMP/run1.pid")
seen=
for _ in $(seq 1 100); do
  [ "$(root_qdisc)" = tbf ] && { seen=$(ms "$t"); break; }
  sleep 0.05
done
wait "$WRAP1"; rc=$?
RUN_PID=
sed 's/^/  run: /' "$TMP/run.log"
[ -n "$seen" ] || fail "tbf never appeared on mtr0 during the run"
[ "$rc" = 0 ] || fail "migtorture run exited $rc"
[ "$(root_qdisc)" = noqueue ] || fail "after the run mtr0 has $(root_qdisc), not noqueue"
echo "figure: tbf seen on mtr0 $seen ms after the runner started (includes session setup)"
python3 - "$TMP/out/results.json" <<'PY' || fail "results.json lacks the remote figures"
import json, sys
r = json.load(open(sys.argv[1]))
c = r["cells"][0]
assert c["verdict"] in ("pass", "none"), c.get("verdict")
ev = {e["what"]: e for e in c["timeline"]}
for w in ("fault.applied tbf", "fault.undone tbf"):
    assert w in ev, (w, list(ev))
    assert "ssh" in ev[w].get("detail", ""), ev[w]
m = c["metrics"]["remote"]["r"]
print("figure: session setup %.1f ms, best round trip %.3f ms, clock error <= %.3f ms"
      % (m["session_setup_ms"], m["rtt_min_ms"], m["clock_error_ms"]))
print("figure: apply round trip %.2f ms, undo round trip %.2f ms"
      % (m["tbf"]["apply_rtt_ms"], m["tbf"]["undo_rtt_ms"]))
print("figure: applied at %+.2f ms, undone at %+.2f ms of the cell's t0 (off planned at 3 s)"
      % (ev["fault.applied tbf"]["actual_ns"] / 1e6, ev["fault.undone tbf"]["actual_ns"] / 1e6))
assert 0 <= ev["fault.applied tbf"]["actual_ns"] < 2e9
assert 3e9 <= ev["fault.undone tbf"]["actual_ns"] < 5e9
PY
"$MT" recover --journal "$TMP/journal" | grep -q "nothing open" || fail "the journal has open entries after the run"

# ---- 2. the runner dies: the agent's dead-man switch, then recover ----
scenario 60s 60s
# The runner's own PID (ip netns exec may fork): the shell writes it, then becomes it.
# shellcheck disable=SC2016
nsx bash -c 'echo $$ > "$0"; exec "$@"' "$TMP/run2.pid" \
  "$MT" run --journal "$TMP/journal" -o "$TMP/out2" "$TMP/s.ini" > "$TMP/run2.log" 2>&1 &
WRAP2=$!
for _ in $(seq 1 50); do [ -s "$TMP/run2.pid" ] && break; sleep 0.05; done
RUN_PID=$(cat "$TMP/run2.pid")
for _ in $(seq 1 200); do [ "$(root_qdisc)" = tbf ] && break; sleep 0.05; done
[ "$(root_qdisc)" = tbf ] || { cat "$TMP/run2.log"; fail "tbf did not appear in the second run"; }
sleep 0.3
t=$(date +%s%N)
kill -9 "$RUN_PID"
wait "$WRAP2" 2>/dev/null
RUN_PID=
gone=
for _ in $(seq 1 400); do
  [ "$(root_qdisc)" = noqueue ] && { gone=$(ms "$t"); break; }
  sleep 0.01
done
[ -n "$gone" ] || fail "the agent did not undo the tbf after the runner was killed"
echo "figure: dead-man switch: runner SIGKILLed → tbf gone after $gone ms (tc polled every 10 ms)"
nsx "$MT" recover --journal "$TMP/journal" > "$TMP/recover.log" 2>&1 || { cat "$TMP/recover.log"; fail "recover failed"; }
sed 's/^/  recover: /' "$TMP/recover.log"
grep -q "1 undone, 0 failed" "$TMP/recover.log" || fail "recover did not close the runner's entry"
grep -q "on r" "$TMP/recover.log" || fail "recover did not go through host r"
[ "$(root_qdisc)" = noqueue ] || fail "after recover mtr0 has $(root_qdisc)"
grep -q "Accepted publickey" "$TMP/sshd.log" || fail "sshd never accepted the key"

# ---- 3. SIGINT mid-fault: the runner undoes over its session, exits 130 ----
scenario 60s 60s
# shellcheck disable=SC2016
nsx bash -c 'echo $$ > "$0"; exec "$@"' "$TMP/run4.pid" \
  "$MT" run --journal "$TMP/journal" -o "$TMP/out4" "$TMP/s.ini" > "$TMP/run4.log" 2>&1 &
WRAP4=$!
for _ in $(seq 1 50); do [ -s "$TMP/run4.pid" ] && break; sleep 0.05; done
RUN_PID=$(cat "$TMP/run4.pid")
for _ in $(seq 1 200); do [ "$(root_qdisc)" = tbf ] && break; sleep 0.05; done
[ "$(root_qdisc)" = tbf ] || { cat "$TMP/run4.log"; fail "tbf did not appear in the SIGINT run"; }
kill -INT "$RUN_PID"
wait "$WRAP4"; rc=$?
RUN_PID=
sed 's/^/  run: /' "$TMP/run4.log"
[ "$rc" = 130 ] || fail "SIGINT: exit $rc, expected 130"
[ "$(root_qdisc)" = noqueue ] || fail "after SIGINT mtr0 has $(root_qdisc)"
"$MT" recover --journal "$TMP/journal" | grep -q "nothing open" || fail "SIGINT left entries open"

# ---- 4. a host key that does not match known_hosts: refused, with ssh's own words ----
ssh-keygen -q -t ed25519 -N '' -C mtt-remote-other -f "$TMP/other_key" || fail "other key"
printf '%s %s\n' "$ADDR" "$(cut -d' ' -f1,2 "$TMP/other_key.pub")" > "$TMP/known_hosts"
scenario 1s 1s
nsx "$MT" run --journal "$TMP/journal" -o "$TMP/out3" "$TMP/s.ini" > "$TMP/run3.log" 2>&1
rc=$?
sed 's/^/  run: /' "$TMP/run3.log"
[ "$rc" = 3 ] || fail "a wrong host key: exit $rc, expected 3 (infrastructure error)"
grep -q "Host key verification failed" "$TMP/run3.log" || fail "the error does not say why"
[ "$(root_qdisc)" = noqueue ] || fail "mtr0 changed although the host key was wrong"
printf '%s %s\n' "$ADDR" "$(cut -d' ' -f1,2 "$TMP/host_key.pub")" > "$TMP/known_hosts"

# ---- 5. the key starts the agent and nothing else ----
rssh touch "$TMP/pwned" >/dev/null 2>&1
[ ! -e "$TMP/pwned" ] || fail "the runner's key ran a command of its choice"

# ---- 6. a device agent.conf does not allow: the cell fails with the agent's reason ----
mtr1_qdisc() { nsx tc qdisc show dev mtr1 root | awk '{print $2; exit}'; }
q1=$(mtr1_qdisc)
scenario 1s 1s mtr1 r
nsx "$MT" run --journal "$TMP/journal" -o "$TMP/out5" "$TMP/s.ini" > "$TMP/run5.log" 2>&1
rc=$?
sed 's/^/  run: /' "$TMP/run5.log"
[ "$rc" = 3 ] || fail "a device the agent does not allow: exit $rc, expected 3"
python3 - "$TMP/out5/results.json" <<'PY' || fail "the cell does not carry the agent's reason"
import json, sys
c = json.load(open(sys.argv[1]))["cells"][0]
print("  cell %s: %s" % (c["verdict"], c["reason"]))
assert c["verdict"] == "error", c["verdict"]
assert "interface 'mtr1' is not in [allow] interfaces (mtr0)" in c["reason"], c["reason"]
PY
[ "$(mtr1_qdisc)" = "$q1" ] || fail "mtr1 changed although agent.conf does not allow it"
"$MT" recover --journal "$TMP/journal" | grep -q "nothing open" || fail "the refusal left an entry open"

# ---- 7. host stress on the ssh host, through its agent ----
if ! command -v stress-ng >/dev/null; then
  echo "note: stress-ng is not installed: the host stress part is not run"
else
  cat > "$TMP/s.ini" <<INI
[global]
description = remote_ssh.sh: host stress on an ssh host
source = none
dest = none
warmup = 0s
cooldown = 3s
migrate.count = 0

[host:r]
kind = ssh
address = $ADDR
user = root
identity = $TMP/id
known_hosts = $TMP/known_hosts
remote_binary = $MT

[stress]
stress = host-cpu host=r workers=1 load=20%
INI
  # The agent's own journal names its stress-ng (pid) and temp dir: ours, not another user's.
  agent_rec() { # agent_rec KIND FIELD: that field of the newest open KIND entry, or nothing
    python3 - "$TMP/agent.journal" "$1" "$2" <<'PY'
import json, sys
v = ""
for line in open(sys.argv[1]):
    try:
        o = json.loads(line)
    except ValueError:
        continue
    if o.get("op") == "open" and o.get("kind") == sys.argv[2]:
        v = o["undo"][sys.argv[3]]
print(v)
PY
  }
  before=$(agent_rec process pid)
  nsx "$MT" run -v --journal "$TMP/journal" -o "$TMP/out7" "$TMP/s.ini" > "$TMP/run7.log" 2>&1 &
  WRAP7=$!
  spid=
  for _ in $(seq 1 100); do
    p=$(agent_rec process pid)
    if [ -n "$p" ] && [ "$p" != "$before" ]; then spid=$p; break; fi
    sleep 0.05
  done
  [ -n "$spid" ] && comm=$(cat "/proc/$spid/comm" 2>/dev/null)
  sdir=$(agent_rec tmpdir path)
  wait "$WRAP7"; rc=$?
  sed 's/^/  run: /' "$TMP/run7.log"
  [ -n "$spid" ] || fail "the agent journalled no stress-ng process"
  case "$comm" in stress-ng*) ;; *) fail "pid $spid was '$comm', not stress-ng, during the run" ;; esac
  [ "$rc" = 0 ] || fail "the host stress run exited $rc"
  [ ! -d "/proc/$spid" ] || [ "$(awk '{print $3}' "/proc/$spid/stat" 2>/dev/null)" = Z ] \
    || fail "stress-ng (pid $spid) still runs after the run"
  [ -z "$sdir" ] || [ ! -e "$sdir" ] || fail "the stress temp dir $sdir is left behind"
  python3 - "$TMP/out7/results.json" <<'PY' || fail "results.json lacks the remote stress metrics"
import json, sys
c = json.load(open(sys.argv[1]))["cells"][0]
assert c["verdict"] in ("pass", "none"), (c["verdict"], c.get("reason"))
m = c["metrics"]
cpu = m["stress"]["host"]["cpu"]
assert cpu["bogo_ops"] > 0, cpu
r = m["remote"]["r"]["host-cpu"]
print("figure: host-cpu on r: %.0f bogo ops in %.2f s; apply round trip %.2f ms, "
      "stop+collect round trip %.2f ms" % (cpu["bogo_ops"], cpu["run_s"], r["apply_rtt_ms"],
                                           r["collect_rtt_ms"]))
print("  baseline cpu_cores:", cpu.get("baseline", {}).get("cpu_cores"))
PY
  "$MT" recover --journal "$TMP/journal" | grep -q "nothing open" || fail "host stress left entries open"

  # ---- 8. the runner dies mid-stress: dead-man switch, then recover ----
  sed -i 's/^cooldown = 3s/cooldown = 60s/' "$TMP/s.ini"
  before=$(agent_rec process pid)
  # shellcheck disable=SC2016
  nsx bash -c 'echo $$ > "$0"; exec "$@"' "$TMP/run8.pid" \
    "$MT" run --journal "$TMP/journal" -o "$TMP/out8" "$TMP/s.ini" > "$TMP/run8.log" 2>&1 &
  WRAP8=$!
  for _ in $(seq 1 50); do [ -s "$TMP/run8.pid" ] && break; sleep 0.05; done
  RUN_PID=$(cat "$TMP/run8.pid")
  spid=
  for _ in $(seq 1 100); do
    p=$(agent_rec process pid)
    if [ -n "$p" ] && [ "$p" != "$before" ]; then spid=$p; break; fi
    sleep 0.05
  done
  [ -n "$spid" ] || { cat "$TMP/run8.log"; fail "no stress-ng in the SIGKILL run"; }
  sdir=$(agent_rec tmpdir path)
  sleep 0.5
  t=$(date +%s%N)
  kill -9 "$RUN_PID"
  wait "$WRAP8" 2>/dev/null
  RUN_PID=
  gone=
  for _ in $(seq 1 300); do
    if [ ! -d "/proc/$spid" ] || [ "$(awk '{print $3}' "/proc/$spid/stat" 2>/dev/null)" = Z ]; then
      gone=$(ms "$t"); break
    fi
    sleep 0.01
  done
  [ -n "$gone" ] || fail "stress-ng (pid $spid) survived the runner's SIGKILL"
  echo "figure: dead-man switch: runner SIGKILLed → stress-ng gone after $gone ms"
  for _ in $(seq 1 100); do [ -e "$sdir" ] || break; sleep 0.02; done
  [ -z "$sdir" ] || [ ! -e "$sdir" ] || fail "the dead-man switch left the stress temp dir $sdir"
  nsx "$MT" recover --journal "$TMP/journal" > "$TMP/recover8.log" 2>&1 || { cat "$TMP/recover8.log"; fail "recover after the stress run failed"; }
  sed 's/^/  recover: /' "$TMP/recover8.log"
  grep -q "2 undone, 0 failed" "$TMP/recover8.log" || fail "recover did not close the stress entries"
fi
echo "PASS"
