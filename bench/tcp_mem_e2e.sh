#!/bin/sh
# tcp_mem_e2e.sh — memory per established, idle TCP connection, ninet vs the
# Linux kernel (issue 6 point 8), over one veth pair. bench/tcp_rr hold in
# namespace L opens N connections (each proven by a 1-byte echo) and keeps
# them idle; the server end is, alternating run by run:
#   ninet  bench/dial_echo -H on ninetd's FUSE tree (ninetd owns S's end of
#          the veth): ninetd's VmRSS growth / N is ninet's cost; the server
#          program's own growth (its two descriptors per call) and the
#          kernel's slab growth (the client's sockets, FUSE's files) are
#          printed beside it;
#   embed  bench/dial_echo -H with a stack of its own (NINET_NET=embed!
#          CONFIG): its VmRSS growth / N is the stack's and the dial
#          library's cost in-process, with no FUSE files;
#   linux  bench/epoll_server in namespace S: the kernel's slab growth,
#          which here holds both ends' sockets, and /proc/net/sockstat's TCP
#          "mem" pages. The server end's share is the growth of this run
#          less the embed run's (the same client sockets there, and nothing
#          else of the kernel's: no FUSE files), / N.
# Slab growth is the sum over /proc/slabinfo caches of (active objects after
# - before) * object size, for caches that grew by at least N/4 objects
# (those that hold per-connection state; the machine's other tenants move
# the rest). Medians over RUNS runs.
#
#   sh bench/tcp_mem_e2e.sh     (as root; BUILD=build-bench N=8000 RUNS=3)
#
# N is at most about half the descriptor limit: the ninet server holds a
# ctl and a data file per call (where the hard limit cannot be raised, as
# in a container without CAP_SYS_RESOURCE, 20000 here).
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-$PWD/build-bench}
RUNS=${RUNS:-3}
N=${N:-8000}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
[ -r /proc/slabinfo ] || { echo "SKIP: no /proc/slabinfo"; exit 77; }
for f in "$BUILD/cmd/ninetd" "$BUILD/bench/tcp_rr" "$BUILD/bench/epoll_server" "$BUILD/bench/dial_echo"; do
  [ -x "$f" ] || { echo "FAIL: $f not built (ninja -C $BUILD ninetd tcp_rr epoll_server dial_echo)" >&2; exit 1; }
done
ID=$$
L=memb-$ID-L
S=memb-$ID-S
WORK=$(mktemp -d /tmp/memb.XXXXXX)
MNT=$WORK/net
PIDS=
CLIENT=
cleanup() {
  [ -n "$CLIENT" ] && kill "$CLIENT" 2>/dev/null || true
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
ip link add mml$ID type veth peer name mms$ID
ip link set mml$ID netns "$L"
ip link set mms$ID netns "$S"
ip -n "$L" link set lo up
ip -n "$S" link set lo up
ip -n "$L" addr add 10.86.0.1/24 dev mml$ID
ip -n "$L" link set mml$ID up
ip -n "$S" link set mms$ID up
ip netns exec "$L" sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
ip netns exec "$L" sysctl -qw net.ipv4.tcp_tw_reuse=1

rss() { awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/$1/status"; }
slab() { awk 'NR > 2 { print $1, $2, $4 }' /proc/slabinfo >"$1"; }
sockmem() { ip netns exec "$1" awk '$1 == "TCP:" { for (i = 2; i < NF; i += 2) if ($i == "mem") print $(i + 1) * 4096 }' /proc/net/sockstat; }
# slabdelta BEFORE AFTER: bytes in caches that grew by N/4 objects or more
# (the breakdown into $WORK/slab.<tag>).
slabdelta() {
  awk -v n="$N" -v out="$3" 'NR == FNR { b[$1] = $2; next }
    { d = $2 - b[$1]; if (d >= n / 4) { t += d * $3; printf "  %-24s %+7d objs x %5d B\n", $1, d, $3 >>out } }
    END { print t + 0 }' "$1" "$2"
}

server_up() {
  if [ "$1" = linux ]; then
    ip -n "$S" addr add 10.86.0.2/24 dev mms$ID
    ip netns exec "$S" "$BUILD/bench/epoll_server" 7 >"$WORK/server.out" 2>&1 &
    SERVER=$!
    PIDS="$PIDS $SERVER"
    for _ in $(seq 50); do grep -q listening "$WORK/server.out" && break; sleep 0.1; done
  elif [ "$1" = embed ]; then
    printf 'stack 0\nipifc/clone bind ether mms%s\n. add 10.86.0.2 255.255.255.0\n' "$ID" >"$WORK/conf"
    NINET_NET=embed!$WORK/conf nsenter --net="/run/netns/$S" "$BUILD/bench/dial_echo" -H 'tcp!*!7' >"$WORK/server.out" 2>&1 &
    SERVER=$!
    PIDS="$PIDS $SERVER"
    for _ in $(seq 50); do grep -q announced "$WORK/server.out" && break; sleep 0.1; done
  else
    mkdir -p "$MNT"
    printf 'stack 0 %s\nipifc/clone bind ether mms%s\n. add 10.86.0.2 255.255.255.0\n' "$MNT" "$ID" >"$WORK/conf"
    nsenter --net="/run/netns/$S" "$BUILD/cmd/ninetd" -c "$WORK/conf" >"$WORK/ninetd.log" 2>&1 &
    DAEMON=$!
    PIDS="$PIDS $DAEMON"
    for _ in $(seq 100); do [ -e "$MNT/tcp/clone" ] && break; sleep 0.1; done
    [ -e "$MNT/tcp/clone" ] || { echo "FAIL: ninetd did not start" >&2; cat "$WORK/ninetd.log" >&2; exit 1; }
    NINET_NET=$MNT "$BUILD/bench/dial_echo" -H 'tcp!*!7' >"$WORK/server.out" 2>&1 &
    SERVER=$!
    PIDS="$PIDS $SERVER"
    for _ in $(seq 50); do grep -q announced "$WORK/server.out" && break; sleep 0.1; done
  fi
  grep -q -e listening -e announced "$WORK/server.out" || { echo "FAIL: $1 server" >&2; cat "$WORK/server.out" >&2; exit 1; }
  # Warm up: the neighbour resolved, a first batch of calls held and let go
  # (ninet: the first 100 stay held, counted in the baseline).
  ip netns exec "$L" "$BUILD/bench/tcp_rr" hold 10.86.0.2 7 -n 100 -c 16 >"$WORK/warm.out" &
  w=$!
  for _ in $(seq 100); do grep -q established "$WORK/warm.out" && break; sleep 0.1; done
  grep -q established "$WORK/warm.out" || { echo "FAIL: warm-up" >&2; cat "$WORK/warm.out" >&2; exit 1; }
  if [ "$1" = linux ]; then
    kill $w
    wait $w 2>/dev/null || true
  else
    PIDS="$PIDS $w"  # held until server_down
  fi
  sleep 1
}
server_down() {
  for p in $PIDS; do kill "$p" 2>/dev/null || true; done
  for p in $PIDS; do wait "$p" 2>/dev/null || true; done
  PIDS=
  fusermount3 -u "$MNT" 2>/dev/null || true
  ip -n "$S" addr flush dev mms$ID
  sleep 1
}

measure() {
  mode=$1
  server_up "$mode"
  slab "$WORK/slab0"
  m0=$(sockmem "$L")
  s0=$(rss "$SERVER")
  [ "$mode" = ninet ] && d0=$(rss "$DAEMON")
  : >"$WORK/hold.out"
  ip netns exec "$L" "$BUILD/bench/tcp_rr" hold 10.86.0.2 7 -n "$N" -c 64 >"$WORK/hold.out" 2>&1 &
  CLIENT=$!
  for _ in $(seq 1200); do grep -q -e established -e errors "$WORK/hold.out" && break; sleep 0.1; done
  grep -q "established=$N" "$WORK/hold.out" || { echo "FAIL: $mode: $(cat "$WORK/hold.out")" >&2; exit 1; }
  if [ "$mode" != linux ]; then
    want=$((N + 100))
    for _ in $(seq 100); do grep -q "^held $want\$" "$WORK/server.out" && break; sleep 0.1; done
    grep -q "^held $want\$" "$WORK/server.out" || { echo "FAIL: ninet held $(tail -1 "$WORK/server.out")" >&2; exit 1; }
  fi
  sleep 2
  slab "$WORK/slab1"
  m1=$(sockmem "$L")
  s1=$(rss "$SERVER")
  sl=$(slabdelta "$WORK/slab0" "$WORK/slab1" "$WORK/slab.$mode.$run")
  if [ "$mode" = ninet ]; then
    d1=$(rss "$DAEMON")
    echo "ninet-daemon $(((d1 - d0) / N))"
    echo "ninet-server $(((s1 - s0) / N))"
    echo "ninet-kernel $((sl / N))"
  elif [ "$mode" = embed ]; then
    echo "embed-process $(((s1 - s0) / N))"
    echo "embed-kernel $((sl / N))"
  else
    echo "linux-kernel $((sl / N))"
    echo "linux-sockmem $(((m1 - m0) / N))"
    echo "linux-server $(((s1 - s0) / N))"
  fi
  kill "$CLIENT"
  wait "$CLIENT" 2>/dev/null || true
  CLIENT=
  server_down
}

: >"$WORK/results"
echo "== $N idle connections; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for run in $(seq "$RUNS"); do
  for mode in ninet embed linux; do
    measure $mode >"$WORK/run.out"
    sed "s/^/  run $run $mode: /" "$WORK/run.out"
    cat "$WORK/run.out" >>"$WORK/results"
  done
  echo "  run $run slab caches that grew (ninet run, embed run, linux run):"
  cat "$WORK/slab.ninet.$run" "$WORK/slab.embed.$run" "$WORK/slab.linux.$run" 2>/dev/null
done
echo "== medians over $RUNS runs, bytes per connection; load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
med() { awk -v k="$1" '$1 == k {print $2}' "$WORK/results" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for k in ninet-daemon ninet-server ninet-kernel embed-process embed-kernel linux-kernel linux-sockmem linux-server; do
  echo "$k $(med $k)"
done | awk '{v[$1]=$2; print} END {
  srv = v["linux-kernel"] - v["embed-kernel"];
  printf "linux server end (linux-kernel - embed-kernel): %d\n", srv;
  printf "linux one end (linux-kernel / 2): %d\n", v["linux-kernel"] / 2;
  if (srv > 0) printf "ratio ninetd / linux server end: %.2f\n", v["ninet-daemon"] / srv
  if (srv > 0) printf "ratio embedded process / linux server end: %.2f\n", v["embed-process"] / srv }'
