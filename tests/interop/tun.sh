#!/bin/sh
# An interface bound to a TUN device (`bind netdev`): ninet creates the TUN,
# the test moves it into a namespace, and Linux and ninet ping each other.
. "$(dirname "$0")/lib.sh"
need ping
[ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }

peer_ns A
TUN=ntun$ID
ninetd_start "stack 0 $MNT
ipifc/clone bind netdev $TUN
. add 10.93.0.2 255.255.255.0 10.93.0.1
. add6 fd93::2 64"
ip link set "$TUN" netns "$NS_A"
LINKS="$LINKS"
ip -n "$NS_A" addr add 10.93.0.1 peer 10.93.0.2 dev "$TUN"
ip -n "$NS_A" addr add fd93::1/64 dev "$TUN" nodad
ip -n "$NS_A" link set "$TUN" up
contains "status names the netdev" "^$TUN " "$(cat "$MNT/ipifc/0/status")"
expect "Linux pings ninet through the TUN (IPv4)" ip netns exec "$NS_A" ping -c 3 -i 0.2 -W 2 10.93.0.2
expect "Linux pings ninet through the TUN (IPv6)" ip netns exec "$NS_A" ping -6 -c 3 -i 0.2 -W 2 fd93::2
expect "ninet pings Linux through the TUN" "$NINET" -m "$MNT" ping -c 3 -i 200 10.93.0.1
finish
