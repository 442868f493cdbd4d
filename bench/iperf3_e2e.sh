#!/bin/sh
# iperf3_e2e.sh — TCP throughput as Linux's iperf3 measures it, ninet vs the
# Linux kernel, over one veth pair (issue 6 point 8). The iperf3 client runs
# in namespace L; the server end is, alternating run by run:
#   linux  iperf3 -s in namespace S (the kernel's TCP);
#   ninet  examples/iperf3d on ninetd, which owns S's end of the veth (`bind
#          ether`: AF_XDP on a veth; the kernel there has no address),
#          through the FUSE tree;
#   ninet-afpacket  the same with `bind ether afpacket:` (AF_PACKET with
#          virtio-net headers: checksum offload and 64 KiB TCP segments both
#          ways, as the kernel's own TCP has on a veth);
#   embed-afpacket  iperf3d with a stack of its own, in-process
#          (NINET_NET=embed!CONFIG, cmd/embed.h): no ninetd, no FUSE; its
#          data reads and writes are function calls into the stack.
# Forward (L sends) and reverse (-R: the server sends), one stream, TIME s.
# Prints iperf3's receiver-side rate per run and the medians, with ratios,
# and the CPU each run cost the machine per byte moved: the busy time of
# all CPUs (/proc/stat, both ends of the transfer and anything else that
# ran) x the clock rate / the bytes iperf3 counted, and of that the ninet
# processes' own (ninetd + iperf3d, from /proc/PID/stat).
#
#   sh bench/iperf3_e2e.sh   (as root; BUILD=build RUNS=3 TIME=5
#                             MODES="linux ninet ninet-afpacket embed-afpacket")
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-$PWD/build}
RUNS=${RUNS:-3}
TIME=${TIME:-5}
MODES=${MODES:-linux ninet ninet-afpacket embed-afpacket}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v iperf3 >/dev/null || { echo "SKIP: iperf3"; exit 77; }
for f in "$BUILD/cmd/ninetd" "$BUILD/examples/iperf3d"; do
  [ -x "$f" ] || { echo "FAIL: $f not built"; exit 1; }
done
ID=$$
L=ip3b-$ID-L
S=ip3b-$ID-S
WORK=$(mktemp -d /tmp/ip3b.XXXXXX)
MNT=$WORK/net
PIDS=
cleanup() {
  for p in $PIDS; do kill "$p" 2>/dev/null; done
  sleep 0.3
  fusermount3 -u "$MNT" 2>/dev/null
  ip netns del "$L" 2>/dev/null
  ip netns del "$S" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM
ip netns add "$L"
ip netns add "$S"
ip link add i3l$ID type veth peer name i3s$ID
ip link set i3l$ID netns "$L"
ip link set i3s$ID netns "$S"
ip -n "$L" link set lo up
ip -n "$S" link set lo up
ip -n "$L" addr add 10.89.0.1/24 dev i3l$ID
ip -n "$L" link set i3l$ID up
ip -n "$S" link set i3s$ID up

MHZ=$(awk -F: '/^cpu MHz/ { print $2 + 0; exit }' /proc/cpuinfo)
HZ=$(getconf CLK_TCK)
# Busy jiffies of all CPUs (user nice system irq softirq; not idle, iowait, steal).
busy() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
# CPU jiffies (utime + stime) of the processes in $PIDS.
pcpu() {
  t=0
  for p in $PIDS; do
    [ -r /proc/$p/stat ] && t=$((t + $(sed 's/.*) //' /proc/$p/stat | awk '{ print $12 + $13 }')))
  done
  echo $t
}
# rate MODE [-R]: iperf3's receiver line, in Mbit/s, then machine and ninet
# CPU cycles per byte.
rate() {
  b0=$(busy)
  p0=$(pcpu)
  ip netns exec "$L" timeout $((TIME + 20)) iperf3 -c 10.89.0.2 -t "$TIME" -f m $2 >"$WORK/iperf3.out" 2>&1
  b1=$(busy)
  p1=$(pcpu)
  awk -v b=$((b1 - b0)) -v p=$((p1 - p0)) -v hz="$HZ" -v mhz="$MHZ" -v t="$TIME" '
    /receiver/ { for (i = 1; i <= NF; i++) if ($i == "Mbits/sec") r = $(i - 1) }
    END { if (r > 0) { bytes = r * 1e6 / 8 * t; c = mhz * 1e6 / hz / bytes
                       printf "%s %.2f %.2f\n", r, b * c, p * c } }' "$WORK/iperf3.out"
}
server_up() {
  if [ "$1" = linux ]; then
    ip -n "$S" addr add 10.89.0.2/24 dev i3s$ID
    ip netns exec "$S" iperf3 -s -1 >/dev/null 2>&1 &
    PIDS="$PIDS $!"
    sleep 0.5
  elif [ "$1" = embed-afpacket ]; then
    printf 'stack 0\nipifc/clone bind ether afpacket:i3s%s\n. add 10.89.0.2 255.255.255.0\n' "$ID" >"$WORK/conf"
    NINET_NET=embed!$WORK/conf nsenter --net="/run/netns/$S" "$BUILD/examples/iperf3d" 'tcp!*!5201' >"$WORK/iperf3d.out" 2>&1 &
    PIDS="$PIDS $!"
    sleep 0.5
  else
    mkdir -p "$MNT"
    medium=
    [ "$1" = ninet-afpacket ] && medium=afpacket:
    printf 'stack 0 %s\nipifc/clone bind ether %si3s%s\n. add 10.89.0.2 255.255.255.0\n' "$MNT" "$medium" "$ID" >"$WORK/conf"
    nsenter --net="/run/netns/$S" "$BUILD/cmd/ninetd" -c "$WORK/conf" >"$WORK/ninetd.log" 2>&1 &
    DAEMON=$!
    PIDS="$PIDS $DAEMON"
    for _ in $(seq 100); do [ -e "$MNT/tcp/clone" ] && break; sleep 0.1; done
    NINET_NET=$MNT "$BUILD/examples/iperf3d" 'tcp!*!5201' >"$WORK/iperf3d.out" 2>&1 &
    PIDS="$PIDS $!"
    sleep 0.5
  fi
}
server_down() {
  for p in $PIDS; do kill "$p" 2>/dev/null; done
  for p in $PIDS; do wait "$p" 2>/dev/null; done
  PIDS=
  fusermount3 -u "$MNT" 2>/dev/null
  ip -n "$S" addr flush dev i3s$ID
}

: >"$WORK/results"
: >"$WORK/cpb"
: >"$WORK/ncpb"
echo "== clock ${MHZ} MHz, load average at start $(cut -d' ' -f1-3 /proc/loadavg)"
for run in $(seq "$RUNS"); do
  for mode in $MODES; do
    for dir in fwd rev; do
      server_up $mode
      set -- $(rate $mode "$([ $dir = rev ] && echo -R)")
      server_down
      echo "  run $run $mode $dir: ${1:-FAIL} Mbit/s, cycles/byte: machine ${2:--} ninet ${3:--}"
      echo "$mode-$dir ${1:-0}" >>"$WORK/results"
      echo "$mode-$dir ${2:-0}" >>"$WORK/cpb"
      echo "$mode-$dir ${3:-0}" >>"$WORK/ncpb"
    done
  done
done
echo "== medians over $RUNS runs, ${TIME} s each (Mbit/s), load average $(cut -d' ' -f1-3 /proc/loadavg)"
for mode in $MODES; do
  for dir in fwd rev; do
    k=$mode-$dir
    awk -v k=$k '$1 == k {print $2}' "$WORK/results" | sort -n |
      awk -v k=$k '{a[NR]=$1} END {print k, a[int((NR+1)/2)]}'
  done
done | awk '{v[$1]=$2; print} END {
  for (k in v) if (k !~ /^linux/ && v["linux-fwd"] > 0) {
    split(k, p, "-"); d = p[length(p)]; m = substr(k, 1, length(k) - length(d) - 1)
    if (v["linux-" d] > 0)
      printf "ratio %s/linux, %s: %.2f\n", m, d == "fwd" ? "Linux sends to it" : "it sends to Linux", v[k] / v["linux-" d]
  } }'
echo "== medians, CPU cycles per byte moved: the machine's (both ends), ninet's processes' own"
for mode in $MODES; do
  for dir in fwd rev; do
    k=$mode-$dir
    m=$(awk -v k=$k '$1 == k {print $2}' "$WORK/cpb" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    n=$(awk -v k=$k '$1 == k {print $2}' "$WORK/ncpb" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    echo "$k machine $m ninet $n"
  done
done | awk '{print; m[$1]=$3} END {
  for (k in m) if (k !~ /^linux/) { d = substr(k, length(k) - 2); if (m["linux-" d] > 0)
    printf "ratio of machine cycles/byte %s / linux-%s: %.2f\n", k, d, m[k] / m["linux-" d] } }'
