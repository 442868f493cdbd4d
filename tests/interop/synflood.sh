#!/bin/sh
# A SYN flood against ninet (issue 6 point 7): hping3 in a Linux namespace
# floods ninet's listening port with SYNs from random (spoofed) sources, which
# stay on the veth; ninet's replies to them find no route and go nowhere.
# Meanwhile an ordinary Linux connection to the same port succeeds and echoes
# (through SYN cookies once the backlog is full), and ninetd stays up.
. "$(dirname "$0")/lib.sh"
need hping3 socat timeout
ECHO=$BUILD/examples/echo
[ -x "$ECHO" ] || { echo "FAIL: $ECHO not built"; exit 1; }

peer_ns A
veth_to A 10.97.0.1/24
ninetd_start "stack 0 $MNT
ipifc/clone bind ether $HOST_A
. add 10.97.0.2 255.255.255.0"
export NINET_NET=$MNT
timeout 60 "$ECHO" -s 'tcp!*!7' > "$WORK/server.out" 2>&1 &
wait_for announced "$WORK/server.out"

ip netns exec "$NS_A" timeout 8 hping3 -q -S -p 7 --flood --rand-source 10.97.0.2 >/dev/null 2>&1 &
FLOOD=$!
sleep 2
got=$(echo during-the-flood | ip netns exec "$NS_A" timeout 10 socat -t 5 - TCP:10.97.0.2:7,connect-timeout=5 2>&1)
contains "an ordinary connection succeeds during the flood" "^during-the-flood$" "$got"
wait "$FLOOD" 2>/dev/null
stats=$(cat "$MNT/tcp/stats")
echo "$stats" | sed 's/^/  /'
contains "the backlog filled and SYN cookies were sent" "SynCookiesSent: [1-9]" "$stats"
expect "ninetd is still running" kill -0 "$DAEMON_PID"
got=$(echo after | ip netns exec "$NS_A" timeout 10 socat -t 5 - TCP:10.97.0.2:7,connect-timeout=5 2>&1)
contains "and after it" "^after$" "$got"
finish
