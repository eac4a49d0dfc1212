#!/bin/sh
# threadstat (and everything else make install puts in place) is never
# setuid or setgid and carries no file capabilities: it reads what the
# user's own rights allow (/proc/PID/task/*/{stat,schedstat,status,wchan}
# for anyone; syscall, maps and mem only with ptrace rights over the
# process: the same user, or root).  Nor does it call anything that changes
# its rights.  Checked on `make install-exec DESTDIR=`.
set -u
: "${THREADLAB_BUILDDIR:?run me from make check}"
fails=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The test runs inside make check: a make of its own, not the jobserver's.
if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$THREADLAB_BUILDDIR" install-exec \
	DESTDIR="$tmp/dest" > "$tmp/log" 2>&1; then
	echo "FAIL: make install-exec DESTDIR=$tmp/dest:"; tail -n 20 "$tmp/log"
	exit 1
fi
ts=$(find "$tmp/dest" -type f -name threadstat)
tl=$(find "$tmp/dest" -type f -name threadlab)
if [ -z "$ts" ] || [ -z "$tl" ]; then
	echo "FAIL: threadstat or threadlab not installed under $tmp/dest"; exit 1
fi
n=$(find "$tmp/dest" -type f | wc -l)
special=$(find "$tmp/dest" -perm /6000)
if [ -z "$special" ]; then echo "ok:   none of the $n installed files is setuid or setgid"
else echo "FAIL: setuid or setgid: $special"; fails=$((fails + 1)); fi
mode=$(stat -c %a "$ts")
if [ "$mode" = 755 ]; then echo "ok:   threadstat installed mode 755"
else echo "FAIL: threadstat installed mode $mode (want 755)"; fails=$((fails + 1)); fi
if command -v getcap > /dev/null; then
	caps=$(getcap -r "$tmp/dest" 2> /dev/null)
	if [ -z "$caps" ]; then echo "ok:   no file capabilities on any installed file"
	else echo "FAIL: file capabilities: $caps"; fails=$((fails + 1)); fi
else
	echo "ok:   file capabilities not checked: no getcap (apt-get install libcap2-bin)"
fi
if command -v nm > /dev/null; then
	calls=$(nm -D --undefined-only "$ts" | grep -E ' (set(e|re|res)?[ug]id|setgroups|capset|cap_set_proc)(@|$)')
	if [ -z "$calls" ]; then echo "ok:   threadstat calls no set*id, setgroups or capset"
	else echo "FAIL: threadstat changes its rights: $calls"; fails=$((fails + 1)); fi
else
	echo "ok:   imports not checked: no nm (apt-get install binutils)"
fi
[ "$fails" -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }
