#!/bin/sh
# TCP between ninet and Linux over a veth, IPv4 and IPv6 (issue 6, first
# cut of point 7): ninet's echo client (examples/echo, on the dial library)
# against a Linux socat echo server; Linux's socat sending 4 MiB through
# ninet's echo server and getting them back intact (sha256); a connect to a
# closed Linux port refused; a Linux connect to a closed ninet port refused
# (RST); the connections show in tcp/N/status and tcp/stats.
. "$(dirname "$0")/lib.sh"
need socat sha256sum timeout
ECHO=$BUILD/examples/echo
[ -x "$ECHO" ] || { echo "FAIL: $ECHO not built"; exit 1; }

peer_ns A
veth_to A 10.95.0.1/24 fd95::1/64
ninetd_start "stack 0 $MNT
ipifc/clone bind ether $HOST_A
. add 10.95.0.2 255.255.255.0
. add6 fd95::2 64"
export NINET_NET=$MNT

ip netns exec "$NS_A" timeout 120 socat TCP4-LISTEN:7,fork,reuseaddr EXEC:cat >/dev/null 2>&1 &
ip netns exec "$NS_A" timeout 120 socat TCP6-LISTEN:7,ipv6only=1,fork,reuseaddr EXEC:cat >/dev/null 2>&1 &
for _ in $(seq 50); do
  ip netns exec "$NS_A" ss -ltn 2>/dev/null | grep -q ':7 ' && break
  sleep 0.1
done
expect "ninet -> Linux echo (IPv4)" sh -c "timeout 20 $ECHO 'tcp!10.95.0.1!7' hello-tcp4 | grep -qx hello-tcp4"
expect "ninet -> Linux echo (IPv6)" sh -c "timeout 20 $ECHO 'tcp!fd95::1!7' hello-tcp6 | grep -qx hello-tcp6"
contains "a closed Linux port refuses ninet's connect" "connection refused" \
  "$(timeout 20 "$ECHO" 'tcp!10.95.0.1!9' x 2>&1)"

timeout 120 "$ECHO" -s 'tcp!*!7' > "$WORK/server.out" 2>&1 &
wait_for announced "$WORK/server.out"
head -c 4194304 /dev/urandom > "$WORK/blob"
want=$(sha256sum < "$WORK/blob" | cut -d' ' -f1)
for dst in "10.95.0.2" "[fd95::2]"; do
  got=$(ip netns exec "$NS_A" timeout 60 socat -t 20 -T 30 - "TCP:$dst:7" <"$WORK/blob" 2>"$WORK/socat.err" | sha256sum | cut -d' ' -f1)
  if [ "$got" = "$want" ]; then echo "PASS: 4 MiB from Linux through ninet's echo server and back intact ($dst)"; else
    echo "FAIL: 4 MiB echo through $dst: sha256 $got, want $want"; cat "$WORK/socat.err"; cat "$MNT"/tcp/*/status; cat "$MNT/tcp/stats"; FAILS=$((FAILS + 1)); fi
done
contains "getnetconninfo names the Linux caller" "call from tcp!10\.95\.0\.1![0-9]+" "$(cat "$WORK/server.out")"
contains "Linux's connect to a closed ninet port is refused" "Connection refused" \
  "$(ip netns exec "$NS_A" timeout 10 socat - TCP:10.95.0.2:9 2>&1 </dev/null)"
stats=$(cat "$MNT/tcp/stats")
contains "tcp/stats counts passive opens" "PassiveOpens: [1-9]" "$stats"
contains "tcp/stats counts the RST it sent" "OutRsts: [1-9]" "$stats"
contains "the listener's status" "^Listen " "$(cat "$MNT"/tcp/*/status)"
finish
