#!/bin/sh
# SIGINT or SIGTERM to the runner in the middle of a run: it ends the lab
# programs it runs (they lead their own process groups, so a terminal's ^C
# never reaches them), with their children, and dies of the signal before it
# writes a verdict: an interrupted check --test log holds no "measured:" line,
# so matrix never takes it over from make check.
set -u
. "${THREADLAB_SRCDIR:?run me from make check}/tests/faults-lib.sh"
mkfifo "$tmp/ready"
exec 3<> "$tmp/ready" # held open: each lab's line comes whole, none is lost
export FAULT_LAB_READY="$tmp/ready"

# held: hangs, ignoring SIGTERM, with a child, while FAULT_LAB_READY is set;
# exits 0 at once otherwise (for matrix below).
make_lab held
program held broken "[ -n \"\${FAULT_LAB_READY:-}\" ] && exec '$FAULT_LAB' --ignore-term --orphan --hang
exit 0"
make_lab whole
ln -s "$FAULT_LAB" "$tmp/build/labs/faults/whole/broken"
log=$tmp/build/labs/faults/held/broken.run.log

# interrupt SIGNAL N WHAT ARGS...: the runner with ARGS (stdout to the log),
# SIGNAL once N programs are ready; it dies of it, and they are gone.
interrupt() {
  sig=$1 n=$2 what=$3; shift 3
  # SIGINT at its default even when the suite itself was started in the
  # background (`make check &` from a script ignores SIGINT for all it runs,
  # and the runner rightly keeps an ignored SIGINT ignored).
  THREADLAB_SRCDIR=$tmp/src THREADLAB_BUILDDIR=$tmp/build \
    env --default-signal=INT "$THREADLAB" "$@" > "$log" 2> "$err" &
  runner=$!
  pids=
  i=0
  while [ "$i" -lt "$n" ]; do
    # A runner that never starts its program must not hang the suite: each
    # line is awaited for at most 60 s (the shell's read takes one byte at a
    # time from a FIFO, so the line is not read past).
    line=$(timeout 60 sh -c 'IFS= read -r l && printf "%s\n" "$l"' <&3) || {
      bad "$what: no program said it was ready within 60 s"
      kill -KILL "$runner"
      wait "$runner"
      return
    }
    read -r _ lab_pid _ child_pid <<EOF
$line
EOF
    pids="$pids $lab_pid $child_pid"
    i=$((i + 1))
  done
  kill "-$sig" "$runner"
  if ! gone "$runner"; then
    kill -KILL "$runner"
    bad "$what: SIG$sig: the runner still ran 30 s later"
  fi
  wait "$runner"
  got=$?
  case $sig in INT) want=130 ;; TERM) want=143 ;; esac
  [ "$got" -eq "$want" ] && ok "$what: SIG$sig, the runner died of it ($got)" ||
    bad "$what: SIG$sig: exit $got (want $want)"
  for p in $pids; do
    gone "$p" || { bad "$what: SIG$sig: pid $p (program or child) lives"; return; }
  done
  ok "$what: SIG$sig: its $n programs and their children are gone"
  if grep -q 'measured:\|^PASS\|^FAIL' "$log"; then bad "$what: SIG$sig: the log holds a verdict"
  else ok "$what: SIG$sig: the log holds no verdict"; fi
}
interrupt INT 1 "check --test" check --test labs/faults/held/broken.run.lab
interrupt TERM 1 "check --test" check --test labs/faults/held/broken.run.lab
interrupt INT 2 "stress --jobs 2" stress faults/held --runs 4 --jobs 2
interrupt TERM 1 "run" run faults/held

# matrix takes over a whole log and never an interrupted one.
interrupt TERM 1 "check --test" check --test labs/faults/held/broken.run.lab
unset FAULT_LAB_READY
tl check --test labs/faults/whole/broken.run.lab
cp "$out" "$tmp/build/labs/faults/whole/broken.run.log"
tl matrix --tools run
if has "$out" "1 verdicts taken from make check's logs (newer than the programs), 1 run now"; then
  ok "matrix: the whole log taken, the interrupted one's program run again"
else bad "matrix: not 1 taken and 1 run"; fi
finish
