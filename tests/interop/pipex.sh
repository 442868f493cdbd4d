#!/bin/sh
# The pipex directory of a served tree (docs/pipex.md, "The tree"), as a
# shell, the ninet tool and a daemon over 9P drive it: enable, ctl, a
# session's directory, closed; the stack's owner writes, anyone else reads
# (issue 3), over FUSE as a second uid and over 9P as another attach name.
. "$(dirname "$0")/lib.sh"
need setpriv python3

chmod 755 "$WORK"  # let other uids reach the mount
# The configuration may drive pipex too: its lines are writes of the owner.
ninetd_start "stack 0 $MNT
9p unix!$WORK/ninep0.sock
ipifc/clone bind pkt
pipex/ctl mode 0 on"
chmod 666 "$WORK"/ninep0.sock
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
NP="python3 $(dirname "$0")/ninep.py unix!$WORK/ninep0.sock"
P=$MNT/pipex
ADD='add ifc=0 proto=l2tp id=7 ppp-id=507 framed=10.0.0.7 peer=192.0.2.1!1701 local=192.0.2.2!1701'

contains "pipex/enable starts 0" "^0$" "$(cat "$P/enable")"
expect "echo 1 > pipex/enable" sh -c "echo 1 > $P/enable"
contains "... and reads 1" "^1$" "$(cat "$P/enable")"
contains "pipex/ctl reads the configuration's mode" "^mode 0 on$" "$(cat "$P/ctl")"
expect "echo add ... > pipex/ctl" sh -c "echo '$ADD' > $P/ctl"
contains "the session has a directory" "^l2tp\.7$" "$(ls "$P/sessions")"
contains "its status starts with the add words" "^ifc=0 proto=l2tp id=7 " "$(cat "$P/sessions/l2tp.7/status")"
contains "ninet pipex lists it" "^l2tp\.7 +opened +192\.0\.2\.1!1701 +10\.0\.0\.7 +0 +0 " \
  "$("$NINET" -m "$MNT" pipex)"
# (coreutils' echo: dash's says "I/O error" whatever the errno)
out=$(sh -c "/bin/echo '$ADD' > $P/ctl" 2>&1)
contains "adding it again fails with EEXIST" "File exists" "$out"
contains "... and pipex/err says why" "^session exists: l2tp\.7$" "$(cat "$P/err")"
contains "ninet pipex says the errno and the text" "File exists: session exists: l2tp\.7" \
  "$("$NINET" -m "$MNT" pipex $ADD 2>&1)"
expect "echo descr > the session's ctl" sh -c "echo descr alice > $P/sessions/l2tp.7/ctl"
contains "... is its descr" "^alice$" "$(cat "$P/sessions/l2tp.7/descr")"

# Not the owner: refused, and nothing changes.
snapshot() {  # all but the idle time
  cat "$P/enable" "$P/ctl" "$P/sessions/l2tp.7/descr"
  sed 's/ idle=[0-9]*//' "$P/sessions/l2tp.7/status"
  ls "$P/sessions"
}
snapshot > "$WORK/before"
refused() {
  d=$1; shift
  out=$(as_nobody sh -c "$*" 2>&1)
  rc=$?
  if [ $rc -ne 0 ] && printf '%s' "$out" | grep -q "Permission denied"; then
    echo "PASS: nobody is refused: $d"
  else
    echo "FAIL: nobody is refused: $d (rc=$rc)"; printf '%s\n' "$out" | sed 's/^/  | /'
    FAILS=$((FAILS + 1))
  fi
}
refused "disable pipex" "echo 0 > $P/enable"
refused "turn the mode off" "echo mode 0 off > $P/ctl"
refused "delete a session" "echo delete > $P/sessions/l2tp.7/ctl"
refused "take the closed list" "cat $P/closed"
refused "ninet pipex disable" "$NINET -m $MNT pipex disable"
contains "nobody reads a session's status" "^state=opened " "$(as_nobody cat "$P/sessions/l2tp.7/status" 2>&1)"
contains "nobody lists the sessions" "^l2tp\.7 " "$(as_nobody "$NINET" -m "$MNT" pipex 2>&1)"
contains "files show their owner and mode" "^root 644$" "$(stat -c '%U %a' "$P/ctl")"
contains "closed is the owner's alone" "^root 400$" "$(stat -c '%U %a' "$P/closed")"

# ether (a PPPoE daemon's discovery frames): clone is the owner's alone.
contains "ether/clone is the owner's, as ipifc/clone" "^root 660$" "$(stat -c '%U %a' "$MNT/ether/clone")"
refused "open ether/clone" "cat $MNT/ether/clone"
out=$(NINEP_UNAME=glenda $NP read ether/clone 2>&1)
contains "9P: glenda may not open ether/clone" "permission denied" "$out"
contains "the owner clones an ether conversation" "^[0-9]+$" "$(cat "$MNT/ether/clone")"

# Over 9P: the attach name is the user.
out=$(NINEP_UNAME=glenda $NP write pipex/ctl "delete l2tp 7" 2>&1)
contains "9P: glenda may not delete a session" "permission denied" "$out"
contains "9P: glenda reads the session's stats" "^ipackets: 0$" \
  "$(NINEP_UNAME=glenda $NP read pipex/sessions/l2tp.7/stats 2>&1)"
empty "refusals changed nothing" "$(snapshot | diff "$WORK/before" -)"
expect "9P: root, the owner, sets the description" env NINEP_UNAME=root $NP write pipex/sessions/l2tp.7/ctl "descr bob"
contains "... and it is so" "^bob$" "$(cat "$P/sessions/l2tp.7/descr")"

# A session with a 1 s idle timeout: close-wait, and the closed list has
# its PPP id, once.
expect "ninet pipex add" "$NINET" -m "$MNT" pipex add ifc=0 proto=l2tp id=8 ppp-id=508 timeout=1 \
  framed=10.0.0.8 'peer=192.0.2.1!1701' 'local=192.0.2.2!1701'
for _ in $(seq 100); do
  grep -q "state=close-wait" "$P/sessions/l2tp.8/status" && break
  sleep 0.1
done
contains "the idle session is in close-wait" "state=close-wait " "$(cat "$P/sessions/l2tp.8/status")"
contains "ninet pipex closed takes its PPP id" "^508$" "$("$NINET" -m "$MNT" pipex closed)"
empty "... once" "$(cat "$P/closed")"
expect "ninet pipex delete" "$NINET" -m "$MNT" pipex delete l2tp 7
expect "... and the other" "$NINET" -m "$MNT" pipex delete l2tp 8
empty "no sessions left" "$(ls "$P/sessions")"
finish
