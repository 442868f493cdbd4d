#!/bin/sh
# rudp through a shell over ninetd's FUSE mount: the user's habits (a clone
# held open on a descriptor, `echo ... >` into ctl and data, `dd` to read one
# message, `cat` of status, stats, local), messages that arrive once and in
# order through `randdrop` on the engine's real clock, `hangup` forgetting
# both ends, and nobody refused the owner's conversation. Both ends are
# conversations of one stack on loopback (Linux has no RUDP to be a peer).
. "$(dirname "$0")/lib.sh"
need bash timeout dd setpriv
ninetd_start "stack 0 $MNT
ipifc/clone bind loopback
. add 127.0.0.1 255.0.0.0"
R=$MNT/rudp

# The server announces (no headers: a read is the bare message); the client
# connects. Each holds its clone open, as Plan 9's dial does.
exec 3<>"$R/clone"
read -r S <&3 || true
exec 4<>"$R/clone"
read -r C <&4 || true
expect "announce through the clone's descriptor" sh -c "echo 'announce 7000' >&3"
expect "connect through the clone's descriptor" sh -c "echo 'connect 127.0.0.1!7000' >&4"
contains "the server is announced" "^Announced|^Open" "$(cat "$R/$S/status")"
contains "the client's remote" "^127\.0\.0\.1!7000" "$(cat "$R/$C/remote")"

# One message per write, `echo >` opening data with truncate.
expect "echo hello > data" sh -c "echo hello > $R/$C/data"
got=$(timeout 10 dd if="$R/$S/data" bs=1000 count=1 2>/dev/null)
contains "the server reads the message whole" "^hello$" "$got"
wait_for "qout 0" "$R/$C/status" 5 || true
contains "the client's message was acknowledged" "^Open qin 0 qout 0" "$(cat "$R/$C/status")"

# Under randdrop (20% of each end's packets, acks included) every message
# still arrives, once and in order: retransmission on the engine's clock.
expect "randdrop on the client" sh -c "echo 'randdrop 20' > $R/$C/ctl"
expect "randdrop on the server" sh -c "echo 'randdrop 20' > $R/$S/ctl"
for i in $(seq 1 20); do echo "m$i" > "$R/$C/data"; done
got=""
for i in $(seq 1 20); do
  m=$(timeout 20 dd if="$R/$S/data" bs=1000 count=1 2>/dev/null) || break
  got="$got$m "
done
contains "20 messages through randdrop, once and in order" \
  "^m1 m2 m3 m4 m5 m6 m7 m8 m9 m10 m11 m12 m13 m14 m15 m16 m17 m18 m19 m20 $" "$got"
stats=$(cat "$R/stats")
contains "randdrop dropped packets" "RandDrops: [1-9]" "$stats"
contains "lost messages were sent again" "(Retransmits|FastRetransmits): [1-9]" "$stats"
contains "no remote was given up on" "Timeouts: 0" "$stats"
expect "randdrop off" sh -c "echo 'randdrop 0' > $R/$C/ctl && echo 'randdrop 0' > $R/$S/ctl"

# Nobody may not drive the owner's conversation; the refusal changes nothing.
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
contains "nobody cannot write the server's ctl" "Permission denied" \
  "$(as_nobody sh -c "echo 'hangup 127.0.0.1 1' > $R/$S/ctl" 2>&1)"
contains "nobody cannot write the client's data" "Permission denied" \
  "$(as_nobody sh -c "echo x > $R/$C/data" 2>&1)"
contains "nobody cannot read the server's data" "Permission denied" \
  "$(as_nobody timeout 5 dd if="$R/$S/data" bs=1000 count=1 2>&1)"
contains "nobody changed nothing" "Hangups: 0" "$(cat "$R/stats")"

# hangup: the server forgets the client and tells it; both count it.
cport=$(cut -d'!' -f2 "$R/$C/local")
expect "hangup the client's address and port" sh -c "echo 'hangup 127.0.0.1 $cport' > $R/$S/ctl"
wait_for "Hangups: 2" "$R/stats" 5 || true
contains "both ends forgot each other" "Hangups: 2" "$(cat "$R/stats")"
expect "after a hangup, a new generation" sh -c "echo again > $R/$C/data"
got=$(timeout 10 dd if="$R/$S/data" bs=1000 count=1 2>/dev/null)
contains "the next message arrives" "^again$" "$got"
contains "no reboot was seen" "NewGen: 0" "$(cat "$R/stats")"

exec 3<&- 4<&-
finish
