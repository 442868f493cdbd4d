#!/bin/sh
# Large TCP segments and checksum offload with Linux (issue 6, point 3).
# Two media: `bind ether afpacket:` on a veth whose Linux end keeps its
# offloads (TSO, checksum: the defaults), and `bind ether tap:` on a TAP
# that ninetd makes inside the peer's namespace. For each, over IPv4 and
# IPv6: curl (Linux) downloads a file from ninet's httpd and ninet's hget one
# from Linux's python3 http.server, both intact (sha256); tcpdump on the Linux
# side must see TCP frames bigger than the 1500-byte MTU going each way
# (ninet's 64 KiB segments, and the kernel's TSO frames reaching ninet whole),
# (checksums are left partial on the way, so the data's sha256 is the check).
. "$(dirname "$0")/lib.sh"
need curl sha256sum timeout ss tcpdump ethtool
[ -x /usr/bin/python3 ] || { echo "SKIP: /usr/bin/python3 not installed"; exit 77; }
HTTPD=$BUILD/examples/httpd
HGET=$BUILD/examples/hget
for x in "$HTTPD" "$HGET"; do [ -x "$x" ] || { echo "FAIL: $x not built"; exit 1; }; done
SIZE=${SIZE:-20971520}
head -c "$SIZE" /dev/urandom > "$WORK/ninet.bin"
head -c "$SIZE" /dev/urandom > "$WORK/linux.bin"
mkdir -p "$WORK/www" "$WORK/lx"
ln "$WORK/ninet.bin" "$WORK/www/big.bin"
ln "$WORK/linux.bin" "$WORK/lx/big.bin"
want_ninet=$(sha256sum < "$WORK/ninet.bin" | cut -d' ' -f1)
want_linux=$(sha256sum < "$WORK/linux.bin" | cut -d' ' -f1)
SERVERS=""

same_sha() {
  got=$(sha256sum < "$2" | cut -d' ' -f1)
  if [ "$got" = "$3" ]; then echo "PASS: $1"; else
    echo "FAIL: $1: sha256 $got, want $3 ($(wc -c < "$2") bytes)"
    FAILS=$((FAILS + 1))
  fi
}

# big_frames NAME: counts the TCP frames longer than 1514 bytes in the
# capture $WORK/cap-NAME.txt (tcpdump -e lines: "length N:").
big_frames() {
  awk '/ length [0-9]+:/ { for (i = 1; i < NF; i++) if ($i == "length") { n = $(i + 1); sub(":", "", n); if (n + 0 > 1514) c++ } } END { print c + 0 }' "$WORK/cap-$1.txt"
}

# run_case NAME NS DEV LINUX4 LINUX6 NINET4 NINET6: the transfers and the
# captures for one medium; ninetd is running.
run_case() {
  name=$1 ns=$2 dev=$3 l4=$4 l6=$5 n4=$6 n6=$7
  timeout 100 "$HTTPD" -d "$WORK/www" 'tcp!*!8080' > "$WORK/httpd-$name.out" 2>&1 &
  HP=$!
  ip netns exec "$ns" timeout 100 /usr/bin/python3 -m http.server -d "$WORK/lx" -b "$l4" 8000 \
    > "$WORK/py4-$name.log" 2>&1 &
  SERVERS="$SERVERS $!"
  ip netns exec "$ns" timeout 100 /usr/bin/python3 -m http.server -d "$WORK/lx" -b "$l6" 8001 \
    > "$WORK/py6-$name.log" 2>&1 &
  SERVERS="$SERVERS $!"
  wait_for serving "$WORK/httpd-$name.out"
  for _ in $(seq 100); do
    [ "$(ip netns exec "$ns" ss -ltnH 2>/dev/null | grep -c ':800[01] ')" = 2 ] && break
    sleep 0.1
  done
  # Frame sizes only (-s 96: headers), inbound and outbound separately.
  ip netns exec "$ns" timeout 90 tcpdump -nn -e -s 96 -Q in -i "$dev" tcp > "$WORK/cap-$name-in.txt" 2>/dev/null &
  TIN=$!
  ip netns exec "$ns" timeout 90 tcpdump -nn -e -s 96 -Q out -i "$dev" tcp > "$WORK/cap-$name-out.txt" 2>/dev/null &
  TOUT=$!
  sleep 1
  for host in "$n4" "[$n6]"; do
    rm -f "$WORK/got"
    ip netns exec "$ns" timeout 60 curl -g -sS -o "$WORK/got" "http://$host:8080/big.bin"
    same_sha "$name: curl downloads $SIZE bytes from ninet's httpd intact ($host)" "$WORK/got" "$want_ninet"
  done
  for url in "http://$l4:8000" "http://[$l6]:8001"; do
    rm -f "$WORK/got"
    timeout 60 "$HGET" "$url/big.bin" > "$WORK/got" 2> "$WORK/hget.err"
    same_sha "$name: hget downloads $SIZE bytes from Linux intact ($url)" "$WORK/got" "$want_linux"
  done
  sleep 0.5
  kill "$TIN" "$TOUT" "$HP" 2>/dev/null
  wait "$TIN" "$TOUT" "$HP" 2>/dev/null
  for p in $SERVERS; do kill "$p" 2>/dev/null; done
  SERVERS=""
  bin=$(big_frames "$name-in")
  bout=$(big_frames "$name-out")
  contains "$name: ninet sends Linux TCP segments bigger than the MTU ($bin frames)" "^[1-9]" "$bin"
  contains "$name: Linux's TSO frames go to ninet whole ($bout frames)" "^[1-9]" "$bout"
}

# --- AF_PACKET on a veth whose Linux end keeps TSO and checksum offload
peer_ns A
veth_to A 10.97.0.1/24 fd97::1/64
ip netns exec "$NS_A" ethtool -K eth0 tx on tso on gso on >/dev/null 2>&1
ninetd_start "stack 0 $MNT
ipifc/clone bind ether afpacket:$HOST_A
. add 10.97.0.2 255.255.255.0
. add6 fd97::2 64"
export NINET_NET=$MNT
run_case afpacket "$NS_A" eth0 10.97.0.1 fd97::1 10.97.0.2 fd97::2
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=""
for _ in $(seq 50); do grep -q "$MNT" /proc/mounts || break; sleep 0.1; done

# --- TAP made by ninetd inside namespace T (its kernel side there)
peer_ns T
TAP=ntap$ID
printf '%s\n' "stack 0 $MNT
ipifc/clone bind ether tap:$TAP
. add 10.98.0.2 255.255.255.0
. add6 fd98::2 64" > "$WORK/tap.conf"
# nsenter, not `ip netns exec`: that one makes a mount namespace of its own,
# where the FUSE mount would stay.
nsenter --net="/run/netns/$NS_T" "$NINETD" -c "$WORK/tap.conf" > "$WORK/ninetd.log" 2>&1 &
DAEMON_PID=$!
for _ in $(seq 100); do [ -e "$MNT/ipifc/clone" ] && ip -n "$NS_T" link show "$TAP" >/dev/null 2>&1 && break; sleep 0.1; done
ip -n "$NS_T" addr add 10.98.0.1/24 dev "$TAP"
ip -n "$NS_T" addr add fd98::1/64 dev "$TAP" nodad
ip -n "$NS_T" link set "$TAP" up
contains "tap: the kernel side offers TSO" "tcp-segmentation-offload: on" \
  "$(ip netns exec "$NS_T" ethtool -k "$TAP" 2>&1)"
run_case tap "$NS_T" "$TAP" 10.98.0.1 fd98::1 10.98.0.2 fd98::2
finish
