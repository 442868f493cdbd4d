#!/bin/sh
# The ninet tool's netstat and nc (issue 6, point 6) against Linux over a
# veth, IPv4 and IPv6: `ninet nc -u` calls Linux's `nc -u -l` and takes a
# call from Linux's `nc -u`, a line each way; while they talk, `ninet
# netstat` shows each conversation with its protocol, owner (nobody for the
# listener run as uid 65534, root for the rest), state and addresses; once
# nc has ended, its conversations are gone (or, TCP, closing). Also: -q
# after stdin's EOF, a port unreachable and SIGINT ending nc, -l -6 refusing
# an IPv4 caller. TCP the same way when the tree has a tcp directory
# (skipped, and said so, when it has not), plus 1 MiB each way intact.
. "$(dirname "$0")/lib.sh"
# Fds 5 and 6 hold the writing ends of the fifos that are the two nc's
# stdin; no other process may keep them (nc would never see its EOF).
need nc timeout setpriv mkfifo

chmod 755 "$WORK"  # let uid 65534 reach the mount
peer_ns A
veth_to A 10.94.0.1/24 fd94::1/64
ninetd_start "stack 0 $MNT
ipifc/clone bind loopback
. add 127.0.0.1 255.0.0.0
. add ::1 /128
ipifc/clone bind ether $HOST_A
. add 10.94.0.2 255.255.255.0
. add6 fd94::2 64"

ninet() { "$NINET" -m "$MNT" "$@"; }
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

# arrives DESCRIPTION PATTERN FILE [FILE...]: PASS when FILE gets a line
# matching PATTERN within 10 s (lib.sh's wait_for), else FAIL showing FILE
# and the others.
arrives() {
  desc=$1 pat=$2 file=$3; shift 3
  if wait_for "$pat" "$file" 10; then
    echo "PASS: $desc"
  else
    echo "FAIL: $desc"; sed 's/^/  | /' "$file" "$@"; FAILS=$((FAILS + 1))
  fi
}
# netstat_line PATTERN: the first line of `ninet netstat -n` matching it.
netstat_line() { ninet netstat -n | grep -E -- "$1" | head -n 1; }
# closed DESCRIPTION LINES: netstat's lines of conversations nc has let go:
# none, or (TCP) only ones still closing (RFC 9293's FIN states, TIME_WAIT).
closed() {
  empty "$1" "$(printf '%s' "$2" | grep -Ev ' (Finwait1|Finwait2|Closing|Last_ack|Time_wait) ')"
}
# waits for a pid to end (5 s); its exit status, 124 if it did not end.
ended() {
  for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$1" 2>/dev/null; then kill "$1"; wait "$1"; return 124; fi
  wait "$1"
}

# ninet_calls_linux PROTO-FLAG TAG LINUX-ADDR NINET-ADDR PORT: ninet's nc
# calls Linux's nc -l; a line each way; netstat shows the call.
ninet_calls_linux() {
  flag=$1 tag=$2 la=$3 na=$4 port=$5
  proto=tcp; [ "$flag" = -u ] && proto=udp
  d=$WORK/call-$tag; mkdir -p "$d"; mkfifo "$d/lin" "$d/nin"
  # shellcheck disable=SC2086
  ip netns exec "$NS_A" timeout 30 nc $flag -l "$la" "$port" < "$d/lin" > "$d/lout" 2>&1 5>&- 6>&- &
  lpid=$!
  exec 5> "$d/lin"
  sleep 0.5  # nc -l binds its port after it starts; a UDP datagram sent before is lost
  # shellcheck disable=SC2086
  timeout 30 "$NINET" -m "$MNT" nc $flag -v "$la" "$port" < "$d/nin" > "$d/nout" 2> "$d/nerr" 5>&- 6>&- &
  npid=$!
  exec 6> "$d/nin"
  echo "from-ninet-$tag" >&6
  arrives "Linux nc -l gets ninet's line ($tag)" "^from-ninet-$tag\$" "$d/lout" "$d/nerr"
  echo "from-linux-$tag" >&5
  arrives "ninet nc prints Linux's answer ($tag)" "^from-linux-$tag\$" "$d/nout" "$d/nerr"
  conv=$(sed -n "s|.* on $MNT/$proto/\([0-9]*\)\$|\1|p" "$d/nerr")
  state=Open; [ "$proto" = tcp ] && state=Established
  contains "netstat shows ninet's call ($tag)" \
    "^$proto +$conv +root +$state +$na![0-9]+ +$la!$port +[0-9]+ +[0-9]+ *\$" \
    "$(netstat_line "^$proto +$conv ")"
  exec 6>&-  # stdin's EOF ends ninet's nc
  ended "$npid"
  rc=$?
  contains "ninet nc ends on stdin's EOF with status 0 ($tag)" "^0\$" "$rc"
  closed "its conversation is gone from netstat ($tag)" "$(netstat_line "^$proto +$conv +root ")"
  exec 5>&-
  kill "$lpid" 2>/dev/null; wait "$lpid" 2>/dev/null
}

# linux_calls_ninet PROTO-FLAG TAG LINUX-ADDR NINET-ADDR PORT FAMILY: Linux's
# nc calls ninet's nc -l (run as nobody); a line each way; netstat shows
# the announced conversation, then the call.
linux_calls_ninet() {
  flag=$1 tag=$2 la=$3 na=$4 port=$5 fam=$6
  proto=tcp; [ "$flag" = -u ] && proto=udp
  d=$WORK/listen-$tag; mkdir -p "$d"; mkfifo "$d/lin" "$d/nin"
  # shellcheck disable=SC2086
  as_nobody timeout 30 "$NINET" -m "$MNT" nc $flag -l "$fam" -v "$port" < "$d/nin" > "$d/nout" 2> "$d/nerr" 5>&- 6>&- &
  npid=$!
  exec 6> "$d/nin"
  any=::  # an announcement without an address shows the unspecified one
  line=""
  for _ in $(seq 100); do
    line=$(netstat_line "^$proto +[0-9]+ +nobody +[A-Za-z]+ +[^ ]*!$port ")
    [ -n "$line" ] && break; sleep 0.1
  done
  astate=Open; [ "$proto" = tcp ] && astate=Listen
  contains "netstat shows nobody's announced $proto port $port ($tag)" \
    "^$proto +[0-9]+ +nobody +$astate +$any!$port +$any!0 " "$line"
  if [ "$fam" = -6 ]; then  # an IPv4 caller first: refused, and -6's caller still taken
    # shellcheck disable=SC2086
    echo wrong-family | ip netns exec "$NS_A" timeout 5 nc $flag -N -w 1 10.94.0.2 "$port" \
      > /dev/null 2>&1 5>&- 6>&-
    arrives "ninet nc -l -6 refuses an IPv4 caller ($tag)" "refused $proto!10\.94\.0\.1![0-9]+: not IPv6" "$d/nerr"
  fi
  # shellcheck disable=SC2086
  ip netns exec "$NS_A" timeout 30 nc $flag "$na" "$port" < "$d/lin" > "$d/lout" 2>&1 5>&- 6>&- &
  lpid=$!
  exec 5> "$d/lin"
  echo "from-linux-$tag" >&5
  arrives "ninet nc -l prints the caller's line ($tag)" "^from-linux-$tag\$" "$d/nout" "$d/nerr"
  contains "ninet nc -l names its caller ($tag)" "call from $proto!$la![0-9]+ on $MNT/$proto/[0-9]+" \
    "$(cat "$d/nerr")"
  echo "from-ninet-$tag" >&6
  arrives "Linux nc gets ninet's answer ($tag)" "^from-ninet-$tag\$" "$d/lout" "$d/nerr"
  conv=$(sed -n "s|.* on $MNT/$proto/\([0-9]*\)\$|\1|p" "$d/nerr")
  state=Open; [ "$proto" = tcp ] && state=Established
  contains "netstat shows the call, owned by nobody ($tag)" \
    "^$proto +$conv +nobody +$state +$na!$port +$la![0-9]+ " "$(netstat_line "^$proto +$conv ")"
  empty "the announcement ended with the call, as Linux nc -l takes one ($tag)" \
    "$(ninet netstat -n "$proto" | grep -E " $any!$port +$any!0 ")"
  if grep -q wrong-family "$d/nout"; then
    echo "FAIL: the refused caller's line was printed ($tag)"; FAILS=$((FAILS + 1))
  fi
  exec 6>&-
  ended "$npid"
  contains "ninet nc -l ends on stdin's EOF with status 0 ($tag)" "^0\$" "$?"
  closed "nobody's conversations are gone ($tag)" "$(ninet netstat -n | grep -E ' nobody ')"
  exec 5>&-
  kill "$lpid" 2>/dev/null; wait "$lpid" 2>/dev/null
}

ninet_calls_linux -u udp4 10.94.0.1 10.94.0.2 9001
ninet_calls_linux -u udp6 fd94::1 fd94::2 9002
linux_calls_ninet -u udp4 10.94.0.1 10.94.0.2 9003 -4
linux_calls_ninet -u udp6 fd94::1 fd94::2 9004 -6

# -q: after stdin's EOF, ninet's nc still prints what comes for a while.
d=$WORK/quit; mkdir -p "$d"; mkfifo "$d/lin"
ip netns exec "$NS_A" timeout 30 nc -u -l 10.94.0.1 9005 < "$d/lin" > "$d/lout" 2>&1 5>&- &
lpid=$!
exec 5> "$d/lin"
sleep 0.5
printf 'quit-line\n' | timeout 30 "$NINET" -m "$MNT" nc -u -q 3 10.94.0.1 9005 > "$d/nout" 2>&1 5>&- &
npid=$!
wait_for "^quit-line\$" "$d/lout" 10
echo "after-eof" >&5
arrives "with -q, ninet nc prints an answer that comes after stdin's EOF" "^after-eof\$" "$d/nout" "$d/lout"
ended "$npid"
contains "and ends when -q's time is up, with status 0" "^0\$" "$?"
exec 5>&-
kill "$lpid" 2>/dev/null; wait "$lpid" 2>/dev/null

# A hangup ends nc (UDP's: a port unreachable from Linux, no one being on
# the port; ninet nc says why), and so does a signal.
out=$(printf 'to-no-one\n' | timeout 20 "$NINET" -m "$MNT" nc -u -q -1 10.94.0.1 9007 2>&1)
rc=$?
contains "a port unreachable hangs up ninet nc's conversation: status 1" "^1\$" "$rc"
contains "and nc gives the conversation's err text" "ninet: nc: $MNT/udp/[0-9]+: .*unreachable" "$out"
d=$WORK/signal; mkdir -p "$d"; mkfifo "$d/nin"
timeout 30 "$NINET" -m "$MNT" nc -u -v 10.94.0.1 9006 < "$d/nin" > "$d/nout" 2> "$d/nerr" 6>&- &
npid=$!
exec 6> "$d/nin"
wait_for " on $MNT/udp/[0-9]+\$" "$d/nerr" 10
conv=$(sed -n "s|.* on $MNT/udp/\([0-9]*\)\$|\1|p" "$d/nerr")
contains "netstat shows the conversation nc holds" "^udp +$conv +root +Open " \
  "$(netstat_line "^udp +$conv ")"
pkill -INT -P "$npid" -x ninet  # the ninet under timeout, by its parent's pid
ended "$npid"
contains "SIGINT ends ninet nc with status 130" "^130\$" "$?"
empty "its conversation is gone" "$(netstat_line "^udp +$conv +root ")"
exec 6>&-

# The tool's own errors: a bad argument, a refused address, a port in use.
expect_fail "nc without a port is a usage error" ninet nc 10.94.0.1
contains "netstat lists the protocol directories of the tree" "^PROTO +CONV +OWNER +STATE" \
  "$(ninet netstat -a)"
contains "netstat of a directory that is not a protocol fails" "not a protocol directory" \
  "$(ninet netstat ipifc-nosuch 2>&1)"
sleep 60 3<> "$MNT/udp/clone" &
HOLD=$!
for _ in $(seq 50); do [ -n "$(netstat_line '^udp ')" ] && break; sleep 0.1; done
contains "netstat shows an idle UDP conversation held open by root" "^udp +[0-9]+ +root +Open " \
  "$(netstat_line '^udp ')"
kill "$HOLD"; wait "$HOLD" 2>/dev/null

if [ -e "$MNT/tcp/clone" ]; then
  ninet_calls_linux "" tcp4 10.94.0.1 10.94.0.2 9011
  ninet_calls_linux "" tcp6 fd94::1 fd94::2 9012
  linux_calls_ninet "" tcp4 10.94.0.1 10.94.0.2 9013 -4
  linux_calls_ninet "" tcp6 fd94::1 fd94::2 9014 -6

  # A stream both ways: stdin's EOF closes ninet nc's conversation, which
  # sends what is queued, then FIN; a peer's FIN ends nc -l -q -1.
  head -c 1048576 /dev/urandom > "$WORK/blob"
  want=$(sha256sum < "$WORK/blob")
  ip netns exec "$NS_A" timeout 30 nc -l 10.94.0.1 9021 < /dev/null > "$WORK/blob.linux" 2>&1 &
  lpid=$!
  sleep 0.5
  expect "ninet nc sends 1 MiB to Linux nc -l" timeout 30 "$NINET" -m "$MNT" nc 10.94.0.1 9021 < "$WORK/blob"
  ended "$lpid"
  contains "Linux nc -l got it intact and saw its end" "^$want\$" "$(sha256sum < "$WORK/blob.linux")"
  timeout 30 "$NINET" -m "$MNT" nc -l -q -1 9022 < /dev/null > "$WORK/blob.ninet" 2>&1 &
  npid=$!
  for _ in $(seq 100); do [ -n "$(netstat_line '^tcp .* Listen +[^ ]*!9022 ')" ] && break; sleep 0.1; done
  expect "Linux nc -N sends 1 MiB to ninet nc -l" \
    ip netns exec "$NS_A" timeout 30 nc -N 10.94.0.2 9022 < "$WORK/blob"
  ended "$npid"
  contains "ninet nc -l -q -1 ends on the caller's FIN with status 0" "^0\$" "$?"
  contains "and wrote what it got intact" "^$want\$" "$(sha256sum < "$WORK/blob.ninet")"
else
  echo "SKIP: TCP parts: the tree has no tcp directory yet"
fi
finish
