#!/bin/sh
# Router advertisements (ip(3) ra6): ninet sends RAs with `ra6 sendra 1` and
# Linux configures an address from its prefix (SLAAC) and a default route;
# a second ninet stack with `ra6 recvra 1` does SLAAC from the first one's RAs.
. "$(dirname "$0")/lib.sh"
need ping

peer_ns A
veth_to A 10.96.0.1/24
ip netns exec "$NS_A" sysctl -qw net.ipv6.conf.eth0.accept_ra=2
# A second veth pair, both ends in the host namespace, for two ninet stacks.
R=nr$ID
ip link add "${R}a" type veth peer name "${R}b"
LINKS="$LINKS ${R}a"
for e in "${R}a" "${R}b"; do
  sysctl -qw "net.ipv6.conf.$e.disable_ipv6=1"
  ip link set "$e" up
done
M1=$WORK/net1
ninetd_start "stack 0 $MNT
ipifc/clone bind ether $HOST_A
. add6 fd96::1 64 1 1 86400 14400
. ra6 sendra 1 maxraint 4000 minraint 3000 routerlt 30000 linkmtu 1400 ttl 32
ipifc/clone bind ether ${R}a
. add6 fd97::1 64 1 1
. ra6 sendra 1 maxraint 4000 minraint 3000
stack 1 $M1
ipifc/clone bind ether ${R}b
. ra6 recvra 1"

slaac() {
  for _ in $(seq 60); do
    a=$(ip -n "$NS_A" -6 addr show dev eth0 scope global | awk '/inet6 fd96:/ {print $2; exit}')
    [ -n "$a" ] && { echo "$a"; return 0; }
    sleep 0.25
  done
  return 1
}
addr=$(slaac)
contains "Linux made a SLAAC address from ninet's prefix" "^fd96::" "$addr"
contains "Linux took ninet as default router" "default via fe80::" "$(ip -n "$NS_A" -6 route show default)"
contains "Linux took the RA's MTU" "mtu 1400" "$(ip -n "$NS_A" -6 route show default; ip -n "$NS_A" link show eth0; ip -n "$NS_A" -6 route show | grep fd96)"
for _ in $(seq 40); do  # until Linux's DAD of the new address is over
  ip -n "$NS_A" -6 addr show dev eth0 | grep -q tentative || break
  sleep 0.25
done
expect "Linux pings ninet over its SLAAC address" ip netns exec "$NS_A" ping -6 -c 2 -i 0.2 -W 2 fd96::1

got=""
for _ in $(seq 60); do
  got=$(grep -E "^fd97:" "$M1/ipifc/0/local" || true)
  [ -n "$got" ] && break
  sleep 0.25
done
contains "stack 1 made a SLAAC address from stack 0's RA" "^fd97::" "$got"
contains "stack 1 has a default route from the RA" "^:: +/0 +fe80::" "$(cat "$M1/iproute")"
sleep 1.5  # DAD
expect "stack 1 pings stack 0 over the SLAAC address" "$NINET" -m "$M1" ping -c 2 -i 200 fd97::1
finish
