#!/bin/sh
# A stack mounted with Linux's own 9P client (issue 5, point 2): the peers VM
# (../shared/peers: Debian 12's kernel under QEMU) mounts ninetd's tree over
# TCP with v9fs, as 9P2000.u and as plain 9P2000, and does what a shell user
# does: ls, cat, `echo ... > ctl` (an open with O_TRUNC, then a wstat of
# length 0 and a time), a clone open, an ICMP conversation answered by the
# stack, an rudp message and hangup between two of its conversations (echo
# into data and ctl, dd from data), a bad ctl write (EINVAL under 9P2000.u,
# not "Unknown error 526"), and a user who is not the stack's owner
# (EACCES). The VM reaches ninetd through a TAP in a network namespace this
# test makes; ninetd listens there.
. "$(dirname "$0")/lib.sh"
PEERS=${PEERS:-$(cd "$(dirname "$0")/../../.." && pwd)/shared/peers}
CACHE=${PEERS_CACHE:-/var/cache/ip-peers}
if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
  echo "SKIP: the peers VM cannot run: qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)"
  exit 77
fi
if [ ! -x "$PEERS/run-guest.sh" ] || [ ! -s "$CACHE/initrd.img" ]; then
  echo "SKIP: the peers VM cannot run: no guest at $CACHE (build it with $PEERS/build-guest.sh)"
  exit 77
fi

peer_ns A
TAP=nt${ID}v
PORT=5640
ip -n "$NS_A" tuntap add dev "$TAP" mode tap
ip -n "$NS_A" addr add 10.99.0.1/24 dev "$TAP"
ip -n "$NS_A" link set "$TAP" up

# Stack 0 served over 9P only, on the TAP's address inside the namespace.
cat > "$WORK/ninetd.conf" <<EOF
stack 0
9p tcp!10.99.0.1!$PORT allow-remote
ipifc/clone bind loopback
. add 127.0.0.1 255.0.0.0
ipifc/clone bind pkt
EOF
ip netns exec "$NS_A" "$NINETD" -c "$WORK/ninetd.conf" > "$WORK/ninetd.log" 2>&1 &
DAEMON_PID=$!
for _ in $(seq 100); do
  grep -q "on 9p" "$WORK/ninetd.log" && break
  kill -0 "$DAEMON_PID" 2>/dev/null || break
  sleep 0.1
done
grep -q "on 9p" "$WORK/ninetd.log" || { echo "FAIL: ninetd did not serve 9P"; cat "$WORK/ninetd.log"; exit 1; }

# The guest's job: one section per mount. Lines starting "R " are results.
cat > "$WORK/job.sh" <<EOF
N=/mnt/net
mkdir -p \$N
r() { echo "R \$*"; }
mount -t 9p -o trans=tcp,port=$PORT,version=9p2000.u 10.99.0.1 \$N || { r mount-u failed; exit 3; }
r ls: \$(ls \$N | tr '\n' ' ')
r ls-ipifc: \$(ls \$N/ipifc | tr '\n' ' ')
r status0: \$(cat \$N/ipifc/0/status)
r owner: \$(stat -c '%U %a' \$N/iproute)
echo add 10.5.0.1 255.255.0.0 > \$N/ipifc/1/ctl && r add-u ok
r selftab: \$(grep 10.5.0.1 \$N/ipselftab)
r badctl-u: \$( (echo 'add 10.0.0.300' > \$N/ipifc/1/ctl) 2>&1)
r err-file: \$(cat \$N/ipifc/1/err)
# An ICMP conversation: clone, connect, an echo request, the stack's reply.
exec 3<>\$N/icmp/clone
read n <&3
r conv: \$n \$(stat -c '%U %a' \$N/icmp/\$n/ctl)
echo connect 127.0.0.1 >&3 && r connect ok
exec 4<>\$N/icmp/\$n/data
printf '\010\000\000\000\000\000\000\007hello' >&4
r reply: \$(dd bs=64 count=1 2>/dev/null <&4 | od -An -tx1 | head -1)
r conv-status: \$(cat \$N/icmp/\$n/status)
exec 4<&- 3<&-
# rudp: two of the stack's conversations on loopback, driven by the shell:
# a message by echo into data, read whole by dd; a hangup by echo into ctl
# reaches the other end before the write returns.
exec 5<>\$N/rudp/clone
read s <&5
echo announce 7000 >&5
exec 6<>\$N/rudp/clone
read c <&6
echo 'connect 127.0.0.1!7000' >&6 && r rudp-connect ok
echo hello > \$N/rudp/\$c/data && r rudp-write ok
r rudp-msg: \$(dd bs=100 count=1 2>/dev/null < \$N/rudp/\$s/data)
cport=\$(cut -d'!' -f2 \$N/rudp/\$c/local)
echo "hangup 127.0.0.1 \$cport" > \$N/rudp/\$s/ctl && r rudp-hangup ok
r rudp-stats: \$(grep -E '^(InDatagrams|Hangups):' \$N/rudp/stats | tr '\n' ' ')
exec 6<&- 5<&-
umount \$N

# Someone who is not the stack's owner: one attach, as nobody, for all.
mount -t 9p -o trans=tcp,port=$PORT,version=9p2000.u,access=any,uname=nobody 10.99.0.1 \$N || { r mount-any failed; exit 5; }
r nobody: \$( (echo unbind > \$N/ipifc/0/ctl) 2>&1)
r nobody-route: \$( (echo add 0.0.0.0 0.0.0.0 10.99.0.2 > \$N/iproute) 2>&1)
r nobody-reads: \$(cat \$N/ipifc/0/status | cut -c1-8)
exec 3<>\$N/icmp/clone
read n <&3
r nobody-conv: \$(stat -c '%U %a' \$N/icmp/\$n/ctl)
exec 3<&-
umount \$N

# Plain 9P2000 (Plan 9's dialect): the attach name is the mount's uname.
mount -t 9p -o trans=tcp,port=$PORT,version=9p2000,uname=root 10.99.0.1 \$N || { r mount failed; exit 4; }
r ls-9p: \$(ls \$N | tr '\n' ' ')
echo add 10.6.0.1 255.255.0.0 > \$N/ipifc/1/ctl && r add-9p ok
r selftab-9p: \$(grep 10.6.0.1 \$N/ipselftab)
r badctl-9p: \$( (echo 'add 10.0.0.300' > \$N/ipifc/1/ctl) 2>&1)
umount \$N
mount -t 9p -o trans=tcp,port=$PORT,version=9p2000 10.99.0.1 \$N || { r mount-nobody failed; exit 6; }
r default-uname: \$( (echo unbind > \$N/ipifc/0/ctl) 2>&1)
umount \$N
r done
EOF

"$PEERS/run-guest.sh" -n "$NS_A" -t "$TAP" -i 10.99.0.2/24 -T 100 -f "$WORK/job.sh" > "$WORK/guest.log" 2>&1
rc=$?
out=$(grep '^R ' "$WORK/guest.log")
[ $rc -eq 0 ] || { echo "guest job: exit $rc"; tail -30 "$WORK/guest.log"; }

contains "9P2000.u: ls shows the stack's files" "^R ls: arp esp ether gre icmp icmpv6 ipifc ipmux iproute ipselftab log ndb pipex rudp tcp udp$" "$out"
contains "9P2000.u: ls ipifc" "^R ls-ipifc: 0 1 clone stats$" "$out"
contains "9P2000.u: cat an interface's status" "^R status0: loopback" "$out"
contains "9P2000.u: owners and modes show" "^R owner: root 644$" "$out"
contains "9P2000.u: echo add ... > ctl (O_TRUNC) works" "^R add-u ok$" "$out"
contains "... and the address is there" "^R selftab: 10\.5\.0\.1 " "$out"
contains "9P2000.u: a bad ctl write says Invalid argument" "^R badctl-u: .*Invalid argument" "$out"
empty "... not Unknown error 526" "$(printf '%s\n' "$out" | grep '^R badctl-u.*Unknown error')"
contains "... and err says why" "^R err-file: bad ip address syntax" "$out"
contains "9P2000.u: a clone open gives root a conversation" "^R conv: [0-9]+ root 660$" "$out"
contains "9P2000.u: connect on the clone's fd" "^R connect ok$" "$out"
contains "9P2000.u: the echo request is answered (type 0, seq 7)" "^R reply: 00 00 .. .. .. .. 00 07 68 65 6c 6c 6f" "$out"
contains "9P2000.u: rudp connect on the clone's fd" "^R rudp-connect ok$" "$out"
contains "9P2000.u: echo > rudp data (O_TRUNC) sends a message" "^R rudp-write ok$" "$out"
contains "9P2000.u: dd reads the message whole at the other end" "^R rudp-msg: hello$" "$out"
contains "9P2000.u: hangup through ctl" "^R rudp-hangup ok$" "$out"
contains "... one message, and both ends forgot each other" "^R rudp-stats: InDatagrams: 1 Hangups: 2$" "$out"
contains "9P2000.u as nobody: unbind is refused (EACCES)" "^R nobody: .*Permission denied" "$out"
contains "9P2000.u as nobody: a route is refused (EACCES)" "^R nobody-route: .*Permission denied" "$out"
contains "9P2000.u as nobody: the status reads" "^R nobody-reads: loopback" "$out"
contains "9P2000.u as nobody: a clone gives nobody a conversation" "^R nobody-conv: nobody 660$" "$out"
contains "9P2000: ls" "^R ls-9p: arp esp ether gre icmp icmpv6 ipifc " "$out"
contains "9P2000: echo add ... > ctl works" "^R add-9p ok$" "$out"
contains "... and the address is there" "^R selftab-9p: 10\.6\.0\.1 " "$out"
# Plain 9P2000 carries only the text, which Linux maps to an errno only when
# it knows it: "bad ip address syntax" is "Unknown error 526" there (Plan 9
# clients show the text). That is why 9P2000.u is served.
contains "9P2000: a bad ctl write fails" "^R badctl-9p: .+" "$out"
contains "9P2000: the default uname (nobody) is refused" "^R default-uname: .*(Permission denied|Operation not permitted)" "$out"
contains "the guest's job ran to its end" "^R done$" "$out"
finish
