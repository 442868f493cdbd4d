#!/bin/sh
# Who may change a stack (issue 5, point 1): ninetd's tree as a security
# boundary, tried as a second uid over FUSE and as other attach names over
# 9P. Every refused write fails with EACCES ("Permission denied") and leaves
# the stack as it was; reading status files, and a conversation of one's
# own, stay open to everyone.
. "$(dirname "$0")/lib.sh"
need setpriv python3 dd od

# Stack 0 belongs to root (the default), stack 1 to daemon (uid 1).
M1=$WORK/net1
chmod 755 "$WORK"  # let other uids reach the mounts
ninetd_start "stack 0 $MNT
9p unix!$WORK/ninep0.sock
ipifc/clone bind loopback
. add 127.0.0.1 255.0.0.0
ipifc/clone bind pkt
. add 10.77.0.1 255.255.255.0
ndb sys=ninet
stack 1 $M1
owner daemon
9p unix!$WORK/ninep1.sock
ipifc/clone bind pkt
. add 10.78.0.1 255.255.255.0"
chmod 666 "$WORK"/ninep*.sock

as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
as_daemon() { setpriv --reuid=1 --regid=1 --clear-groups "$@"; }

# Everything a user can see of stack 0.
state() {
  for f in iproute arp ipselftab ndb ipifc/stats; do echo "== $f"; cat "$MNT/$f"; done
  for d in "$MNT"/ipifc/[0-9]*; do echo "== $d"; cat "$d/status"; done
}

# A conversation of root's, held open for the test.
sleep 120 3<>"$MNT/icmp/clone" &
HOLDER=$!
for _ in $(seq 50); do [ -e "$MNT/icmp/0/ctl" ] && break; sleep 0.1; done
ROOTCONV=$MNT/icmp/0

before=$(state)
# refused CMD...: as nobody, must fail with EACCES's text.
refused() {
  d=$1; shift
  out=$(as_nobody sh -c "$*" 2>&1)
  rc=$?
  if [ $rc -ne 0 ] && printf '%s' "$out" | grep -q "Permission denied"; then
    echo "PASS: nobody is refused: $d"
  else
    echo "FAIL: nobody is refused: $d (rc=$rc)"; printf '%s\n' "$out" | sed 's/^/  | /'
    FAILS=$((FAILS + 1))
  fi
}
refused "unbind an interface" "echo unbind > $MNT/ipifc/0/ctl"
refused "add an address" "echo add 10.5.0.1 255.255.0.0 > $MNT/ipifc/1/ctl"
refused "add a default route" "echo add 0.0.0.0 0.0.0.0 10.77.0.254 > $MNT/iproute"
refused "flush the routes" "echo flush > $MNT/iproute"
refused "add an arp entry" "echo add ether 10.77.0.9 02:00:00:00:00:09 > $MNT/arp"
refused "flush arp" "echo flush > $MNT/arp"
refused "write ndb" "echo sys=evil > $MNT/ndb"
refused "truncate ndb" "truncate -s 0 $MNT/ndb"
refused "set log items" "echo set ip > $MNT/log"
refused "make an interface (open ipifc/clone)" "cat $MNT/ipifc/clone"
refused "read a pkt interface's packets" "cat $MNT/ipifc/1/data"
refused "make a packet filter (open ipmux/clone)" "cat $MNT/ipmux/clone"
refused "take whole frames (open ether/clone)" "cat $MNT/ether/clone"
refused "write another user's conversation's ctl" "echo connect 127.0.0.1 > $ROOTCONV/ctl"
refused "read another user's conversation's data" "cat $ROOTCONV/data"
refused "write another user's conversation's data" "echo x > $ROOTCONV/data"
contains "nobody may not chmod another's conversation (EPERM)" "Operation not permitted" \
  "$(as_nobody chmod 666 "$ROOTCONV/ctl" 2>&1)"
state > "$WORK/after"
empty "nobody's refusals changed nothing" "$(printf '%s\n' "$before" | diff - "$WORK/after")"
expect_fail "test -w iproute is false for nobody" as_nobody test -w "$MNT/iproute"
expect "test -w iproute is true for root" test -w "$MNT/iproute"

# What everyone may do.
contains "nobody reads an interface's status" "^loopback" "$(as_nobody cat "$MNT/ipifc/0/status" 2>&1)"
contains "nobody reads iproute" "127\.0\.0\.0" "$(as_nobody cat "$MNT/iproute" 2>&1)"
contains "nobody reads another's conversation's status" "Datagram|Idle" "$(as_nobody cat "$ROOTCONV/status" 2>&1)"
contains "files show their owner and mode" "^root 644$" "$(stat -c '%U %a' "$MNT/iproute")"
contains "a conversation shows its owner" "^root 660$" "$(stat -c '%U %a' "$ROOTCONV/data")"

# nobody's own conversation: clone, connect, an echo request and its reply,
# chmod. (printf writes the message in one write: one ICMP message.)
cat > "$WORK/ping.sh" <<EOF
set -e
exec 3<>$MNT/icmp/clone
read n <&3 || true
stat -c '%U %a' $MNT/icmp/\$n/ctl
echo connect 127.0.0.1 >&3
exec 4<>$MNT/icmp/\$n/data
printf '\010\000\000\000\000\000\000\001hello' >&4
dd bs=64 count=1 status=none <&4 | od -An -tx1 | head -1
chmod 640 $MNT/icmp/\$n/data
stat -c '%U %a' $MNT/icmp/\$n/ctl
echo conv=\$n
EOF
out=$(timeout 20 setpriv --reuid=65534 --regid=65534 --clear-groups sh "$WORK/ping.sh" 2>&1)
contains "nobody's clone gives nobody a conversation (0660)" "^nobody 660$" "$out"
contains "nobody's echo request is answered (type 0)" "^ 00 00 " "$out"
contains "nobody chmods its conversation" "^nobody 640$" "$out"

# Over 9P: the attach name is the user (no authentication; the socket is
# the boundary).
NP0="python3 $(dirname "$0")/ninep.py unix!$WORK/ninep0.sock"
NP1="python3 $(dirname "$0")/ninep.py unix!$WORK/ninep1.sock"
state > "$WORK/before9p"
out=$(NINEP_UNAME=glenda $NP0 write ipifc/0/ctl unbind 2>&1)
contains "9P: glenda may not unbind root's interface" "permission denied" "$out"
out=$(NINEP_UNAME=glenda $NP0 write iproute "add 0.0.0.0 0.0.0.0 10.77.0.254" 2>&1)
contains "9P: glenda may not add a route" "permission denied" "$out"
empty "9P: refusals changed nothing" "$(state | diff "$WORK/before9p" -)"
contains "9P: glenda reads the status" "^loopback" "$(NINEP_UNAME=glenda $NP0 read ipifc/0/status 2>&1)"
expect "9P: root (stack 0's owner) adds an address" env NINEP_UNAME=root $NP0 write ipifc/1/ctl "add 10.77.1.1 255.255.255.0"
contains "... and it is there" "10\.77\.1\.1" "$(cat "$MNT/ipselftab")"

# A stack with another owner: daemon configures it, over FUSE and 9P; root
# over FUSE may too (privileged); root over 9P is just a name.
contains "stack 1's files belong to daemon" "^daemon 644$" "$(stat -c '%U %a' "$M1/iproute")"
expect "daemon adds a route to its stack over FUSE" as_daemon sh -c "echo add 10.79.0.0 255.255.0.0 10.78.0.2 > $M1/iproute"
contains "... and it is there" "10\.79\.0\.0" "$(cat "$M1/iproute")"
refused "nobody may not change daemon's stack" "echo flush > $M1/iproute"
expect "root may, over FUSE" sh -c "echo add 10.80.0.0 255.255.0.0 10.78.0.2 > $M1/iproute"
expect "daemon may, over 9P" env NINEP_UNAME=daemon $NP1 write iproute "add 10.81.0.0 255.255.0.0 10.78.0.2"
contains "root may not, over 9P" "permission denied" "$(NINEP_UNAME=root $NP1 write iproute flush 2>&1)"
contains "... so daemon's routes are all there" "10\.81\.0\.0" "$(cat "$M1/iproute")"

kill "$HOLDER" 2>/dev/null
finish
