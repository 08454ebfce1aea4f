#!/bin/bash
# (b) netem delay 20 ms on the UML router (over ssh) -> median client RTT to the guest grows
# by 20 +- 1 ms (the guest itself adds ~1 ms under TCG, so the increase is what is asserted).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need_lab
command -v ping >/dev/null || skip "missing ping (iputils-ping; run scripts/setup)"
lab_ensure_up
cfg=$(desc .hosts.router.ssh.config_file) dev=$(desc .hosts.router.interfaces.client_side)
ip=$(desc .guest.ip)
rsh() { ssh -F "$cfg" router "$@"; }
restore() { rsh tc qdisc del dev "$dev" root >/dev/null 2>&1 || true; }
trap restore EXIT
avg() { median_rtt "$(desc .hosts.client.netns)" "$ip"; }
restore
base=$(avg); [ -n "$base" ] || fail "no ping replies from $ip"
rsh tc qdisc replace dev "$dev" root netem delay 20ms limit 10000 || fail "tc netem over ssh failed"
rsh tc qdisc show dev "$dev" | grep -q 'netem.*delay 20' || fail "netem not visible on $dev"
with=$(avg); [ -n "$with" ] || fail "no ping replies with netem"
restore
after=$(avg)
echo "    rtt median: baseline $base ms, with netem $with ms, restored $after ms"
awk -v b="$base" -v w="$with" 'BEGIN{d=w-b; exit !(d>=19 && d<=21)}' \
  || fail "added delay $(awk -v b="$base" -v w="$with" 'BEGIN{print w-b}') ms not 20 +- 1 (rtt $with ms)"
awk -v a="$after" 'BEGIN{exit !(a < 5)}' || fail "delay not removed after restore ($after ms)"
ok "netem 20 ms on router $dev: rtt $base -> $with ms, restored to $after ms"
