#!/bin/sh
# The loopback medium, two stacks in one process that cannot see each other,
# errors a person can see, and clean shutdown.
. "$(dirname "$0")/lib.sh"

M1=$WORK/net1
ninetd_start "stack 0 $MNT
ipifc/clone bind loopback
. add 127.0.0.1 255.0.0.0
. add ::1 /128
stack 1 $M1
9p unix!$WORK/ninep.sock
ipifc/clone bind pkt
. add 10.94.0.1 255.255.255.0"

expect "ninet pings itself on 127.0.0.1" "$NINET" -m "$MNT" ping -c 2 -i 100 127.0.0.1
expect "ninet pings another loopback address (through the medium)" "$NINET" -m "$MNT" ping -c 2 -i 100 127.0.0.9
expect "ninet pings ::1" "$NINET" -m "$MNT" ping -c 2 -i 100 ::1
contains "stack 0 has the loopback interface" "^loopback" "$(cat "$MNT/ipifc/0/status")"
contains "stack 1 has its own interface 0" "^pkt" "$(cat "$M1/ipifc/0/status")"
empty "stack 1 does not see stack 0's addresses" "$(grep 127.0.0.1 "$M1/ipselftab")"
empty "stack 0 does not see stack 1's addresses" "$(grep 10.94.0.1 "$MNT/ipselftab")"
empty "stack 1 does not see stack 0's routes" "$(grep 127.0.0 "$M1/iproute")"
expect_fail "stack 0 cannot reach stack 1's address" "$NINET" -m "$MNT" ping -c 1 -W 500 10.94.0.1
expect "stack 1 reaches its own address" "$NINET" -m "$M1" ping -c 1 -W 2000 10.94.0.1

# 9P2000: stack 1 is also served on a Unix socket; a separate client reads
# and writes the same tree.
NP="python3 $(dirname "$0")/ninep.py unix!$WORK/ninep.sock"
contains "9P: stack 1's interface status over 9P" "^pkt" "$($NP read ipifc/0/status 2>&1)"
expect "9P: a ctl write over 9P" $NP write ipifc/0/ctl "add 10.94.1.1 255.255.255.0"
contains "9P: the address added over 9P shows in the mounted tree" "10\.94\.1\.1" "$(cat "$M1/ipselftab")"
contains "9P: a bad ctl write gets the stack's error text" "bad ip address syntax" "$($NP write ipifc/0/ctl 'add 10.0.0.300' 2>&1)"
selftab9=$($NP read ipselftab 2>&1)
contains "9P: ipselftab over 9P is stack 1's" "10\.94\.0\.1" "$selftab9"
empty "9P: ... and not stack 0's" "$(printf '%s' "$selftab9" | grep 127.0.0.1)"

# Errors: a bad ctl write fails with EINVAL and the text is in err and log.
exec 3<"$MNT/log"
echo "set ip" > "$MNT/log"
out=$(bash -c "echo 'add 10.0.0.300' > $MNT/ipifc/0/ctl" 2>&1)
contains "a bad address fails the write with EINVAL" "Invalid argument" "$out"
contains "the err file says why" "bad ip address syntax" "$(cat "$MNT/ipifc/0/err")"
logline=$(timeout 2 dd bs=4096 count=1 status=none <&3 || true)
exec 3<&-
contains "the log says why" "bad ip address syntax" "$logline"
out=$(bash -c "echo frobnicate > $MNT/iproute" 2>&1)
contains "an unknown route message fails" "Invalid argument" "$out"
out=$("$NINET" -m "$MNT" ifc 0 bind ether 2>&1)
contains "the tool shows the stack's error text" "bad arg in system call|interface already bound" "$out"

# ndb holds 1024 bytes.
head -c 1024 /dev/zero | tr '\0' x > "$MNT/ndb"
contains "ndb keeps 1024 bytes" "^1024$" "$(wc -c < "$MNT/ndb")"
expect_fail "ndb refuses a 1025th byte" sh -c "head -c 1025 /dev/zero > $MNT/ndb"

kill -TERM "$DAEMON_PID"
for _ in $(seq 50); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.1; done
expect_fail "ninetd exits on SIGTERM" kill -0 "$DAEMON_PID"
empty "no stale mount is left" "$(grep "$WORK" /proc/mounts)"
DAEMON_PID=""
finish
