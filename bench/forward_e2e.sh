#!/bin/sh
# forward_e2e.sh — IPv4 forwarding, ninetd vs the Linux kernel, as a user
# would measure it: L -> router -> R over two veth pairs, 64-byte UDP frames
# from bench/fwd_gen in L, counted as they reach R.
#
#   sudo sh bench/forward_e2e.sh                 (builds nothing; BUILD=... to choose)
#   sudo PERF_RATE=0 MODES="linux ninet-xdp" sh bench/forward_e2e.sh   (with perf profiles)
#   sudo BUILD=$PWD/build-fwd RUNS=5 SECS=3 RATES="50000 100000 125000 200000 0" \
#        MODES="linux ninet" sh bench/forward_e2e.sh
#
# Three namespaces made for the run (fwd-<pid>-L, -RT, -R) and two veth
# pairs; all removed on exit. The router namespace RT holds, in turn:
#   linux   the kernel: 10.77.1.1/24 and 10.77.2.1/24 on its veths,
#           net.ipv4.ip_forward=1;
#   ninet   ninetd (run in RT's network namespace), `bind ether` on the same
#           veths (the kernel's side keeps no address), `iprouting 1` on both;
#   ninet-afpacket, ninet-xdp
#           the same with `bind ether afpacket:NAME` / `xdp:NAME`;
#   ninet-xdp-poll, ninet-xdp-poll50
#           xdp: with `busypoll always` (the engine never sleeps: one CPU
#           busy) / `busypoll 50` (it polls 50 us after each input).
# Modes alternate run by run, so the load of a shared machine hits all alike.
# For each run and offered rate (RATES, pps; 0 = as fast as fwd_gen can send)
# fwd_gen sends for SECS seconds; the script reports
#   offered    frames fwd_gen handed to L's veth per second,
#   forwarded  frames that reached R's veth (its rx_packets) per second,
#   loss       1 - forwarded/offered,
#   cyc/pkt    CPU cycles per forwarded frame of everything on the path:
#              fwd_gen's user+system time (with the Linux router that
#              includes the whole forwarding, done in the sender's softirq)
#              plus ninetd's threads (schedstat), x the TSC rate;
# and ping RTT L -> R through the router (PINGS pings 2 ms apart per run).
# PERF_RATE=RATE records the whole system with perf(1) during the first run
# at that rate and writes the top symbols to perf-MODE-RATE.txt here.
# Medians over RUNS runs.
OLDPWD_RUN=$PWD
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-$PWD/build-bench}
NINETD=$BUILD/cmd/ninetd
GEN=$BUILD/bench/fwd_gen
RATES=${RATES:-"50000 100000 125000 200000 0"}
RUNS=${RUNS:-3}
SECS=${SECS:-3}
PINGS=${PINGS:-500}
MODES=${MODES:-"linux ninet"}
# fwd_gen and ninetd run at this nice level (both routers alike), so that
# other tenants' work on a shared machine takes less of their CPU.
NICE=${NICE:--10}

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespaces)"; exit 77; }
for f in "$NINETD" "$GEN"; do
  [ -x "$f" ] || { echo "FAIL: $f not built (ninja -C $BUILD ninetd fwd_gen)"; exit 1; }
done

ID=$$
NS_L=fwd-$ID-L
NS_RT=fwd-$ID-RT
NS_R=fwd-$ID-R
L0=fl$ID  # L's end
L1=gl$ID  # the router's end towards L
R1=gr$ID  # the router's end towards R
R0=fr$ID  # R's end
WORK=$(mktemp -d /tmp/ninet-fwd-$ID.XXXX)
MNT=$WORK/net
DAEMON_PID=""
TSC_MHZ=$(awk -F: '/cpu MHz/ { printf "%.1f", $2; exit }' /proc/cpuinfo)

stop_ninetd() {
  [ -n "$DAEMON_PID" ] || return 0
  kill -TERM "$DAEMON_PID" 2>/dev/null
  for _ in $(seq 50); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$DAEMON_PID" 2>/dev/null
  wait "$DAEMON_PID" 2>/dev/null
  DAEMON_PID=""
  grep -q " $MNT " /proc/mounts && umount -l "$MNT" 2>/dev/null
  return 0
}
cleanup() {
  stop_ninetd
  for n in "$NS_L" "$NS_RT" "$NS_R"; do ip netns del "$n" 2>/dev/null; done
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

in_ns() { n=$1; shift; ip netns exec "$n" "$@"; }

for n in "$NS_L" "$NS_RT" "$NS_R"; do
  ip netns add "$n" || exit 1
  ip -n "$n" link set lo up
  in_ns "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip link add "$L0" netns "$NS_L" type veth peer name "$L1" netns "$NS_RT" || exit 1
ip link add "$R0" netns "$NS_R" type veth peer name "$R1" netns "$NS_RT" || exit 1
ip -n "$NS_L" addr add 10.77.1.2/24 dev "$L0"
ip -n "$NS_R" addr add 10.77.2.2/24 dev "$R0"
for l in "$L0:$NS_L" "$R0:$NS_R" "$L1:$NS_RT" "$R1:$NS_RT"; do
  ip -n "${l#*:}" link set "${l%%:*}" up
done
ip -n "$NS_L" route add 10.77.2.0/24 via 10.77.1.1
ip -n "$NS_R" route add 10.77.1.0/24 via 10.77.2.1
# The load goes to 10.77.2.99, which the router reaches through a static
# neighbor entry with a MAC that is not R's: R's veth counts every frame
# (rx_packets) and R's kernel drops it at once as not for this host, so the
# far end costs the router's CPU as little as it can (a frame to R's own
# address would go through R's UDP input and an ICMP port-unreachable try).
SINK=10.77.2.99
SINK_MAC=02:00:00:77:02:99
ROUTER_MAC=$(cat "/sys/class/net/$L1/address" 2>/dev/null || in_ns "$NS_RT" cat "/sys/class/net/$L1/address")

linux_up() {
  ip -n "$NS_RT" addr add 10.77.1.1/24 dev "$L1"
  ip -n "$NS_RT" addr add 10.77.2.1/24 dev "$R1"
  in_ns "$NS_RT" sysctl -qw net.ipv4.ip_forward=1
  ip -n "$NS_RT" neigh replace $SINK lladdr $SINK_MAC dev "$R1" nud permanent
}
linux_down() {
  in_ns "$NS_RT" sysctl -qw net.ipv4.ip_forward=0
  ip -n "$NS_RT" addr flush dev "$L1"
  ip -n "$NS_RT" addr flush dev "$R1"
}
# ninet_up PREFIX [BUSYPOLL]: ninetd in RT's network namespace (the host's
# mount namespace, so its tree is at $MNT), on the veths named PREFIX$L1,
# PREFIX$R1, with `busypoll BUSYPOLL` (default off).
ninet_up() {
  cat >"$WORK/ninetd.conf" <<EOF
stack 0 $MNT
busypoll ${2:-off}
ipifc/clone bind ether $1$L1
. add 10.77.1.1 255.255.255.0
. iprouting 1
ipifc/clone bind ether $1$R1
. add 10.77.2.1 255.255.255.0
. iprouting 1
arp add ether $SINK $(echo $SINK_MAC | tr -d :)
EOF
  mkdir -p "$MNT"
  NINET_MEDIUM_STATS=1 nice -n "$NICE" nsenter --net="/run/netns/$NS_RT" "$NINETD" -c "$WORK/ninetd.conf" \
    >"$WORK/ninetd.log" 2>&1 &
  DAEMON_PID=$!
  for _ in $(seq 100); do
    [ -e "$MNT/ipifc/clone" ] && return 0
    kill -0 "$DAEMON_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "FAIL: ninetd did not start"
  cat "$WORK/ninetd.log"
  exit 1
}
ninet_down() {
  for i in 0 1; do
    [ -r "$MNT/ipifc/$i/status" ] && sed "s/^/  ifc $i: /" "$MNT/ipifc/$i/status" >>"$WORK/ifcstatus"
  done
  stop_ninetd
  # The media's own counters (NINET_MEDIUM_STATS), printed as they close,
  # and which medium `bind ether` chose.
  grep -E "^ninet: " "$WORK/ninetd.log" | sed "s/^/  $MODE run $RUN: /" >>"$WORK/ifcstatus"
}
mode_up() {
  case $1 in
    linux) linux_up ;;
    ninet) ninet_up "" ;;
    ninet-afpacket) ninet_up afpacket: ;;
    ninet-xdp) ninet_up xdp: ;;
    ninet-xdp-poll) ninet_up xdp: always ;;
    ninet-xdp-poll50) ninet_up xdp: 50 ;;
    *) echo "FAIL: unknown mode $1"; exit 1 ;;
  esac
  # Resolves ARP on both sides and checks the path.
  in_ns "$NS_L" ping -c 3 -i 0.2 -W 2 10.77.2.2 >/dev/null ||
    { echo "FAIL: $1: no ping through the router"; cat "$WORK/ninetd.log" 2>/dev/null; exit 1; }
}
mode_down() {
  case $1 in
    linux) linux_down ;;
    *) ninet_down ;;
  esac
}

rx_r() { in_ns "$NS_R" cat "/sys/class/net/$R0/statistics/rx_packets"; }
# Frames the router's kernel dropped on its L-side veth before any socket
# (backlog full, XDP ring full): rx_dropped there.
kdrop() { in_ns "$NS_RT" cat "/sys/class/net/$L1/statistics/rx_dropped"; }
# CPU nanoseconds of every thread of ninetd (0 with the Linux router).
router_ns() {
  [ -n "$DAEMON_PID" ] || { echo 0; return; }
  cat /proc/"$DAEMON_PID"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f", s }'
}
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "-" }'; }

# one_rate MODE RUN RATE: appends "mode rate run offered forwarded loss cyc" to results.
one_rate() {
  r0=$(rx_r)
  d0=$(kdrop)
  c0=$(router_ns)
  if [ -n "${PERF_RATE:-}" ] && [ "$PERF_RATE" = "$3" ] && [ "$2" = 1 ]; then
    # Where the CPU goes, whole system: perf-MODE-RATE.txt in the current directory.
    perf record -q -a -g -F 999 -o "$WORK/perf.data" -- sleep "$SECS" >/dev/null 2>&1 &
    PERF_PID=$!
  fi
  out=$(in_ns "$NS_L" nice -n "$NICE" "$GEN" "$L0" "$ROUTER_MAC" 10.77.1.2 $SINK "$3" "$SECS")
  if [ -n "${PERF_PID:-}" ]; then
    wait "$PERF_PID"
    PERF_PID=""
    {
      perf report -i "$WORK/perf.data" --no-children -g none --sort comm --stdio 2>/dev/null |
        grep "%" | head -12
      perf report -i "$WORK/perf.data" --no-children -g none --comms ninetd,fwd_gen \
        --sort comm,sym --stdio 2>/dev/null | grep "%" | head -70
    } >"$OLDPWD_RUN/perf-$1-$3.txt"
  fi
  sleep 0.3  # what is still queued in the router
  r1=$(rx_r)
  d1=$(kdrop)
  c1=$(router_ns)
  echo "$out" | awk -v m="$1" -v run="$2" -v rate="$3" -v fwd=$((r1 - r0)) -v rc=$((c1 - c0)) \
    -v mhz="$TSC_MHZ" -v kd=$((d1 - d0)) '{
      sent = $2; el = $4; cpu = $8 + $10 + rc / 1e9
      loss = (sent > 0 ? 100 * (1 - fwd / sent) : 0)
      if (loss < 0) loss = 0
      printf "%s %s %s %.0f %.0f %.2f %.0f %d\n", m, (rate == 0 ? "max" : rate), run, sent / el,
        fwd / el, loss, (fwd > 0 ? cpu * mhz * 1e6 / fwd : 0), kd
    }' >>"$WORK/results"
  tail -1 "$WORK/results" | awk '{ printf "  %-15s rate %-7s run %s: offered %8d pps  forwarded %8d pps  loss %6.2f%%  %5d cyc/pkt  kernel rx_dropped %d\n", $1, $2, $3, $4, $5, $6, $7, $8 }'
}

: >"$WORK/results"
: >"$WORK/rtt"
echo "== forward_e2e: $RUNS runs x modes ($MODES) x rates ($RATES) of ${SECS}s, 60-byte frames"
echo "   $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2), $(nproc) cpus, TSC $TSC_MHZ MHz, $(uname -r)"
echo "   load average before: $(cut -d' ' -f1-3 /proc/loadavg); commit $(git rev-parse --short HEAD 2>/dev/null)"
for run in $(seq "$RUNS"); do
  for mode in $MODES; do
    MODE=$mode RUN=$run
    mode_up "$mode"
    p=$(in_ns "$NS_L" ping -q -c "$PINGS" -i 0.002 -W 1 10.77.2.2 2>/dev/null |
      awk '/rtt|round-trip/ { split($0, a, "= "); split(a[2], v, "/"); print v[2], v[1] }')
    echo "$mode $run $p" >>"$WORK/rtt"
    echo "  $mode run $run: ping avg/min $p ms"
    for rate in $RATES; do
      one_rate "$mode" "$run" "$rate"
    done
    mode_down "$mode"
  done
done
echo "   load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== medians over $RUNS runs"
printf '%-15s %-7s %10s %10s %8s %8s\n' mode rate offered forwarded loss% cyc/pkt
for rate in $RATES; do
  [ "$rate" = 0 ] && rate=max
  for mode in $MODES; do
    sel() { awk -v m="$mode" -v r="$rate" -v c="$1" '$1 == m && $2 == r { print $c }' "$WORK/results" | median; }
    printf '%-15s %-7s %10s %10s %8s %8s\n' "$mode" "$rate" "$(sel 4)" "$(sel 5)" "$(sel 6)" "$(sel 7)"
  done
done
echo "== ping RTT L -> R through the router (ms, medians over runs)"
for mode in $MODES; do
  a=$(awk -v m="$mode" '$1 == m { print $3 }' "$WORK/rtt" | median)
  n=$(awk -v m="$mode" '$1 == m { print $4 }' "$WORK/rtt" | median)
  echo "$mode avg $a min $n"
done | tee "$WORK/rttsum"
awk '$1 == "linux" { la = $3; ln = $5 } $1 != "linux" { m[$1] = $3; n[$1] = $5 }
  END { for (k in m) if (la > 0) printf "ratio %s/linux: avg %.2f min %.2f\n", k, m[k] / la, n[k] / ln }' "$WORK/rttsum"
if [ -s "$WORK/ifcstatus" ]; then
  echo "== ninet interface status after each run"
  cat "$WORK/ifcstatus"
fi
exit 0
