#!/bin/sh
# tcp_rr_e2e.sh — connections per second and 64-byte request/response rate
# over one veth pair, a ninet server vs a Linux epoll server doing the same
# job (issue 6 point 8). The client (bench/tcp_rr, epoll, Linux's TCP) runs
# in namespace L; the server end is, alternating run by run:
#   linux  bench/epoll_server in namespace S (the kernel's TCP, one thread);
#   ninet  bench/dial_echo through the FUSE tree of ninetd, which owns S's
#          end of the veth (`bind ether`; the kernel there has no address);
#   embed  bench/dial_echo with a stack of its own (NINET_NET=embed!CONFIG,
#          cmd/embed.h): the same job through the in-process API, no FUSE.
# Two jobs against each:
#   conn   CONC connections in flight: connect, 1 byte there and back,
#          close (the client closes first), for TIME s: connections/s;
#   rr     RRCONC connections kept open, 64-byte ping-pong on each, for
#          TIME s: transactions/s and round-trip percentiles.
# Medians over RUNS runs, with the ratios ninet/linux.
#
#   sh bench/tcp_rr_e2e.sh      (as root; BUILD=build-bench RUNS=3 TIME=5 CONC=16 RRCONC=16
#                                MODES="linux ninet embed")
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-$PWD/build-bench}
RUNS=${RUNS:-3}
TIME=${TIME:-5}
CONC=${CONC:-16}
RRCONC=${RRCONC:-16}
SIZE=${SIZE:-64}
MODES=${MODES:-linux ninet embed}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
for f in "$BUILD/cmd/ninetd" "$BUILD/bench/tcp_rr" "$BUILD/bench/epoll_server" "$BUILD/bench/dial_echo"; do
  [ -x "$f" ] || { echo "FAIL: $f not built (ninja -C $BUILD ninetd tcp_rr epoll_server dial_echo)"; exit 1; }
done
ID=$$
L=rrb-$ID-L
S=rrb-$ID-S
WORK=$(mktemp -d /tmp/rrb.XXXXXX)
MNT=$WORK/net
PIDS=
cleanup() {
  for p in $PIDS; do kill "$p" 2>/dev/null || true; done
  sleep 0.3
  fusermount3 -u "$MNT" 2>/dev/null || true
  ip netns del "$L" 2>/dev/null || true
  ip netns del "$S" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
ip netns add "$L"
ip netns add "$S"
ip link add rrl$ID type veth peer name rrs$ID
ip link set rrl$ID netns "$L"
ip link set rrs$ID netns "$S"
ip -n "$L" link set lo up
ip -n "$S" link set lo up
ip -n "$L" addr add 10.87.0.1/24 dev rrl$ID
ip -n "$L" link set rrl$ID up
ip -n "$S" link set rrs$ID up
# The client closes first, so its ports sit in TIME_WAIT: all ports, and
# reuse of TIME_WAIT ports for new connections (RFC 6191, timestamps).
ip netns exec "$L" sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
ip netns exec "$L" sysctl -qw net.ipv4.tcp_tw_reuse=1

server_up() {
  if [ "$1" = linux ]; then
    ip -n "$S" addr add 10.87.0.2/24 dev rrs$ID
    ip netns exec "$S" "$BUILD/bench/epoll_server" 7 >"$WORK/server.out" 2>&1 &
    PIDS="$PIDS $!"
    for _ in $(seq 50); do grep -q listening "$WORK/server.out" && break; sleep 0.1; done
  elif [ "$1" = embed ]; then
    printf 'stack 0\nipifc/clone bind ether rrs%s\n. add 10.87.0.2 255.255.255.0\n' "$ID" >"$WORK/conf"
    NINET_NET=embed!$WORK/conf nsenter --net="/run/netns/$S" "$BUILD/bench/dial_echo" 'tcp!*!7' >"$WORK/server.out" 2>&1 &
    PIDS="$PIDS $!"
    for _ in $(seq 50); do grep -q announced "$WORK/server.out" && break; sleep 0.1; done
  else
    mkdir -p "$MNT"
    printf 'stack 0 %s\nipifc/clone bind ether rrs%s\n. add 10.87.0.2 255.255.255.0\n' "$MNT" "$ID" >"$WORK/conf"
    nsenter --net="/run/netns/$S" "$BUILD/cmd/ninetd" -c "$WORK/conf" >"$WORK/ninetd.log" 2>&1 &
    PIDS="$PIDS $!"
    for _ in $(seq 100); do [ -e "$MNT/tcp/clone" ] && break; sleep 0.1; done
    [ -e "$MNT/tcp/clone" ] || { echo "FAIL: ninetd did not start"; cat "$WORK/ninetd.log"; exit 1; }
    NINET_NET=$MNT "$BUILD/bench/dial_echo" 'tcp!*!7' >"$WORK/server.out" 2>&1 &
    PIDS="$PIDS $!"
    for _ in $(seq 50); do grep -q announced "$WORK/server.out" && break; sleep 0.1; done
  fi
  grep -q -e listening -e announced "$WORK/server.out" || { echo "FAIL: $1 server"; cat "$WORK/server.out"; exit 1; }
  # The first connection also resolves the neighbour: not part of the run.
  ip netns exec "$L" "$BUILD/bench/tcp_rr" conn 10.87.0.2 7 -c 1 -d 0.2 >/dev/null
}
server_down() {
  for p in $PIDS; do kill "$p" 2>/dev/null || true; done
  for p in $PIDS; do wait "$p" 2>/dev/null || true; done
  PIDS=
  fusermount3 -u "$MNT" 2>/dev/null || true
  ip -n "$S" addr flush dev rrs$ID
}
# job conn|rr: tcp_rr's result line.
job() {
  if [ "$1" = conn ]; then
    ip netns exec "$L" "$BUILD/bench/tcp_rr" conn 10.87.0.2 7 -c "$CONC" -d "$TIME" -s 1
  else
    ip netns exec "$L" "$BUILD/bench/tcp_rr" rr 10.87.0.2 7 -c "$RRCONC" -d "$TIME" -s "$SIZE"
  fi
}
field() { echo "$2" | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k { print $2 }'; }

: >"$WORK/results"
echo "== load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for run in $(seq "$RUNS"); do
  for mode in $MODES; do
    server_up $mode
    for j in conn rr; do
      line=$(job $j) || { echo "FAIL: $mode $j: client failed"; exit 1; }
      echo "  run $run $mode $j: $line"
      echo "$mode-$j $(field rate "$line") $(field p50_us "$line") $(field p99_us "$line") $(field errors "$line")" >>"$WORK/results"
    done
    server_down
  done
done
echo "== medians over $RUNS runs, ${TIME} s each; conn: $CONC in flight, 1 byte; rr: $RRCONC connections, $SIZE bytes"
echo "== load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
med() { awk -v k="$1" -v c="$2" '$1 == k {print $c}' "$WORK/results" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for j in conn rr; do
  for mode in $MODES; do
    k=$mode-$j
    echo "$k $(med $k 2) p50_us $(med $k 3) p99_us $(med $k 4) errors $(med $k 5)"
  done
done | awk '{v[$1]=$2; print} END {
  for (k in v) if (k !~ /^linux/) { split(k, p, "-"); if (v["linux-" p[2]] > 0)
    printf "ratio %s/linux, %s: %.3f\n", p[1], p[2] == "conn" ? "connections/s" : "transactions/s", v[k] / v["linux-" p[2]] } }'
