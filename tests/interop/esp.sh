#!/bin/sh
# ESP tunnels between ninet and the Linux kernel's xfrm (issue 8 point 2),
# for every cipher/MAC pair both offer: the peers VM (../shared/peers,
# Debian 12's kernel) has `ip xfrm state/policy` in tunnel mode from its
# inner address 10.99.K.2 to ninet's 10.99.K.1 over 10.70.0.2 <-> 10.70.0.1;
# ninet's side is two esp conversations per pair (in: connect 10.70.0.2!*,
# out: connect 10.70.0.2!SPI) driven through the FUSE-mounted tree by
# esp_responder.py, which answers the echo requests it reads decrypted on
# the incoming one with replies written on the outgoing one. The guest pings
# each 10.99.K.1: a reply proves Linux's encryption decrypted and verified
# by ninet and ninet's encryption decrypted and verified by Linux; esp/stats
# then shows no ICV failure and no replay. (Forged, replayed and truncated
# packets are counted drops in src/proto/esp_test.cc.)
. "$(dirname "$0")/lib.sh"
PEERS=${PEERS:-$(cd "$(dirname "$0")/../../.." && pwd)/shared/peers}
CACHE=${PEERS_CACHE:-/var/cache/ip-peers}
if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
  echo "SKIP: the peers VM cannot run: qemu-system-x86_64 is not installed"
  exit 77
fi
if [ ! -x "$PEERS/run-guest.sh" ] || [ ! -s "$CACHE/initrd.img" ]; then
  echo "SKIP: the peers VM cannot run: no guest at $CACHE (build it with $PEERS/build-guest.sh)"
  exit 77
fi

peer_ns A
TAP=nt${ID}e
ip -n "$NS_A" tuntap add dev "$TAP" mode tap
ip netns exec "$NS_A" sysctl -qw "net.ipv6.conf.$TAP.disable_ipv6=1"
ip -n "$NS_A" link set "$TAP" up

cat > "$WORK/ninetd.conf" <<EOF
stack 0 $MNT
ipifc/clone bind ether $TAP
. add 10.70.0.1 255.255.255.0
EOF
# ninetd and the responder share one `ip netns exec` (its own mount
# namespace, where the FUSE mount lives); the test reads the tree through
# nsenter into it.
# The pairs: ninet's name and key, Linux's name and key (the same bytes).
K16=000102030405060708090a0b0c0d0e0f
K20=0102030405060708090a0b0c0d0e0f1011121314
K8=0123456789abcdef
K24=0123456789abcdef1122334455667788aabbccddeeff0011
# K ESP(ninet) ESPKEY LINUX-ENC AH(ninet) AHKEY LINUX-AUTH
PAIRS=""
k=0
for enc in "null::ecb(cipher_null)" "des_56_cbc:$K8:cbc(des)" "des3_cbc:$K24:cbc(des3_ede)" \
           "aes_128_cbc:$K16:cbc(aes)" "aes_ctr:${K16}01020304:rfc3686(ctr(aes))"; do
  for auth in "null::digest_null" "hmac_sha1_96:$K20:hmac(sha1)" "hmac_md5_96:$K16:hmac(md5)" \
              "aes_xcbc_mac_96:$K16:xcbc(aes)"; do
    k=$((k + 1))
    PAIRS="$PAIRS $k|$enc|$auth"
  done
done

specs=""
for p in $PAIRS; do
  k=${p%%|*}; rest=${p#*|}; enc=${rest%%|*}; auth=${rest#*|}
  specs="$specs $k:$(echo "$enc" | cut -d: -f1-2):$(echo "$auth" | cut -d: -f1-2):$((4096 + k))"
done
RESPONDER=$(cd "$(dirname "$0")" && pwd)/esp_responder.py
ip netns exec "$NS_A" sh -c "
  '$NINETD' -c '$WORK/ninetd.conf' > '$WORK/ninetd.log' 2>&1 &
  echo \$! > '$WORK/ninetd.pid'
  for i in \$(seq 100); do [ -e '$MNT/esp/clone' ] && break; sleep 0.1; done
  exec /usr/bin/python3 '$RESPONDER' '$MNT' 10.70.0.2 '$WORK/spis' $specs" > "$WORK/responder.log" 2>&1 &
RESP_PID=$!
wait_for '^ready$' "$WORK/spis" 15 || {
  echo "FAIL: ninetd and the responder did not start"; cat "$WORK/ninetd.log" "$WORK/responder.log"
  DAEMON_PID=$(cat "$WORK/ninetd.pid" 2>/dev/null); kill $RESP_PID; exit 1
}
DAEMON_PID=$(cat "$WORK/ninetd.pid")

# The guest's job: one SA pair and policy pair per K, then the pings.
{
  echo "ip addr add 10.70.0.2/24 dev eth0; ip link set eth0 up"
  echo "ip route add 10.99.0.0/16 via 10.70.0.1"
  echo "r() { echo \"R \$*\"; }"
  for p in $PAIRS; do
    k=${p%%|*}; rest=${p#*|}; enc=${rest%%|*}; auth=${rest#*|}
    lenc=$(echo "$enc" | cut -d: -f3-); ekey=$(echo "$enc" | cut -d: -f2)
    lauth=$(echo "$auth" | cut -d: -f3-); akey=$(echo "$auth" | cut -d: -f2)
    in_spi=$(awk -v k="$k" '$1 == k {print $2}' "$WORK/spis")
    ek=${ekey:+0x$ekey}; ek=${ek:-\"\"}
    if [ "$lauth" = digest_null ]; then a="auth digest_null \"\""; else a="auth-trunc '$lauth' 0x$akey 96"; fi
    echo "ip addr add 10.99.$k.2/32 dev lo"
    # Linux -> ninet under the SPI ninet chose; ninet -> Linux under 4096 + K.
    echo "ip xfrm state add src 10.70.0.2 dst 10.70.0.1 proto esp spi $in_spi mode tunnel enc '$lenc' $ek $a || r $k state-refused"
    echo "ip xfrm state add src 10.70.0.1 dst 10.70.0.2 proto esp spi $((4096 + k)) mode tunnel enc '$lenc' $ek $a"
    echo "ip xfrm policy add src 10.99.$k.2/32 dst 10.99.$k.1/32 dir out tmpl src 10.70.0.2 dst 10.70.0.1 proto esp mode tunnel"
    echo "ip xfrm policy add src 10.99.$k.1/32 dst 10.99.$k.2/32 dir in tmpl src 10.70.0.1 dst 10.70.0.2 proto esp mode tunnel"
    echo "if ping -c 2 -i 0.3 -W 5 -I 10.99.$k.2 10.99.$k.1 >/dev/null 2>&1; then r $k ok; else r $k fail; fi"
  done
  echo "r done"
} > "$WORK/job.sh"

"$PEERS/run-guest.sh" -n "$NS_A" -t "$TAP" -T 240 -f "$WORK/job.sh" > "$WORK/guest.log" 2>&1
rc=$?
out=$(grep '^R ' "$WORK/guest.log")
[ $rc -eq 0 ] || { echo "guest job: exit $rc"; tail -30 "$WORK/guest.log"; }

for p in $PAIRS; do
  k=${p%%|*}; rest=${p#*|}; enc=${rest%%|*}; auth=${rest#*|}
  name="$(echo "$enc" | cut -d: -f1) / $(echo "$auth" | cut -d: -f1)"
  if printf '%s\n' "$out" | grep -q "^R $k state-refused"; then
    echo "SKIP: $name: Linux refuses the pair"
    continue
  fi
  contains "Linux pings ninet through ESP: $name" "^R $k ok$" "$out"
done
contains "ninet answered the first pair's requests" "^1 answered 10\.99\.1\.2 -> 10\.99\.1\.1" "$(cat "$WORK/responder.log")"
stats=$(nsenter -t "$RESP_PID" -m cat "$MNT/esp/stats")
contains "esp/stats: 40 packets in (2 pings x 20 pairs)" "^InPackets: 40$" "$stats"
contains "esp/stats: 40 packets out" "^OutPackets: 40$" "$stats"
contains "esp/stats: no ICV failures between honest peers" "^InAuthFail: 0$" "$stats"
contains "esp/stats: no replays between honest peers" "^InReplay: 0$" "$stats"
contains "the guest's job ran to its end" "^R done$" "$out"
kill $RESP_PID 2>/dev/null
finish
