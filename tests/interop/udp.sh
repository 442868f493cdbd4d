#!/bin/sh
# UDP between ninet and Linux over a veth, IPv4 and IPv6: Linux's `nc -u`
# talks to a ninet echo server (headers mode, and announce + listen), ninet's
# conversations talk to a Linux echo server, each side sees the other's port
# unreachable, multicast goes both ways, and udp/stats counts it all.
# ninet's side is driven through the FUSE tree by a small python3 program
# (udp.py below), Linux's by nc and python3 (linux.py).
. "$(dirname "$0")/lib.sh"
need nc python3 timeout

peer_ns A
veth_to A 10.92.0.1/24 fd92::1/64
ninetd_start "stack 0 $MNT
ipifc/clone bind ether $HOST_A
. add 10.92.0.2 255.255.255.0
. add6 fd92::2 64"

# ninet's side, through the tree. Every wait is bounded by an alarm (a FUSE
# read ends on a signal).
cat > "$WORK/udp.py" <<'EOF'
import os, signal, sys

mnt, mode = sys.argv[1], sys.argv[2]
signal.signal(signal.SIGALRM, lambda *a: sys.exit("timed out"))
signal.alarm(15)

def conv(ctl):
    return os.read(ctl, 32).decode().strip()

def clone(*msgs):
    ctl = os.open(mnt + "/udp/clone", os.O_RDWR)
    n = conv(ctl)
    for m in msgs:
        os.write(ctl, m.encode())
    return ctl, n

def data(n):
    return os.open("%s/udp/%s/data" % (mnt, n), os.O_RDWR)

def ready(path):
    open(path, "w").close()

if mode == "serve-headers":
    # announce PORT; headers; echo COUNT datagrams by writing back the
    # buffer read (ip(3): the Udphdr is the same both ways).
    port, count, flag = sys.argv[3], int(sys.argv[4]), sys.argv[5]
    ctl, n = clone("announce " + port, "headers")
    fd = data(n)
    ready(flag)
    for _ in range(count):
        b = os.read(fd, 65536)
        assert len(b) >= 52, len(b)
        os.write(fd, b[:52] + b"echo:" + b[52:])
elif mode == "serve-listen":
    # announce PORT; each of COUNT remotes is a call from listen; echo one
    # datagram on each, from the call's own data file.
    port, count, flag = sys.argv[3], int(sys.argv[4]), sys.argv[5]
    ctl, n = clone("announce " + port)
    ready(flag)
    for _ in range(count):
        lfd = os.open("%s/udp/%s/listen" % (mnt, n), os.O_RDWR)
        c = conv(lfd)
        remote = open("%s/udp/%s/remote" % (mnt, c)).read().strip()
        fd = data(c)
        b = os.read(fd, 65536)
        os.write(fd, b"call " + remote.encode() + b": " + b)
        os.close(fd)
        os.close(lfd)
elif mode == "serve-group":
    # announce PORT; headers; addmulti IFC-IP GROUP; answer one datagram
    # to the group (from our unicast address: the header's laddr is the group).
    port, ifcip, group, flag = sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
    ctl, n = clone("announce " + port, "headers", "addmulti %s %s" % (ifcip, group))
    fd = data(n)
    ready(flag)
    b = os.read(fd, 65536)
    os.write(fd, b[:52] + b"group:" + b[52:])
elif mode == "client":
    # connect ADDR!PORT; send MSG; print the reply.
    ctl, n = clone("connect " + sys.argv[3])
    fd = data(n)
    os.write(fd, sys.argv[4].encode())
    print(os.read(fd, 65536).decode())
elif mode == "send-group":
    # connect GROUP!PORT; addmulti IFC-IP (the group is the remote): the
    # datagram leaves by that interface.
    ctl, n = clone("connect " + sys.argv[3], "addmulti " + sys.argv[4])
    os.write(data(n), sys.argv[5].encode())
elif mode == "refused":
    # connect to a closed port: the read ends (hangup) and err says why.
    ctl, n = clone("connect " + sys.argv[3])
    fd = data(n)
    os.write(fd, b"anyone?")
    b = os.read(fd, 65536)
    print("read %d bytes; err: %s" % (len(b), open("%s/udp/%s/err" % (mnt, n)).read().strip()))
EOF
U="timeout 20 python3 $WORK/udp.py $MNT"

# Linux's side: an echo server on both families, and a client that reports
# ICMP port unreachable (ECONNREFUSED on a connected socket).
cat > "$WORK/linux.py" <<'EOF'
import socket, struct, sys
if sys.argv[1] == "echo":
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", int(sys.argv[2])))
    open(sys.argv[3], "w").close()
    while True:
        b, a = s.recvfrom(65536)
        s.sendto(b"linux:" + b, a)
elif sys.argv[1] == "to-group":
    # Send to GROUP PORT out of eth0, print the unicast answer.
    g, port = sys.argv[2], int(sys.argv[3])
    if ":" in g:
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, socket.if_nametoindex("eth0"))
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("10.92.0.1"))
    s.settimeout(3)
    s.sendto(b"hi", (g, port))
    print(s.recvfrom(100)[0].decode())
elif sys.argv[1] == "in-group":
    # Join GROUP on eth0, bind PORT, print one datagram and who sent it.
    g, port = sys.argv[2], int(sys.argv[3])
    if ":" in g:
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        mreq = socket.inet_pton(socket.AF_INET6, g) + struct.pack("@I", socket.if_nametoindex("eth0"))
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mreq)
        s.bind(("::", port))
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        mreq = socket.inet_aton(g) + socket.inet_aton("10.92.0.1")
        s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
        s.bind(("", port))
    s.settimeout(5)
    open(sys.argv[4], "w").close()
    b, a = s.recvfrom(100)
    print("%s from %s" % (b.decode(), a[0]))
else:
    fam = socket.AF_INET6 if ":" in sys.argv[2] else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(3)
    s.connect((sys.argv[2], int(sys.argv[3])))
    s.send(b"anyone?")
    try:
        s.recv(100)
        print("answered")
    except ConnectionRefusedError:
        print("refused")
    except socket.timeout:
        print("no answer")
EOF

wait_for() { for _ in $(seq 50); do [ -e "$1" ] && return 0; sleep 0.1; done; return 1; }

# 1. Linux nc -> ninet, headers mode, both families.
$U serve-headers 7777 2 "$WORK/h.ready" > "$WORK/h.out" 2>&1 &
H=$!
wait_for "$WORK/h.ready"
out=$(echo hello4 | ip netns exec "$NS_A" timeout 5 nc -u -w 2 10.92.0.2 7777)
contains "Linux nc -u gets ninet's echo over IPv4 (headers mode)" "^echo:hello4$" "$out"
out=$(echo hello6 | ip netns exec "$NS_A" timeout 5 nc -6 -u -w 2 fd92::2 7777)
contains "Linux nc -u gets ninet's echo over IPv6 (headers mode)" "^echo:hello6$" "$out"
wait $H
expect "ninet's headers server ended cleanly" test $? = 0
empty "ninet's headers server said nothing" "$(cat "$WORK/h.out")"

# 2. Linux nc -> ninet, announce + listen: a call per remote.
$U serve-listen 7778 2 "$WORK/l.ready" > "$WORK/l.out" 2>&1 &
L=$!
wait_for "$WORK/l.ready"
out=$(echo one | ip netns exec "$NS_A" timeout 5 nc -u -w 2 -p 40001 10.92.0.2 7778)
contains "the first remote is a call of its own (IPv4)" "^call 10.92.0.1!40001: one$" "$out"
out=$(echo two | ip netns exec "$NS_A" timeout 5 nc -6 -u -w 2 -p 40002 fd92::2 7778)
contains "the second remote is another call (IPv6)" "^call fd92::1!40002: two$" "$out"
wait $L
expect "ninet's listening server ended cleanly" test $? = 0
empty "ninet's listening server said nothing" "$(cat "$WORK/l.out")"

# 3. ninet -> a Linux echo server, both families.
ip netns exec "$NS_A" python3 "$WORK/linux.py" echo 9999 "$WORK/e.ready" &
E=$!
wait_for "$WORK/e.ready"
contains "ninet's conversation gets Linux's echo over IPv4" "^linux:ping4$" "$($U client '10.92.0.1!9999' ping4 2>&1)"
contains "ninet's conversation gets Linux's echo over IPv6" "^linux:ping6$" "$($U client 'fd92::1!9999' ping6 2>&1)"
big=$(head -c 3000 /dev/zero | tr '\0' x)
contains "a 3000-byte datagram crosses (fragmented both ways)" "^linux:x{3000}$" "$($U client '10.92.0.1!9999' "$big" 2>&1)"
kill "$E" 2>/dev/null

# 4. Port unreachable, each side seeing the other's.
contains "Linux sees ninet's port unreachable (IPv4)" "^refused$" "$(ip netns exec "$NS_A" python3 "$WORK/linux.py" probe 10.92.0.2 4444)"
contains "Linux sees ninet's port unreachable (IPv6)" "^refused$" "$(ip netns exec "$NS_A" python3 "$WORK/linux.py" probe fd92::2 4444)"
contains "ninet's conversation hangs up on Linux's port unreachable (IPv4)" "^read 0 bytes; err: port unreachable$" "$($U refused '10.92.0.1!4444' 2>&1)"
contains "ninet's conversation hangs up on Linux's port unreachable (IPv6)" "^read 0 bytes; err: port unreachable$" "$($U refused 'fd92::1!4444' 2>&1)"

# 5. Multicast: ninet's member conversation answers Linux's datagram to a
# group; Linux's member socket gets ninet's datagram to a group.
for g in 239.1.2.3 ff12::1234; do
  if=10.92.0.2
  case $g in *:*) if=fd92::2 ;; esac
  rm -f "$WORK/g.ready"
  $U serve-group 5000 "$if" "$g" "$WORK/g.ready" > "$WORK/g.out" 2>&1 &
  G=$!
  wait_for "$WORK/g.ready"
  contains "Linux's datagram to $g reaches ninet's member conversation" "^group:hi$" "$(ip netns exec "$NS_A" timeout 5 python3 "$WORK/linux.py" to-group "$g" 5000 2>&1)"
  wait $G
  rm -f "$WORK/m.ready"
  ip netns exec "$NS_A" timeout 10 python3 "$WORK/linux.py" in-group "$g" 5001 "$WORK/m.ready" > "$WORK/m.out" 2>&1 &
  M=$!
  wait_for "$WORK/m.ready"
  expect "ninet sends to $g" $U send-group "$g!5001" "$if" "to the group"
  wait $M
  contains "Linux's member socket gets ninet's datagram to $g" "^to the group from $if$" "$(cat "$WORK/m.out")"
done

# 6. The tree and the counters.
contains "udp/stats has the four fields" "^InDatagrams: [0-9]+
NoPorts: [0-9]+
InErrors: 0
OutDatagrams: [0-9]+$" "$(cat "$MNT/udp/stats")"
contains "udp/stats counts datagrams in" "InDatagrams: ([7-9]|[1-9][0-9])" "$(cat "$MNT/udp/stats")"
# Closed ports: the two probes of 4 and, as ninet is a member of the groups
# it sent to, its own two datagrams to port 5001 looped back to it.
contains "udp/stats counts the closed ports" "NoPorts: 4$" "$(grep NoPorts "$MNT/udp/stats")"
contains "udp holds clone and stats" "clone.*stats" "$(ls "$MNT/udp" | tr '\n' ' ')"
exec 3<>"$MNT/udp/clone"
read -r n <&3 || true
echo "connect 10.92.0.1!53" >&3
contains "a conversation directory holds the ip(3) files" "^ctl data err listen local remote status $" "$(ls "$MNT/udp/$n" | tr '\n' ' ')"
contains "its status is Open" "^Open qin 0 qout 0$" "$(cat "$MNT/udp/$n/status")"
contains "its remote is what it connected to" "^10.92.0.1!53$" "$(cat "$MNT/udp/$n/remote")"
contains "its local is the source address and an ephemeral port" "^10.92.0.2!(5[0-9]{3}|[6-9][0-9]{3}|[1-6][0-9]{4})$" "$(cat "$MNT/udp/$n/local")"
exec 3<&-
finish
