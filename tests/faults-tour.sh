#!/bin/sh
# SIGTERM to `threadlab tour` while its deadlocked lab holds for the doctor:
# the held lab and the doctor die with the runner (PR_SET_PDEATHSIG) rather
# than hold on for the 60 s of --hold.
set -u
. "${THREADLAB_SRCDIR:?run me from make check}/tests/faults-lib.sh"
mkfifo "$tmp/tour"
"$THREADLAB" tour > "$tmp/tour" 2> "$err" &
runner=$!
# Held open to the end: the runner never writes into a closed pipe.
exec 3< "$tmp/tour"
lab=
while read -r line <&3; do
  case $line in
  "watchdog: holding pid "*)
    lab=${line#watchdog: holding pid }
    lab=${lab%% *}
    break
    ;;
  esac
done
if [ -z "$lab" ]; then
  bad "the tour never reached its held lab"
  finish
fi
kill -TERM "$runner"
wait "$runner"
got=$?
[ "$got" -eq 143 ] && ok "tour: SIGTERM, the runner died of it ($got)" ||
  bad "tour: SIGTERM: exit $got (want 143)"
gone "$lab" && ok "tour: the held lab (pid $lab) is gone" ||
  bad "tour: the held lab (pid $lab) still holds"
if pgrep -f "threadstat doctor $lab\$" > /dev/null; then
  bad "tour: threadstat doctor $lab still runs"
else
  ok "tour: no doctor left"
fi
finish
