#!/bin/sh
# A lab program that prints without end, forks a child that outlives it, or
# ignores SIGTERM and hangs: the runner's run of it is bounded and its whole
# process group is ended (tests/fault-lab.c, run from a fixture tree).
set -u
. "${THREADLAB_SRCDIR:?run me from make check}/tests/faults-lib.sh"
mkfifo "$tmp/ready"
export FAULT_LAB_READY="$tmp/ready"

# lab NAME ARGS...: faults/NAME runs fault-lab ARGS.
lab() {
  name=$1; shift
  make_lab "$name"
  program "$name" broken "exec '$FAULT_LAB' $* \"\$@\""
}
# ready: the lab's "lab PID child CPID" line, once it is written.
ready() { read -r _ lab_pid _ child_pid < "$tmp/ready"; }

# Megabytes: stopped once 16 MiB of its output are kept, group and all.
lab flood --flood --orphan
tl run faults/flood & runner=$!
ready
wait "$runner"; got=$?
if [ "$got" -eq 99 ] && has "$err" "the program wrote more than 16 MiB to stdout or stderr: stopped"; then
  ok "flood: stopped at 16 MiB, one error line, exit 99"
else bad "flood: exit $got"; fi
size=$(wc -c < "$out")
# run echoes what it keeps: 16 MiB and the header line, not more.
if [ "$size" -le $((16 * 1048576 + 4096)) ] && [ "$size" -ge $((16 * 1048576)) ]; then
  ok "flood: $size bytes echoed (the 16 MiB kept)"
else bad "flood: $size bytes echoed"; fi
gone "$lab_pid" && gone "$child_pid" && ok "flood: the program and its child are gone" ||
  bad "flood: pid $lab_pid or $child_pid lives"

# A child that outlives the program: ended with the program's group.
lab orphan --orphan
tl check faults/orphan --tool run & runner=$!
ready
wait "$runner"; got=$?
if [ "$got" -eq 0 ] && grep -q '^PASS' "$out"; then ok "orphan: the program's own verdict (clean), exit 0"
else bad "orphan: exit $got"; fi
gone "$child_pid" && ok "orphan: the child it left is gone" || bad "orphan: child $child_pid lives"

# SIGTERM ignored, a hang: killed (SIGKILL) at the time limit, group and all.
lab stubborn --ignore-term --orphan --hang
# Its line goes to a file here: killed at 2 s, it may not have written it.
FAULT_LAB_READY=$tmp/stubborn.pids THREADLAB_TIME_LIMIT=2 tl check faults/stubborn --tool run
got=$?
if [ "$got" -eq 1 ] && grep -q '^FAIL  *faults/stubborn' "$out" && has "$out" "got:      timeout"; then
  ok "stubborn: killed at the time limit, judged timeout, exit 1"
else bad "stubborn: exit $got"; fi
if [ ! -s "$tmp/stubborn.pids" ]; then ok "stubborn: killed before it started hanging"
else
  read -r _ lab_pid _ child_pid < "$tmp/stubborn.pids"
  gone "$lab_pid" && gone "$child_pid" && ok "stubborn: the program and its child are gone" ||
    bad "stubborn: pid $lab_pid or $child_pid lives"
fi
# A limit that is no number: one line, nothing run.
THREADLAB_TIME_LIMIT=soon tl run faults/stubborn
got=$?
if [ "$got" -eq 99 ] && [ "$(wc -l < "$err")" -eq 1 ] &&
  has "$err" "THREADLAB_TIME_LIMIT: 'soon' is not a number of seconds"; then
  ok "THREADLAB_TIME_LIMIT=soon: one line, exit 99"
else bad "THREADLAB_TIME_LIMIT=soon: exit $got"; fi
finish
