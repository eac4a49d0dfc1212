#!/bin/sh
# `threadstat doctor` against the project's own hung labs, held at their hang
# with --hold: the verdict line, and for a deadlock the cycle with the right
# threads (each tid's name checked against /proc/PID/task/TID/comm) and each
# owner waiting in turn; a thread leak (ts-target with 12 finished, never
# joined threads).  Then bad targets: a pid that does not exist, pid 1,
# and a process ptrace rules forbid us to read.  Every wait is bounded.
set -u
: "${THREADLAB_BUILDDIR:?run me from make check}" "${THREADLAB_SRCDIR:?run me from make check}"
THREADSTAT=${THREADSTAT:-$THREADLAB_BUILDDIR/diagnostics/threadstat}
LABS=$THREADLAB_BUILDDIR/labs
# The lab's verdict comes 0.6 s after its hang (x THREADLAB_SLOWDOWN); this
# only bounds a lab that never gets there.
WAIT_S=60
unset THREADLAB_SLOWDOWN

fails=0
tmp=$(mktemp -d)
lab_pid=
cleanup() {
  if [ -n "$lab_pid" ]; then kill -KILL "$lab_pid" 2>/dev/null; wait "$lab_pid" 2>/dev/null; fi
  exec 3>&- 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
fail() { printf "FAIL: %s\n" "$*"; fails=$((fails + 1)); }
ok() { printf "ok:   %s\n" "$*"; }

if [ ! -x "$THREADSTAT" ]; then echo "FAIL: $THREADSTAT not built"; exit 1; fi

# hold LAB: starts labs/LAB --hold with stderr on a fifo, waits (bounded) for
# its "holding pid" line, and sets lab_pid.  Returns 1 if it never came.
hold() {
  rm -f "$tmp/fifo" && mkfifo "$tmp/fifo" || return 1
  # Read-write: opening never blocks, and the lab never sees a closed pipe.
  exec 3<>"$tmp/fifo"
  "$LABS/$1" --hold > /dev/null 2>&3 &
  lab_pid=$!
  timeout "$WAIT_S" sed -n '/^watchdog: holding pid /{p;q;}' <&3 > "$tmp/held"
  if ! grep -q "^watchdog: holding pid $lab_pid for examination (threadstat doctor $lab_pid); ends in [0-9]* s\$" "$tmp/held"; then
    fail "$1 --hold: no holding line for pid $lab_pid within $WAIT_S s: $(cat "$tmp/held")"
    return 1
  fi
  return 0
}

# release CODE: SIGTERM ends the hold with the verdict's exit code.
release() {
  kill -TERM "$lab_pid"
  wait "$lab_pid"
  st=$?
  exec 3>&-
  if [ "$st" -eq "$1" ]; then ok "SIGTERM ended the hold, exit $st"
  else fail "after SIGTERM the lab exited $st, want $1"; fi
  lab_pid=
}

# doctor WANT_EXIT WANT_VERDICT: runs the doctor on lab_pid into out/err.
doctor() {
  timeout "$WAIT_S" "$THREADSTAT" doctor "$lab_pid" > "$tmp/out" 2> "$tmp/err"
  st=$?
  first=$(head -n 1 "$tmp/out")
  if [ "$st" -eq "$1" ] && [ "$first" = "verdict: $2" ] && [ ! -s "$tmp/err" ]; then
    ok "$lab: verdict: $2 (exit $st)"
  else
    fail "$lab: exit $st (want $1), first line '$first' (want 'verdict: $2'):"
    sed 's/^/    /' "$tmp/out" "$tmp/err"
  fi
}

# cycle N NAME...: the report has one cycle of N threads, exactly these
# names; each tid is that thread's in /proc; each waits for a distinct mutex
# held by the next, and the owners are the waiters (the cycle closes).
cycle() {
  n=$1; shift
  if ! grep -q "^deadlock: $n threads in a cycle\$" "$tmp/out"; then
    fail "$lab: no 'deadlock: $n threads in a cycle' line"; sed 's/^/    /' "$tmp/out"; return
  fi
  # The block: indented lines right after the header.
  sed -n '/^deadlock: /,/^[^ ]/{/^  /p;}' "$tmp/out" |
    sed -n 's/^  \(.*\) (tid \([0-9]*\)) waits for mutex \(0x[0-9a-f]*\).* held by \(.*\) (tid \([0-9]*\))$/\1 \2 \3 \4 \5/p' \
    > "$tmp/edges"
  bad=
  [ "$(wc -l < "$tmp/edges")" -eq "$n" ] || bad="$bad; $(wc -l < "$tmp/edges") edges, want $n"
  while read -r name tid addr oname otid; do
    [ "$(cat "/proc/$lab_pid/task/$tid/comm" 2>/dev/null)" = "$name" ] || bad="$bad; tid $tid is not $name"
    [ "$(cat "/proc/$lab_pid/task/$otid/comm" 2>/dev/null)" = "$oname" ] || bad="$bad; tid $otid is not $oname"
    [ "$tid" != "$otid" ] || bad="$bad; $name waits for itself"
  done < "$tmp/edges"
  [ "$(cut -d' ' -f1 "$tmp/edges" | sort)" = "$(printf '%s\n' "$@" | sort)" ] || bad="$bad; names differ from: $*"
  [ "$(cut -d' ' -f2 "$tmp/edges" | sort)" = "$(cut -d' ' -f5 "$tmp/edges" | sort)" ] || bad="$bad; owners are not the waiters"
  [ "$(cut -d' ' -f3 "$tmp/edges" | sort -u | wc -l)" -eq "$n" ] || bad="$bad; mutexes not distinct"
  if [ -z "$bad" ]; then ok "$lab: the cycle names $*"
  else fail "$lab: cycle${bad}"; sed 's/^/    /' "$tmp/out"; fi
}

# anchor LAB NAME: the line number of the lab source's "@NAME" anchor.
anchor() { grep -n "/\* @$2 \*/" "$THREADLAB_SRCDIR/labs/$1.c" | cut -d: -f1; }

# at BLOCK NAME FILE LINE: in the report's block starting "BLOCK", the line
# under thread NAME's says it waits at FILE:LINE (from its stack, read with
# libdw: the first frame in the program).
at() {
  got=$(sed -n "/^$1/,/^[^ ]/p" "$tmp/out" | sed -n "/^  $2 (tid [0-9]*) /{n;p;q;}")
  if printf '%s\n' "$got" | grep -qE "^    at (.*/)?$3:$4 in [A-Za-z_][A-Za-z_0-9]*\$"; then
    ok "$lab: $2 waits at $3:$4"
  else
    fail "$lab: $2 does not wait at $3:$4: '$got'"; sed 's/^/    /' "$tmp/out"
  fi
}

has() {
  if grep -qE -- "$1" "$tmp/out"; then ok "$lab: report has '$1'"
  else fail "$lab: report lacks '$1'"; sed 's/^/    /' "$tmp/out"; fi
}

lab=deadlock/lock-order/broken
if hold "$lab"; then
  doctor 4 deadlock
  cycle 2 teller-AB teller-BA
  has '^  main \(tid [0-9]+\) waits to join teller-'
  # Both wait at their second lock: the same line, @lock-second.
  line=$(anchor "$lab" lock-second)
  sed -n "${line}p" "$THREADLAB_SRCDIR/labs/$lab.c" | grep -q 'pthread_mutex_lock(&to->lock)' ||
    fail "$lab: @lock-second is not the second pthread_mutex_lock (line $line)"
  at deadlock: teller-AB "labs/$lab.c" "$line"
  at deadlock: teller-BA "labs/$lab.c" "$line"
  has '^call stacks: read with ptrace, one thread stopped at a time, [0-9]+ us in all$'
  # --no-stacks: the same verdict, and no thread stopped.
  timeout "$WAIT_S" "$THREADSTAT" doctor --no-stacks "$lab_pid" > "$tmp/out" 2> "$tmp/err"
  if [ "$?" -eq 4 ] && ! grep -q '^call stacks\|^    at ' "$tmp/out"; then ok "$lab: --no-stacks reads none"
  else fail "$lab: --no-stacks"; sed 's/^/    /' "$tmp/out" "$tmp/err"; fi
  # Where ptrace rules forbid it (another user), no memory: said in one
  # line, and a verdict from /proc alone.
  if [ "$(id -u)" -eq 0 ] && command -v setpriv > /dev/null &&
     setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$THREADSTAT" 2>/dev/null; then
    timeout "$WAIT_S" setpriv --reuid=65534 --regid=65534 --clear-groups \
      "$THREADSTAT" doctor "$lab_pid" > "$tmp/out" 2> "$tmp/err"
    st=$?
    if [ "$st" -eq 0 ] && [ "$(head -n 1 "$tmp/out")" = "verdict: idle" ] &&
       grep -q "^cannot read memory of pid $lab_pid (ptrace rules): no lock owners; verdict from /proc only\$" "$tmp/out" &&
       [ "$(grep -c "^cannot read memory" "$tmp/out")" -eq 1 ] && grep -q ' teller-AB ' "$tmp/out"; then
      ok "another user's process: memory unreadable, said once, verdict from /proc"
    else
      fail "another user's process: exit $st:"; sed 's/^/    /' "$tmp/out" "$tmp/err"
    fi
  else
    echo "skip: another user's process (needs root, setpriv, and $THREADSTAT executable by nobody)"
  fi
  release 4
fi

lab=deadlock/philosophers/broken
if hold "$lab"; then
  doctor 4 deadlock
  cycle 5 philosopher-0 philosopher-1 philosopher-2 philosopher-3 philosopher-4
  release 4
fi

lab=livelock/polite-trylock/broken
if hold "$lab"; then
  doctor 5 livelock
  has '^progress: tl_progress_counter ([0-9]+) -> \1 \(standing still\)$'
  has '^ +[0-9]+  teller-AB +R '
  release 5
fi

lab=deadlock/lost-wakeup/broken
if hold "$lab"; then
  # Both wait on condition variables: no mutex edge, no cycle.  Not stuck
  # either: the watchdog holding it waits in ppoll with a timeout, and what
  # it does then the doctor cannot know.
  doctor 0 idle
  has '^not stuck: 3 of 4 threads wait with no timeout for another thread, but$'
  has '^  watchdog \(tid [0-9]+\) in ppoll, [a-z_.0-9]+: has a timeout$'
  has '^  consumer \(tid [0-9]+\) waits on condition variable job_ready '
  has '^  producer \(tid [0-9]+\) waits on condition variable job_taken '
  if grep -q 'waits for mutex\|^deadlock' "$tmp/out"; then fail "$lab: a false lock edge"; sed 's/^/    /' "$tmp/out"; fi
  release 4
fi

# The same lab with no watchdog thread at all (--no-watchdog lets the hang
# hang): every thread in an untimed wait, stuck, each named at its line.
# It is settled once consumer and producer wait on their condition
# variables with no timeout (op 0x189, NULL timeout: the staging's timed
# tl_event_wait is behind them) and main joins (0x109): nothing runs after.
lab=deadlock/lost-wakeup/broken
settled() {
  for t in /proc/"$1"/task/*; do
    case $(cat "$t/comm") in
      consumer|producer) grep -q '^202 0x[0-9a-f]* 0x189 0x[0-9a-f]* 0x0 ' "$t/syscall" || return 1 ;;
      main) grep -q '^202 0x[0-9a-f]* 0x109 ' "$t/syscall" || return 1 ;;
    esac
  done
  [ "$(ls /proc/"$1"/task | wc -l)" -eq 3 ]
}
"$LABS/$lab" --no-watchdog > /dev/null 2>&1 &
lab_pid=$!
tries=0
while ! settled "$lab_pid" && [ "$tries" -lt $((WAIT_S * 100)) ]; do sleep 0.01; tries=$((tries + 1)); done
if settled "$lab_pid"; then
  doctor 4 stuck
  src="labs/$lab.c"
  at stuck: consumer "$src" "$(anchor "$lab" wait-ready)"
  at stuck: producer "$src" "$(anchor "$lab" wait-taken)"
  at stuck: main "$src" "$(grep -n 'pthread_join(p, NULL);' "$THREADLAB_SRCDIR/$src" | cut -d: -f1)"
  has '^  consumer \(tid [0-9]+\) waits on condition variable job_ready \(futex 0x[0-9a-f]+\): no timeout, no owner: only a thread of this process could wake it$'
else
  fail "$lab --no-watchdog: never settled in its waits"
fi
kill -KILL "$lab_pid"; wait "$lab_pid" 2>/dev/null; lab_pid=

# A Python program whose two threads wait for each other's threading.Lock
# (semaphores underneath: no owner to read, so no cycle): stuck, each wait
# untimed with no owner.  Its reading twin (a thread in recv on a socket,
# main joining it) is idle: another process could end that wait.
# py MODE: starts tests/doctor-locks.py MODE, waits (bounded) for its "ready
# PID" line (its thread is in its last wait) and for its main thread to be in
# its own (its syscall file: WANT).  Sets lab_pid.
py() {
  rm -f "$tmp/fifo" && mkfifo "$tmp/fifo" || return 1
  exec 3<>"$tmp/fifo"
  python3 "$THREADLAB_SRCDIR/tests/doctor-locks.py" "$1" > "$tmp/fifo" 3>&- &
  lab_pid=$!
  timeout "$WAIT_S" sed -n '/^ready /{p;q;}' <&3 > "$tmp/ready"
  if [ "$(cat "$tmp/ready")" != "ready $lab_pid" ]; then
    fail "$lab: no ready line: $(cat "$tmp/ready")"; return 1
  fi
  # Its main thread's last wait comes right after the line: a bounded poll.
  if ! timeout "$WAIT_S" sh -c 'until grep -q "$1" "/proc/$2/task/$2/syscall"; do sleep 0.01; done' \
       sh "$2" "$lab_pid"; then
    fail "$lab: main thread never reached its wait: $(cat "/proc/$lab_pid/task/$lab_pid/syscall")"; return 1
  fi
  return 0
}
unpy() {
  kill -KILL "$lab_pid" 2>/dev/null; wait "$lab_pid" 2>/dev/null
  exec 3>&-
  lab_pid=
}
if command -v python3 > /dev/null; then
  lab="python threading.Lock pair"
  if py locks '^202 0x[0-9a-f]* 0x[0-9a-f]* 0x[0-9a-f]* 0x0 '; then
    doctor 4 stuck
    has '^stuck: every thread waits with no timeout, for another thread of this process, and none ran$'
    for tid in $(ls "/proc/$lab_pid/task"); do
      has "^  python3 \(tid $tid\) waits on futex 0x[0-9a-f]+, value 0: .*: no timeout, no owner: only a thread of this process could wake it\$"
    done
    [ "$(grep -c '^  python3 (tid ' "$tmp/out")" -eq 2 ] || fail "$lab: want exactly its 2 threads in the stuck block"
    has '^  a lost wake-up is the usual cause'
  fi
  unpy
  lab="python thread reading a socket"
  if py socket '^202 0x[0-9a-f]* 0x[0-9a-f]* 0x[0-9a-f]* 0x0 '; then
    doctor 0 idle
    has '^not stuck: 1 of 2 threads wait with no timeout for another thread, but$'
    has '^  python3 \(tid [0-9]+\) in recvfrom, [a-z_]+: another process can end it$'
  fi
  unpy
else
  echo "skip: python3 not installed (the threading.Lock pair)"
fi

# target ARGS...: starts ts-target ARGS and waits (bounded) for its "ready"
# line; $tmp/ready gets every line up to it.  Sets lab_pid; returns 1 if the
# line never came.  It lives until untarget closes its stdin.
target() {
  rm -f "$tmp/fifo" "$tmp/out-fifo" && mkfifo "$tmp/fifo" "$tmp/out-fifo" || return 1
  # Both fifos read-write here: opening never blocks; its stdin stays open
  # (so it lives) until fd 3 closes.
  exec 3<>"$tmp/fifo" 4<>"$tmp/out-fifo"
  "$THREADLAB_BUILDDIR/tests/ts-target" "$@" < "$tmp/fifo" > "$tmp/out-fifo" 3>&- 4>&- &
  lab_pid=$!
  timeout "$WAIT_S" sed '/^ready /q' <&4 > "$tmp/ready"
  if [ "$(tail -n 1 "$tmp/ready")" != "ready $lab_pid" ]; then
    fail "$lab: no ready line: $(cat "$tmp/ready")"
    return 1
  fi
  return 0
}
untarget() {
  [ -n "$lab_pid" ] || return 0
  exec 3>&- 4>&-
  wait "$lab_pid" || fail "$lab: ts-target exited $?"
  lab_pid=
}

# A thread leak: ts-target with 12 threads that ended and were never
# joined (their stacks stay mapped), more than glibc's cache would keep.
lab="ts-target --finished 12"
if target --threads 2 --finished 12; then
  doctor 6 thread-leak
  has '^stacks: 14 thread stacks of [0-9]+ KiB mapped, 2 threads besides main: 12 without a thread, glibc caches up to [0-9]+: thread leak$'
  has '^stack memory: 12 stacks hold no thread.s stack pointer, [0-9]+ KiB of them resident \(0 threads running: not placed\)$'
else
  fail "$lab: no ready line"
fi
untarget

# Busy but serialised: three threads want one mutex; the one that got it
# spins holding it, the other two wait for it in futex (ts-target says
# "ready" only once they do, and nothing changes until its stdin closes),
# plus one thread asleep on a condition variable.  Looked at three times,
# each time the doctor must name that mutex, the holder ts-target
# reported, and exactly the other two as its waiters, at every glance.
lab="ts-target --serial 3"
if target --threads 4 --serial 3 --names serial-a/serial-b/serial-c/sleeper; then
  holder=$(sed -n 's/^holder \([0-9]*\)$/\1/p' "$tmp/ready")
  waiters=$(for t in /proc/"$lab_pid"/task/*; do
              tid=${t##*/}; case $(cat "$t/comm") in serial-*) [ "$tid" = "$holder" ] || echo "$tid";; esac
            done | sort)
  for look in 1 2 3; do
    doctor 0 serialised
    sed -n '/^serialised: /,/^[^ ]/{/^  \(held by\|waiting\) /p;}' "$tmp/out" > "$tmp/turns"
    want=$(printf '  held by %s (tid %s) at 20 glances\n' "$(cat "/proc/$lab_pid/task/$holder/comm")" "$holder"
           for tid in $waiters; do
             printf '  waiting %s (tid %s) at 20 glances\n' "$(cat "/proc/$lab_pid/task/$tid/comm")" "$tid"
           done)
    if [ -n "$holder" ] && [ "$(echo "$waiters" | wc -w)" -eq 2 ] && [ "$(cat "$tmp/turns")" = "$want" ]; then
      ok "$lab, look $look: held by tid $holder, waited for by $(echo $waiters)"
    else
      fail "$lab, look $look: want holder $holder and waiters $(echo $waiters):"; sed 's/^/    /' "$tmp/out"
    fi
    has '^serialised: busy, but behind one mutex 0x[0-9a-f]+ \(giant\): held by a running thread at 20 of the 20 glances since it was first seen contended, others waiting for it at 20 of 20$'
  done
fi
untarget

# One thread spinning on its own beside the same picture: something ran
# beside the lock, so the process is only busy.
lab="ts-target --spin 1 --serial 2"
if target --threads 3 --spin 1 --serial 2; then
  doctor 0 busy
  if grep -q '^serialised' "$tmp/out"; then fail "$lab: serialised beside a free spinner"; sed 's/^/    /' "$tmp/out"; fi
fi
untarget

# A pid that cannot exist (pids stay below pid_max): one line, exit 1.
lab="pid_max"
nopid=$(cat /proc/sys/kernel/pid_max)
timeout "$WAIT_S" "$THREADSTAT" doctor "$nopid" > "$tmp/out" 2> "$tmp/err"
st=$?
if [ "$st" -eq 1 ] && [ ! -s "$tmp/out" ] && [ "$(wc -l < "$tmp/err")" -eq 1 ] &&
   grep -q "^threadstat: no process $nopid\$" "$tmp/err"; then
  ok "no such pid: one line, exit 1"
else
  fail "no such pid: exit $st:"; sed 's/^/    /' "$tmp/out" "$tmp/err"
fi

# pid 1: usually another user's or a namespace's init: whatever it may read,
# a report or one line, never a crash.
timeout "$WAIT_S" "$THREADSTAT" doctor 1 > "$tmp/out" 2> "$tmp/err"
st=$?
case $st in
  0|4|5|6)
    if grep -qE '^verdict: (idle|busy|serialised|deadlock|stuck|livelock|thread-leak)$' "$tmp/out" &&
       [ "$(head -n 1 "$tmp/out" | cut -c1-9)" = "verdict: " ] && [ ! -s "$tmp/err" ]; then
      ok "pid 1: $(head -n 1 "$tmp/out")$(grep -q '^cannot read memory' "$tmp/out" && echo ', memory unreadable, said so')"
    else fail "pid 1: exit $st, no verdict line"; sed 's/^/    /' "$tmp/out" "$tmp/err"; fi ;;
  1)
    if [ "$(wc -l < "$tmp/err")" -eq 1 ] && grep -q '^threadstat: ' "$tmp/err"; then ok "pid 1: $(cat "$tmp/err")"
    else fail "pid 1: exit 1 without one 'threadstat:' line"; sed 's/^/    /' "$tmp/err"; fi ;;
  *) fail "pid 1: exit $st (crash or hang)"; sed 's/^/    /' "$tmp/out" "$tmp/err" ;;
esac

[ "$fails" -eq 0 ] || { echo "$fails failed"; exit 1; }
exit 0
