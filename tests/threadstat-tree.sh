#!/bin/bash
# threadstat -- CMD follows the command's whole tree: a pipeline and a
# forking server, every process and thread in the summary, their CPU adding
# up to the kernel's count for the tree (rusage) within 5 %; --tree PID
# finds the same processes; --no-children keeps to the command.
#
# No sleeps: each command blocks until its stdin closes, and the test closes
# it only once threadstat's own samples (CSV on its stdout) have shown every
# thread.  The CPU is spent (--burn) before the threads exist, so a sample
# that shows them has seen it.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
: "${THREADLAB_BUILDDIR:?run me from make check}"
target=$THREADLAB_BUILDDIR/tests/ts-target
threadstat=${THREADSTAT:-$THREADLAB_BUILDDIR/diagnostics/threadstat}
for prog in "$target" "$threadstat"; do
	if [ ! -x "$prog" ]; then
		echo "FAIL: $prog not built"
		exit 1
	fi
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# run_tree NAME EXPECTED-THREAD-NAMES -- CMD...: runs CMD under threadstat
# --watch -f csv, reads the samples until every name has been seen (the
# first name in $ROUNDS samples, 1 unless set), closes CMD's stdin, and
# leaves the summary in $tmp/NAME.sum, the samples in $tmp/NAME.csv.
# Returns threadstat's exit status.
run_tree() {
	local name=$1 names=$2 line n seen=" " missing first=${2%% *} times=0
	shift 2
	coproc TS { exec "$threadstat" --watch -i 20 -f csv "$@" 2> "$tmp/$name.sum"; }
	local out=${TS[0]} in=${TS[1]} pid=$TS_PID
	: > "$tmp/$name.csv"
	while :; do
		missing=0
		for n in $names; do
			case $seen in *" $n "*) ;; *) missing=1 ;; esac
		done
		[ "$times" -lt "${ROUNDS:-1}" ] && missing=1
		[ "$missing" = 0 ] && break
		if ! IFS= read -r -t 60 -u "$out" line; then
			echo "FAIL: $name: threadstat's samples never showed all of: $names (seen:$seen)"
			kill -TERM "$pid" 2> /dev/null
			exec {in}>&-
			wait "$pid"
			return 1
		fi
		echo "$line" >> "$tmp/$name.csv"
		n=$(echo "$line" | cut -d, -f4)
		[ "$n" = "$first" ] && times=$((times + 1))
		case $seen in *" $n "*) ;; *) seen="$seen$n " ;; esac
	done
	exec {in}>&-
	cat <&"$out" >> "$tmp/$name.csv"
	wait "$pid"
}

# check_sum NAME PROCESSES NAMES MIN_S: the summary of run NAME has
# PROCESSES process rows, a thread row for each name, and rows' CPU within
# 5 % of the tree's rusage (which must hold the --burn time at least: MIN_S).
# Rows of processes their parent waited for are as last sampled: what is
# missed is their exit and stat's rounding down to clock ticks (at most two
# ticks a process, 20 ms), so the burns are long enough for that to stay
# under 3 %.
check_sum() {
	local name=$1 procs=$2 names=$3 min_s=$4 sum=$tmp/$1.sum n rows tree
	n=$(grep -c '^ *[0-9]\+ [^ ].* MiB  ' "$sum")
	[ "$n" = "$procs" ] || { echo "FAIL: $name: $n process rows, expected $procs"; cat "$sum"; fail=1; }
	for n in $names; do
		grep -q "^ *[0-9]\+ $n " "$sum" || { echo "FAIL: $name: no thread row $n"; cat "$sum"; fail=1; }
	done
	rows=$(sed -n 's/^  CPU: \([0-9.]*\) s in the processes below.*/\1/p' "$sum")
	tree=$(sed -n 's/^  CPU: .*; \([0-9.]*\) s used by the whole tree (rusage).*/\1/p' "$sum")
	if [ -z "$rows" ] || [ -z "$tree" ]; then
		echo "FAIL: $name: no CPU line"; cat "$sum"; fail=1; return
	fi
	if awk -v r="$rows" -v t="$tree" -v m="$min_s" 'BEGIN { d = r - t; if (d < 0) d = -d; exit !(t >= m && d <= 0.05 * t) }'; then
		echo "ok: $name: $procs processes; CPU $rows s in rows, $tree s by rusage"
	else
		echo "FAIL: $name: CPU $rows s in rows, $tree s by rusage (at least $min_s s expected, within 5 %)"
		cat "$sum"; fail=1
	fi
}

# A pipeline: the shell and its two commands, which it waits for; each
# command burns 700 ms of CPU.
names_a="pa-1 pa-2" names_b="pb-1 pb-2 pb-3"
run_tree pipe "$names_a $names_b" -- sh -c "'$target' --threads 2 --burn 700 --names pa-1/pa-2 |
	'$target' --threads 3 --burn 700 --names pb-1/pb-2/pb-3 > /dev/null"
rc=$?
[ "$rc" = 0 ] || { echo "FAIL: pipeline: threadstat exited $rc"; cat "$tmp/pipe.sum"; fail=1; }
check_sum pipe 3 "$names_a $names_b" 1.4

# A forking server: two child processes of two threads each, which the
# server waits for when its stdin closes; everyone burns 500 ms.
names_s="t-0 t-1 c1-t-0 c1-t-1 c2-t-0 c2-t-1"
run_tree server "$names_s" -- "$target" --threads 2 --fork 2 --burn 500
rc=$?
[ "$rc" = 0 ] || { echo "FAIL: server: threadstat exited $rc"; cat "$tmp/server.sum"; fail=1; }
check_sum server 3 "$names_s" 1.5

# A zombie its parent never waits for stays in the parent's children file:
# it is one process, however many samples list it (the shell forks env true,
# then becomes ts-target, which waits for nobody; threadstat, the subreaper,
# waits for the zombie at the end).  Ten samples see it listed.
ROUNDS=10 run_tree zombie "t-0" -- sh -c "env true & exec '$target' --threads 1"
rc=$?
[ "$rc" = 0 ] || { echo "FAIL: zombie: threadstat exited $rc"; cat "$tmp/zombie.sum"; fail=1; }
n=$(grep -c '^ *[0-9]\+ [^ ].* MiB  ' "$tmp/zombie.sum")
if [ "$n" = 2 ] && grep -q '^ *[0-9]\+ true .*at exit' "$tmp/zombie.sum"; then
	echo "ok: zombie: 2 processes"
else
	echo "FAIL: zombie: $n process rows, expected ts-target and true"; cat "$tmp/zombie.sum"; fail=1
fi

# --tree PID on a running server: one table, all three processes.
coproc SRV { exec "$target" --threads 1 --fork 2; }
srv_pid=$SRV_PID srv_in=${SRV[1]}
if read -r -t 60 -u "${SRV[0]}" word spid && [ "$word" = ready ]; then
	"$threadstat" --tree -i 0 -f csv -o tid,name "$spid" > "$tmp/tree.csv" 2>&1
	n=$(tail -n +2 "$tmp/tree.csv" | cut -d, -f2 | sort -u | wc -l)
	if [ "$n" = 3 ] && grep -q ',c2-t-0$' "$tmp/tree.csv"; then
		echo "ok: --tree $spid: 3 processes"
	else
		echo "FAIL: --tree $spid: $n processes"; cat "$tmp/tree.csv"; fail=1
	fi
	"$threadstat" -i 0 -f csv -o tid,name "$spid" > "$tmp/one.csv" 2>&1
	n=$(tail -n +2 "$tmp/one.csv" | cut -d, -f2 | sort -u | wc -l)
	[ "$n" = 1 ] || { echo "FAIL: without --tree: $n processes"; cat "$tmp/one.csv"; fail=1; }
else
	echo "FAIL: the server did not get ready"; fail=1
fi
exec {srv_in}>&-
wait "$srv_pid" || { echo "FAIL: the server exited $?"; fail=1; }

# --no-children: the command alone, as before (its child's threads unseen).
run_tree nc "t-0 t-1" --no-children -- "$target" --threads 2 --fork 1
if grep -q 'threads: 3 seen' "$tmp/nc.sum" && ! grep -q 'processes:' "$tmp/nc.sum" &&
	! grep -q 'c1-t-0' "$tmp/nc.csv"; then
	echo "ok: --no-children"
else
	echo "FAIL: --no-children"; cat "$tmp/nc.sum"; fail=1
fi
exit $fail
