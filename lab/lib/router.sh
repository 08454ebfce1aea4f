# router.sh — the User-Mode Linux router (real netem) and its lab-only OpenSSH access.
# shellcheck shell=bash

router_keys() { # lab-only ed25519 keys, ssh config and known_hosts under $STATE/router
  local d=$STATE/router
  mkdir -p "$d"
  chmod 0700 "$d"
  ssh-keygen -q -t ed25519 -N '' -C mt-lab -f "$d/id_ed25519"
  ssh-keygen -q -t ed25519 -N '' -C mt-lab-router -f "$d/ssh_host_ed25519_key"
  cp "$d/id_ed25519.pub" "$d/authorized_keys"
  printf '%s %s\n' "$MGMT_ROUTER_IP" "$(cut -d' ' -f1,2 "$d/ssh_host_ed25519_key.pub")" \
    > "$d/known_hosts"
  cat > "$d/sshd_config" <<CONF
ListenAddress $MGMT_ROUTER_IP
HostKey /run/cfg/ssh_host_ed25519_key
AuthorizedKeysFile /run/lab-ssh/authorized_keys
PidFile /run/sshd.pid
UsePAM no
UseDNS no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
PrintMotd no
SetEnv MT_AGENT_CONF=/run/cfg/agent.conf
CONF
  # What `migtorture agent` may change on the router (docs/remote-hosts.md): the qdisc and link
  # faults on its vecN links. uml-init copies it to /run/cfg with the ssh files.
  cat > "$d/agent.conf" <<CONF
[allow]
faults = tbf netem link-down link-flap
interfaces = vec*
CONF
  # One multiplexed master per user of this config (ssh -F ...): ~150 ms per call, not ~800.
  cat > "$d/ssh_config" <<CONF
Host router $MGMT_ROUTER_IP
  HostName $MGMT_ROUTER_IP
  User root
  IdentityFile $d/id_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile $d/known_hosts
  StrictHostKeyChecking yes
  BatchMode yes
  ConnectTimeout 5
  ControlMaster auto
  ControlPath $d/cm-%C
  ControlPersist 120
CONF
}

router_ssh() { ssh -F "$STATE/router/ssh_config" router "$@"; }

router_start() { # router_start VIA_ROUTER(0|1) — boot UML in the background (~6 s to sshd)
  local via=$1 d=$STATE/router vecs
  journal file "$d"
  router_keys
  vecs="vec0:transport=tap,ifname=tap-c vec1:transport=tap,ifname=tap-t vec2:transport=tap,ifname=tap-m"
  [ "$via" = 1 ] && vecs="$vecs vec3:transport=tap,ifname=tap-ma vec4:transport=tap,ifname=tap-mb"
  journal sshmaster
  journal pgroup "$d/uml.pid" linux
  # setsid: UML forks helper processes; its own process group lets `down` end them all.
  # The pid file is written by the process that then becomes UML (setsid may fork first).
  # $vecs splits on purpose; $$ belongs to the inner bash.
  # shellcheck disable=SC2086,SC2016
  nsx "$NS_R" setsid bash -c 'echo $$ > "$1"; shift; exec "$@"' mt-lab "$d/uml.pid" \
    /usr/bin/linux.uml mem=128M root=/dev/root rootfstype=hostfs rootflags=/ ro \
    init="$LAB_DIR/router/uml-init" mtstate="$STATE" mtmig="$via" $vecs \
    con=null con0=null,fd:1 ssl=null < /dev/null > "$d/console.log" 2>&1 &
  for _ in $(seq 1 50); do [ -s "$d/uml.pid" ] && break; sleep 0.1; done
}

router_wait() { # sshd inside UML answers over the management link
  local d=$STATE/router
  for _ in $(seq 1 100); do
    router_ssh true 2>/dev/null && return 0
    pid_alive "$d/uml.pid" linux || die "UML router exited during boot (see $d/console.log)"
    sleep 0.3
  done
  die "UML router sshd did not answer within 30 s (see $d/console.log)"
}
