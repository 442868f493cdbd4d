#!/bin/sh
# Ping round trip ninet<->Linux vs Linux<->Linux over the same veth pair.
#
#   sudo sh bench/ping_rtt.sh [count]        (default 2000 pings, 1 ms apart)
#
# 1. ninet holds the host end of the veth (AF_PACKET); Linux in a namespace
#    pings it (ping -c N -i 0.001 -q) and reports avg/mdev.
# 2. The same host end is moved into a second namespace with a kernel
#    address, and Linux pings Linux over the same pair.
# Prints both and the ratio (ninet avg / Linux avg). Median of 3 runs each.
cd "$(dirname "$0")/.."
BUILD=${BUILD:-$PWD/build}
. tests/interop/lib.sh
need ping
N=${1:-2000}

peer_ns A
veth_to A 10.95.0.1/24
ninetd_start "stack 0 $MNT
ipifc/clone bind ether $HOST_A
. add 10.95.0.2 255.255.255.0"

avg() {  # prints the avg rtt (ms) of a ping run
  ip netns exec "$NS_A" ping -q -c "$N" -i 0.001 -W 1 "$1" 2>/dev/null |
    awk -F/ '/rtt|round-trip/ {print $5}'
}
median3() { printf '%s\n%s\n%s\n' "$1" "$2" "$3" | sort -n | sed -n 2p; }

ip netns exec "$NS_A" ping -c 5 -i 0.2 -W 2 10.95.0.2 >/dev/null || { echo "warm-up ping failed"; exit 1; }
n1=$(avg 10.95.0.2); n2=$(avg 10.95.0.2); n3=$(avg 10.95.0.2)
ninet=$(median3 "$n1" "$n2" "$n3")

kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=""
peer_ns B
ip link set "$HOST_A" netns "$NS_B"
ip -n "$NS_B" addr add 10.95.0.2/24 dev "$HOST_A"
ip -n "$NS_B" link set "$HOST_A" up
LINKS=""
sleep 0.5
ip netns exec "$NS_A" ping -c 5 -i 0.2 -W 2 10.95.0.2 >/dev/null || { echo "Linux warm-up failed"; exit 1; }
l1=$(avg 10.95.0.2); l2=$(avg 10.95.0.2); l3=$(avg 10.95.0.2)
linux=$(median3 "$l1" "$l2" "$l3")

echo "pings per run: $N (1 ms apart), median of 3 runs"
echo "ninet <-> Linux avg rtt: $ninet ms   (runs: $n1 $n2 $n3)"
echo "Linux <-> Linux avg rtt: $linux ms   (runs: $l1 $l2 $l3)"
awk -v a="$ninet" -v b="$linux" 'BEGIN { if (b > 0) printf "ratio ninet/Linux: %.2f\n", a / b }'
exit 0
