#!/bin/sh
# e2e.sh PROTO — pipex end to end with the real Linux kernel (issue 7, point
# 6), for PROTO pppoe, l2tp or pptp (tests/interop/pipex_PROTO.sh run it).
#
#   VM (peers: pppd client) --TAP-- ctld (one ninet stack, pipex) --veth-- host
#   10.70.0.2, ppp 10.64.0.N        10.70.0.1 | 10.64.0.1 | 10.71.0.1     10.71.0.2
#
# ctld (tests/pipex/ctld.cc) answers the tunnel's control protocol and PPP
# (LCP, MS-CHAPv2, IPCP, CCP) and registers each session with pipex; from
# then on the session's IP goes through ninet's pipex data path. The VM's
# client (pppd with rp-pppoe, xl2tpd + pppd, pptp + pppd) brings up three
# sessions in turn:
#   mppe   MPPE-128 stateless: pings both ways, 1 MB TCP each way (sha256
#          compared), statistics at the session's end at least what was sent
#   plain  the same without MPPE
#   idle   a 4 s idle timeout, no traffic: pipex puts the session on its
#          closed list, ctld ends it, and the client's pppd sees it end
# Everything runs in two namespaces this test makes (the TAP and ctld in one,
# the host behind ninet in the other); the VM and ctld exchange flag files
# through a shared directory (virtio-9p) to take turns.
. "$(dirname "$0")/../interop/lib.sh"
PROTO=${1:?usage: e2e.sh pppoe|l2tp|pptp}
PEERS=${PEERS:-$(cd "$(dirname "$0")/../../.." && pwd)/shared/peers}
CACHE=${PEERS_CACHE:-/var/cache/ip-peers}
CTLD=$BUILD/tests/ctld
need nc sha256sum
if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
  echo "SKIP: the peers VM cannot run: qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)"
  exit 77
fi
if [ ! -x "$PEERS/run-guest.sh" ] || [ ! -s "$CACHE/initrd.img" ]; then
  echo "SKIP: the peers VM cannot run: no guest at $CACHE (build it with $PEERS/build-guest.sh)"
  exit 77
fi
[ -x "$CTLD" ] || { echo "FAIL: $CTLD not built"; exit 1; }

# The namespaces' processes (qemu, ctld, nc) go with them.
kill_ns_procs() {
  for n in $NAMESPACES; do
    for p in $(ip netns pids "$n" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
  done
}
# E2E_KEEP=DIR keeps ctld's and the guest's logs there.
trap 'kill_ns_procs; [ -n "${E2E_KEEP:-}" ] && cp "$WORK"/*.log "$E2E_KEEP"/; cleanup' EXIT
trap 'exit 1' INT TERM # (lib.sh's trap would clean up and go on)

peer_ns D # ctld and the TAP toward the VM
peer_ns H # the Linux host behind ninet
TAP=nt${ID}v
HV=nt${ID}h
SHARE=$WORK/share
mkdir -p "$SHARE"
ip -n "$NS_D" tuntap add dev "$TAP" mode tap
ip netns exec "$NS_D" sysctl -qw "net.ipv6.conf.$TAP.disable_ipv6=1"
ip -n "$NS_D" link set "$TAP" up
ip -n "$NS_D" link add "$HV" type veth peer name eth0 netns "$NS_H"
ip netns exec "$NS_D" sysctl -qw "net.ipv6.conf.$HV.disable_ipv6=1"
ip -n "$NS_D" link set "$HV" up
ip -n "$NS_H" addr add 10.71.0.2/24 dev eth0
ip netns exec "$NS_H" ethtool -K eth0 tx off >/dev/null 2>&1 || true
ip -n "$NS_H" link set eth0 up
ip -n "$NS_H" route add 10.64.0.0/24 via 10.71.0.1

cat > "$WORK/ctld.conf" <<EOF
stack 0
ipifc/clone bind ether $TAP
. add 10.70.0.1 255.255.255.0
. iprouting 1
ipifc/clone bind pipex
. add 10.64.0.1 255.255.255.255
. iprouting 1
ipifc/clone bind ether afpacket:$HV
. add 10.71.0.1 255.255.255.0
. iprouting 1
EOF
mkfifo "$WORK/cmd"
case $PROTO in
  pppoe) tflag="-e $TAP" ;;
  l2tp) tflag=-l ;;
  pptp) tflag=-t ;;
  *) echo "FAIL: unknown protocol $PROTO"; exit 1 ;;
esac
# shellcheck disable=SC2086
ip netns exec "$NS_D" "$CTLD" -c "$WORK/ctld.conf" $tflag -a 10.64.0.1 -r 10.64.0.2 \
  -f "$WORK/cmd" > "$WORK/ctld.log" 2>&1 &
DAEMON_PID=$!
if ! wait_for '^ready' "$WORK/ctld.log" 10; then
  if grep -q "no gre directory" "$WORK/ctld.log"; then
    echo "SKIP: PPTP needs ninet's gre directory (src/proto/gre), which this build lacks"; exit 77
  fi
  echo "FAIL: ctld did not start"; cat "$WORK/ctld.log"; exit 1
fi
exec 3<>"$WORK/cmd" # held open: ctld reads commands from it

# The guest's job. connect NAME MPPE-OPTION starts the client in the
# background (its pid in $CLIENT); disconnect NAME ends it.
opts='user client noauth novj lcp-echo-interval 0 defaultroute debug mru 1400 mtu 1400'
case $PROTO in
  pppoe) client="
connect() { pppd plugin rp-pppoe.so nic-eth0 $opts nodetach \$2 logfile /tmp/ppp.\$1.log >/dev/null 2>&1 & CLIENT=\$!; }
disconnect() { kill \$CLIENT; }" ;;
  l2tp) client="
mkdir -p /var/run/xl2tpd
printf '[global]\\nport = 1701\\n' > /tmp/lac.conf
for n in mppe plain idle; do printf '[lac %s]\\nlns = 10.70.0.1\\npppoptfile = /tmp/%s.opt\\n' \$n \$n >> /tmp/lac.conf; done
xl2tpd -D -c /tmp/lac.conf -p /run/lac.pid -C /var/run/xl2tpd/l2tp-control > /tmp/lac.log 2>&1 &
sleep 0.5
connect() { echo \"$opts \$2 logfile /tmp/ppp.\$1.log\" > /tmp/\$1.opt; echo \"c \$1\" > /var/run/xl2tpd/l2tp-control; }
disconnect() { echo \"d \$1\" > /var/run/xl2tpd/l2tp-control; }" ;;
  pptp) client="
connect() { pptp 10.70.0.1 $opts nodetach \$2 logfile /tmp/ppp.\$1.log >/dev/null 2>&1 & CLIENT=\$!; }
disconnect() { kill \$CLIENT; }" ;;
esac
cat > "$WORK/job.sh" <<EOF
S=/mnt/host
r() { echo "R \$*"; }
waitfile() { i=0; while [ ! -e \$S/\$1 ]; do i=\$((i + 1)); [ \$i -gt \$2 ] && return 1; sleep 0.2; done; }
up() { i=0; until ip -4 -o addr show dev ppp0 2>/dev/null | grep -q inet && ip route show default | grep -q ppp0; do
  i=\$((i + 1)); [ \$i -gt 150 ] && return 1; [ -z "\$CLIENT" ] || kill -0 \$CLIENT 2>/dev/null || return 1
  sleep 0.2; done; }
gone() { i=0; while ip link show ppp0 >/dev/null 2>&1; do i=\$((i + 1)); [ \$i -gt \$1 ] && return 1; sleep 0.2; done; }
printf 'client * secret123 *\n' > /etc/ppp/chap-secrets
$client
traffic() {
  ping -c 10 -i 0.1 -W 3 10.71.0.2 > /dev/null && r \$1 ping-host ok
  ping -c 5 -i 0.1 -W 3 10.64.0.1 > /dev/null && r \$1 ping-ours ok
  head -c 1000000 /dev/urandom > /tmp/up
  r \$1 up-sum \$(sha256sum < /tmp/up | cut -c1-64)
  timeout 60 nc -N 10.71.0.2 5001 < /tmp/up && r \$1 upload done
  timeout 60 nc -d 10.71.0.2 5002 > /tmp/down
  r \$1 down-sum \$(sha256sum < /tmp/down | cut -c1-64)
}
session() { # NAME PPPD-OPTION
  waitfile \$1.go 300 || { r \$1 no-go; return; }
  connect \$1 \$2
  if ! up; then r \$1 no-ppp0; tail -20 /tmp/ppp.\$1.log; return; fi
  r \$1 up \$(ip -4 -o addr show dev ppp0 | awk '{print \$4}')
  grep -q 'MPPE 128-bit stateless' /tmp/ppp.\$1.log && r \$1 mppe-on
  touch \$S/\$1.up
  [ \$1 = idle ] || traffic \$1
  r \$1 traffic-done
  if [ \$1 = idle ]; then
    gone 200 && r idle ended-by-server
  else
    waitfile \$1.done 300; disconnect \$1; gone 50 && r \$1 ended
  fi
  grep -E 'MPPE|Connection terminated|LCP terminated|CHAP|Terminating|Term|PADT' /tmp/ppp.\$1.log | sed 's/^/L /'
}
session mppe require-mppe-128
session plain nomppe
session idle nomppe
r all-done
EOF

# E2E_KEEP also keeps a capture of the VM's link (tap.pcap).
if [ -n "${E2E_KEEP:-}" ] && command -v tcpdump >/dev/null 2>&1; then
  ip netns exec "$NS_D" tcpdump -i "$TAP" -s 200 -U -w "$E2E_KEEP/tap.pcap" >/dev/null 2>&1 &
fi
"$PEERS/run-guest.sh" -n "$NS_D" -t "$TAP" -i 10.70.0.2/24 -s "$SHARE" -T 240 -f "$WORK/job.sh" \
  > "$WORK/guest.log" 2>&1 &
GUEST=$!

# stat NAME FIELD: a number from ctld's `down` line of the session NAME's ppp id.
field() { printf '%s\n' "$1" | sed -n "s/.* $2 \([0-9]*\).*/\1/p"; }

# One session from the host's side.
host_session() { # NAME PPP-ID MPPE(0/1) TIMEOUT
  name=$1 ppp=$2
  ip netns exec "$NS_H" sh -c "nc -l -p 5001 > $WORK/up.$name" &
  head -c 1000000 /dev/urandom > "$WORK/down.$name"
  ip netns exec "$NS_H" sh -c "nc -N -l -p 5002 < $WORK/down.$name" &
  echo "timeout $4" >&3
  touch "$SHARE/$name.go"
  if ! wait_for "^R $name (up|no-)" "$WORK/guest.log" 150; then
    echo "FAIL: $name: the VM's client did not come up"; FAILS=$((FAILS + 1)); return
  fi
  contains "$name: the client's ppp0 came up with the framed address" "^R $name up 10\.64\.0\.$((ppp + 1))( |/|$)" "$(cat "$WORK/guest.log")"
  up=$(grep "^up $PROTO .* ppp $ppp " "$WORK/ctld.log")
  contains "$name: ctld registered the session with pipex (MPPE $3)" " mppe $3 " "$up"
  if [ "$name" = idle ]; then
    wait_for "^down $PROTO .* ppp $ppp " "$WORK/ctld.log" 30
    contains "idle: pipex's idle timer put the session on the closed list" "^idle $PROTO .* ppp $ppp$" "$(cat "$WORK/ctld.log")"
    contains "idle: ctld closed it" "^down $PROTO .* ppp $ppp \(idle timeout\)" "$(cat "$WORK/ctld.log")"
    wait_for "^R idle (ended|traffic)" "$WORK/guest.log" 60
    wait_for "^R all-done" "$WORK/guest.log" 60
    g=$(cat "$WORK/guest.log")
    contains "idle: the client's pppd saw the session end" "^R idle ended-by-server" "$g"
    contains "idle: ... by ctld's LCP Terminate-Request" "^L .*LCP terminated by peer" "$g"
    return
  fi
  expect "$name: the host behind ninet pings the client through the session" \
    ip netns exec "$NS_H" ping -c 10 -i 0.1 -W 3 "10.64.0.$((ppp + 1))"
  wait_for "^R $name down-sum" "$WORK/guest.log" 120
  g=$(cat "$WORK/guest.log")
  if [ "$3" = 1 ]; then
    contains "$name: the client's pppd says MPPE 128-bit stateless" "^R $name mppe-on" "$g"
  else
    empty "$name: the client's pppd has no MPPE" "$(printf '%s\n' "$g" | grep "^R $name mppe-on")"
  fi
  contains "$name: the client pinged the host behind ninet" "^R $name ping-host ok" "$g"
  contains "$name: the client pinged ninet's PPP address" "^R $name ping-ours ok" "$g"
  sum=$(sha256sum < "$WORK/up.$name" | cut -c1-64)
  contains "$name: 1 MB client -> host arrived intact (TCP, sha256)" "^R $name up-sum $sum" "$g"
  sum=$(sha256sum < "$WORK/down.$name" | cut -c1-64)
  contains "$name: 1 MB host -> client arrived intact (TCP, sha256)" "^R $name down-sum $sum" "$g"
  echo stats >&3
  touch "$SHARE/$name.done"
  if ! wait_for "^down $PROTO .* ppp $ppp " "$WORK/ctld.log" 60; then
    echo "FAIL: $name: ctld saw no end of the session"; FAILS=$((FAILS + 1)); return
  fi
  down=$(grep "^down $PROTO .* ppp $ppp " "$WORK/ctld.log")
  echo "  $down"
  # Lower bounds of what went through pipex: in, 15 echo requests and 10
  # replies of 84 bytes, 1 MB in segments of at most 1460; out, as many
  # echoes and the other 1 MB. (ibytes count IP, obytes PPP: NOTES.md.)
  ip=$(field "$down" ipackets) ib=$(field "$down" ibytes)
  op=$(field "$down" opackets) ob=$(field "$down" obytes)
  min_p=$((25 + 1000000 / 1460)) min_b=$((1000000 + 25 * 84))
  if [ "${ip:-0}" -ge $min_p ] && [ "${ib:-0}" -ge $min_b ] && [ "${op:-0}" -ge $min_p ] &&
    [ "${ob:-0}" -ge $min_b ]; then
    echo "PASS: $name: the statistics count what was sent (>= $min_p packets, $min_b bytes each way)"
  else
    echo "FAIL: $name: statistics below what was sent (>= $min_p packets, $min_b bytes each way): $down"
    FAILS=$((FAILS + 1))
  fi
  contains "$name: no errors counted" "ierrors 0 .*oerrors 0 " "$down"
  contains "$name: the session ended as the client hung up" "^down $PROTO .*\((peer terminated|PADT|CDN|StopCCN)\)" "$down"
}

host_session mppe 1 1 0
host_session plain 2 0 0
host_session idle 3 0 4
wait "$GUEST"
rc=$?
[ $rc -eq 0 ] || { echo "FAIL: guest job exit $rc"; tail -40 "$WORK/guest.log"; FAILS=$((FAILS + 1)); }
echo "--- guest (R: the job's results, L: pppd's log)"; grep -E '^(R|L) ' "$WORK/guest.log" | tail -80
echo "--- ctld"; tail -40 "$WORK/ctld.log"
finish
