# lib.sh — shared setup for ninet's interop tests against the Linux kernel.
#
# Every test makes its own network namespaces and veth/TAP/TUN devices with
# names unique to this run (the shell's pid), starts its own ninetd with a
# configuration of its own, and removes all of it on exit, whatever happens.
# Traffic goes only between ninet and namespaces the test made.
#
#   . "$(dirname "$0")/lib.sh"
#   peer_ns A                      # makes netns $NS_A
#   veth_to A 10.9.0.1/24 fd09::1/64    # veth: host end $HOST_A (for ninet), peer end in $NS_A
#   ninetd_start "stack 0 $MNT ..."     # config text; waits for the mount
#   expect "ping from Linux" ip netns exec $NS_A ping -c 2 -W 2 10.9.0.2
#   finish

set -u
BUILD=${BUILD:-$(cd "$(dirname "$0")/../.." && pwd)/build}
NINETD=$BUILD/cmd/ninetd
NINET=$BUILD/cmd/ninet
ID=$$
WORK=$(mktemp -d /tmp/ninet-test-$ID.XXXX)
MNT=$WORK/net
FAILS=0
NAMESPACES=""
LINKS=""
DAEMON_PID=""

cleanup() {
  if [ -n "$DAEMON_PID" ]; then
    kill -TERM "$DAEMON_PID" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$DAEMON_PID" 2>/dev/null
  fi
  for m in $(grep -o "$WORK[^ ]*" /proc/mounts 2>/dev/null); do umount -l "$m" 2>/dev/null; done
  for l in $LINKS; do ip link del "$l" 2>/dev/null; done
  for n in $NAMESPACES; do ip netns del "$n" 2>/dev/null; done
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

need() {
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || { echo "SKIP: $c not installed"; exit 77; }
  done
}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
[ -x "$NINETD" ] || { echo "FAIL: $NINETD not built"; exit 1; }

# peer_ns X: a namespace named ninet-$ID-X in $NS_X, with lo up.
peer_ns() {
  n=ninet-$ID-$1
  ip netns add "$n"
  NAMESPACES="$NAMESPACES $n"
  ip -n "$n" link set lo up
  eval "NS_$1=$n"
}

# veth_to X ADDR4 [ADDR6]: a veth pair; the host end nt$ID$X (for ninet, no
# addresses, IPv6 off so the host kernel stays silent), the other end eth0
# in $NS_X with the given addresses.
veth_to() {
  h=nt$ID$1
  ns=$(eval echo "\$NS_$1")
  ip link add "$h" type veth peer name "p$h"
  LINKS="$LINKS $h"
  sysctl -qw "net.ipv6.conf.$h.disable_ipv6=1"
  ip link set "p$h" netns "$ns"
  ip -n "$ns" link set "p$h" name eth0
  ip -n "$ns" addr add "$2" dev eth0
  if [ $# -ge 3 ]; then ip -n "$ns" addr add "$3" dev eth0 nodad; fi
  # Linux leaves TCP/UDP checksums to the "hardware" on a veth; frames that
  # ninet forwards would reach the other namespace with them unfinished.
  ip netns exec "$ns" ethtool -K eth0 tx off >/dev/null 2>&1 || true
  ip link set "$h" up
  ip -n "$ns" link set eth0 up
  eval "HOST_$1=$h"
}

# ninetd_start CONFIG-TEXT: starts ninetd and waits until every mountpoint
# named in the config shows a tree.
ninetd_start() {
  printf '%s\n' "$1" > "$WORK/ninetd.conf"
  "$NINETD" -c "$WORK/ninetd.conf" > "$WORK/ninetd.log" 2>&1 &
  DAEMON_PID=$!
  for mp in $(awk '$1 == "stack" && NF >= 3 {print $3}' "$WORK/ninetd.conf"); do
    for _ in $(seq 100); do
      [ -e "$mp/ipifc/clone" ] && break
      kill -0 "$DAEMON_PID" 2>/dev/null || break
      sleep 0.1
    done
    if [ ! -e "$mp/ipifc/clone" ]; then
      echo "FAIL: ninetd did not mount $mp"; cat "$WORK/ninetd.log"; exit 1
    fi
  done
}

# wait_for PATTERN FILE [SECONDS]: waits (up to SECONDS, default 5) until
# FILE holds a line matching PATTERN (grep -E), as a server started in the
# background prints its banner.
wait_for() {
  for _ in $(seq $((${3:-5} * 10))); do
    grep -Eq -- "$1" "$2" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# expect DESCRIPTION COMMAND...: runs COMMAND, reports PASS/FAIL.
expect() {
  d=$1; shift
  if out=$("$@" 2>&1); then
    echo "PASS: $d"
  else
    echo "FAIL: $d"; echo "  command: $*"; echo "$out" | sed 's/^/  | /' | tail -20
    FAILS=$((FAILS + 1))
  fi
}

# expect_fail DESCRIPTION COMMAND...: COMMAND must fail.
expect_fail() {
  d=$1; shift
  if out=$("$@" 2>&1); then
    echo "FAIL: $d (succeeded)"; echo "$out" | sed 's/^/  | /' | tail -10
    FAILS=$((FAILS + 1))
  else
    echo "PASS: $d"
  fi
}

# contains DESCRIPTION PATTERN FILE-OR-TEXT: grep -E in the text.
contains() {
  if printf '%s' "$3" | grep -Eq -- "$2"; then
    echo "PASS: $1"
  else
    echo "FAIL: $1: /$2/ not in:"; printf '%s\n' "$3" | sed 's/^/  | /' | tail -20
    FAILS=$((FAILS + 1))
  fi
}

# empty DESCRIPTION TEXT: TEXT must be empty.
empty() {
  if [ -z "$2" ]; then
    echo "PASS: $1"
  else
    echo "FAIL: $1: expected nothing, got:"; printf '%s\n' "$2" | sed 's/^/  | /' | tail -10
    FAILS=$((FAILS + 1))
  fi
}

finish() {
  if [ "$DAEMON_PID" ] && ! kill -0 "$DAEMON_PID" 2>/dev/null; then
    echo "FAIL: ninetd died"; cat "$WORK/ninetd.log"; FAILS=$((FAILS + 1))
  fi
  if [ "$FAILS" -ne 0 ]; then
    echo "--- ninetd log"; tail -30 "$WORK/ninetd.log"
    exit 1
  fi
  exit 0
}
