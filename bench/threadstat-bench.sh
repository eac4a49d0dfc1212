#!/bin/bash
# make bench: what threadstat costs per thread per sample, at 1000 threads,
# against the floor, top -H and pidstat -t measured in the same run.
#
# CPU time (user+system, from wait4) of each tool, by bench/bench-run:
#   threadstat --watch --interval 0 --count K --format csv PID, K = 1 and 21
#   (default columns; stat for every thread every time; -o all):
#       per thread per sample = (cpu(K=21) - cpu(K=1)) / 20 / 1000
#   bench/schedstat-floor PID K, K = 1 and 21: the floor, a bare loop that
#       preads schedstat of every thread on kept descriptors (same formula)
#   top -H -b -n 1 -p PID and pidstat -t -p PID (one report), at 1000 threads
#   and at 1:  per thread = (cpu(1000) - cpu(1)) / 999
# Each measurement is repeated ROUNDS times (the rounds interleave the tools,
# so a change in the machine's load hits all of them alike) and the medians
# are used.  Timing never fails the bench; a tool that cannot run does.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
: "${THREADLAB_BUILDDIR:?run me from make bench}"
run=$THREADLAB_BUILDDIR/bench/bench-run
floor=$THREADLAB_BUILDDIR/bench/schedstat-floor
target=$THREADLAB_BUILDDIR/tests/ts-target
threadstat=${THREADSTAT:-$THREADLAB_BUILDDIR/diagnostics/threadstat}
threads=${BENCH_THREADS:-1000}
rounds=${BENCH_ROUNDS:-5}
for prog in "$run" "$floor" "$target" "$threadstat"; do
	if [ ! -x "$prog" ]; then
		echo "bench: $prog not built" >&2
		exit 1
	fi
done

tmp=$(mktemp -d)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill -KILL "$p" 2> /dev/null && wait "$p" 2> /dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

# Starts two targets, BIG threads and 1 thread, living until their stdin
# closes.  Both are forked before any FIFO is opened here, so neither holds
# the other's stdin open.
mkfifo "$tmp/big.in" "$tmp/big.out" "$tmp/one.in" "$tmp/one.out"
"$target" --threads "$threads" < "$tmp/big.in" > "$tmp/big.out" &
pids+=($!)
"$target" --threads 1 < "$tmp/one.in" > "$tmp/one.out" &
pids+=($!)
exec {big_in}> "$tmp/big.in" {big_out}< "$tmp/big.out" {one_in}> "$tmp/one.in" {one_out}< "$tmp/one.out"
read -r -t 60 -u "$big_out" w1 big || w1=
read -r -t 60 -u "$one_out" w2 one || w2=
if [ "$w1" != ready ] || [ "$w2" != ready ]; then
	echo "bench: ts-target did not start (ready lines: '$w1' '$w2')" >&2
	exit 1
fi

have_top=yes have_pidstat=yes have_all=yes
command -v top > /dev/null 2>&1 || have_top=no
command -v pidstat > /dev/null 2>&1 || have_pidstat=no
"$threadstat" --watch --interval 0 --count 1 -o all --format csv "$one" > /dev/null 2>&1 ||
	have_all=no

# measure NAME CMD...: appends one CPU time (us) to $tmp/NAME.
measure() {
	local name=$1 us
	shift
	if ! us=$("$run" -- "$@"); then
		echo "bench: could not run: $*" >&2
		exit 1
	fi
	echo "$us" >> "$tmp/$name"
}

watch=("$threadstat" --watch --interval 0 --format csv)
stat_cols=tid,name,state,user_ms,sys_ms,cpu,start_s
for ((r = 1; r <= rounds; r++)); do
	measure floor1 "$floor" "$big" 1
	measure floor21 "$floor" "$big" 21
	measure ts1 "${watch[@]}" --count 1 "$big"
	measure ts21 "${watch[@]}" --count 21 "$big"
	# Without cpu_pct no schedstat is read, so stat is read for every
	# thread at every sample: the cost when every thread ran since the
	# last sample (the default reads stat only for those).
	measure st1 "${watch[@]}" --count 1 -o "$stat_cols" "$big"
	measure st21 "${watch[@]}" --count 21 -o "$stat_cols" "$big"
	if [ "$have_all" = yes ]; then
		measure all1 "${watch[@]}" --count 1 -o all "$big"
		measure all21 "${watch[@]}" --count 21 -o all "$big"
	fi
	if [ "$have_top" = yes ]; then
		measure top_big top -H -b -n 1 -p "$big"
		measure top_one top -H -b -n 1 -p "$one"
	fi
	if [ "$have_pidstat" = yes ]; then
		measure pidstat_big pidstat -t -p "$big"
		measure pidstat_one pidstat -t -p "$one"
	fi
done

# Both targets must still be there with all their threads: a target that
# died would make every number meaningless.
for p in "$big" "$one"; do
	if ! kill -0 "$p" 2> /dev/null; then
		echo "bench: ts-target $p ended during the bench" >&2
		exit 1
	fi
done
exec {big_in}>&- {one_in}>&-
for p in "${pids[@]}"; do
	wait "$p" || { echo "bench: ts-target $p exited $?" >&2; exit 1; }
done
pids=()

median() { sort -n "$tmp/$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# per NAME_A NAME_B DIVISOR: (median(A) - median(B)) / DIVISOR, in us
per() { awk -v a="$(median "$1")" -v b="$(median "$2")" -v d="$3" 'BEGIN { printf "%.3f", (a - b) / d }'; }

ts_per=$(per ts21 ts1 "$((20 * threads))")
floor_per=$(per floor21 floor1 "$((20 * threads))")
echo "threadstat bench: $threads threads, CPU time (user+sys) of each tool, medians of $rounds rounds"
echo "  load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  threadstat startup and one sample at $threads threads: $(median ts1) us; 21 samples: $(median ts21) us"
printf '  %-40s %18s %10s %14s\n' tool "us/thread/sample" "x floor" "vs threadstat"
row() { # LABEL VALUE
	awk -v l="$1" -v v="$2" -v t="$ts_per" -v f="$floor_per" 'BEGIN {
		printf "  %-40s %18.3f %9.1fx %13.1fx\n", l, v, (f > 0) ? v / f : 0, (t > 0) ? v / t : 0 }'
}
row "floor: pread schedstat, kept fds" "$floor_per"
row "threadstat --watch (default columns)" "$ts_per"
row "threadstat --watch, stat every sample" "$(per st21 st1 "$((20 * threads))")"
all_per=
if [ "$have_all" = yes ]; then
	all_per=$(per all21 all1 "$((20 * threads))")
	row "threadstat --watch -o all" "$all_per"
else
	echo "  threadstat -o all: not available in this threadstat"
fi
top_per=
if [ "$have_top" = yes ]; then
	top_per=$(per top_big top_one "$((threads - 1))")
	row "top -H -b -n 1" "$top_per"
	echo "    (top: $(median top_big) us at $threads threads, $(median top_one) us at 1)"
else
	echo "  skipped: top not installed"
fi
if [ "$have_pidstat" = yes ]; then
	row "pidstat -t" "$(per pidstat_big pidstat_one "$((threads - 1))")"
	echo "    (pidstat: $(median pidstat_big) us at $threads threads, $(median pidstat_one) us at 1)"
else
	echo "  skipped: pidstat not installed"
fi

# goal LABEL MET(0/1) VALUE-TEXT
goal() { printf '%s: %s (%s)\n' "$1" "$([ "$2" = 1 ] && echo met || echo MISSED)" "$3"; }
goal "threadstat --watch within 3x of the floor" \
	"$(awk -v t="$ts_per" -v f="$floor_per" 'BEGIN { print (f > 0 && t <= 3 * f) ? 1 : 0 }')" \
	"$(awk -v t="$ts_per" -v f="$floor_per" 'BEGIN { printf "%.1fx", (f > 0) ? t / f : 0 }')"
if [ -n "$top_per" ]; then
	goal ">= 20x cheaper than top -H" \
		"$(awk -v t="$ts_per" -v p="$top_per" 'BEGIN { print (t > 0 && p >= 20 * t) ? 1 : 0 }')" \
		"$(awk -v t="$ts_per" -v p="$top_per" 'BEGIN { printf "%.1fx", (t > 0) ? p / t : 0 }')"
	if [ -n "$all_per" ]; then
		goal "-o all under a third of top -H" \
			"$(awk -v a="$all_per" -v p="$top_per" 'BEGIN { print (3 * a < p) ? 1 : 0 }')" \
			"$(awk -v a="$all_per" -v p="$top_per" 'BEGIN { printf "%.2f of top", (p > 0) ? a / p : 0 }')"
	fi
else
	echo ">= 20x cheaper than top -H: not measured (top not installed)"
fi
exit 0
