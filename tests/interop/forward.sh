#!/bin/sh
# ninet routes between two namespaces (iprouting): pings both ways, big
# packets fragmented by ninet onto a smaller MTU, DF packets answered with
# "fragmentation needed", and Linux traceroute sees ninet's time-exceeded.
. "$(dirname "$0")/lib.sh"
need ping traceroute

peer_ns A
peer_ns B
veth_to A 10.92.1.1/24 fd92:1::1/64
veth_to B 10.92.2.1/24 fd92:2::1/64
ip -n "$NS_A" route add default via 10.92.1.2
ip -n "$NS_B" route add default via 10.92.2.2
ip -n "$NS_A" -6 route add default via fd92:1::2
ip -n "$NS_B" -6 route add default via fd92:2::2
ninetd_start "stack 0 $MNT
ipifc/clone bind ether $HOST_A
. add 10.92.1.2 255.255.255.0
. add6 fd92:1::2 64
. iprouting 1
ipifc/clone bind ether $HOST_B
. add 10.92.2.2 255.255.255.0
. add6 fd92:2::2 64
. iprouting 1
. mtu 1014"

expect "A pings B through ninet (IPv4)" ip netns exec "$NS_A" ping -c 3 -i 0.2 -W 2 10.92.2.1
expect "B pings A through ninet (IPv4)" ip netns exec "$NS_B" ping -c 3 -i 0.2 -W 2 10.92.1.1
expect "A pings B through ninet (IPv6)" ip netns exec "$NS_A" ping -6 -c 3 -i 0.2 -W 2 fd92:2::1
# 1400-byte datagrams without DF: ninet fragments them for B's 1000-byte MTU.
expect "A pings B with 1400 bytes, fragmented by ninet" ip netns exec "$NS_A" ping -M dont -c 3 -i 0.2 -W 2 -s 1400 10.92.2.1
# 4000 bytes: Linux fragments, ninet forwards the fragments, B reassembles.
expect "A pings B with 4000 bytes (fragments forwarded)" ip netns exec "$NS_A" ping -M dont -c 2 -i 0.2 -W 2 -s 4000 10.92.2.1
stats=$(cat "$MNT/ipifc/stats")
contains "ninet counted fragmentation" "FragOKs: [1-9]" "$stats"
contains "ninet counted forwarding" "ForwDatagrams: [1-9]" "$stats"
out=$(ip netns exec "$NS_A" ping -M do -c 1 -W 2 -s 1400 10.92.2.1 2>&1)
contains "DF packet too big: Linux hears frag needed with ninet's MTU" "mtu ?= ?1000|Frag needed|Message too long" "$out"
tr=$(ip netns exec "$NS_A" traceroute -n -q 1 -w 2 -m 4 10.92.2.1 2>&1)
contains "traceroute shows ninet as hop 1 (time exceeded)" "^ *1 +10\.92\.1\.2 " "$tr"
contains "traceroute reaches B at hop 2" "^ *2 +10\.92\.2\.1 " "$tr"
tr6=$(ip netns exec "$NS_A" traceroute -6 -n -q 1 -w 2 -m 4 fd92:2::1 2>&1)
contains "traceroute6 shows ninet as hop 1" "^ *1 +fd92:1::2 " "$tr6"

# ip(3): iprouting forwards "between this interface and others", so the
# switch on one interface (as a Plan 9 user writes it) routes both ways.
echo "iprouting 0" > "$MNT/ipifc/0/ctl"
expect "iprouting on B's side only: A pings B" ip netns exec "$NS_A" ping -c 2 -i 0.2 -W 2 10.92.2.1
expect "iprouting on B's side only: B pings A" ip netns exec "$NS_B" ping -c 2 -i 0.2 -W 2 10.92.1.1
expect "iprouting on B's side only: B pings A (IPv6)" ip netns exec "$NS_B" ping -6 -c 2 -i 0.2 -W 2 fd92:1::1
tr=$(ip netns exec "$NS_A" traceroute -n -q 1 -w 2 -m 4 10.92.2.1 2>&1)
contains "iprouting on one side: traceroute A to B" "^ *2 +10\.92\.2\.1 " "$tr"
tr=$(ip netns exec "$NS_B" traceroute -n -q 1 -w 2 -m 4 10.92.1.1 2>&1)
contains "iprouting on one side: traceroute B to A, ninet is hop 1" "^ *1 +10\.92\.2\.2 " "$tr"
contains "iprouting on one side: traceroute B to A reaches A" "^ *2 +10\.92\.1\.1 " "$tr"
echo "iprouting 0" > "$MNT/ipifc/1/ctl"
expect_fail "no forwarding once iprouting is off on both" ip netns exec "$NS_A" ping -c 1 -W 1 10.92.2.1
finish
