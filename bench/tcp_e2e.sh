#!/bin/sh
# tcp_e2e.sh — single-stream TCP transfer rate over one veth pair, ninet vs
# Linux, measured as a user sees it (issue 6 point 8, first cut): the time
# from the first byte sent to the receiver's end of stream, for SIZE bytes.
#
#   sh bench/tcp_e2e.sh                  (as root; BUILD=... SIZE=200M RUNS=3)
#
# Two namespaces made for the run, tcpb-<pid>-L and -N, joined by a veth:
#   linux->linux  socat in L sends to socat in N (N's kernel has the address)
#   linux->ninet  socat in L sends to examples/ttcp -r on ninetd, which owns
#                 N's end (`bind ether`, the kernel's side has no address)
#   ninet->linux  examples/ttcp -t on ninetd sends to socat in L
# ninet's side reads and writes through its FUSE tree (the data file), as a
# program does. Medians over RUNS runs, alternating.
OLDPWD_RUN=$PWD
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-$PWD/build}
SIZE=${SIZE:-200M}
RUNS=${RUNS:-3}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
for f in "$BUILD/cmd/ninetd" "$BUILD/examples/ttcp"; do
  [ -x "$f" ] || { echo "FAIL: $f not built"; exit 1; }
done
command -v socat >/dev/null || { echo "SKIP: socat"; exit 77; }

ID=$$
L=tcpb-$ID-L
N=tcpb-$ID-N
WORK=$(mktemp -d /tmp/tcpb.XXXXXX)
MNT=$WORK/net
DAEMON=
cleanup() {
  [ -n "$DAEMON" ] && kill "$DAEMON" 2>/dev/null && wait "$DAEMON" 2>/dev/null
  fusermount3 -u "$MNT" 2>/dev/null
  ip netns del "$L" 2>/dev/null
  ip netns del "$N" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM
ip netns add "$L"
ip netns add "$N"
ip link add tbl$ID type veth peer name tbn$ID
ip link set tbl$ID netns "$L"
ip link set tbn$ID netns "$N"
ip -n "$L" link set lo up
ip -n "$N" link set lo up
ip -n "$L" addr add 10.96.0.1/24 dev tbl$ID
ip -n "$L" link set tbl$ID up
ip -n "$N" link set tbn$ID up
ip netns exec "$L" ethtool -K tbl$ID tx off >/dev/null 2>&1

bytes=$(numfmt --from=iec "$SIZE")
now() { date +%s.%N; }
rate() { awk -v b="$bytes" -v t0="$1" -v t1="$2" 'BEGIN { printf "%.0f", b * 8 / (t1 - t0) / 1e6 }'; }

linux_linux() {
  ip -n "$N" addr add 10.96.0.2/24 dev tbn$ID
  ip netns exec "$N" socat -u TCP-LISTEN:5001,reuseaddr OPEN:/dev/null &
  sink=$!
  sleep 0.3
  t0=$(now)
  head -c "$bytes" /dev/zero | ip netns exec "$L" socat -u - TCP:10.96.0.2:5001
  wait $sink
  t1=$(now)
  ip -n "$N" addr flush dev tbn$ID
  rate "$t0" "$t1"
}
ninet_up() {
  mkdir -p "$MNT"
  printf 'stack 0 %s\nipifc/clone bind ether tbn%s\n. add 10.96.0.2 255.255.255.0\n' "$MNT" "$ID" >"$WORK/conf"
  nsenter --net="/run/netns/$N" "$BUILD/cmd/ninetd" -c "$WORK/conf" >"$WORK/ninetd.log" 2>&1 &
  DAEMON=$!
  for _ in $(seq 100); do [ -e "$MNT/tcp/clone" ] && return; sleep 0.1; done
  echo "FAIL: ninetd"; cat "$WORK/ninetd.log"; exit 1
}
ninet_down() {
  kill "$DAEMON"; wait "$DAEMON" 2>/dev/null; DAEMON=
}
linux_ninet() {
  ninet_up
  NINET_NET=$MNT "$BUILD/examples/ttcp" -r 'tcp!*!5001' >"$WORK/sink.out" 2>&1 &
  sink=$!
  for _ in $(seq 50); do grep -q listening "$WORK/sink.out" && break; sleep 0.1; done
  t0=$(now)
  head -c "$bytes" /dev/zero | ip netns exec "$L" socat -u - TCP:10.96.0.2:5001
  wait $sink
  t1=$(now)
  grep -q "received $bytes bytes" "$WORK/sink.out" || { echo "FAIL: $(cat "$WORK/sink.out")" >&2; }
  ninet_down
  rate "$t0" "$t1"
}
ninet_linux() {
  ninet_up
  ip netns exec "$L" socat -u TCP-LISTEN:5001,reuseaddr OPEN:"$WORK/recv",creat,trunc &
  sink=$!
  sleep 0.3
  t0=$(now)
  NINET_NET=$MNT "$BUILD/examples/ttcp" -t 'tcp!10.96.0.1!5001' "$SIZE" >/dev/null
  wait $sink
  t1=$(now)
  got=$(stat -c %s "$WORK/recv")
  [ "$got" = "$bytes" ] || echo "FAIL: ninet->linux received $got of $bytes" >&2
  rm -f "$WORK/recv"
  ninet_down
  rate "$t0" "$t1"
}

: >"$WORK/results"
for run in $(seq "$RUNS"); do
  for mode in linux_linux linux_ninet ninet_linux; do
    r=$($mode)
    echo "  run $run $mode: $r Mbit/s"
    echo "$mode $r" >>"$WORK/results"
  done
done
echo "== medians over $RUNS runs of $SIZE (Mbit/s), load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for mode in linux_linux linux_ninet ninet_linux; do
  med=$(awk -v m=$mode '$1 == m {print $2}' "$WORK/results" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  echo "$mode $med"
done | awk '{v[$1]=$2; print} END { printf "ratio linux->ninet / linux->linux %.2f\nratio ninet->linux / linux->linux %.2f\n", v["linux_ninet"]/v["linux_linux"], v["ninet_linux"]/v["linux_linux"] }'
