#!/bin/sh
# A black-box conformance suite for ninet's TCP (issue 6 point 7), in the
# manner of tcpreq: tcp_conformance.py crafts segments with Debian's
# python3-scapy in a Linux namespace and checks ninet's answers against
# RFC 9293's MUSTs (checksum, options and unknown options, MSS, reserved
# bits, RST in each state, urgent data, sequence validation, SYN in a
# synchronized state, FIN) and RFC 5961's challenge ACKs. ninet runs
# examples/echo -s 'tcp!*!7' through the FUSE tree.
#
# The namespace's kernel must stay out of scapy's conversations: it sees
# ninet's SYN-ACKs and data for ports it has no socket on and would answer
# with RSTs. An nftables output chain in the namespace drops the kernel's
# RSTs to ninet's address. scapy sends on an AF_PACKET socket, which no IP
# netfilter hook sees, so the RSTs the checks craft still go out. (The
# alternative, a source address the kernel does not own, needs proxy-ARP
# for it and a way to keep the kernel from answering ARP for it; the drop
# rule is simpler and its counter shows it worked.)
#
# Exit status: the number of failed checks (0 = all pass; 77 = skipped).
. "$(dirname "$0")/lib.sh"
need nft timeout
PY=/usr/bin/python3
"$PY" -c 'import scapy.all' 2>/dev/null || { echo "SKIP: python3-scapy not installed"; exit 77; }
ECHO=$BUILD/examples/echo
[ -x "$ECHO" ] || { echo "FAIL: $ECHO not built"; exit 1; }

peer_ns A
veth_to A 10.98.0.1/24 fd98::1/64
ninetd_start "stack 0 $MNT
ipifc/clone bind ether $HOST_A
. add 10.98.0.2 255.255.255.0
. add6 fd98::2 64"
export NINET_NET=$MNT

# ninet's AF_PACKET medium sends plain frames (no PACKET_VNET_HDR GSO), so
# what scapy captures on eth0 is what went on the wire; if that changes, the
# MSS check would see GSO super-packets and must segment them itself.
ip netns exec "$NS_A" nft -f - <<EOF
table inet conf$ID {
  chain out {
    type filter hook output priority 0; policy accept;
    ip daddr 10.98.0.2 tcp flags & rst == rst counter drop
    ip6 daddr fd98::2 tcp flags & rst == rst counter drop
  }
}
EOF

timeout 300 "$ECHO" -s 'tcp!*!7' > "$WORK/server.out" 2>&1 &
ECHO_PID=$!
wait_for announced "$WORK/server.out"
grep -q announced "$WORK/server.out" || { echo "FAIL: echo server did not announce"; cat "$WORK/server.out"; exit 1; }

FAILS=0
for dst in 10.98.0.2 fd98::2; do
  ip netns exec "$NS_A" timeout 240 "$PY" "$(dirname "$0")/tcp_conformance.py" eth0 "$dst" 7 9
  rc=$?
  [ "$rc" -eq 124 ] && { echo "FAIL: tcp_conformance.py $dst timed out"; rc=1; }
  FAILS=$((FAILS + rc))
done

echo "  the namespace kernel's RSTs dropped (v4, v6):" $(ip netns exec "$NS_A" nft list chain inet conf$ID out | grep -o 'packets [0-9]*' | cut -d' ' -f2)
# tcp/stats' CurrEstab is a gauge: it must equal the connections open now.
sleep 1
stats=$(cat "$MNT/tcp/stats")
cur=$(echo "$stats" | awk '$1 == "CurrEstab:" {print $2}')
open_now=$(cat "$MNT"/tcp/*/status 2>/dev/null | grep -Ec '^(Established|Close_wait|Closewait|CloseWait)')
if [ "$cur" = "$open_now" ]; then echo "PASS: tcp/stats CurrEstab ($cur) counts the connections open now"; else
  echo "FAIL: tcp/stats CurrEstab is $cur with $open_now connection(s) established"; FAILS=$((FAILS + 1)); fi
if kill -0 "$DAEMON_PID" 2>/dev/null; then echo "PASS: ninetd is still running"; else
  echo "FAIL: ninetd died"; FAILS=$((FAILS + 1)); fi
if [ "$FAILS" -ne 0 ]; then
  echo "--- tcp/stats"; cat "$MNT/tcp/stats" 2>/dev/null | sed 's/^/  /'
  echo "--- ninetd log"; tail -20 "$WORK/ninetd.log"
fi
kill "$ECHO_PID" 2>/dev/null
exit "$FAILS"
