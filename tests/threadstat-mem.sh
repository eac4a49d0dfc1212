#!/bin/bash
# threadstat -o mem: a thread whose stack grew by a known amount shows it.
# ts-target --grow 256 has a thread, "grower", blocked; the line "grow"
# makes it touch 256 KiB more of its stack and block again in that frame
# ("grown TID" says it has).  Its high-water mark and resident stack must
# move by 256 KiB, give or take one page (the frame around the buffer).
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
if ! cat /proc/self/syscall > /dev/null 2>&1; then
	echo "SKIP: /proc/PID/syscall cannot be read here (no stack pointers)"
	exit 77
fi
fail=0
grow_kib=256 page_kib=$(($(getconf PAGESIZE) / 1024))

coproc TARGET { exec "$target" --threads 2 --grow "$grow_kib"; }
pid=$TARGET_PID to=${TARGET[1]} from=${TARGET[0]}
if ! read -r -t 30 -u "$from" word rpid || [ "$word" != ready ]; then
	echo "FAIL: ts-target did not get ready"
	kill -KILL "$pid" 2> /dev/null
	exit 1
fi

# stack_of FIELD: the grower's stack_kb,stack_rss_kb,stack_hwm_kb FIELD (1-3).
stack_of() {
	"$threadstat" -i 0 -f csv -o name,mem "$pid" | awk -F, -v f="$1" '$4 == "grower" { print $(4 + f) }'
}
size=$(stack_of 1) rss0=$(stack_of 2) hwm0=$(stack_of 3)
echo grow >&"$to"
read -r -t 30 -u "$from" word gtid
[ "$word" = grown ] || { echo "FAIL: no 'grown' from ts-target"; fail=1; }
rss1=$(stack_of 2) hwm1=$(stack_of 3)
"$threadstat" -i 0 -o mem "$pid"
exec {to}>&-
wait "$pid" || { echo "FAIL: ts-target exited $?"; fail=1; }

# within NAME BEFORE AFTER: AFTER - BEFORE is grow_kib, within one page.
within() {
	local d
	if [ -z "$2" ] || [ -z "$3" ]; then
		echo "FAIL: $1: no value (before '$2', after '$3')"; fail=1; return
	fi
	d=$(($3 - $2 - grow_kib))
	if [ "${d#-}" -le "$page_kib" ]; then
		echo "ok: $1 grew from $2 to $3 KiB (by $grow_kib, off by $d)"
	else
		echo "FAIL: $1 grew from $2 to $3 KiB, not by $grow_kib within $page_kib"; fail=1
	fi
}
[ -n "$size" ] && [ "$size" -gt "$grow_kib" ] ||
	{ echo "FAIL: grower's stack is '$size' KiB"; fail=1; }
within "high-water mark" "$hwm0" "$hwm1"
within "resident stack" "$rss0" "$rss1"
exit $fail
