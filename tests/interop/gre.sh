#!/bin/sh
# GRE (ip(3)'s gre directory) between ninet and Linux over a veth, outer
# IPv4 and IPv6. This host's kernel has no GRE tunnels (CONFIG_NET_IPGRE_DEMUX
# is off), so Linux's end of the tunnel is a raw IP protocol 47 socket in a
# namespace, joined to a TUN device by a few lines of python3 (linux.py
# below): Linux's own ping sends its echo requests into the TUN, they cross
# to ninet as GRE, a program reading and writing ninet's gre/N/data through
# the FUSE tree (gre.py) answers each with an echo reply in a GRE datagram,
# and ping must see every reply. Then a PPTP-style datagram (version 1,
# 0x880b) each way byte for byte, a protocol type nobody connected to, the
# ctl errors through the tree, the files of a conversation and gre/stats;
# tshark decodes a capture of it all without complaint.
. "$(dirname "$0")/lib.sh"
need python3 timeout ping tcpdump tshark

peer_ns A
veth_to A 10.87.0.1/24 fd87::1/64
ninetd_start "stack 0 $MNT
ipifc/clone bind ether $HOST_A
. add 10.87.0.2 255.255.255.0
. add6 fd87::2 64"

ip netns exec "$NS_A" tcpdump -i eth0 -U -w "$WORK/cap.pcap" ip proto 47 or ip6 proto 47 \
  >/dev/null 2>&1 &
TCPDUMP=$!
sleep 0.5

# ready FILE: waits (up to 5 s) until FILE exists (a helper's "started").
ready() { for _ in $(seq 50); do [ -e "$1" ] && return 0; sleep 0.1; done; return 1; }

# ninet's side, through the tree. Every wait is bounded by an alarm (a FUSE
# read ends on a signal).
cat > "$WORK/gre.py" <<'EOF'
import errno, os, signal, struct, sys

mnt, mode = sys.argv[1], sys.argv[2]
signal.signal(signal.SIGALRM, lambda *a: sys.exit("timed out"))
signal.alarm(20)

def clone(*msgs):
    ctl = os.open(mnt + "/gre/clone", os.O_RDWR)
    n = os.read(ctl, 32).decode().strip()
    for m in msgs:
        os.write(ctl, m.encode())
    return ctl, n

def data(n):
    return os.open("%s/gre/%s/data" % (mnt, n), os.O_RDWR)

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def echo_reply(ip):
    # The IPv4 echo request in ip, answered: addresses swapped, type 0,
    # both checksums recomputed.
    hl = (ip[0] & 15) * 4
    assert ip[0] >> 4 == 4 and ip[9] == 1 and ip[hl] == 8, ip[:hl + 1].hex()
    icmp = bytearray(ip[hl:])
    icmp[0] = 0
    icmp[2:4] = b"\0\0"
    icmp[2:4] = struct.pack("!H", csum(bytes(icmp)))
    h = bytearray(ip[:hl])
    h[12:16], h[16:20] = ip[16:20], ip[12:16]
    h[8] = 64
    h[10:12] = b"\0\0"
    h[10:12] = struct.pack("!H", csum(bytes(h)))
    return bytes(h) + bytes(icmp)

if mode == "echo":
    # connect REMOTE!2048; answer COUNT ICMP echo requests carried in GRE.
    remote, count, flag = sys.argv[3], int(sys.argv[4]), sys.argv[5]
    ctl, n = clone("connect %s!2048" % remote)
    fd = data(n)
    open(flag, "w").close()
    answered = 0
    while answered < count:
        g = os.read(fd, 65536)
        # A plain GRE header (no C, K, S; version 0), protocol 0x0800.
        assert g[:4] == b"\x00\x00\x08\x00", g[:4].hex()
        ip = g[4:]
        if ip[9] != 1 or ip[(ip[0] & 15) * 4] != 8:
            continue
        # The protocol type written is the conversation's anyway (ip(3)).
        os.write(fd, b"\x00\x00\xff\xff" + echo_reply(ip))
        answered += 1
    print("answered %d" % answered)
elif mode == "pptp":
    # connect REMOTE!34827; print the datagram read (hex), write HEX back.
    remote, reply, flag = sys.argv[3], bytes.fromhex(sys.argv[4]), sys.argv[5]
    ctl, n = clone("connect %s!34827" % remote)
    fd = data(n)
    open(flag, "w").close()
    print(os.read(fd, 65536).hex())
    os.write(fd, reply)
elif mode == "errors":
    # Each refusal of a ctl write: its errno and then the err file.
    def err(n):
        return open("%s/gre/%s/err" % (mnt, n)).read().strip()
    ctl, n = clone("connect 10.87.0.1!2048")
    ctl2, n2 = clone()
    for msg in ("connect 10.87.0.1!2048", "announce 2048", "connect 10.87.0.1"):
        try:
            os.write(ctl2, msg.encode())
            print("%s: accepted" % msg)
        except OSError as e:
            print("%s: %s: %s" % (msg, errno.errorcode[e.errno], err(n2)))
    try:
        os.write(data(n), b"\x00\x00\x08")
        print("short write: accepted")
    except OSError as e:
        print("short write: %s" % errno.errorcode[e.errno])
    os.write(ctl2, b"connect 10.87.0.1!34525")
    print("connect 10.87.0.1!34525: ok")
    for f in ("local", "remote", "status"):
        print("%s: %s" % (f, open("%s/gre/%s/%s" % (mnt, n2, f)).read().strip()))
    print("files: " + " ".join(sorted(os.listdir("%s/gre/%s" % (mnt, n2)))))
EOF
G="timeout 30 python3 $WORK/gre.py $MNT"

# Linux's side: the tunnel's far end, and single datagrams.
cat > "$WORK/linux.py" <<'EOF'
import fcntl, os, select, signal, socket, struct, sys

def raw(remote):
    fam = socket.AF_INET6 if ":" in remote else socket.AF_INET
    return fam, socket.socket(fam, socket.SOCK_RAW, 47)

def gre_of(fam, pkt):
    # An IPv4 raw socket reads the IP header too; an IPv6 one does not.
    return pkt[(pkt[0] & 15) * 4:] if fam == socket.AF_INET else pkt

if sys.argv[1] == "tunnel":
    # tunnel TUN REMOTE FLAG: IPv4 from the TUN goes to REMOTE in GRE
    # (protocol 0x0800); GRE 0x0800 from REMOTE goes back into the TUN.
    name, remote, flag = sys.argv[2], sys.argv[3], sys.argv[4]
    tun = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(tun, 0x400454ca, struct.pack("16sH", name.encode(), 0x0001 | 0x1000))  # TUNSETIFF: IFF_TUN | IFF_NO_PI
    fam, s = raw(remote)
    peer = socket.getaddrinfo(remote, 0, fam)[0][4][0]
    open(flag, "w").close()
    while True:
        r, _, _ = select.select([tun, s], [], [])
        if tun in r:
            ip = os.read(tun, 65536)
            if ip[0] >> 4 == 4:
                s.sendto(b"\x00\x00\x08\x00" + ip, (remote, 0))
        if s in r:
            pkt, src = s.recvfrom(65536)
            g = gre_of(fam, pkt)
            if src[0] == peer and g[:4] == b"\x00\x00\x08\x00":
                os.write(tun, g[4:])
elif sys.argv[1] == "send":
    # send REMOTE HEX: one GRE datagram.
    fam, s = raw(sys.argv[2])
    s.sendto(bytes.fromhex(sys.argv[3]), (sys.argv[2], 0))
elif sys.argv[1] == "recv":
    # recv REMOTE PROTO FLAG: print the first GRE datagram from REMOTE with
    # protocol type PROTO (hex), byte for byte.
    signal.alarm(10)
    fam, s = raw(sys.argv[2])
    peer = socket.getaddrinfo(sys.argv[2], 0, fam)[0][4][0]
    open(sys.argv[4], "w").close()
    while True:
        pkt, src = s.recvfrom(65536)
        g = gre_of(fam, pkt)
        if src[0] == peer and g[2:4].hex() == sys.argv[3]:
            print(g.hex())
            break
EOF
L="ip netns exec $NS_A timeout 30 python3 $WORK/linux.py"

# 1. Linux's ping through the tunnel, outer IPv4 then outer IPv6, each a
# conversation of its own (the same protocol type, another remote).
n=0
for outer in 10.87.0 fd87:; do
  n=$((n + 1))
  case $outer in
    *:) local=fd87::1 remote=fd87::2 ;;
    *) local=10.87.0.1 remote=10.87.0.2 ;;
  esac
  tun=gt$ID$n
  ip -n "$NS_A" tuntap add dev "$tun" mode tun
  ip netns exec "$NS_A" sysctl -qw "net.ipv6.conf.$tun.disable_ipv6=1"
  ip -n "$NS_A" addr add "192.168.8$n.1" peer "192.168.8$n.2" dev "$tun"
  ip -n "$NS_A" link set "$tun" up
  $L tunnel "$tun" "$remote" "$WORK/t$n.ready" > "$WORK/t$n.out" 2>&1 &
  T=$!
  $G echo "$local" 3 "$WORK/e$n.ready" > "$WORK/e$n.out" 2>&1 &
  E=$!
  ready "$WORK/t$n.ready" || echo "tunnel $n did not start"
  ready "$WORK/e$n.ready" || echo "responder $n did not start"
  expect "Linux's ping is answered through GRE over $outer (3 of 3)" \
    ip netns exec "$NS_A" ping -c 3 -i 0.2 -W 3 "192.168.8$n.2"
  wait $E
  contains "ninet's conversation answered the echo requests (outer $outer)" "^answered 3$" "$(cat "$WORK/e$n.out")"
  kill "$T" 2>/dev/null
  empty "the tunnel end said nothing (outer $outer)" "$(cat "$WORK/t$n.out")"
done

# 2. PPTP's enhanced GRE (version 1, 0x880b) each way, byte for byte: what
# Linux sends is what ninet's reader gets, and what ninet's writer writes is
# what Linux receives. In: K S, call id 0x1234, seq 5, an LCP Echo-Reply;
# out: K S A, call id 0xabcd, seq 7, ack 5, an LCP Echo-Request.
IN=3001880b000c123400000005ff03c0210a01000800000000
OUT=3081880b000cabcd0000000700000005ff03c0210901000800000000
for remote in 10.87.0.1 fd87::1; do
  peer=10.87.0.2
  case $remote in *:*) peer=fd87::2 ;; esac
  rm -f "$WORK/p.ready" "$WORK/r.ready"
  $L recv "$peer" 880b "$WORK/r.ready" > "$WORK/r.out" 2>&1 &
  R=$!
  $G pptp "$remote" "$OUT" "$WORK/p.ready" > "$WORK/p.out" 2>&1 &
  P=$!
  ready "$WORK/p.ready"
  ready "$WORK/r.ready"
  $L send "$peer" "$IN"
  wait $P
  wait $R
  contains "ninet reads Linux's PPTP GRE datagram byte for byte ($remote)" "^$IN$" "$(cat "$WORK/p.out")"
  contains "Linux receives ninet's PPTP GRE datagram byte for byte ($remote)" "^$OUT$" "$(cat "$WORK/r.out")"
done

# 3. A protocol type nobody connected to is dropped and counted: 0x86dd
# carrying an IPv6 header with no payload (next header 59).
before=$(awk '/^NoConvs:/ {print $2}' "$MNT/gre/stats")
$L send 10.87.0.2 000086dd6000000000003b40fd870000000000000000000000000001fd870000000000000000000000000002
sleep 0.5
after=$(awk '/^NoConvs:/ {print $2}' "$MNT/gre/stats")
expect "gre/stats counts the datagram no conversation wanted" test "$after" -eq $((before + 1))

# 4. Refusals and the files, through the tree.
out=$($G errors 2>&1)
contains "a second connect to the same addr/proto is refused" \
  "^connect 10.87.0.1!2048: EADDRINUSE: already connected to that addr/proto$" "$out"
contains "announce is refused" "^announce 2048: ENOTSUP: gre does not support announce$" "$out"
contains "connect without a protocol type is refused" "^connect 10.87.0.1: EINVAL: bad port number" "$out"
contains "a write shorter than a GRE header is refused" "^short write: EINVAL$" "$out"
contains "another protocol type to the same address is a conversation of its own" "^connect 10.87.0.1!34525: ok$" "$out"
contains "local is our address and port 0" "^local: 10.87.0.2!0$" "$out"
contains "remote is addr!eproto" "^remote: 10.87.0.1!34525$" "$out"
contains "status is a connected datagram conversation" "^status: Datagram Connected qin 0 qout 0$" "$out"
contains "a conversation directory holds the ip(3) files" "^files: ctl data err listen local remote status$" "$out"
stats=$(cat "$MNT/gre/stats")
contains "gre/stats has its four fields" "^InErrors: 0
InDatagrams: 8
NoConvs: 1
OutDatagrams: 8$" "$stats"

# 5. tshark decodes what crossed.
sleep 0.5
kill "$TCPDUMP" 2>/dev/null; wait "$TCPDUMP" 2>/dev/null
decoded=$(tshark -r "$WORK/cap.pcap" 2>&1)
# (The capture holds only IP protocol 47, so these ICMP lines are inside
# GRE; tshark names the innermost addresses.)
contains "tshark sees the echo replies inside ninet's GRE over IPv4" "192\.168\.81\.2 .* 192\.168\.81\.1 .*Echo \(ping\) reply" "$decoded"
contains "tshark sees the echo replies inside ninet's GRE over IPv6" "192\.168\.82\.2 .* 192\.168\.82\.1 .*Echo \(ping\) reply" "$decoded"
contains "tshark sees ninet's PPTP GRE carrying LCP" "10\.87\.0\.2 .* 10\.87\.0\.1 .*LCP.*Echo Request" "$decoded"
contains "... over IPv6 too" "fd87::2 .* fd87::1 .*LCP.*Echo Request" "$decoded"
if printf '%s' "$decoded" | grep -qiE "malformed|bad checksum|\[incorrect"; then
  echo "FAIL: tshark warns about the GRE packets"; printf '%s\n' "$decoded" | grep -iE "malformed|checksum|incorrect" | head
  FAILS=$((FAILS + 1))
else
  echo "PASS: tshark finds no malformed packets ($(printf '%s\n' "$decoded" | wc -l) frames)"
fi
finish
