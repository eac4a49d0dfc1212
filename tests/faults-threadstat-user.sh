#!/bin/bash
# threadstat run by an unprivileged user (nobody) on another user's process.
# Ordinary /proc: it reads what every user may (states, CPU, wchan) and says
# what it may not (system calls and memory: ptrace rights), exit 0.  /proc
# mounted hidepid=1 (how an administrator keeps users out of each other's
# processes): "may not read process PID", exit 1.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
: "${THREADLAB_BUILDDIR:?run me from make check}"
if ! command -v setpriv > /dev/null; then
	echo "SKIP: running threadstat as another user needs setpriv (util-linux)"
	exit 77
fi
. "${THREADLAB_SRCDIR:?run me from make check}/tests/faults-mounts.sh"
faults_own_mounts "running threadstat as another user"
target=$THREADLAB_BUILDDIR/tests/ts-target
fails=0
tmp=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill -KILL "$pid" 2> /dev/null && wait "$pid" 2> /dev/null
	umount "$tmp/proc" 2> /dev/null
	[ "$FAULTS_OWN_MOUNTS" = unchanged ] && umount "$tmp" 2> /dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
faults_private_dir "$tmp"
# A copy nobody may run, wherever the build tree is (/root is 0700).
chmod 755 "$tmp"
install -m 755 "${THREADSTAT:-$THREADLAB_BUILDDIR/diagnostics/threadstat}" "$tmp/threadstat"
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$tmp/threadstat" "$@"; }
ok() { echo "ok:   $1"; }
bad() {
	echo "FAIL: $1"
	sed 's/^/    /' "$tmp/err" | head -n 5
	fails=$((fails + 1))
}

coproc TARGET { exec "$target" --threads 3; }
pid=$TARGET_PID
if ! read -r -t 60 -u "${TARGET[0]}" word _ || [ "$word" != ready ]; then
	echo "FAIL: no 'ready' line from ts-target within 60 s"
	exit 1
fi

as_nobody "$pid" > "$tmp/out" 2> "$tmp/err"
got=$?
if [ "$got" -eq 0 ] && grep -q "4 threads" "$tmp/out" &&
	[ "$(cat "$tmp/err")" = "threadstat: may not read the system calls of process $pid (ptrace rules): WAIT shows wchan only" ]; then
	ok "root's process, ordinary /proc: the table, and one line on the system calls, exit 0"
else bad "root's process, ordinary /proc: exit $got"; fi
as_nobody doctor --window 50 "$pid" > "$tmp/out" 2> "$tmp/err"
got=$?
if [ "$got" -eq 0 ] && grep -q "^cannot read memory of pid $pid (ptrace rules)" "$tmp/out"; then
	ok "root's process, ordinary /proc: the doctor says it cannot read memory, exit 0"
else bad "root's process, ordinary /proc: doctor exit $got"; fi

mkdir "$tmp/proc"
if ! mount -t proc -o hidepid=1 proc "$tmp/proc" 2> "$tmp/err"; then
	echo "SKIP: cannot mount /proc with hidepid=1 here: $(head -n 1 "$tmp/err")"
	exit 77
fi
for cmd in "" "--watch -n 2 -i 10" "doctor --window 50"; do
	# shellcheck disable=SC2086 # the words of cmd are arguments
	as_nobody $cmd --proc-root "$tmp/proc" "$pid" > "$tmp/out" 2> "$tmp/err"
	got=$?
	if [ "$got" -eq 1 ] && [ "$(cat "$tmp/err")" = "threadstat: may not read process $pid: Operation not permitted" ]; then
		ok "hidepid=1: threadstat ${cmd:-(table)}: 'may not read process $pid', exit 1"
	else bad "hidepid=1: threadstat ${cmd:-(table)}: exit $got"; fi
done
# The same as root: root may read every process.
"$tmp/threadstat" --proc-root "$tmp/proc" "$pid" > "$tmp/out" 2> "$tmp/err"
got=$?
[ "$got" -eq 0 ] && grep -q "4 threads" "$tmp/out" && ok "hidepid=1, as root: the table, exit 0" ||
	bad "hidepid=1, as root: exit $got"
[ "$fails" -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }
