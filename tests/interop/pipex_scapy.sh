#!/bin/sh
# pipex's frames against implementations that are not ninet's: scapy builds a
# peer's L2TP, PPTP and PPPoE frames (IPv4 and IPv6 echoes inside), ninet's
# data path answers through the sessions (tests/tools/pipex_pcap), scapy
# dissects the answers field by field, and tshark decodes the input and the
# output captures without malformed-packet or warning expert infos. No
# network: the frames go through an in-memory stack.
set -u
BUILD=${BUILD:-$(cd "$(dirname "$0")/../.." && pwd)/build}
TOOL=$BUILD/tests/tools/pipex_pcap
[ -x "$TOOL" ] || { echo "FAIL: $TOOL not built"; exit 1; }
/usr/bin/python3 -c 'import scapy' 2>/dev/null || { echo "SKIP: python3-scapy not installed"; exit 77; }
command -v tshark >/dev/null 2>&1 || { echo "SKIP: tshark not installed"; exit 77; }
WORK=$(mktemp -d /tmp/ninet-pipex-scapy.XXXX)
trap 'rm -rf "$WORK"' EXIT INT TERM
fails=0
/usr/bin/python3 "$(dirname "$0")/pipex_scapy.py" "$WORK" "$TOOL" || fails=$((fails + 1))
for f in in out; do
  [ -s "$WORK/$f.pcap" ] || { echo "FAIL no $f.pcap"; fails=$((fails + 1)); continue; }
  v=$(tshark -r "$WORK/$f.pcap" -V -o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE \
        -o ip.check_checksum:TRUE 2>&1)
  if echo "$v" | grep -Eq "Malformed|Expert Info \((Warning|Error)|\[Bad|incorrect"; then
    echo "FAIL tshark finds fault with $f.pcap:"
    echo "$v" | grep -E "Malformed|Expert Info|\[Bad|incorrect" | head
    fails=$((fails + 1))
  else
    n=$(tshark -r "$WORK/$f.pcap" 2>/dev/null | wc -l)
    echo "ok   tshark decodes $f.pcap ($n frames) without warnings"
  fi
done
protos=$(tshark -r "$WORK/out.pcap" -T fields -e frame.protocols 2>/dev/null | sort -u)
for p in "l2tp:ppp:ip:icmp" "l2tp:ppp:ipv6:icmpv6" "gre:ppp:ip:icmp" "gre:ppp:ipv6:icmpv6" \
         "pppoes:ppp:ip:icmp" "pppoes:ppp:ipv6:icmpv6"; do
  if echo "$protos" | grep -q "$p"; then echo "ok   tshark sees $p in ninet's output"
  else echo "FAIL tshark does not see $p in ninet's output: $protos"; fails=$((fails + 1)); fi
done
[ $fails -eq 0 ] && echo "PASS" || { echo "FAILED: $fails"; exit 1; }
