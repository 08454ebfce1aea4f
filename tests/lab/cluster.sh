#!/bin/bash
# tests/lab/cluster.sh MIGTORTURE SRCDIR — the lab addressed exactly as a real cluster is
# (`mt-lab up --ceph --cluster`, ctest label `ceph`): the runner reaches the hypervisor hosts
# only over ssh — libvirt by qemu+libssh with checked host keys, faults and host stress through
# each host's restricted agent (a key forced to `migtorture agent --config`), Ceph through the
# non-admin client.migtorture, the guest by its address. Then:
#   `migtorture run scenarios/examples/cluster.ini` (no lab: reference): the thesis' three web
#   scenarios, a tbf on both migration interfaces, CPU stress on the destination and an OSD
#   out — every cell passes, with migration time, the three downtimes and bytes, the faults
#   applied on the hosts (their round trips) and the OSD map epochs; its OpenMetrics
#   rendering passes promtool and Python's parser (tests/cli/promcheck.sh);
#   a second run holding the same faults is SIGKILLed while they are on, and `migtorture
#   recover` — through the agents — leaves no qdisc, stress-ng or OSD out behind, and a second
#   recover has nothing open;
# then takes the lab down and checks the hosts' sshds are gone. Prints every figure.
# Skips (77) without root or the lab's, Ceph's or ssh's tools, or when a lab that is not ours is
# up (it is not ours to take down).
set -u
MT=$(readlink -f "$1") SRC=$2
LAB=$SRC/lab/mt-lab
STATE=${MT_LAB_STATE:-/run/migtorture/lab}
skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, libvirtd, sshd, ceph daemons)"
for t in ip ethtool unshare virsh libvirtd qemu-system-x86_64 linux.uml ssh /usr/sbin/sshd nc \
         busybox curl jq ceph ceph-mon ceph-osd stress-ng; do
  command -v "$t" >/dev/null 2>&1 || skip "missing $t (run scripts/setup)"
done
[ -f /usr/lib/x86_64-linux-gnu/qemu/block-rbd.so ] || skip "QEMU has no rbd driver (qemu-block-extra)"
[ "$("$LAB" status)" = down ] || skip "a lab is up (not ours to take down); run mt-lab down first"

FAILS=0 FIG=() OWN=1
TMP=$(mktemp -d /tmp/mt-cluster.XXXXXX)
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
cleanup() {
  if [ $OWN = 1 ]; then "$LAB" down >/dev/null 2>&1 || echo "FAIL: mt-lab down"; fi
  if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP" && cp -r "$TMP"/. "$KEEP"/; fi
  rm -rf "$TMP"
}
trap cleanup EXIT

# The hosts' agent: the migtorture package's binary where pkg_build_install kept the .debs
# (MT_PKG_DEBS), unpacked here rather than installed (the test does not own /usr); else this
# build's. MT_LAB_AGENT_BINARY set by the caller wins.
if [ -z "${MT_LAB_AGENT_BINARY:-}" ]; then
  deb=$(ls "${MT_PKG_DEBS:-/nonexistent}"/migtorture_*.deb 2>/dev/null | head -n1)
  if [ -n "$deb" ]; then
    dpkg-deb -x "$deb" "$TMP/pkgroot" || { echo "FAIL: dpkg-deb -x $deb"; exit 1; }
    MT_LAB_AGENT_BINARY=$TMP/pkgroot/usr/bin/migtorture
    v=$("$MT_LAB_AGENT_BINARY" --version) || { echo "FAIL: the package's agent does not run"; exit 1; }
    [ "$(awk '{print $2}' <<<"$v")" = "$("$MT" --version | awk '{print $2}')" ] ||
      { echo "FAIL: package $v, runner $("$MT" --version)"; exit 1; }
    echo "hosts' agent: /usr/bin/migtorture of $(basename "$deb") ($v)"
  else
    MT_LAB_AGENT_BINARY=$MT
    echo "hosts' agent: this build's $MT (no package in '${MT_PKG_DEBS:-}': pkg_build_install did not run)"
  fi
fi
export MT_LAB_AGENT_BINARY MT_LAB_QUIET=1
t=$(date +%s%N)
"$LAB" up --ceph --cluster > "$TMP/up.log" 2>&1 || { echo "FAIL: mt-lab up --ceph --cluster: $(tail -3 "$TMP/up.log")"; exit 1; }
FIG+=("mt-lab up --ceph --cluster: ready in $(ms "$t") ms")
D=$STATE/lab.json
j() { jq -r "$1" "$D"; }
[ "$(j .cluster.hosts.hosta.address)" = 198.18.3.11 ] || fail "lab.json has no cluster member"
KH=$(j .cluster.known_hosts) AG=$(j .cluster.agent_identity) LV=$(j .cluster.libvirt_identity)

# --- each key does one thing only ---
sshh() { ssh -T -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$KH" \
             -o IdentitiesOnly=yes -o ConnectTimeout=5 -i "$1" "root@$2" "${@:3}"; }
out=$(sshh "$AG" 198.18.3.11 id 2>&1 < /dev/null)
grep -q 'uid=0' <<<"$out" && fail "the agent key ran a shell command on hosta: $out"
out=$(printf '{"req":"hello","id":1,"proto":1,"version":"%s"}\n{"req":"bye","id":2}\n' \
        "$("$MT" --version | awk '{print $2}')" | sshh "$AG" 198.18.3.12 ignored 2>&1)
grep -q '"ok":true' <<<"$out" || fail "the agent key did not reach an agent on hostb: $out"
out=$(sshh "$LV" 198.18.3.11 id 2>&1 < /dev/null)
grep -q 'uid=0' <<<"$out" && fail "the libvirt key ran a shell command on hosta: $out"
# host keys are checked: an empty known_hosts refuses
: > "$TMP/kh-empty"
ssh -T -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$TMP/kh-empty" \
  -o IdentitiesOnly=yes -o ConnectTimeout=5 -i "$AG" root@198.18.3.11 < /dev/null > "$TMP/kh.out" 2>&1 &&
  fail "ssh accepted hosta's key without a known_hosts entry"
t=$(date +%s%N)
virsh -q -c "$(j .cluster.hosts.hosta.libvirt_uri)" list --all > "$TMP/list" 2>&1 ||
  fail "virsh over qemu+libssh to hosta: $(cat "$TMP/list")"
FIG+=("virsh list over qemu+libssh (connect + list): $(ms "$t") ms")

# --- the VM starts on hosta, so the stress cell (the 5th, after 4 hops) stresses its destination ---
vm_on() { virsh -c "$(j ".cluster.hosts.$1.libvirt_uri")" domstate web 2>/dev/null | head -1; }
if [ "$(vm_on hostb)" = running ]; then
  virsh -c "$(j .cluster.hosts.hostb.libvirt_uri)" migrate --live --p2p --persistent --undefinesource \
    web "$(j .cluster.hosts.hosta.libvirt_uri)" > "$TMP/mig0" 2>&1 || fail "move the VM to hosta: $(cat "$TMP/mig0")"
fi
[ "$(vm_on hosta)" = running ] || { echo "FAIL: the VM does not run on hosta"; exit 1; }

# --- the shipped cluster scenario, as a user runs it ---
SCN=$SRC/scenarios/examples/cluster.ini
grep -v '^ *;' "$SCN" | grep -q 'lab:' && fail "$SCN refers to the lab by alias"
"$MT" validate "$SCN" > /dev/null || fail "$SCN does not validate"
t=$(date +%s%N)
"$MT" run "$SCN" -o "$TMP/run1" --journal "$TMP/journal1" > "$TMP/run1.log" 2>&1; rc=$?
FIG+=("cluster.ini: exit $rc in $(ms "$t") ms")
R=$TMP/run1/results.json
if [ ! -f "$R" ]; then
  fail "cluster.ini: no results (exit $rc): $(tail -5 "$TMP/run1.log")"
else
  [ $rc = 0 ] || fail "cluster.ini exit $rc: $(jq -r '[.cells[] | select(.verdict != "pass") | "\(.name): \(.verdict) \(.reason)"] | join("; ")' "$R")"
  [ "$(jq '.cells | length' "$R")" = 6 ] || fail "cluster.ini: $(jq '.cells | length' "$R") cells, expected 6"
  for i in 0 1 2 3 4 5; do
    c=".cells[$i]"
    name=$(jq -r "$c.name" "$R")
    m() { jq -r "$c.metrics | $1" "$R"; }
    [ "$(jq -r "$c.verdict" "$R")" = pass ] || fail "$name: $(jq -r "$c.verdict" "$R"): $(jq -r "$c.reason" "$R")"
    for k in migration.total_time_ms downtime.hypervisor_downtime_ms downtime.network_outage_ms \
             downtime.guest_stall_ms migration.transferred_bytes; do
      [ "$(m ".$k | numbers")" != "" ] || fail "$name: no $k"
    done
    # the hypervisors' logs of the cell, read through the agents: the destination's QEMU log
    # holds this cell's one incoming start and nothing older
    if [ "$(m '.migration.direction')" = "source->dest" ]; then to=hostb; else to=hosta; fi
    f=$(m ".logs.$to.qemu.file")
    [ -f "$TMP/run1/$f" ] || fail "$name: no $to QEMU log kept via the agent ($(m ".logs.$to.qemu"))"
    n=$(grep -c 'starting up' "$TMP/run1/$f"); grep -q -- '-incoming' "$TMP/run1/$f" || n="$n, no -incoming"
    [ "$n" = 1 ] || fail "$name: $to's QEMU log of the cell: $n QEMU starts, not 1"
    for h in hosta hostb; do
      [ -f "$TMP/run1/$(m ".logs.$h.libvirtd.file")" ] || fail "$name: no $h libvirtd log kept ($(m ".logs.$h.libvirtd"))"
    done
    FIG+=("$name ($(m '.migration.direction')): total $(m '.migration.total_time_ms') ms, hypervisor downtime $(m '.downtime.hypervisor_downtime_ms') ms, guest stall $(m '.downtime.guest_stall_ms') ms, network outage $(m '.downtime.network_outage_ms') ms, $(m '.migration.transferred_bytes') bytes")
  done
  # the faults ran on the hosts, through their agents
  c='.cells[] | select(.section == "tbf-migration-link")'
  [ -n "$(jq -r "$c | .metrics.remote.hosta.tbf.apply_rtt_ms // empty" "$R")" ] ||
    fail "tbf-migration-link: no remote.hosta.tbf.apply_rtt_ms"
  FIG+=("tbf via the agents: apply round trip hosta $(jq -r "$c | .metrics.remote.hosta.tbf.apply_rtt_ms" "$R") ms, hostb $(jq -r "$c | .metrics.remote.hostb.tbf.apply_rtt_ms" "$R") ms; ssh session set-up $(jq -r "$c | .metrics.remote.hosta.session_setup_ms" "$R") ms")
  c='.cells[] | select(.section == "cpu-stress-dest")'
  [ "$(jq -r "$c | .metrics.migration.direction" "$R")" = "source->dest" ] ||
    fail "cpu-stress-dest: the VM did not migrate to hostb"
  [ -n "$(jq -r "$c | .metrics.remote.hostb[\"host-cpu\"].apply_rtt_ms // empty" "$R")" ] ||
    fail "cpu-stress-dest: no remote.hostb.host-cpu.apply_rtt_ms (the stress did not run through the agent)"
  FIG+=("host-cpu on hostb via its agent: $(jq -c "$c | .metrics.stress // {} | tostring | .[0:160]" "$R")")
  c='.cells[] | select(.section == "osd-out")'
  jq -e "$c | .timeline[] | select(.what == \"ceph.osdmap\")" "$R" > /dev/null ||
    fail "osd-out: no OSD map epoch recorded (the non-admin client reads the maps)"
  jq -r "$c | .timeline[] | select(.what | test(\"fault|ceph.osdmap\")) | \"  osd-out: \\(.actual_ms) ms \\(.what) \\(.detail // \"\")\"" "$R"
fi

# --- the run's metrics as Prometheus reads them (a real run's output, not a fixture) ---
if [ -f "$R" ]; then
  out=$(bash "$SRC/tests/cli/promcheck.sh" "$R" "$MT" 2>&1); prc=$?
  echo "$out" | sed 's/^/  promcheck: /'
  [ $prc = 0 ] || fail "promcheck on the cluster run's results (exit $prc)"
fi

# --- SIGKILL while the faults are on, then recover through the agents ---
cat > "$TMP/hold.ini" <<INI
[global]
source = $(j .cluster.hosts.hosta.libvirt_uri)
dest = $(j .cluster.hosts.hostb.libvirt_uri)
guest = 198.18.0.10
client = local
migrate.count = 0
warmup = 1s
cooldown = 60s
targets = hosta:m-ab, hostb:m-ba, hostb, local
[host:hosta]
kind = ssh
address = 198.18.3.11
identity = $AG
known_hosts = $KH
[host:hostb]
kind = ssh
address = 198.18.3.12
identity = $AG
known_hosts = $KH
[hold]
fault = tbf host=hosta dev=m-ab rate=50mbit at=0s + tbf host=hostb dev=m-ba rate=50mbit at=0s + osd-out id=1 conf=/run/migtorture/ceph/ceph.conf keyring=/run/migtorture/ceph/ceph.client.migtorture.keyring client=migtorture wait_clean=0s at=0s
stress = host-cpu host=hostb workers=1 load=30%
INI
qd() { ip netns exec "$1" tc qdisc show dev "$2" | head -1; }
osd1_in() { timeout 20 ceph -c /run/migtorture/ceph/ceph.conf -k /run/migtorture/ceph/ceph.client.admin.keyring osd dump -f json 2>/dev/null | jq -r '.osds[] | select(.osd == 1) | .in'; }
stress_left() { ip netns pids mt-hostb | while read -r p; do tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null; echo; done | grep -c '^stress-ng' ; }
"$MT" run "$TMP/hold.ini" -o "$TMP/run2" --journal "$TMP/journal2" > "$TMP/run2.log" 2>&1 &
runpid=$!
on=0
for _ in $(seq 1 300); do
  if qd mt-hosta m-ab | grep -q tbf && qd mt-hostb m-ba | grep -q tbf && [ "$(osd1_in)" = 0 ] &&
     [ "$(stress_left)" -gt 0 ]; then on=1; break; fi
  kill -0 $runpid 2>/dev/null || break
  sleep 0.2
done
[ $on = 1 ] || fail "the held faults never were all on: hosta $(qd mt-hosta m-ab), hostb $(qd mt-hostb m-ba), osd.1 in=$(osd1_in), stress-ng $(stress_left): $(tail -3 "$TMP/run2.log")"
kill -KILL $runpid 2>/dev/null; wait $runpid 2>/dev/null
# The hosts' agents saw their sessions die and undid their own faults (dead-man switch); the
# OSD out was the runner's own, for recover.
echo "SIGKILLed the run with its faults on; a moment later: hosta $(qd mt-hosta m-ab | cut -c1-40), hostb $(qd mt-hostb m-ba | cut -c1-40), osd.1 in=$(osd1_in), stress-ng $(stress_left)"
t=$(date +%s%N)
"$MT" recover --journal "$TMP/journal2" > "$TMP/recover.log" 2>&1 || fail "recover exit $?: $(tail -3 "$TMP/recover.log")"
FIG+=("recover through the agents after the SIGKILL: $(ms "$t") ms")
sed 's/^/  recover: /' "$TMP/recover.log"
"$MT" recover --journal "$TMP/journal2" > "$TMP/recover2.log" 2>&1 && grep -q 'nothing open' "$TMP/recover2.log" ||
  fail "second recover was not a no-op: $(cat "$TMP/recover2.log")"
qd mt-hosta m-ab | grep -q tbf && fail "tbf left on hosta m-ab"
qd mt-hostb m-ba | grep -q tbf && fail "tbf left on hostb m-ba"
for _ in $(seq 1 25); do [ "$(stress_left)" = 0 ] && break; sleep 0.2; done
[ "$(stress_left)" = 0 ] || fail "stress-ng left on hostb"
[ "$(osd1_in)" = 1 ] || fail "osd.1 left out"

# --- down leaves no sshd of the hosts ---
OWN=0
"$LAB" down > /dev/null 2>&1 || fail "mt-lab down exit $?"
for p in /proc/[0-9]*; do
  { c=$(tr '\0' ' ' < "$p/cmdline"); } 2>/dev/null || continue
  case $c in *"$STATE/cluster/"*) fail "process left: ${c:0:80}" ;; esac
done
printf 'FIGURE: %s\n' "${FIG[@]}"
[ $FAILS = 0 ] || { echo "$FAILS failure(s)"; exit 1; }
echo "ok"
