# cluster.sh — `mt-lab up --cluster`: the two hypervisor hosts reached only as a real cloud's
# are, over ssh on a management network (docs/real-cluster.md, docs/lab.md "Cluster mode").
# Each host namespace gets an address on the management bridge the router already joins, and
# an sshd of its own that accepts two lab keys, each good for one thing only:
#   id_agent   — forced to `migtorture agent --config` (restrict): faults go through the agent's
#                allow-list, the key can run nothing else;
#   id_libvirt — forced to `nc -U` on that host's libvirt socket (restrict): libvirt's
#                qemu+libssh transport, for the runner and for the source libvirtd's p2p
#                connection to the destination.
# Host keys are checked (one known_hosts file). Everything is journalled like the rest of up.
# shellcheck shell=bash

CLUSTER=$STATE/cluster
MGMT_A_IP=198.18.3.11
MGMT_B_IP=198.18.3.12

cluster_mgmt_ip() { case $1 in hosta) echo "$MGMT_A_IP" ;; hostb) echo "$MGMT_B_IP" ;; esac; }
cluster_ns() { case $1 in hosta) echo "$NS_A" ;; hostb) echo "$NS_B" ;; esac; }

# cluster_uri HOST — the libvirt URI a runner uses for HOST in cluster mode.
cluster_uri() {
  echo "qemu+libssh://root@$(cluster_mgmt_ip "$1")/system?socket=$STATE/$1/run/libvirt-sock&keyfile=$CLUSTER/id_libvirt&known_hosts=$CLUSTER/known_hosts&sshauth=privkey"
}

# The agent binary the forced command runs: MT_LAB_AGENT_BINARY (the test harness's build),
# else the migtorture on PATH (the installed package).
cluster_agent_binary() {
  local b=${MT_LAB_AGENT_BINARY:-}
  [ -n "$b" ] || b=$(command -v migtorture 2>/dev/null) || true
  [ -n "$b" ] && [ -x "$b" ] || die "--cluster: no migtorture binary for the hosts' agent (install the package or set MT_LAB_AGENT_BINARY)"
  readlink -f "$b"
}

cluster_keys() {
  local h agent
  agent=$(cluster_agent_binary)
  journal file "$CLUSTER"
  mkdir -p -m 0700 "$CLUSTER"
  ssh-keygen -q -t ed25519 -N '' -C mt-lab-agent -f "$CLUSTER/id_agent"
  ssh-keygen -q -t ed25519 -N '' -C mt-lab-libvirt -f "$CLUSTER/id_libvirt"
  : > "$CLUSTER/known_hosts"
  for h in hosta hostb; do
    ssh-keygen -q -t ed25519 -N '' -C "mt-lab-$h" -f "$CLUSTER/${h}_host_key"
    printf '%s %s\n' "$(cluster_mgmt_ip "$h")" "$(cut -d' ' -f1,2 "$CLUSTER/${h}_host_key.pub")" \
      >> "$CLUSTER/known_hosts"
    # The agent's allow-list on this host (docs/remote-hosts.md): what the lab's faults touch.
    cat > "$CLUSTER/${h}_agent.conf" <<CONF
# Written by mt-lab up --cluster: what the runner may do on $h through the agent.
[allow]
faults     = tbf netem link-flap link-down
interfaces = m-* t-* $BRIDGE
stress     = host-cpu host-vm host-memrate
[limits]
stress_workers_max = 2
# The logs a cell keeps (the runner's source_host/dest_host): this host's daemon, QEMU and
# console logs, where its daemons write them ({domain}: the domain's name).
[logs]
libvirtd = $STATE/$h/log/libvirtd.log
qemu     = $STATE/$h/log/qemu/{domain}.log
console  = $STATE/{domain}-console.log
CONF
    {
      # Both hosts share this machine's /run: each agent keeps a journal of its own, as it
      # would on a machine of its own.
      printf 'command="%s agent --config %s --journal %s",restrict %s\n' "$agent" \
        "$CLUSTER/${h}_agent.conf" "$CLUSTER/${h}_agent.journal" \
        "$(cut -d' ' -f1,2 "$CLUSTER/id_agent.pub")"
      printf 'command="nc -q0 -U %s",restrict %s\n' "$STATE/$h/run/libvirt-sock" \
        "$(cut -d' ' -f1,2 "$CLUSTER/id_libvirt.pub")"
    } > "$CLUSTER/${h}_authorized_keys"
    cat > "$CLUSTER/${h}_sshd_config" <<CONF
# Written by mt-lab up --cluster: $h's sshd, lab keys only.
ListenAddress $(cluster_mgmt_ip "$h")
HostKey $CLUSTER/${h}_host_key
AuthorizedKeysFile $CLUSTER/${h}_authorized_keys
PidFile $CLUSTER/${h}_sshd.pid
UsePAM no
UseDNS no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
PrintMotd no
# A session whose peer vanished (a killed runner, a namespace torn down under it) ends within
# ~10 s instead of waiting forever on a connection nothing will close.
ClientAliveInterval 5
ClientAliveCountMax 2
CONF
  done
}

cluster_up() {
  local h ns
  command -v nc >/dev/null 2>&1 || die "--cluster: missing nc (netcat-openbsd): run scripts/setup"
  cluster_keys
  # sshd's privilege-separation directory; systemd's tmpfiles would make it, nothing does here.
  if [ ! -d /run/sshd ]; then journal rmdir /run/sshd; mkdir -p -m 0755 /run/sshd; fi
  for h in hosta hostb; do
    ns=$(cluster_ns "$h")
    veth "$ns" mgmt "$NS_R" "r-g$h"
    enslave "$NS_R" "r-g$h" rbr-m
    nsx "$ns" ip addr add "$(cluster_mgmt_ip "$h")/24" dev mgmt
    journal daemon "$CLUSTER/${h}_sshd.pid" sshd
    nsx "$ns" /usr/sbin/sshd -f "$CLUSTER/${h}_sshd_config" ||
      die "--cluster: sshd on $h did not start"
  done
  for h in hosta hostb; do
    for _ in $(seq 1 50); do
      virsh -q -c "$(cluster_uri "$h")" uri >/dev/null 2>&1 && continue 2
      sleep 0.2
    done
    die "--cluster: libvirt over ssh to $h did not answer within 10 s"
  done
}

cluster_json() { # the "cluster" member of lab.json (null without --cluster)
  if [ "$(cat "$STATE/cluster-mode" 2>/dev/null)" != 1 ]; then echo null; return 0; fi
  cat <<JSON
{"hosts": {
      "hosta": {"address": "$MGMT_A_IP", "libvirt_uri": "$(cluster_uri hosta)",
                "agent_conf": "$CLUSTER/hosta_agent.conf"},
      "hostb": {"address": "$MGMT_B_IP", "libvirt_uri": "$(cluster_uri hostb)",
                "agent_conf": "$CLUSTER/hostb_agent.conf"}},
    "user": "root", "agent_identity": "$CLUSTER/id_agent",
    "libvirt_identity": "$CLUSTER/id_libvirt", "known_hosts": "$CLUSTER/known_hosts"}
JSON
}
