#!/bin/bash
# (a) live migration A->B->A with virsh; the guest keeps its IP and serves HTTP after each hop.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need_lab
lab_ensure_up
A=$(desc .hosts.hosta.libvirt_uri) B=$(desc .hosts.hostb.libvirt_uri)
dom=$(desc .guest.name) ip=$(desc .guest.ip)
here=$A there=$B
[ "$(virsh -q -c "$A" domstate "$dom" 2>/dev/null)" = running ] || { here=$B there=$A; }
http_ok /index.html || fail "guest does not serve HTTP before migration"
for hop in 1 2; do
  virsh -q -c "$here" migrate --live --p2p --persistent --undefinesource "$dom" "$there" \
    || fail "hop $hop: virsh migrate failed"
  [ "$(virsh -q -c "$there" domstate "$dom")" = running ] || fail "hop $hop: not running on destination"
  virsh -q -c "$here" dominfo "$dom" >/dev/null 2>&1 && fail "hop $hop: still defined on source"
  virsh -q -c "$there" domjobinfo --completed "$dom" | grep -E 'Time elapsed:|Downtime' | tr -s ' ' | sed "s/^/    hop $hop: /"
  # The guest's own view of its address (agent) and the client's (HTTP to the same IP).
  virsh -q -c "$there" qemu-agent-command "$dom" '{"execute":"guest-network-get-interfaces"}' \
    | grep -q "\"ip-address\":\"$ip\"" || fail "hop $hop: guest agent does not report $ip"
  http_ok /index.html || fail "hop $hop: no HTTP answer from $ip after migration"
  http_ok /video.bin || fail "hop $hop: video not served"
  ok "hop $hop: guest on $(virsh -q -c "$there" hostname 2>/dev/null || echo dest), $ip serves HTTP"
  t=$here; here=$there; there=$t
done
