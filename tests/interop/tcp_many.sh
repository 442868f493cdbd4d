#!/bin/sh
# 1000 concurrent TCP connections from Linux to ninet's echo server (issue 6
# point 7): all opened at once, each echoes its own line, all closed; then
# ninet holds no established connection and no conversation leaks past
# TIME_WAIT (the server side closes second, so its conversations are freed).
. "$(dirname "$0")/lib.sh"
need timeout
PY=/usr/bin/python3
[ -x "$PY" ] || { echo "SKIP: /usr/bin/python3"; exit 77; }
ECHO=$BUILD/examples/echo
[ -x "$ECHO" ] || { echo "FAIL: $ECHO not built"; exit 1; }

peer_ns A
veth_to A 10.98.0.1/24
ninetd_start "stack 0 $MNT
ipifc/clone bind ether $HOST_A
. add 10.98.0.2 255.255.255.0"
export NINET_NET=$MNT
timeout 120 "$ECHO" -s 'tcp!*!7' > "$WORK/server.out" 2>&1 &
wait_for announced "$WORK/server.out"

cat > "$WORK/many.py" <<'PYEOF'
import asyncio, sys

N = int(sys.argv[1])

async def one(i):
    r, w = await asyncio.wait_for(asyncio.open_connection("10.98.0.2", 7), 60)
    msg = ("line %d\n" % i).encode()
    w.write(msg)
    await w.drain()
    got = await asyncio.wait_for(r.readexactly(len(msg)), 60)
    w.close()
    await w.wait_closed()
    return got == msg

async def main():
    ok = await asyncio.gather(*(one(i) for i in range(N)), return_exceptions=True)
    good = sum(1 for x in ok if x is True)
    bad = [x for x in ok if x is not True][:3]
    print("ok %d of %d %s" % (good, N, bad))

asyncio.run(main())
PYEOF
out=$(ip netns exec "$NS_A" timeout 100 "$PY" "$WORK/many.py" 1000 2>&1)
echo "  $out"
contains "1000 concurrent connections each echo their line" "^ok 1000 of 1000" "$out"
sleep 2
stats=$(cat "$MNT/tcp/stats")
contains "every call was a passive open" "PassiveOpens: 1000" "$stats"
contains "none is established after all closed" "CurrEstab: 0" "$stats"
live=$(grep -l -v -E "^(Listen|Closed)" "$MNT"/tcp/*/status 2>/dev/null | wc -l)
if [ "$live" -eq 0 ]; then echo "PASS: no conversation is left open on ninet's side"; else
  echo "FAIL: $live conversations still open:"; cat "$MNT"/tcp/*/status | sort | uniq -c | head; FAILS=$((FAILS + 1)); fi
finish
