#!/bin/sh
# Bulk TCP both ways with Linux's iperf3 (issue 6 point 7): examples/iperf3d
# on ninet speaks iperf3's control protocol through the dial library; the
# iperf3 client in a Linux namespace runs a forward test, a reverse (-R)
# test and two parallel streams (-P 2) over IPv6, and each completes with
# bytes counted on both sides.
. "$(dirname "$0")/lib.sh"
need iperf3 timeout
IPERF3D=$BUILD/examples/iperf3d
[ -x "$IPERF3D" ] || { echo "FAIL: $IPERF3D not built"; exit 1; }

peer_ns A
veth_to A 10.90.0.1/24 fd90::1/64
ninetd_start "stack 0 $MNT
ipifc/clone bind ether $HOST_A
. add 10.90.0.2 255.255.255.0
. add6 fd90::2 64"
NINET_NET=$MNT timeout 100 "$IPERF3D" 'tcp!*!5201' > "$WORK/srv.out" 2>&1 &
wait_for listening "$WORK/srv.out"

no_error() {
  if printf '%s' "$1" | grep -q 'iperf3: error'; then
    echo "FAIL:   with an error"; printf '%s\n' "$1" | grep 'iperf3: error'; FAILS=$((FAILS + 1))
  else echo "PASS:   without errors"; fi
}
run() {
  out=$(ip netns exec "$NS_A" timeout 30 iperf3 "$@" 2>&1)
  echo "$out" | grep -E "sender|receiver" | sed 's/^/  /'
  echo "$out"
}
out=$(run -c 10.90.0.2 -t 2)
contains "iperf3 Linux -> ninet completes" "receiver" "$out"
no_error "$out"
out=$(run -c 10.90.0.2 -t 2 -R)
contains "iperf3 -R (ninet -> Linux) completes" "receiver" "$out"
no_error "$out"
out=$(run -c fd90::2 -t 2 -P 2)
contains "iperf3 -P 2 over IPv6 completes" "SUM.*receiver" "$out"
no_error "$out"
srv=$(cat "$WORK/srv.out")
contains "ninet counted what it received" "received [1-9][0-9]* bytes" "$srv"
contains "ninet counted what it sent" "sent [1-9][0-9]* bytes" "$srv"
finish
