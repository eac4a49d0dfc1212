#!/bin/bash
# A full disk under threadstat's output files (--output, --plot): one clear
# line, exit 1, and no partial file left to be taken for a whole one.  The
# disk is a small tmpfs, mounted in a mount namespace of this test's own.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
: "${THREADLAB_BUILDDIR:?run me from make check}"
. "${THREADLAB_SRCDIR:?run me from make check}/tests/faults-mounts.sh"
faults_own_mounts "a full tmpfs"
target=$THREADLAB_BUILDDIR/tests/ts-target
threadstat=${THREADSTAT:-$THREADLAB_BUILDDIR/diagnostics/threadstat}
fails=0
tmp=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill -KILL "$pid" 2> /dev/null && wait "$pid" 2> /dev/null
	umount "$tmp/full" 2> /dev/null
	[ "$FAULTS_OWN_MOUNTS" = unchanged ] && umount "$tmp" 2> /dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
faults_private_dir "$tmp"
mkdir "$tmp/full" "$tmp/roomy"
if ! mount -t tmpfs -o size=64k,mode=0755 threadlab-full "$tmp/full" 2> "$tmp/err"; then
	echo "SKIP: cannot mount a tmpfs: $(head -n 1 "$tmp/err")"
	exit 77
fi
# Full but for FREE_KIB: everything taken, then that much given back.
fill_leaving() {
	rm -f "$tmp/full/filler"
	cat /dev/zero > "$tmp/full/filler" 2> /dev/null
	truncate -s "-$1K" "$tmp/full/filler"
}

coproc TARGET { exec "$target" --threads 200; }
pid=$TARGET_PID
if ! read -r -t 60 -u "${TARGET[0]}" word _ || [ "$word" != ready ]; then
	echo "FAIL: no 'ready' line from ts-target within 60 s"
	exit 1
fi

# writes NAME FREE_KIB FILE ARGS...: threadstat ARGS writing FILE fails on a
# disk with FREE_KIB left, with one threadstat line naming FILE and the cause, exit 1,
# and FILE is gone; the same into a roomy directory succeeds (the control).
writes() {
	name=$1 free=$2 file=$3
	shift 3
	"$threadstat" "$@" "$pid" > /dev/null 2> "$tmp/err"
	got=$?
	roomy=${file/#$tmp\/full/$tmp\/roomy}
	if [ "$got" -ne 0 ] || [ ! -s "$roomy" ]; then
		echo "FAIL: $name: the control into $tmp/roomy: exit $got"; cat "$tmp/err"
		fails=$((fails + 1))
		return
	fi
	fill_leaving "$free"
	set -- "${@/#$tmp\/roomy/$tmp/full}"
	"$threadstat" "$@" "$pid" > /dev/null 2> "$tmp/err"
	got=$?
	# gnuplot's own warnings may come too; ours is one line.
	lines=$(grep -c '^threadstat: ' "$tmp/err")
	if [ "$got" -ne 1 ] || [ "$lines" -ne 1 ] || ! grep -qF "$file" "$tmp/err" ||
		! grep -q 'No space left on device\|did not write' "$tmp/err"; then
		echo "FAIL: $name: exit $got (want 1), $lines stderr lines:"; cat "$tmp/err"
		fails=$((fails + 1))
	elif [ -e "$file" ]; then
		echo "FAIL: $name: $(stat -c %s "$file") bytes of $file left behind"
		fails=$((fails + 1))
	else
		echo "ok:   $name: $(grep '^threadstat: ' "$tmp/err")"
	fi
}
writes "--output, table" 8 "$tmp/full/samples.txt" --watch -n 3 -i 50 -O "$tmp/roomy/samples.txt"
writes "--output, csv" 8 "$tmp/full/samples.csv" --watch -n 3 -i 50 -f csv -O "$tmp/roomy/samples.csv"
writes "--output, nothing free" 0 "$tmp/full/samples.json" --watch -n 3 -i 50 -f json -O "$tmp/roomy/samples.json"
if [ -n "${GNUPLOT:-}" ] && command -v "$GNUPLOT" > /dev/null; then
	writes "--plot" 4 "$tmp/full/chart.png" --watch -n 3 -i 50 -O /dev/null -p "$tmp/roomy/chart.png"
else
	echo "ok:   --plot not checked: no gnuplot (apt-get install gnuplot-nox)"
fi
[ "$fails" -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }
