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
  local via=$1 d=$STATE/router
  journal file "$d"
  router_keys
  echo "$via" > "$d/via"
  journal sshmaster
  journal pgroup "$d/uml.pid" linux
  router_boot
}

# router_preload — the path of uml-xstate.so (lab/router/uml-xstate.c: UML's FPU state on hosts
# with a large XSAVE area, AMX), or nothing when there is none: $MT_UML_PRELOAD (`migtorture lab`
# sets it), else a source tree's default build, else the installed one (migtorture package).
router_preload() {
  local p
  if [ -n "${MT_UML_PRELOAD:-}" ]; then p=$MT_UML_PRELOAD
  elif [ -f "$LAB_DIR/router/uml-xstate.c" ] && [ -f "$LAB_DIR/../suite/main.c" ]; then
    p=$LAB_DIR/../build/lab/router/uml-xstate.so
  else p=/usr/libexec/migtorture/uml-xstate.so; fi
  if [ -f "$p" ]; then echo "$p"; else log "up: no $p: UML boots without it (it fails on hosts with AMX)"; fi
}

# router_boot — starts UML (its vecs as $STATE/router/via says); console in console.log.
# MT_LAB_UML replaces /usr/bin/linux.uml for the tests (tests/lab/uml-crash-once).
router_boot() {
  local d=$STATE/router vecs preload
  preload=$(router_preload)
  vecs="vec0:transport=tap,ifname=tap-c vec1:transport=tap,ifname=tap-t vec2:transport=tap,ifname=tap-m"
  [ "$(cat "$d/via")" = 1 ] && vecs="$vecs vec3:transport=tap,ifname=tap-ma vec4:transport=tap,ifname=tap-mb"
  rm -f "$d/uml.pid"
  # setsid: UML forks helper processes; its own process group lets `down` end them all.
  # The pid file is written by the process that then becomes UML (setsid may fork first).
  # $vecs splits on purpose; $$ belongs to the inner bash.
  # shellcheck disable=SC2086,SC2016
  nsx "$NS_R" setsid bash -c 'echo $$ > "$1"; shift; exec "$@"' mt-lab "$d/uml.pid" \
    env ${preload:+LD_PRELOAD="$preload"} "${MT_LAB_UML:-/usr/bin/linux.uml}" mem=128M root=/dev/root rootfstype=hostfs rootflags=/ ro \
    init="$LAB_DIR/router/uml-init" mtstate="$STATE" mtmig="$(cat "$d/via")" $vecs \
    con=null con0=null,fd:1 ssl=null < /dev/null > "$d/console.log" 2>&1 &
  for _ in $(seq 1 50); do [ -s "$d/uml.pid" ] && break; sleep 0.1; done
}

# router_reap PGID — the helpers a dead UML (its group's leader, PGID) left, if any, gone; so
# its taps are free for the next boot (waits up to 2 s).
router_reap() {
  local p pid left
  for _ in $(seq 1 10); do
    left=0
    for p in /proc/[0-9]*; do
      pid=${p#/proc/}
      [ "$(proc_stat_field "$pid" 3 2>/dev/null)" = "$1" ] || continue
      grep -qa linux.uml "$p/cmdline" 2>/dev/null || continue
      kill -KILL "$pid" 2>/dev/null || true
      left=1
    done
    [ $left = 0 ] && return 0
    sleep 0.2
  done
}

# router_wait — sshd inside UML answers over the management link. A UML that died while
# booting is booted again, twice at most: now and then this host's kernel fails UML's first
# ptrace of its init ("ptrace set fp regs failed, errno = 14"; init killed by SIGSEGV, kernel
# panic), which a second boot does not repeat. Each failed boot's console is kept
# (console.log.N) and said.
router_wait() {
  local d=$STATE/router boot=1 why
  for _ in $(seq 1 100); do
    router_ssh true 2>/dev/null && return 0
    if ! pid_alive "$d/uml.pid" linux; then
      why=$(grep -m 1 -o -e 'ptrace set fp regs failed[^"]*' -e 'Kernel panic[^"]*' "$d/console.log" 2>/dev/null || true)
      [ "$boot" -lt 3 ] || die "UML router exited during boot $boot times (${why:-see console}; see $d/console.log*)"
      mv "$d/console.log" "$d/console.log.$boot"
      echo "${LAB_TAG:-mt-lab}: up: UML router exited during boot${why:+ ($why)}; booting it again (console of the failed boot: $d/console.log.$boot)" >&2
      router_reap "$(tr -dc '0-9' < "$d/uml.pid")"
      boot=$((boot + 1))
      router_boot
    fi
    sleep 0.3
  done
  die "UML router sshd did not answer within 30 s (see $d/console.log)"
}
