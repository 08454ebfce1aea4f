# guest.sh — build (cached) and start the lab's guests (`web`, and web2.. with --guests N) on
# hosta, wait until each serves HTTP and answers its guest agent.
# shellcheck shell=bash

guest_up() {
  local dir xml disk="" k name
  dir=$(bash "$LAB_DIR/guest/build.sh") || die "guest build failed"
  [ "$(cat "$STATE/ceph" 2>/dev/null)" = 1 ] && disk=$(storage_disk_xml)
  echo "$dir" > "$STATE/guest-dir"
  for ((k = 1; k <= $(guest_count); k++)); do
    name=$(guest_name "$k")
    xml=$STATE/$name.xml
    journal file "$xml"
    sed -e "s|@DISK@|$disk|" -e "s|@NAME@|$name|; s|@KERNEL@|$dir/vmlinuz|; s|@INITRD@|$dir/initrd.gz|" \
        -e "s|@IP@|$(guest_ip "$k")|; s|@BRIDGE@|$BRIDGE|; s|@MAC@|$(guest_mac "$k")|" \
        -e "s|@CONSOLE@|$STATE/$name-console.log|" \
        "$LAB_DIR/domain.xml" > "$xml"
    journal domain "$name"
    virsh -q -c "$(uri hosta)" define "$xml" >/dev/null || die "virsh define $name failed on hosta"
    virsh -q -c "$(uri hosta)" start "$name" >/dev/null || die "virsh start $name failed on hosta"
  done
}

guest_wait_http() { # every guest answers HTTP from the client namespace (boot takes 6-8 s)
  local k ip
  for ((k = 1; k <= $(guest_count); k++)); do
    ip=$(guest_ip "$k")
    for _ in $(seq 1 120); do
      nsx "$NS_C" curl -fsS -o /dev/null -m 2 "http://$ip/index.html" 2>/dev/null && continue 2
      sleep 0.5
    done
    die "guest $(guest_name "$k") did not answer HTTP at $ip from $NS_C within 60 s"
  done
}

guest_wait_agent() { # every guest's qemu-ga answers (first ping ~10 s after start under TCG)
  local k h name
  for ((k = 1; k <= $(guest_count); k++)); do
    name=$(guest_name "$k")
    h=$(guest_host "$name")
    for _ in $(seq 1 60); do
      virsh -q -c "$(uri "$h")" qemu-agent-command "$name" '{"execute":"guest-ping"}' \
        >/dev/null 2>&1 && continue 2
      sleep 0.5
    done
    die "guest agent of $name did not answer within 30 s (see $STATE/$name-console.log)"
  done
}

guest_host() { # guest_host [DOMAIN] — hosta or hostb: where it runs now (empty if nowhere)
  local h d=${1:-$DOMAIN}
  for h in hosta hostb; do
    [ "$(virsh -q -c "$(uri "$h")" domstate "$d" 2>/dev/null)" = running ] && { echo "$h"; return 0; }
  done
  return 0
}
