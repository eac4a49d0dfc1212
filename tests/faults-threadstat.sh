#!/bin/bash
# threadstat on a process that ends while it is sampled, on 4,000 threads, and
# on a damaged /proc tree (copies of tests/fixtures/threadstat with files cut
# or garbled, read with --proc-root): a table or one line, the right exit,
# never a crash or a hang.  (Another user's process: faults-threadstat-user.sh.)
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
: "${THREADLAB_BUILDDIR:?run me from make check}" "${THREADLAB_SRCDIR:?run me from make check}"
target=$THREADLAB_BUILDDIR/tests/ts-target
threadstat=${THREADSTAT:-$THREADLAB_BUILDDIR/diagnostics/threadstat}
fails=0
tmp=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill -KILL "$pid" 2> /dev/null && wait "$pid" 2> /dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
ok() { echo "ok:   $1"; }
bad() {
	echo "FAIL: $1"
	sed 's/^/    /' "$tmp/err" | head -n 5
	fails=$((fails + 1))
}
mkfifo "$tmp/tin" "$tmp/tout" "$tmp/sout"

# start N: ts-target with N threads (small stacks: 4,000 of 8 MiB would be
# 32 GiB of address space), its stdin on fd 5, "ready" read from fd 6.
start() {
	(ulimit -s 256 && exec "$target" --threads "$1" < "$tmp/tin" > "$tmp/tout") &
	pid=$!
	exec 5> "$tmp/tin" 6< "$tmp/tout"
	if ! read -r -t 120 -u 6 word rpid || [ "$word" != ready ]; then
		echo "FAIL: no 'ready' from ts-target --threads $1 within 120 s"
		exit 1
	fi
	pid=$rpid
}
# stop: ts-target sees end of file, joins its threads and exits.
stop() {
	exec 5>&- 6<&-
	wait "$pid" 2> /dev/null
	pid=
}

# 4,000 threads: every one in the table, in the CSV, and in the doctor's look.
start 4000
"$threadstat" -f csv -o tid,name,state "$pid" > "$tmp/out" 2> "$tmp/err"
got=$? rows=$(($(wc -l < "$tmp/out") - 1))
[ "$got" -eq 0 ] && [ "$rows" -eq 4001 ] && ok "4,000 threads: 4001 CSV rows (and main), exit 0" ||
	bad "4,000 threads: exit $got, $rows rows (want 4001)"
"$threadstat" "$pid" > "$tmp/out" 2> "$tmp/err"
got=$?
head -n 1 "$tmp/out" | grep -q "4001 threads" && [ "$got" -eq 0 ] &&
	ok "4,000 threads: the table says 4001 threads, exit 0" || bad "4,000 threads: table, exit $got"
"$threadstat" doctor "$pid" > "$tmp/out" 2> "$tmp/err"
got=$?
[ "$got" -eq 0 ] && grep -q '^verdict: idle' "$tmp/out" &&
	ok "4,000 threads: doctor says idle, exit 0" || bad "4,000 threads: doctor exit $got"

# Ends mid-sample: --watch every 5 ms; once a sample is out, ts-target ends
# (its 1,000 threads one by one, while they are read).  threadstat says so
# and exits 0, whenever in its reading the end comes.
stop
for round in 1 2; do
	start 1000
	# Not holding ts-target's stdin (fd 5), or it would never see its end.
	"$threadstat" --watch -i 5 -o tid,state,cpu_pct "$pid" > "$tmp/sout" 2> "$tmp/err" 5>&- 6<&- &
	ts=$!
	exec 7< "$tmp/sout"
	read -r -t 60 -u 7 first
	stopped=$pid
	stop
	cat <&7 > /dev/null
	exec 7<&-
	wait "$ts"
	got=$?
	if [ "$got" -eq 0 ] && [ "$(cat "$tmp/err")" = "threadstat: process $stopped ended" ]; then
		ok "ends mid-sample (round $round): 'process $stopped ended', exit 0"
	else bad "ends mid-sample (round $round): exit $got, first line '${first:-}'"; fi
done

# A damaged tree: damaged WHAT CHANGE STATUS TEXT: with CHANGE made to a copy
# of the fixture tree, the table, --watch and the doctor exit STATUS, with
# TEXT as their one line on stderr (STATUS 1) or on stdout (0).
fixture=$THREADLAB_SRCDIR/tests/fixtures/threadstat/root
damaged() {
	what=$1 change=$2 want=$3 text=$4
	rm -rf "$tmp/root"
	cp -r "$fixture" "$tmp/root"
	chmod -R u+w "$tmp/root"
	(cd "$tmp/root/7394" && eval "$change")
	for cmd in "" "--watch -n 2" "doctor --window 50"; do
		# shellcheck disable=SC2086 # the words of cmd are arguments
		set -- $cmd
		if [ "${1:-}" = doctor ]; then
			"$threadstat" "$@" --proc-root "$tmp/root" 7394 > "$tmp/out" 2> "$tmp/err"
		else
			"$threadstat" "$@" -i 1 --proc-root "$tmp/root" 7394 > "$tmp/out" 2> "$tmp/err"
		fi
		got=$?
		if [ "$want" -eq 1 ]; then
			[ "$got" -eq 1 ] && [ "$(wc -l < "$tmp/err")" -eq 1 ] && grep -qF -- "$text" "$tmp/err"
		else
			[ "$got" -eq 0 ] && grep -qF -- "$text" "$tmp/out"
		fi || { bad "$what: threadstat ${cmd:-(table)}: exit $got (want $want and '$text')"; continue; }
		ok "$what: threadstat ${cmd:-(table)}: exit $got, '$text'"
	done
}
notfmt="cannot read process 7394: its stat is not in the kernel's format"
damaged "stat cut short" 'head -c 20 stat > s && mv s stat' 1 "$notfmt"
damaged "stat garbled" 'od -c stat | head -c 300 > s && mv s stat' 1 "$notfmt"
damaged "stat binary" 'head -c 3000 /dev/urandom | tr -d "\0" > stat' 1 "$notfmt"
damaged "no task directory" 'rm -r task' 1 "no process 7394"
damaged "every thread's stat garbled" 'for f in task/*/stat; do echo garbage > $f; done' 1 \
  "cannot read process 7394: no thread's stat is in the kernel's format"
# A thread's other files damaged: its row stays, the rest unaffected.
damaged "schedstat garbled" 'for f in task/*/schedstat; do echo garbage > $f; done' 0 "x) (y) z)"
damaged "status empty" 'for f in task/*/status; do : > $f; done' 0 "x) (y) z)"
damaged "syscall garbled" 'for f in task/*/syscall; do echo "-1 zz" > $f; done' 0 "x) (y) z)"
damaged "wchan of NUL bytes" 'for f in task/*/wchan; do head -c 100 /dev/zero > $f; done' 0 "x) (y) z)"
[ "$fails" -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }
