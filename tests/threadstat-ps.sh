#!/bin/bash
# threadstat against ps -L: on a stopped process with awkwardly named
# threads, the (tid, name, state) rows of `threadstat --format csv` must be
# exactly those ps prints.  Stopped, so that neither the set of threads nor
# their states can change between the two readings.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
: "${THREADLAB_BUILDDIR:?run me from make check}"
target=$THREADLAB_BUILDDIR/tests/ts-target
threadstat=${THREADSTAT:-$THREADLAB_BUILDDIR/diagnostics/threadstat}
if ! command -v ps > /dev/null 2>&1; then
	echo "SKIP: ps not installed (apt-get install procps)"
	exit 77
fi
for prog in "$target" "$threadstat"; do
	if [ ! -x "$prog" ]; then
		echo "FAIL: $prog not built"
		exit 1
	fi
done

# Names with spaces (one leading), parentheses, fields that look like stat
# fields, a comma and a quote (CSV quoting), one of exactly 15 bytes (the
# longest the kernel keeps).  Twelve threads: the last is named "t-11" by
# ts-target; the first two spin, so running threads are stopped too.
names='my worker 1/x) (y) z)/)/(/fifteen-chars-x/a) R 1 2 3 4/comma,name/say "hi"/ lead space/((()))/spin 1'
tmp=$(mktemp -d)
pid=
cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2> /dev/null; then
		kill -CONT "$pid" 2> /dev/null
		kill -KILL "$pid" 2> /dev/null
		wait "$pid" 2> /dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

coproc TARGET { exec "$target" --threads 12 --spin 2 --names "$names"; }
pid=$TARGET_PID
to_target=${TARGET[1]}
from_target=${TARGET[0]}
if ! read -r -t 30 -u "$from_target" word rpid || [ "$word" != ready ] || [ "$rpid" != "$pid" ]; then
	echo "FAIL: no 'ready $pid' line from ts-target within 30 s (got '${word:-} ${rpid:-}')"
	exit 1
fi

# Stop it and wait, for at most 30 s, until every thread shows state T.
kill -STOP "$pid"
deadline=$((SECONDS + 30))
while :; do
	running=0
	for f in /proc/"$pid"/task/*/stat; do
		line=$(< "$f") || continue
		rest=${line##*) }
		[ "${rest:0:1}" = T ] || running=$((running + 1))
	done
	[ "$running" -eq 0 ] && break
	if [ "$SECONDS" -ge "$deadline" ]; then
		echo "FAIL: $running threads of $pid not stopped after 30 s"
		exit 1
	fi
	sleep 0.01
done

# ps: "TID S NAME", the name last so that its spaces are kept as they are.
LC_ALL=C ps -L -o tid=,s=,comm= -p "$pid" > "$tmp/ps.raw"
sed -E 's/^ *([0-9]+) (.) (.*)$/\1\t\2\t\3/' "$tmp/ps.raw" | LC_ALL=C sort > "$tmp/ps"

if ! "$threadstat" --format csv "$pid" > "$tmp/ts.csv" 2> "$tmp/ts.err"; then
	echo "FAIL: threadstat --format csv $pid failed:"
	cat "$tmp/ts.err"
	exit 1
fi
# The CSV, parsed properly: quoted fields may hold commas and doubled quotes.
# The columns are found by their names in the header.
awk '
function parse(line,   i, c, f, q) {
	n = 0; f = ""; q = 0
	for (i = 1; i <= length(line); i++) {
		c = substr(line, i, 1)
		if (q) {
			if (c == "\"") {
				if (substr(line, i + 1, 1) == "\"") { f = f "\""; i++ }
				else q = 0
			} else f = f c
		} else if (c == "\"") q = 1
		else if (c == ",") { fld[++n] = f; f = "" }
		else f = f c
	}
	fld[++n] = f
	return q == 0
}
{ sub(/\r$/, "") }
NR == 1 {
	parse($0)
	for (i = 1; i <= n; i++) col[fld[i]] = i
	if (!("tid" in col) || !("name" in col) || !("state" in col)) {
		print "no tid, name or state column in: " $0 > "/dev/stderr"; exit 1
	}
	next
}
{
	if (!parse($0)) { print "unterminated quote in: " $0 > "/dev/stderr"; exit 1 }
	printf "%s\t%s\t%s\n", fld[col["tid"]], fld[col["state"]], fld[col["name"]]
}' "$tmp/ts.csv" > "$tmp/ts.rows" || { echo "FAIL: cannot parse threadstat's CSV:"; cat "$tmp/ts.csv"; exit 1; }
LC_ALL=C sort "$tmp/ts.rows" > "$tmp/ts"

fails=0
# The oracle itself must see what ts-target was asked for: 13 threads, all
# stopped, every name there.
if [ "$(wc -l < "$tmp/ps")" -ne 13 ]; then
	echo "FAIL: ps lists $(wc -l < "$tmp/ps") threads, expected 13:"
	cat "$tmp/ps.raw"
	fails=$((fails + 1))
fi
IFS=/ read -r -a expected <<< "$names/t-11"
for name in "${expected[@]}"; do
	for side in ps ts; do
		if ! cut -f3- "$tmp/$side" | grep -qxF -- "$name"; then
			echo "FAIL: $side has no thread named '$name'"
			fails=$((fails + 1))
		fi
	done
done
if cut -f2 "$tmp/ps" | grep -qv '^T$'; then
	echo "FAIL: ps shows threads that are not stopped"
	fails=$((fails + 1))
fi
if ! diff -u --label ps "$tmp/ps" --label threadstat "$tmp/ts" > "$tmp/diff"; then
	echo "FAIL: threadstat's (tid, state, name) differ from ps -L:"
	cat "$tmp/diff"
	fails=$((fails + 1))
fi

# Let it go: continue, close its stdin, and reap it within 30 s.
kill -CONT "$pid"
eval "exec $to_target>&- $from_target<&-"
deadline=$((SECONDS + 30))
while kill -0 "$pid" 2> /dev/null && [ "$(awk '{print $3}' "/proc/$pid/stat" 2> /dev/null)" != Z ]; do
	if [ "$SECONDS" -ge "$deadline" ]; then
		echo "FAIL: ts-target did not exit within 30 s of its stdin closing"
		exit 1
	fi
	sleep 0.01
done
wait "$pid"
rc=$?
pid=
if [ "$rc" -ne 0 ]; then
	echo "FAIL: ts-target exited $rc"
	fails=$((fails + 1))
fi

if [ "$fails" -eq 0 ]; then
	echo "ok: 13 threads, (tid, state, name) as ps -L shows them:"
	sed 's/^/    /' "$tmp/ts"
	exit 0
fi
exit 1
