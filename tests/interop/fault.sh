#!/bin/sh
# ninetd with `bind ether fault(...):veth`: Linux pings ninet through ninet's
# fault injector, and sees the loss and the delay it was told to add; a bad
# spec is refused.
. "$(dirname "$0")/lib.sh"
need ping

peer_ns A
veth_to A 10.93.0.1/24
ninetd_start "stack 0 $MNT
ipifc/clone bind ether fault(drop=20%,delay=20ms,jitter=2ms,seed=5):$HOST_A
. add 10.93.0.2 255.255.255.0"

out=$(ip netns exec "$NS_A" ping -c 200 -i 0.01 -W 1 10.93.0.2 2>&1)
echo "$out" | tail -3
loss=$(echo "$out" | sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p')
min=$(echo "$out" | sed -n 's|^rtt min/avg/max/mdev = \([0-9.]*\)/.*|\1|p')
# A ping crosses the injector twice (in, then out): 1 - 0.8^2 = 36% lost.
awk -v l="$loss" 'BEGIN { exit !(l >= 22 && l <= 50) }' && echo "PASS: loss $loss% near 36%" || { echo "FAIL: loss $loss%"; FAILS=$((FAILS + 1)); }
awk -v m="$min" 'BEGIN { exit !(m >= 36) }' && echo "PASS: min rtt $min ms >= 2 x 18 ms" || { echo "FAIL: min rtt $min"; FAILS=$((FAILS + 1)); }
contains "ipifc status names the wrapped device" "fault\(drop=20%" "$(cat "$MNT/ipifc/0/status")"
c=$(cat "$MNT/ipifc/clone")
expect_fail "a bad spec is refused" sh -c "echo 'bind ether fault(drop=3):$HOST_A' > $MNT/ipifc/$c/ctl"
finish
