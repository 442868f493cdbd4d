#!/bin/sh
# The dial library as programs use it (issue 6, point 5): examples/echo
# serves UDP through announce/listen/accept on ninetd's FUSE tree, and is
# called by its own client (dial) on the stack's loopback and by Linux's
# `nc -u` from a namespace over a veth, IPv4 and IPv6; getnetconninfo names
# each caller; a call to a closed port fails with the tree's error text.
# Then the same over 9P (src/dialfs): with NINET_NET=9p!unix!PATH naming
# ninetd's 9P service, echo serves TCP, is called over 9P and over the
# mount on loopback and by Linux's nc over the veth, and names its callers.
# Then in-process (cmd/embed.h): with NINET_NET=embed!CONFIG, ttcp runs a
# stack of its own on a second veth and sends 8 MiB to Linux's nc and takes
# 8 MiB from it; the sender returns from main right after its close, and
# every byte still arrives (the embedded stack lingers until its FIN is
# acknowledged).
. "$(dirname "$0")/lib.sh"
need nc timeout
ECHO=$BUILD/examples/echo
[ -x "$ECHO" ] || { echo "FAIL: $ECHO not built"; exit 1; }

peer_ns A
veth_to A 10.93.0.1/24 fd93::1/64
NINEP=$WORK/ninet0
ninetd_start "stack 0 $MNT
9p unix!$NINEP
ipifc/clone bind loopback
. add 127.0.0.1 255.0.0.0
. add ::1 /128
ipifc/clone bind ether $HOST_A
. add 10.93.0.2 255.255.255.0
. add6 fd93::2 64"
export NINET_NET=$MNT

NINET_NET=$MNT timeout 60 "$ECHO" -s 'udp!*!7' > "$WORK/server.out" 2>&1 &
SERVER=$!
wait_for announced "$WORK/server.out"
contains "the server announced udp port 7" "announced $MNT/udp/[0-9]+" "$(cat "$WORK/server.out")"

expect "echo client over loopback (IPv4)" sh -c "timeout 10 $ECHO 'udp!127.0.0.1!7' hello-v4 | grep -qx hello-v4"
expect "echo client over loopback (IPv6)" sh -c "timeout 10 $ECHO 'udp!::1!7' hello-v6 | grep -qx hello-v6"
expect "echo client with a path to the tree" sh -c "timeout 10 $ECHO '$MNT/udp!127.0.0.1!7' pathed | grep -qx pathed"
got=$(printf 'from-linux\n' | ip netns exec "$NS_A" timeout 3 nc -u -w 1 10.93.0.2 7 2>/dev/null | head -n 1)
contains "Linux nc -u gets its datagram back (IPv4)" "^from-linux$" "$got"
got=$(printf 'from-linux6\n' | ip netns exec "$NS_A" timeout 3 nc -u -w 1 fd93::2 7 2>/dev/null | head -n 1)
contains "Linux nc -u gets its datagram back (IPv6)" "^from-linux6$" "$got"
out=$(cat "$WORK/server.out")
contains "getnetconninfo names the loopback caller" "call from udp!127\.0\.0\.1![0-9]+ on $MNT/udp/" "$out"
contains "getnetconninfo names the Linux caller" "call from udp!10\.93\.0\.1![0-9]+" "$out"
contains "getnetconninfo names the IPv6 caller" "call from udp!fd93::1![0-9]+" "$out"
kill "$SERVER" 2>/dev/null

# A second announce of the port fails with the tree's text.
NINET_NET=$MNT timeout 10 "$ECHO" -s 'udp!*!9' > "$WORK/s9.out" 2>&1 &
S9=$!
wait_for announced "$WORK/s9.out"
contains "announcing a port twice is refused with the tree's text" "address in use" \
  "$(timeout 10 "$ECHO" -s 'udp!*!9' 2>&1)"
kill "$S9" 2>/dev/null
contains "a bad address is refused before the tree" "address is net!host" \
  "$(timeout 10 "$ECHO" 'udp' x 2>&1)"

# Over 9P: the tree is /net of the 9P service, not the mount.
NET9P="9p!unix!$NINEP"
NINET_NET=$NET9P timeout 60 "$ECHO" -s 'tcp!*!17' > "$WORK/s9p.out" 2>&1 &
S9P=$!
wait_for announced "$WORK/s9p.out"
contains "the server announced over 9P" "^announced /net/tcp/[0-9]+$" "$(cat "$WORK/s9p.out")"
expect "echo client over 9P (IPv4)" sh -c "NINET_NET='$NET9P' timeout 10 $ECHO 'tcp!127.0.0.1!17' hello-9p | grep -qx hello-9p"
expect "echo client over 9P (IPv6)" sh -c "NINET_NET='$NET9P' timeout 10 $ECHO 'tcp!::1!17' hello-9p6 | grep -qx hello-9p6"
expect "echo client over the mount calls the server over 9P" \
  sh -c "NINET_NET='$MNT' timeout 10 $ECHO 'tcp!127.0.0.1!17' mounted | grep -qx mounted"
got=$(printf 'from-linux-tcp\n' | ip netns exec "$NS_A" timeout 3 nc -w 1 10.93.0.2 17 2>/dev/null | head -n 1)
contains "Linux nc gets its line back from the server over 9P" "^from-linux-tcp$" "$got"
out=$(cat "$WORK/s9p.out")
contains "getnetconninfo over 9P names the loopback caller" "call from tcp!127\.0\.0\.1![0-9]+ on /net/tcp/" "$out"
contains "getnetconninfo over 9P names the Linux caller" "call from tcp!10\.93\.0\.1![0-9]+" "$out"
kill "$S9P" 2>/dev/null
contains "a refused call over 9P says so with the tree's text" "connection refused" \
  "$(NINET_NET=$NET9P timeout 10 "$ECHO" 'tcp!127.0.0.1!19' x 2>&1)"
contains "a 9P service that is not there is named in the error" "$WORK/nobody" \
  "$(NINET_NET="9p!unix!$WORK/nobody" timeout 10 "$ECHO" 'tcp!127.0.0.1!17' x 2>&1)"
# In-process: ttcp with a stack of its own on veth B.
TTCP=$BUILD/examples/ttcp
peer_ns B
veth_to B 10.94.0.1/24
printf '%s\n' "stack 0" "ipifc/clone bind ether $HOST_B" ". add 10.94.0.2 255.255.255.0" > "$WORK/embed.conf"
head -c 8388608 /dev/urandom > "$WORK/blob"
ip netns exec "$NS_B" timeout 30 nc -l -p 5001 > "$WORK/got" 2>/dev/null &
NCL=$!
sleep 0.5
# ttcp sends 'n's: the byte count and content are what we check.
expect "embedded ttcp sends 8 MiB to Linux nc and exits" \
  sh -c "NINET_NET=embed!$WORK/embed.conf timeout 30 $TTCP -t 'tcp!10.94.0.1!5001' 8M"
wait "$NCL"
contains "Linux nc got all 8 MiB of it after ttcp returned" "^8388608 0$" \
  "$(printf '%s %s' "$(wc -c < "$WORK/got")" "$(tr -d n < "$WORK/got" | wc -c)")"
NINET_NET=embed!$WORK/embed.conf timeout 30 "$TTCP" -r 'tcp!*!5002' > "$WORK/sink.out" 2>&1 &
SINK=$!
wait_for listening "$WORK/sink.out" 10
expect "Linux nc sends 8 MiB to the embedded ttcp" \
  sh -c "ip netns exec $NS_B timeout 30 nc -N 10.94.0.2 5002 < $WORK/blob"
wait "$SINK"
contains "the embedded ttcp received all of it" "received 8388608 bytes" "$(cat "$WORK/sink.out")"
contains "the embedded stack names its tree /net" "listening on /net/tcp/[0-9]+" "$(cat "$WORK/sink.out")"
finish
