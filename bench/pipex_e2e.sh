#!/bin/sh
# pipex_e2e.sh — session forwarding end to end: ninet's pipex vs l2tpns, as
# an operator would measure an LNS / PPPoE server: many PPP sessions from
# bench/session_gen, their packets forwarded both ways.
#
#   sudo sh bench/pipex_e2e.sh                  (builds nothing; BUILD=... to choose)
#   sudo RUNS=3 SECS=3 SESSIONS="1 1000 20000" SIZES="64 1400" MODES="ninet l2tpns" \
#        PROTO=l2tp sh bench/pipex_e2e.sh
#
#   client ns (session_gen) --veth-- server ns --veth-- sink ns
#   10.81.1.2 (L2TP LAC)      10.81.1.1 | 10.81.2.1       10.81.2.99 (the sink)
#
# Three namespaces made for the run (pxe-<pid>-C, -SV, -SK) and two veth
# pairs; all removed on exit. The server namespace holds, in turn:
#   ninet   tests/pipex/ctld (one ninet stack in the process, `bind ether` on
#           both veths, a `bind pipex` interface, L2TP on ninet's own UDP port
#           1701 or PPPoE discovery through the stack's ether directory; it
#           answers the control protocol and PPP (LCP, MS-CHAPv2, IPCP) and
#           registers each session with pipex (PIPEXASESSION), in-process:
#           a simpler control path than a product's, but only the forwarding
#           is measured);
#   l2tpns  Debian's l2tpns (a single-threaded user-space LNS and PPPoE server
#           on a TUN device) with a startup-config made here (bind_address on
#           the client-side veth; CHAP-MD5 through RADIUS), a small RADIUS
#           responder (python3, on 127.0.0.1 in the server namespace) that
#           accepts everyone with a Framed-IP-Address from 100.64.0.1 up,
#           and the kernel forwarding between the TUN and the sink-side veth.
# Modes alternate run by run. For each run, session count (SESSIONS),
# packet size (SIZES, bytes of inner IP payload: UDP header and data) and
# direction (DIRS):
#   up     session_gen sends encapsulated packets (L2TP data or PPPoE
#          session frames) round robin over its sessions to 10.81.2.99,
#          which the server forwards decapsulated to the sink's veth (a static
#          neighbour with a MAC that is not the sink's: the sink's kernel drops
#          each frame at once, its veth counts it);
#   down   session_gen plain, in the sink namespace, sends plain UDP packets
#          to the sessions' framed addresses round robin; the server
#          encapsulates them to the client's veth (whose kernel drops them:
#          session_gen's MAC is not the veth's, and its socket filter drops
#          the data frames).
# at RATE pps (0: as fast as the sender can) for SECS seconds, and reports
#   offered    packets the sender handed to its veth per second;
#   forwarded  packets at the far veth (rx_packets) per second;
#   loss       1 - forwarded/offered;
#   srv cpu    CPU seconds of the server's threads (schedstat: user and
#              system, including softirq work the kernel did in their
#              context) per second of the run;
#   pps/core   forwarded packets per CPU second of the server;
#   cyc/pkt    the server's CPU cycles per forwarded packet (TSC rate from
#              /proc/cpuinfo), and "all": with the sender's CPU added (its
#              sending thread's user and system time, which includes the
#              veth's receive into the server's socket or ring);
#   softirqd   CPU seconds per second of the kernel's ksoftirqd threads
#              (softirq work deferred there: counted in no process above);
#   pps/top    forwarded packets per CPU second of the server's busiest
#              thread (ninet's engine; l2tpns has one): without ctld's own
#              control threads.
# Sessions: at most 65,535 (session_gen; ninet's L2TP ids are 16 bits) and
# 59,999 for l2tpns (MAXSESSION 60000), whose setup slows to ~130/s at tens of
# thousands of sessions. PARALLEL (1024) sessions are set up at once.
# Medians over RUNS runs, then ratios ninet/l2tpns. COUNT=1 lets the data
# frames of the downstream runs through session_gen's socket filter, which
# counts them (rx_data in its stats; a check, it costs CPU).
# PERF=1 records the whole system with perf(1) during the first run's
# first size of each mode and direction at the largest session count
# (perf-pipex-MODE-DIR-N.txt in the current directory).
# KEEP=DIR keeps the run's files (logs of ctld, l2tpns, RADIUS, session_gen,
# the startup-config, the results); L2TPNS_DEBUG=N sets l2tpns's debug level
# (default 1; 3-4 log every control message and slow it down).
# Needs root, l2tpns (apt-get install l2tpns: its package starts a daemon
# on /etc/l2tpns's configuration, stop it with systemctl), /usr/bin/python3.
OLDPWD_RUN=$PWD
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-$PWD/build-bench}
GEN=$BUILD/bench/session_gen
CTLD=$BUILD/tests/ctld
L2TPNS=${L2TPNS:-/usr/sbin/l2tpns}
RUNS=${RUNS:-3}
SECS=${SECS:-3}
SESSIONS=${SESSIONS:-"1 1000 20000"}
SIZES=${SIZES:-"64 1400"}
DIRS=${DIRS:-"up down"}
MODES=${MODES:-"ninet l2tpns"}
PROTO=${PROTO:-l2tp}  # l2tp or pppoe
RATE=${RATE:-0}
# ninet's medium on the veths: "" (bind ether: AF_XDP where it attaches),
# afpacket: or xdp:. (The PPPoE figures in BENCHMARKS.md were taken with
# afpacket:, when ctld still read discovery on AF_PACKET sockets of its own;
# it now uses the stack's ether directory, which works on any medium.)
NINET_MEDIUM=${NINET_MEDIUM-}
NICE=${NICE:--10}

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespaces)"; exit 77; }
case " $MODES " in
  *" l2tpns "*)
    if [ ! -x "$L2TPNS" ]; then
      echo "SKIP: $L2TPNS is missing: apt-get install l2tpns (its package starts l2tpns on"
      echo "      /etc/l2tpns/startup-config at once: systemctl disable --now l2tpns), or MODES=ninet"
      exit 0
    fi
    [ -x /usr/bin/python3 ] || { echo "SKIP: l2tpns's RADIUS responder needs /usr/bin/python3"; exit 0; } ;;
esac
for f in "$GEN" "$CTLD"; do
  [ -x "$f" ] || { echo "FAIL: $f not built (ninja -C $BUILD session_gen ctld)"; exit 1; }
done
case $PROTO in l2tp | pppoe) ;; *) echo "FAIL: PROTO is l2tp or pppoe"; exit 1 ;; esac

ID=$$
NS_C=pxe-$ID-C
NS_SV=pxe-$ID-SV
NS_SK=pxe-$ID-SK
C0=pc$ID   # the client's end
C1=qc$ID   # the server's end towards the client
S1=qs$ID   # the server's end towards the sink
S0=ps$ID   # the sink's end
TUN=pt$ID  # l2tpns's TUN
WORK=$(mktemp -d /tmp/ninet-pxe-$ID.XXXX)
SERVER_PID=""
RADIUS_PID=""
GEN_PID=""
TSC_MHZ=$(awk -F: '/cpu MHz/ { printf "%.1f", $2; exit }' /proc/cpuinfo)
CLIENT_IP=10.81.1.2
SERVER_IP=10.81.1.1
SINK=10.81.2.99
SINK_MAC=02:00:00:81:02:99
SINK_SRC=10.81.2.2
POOL=100.64.0.1

stop_pid() { # PID: TERM, then KILL after 5 s
  [ -n "$1" ] || return 0
  kill -TERM "$1" 2>/dev/null
  for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null
  wait "$1" 2>/dev/null
  return 0
}
stop_all() {
  if [ -n "$GEN_PID" ]; then
    echo quit >&3 2>/dev/null
    exec 3>&-
    stop_pid "$GEN_PID"
    GEN_PID=""
  fi
  stop_pid "$SERVER_PID"
  SERVER_PID=""
  stop_pid "$RADIUS_PID"
  RADIUS_PID=""
}
cleanup() {
  trap "" INT TERM
  stop_all
  for n in "$NS_C" "$NS_SV" "$NS_SK"; do ip netns del "$n" 2>/dev/null; done
  [ -n "${KEEP:-}" ] && cp -r "$WORK" "$KEEP"
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
trap '' PIPE # a write to session_gen's FIFO after it died fails, not kills

in_ns() { ns_=$1; shift; ip netns exec "$ns_" "$@"; }

for n in "$NS_C" "$NS_SV" "$NS_SK"; do
  ip netns add "$n" || exit 1
  ip -n "$n" link set lo up
  in_ns "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip link add "$C0" netns "$NS_C" type veth peer name "$C1" netns "$NS_SV" || exit 1
ip link add "$S0" netns "$NS_SK" type veth peer name "$S1" netns "$NS_SV" || exit 1
for l in "$C0:$NS_C" "$S0:$NS_SK" "$C1:$NS_SV" "$S1:$NS_SV"; do
  ip -n "${l#*:}" link set "${l%%:*}" up
done
mac_of() { in_ns "$1" cat "/sys/class/net/$2/address"; }
C1_MAC=$(mac_of "$NS_SV" "$C1")
S1_MAC=$(mac_of "$NS_SV" "$S1")

# ---- l2tpns and its RADIUS responder.
cat >"$WORK/radius.py" <<'EOF'
# Accepts every Access-Request (RFC 2865) with a Framed-IP-Address: POOL + N
# for a user "uN", else the next free one; answers Accounting-Requests (RFC
# 2866). Response Authenticator = MD5(Code|ID|Length|RequestAuth|Attributes|Secret).
import hashlib, ipaddress, select, socket, struct, sys
secret, pool = sys.argv[1].encode(), int(ipaddress.IPv4Address(sys.argv[2]))
socks = []
for port in (1812, 1813):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", port))
    socks.append(s)
nxt = 0
while True:
    for s in select.select(socks, [], [])[0]:
        d, peer = s.recvfrom(4096)
        if len(d) < 20:
            continue
        code, ident, length = struct.unpack("!BBH", d[:4])
        req_auth, attrs, user = d[4:20], d[20:length], b""
        while len(attrs) >= 2 and attrs[1] >= 2:
            if attrs[0] == 1:
                user = attrs[2:attrs[1]]
            attrs = attrs[attrs[1]:]
        if code == 1:
            try:
                n = int(user[1:])
            except ValueError:
                n, nxt = nxt, nxt + 1
            a = struct.pack("!BBI", 6, 6, 2) + struct.pack("!BBI", 7, 6, 1)
            a += struct.pack("!BB", 8, 6) + socket.inet_aton(str(ipaddress.IPv4Address(pool + n)))
            rcode = 2
        elif code == 4:
            a, rcode = b"", 5
        else:
            continue
        hdr = struct.pack("!BBH", rcode, ident, 20 + len(a))
        s.sendto(hdr + hashlib.md5(hdr + req_auth + a + secret).digest() + a, peer)
EOF

l2tpns_up() {
  ip -n "$NS_SV" addr add $SERVER_IP/24 dev "$C1"
  ip -n "$NS_SV" addr add 10.81.2.1/24 dev "$S1"
  in_ns "$NS_SV" sysctl -qw net.ipv4.ip_forward=1
  ip -n "$NS_SV" neigh replace $SINK lladdr $SINK_MAC dev "$S1" nud permanent
  ip netns exec "$NS_SV" /usr/bin/python3 "$WORK/radius.py" secret $POOL >"$WORK/radius.log" 2>&1 &
  RADIUS_PID=$!
  {
    echo "set debug ${L2TPNS_DEBUG:-1}"
    echo "set log_file \"$WORK/l2tpns.log\""
    echo "set pid_file \"$WORK/l2tpns.pid\""
    echo "set bind_address $SERVER_IP"
    echo "set tundevicename \"$TUN\""
    echo "set cluster_interface \"lo\""
    echo "set cluster_hb_interval 5"
    echo "set cluster_hb_timeout 20"
    echo "set cli_bind_address 127.0.0.1"
    echo "set primary_radius 127.0.0.1"
    echo "set radius_secret \"secret\""
    echo "set radius_authtypes \"chap\""
    echo "set radius_accounting no"
    echo "set allow_duplicate_users yes"
    echo "set send_garp no"
    echo "set echo_timeout 10"
    echo "set idle_echo_timeout 240"
    [ "$PROTO" = pppoe ] && echo "set pppoe_if_to_bind \"$C1\""
  } >"$WORK/startup-config"
  : >"$WORK/l2tpns.log"
  # its own session: on SIGTERM l2tpns signals its whole process group
  nice -n "$NICE" setsid ip netns exec "$NS_SV" "$L2TPNS" -c "$WORK/startup-config" >"$WORK/l2tpns.out" 2>&1 &
  SERVER_PID=$!
  # Alone, it takes tunnels once it has declared itself the cluster's master
  # (after cluster_hb_timeout without a master's heartbeat).
  for _ in $(seq 300); do
    grep -q "declaring myself the master" "$WORK/l2tpns.log" && break
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "FAIL: l2tpns did not start"; cat "$WORK/l2tpns.out" "$WORK/l2tpns.log"; exit 1
  fi
  sleep 0.5
}
l2tpns_down() {
  stop_pid "$RADIUS_PID"
  RADIUS_PID=""
  in_ns "$NS_SV" sysctl -qw net.ipv4.ip_forward=0
  ip -n "$NS_SV" addr flush dev "$C1"
  ip -n "$NS_SV" addr flush dev "$S1"
  ip -n "$NS_SV" neigh flush dev "$S1" 2>/dev/null
}

# ---- ninet: ctld.
ninet_up() {
  cat >"$WORK/ctld.conf" <<EOF
stack 0
ipifc/clone bind ether $NINET_MEDIUM$C1
. add $SERVER_IP 255.255.255.0
. iprouting 1
ipifc/clone bind pipex
. add 10.81.0.1 255.255.255.255
. iprouting 1
ipifc/clone bind ether $NINET_MEDIUM$S1
. add 10.81.2.1 255.255.255.0
. iprouting 1
arp add ether $SINK $(echo $SINK_MAC | tr -d :)
EOF
  case $PROTO in l2tp) tflag=-l ;; pppoe) tflag="-e $C1" ;; esac
  # shellcheck disable=SC2086
  NINET_MEDIUM_STATS=1 nice -n "$NICE" ip netns exec "$NS_SV" "$CTLD" -c "$WORK/ctld.conf" $tflag \
    -a 10.81.0.1 -r $POOL -n >"$WORK/ctld.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 100); do
    grep -q '^ready' "$WORK/ctld.log" && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "FAIL: ctld did not start"; cat "$WORK/ctld.log"; exit 1
}

# gen_up N: session_gen in the client namespace with N sessions; waits for
# them (at most 15 min) and sets UP, FIRST.
gen_up() {
  rm -f "$WORK/gen.in"
  mkfifo "$WORK/gen.in"
  case $PROTO in
    l2tp) args="l2tp $C0 $C1_MAC $CLIENT_IP $SERVER_IP $1" ;;
    pppoe) args="pppoe $C0 $1" ;;
  esac
  case $MODE in ninet) user=client pass=secret123 ;; *) user=u%d pass=any ;; esac
  # shellcheck disable=SC2086
  nice -n "$NICE" ip netns exec "$NS_C" "$GEN" $args -u "$user" -p "$pass" -w 900 -P "${PARALLEL:-1024}" \
    <"$WORK/gen.in" >"$WORK/gen.out" 2>"$WORK/gen.err" &
  GEN_PID=$!
  exec 3>"$WORK/gen.in"
  for _ in $(seq 9100); do
    grep -q '^up ' "$WORK/gen.out" && break
    kill -0 "$GEN_PID" 2>/dev/null || break
    sleep 0.1
  done
  line=$(grep '^up ' "$WORK/gen.out")
  [ -n "$line" ] || { echo "FAIL: $MODE: session_gen $args brought no sessions up"; tail "$WORK/gen.err"; exit 1; }
  echo "  $MODE run $RUN: $line"
  UP=$(echo "$line" | awk '{ print $2 }')
  FIRST=$(echo "$line" | awk '{ print $11 }')
  [ "$UP" -gt 0 ] || { echo "FAIL: $MODE: no session up"; tail "$WORK/gen.err" "$WORK/ctld.log" "$WORK/l2tpns.log" 2>/dev/null; exit 1; }
  [ "$UP" = "$1" ] || echo "  WARNING: $MODE: $UP of $1 sessions up; measured with $UP"
}

rx() { in_ns "$1" cat "/sys/class/net/$2/statistics/rx_packets"; }
server_ns() { cat /proc/"$SERVER_PID"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f", s }'; }
# "TID NS" of each of the server's threads.
thread_ns() {
  for t in /proc/"$SERVER_PID"/task/*; do echo "${t##*/} $(cut -d' ' -f1 "$t/schedstat" 2>/dev/null)"; done
}
# CPU nanoseconds of the kernel's ksoftirqd threads: softirq work (veth
# receive, IP forwarding) that ran in none of the processes measured.
softirqd_ns() {
  for p in $(pgrep -x "ksoftirqd/[0-9]*"); do cat "/proc/$p/schedstat"; done 2>/dev/null |
    awk '{ s += $1 } END { printf "%.0f", s }'
}
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "-" }'; }

# one MODE N SIZE DIR: appends "mode n size dir run offered fwd loss srvcpu pps/core cyc cyc_all".
one() {
  case $4 in up) far_ns=$NS_SK far=$S0 ;; down) far_ns=$NS_C far=$C0 ;; esac
  r0=$(rx "$far_ns" "$far")
  c0=$(server_ns)
  k0=$(softirqd_ns)
  thread_ns >"$WORK/threads0"
  if [ -n "${PERF:-}" ] && [ "$RUN" = 1 ] && [ "$3" = "${SIZES%% *}" ] && [ "$2" = "$NMAX" ]; then
    perf record -q -a -g -F 999 -o "$WORK/perf.data" -- sleep "$SECS" >/dev/null 2>&1 &
    PERF_PID=$!
  fi
  if [ "$4" = up ]; then
    n0=$(grep -c '^sent ' "$WORK/gen.out")
    echo "send $3 $RATE $SECS $SINK" >&3
    for _ in $(seq $((SECS * 10 + 100))); do
      [ "$(grep -c '^sent ' "$WORK/gen.out")" -gt "$n0" ] && break
      sleep 0.1
    done
    out=$(grep '^sent ' "$WORK/gen.out" | tail -1)
  else
    [ -n "${COUNT:-}" ] && echo "count 1" >&3
    out=$(in_ns "$NS_SK" nice -n "$NICE" "$GEN" plain "$S0" "$S1_MAC" $SINK_SRC "$FIRST" "$UP" "$3" "$RATE" "$SECS")
  fi
  if [ -n "${PERF_PID:-}" ]; then
    wait "$PERF_PID"
    PERF_PID=""
    {
      perf report -i "$WORK/perf.data" --no-children -g none --sort comm --stdio 2>/dev/null | grep "%" | head -12
      perf report -i "$WORK/perf.data" --no-children -g none --comms ctld,l2tpns,session_gen \
        --sort comm,dso,sym --stdio 2>/dev/null | grep "%" | head -70
    } >"$OLDPWD_RUN/perf-pipex-$1-$4-$2.txt"
  fi
  sleep 0.3 # what is still queued in the server
  if [ -n "${COUNT:-}" ] && [ "$4" = down ]; then
    echo "count 0" >&3
    echo stats >&3
    sleep 0.2
    echo "    session_gen counted: $(grep '^stats' "$WORK/gen.out" | tail -1)"
  fi
  r1=$(rx "$far_ns" "$far")
  c1=$(server_ns)
  k1=$(softirqd_ns)
  thread_ns >"$WORK/threads1"
  # The server's busiest threads (CPU seconds per second): ctld's engine
  # first, then its control threads (which see no data frames).
  busiest=$(awk -v el="$SECS" 'NR == FNR { a[$1] = $2; next } { if ($1 in a) printf "%.2f\n", ($2 - a[$1]) / 1e9 / el }' \
    "$WORK/threads0" "$WORK/threads1" | sort -rn | head -3 | tr '\n' ' ')
  top=${busiest%% *}
  echo "$out" | awk -v top="${top:-0}" -v m="$1" -v n="$2" -v size="$3" -v dir="$4" -v run="$RUN" -v fwd=$((r1 - r0)) \
    -v sc=$((c1 - c0)) -v kc=$((k1 - k0)) -v mhz="$TSC_MHZ" '{
      sent = $2; el = $4; gen = $8 + $10; srv = sc / 1e9
      loss = (sent > 0 ? 100 * (1 - fwd / sent) : 0); if (loss < 0) loss = 0
      printf "%s %s %s %s %s %.0f %.0f %.2f %.3f %.0f %.0f %.0f %.3f %.0f\n", m, n, size, dir, run, sent / el,
        fwd / el, loss, srv / el, (srv > 0 ? fwd / srv : 0), (fwd > 0 ? srv * mhz * 1e6 / fwd : 0),
        (fwd > 0 ? (srv + gen) * mhz * 1e6 / fwd : 0), kc / 1e9 / el, (top > 0 ? fwd / el / top : 0)
    }' >>"$WORK/results"
  tail -1 "$WORK/results" | awk -v b="$busiest" '{ printf "    %-6s %6s sessions %4s B %-4s: offered %8d pps  forwarded %8d pps  loss %6.2f%%  server cpu %.2f  %8d pps/core  %6d cyc/pkt (all %d)  ksoftirqd cpu %.2f  busiest threads %s\n", $1, $2, $3, $4, $6, $7, $8, $9, $10, $11, $12, $13, b }'
}

NMAX=$(for n in $SESSIONS; do echo "$n"; done | sort -n | tail -1)
: >"$WORK/results"
echo "== pipex_e2e ($PROTO): $RUNS runs x modes ($MODES) x sessions ($SESSIONS) x sizes ($SIZES) x ($DIRS), ${SECS}s each, rate ${RATE:-0}"
echo "   $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2), $(nproc) cpus, TSC $TSC_MHZ MHz, $(uname -r)"
echo "   load average before: $(cut -d' ' -f1-3 /proc/loadavg); commit $(git rev-parse --short HEAD 2>/dev/null); l2tpns $(dpkg-query -W -f '${Version}' l2tpns 2>/dev/null)"
for n in $SESSIONS; do
  for run in $(seq "$RUNS"); do
    for mode in $MODES; do
      MODE=$mode RUN=$run
      case $mode in
        ninet) ninet_up ;;
        l2tpns) l2tpns_up ;;
        *) echo "FAIL: unknown mode $mode"; exit 1 ;;
      esac
      gen_up "$n"
      for size in $SIZES; do
        for dir in $DIRS; do
          one "$mode" "$n" "$size" "$dir"
        done
      done
      echo stats >&3
      sleep 0.2
      echo "    session_gen: $(grep '^stats' "$WORK/gen.out" | tail -1)"
      stop_all
      [ "$mode" = l2tpns ] && l2tpns_down
      [ "$mode" = ninet ] && grep -E "^ninet: " "$WORK/ctld.log" | sed "s/^/    /" | head -4
    done
  done
done
echo "   load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== medians over $RUNS runs"
printf '%-7s %8s %5s %-5s %10s %10s %7s %8s %10s %8s %8s %8s %10s\n' mode sessions size dir offered forwarded loss% srv_cpu pps/core cyc/pkt cyc_all softirqd pps/top
for n in $SESSIONS; do
  for size in $SIZES; do
    for dir in $DIRS; do
      for mode in $MODES; do
        sel() { awk -v m="$mode" -v n="$n" -v s="$size" -v d="$dir" -v c="$1" \
          '$1 == m && $2 == n && $3 == s && $4 == d { print $c }' "$WORK/results" | median; }
        printf '%-7s %8s %5s %-5s %10s %10s %7s %8s %10s %8s %8s %8s %10s\n' "$mode" "$n" "$size" "$dir" \
          "$(sel 6)" "$(sel 7)" "$(sel 8)" "$(sel 9)" "$(sel 10)" "$(sel 11)" "$(sel 12)" "$(sel 13)" "$(sel 14)"
      done
    done
  done
done | tee "$WORK/medians"
echo "== ratios ninet/l2tpns (medians): forwarded pps, per server CPU second, per busiest thread's CPU second"
awk '{ k = $2 " " $3 " " $4; if ($1 == "ninet") { f[k] = $6; p[k] = $9; t[k] = $13 }
    else if ($1 == "l2tpns") { lf[k] = $6; lp[k] = $9; lt[k] = $13 } }
  END { for (k in f) if ((k in lf) && lf[k] > 0 && lp[k] > 0 && lt[k] > 0)
    printf "%s: forwarded %.2f  pps/core %.2f  pps/top %.2f\n", k, f[k] / lf[k], p[k] / lp[k], t[k] / lt[k] }' "$WORK/medians" | sort -n
exit 0
