# status.sh — health check and the lab descriptor (lab.json); keys documented in docs/lab.md.
# shellcheck shell=bash

lab_state() { # prints up, down or partial
  [ -f "$JOURNAL" ] || { echo down; return 0; }
  if [ "$(cat "$STATE/state" 2>/dev/null)" = up ] &&
     pid_alive "$STATE/hosta/run/libvirtd.pid" libvirtd &&
     pid_alive "$STATE/hostb/run/libvirtd.pid" libvirtd &&
     pid_alive "$STATE/router/uml.pid" linux &&
     guests_alive &&
     { [ "$(cat "$STATE/ceph" 2>/dev/null)" != 1 ] || [ "$(storage_state)" = up ]; } &&
     { [ "$(cat "$STATE/cluster-mode" 2>/dev/null)" != 1 ] ||
       { pid_alive "$STATE/cluster/hosta_sshd.pid" sshd &&
         pid_alive "$STATE/cluster/hostb_sshd.pid" sshd; }; }; then
    echo up
  else
    echo partial
  fi
}

guests_alive() { # every lab guest's QEMU runs on one of the hosts
  local k name
  for ((k = 1; k <= $(guest_count); k++)); do
    name=$(guest_name "$k")
    pid_alive "$STATE/hosta/run/qemu/$name.pid" qemu-system ||
      pid_alive "$STATE/hostb/run/qemu/$name.pid" qemu-system || return 1
  done
}

guest_json() { # guest_json K STATE — lab guest K's object (docs/lab.md)
  local k=$1 st=$2 name ip gh=""
  name=$(guest_name "$k")
  ip=$(guest_ip "$k")
  [ "$st" = down ] || gh=$(guest_host "$name")
  cat <<JSON
{"name": "$name", "host": $( [ -n "$gh" ] && echo "\"$gh\"" || echo null ), "ip": "$ip", "mac": "$(guest_mac "$k")",
            "http_url": "http://$ip/", "page_path": "/index.html",
            "page_assets": ["/style.css", "/app.js", "/logo.png"],
            "video_path": "/video.bin", "video_bytes": 20971520,
            "stream_path": "/cgi-bin/seg", "agent": true,
            "agent_channel": "org.qemu.guest_agent.0", "memory_mib": 256, "domain_type": "qemu",
            "image_dir": "$(cat "$STATE/guest-dir" 2>/dev/null)"}
JSON
}

guests_json() { # guests_json STATE — the list of every lab guest's object
  local k out=""
  for ((k = 1; k <= $(guest_count); k++)); do out="$out${out:+, }$(guest_json "$k" "$1")"; done
  printf '[%s]' "$out"
}

jlist() { # jlist A B ... -> ["A","B",...]
  local out="" x
  for x in "$@"; do out="$out${out:+,}\"$x\""; done
  printf '[%s]' "$out"
}

host_logs_json() { # host_logs_json NAME — where a lab host's libvirtd, QEMU and console logs
  # are, seen from this machine (its daemons see $STATE/NAME/log as /var/log/libvirt)
  printf '{"libvirtd": "%s", "qemu": "%s", "console": "%s"}' "$STATE/$1/log/libvirtd.log" \
    "$STATE/$1/log/qemu/{domain}.log" "$STATE/{domain}-console.log"
}

lab_json() { # lab_json STATE — the descriptor on stdout
  local st=$1 via=false r=$STATE/router ma mb
  [ "$(cat "$STATE/via-router" 2>/dev/null)" = 1 ] && via=true
  if [ $via = true ]; then ma=m-ar mb=m-br; else ma=m-ab mb=m-ba; fi
  cat <<JSON
{
  "state": "$st",
  "state_dir": "$STATE",
  "migration_via_router": $via,
  "hosts": {
    "hosta": {"netns": "$NS_A", "libvirt_uri": "$(uri hosta)",
              "migration_ip": "$MIG_A_IP", "migration_if": "$ma", "tenant_bridge": "$BRIDGE",
              "logs": $(host_logs_json hosta)},
    "hostb": {"netns": "$NS_B", "libvirt_uri": "$(uri hostb)",
              "migration_ip": "$MIG_B_IP", "migration_if": "$mb", "tenant_bridge": "$BRIDGE",
              "logs": $(host_logs_json hostb)},
    "client": {"netns": "$NS_C", "ip": "$CLIENT_IP", "interface": "c-r"},
    "router": {"netns": "$NS_R",
               "ssh": {"address": "$MGMT_ROUTER_IP", "user": "root",
                       "identity_file": "$r/id_ed25519", "known_hosts_file": "$r/known_hosts",
                       "config_file": "$r/ssh_config"},
               "interfaces": {"client_side": "vec0", "tenant_side": "vec1", "management": "vec2",
                              "migration_a_side": $( [ $via = true ] && echo '"vec3"' || echo null ),
                              "migration_b_side": $( [ $via = true ] && echo '"vec4"' || echo null )}}
  },
  "guest": $(guest_json 1 "$st"),
  "guests": $(guests_json "$st"),
  "storage": $(storage_json),
  "cluster": $(cluster_json),
  "links": {
    "tenant": {"subnet": "$TENANT_NET", "interfaces": {
      "$NS_A": $(jlist "$BRIDGE" t-ab t-ar), "$NS_B": $(jlist "$BRIDGE" t-ba),
      "$NS_C": $(jlist c-r), "$NS_R": $(jlist rbr-c r-c tap-c rbr-t r-t tap-t)}},
    "migration": {"subnet": "198.19.0.0/24", "interfaces": {
      "$NS_A": $(jlist "$ma"), "$NS_B": $(jlist "$mb")$( [ $via = true ] &&
        printf ', "%s": %s' "$NS_R" "$(jlist rbr-ma r-ma tap-ma rbr-mb r-mb tap-mb)")}},
    "management": {"subnet": "198.18.3.0/24", "interfaces": {
      "root": $(jlist mt-mgmt), "$NS_R": $(jlist rbr-m r-m tap-m)$( [ "$(cat "$STATE/cluster-mode" 2>/dev/null)" = 1 ] &&
        printf ', "%s": %s, "%s": %s' "$NS_A" "$(jlist mgmt)" "$NS_B" "$(jlist mgmt)")}}
  }
}
JSON
}
