#!/bin/sh
# ESP tunnels between ninet and the Linux kernel's xfrm (issue 8 point 2),
# for every cipher/MAC pair both offer. The peers VM (../shared/peers,
# Debian 12's kernel) has `ip xfrm state/policy` in tunnel mode from its
# inner address 10.99.K.2 to ninet's 10.99.K.1 over 10.70.0.2 <-> 10.70.0.1.
# ninet's side is built from the tree by esp_pump.py, as a user would: per
# pair, two esp conversations (in: connect 10.70.0.2!*, out: connect
# 10.70.0.2!SPI) and a `bind pkt` interface 10.99.K.1 -> 10.99.K.2, with
# packets pumped between them; so ninet's own ICMP and TCP answer and call
# through the tunnel. Per pair, both directions:
#   - the guest pings 10.99.K.1, ninet (`ninet ping`) pings 10.99.K.2;
#   - the guest's nc sends ninet's `nc -l` a file, ninet's nc sends the
#     guest's `nc -l` one, and each side checks what arrived (sha256).
# Each reply or byte proves one side's encryption decrypted and verified by
# the other. esp/stats then shows no ICV failure and no replay. (Forged,
# replayed and truncated packets are counted drops in
# src/proto/esp_test.cc.)
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
# ninetd and the pump share one `ip netns exec` (its own mount namespace,
# where the FUSE mount lives); the test reaches the tree through nsenter
# into it.
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
PUMP=$(cd "$(dirname "$0")" && pwd)/esp_pump.py
ip netns exec "$NS_A" sh -c "
  '$NINETD' -c '$WORK/ninetd.conf' > '$WORK/ninetd.log' 2>&1 &
  echo \$! > '$WORK/ninetd.pid'
  for i in \$(seq 100); do [ -e '$MNT/esp/clone' ] && break; sleep 0.1; done
  exec /usr/bin/python3 '$PUMP' '$MNT' 10.70.0.2 '$WORK/spis' $specs" > "$WORK/pump.log" 2>&1 &
PUMP_PID=$!
wait_for '^ready$' "$WORK/spis" 15 || {
  echo "FAIL: ninetd and the pump did not start"; cat "$WORK/ninetd.log" "$WORK/pump.log"
  DAEMON_PID=$(cat "$WORK/ninetd.pid" 2>/dev/null); kill $PUMP_PID; exit 1
}
DAEMON_PID=$(cat "$WORK/ninetd.pid")
in_tree() { nsenter -t "$PUMP_PID" -m "$@"; }

# What each side sends the other: 288,894 bytes, the same on both.
SEQ=50000
WANT=$(seq 1 $SEQ | sha256sum | cut -d' ' -f1)

# ninet's listeners, one per pair, before the guest calls them.
for p in $PAIRS; do
  k=${p%%|*}
  in_tree timeout 200 "$NINET" -m "$MNT" nc -l -q -1 10.99.$k.1 $((5000 + k)) \
    < /dev/null > "$WORK/got.$k" 2> "$WORK/nc-l.$k" &
done

# The guest's job: one SA pair and policy pair per K, its listeners, then
# per K its ping and its send; last, what its listeners got.
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
    # The policies name the SPI: else Linux sends every pair's traffic with
    # whichever state to 10.70.0.1 it finds first, and only one pair's
    # ciphers would be tested.
    echo "ip xfrm state add src 10.70.0.2 dst 10.70.0.1 proto esp spi $in_spi mode tunnel enc '$lenc' $ek $a || r $k state-refused"
    echo "ip xfrm state add src 10.70.0.1 dst 10.70.0.2 proto esp spi $((4096 + k)) mode tunnel enc '$lenc' $ek $a"
    echo "ip xfrm policy add src 10.99.$k.2/32 dst 10.99.$k.1/32 dir out tmpl src 10.70.0.2 dst 10.70.0.1 proto esp spi $in_spi mode tunnel"
    echo "ip xfrm policy add src 10.99.$k.1/32 dst 10.99.$k.2/32 dir in tmpl src 10.70.0.1 dst 10.70.0.2 proto esp spi $((4096 + k)) mode tunnel"
    echo "timeout 200 nc -l 10.99.$k.2 $((6000 + k)) < /dev/null > /tmp/got.$k 2>&1 &"
  done
  echo "r listening"
  for p in $PAIRS; do
    k=${p%%|*}
    echo "if ping -c 2 -i 0.3 -W 5 -I 10.99.$k.2 10.99.$k.1 >/dev/null 2>&1; then r $k ping ok; else r $k ping fail; fi"
    echo "seq 1 $SEQ | timeout 30 nc -N -s 10.99.$k.2 10.99.$k.1 $((5000 + k)); r $k sent \$?"
  done
  echo "r waiting"
  echo "wait"
  for p in $PAIRS; do
    k=${p%%|*}
    echo "r $k got \$(sha256sum < /tmp/got.$k | cut -d' ' -f1)"
  done
  echo "r done"
} > "$WORK/job.sh"

"$PEERS/run-guest.sh" -n "$NS_A" -t "$TAP" -T 250 -f "$WORK/job.sh" > "$WORK/guest.log" 2>&1 &
GUEST_PID=$!

# ninet's side once the guest listens: per K a ping and a send (retried
# while the guest's listener is not up yet: a refused call ends at once).
if wait_for '^R listening' "$WORK/guest.log" 120; then
  for p in $PAIRS; do
    k=${p%%|*}
    if in_tree "$NINET" -m "$MNT" ping -c 2 -i 300 -W 5000 10.99.$k.2 > "$WORK/ping.$k" 2>&1; then
      echo "$k ping ok" >> "$WORK/ninet.out"
    else
      echo "$k ping fail" >> "$WORK/ninet.out"
    fi
    rc=1
    for _ in $(seq 20); do
      seq 1 $SEQ | in_tree timeout 30 "$NINET" -m "$MNT" nc 10.99.$k.2 $((6000 + k)) \
        > /dev/null 2> "$WORK/nc.$k" && { rc=0; break; }
      sleep 0.5
    done
    echo "$k sent $rc" >> "$WORK/ninet.out"
  done
else
  echo "FAIL: the guest did not get to its listeners"
fi
wait $GUEST_PID
rc=$?
out=$(grep '^R ' "$WORK/guest.log")
mine=$(cat "$WORK/ninet.out" 2>/dev/null)
[ $rc -eq 0 ] || { echo "guest job: exit $rc"; tail -30 "$WORK/guest.log"; }

for p in $PAIRS; do
  k=${p%%|*}; rest=${p#*|}; enc=${rest%%|*}; auth=${rest#*|}
  name="$(echo "$enc" | cut -d: -f1) / $(echo "$auth" | cut -d: -f1)"
  if printf '%s\n' "$out" | grep -q "^R $k state-refused"; then
    echo "SKIP: $name: Linux refuses the pair"
    continue
  fi
  contains "Linux pings ninet through ESP: $name" "^R $k ping ok$" "$out"
  contains "ninet pings Linux through ESP: $name" "^$k ping ok$" "$mine"
  contains "Linux's TCP send to ninet ends well: $name" "^R $k sent 0$" "$out"
  got=$(sha256sum < "$WORK/got.$k" | cut -d' ' -f1)
  contains "ninet got Linux's $(wc -c < "$WORK/got.$k") bytes intact: $name" "^$WANT$" "$got"
  contains "ninet's TCP send to Linux ends well: $name" "^$k sent 0$" "$mine"
  contains "Linux got ninet's bytes intact: $name" "^R $k got $WANT$" "$out"
done
stats=$(in_tree cat "$MNT/esp/stats")
contains "esp/stats: packets in" "^InPackets: [1-9][0-9]*$" "$stats"
contains "esp/stats: packets out" "^OutPackets: [1-9][0-9]*$" "$stats"
contains "esp/stats: no ICV failures between honest peers" "^InAuthFail: 0$" "$stats"
contains "esp/stats: no replays between honest peers" "^InReplay: 0$" "$stats"
contains "esp/stats: nothing malformed" "^InMalformed: 0$" "$stats"
contains "the guest's job ran to its end" "^R done$" "$out"
kill $PUMP_PID 2>/dev/null
wait $PUMP_PID 2>/dev/null
# Each pair's own SAs carried its traffic: about 200 TCP segments each way
# per transfer, plus the pings.
for p in $PAIRS; do
  k=${p%%|*}
  contains "pair $k's own SAs carried over 200 packets each way" "^$k in [2-9][0-9]{2,} out [2-9][0-9]{2,}$" "$(cat "$WORK/pump.log")"
done
finish
