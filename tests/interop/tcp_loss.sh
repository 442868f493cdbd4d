#!/bin/sh
# TCP stays intact under loss (issue 6 point 7): nftables on the Linux side
# drops a random 3% of the packets between Linux and ninet in each direction
# (`numgen random mod 100 < 3`); Linux's segments are kept to one per packet
# (gso_max_segs 1, no TSO/GSO/GRO), so 3% of wire packets really go. 4 MiB go
# from Linux through ninet's echo server and back, IPv4 and IPv6, intact; the
# drop counters show both directions lost packets, and ninet retransmitted.
. "$(dirname "$0")/lib.sh"
need nft socat sha256sum timeout
ECHO=$BUILD/examples/echo
[ -x "$ECHO" ] || { echo "FAIL: $ECHO not built"; exit 1; }

peer_ns A
veth_to A 10.99.0.1/24 fd99::1/64
ip -n "$NS_A" link set eth0 gso_max_segs 1 2>/dev/null
ip netns exec "$NS_A" ethtool -K eth0 tso off gso off gro off >/dev/null 2>&1
ip netns exec "$NS_A" nft -f - <<'NFT'
table inet ninetloss {
  chain in {
    type filter hook input priority 0;
    ip saddr 10.99.0.2 numgen random mod 100 < 3 counter drop
    ip6 saddr fd99::2 numgen random mod 100 < 3 counter drop
  }
  chain out {
    type filter hook output priority 0;
    ip daddr 10.99.0.2 numgen random mod 100 < 3 counter drop
    ip6 daddr fd99::2 numgen random mod 100 < 3 counter drop
  }
}
NFT
ninetd_start "stack 0 $MNT
ipifc/clone bind ether $HOST_A
. add 10.99.0.2 255.255.255.0
. add6 fd99::2 64"
export NINET_NET=$MNT
timeout 170 "$ECHO" -s 'tcp!*!7' > "$WORK/server.out" 2>&1 &
wait_for announced "$WORK/server.out"

head -c 4194304 /dev/urandom > "$WORK/blob"
want=$(sha256sum < "$WORK/blob" | cut -d' ' -f1)
for dst in "10.99.0.2" "[fd99::2]"; do
  got=$(ip netns exec "$NS_A" timeout 80 socat -t 30 -T 60 - "TCP:$dst:7" <"$WORK/blob" 2>"$WORK/socat.err" | sha256sum | cut -d' ' -f1)
  if [ "$got" = "$want" ]; then echo "PASS: 4 MiB through ninet and back intact under 3% loss each way ($dst)"; else
    echo "FAIL: 4 MiB under loss via $dst: sha256 $got"; cat "$WORK/socat.err"; FAILS=$((FAILS + 1)); fi
done
counters=$(ip netns exec "$NS_A" nft list table inet ninetloss)
in_drops=$(echo "$counters" | awk '/chain in/,/}/' | sed -n 's/.*packets \([0-9]*\).*/\1/p' | awk '{s+=$1} END {print s+0}')
out_drops=$(echo "$counters" | awk '/chain out/,/}/' | sed -n 's/.*packets \([0-9]*\).*/\1/p' | awk '{s+=$1} END {print s+0}')
echo "  nftables dropped $in_drops packets from ninet and $out_drops to it"
expect "packets from ninet were dropped" test "$in_drops" -gt 20
expect "packets to ninet were dropped" test "$out_drops" -gt 20
contains "ninet retransmitted" "RetransSegs: [1-9]" "$(cat "$MNT/tcp/stats")"
finish
