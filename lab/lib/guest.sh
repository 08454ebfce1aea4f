# guest.sh — build (cached) and start the `web` guest on hosta, wait until it serves HTTP.
# shellcheck shell=bash

guest_up() {
  local dir xml disk=""
  dir=$(bash "$LAB_DIR/guest/build.sh") || die "guest build failed"
  xml=$STATE/$DOMAIN.xml
  journal file "$xml"
  [ "$(cat "$STATE/ceph" 2>/dev/null)" = 1 ] && disk=$(storage_disk_xml)
  sed -e "s|@DISK@|$disk|" -e "s|@NAME@|$DOMAIN|; s|@KERNEL@|$dir/vmlinuz|; s|@INITRD@|$dir/initrd.gz|" \
      -e "s|@IP@|$GUEST_IP|; s|@BRIDGE@|$BRIDGE|; s|@MAC@|$GUEST_MAC|" \
      -e "s|@CONSOLE@|$STATE/$DOMAIN-console.log|" \
      "$LAB_DIR/domain.xml" > "$xml"
  echo "$dir" > "$STATE/guest-dir"
  journal domain "$DOMAIN"
  virsh -q -c "$(uri hosta)" define "$xml" >/dev/null || die "virsh define failed on hosta"
  virsh -q -c "$(uri hosta)" start "$DOMAIN" >/dev/null || die "virsh start failed on hosta"
}

guest_wait_http() { # the guest answers HTTP from the client namespace (boot takes 6-8 s)
  for _ in $(seq 1 120); do
    nsx "$NS_C" curl -fsS -o /dev/null -m 2 "http://$GUEST_IP/index.html" 2>/dev/null && return 0
    sleep 0.5
  done
  die "guest did not answer HTTP at $GUEST_IP from $NS_C within 60 s"
}

guest_wait_agent() { # qemu-ga answers (first ping ~10 s after start under TCG)
  local h
  h=$(guest_host)
  for _ in $(seq 1 60); do
    virsh -q -c "$(uri "$h")" qemu-agent-command "$DOMAIN" '{"execute":"guest-ping"}' \
      >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  die "guest agent did not answer within 30 s (see $STATE/$DOMAIN-console.log)"
}

guest_host() { # prints hosta or hostb: where the domain runs now (empty if nowhere)
  local h
  for h in hosta hostb; do
    [ "$(virsh -q -c "$(uri "$h")" domstate "$DOMAIN" 2>/dev/null)" = running ] && { echo "$h"; return 0; }
  done
  return 0
}
