#!/bin/sh
# Ping round trip ninet<->Linux vs Linux<->Linux over the same veth pair.
#
#   sudo sh bench/ping_rtt.sh [count] [rounds]   (default 2000 pings 1 ms apart, 5 rounds)
#   BUILD=build-bench sudo -E sh bench/ping_rtt.sh
#
# Linux in namespace A pings 10.95.0.2 through its end of a veth pair
# (ping -q -c count -i 0.001). Each round times two holders of the other end:
#   ninet  ninetd owns it through AF_PACKET (the host end, no kernel address);
#   Linux  the same device moved into namespace B with 10.95.0.2 on it.
# The two alternate round by round, so a shared machine's load changes hit
# both alike. Prints every round, the medians of avg and min RTT, and the
# ratios ninet/Linux (of the median avgs, and the median of per-round ratios).
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-$PWD/build}
. tests/interop/lib.sh
need ping awk sort
N=${1:-2000}
ROUNDS=${2:-5}

peer_ns A
peer_ns B
veth_to A 10.95.0.1/24
CONF="stack 0 $MNT
ipifc/clone bind ether $HOST_A
. add 10.95.0.2 255.255.255.0"

# rtt: one ping run; prints "avg min" in ms, nothing if no reply came back.
rtt() {
  ip netns exec "$NS_A" ping -q -c "$N" -i 0.001 -W 1 10.95.0.2 2>/dev/null |
    awk '/rtt|round-trip/ { split($0, a, "= "); split(a[2], v, "/"); print v[2], v[1] }'
}
warm() { ip netns exec "$NS_A" ping -c 5 -i 0.2 -W 2 10.95.0.2 >/dev/null; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }

ninet_round() {
  ninetd_start "$CONF"
  warm || { echo "FAIL: warm-up ping to ninet failed"; cat "$WORK/ninetd.log"; exit 1; }
  r=$(rtt)
  kill -TERM "$DAEMON_PID"
  wait "$DAEMON_PID" 2>/dev/null
  DAEMON_PID=""
  echo "$r"
}

linux_round() {
  ip link set "$HOST_A" netns "$NS_B"
  ip -n "$NS_B" addr add 10.95.0.2/24 dev "$HOST_A"
  ip -n "$NS_B" link set "$HOST_A" up
  warm || { echo "FAIL: warm-up ping to Linux failed"; exit 1; }
  r=$(rtt)
  # Back to the host for ninet; the move drops the address, and the host
  # kernel is kept silent on it again (as veth_to does).
  ip -n "$NS_B" link set "$HOST_A" netns 1
  sysctl -qw "net.ipv6.conf.$HOST_A.disable_ipv6=1"
  ip link set "$HOST_A" up
  echo "$r"
}

: >"$WORK/ninet"
: >"$WORK/linux"
echo "pings per run: $N (1 ms apart), $ROUNDS rounds; RTT avg/min in ms"
for i in $(seq "$ROUNDS"); do
  n=$(ninet_round)
  l=$(linux_round)
  case "$n" in "" | FAIL*) echo "FAIL: ninet run $i: ${n:-no replies}"; exit 1 ;; esac
  case "$l" in "" | FAIL*) echo "FAIL: Linux run $i: ${l:-no replies}"; exit 1 ;; esac
  echo "$n" >>"$WORK/ninet"
  echo "$l" >>"$WORK/linux"
  echo "round $i: ninet $n   Linux $l" |
    awk '{ printf "round %s ninet avg %s min %s   Linux avg %s min %s   ratio %.2f\n", $2, $4, $5, $7, $8, $4 / $7 }'
done

ninet_avg=$(awk '{ print $1 }' "$WORK/ninet" | median)
ninet_min=$(awk '{ print $2 }' "$WORK/ninet" | median)
linux_avg=$(awk '{ print $1 }' "$WORK/linux" | median)
linux_min=$(awk '{ print $2 }' "$WORK/linux" | median)
round_ratio=$(paste -d' ' "$WORK/ninet" "$WORK/linux" | awk '{ print $1 / $3 }' | median)
echo "ninet <-> Linux median avg rtt: $ninet_avg ms   median min rtt: $ninet_min ms"
echo "Linux <-> Linux median avg rtt: $linux_avg ms   median min rtt: $linux_min ms"
awk -v a="$ninet_avg" -v b="$linux_avg" -v c="$ninet_min" -v d="$linux_min" -v r="$round_ratio" \
  'BEGIN { printf "ratio ninet/Linux: avg %.2f   min %.2f   median of per-round avg ratios %.2f\n", a / b, c / d, r }'
exit 0
