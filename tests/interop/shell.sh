#!/bin/sh
# A shell user's habits over ninetd's FUSE mount (issue 5, point 2; DESIGN.md
# "Threads"): `while read` over log loses no line (streams cannot seek, so
# the shell reads them a byte at a time instead of reading ahead and seeking
# back), a read or a listen blocked in the tree ends on a signal, and
# conversations opened through one clone neither share an inode nor wait
# for each other. Outcomes and order are asserted; timeouts are only a guard.
. "$(dirname "$0")/lib.sh"
need bash timeout stat
ninetd_start "stack 0 $MNT
ipifc/clone bind loopback
. add 127.0.0.1 255.0.0.0"

# log: three failed ctl writes make three lines; one `while read` loop
# (bash: it would read ahead and seek back on a seekable file) reads them.
exec 3<"$MNT/log"
for a in 10.0.0.301 10.0.0.302 10.0.0.303; do
  bash -c "printf 'add $a' > $MNT/ipifc/0/ctl" 2>/dev/null  # one line each
done
lines=$(timeout 10 bash -c 'n=0; while read -r l; do echo "$l"; n=$((n+1)); [ $n = 3 ] && break; done' <&3)
exec 3<&-
contains "while read over log: the first line" "10\.0\.0\.301" "$lines"
contains "while read over log: the second line" "10\.0\.0\.302" "$lines"
contains "while read over log: the third line" "10\.0\.0\.303" "$lines"
contains "log cannot seek" "Illegal seek|ESPIPE" "$(bash -c "exec 4<$MNT/log; python3 -c 'import os; os.lseek(4, 0, 1)'" 2>&1 </dev/null)"

# Two conversations through one clone: own inodes.
exec 5<>"$MNT/icmp/clone"
read -r A <&5 || true
exec 6<>"$MNT/icmp/clone"
read -r B <&6 || true
ino5=$(stat -L -c %i /proc/$$/fd/5)
ino6=$(stat -L -c %i /proc/$$/fd/6)
if [ -n "$ino5" ] && [ "$ino5" != "$ino6" ]; then echo "PASS: two clone opens have their own inodes"; else
  echo "FAIL: two clone opens share inode $ino5"; FAILS=$((FAILS + 1)); fi

# A blocks: announced, one process waits in a listen open and another in a
# read of its data. B's ctl writes through its clone fd complete meanwhile.
echo "announce 7" >&5
timeout 30 cat "$MNT/icmp/$A/data" > /dev/null 2>&1 &
READER=$!
timeout 30 cat "$MNT/icmp/$A/listen" > /dev/null 2>&1 &
LISTENER=$!
for _ in $(seq 100); do
  grep -q "^Announced" "$MNT/icmp/$A/status" 2>/dev/null && [ -d /proc/$READER ] && break
  sleep 0.05
done
sleep 0.2  # (only lets both reach the tree; nothing below depends on it)
expect "B's ctl write completes while A's calls are blocked" timeout 10 sh -c "echo 'connect 127.0.0.1' >&6"
contains "B is connected" "Connected" "$(cat "$MNT/icmp/$B/status")"
expect "A's reader is still blocked" kill -0 "$READER"
expect "A's listener is still blocked" kill -0 "$LISTENER"

# A signal ends each blocked call (FUSE INTERRUPT): the processes exit.
kill -INT "$READER" "$LISTENER"
ended=no
for _ in $(seq 100); do
  if ! kill -0 "$READER" 2>/dev/null && ! kill -0 "$LISTENER" 2>/dev/null; then ended=yes; break; fi
  sleep 0.1
done
contains "SIGINT ends a blocked data read and a blocked listen open" "^yes$" "$ended"
wait "$READER" 2>/dev/null
contains "... the reader did not run into its timeout" "^(1|2|130)$" "$?"
out=$(timeout 3 cat "$MNT/icmp/$A/data" 2>&1; echo "rc=$?")
contains "timeout(1) ends a blocked read too (SIGTERM)" "rc=124" "$out"
contains "the stack still answers" "^loopback" "$(cat "$MNT/ipifc/0/status")"
exec 5<&- 6<&-
finish
