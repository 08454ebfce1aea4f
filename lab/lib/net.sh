# net.sh — namespaces, bridges and veth/tap links of the lab topology (see docs/lab.md).
# shellcheck shell=bash

ns_add() { # ns_add NS — a fresh namespace with lo up and IPv6 off (no RA/ND chatter)
  journal netns "$1"
  ip netns add "$1"
  nsx "$1" ip link set lo up
  nsx "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
}

in_ns() { # in_ns NS CMD... — NS "root" means the root namespace
  local ns=$1; shift
  if [ "$ns" = root ]; then "$@"; else nsx "$ns" "$@"; fi
}

veth() { # veth NS1 DEV1 NS2 DEV2 — a veth pair with one end in each namespace, both up
  journal link "$1" "$2"
  if [ "$1" = root ]; then ip link add "$2" type veth peer name "$4" netns "$3"
  else ip -n "$1" link add "$2" type veth peer name "$4" netns "$3"; fi
  in_ns "$1" ip link set "$2" up
  in_ns "$3" ip link set "$4" up
}

bridge_add() { # bridge_add NS BR — STP off so ports forward at once
  journal link "$1" "$2"
  nsx "$1" ip link add "$2" type bridge stp_state 0 forward_delay 0
  nsx "$1" ip link set "$2" up
}

tap_add() { # tap_add NS DEV — a tap for the UML router to open
  journal link "$1" "$2"
  nsx "$1" ip tuntap add dev "$2" mode tap
  nsx "$1" ip link set "$2" up
}

enslave() { nsx "$1" ip link set "$2" master "$3"; }

# TCP through UML crawls at ~0.4 Mbit/s with offloads on (docs/lab.md, "Measured facts").
no_offload() {
  in_ns "$1" ethtool -K "$2" tx off tso off gso off gro off >/dev/null 2>&1 || true
}

net_up() { # net_up VIA_ROUTER(0|1)
  local via=$1 d
  for d in "$NS_A" "$NS_B" "$NS_C" "$NS_R"; do
    ns_exists "$d" && die "namespace $d exists but was not made by this lab; remove it or run: mt-lab down"
  done
  for d in "$NS_A" "$NS_B" "$NS_C" "$NS_R"; do ns_add "$d"; done

  # Tenant L2: one bridge per host, joined by a veth, so the guest keeps its IP after migration.
  bridge_add "$NS_A" "$BRIDGE"
  bridge_add "$NS_B" "$BRIDGE"
  veth "$NS_A" t-ab "$NS_B" t-ba
  enslave "$NS_A" t-ab "$BRIDGE"
  enslave "$NS_B" t-ba "$BRIDGE"

  # Router: client side, tenant side and management, each a netns bridge joining a veth to the
  # tap UML opens; UML bridges client<->tenant inside itself, where netem is real.
  veth "$NS_C" c-r "$NS_R" r-c
  veth "$NS_A" t-ar "$NS_R" r-t
  enslave "$NS_A" t-ar "$BRIDGE"
  veth root mt-mgmt "$NS_R" r-m
  local side
  for side in c t m; do
    bridge_add "$NS_R" "rbr-$side"
    tap_add "$NS_R" "tap-$side"
    enslave "$NS_R" "r-$side" "rbr-$side"
    enslave "$NS_R" "tap-$side" "rbr-$side"
    no_offload "$NS_R" "r-$side"
    no_offload "$NS_R" "tap-$side"
  done
  no_offload "$NS_C" c-r
  no_offload "$NS_A" t-ar
  no_offload root mt-mgmt
  nsx "$NS_C" ip addr add "$CLIENT_IP/24" dev c-r
  ip addr add "$MGMT_HOST_IP/24" dev mt-mgmt

  # Migration link: direct veth, or through the router (UML bridges vec3<->vec4).
  if [ "$via" = 1 ]; then
    veth "$NS_A" m-ar "$NS_R" r-ma
    veth "$NS_B" m-br "$NS_R" r-mb
    for side in ma mb; do
      bridge_add "$NS_R" "rbr-$side"
      tap_add "$NS_R" "tap-$side"
      enslave "$NS_R" "r-$side" "rbr-$side"
      enslave "$NS_R" "tap-$side" "rbr-$side"
      no_offload "$NS_R" "r-$side"
      no_offload "$NS_R" "tap-$side"
    done
    no_offload "$NS_A" m-ar
    no_offload "$NS_B" m-br
    nsx "$NS_A" ip addr add "$MIG_A_IP/24" dev m-ar
    nsx "$NS_B" ip addr add "$MIG_B_IP/24" dev m-br
  else
    veth "$NS_A" m-ab "$NS_B" m-ba
    nsx "$NS_A" ip addr add "$MIG_A_IP/24" dev m-ab
    nsx "$NS_B" ip addr add "$MIG_B_IP/24" dev m-ba
  fi
}
