# lib.sh — shared by os-up and os-down (sourced, never executed).
# shellcheck shell=bash disable=SC2034
LAB_TAG=os-lab   # prefix of die and log (lab/lib/base.sh: also the journal and pid identity)
# shellcheck source-path=SCRIPTDIR source-path=SCRIPTDIR/lib source-path=SCRIPTDIR/../lib source=base.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/base.sh"
LAB_STATE=${MT_LAB_STATE:-/run/migtorture/lab}
OS=${MT_OS_STATE:-/run/migtorture/openstack}
OS_JOURNAL=$OS/objects    # what os-up started (os-down): "proc PID START NAME" per daemon
NS_OS=mt-os
OS_IP=198.18.5.1          # every OpenStack API, rabbitmq (mt-os)
ROOT_OS_IP=198.18.5.254   # the root namespace's leg (migtorture, tests)
HOSTA_OS_IP=198.18.5.11   # mt-hosta's leg (its nova-compute)
HOSTB_OS_IP=198.18.5.12
OS_SERVER=web-os
OS_GUEST_IP=198.18.0.20    # the instance on the lab tenant network (the lab guest is .10, the client .100)

os_installed() {
  local b
  for b in keystone-manage nova-api nova-compute nova-conductor nova-scheduler placement-manage \
           glance-api neutron-server mariadbd uwsgi_python3 jq; do
    command -v "$b" >/dev/null 2>&1 || return 1
  done
  [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]
}

# spawn NAME NS CMD... — start a daemon in namespace NS in its own session and journal it with
# its start time (os-down signals exactly these, by pid and start time). Its pid exists only
# once started: a kill in between leaves it to os-down's sweeps (all of mt-os; in the lab hosts
# what names $OS). MNTNS_PID=P: also in the mount namespace of process P (a lab host's libvirtd).
spawn() {
  local name=$1 ns=$2 pid start; shift 2
  local pre=()
  [ -n "${MNTNS_PID:-}" ] && pre=(nsenter -t "$MNTNS_PID" -m)
  setsid "${pre[@]}" ip netns exec "$ns" "$@" >>"$OS/log/$name.out" 2>&1 < /dev/null &
  pid=$!
  start=$(proc_stat_field "$pid" 20)
  journal_add "$OS_JOURNAL" proc "$pid" "${start:--}" "$name"   # "-": gone already, never matches
}

# os_daemon_conf HOST DAEMON — the per-host config file os-up writes for a compute host's
# nova-compute or neutron-linuxbridge-agent (the name faults/service.c finds it by)
os_daemon_conf() {
  case $1 in hosta|hostb) ;; *) die "no OpenStack compute host '$1' (hosta, hostb)" ;; esac
  case $2 in
    nova-compute) echo "$OS/etc/nova/compute-$1.conf" ;;
    neutron-linuxbridge-agent) echo "$OS/etc/neutron/linuxbridge-$1.ini" ;;
    *) die "no OpenStack lab daemon '$2' (nova-compute, neutron-linuxbridge-agent)" ;;
  esac
}

# os_daemon_runs HOST DAEMON — that daemon runs with the host's config file on its command line
# (by its command name too: nova-compute's privsep helpers carry the same config files and
# outlive a killed nova-compute; the kernel keeps 15 characters of a command name)
os_daemon_runs() {
  local conf p comm
  conf=$(os_daemon_conf "$1" "$2")
  comm=${2:0:15}
  for p in /proc/[0-9]*; do
    [ "$(cat "$p/comm" 2>/dev/null)" = "$comm" ] || continue
    tr '\0' '\n' < "$p/cmdline" 2>/dev/null | grep -qxF -- "$conf" && return 0
  done
  return 1
}

# os_daemon_start HOST DAEMON — a compute host's nova-compute or neutron-linuxbridge-agent,
# started as os-up starts it (in the host's namespace; nova-compute also in its libvirtd's mount
# namespace, where the instances path is bound), journalled for os-down; nothing when one
# runs. os-up's start and the OpenStack lab's start recipe for migtorture's service faults
# (mt-lab start-daemon HOST DAEMON, faults/service.h).
os_daemon_start() {
  local h=$1 daemon=$2 conf mnt
  conf=$(os_daemon_conf "$h" "$daemon")
  [ -f "$conf" ] || die "the OpenStack lab is not up (no $conf)"
  os_daemon_runs "$h" "$daemon" && return 0
  case $daemon in
    nova-compute)
      mnt=$(tr -dc '0-9' < "$LAB_STATE/$h/run/libvirtd.pid" 2>/dev/null)
      [ -n "$mnt" ] && [ -d "/proc/$mnt" ] || mnt=$(tr -dc '0-9' < "$LAB_STATE/$h/run/virtlogd.pid" 2>/dev/null)
      [ -n "$mnt" ] && [ -d "/proc/$mnt" ] || die "neither libvirtd nor virtlogd of $h runs: no mount namespace for nova-compute"
      MNTNS_PID=$mnt spawn "nova-compute-$h" "mt-$h" nova-compute \
        --config-file "$OS/etc/nova/nova.conf" --config-file "$conf" ;;
    neutron-linuxbridge-agent)
      spawn "neutron-linuxbridge-agent-$h" "mt-$h" neutron-linuxbridge-agent \
        --config-file "$OS/etc/neutron/neutron.conf" --config-file "$conf" \
        --log-file "$OS/log/$h/neutron-linuxbridge-agent.log" ;;
  esac
}

waitfor() { # waitfor SECONDS WHAT CMD... — retry CMD every 0.5 s
  local n=$(($1 * 2)) what=$2; shift 2
  for _ in $(seq 1 "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
  die "$what did not answer within $((n / 2)) s (logs in $OS/log)"
}

stamp() { # stamp WHAT T_START_NS — record how long a start-up step took
  echo "$1_ms $((($(date +%s%N) - $2) / 1000000))" >> "$OS/timings"
}

# mysql_q SQL — the statement on stdin, not -e: a GRANT carries the password, and a command line
# is readable by every user (/proc/PID/cmdline).
mysql_q() { printf '%s\n' "$1" | mariadb --no-defaults -S "$OS/run/mysqld/mysqld.sock" -u root; }

# private_file FILE — writes stdin to FILE, mode 0600 from its creation (the lab's config files
# hold the admin password): never readable between the write and a chmod.
private_file() { ( umask 077; cat > "$1" ); }

# Secrets go to curl on stdin (-d @-, -H @-), never in its arguments: a command line is
# readable by every user (/proc/PID/cmdline); printf is a shell builtin, so it has none.
token() { # an admin token into TOKEN (password from $OS/secret, never printed)
  local pass
  pass=$(cat "$OS/secret")
  TOKEN=$(printf '%s' "{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":{\"name\":\"admin\",\"domain\":{\"name\":\"Default\"},\"password\":\"$pass\"}}},\"scope\":{\"project\":{\"name\":\"admin\",\"domain\":{\"name\":\"Default\"}}}}}" |
    curl -fsS -D - -o /dev/null -H 'Content-Type: application/json' -d @- \
    "http://$OS_IP:5000/v3/auth/tokens" | awk -F': ' 'tolower($1)=="x-subject-token"{print $2}' | tr -d '\r')
  [ -n "$TOKEN" ] || die "keystone gave no token"
}

auth_header() { printf 'X-Auth-Token: %s\n' "$TOKEN"; } # for curl -H @-

api() { # api METHOD URL [JSON] — with the admin token; MV= sets the compute microversion
  auth_header | curl -fsS -X "$1" -H @- -H 'Content-Type: application/json' \
    -H "OpenStack-API-Version: compute ${MV:-2.80}" ${3:+-d "$3"} "$2"
}

# os_server_add NAME IP COMPUTE — one more web server through Nova next to web-os: its own
# image (the lab guest's kernel and initramfs, mt.ip=IP on its command line), a port with IP,
# the mt-tiny flavor, on COMPUTE; waited for until the lab client loads its page. Prints the
# server's id. Needs TOKEN (token) and the lab up; 1 with the reason on stderr.
os_server_add() {
  local name=$1 ip=$2 host=$3 net kr iid proj nid port sid st cns
  net=$(jq -r .links.tenant.subnet "$LAB_STATE/lab.json")
  kr=$(api GET "http://$OS_IP:9292/v2/images?name=mt-web" | jq -r '.images[0] | "\(.kernel_id) \(.ramdisk_id)"')
  iid=$(api POST "http://$OS_IP:9292/v2/images" \
    "{\"name\":\"mt-$name\",\"disk_format\":\"raw\",\"container_format\":\"bare\",\"visibility\":\"public\",\"kernel_id\":\"${kr% *}\",\"ramdisk_id\":\"${kr#* }\",\"os_command_line\":\"console=ttyS0 quiet panic=-1 mt.ip=$ip/${net#*/}\",\"hw_qemu_guest_agent\":\"yes\"}" | jq -r .id)
  auth_header | curl -fsS -X PUT -H @- -H 'Content-Type: application/octet-stream' \
    --data-binary "@$OS/root.img" "http://$OS_IP:9292/v2/images/$iid/file" >/dev/null ||
    { echo "os_server_add $name: cannot upload its image" >&2; return 1; }
  proj=$(api GET "http://$OS_IP:5000/v3/projects?name=admin" | jq -r '.projects[0].id')
  nid=$(api GET "http://$OS_IP:9696/v2.0/networks?name=tenant" | jq -r '.networks[0].id')
  port=$(api POST "http://$OS_IP:9696/v2.0/ports" \
    "{\"port\":{\"network_id\":\"$nid\",\"project_id\":\"$proj\",\"name\":\"$name\",\"port_security_enabled\":false,\"fixed_ips\":[{\"ip_address\":\"$ip\"}]}}" | jq -r .port.id)
  [ -n "$port" ] && [ "$port" != null ] || { echo "os_server_add $name: no port with $ip" >&2; return 1; }
  sid=$(MV=2.37 api POST "http://$OS_IP:8774/v2.1/servers" \
    "{\"server\":{\"name\":\"$name\",\"imageRef\":\"$iid\",\"flavorRef\":\"mt-tiny\",\"networks\":[{\"port\":\"$port\"}],\"availability_zone\":\"nova:$host\"}}" | jq -r .server.id)
  [ -n "$sid" ] && [ "$sid" != null ] || { echo "os_server_add $name: server create failed" >&2; return 1; }
  for _ in $(seq 1 120); do
    st=$(api GET "http://$OS_IP:8774/v2.1/servers/$sid" | jq -r .server.status)
    [ "$st" = ACTIVE ] || [ "$st" = ERROR ] && break
    sleep 1
  done
  [ "$st" = ACTIVE ] || {
    echo "os_server_add $name: $st: $(api GET "http://$OS_IP:8774/v2.1/servers/$sid" | jq -c .server.fault | head -c 300)" >&2
    return 1
  }
  cns=$(jq -r .hosts.client.netns "$LAB_STATE/lab.json")
  for _ in $(seq 1 180); do # booting under TCG: refused, then timing out, then serving
    ip netns exec "$cns" curl -fsS -o /dev/null -m 2 "http://$ip/index.html" 2>/dev/null && break
    sleep 1
  done
  ip netns exec "$cns" curl -fsS -o /dev/null -m 2 "http://$ip/index.html" ||
    { echo "os_server_add $name: ACTIVE but its web server at $ip does not answer" >&2; return 1; }
  echo "$sid"
}
