#!/bin/sh
# Linux pings ninet and ninet pings Linux over a veth, IPv4 and IPv6, each side
# resolving the other with ARP / Neighbour Discovery; tshark decodes a capture
# of the exchange without malformed-packet warnings.
. "$(dirname "$0")/lib.sh"
need ping tcpdump tshark

peer_ns A
veth_to A 10.91.0.1/24 fd91::1/64
ninetd_start "stack 0 $MNT
ipifc/clone bind ether $HOST_A
. add 10.91.0.2 255.255.255.0
. add6 fd91::2 64"

ip netns exec "$NS_A" tcpdump -i eth0 -U -w "$WORK/cap.pcap" >/dev/null 2>&1 &
TCPDUMP=$!
sleep 0.5

expect "Linux pings ninet over IPv4 (ARP from Linux)" ip netns exec "$NS_A" ping -c 3 -i 0.2 -W 2 10.91.0.2
expect "Linux pings ninet over IPv6 (ND from Linux)" ip netns exec "$NS_A" ping -6 -c 3 -i 0.2 -W 2 fd91::2
expect "Linux pings ninet with a 3000-byte payload (reassembly in ninet)" ip netns exec "$NS_A" ping -c 2 -i 0.2 -W 2 -s 3000 10.91.0.2
ll=$(awk '$1 ~ /^fe80:/ {print $1; exit}' "$MNT/ipifc/0/local")
contains "the ether interface has its EUI-64 link-local address" "^fe80::" "$ll"
expect "Linux pings ninet's link-local address" ip netns exec "$NS_A" ping -6 -c 2 -i 0.2 -W 2 "$ll%eth0"

ip -n "$NS_A" neigh flush dev eth0
cat "$MNT/arp" >/dev/null
echo flush > "$MNT/arp"
expect "ninet pings Linux over IPv4 (ARP from ninet)" "$NINET" -m "$MNT" ping -c 3 -i 200 10.91.0.1
expect "ninet pings Linux over IPv6 (ND from ninet)" "$NINET" -m "$MNT" ping -c 3 -i 200 fd91::1
arp=$(cat "$MNT/arp")
linuxmac=$(ip -n "$NS_A" link show eth0 | awk '/link\/ether/ {gsub(":", "", $2); print $2}')
contains "arp file holds Linux's MAC for 10.91.0.1" "ether +OK +10\.91\.0\.1 +$linuxmac" "$arp"
contains "arp file holds Linux's MAC for fd91::1" "ether +OK +fd91::1 +$linuxmac" "$arp"
neigh=$(ip -n "$NS_A" neigh show dev eth0)
contains "Linux learned ninet's MAC by ARP" "10\.91\.0\.2 lladdr" "$neigh"
contains "Linux learned ninet's MAC by ND" "fd91::2 lladdr" "$neigh"
expect_fail "ping to an address nobody has fails" "$NINET" -m "$MNT" ping -c 1 -W 1500 10.91.0.77

stats=$(cat "$MNT/ipifc/stats")
contains "ipifc stats count input" "InReceives: [1-9]" "$stats"
contains "ipifc stats count reassembly" "ReasmOKs: [1-9]" "$stats"
contains "icmp stats count echo requests" "InEchos: [1-9]" "$(cat "$MNT/icmp/stats")"

sleep 0.5
kill "$TCPDUMP" 2>/dev/null; wait "$TCPDUMP" 2>/dev/null
decoded=$(tshark -r "$WORK/cap.pcap" 2>&1)
contains "tshark decoded ninet's ARP, ICMP, ICMPv6 and ND" "ICMPv6.*Neighbor" "$decoded"
if printf '%s' "$decoded" | grep -qiE "malformed|bad checksum|\[incorrect"; then
  echo "FAIL: tshark warns about ninet's frames"; printf '%s\n' "$decoded" | grep -iE "malformed|checksum|incorrect" | head
  FAILS=$((FAILS + 1))
else
  echo "PASS: tshark finds no malformed packets ($(printf '%s\n' "$decoded" | wc -l) frames)"
fi
experts=$(tshark -r "$WORK/cap.pcap" -o ip.check_checksum:TRUE -o icmp.check_checksum:TRUE -q -z expert,error 2>&1)
if printf '%s' "$experts" | grep -qE "Malformed|Error"; then
  echo "FAIL: tshark expert errors"; printf '%s\n' "$experts" | head -20
  FAILS=$((FAILS + 1))
else
  echo "PASS: no tshark expert errors with checksum checks on"
fi
finish
