#!/bin/sh
# A lab may include the lab library and nothing else: compiled with exactly
# the flags a lab program gets, a lab that includes a harness or runner
# header (by name or by a path from the top of the tree) must fail to build,
# and one that includes the lab library must build.
set -u
: "${LAB_CC:?run me from make check}" "${LAB_CPPFLAGS:?run me from make check}"
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
fail=0

try() { # try WANT HEADER: compile a one-line lab including HEADER
	want=$1 header=$2
	printf '#include "%s"\nint main(void) { return 0; }\n' "$header" > "$tmp/lab.c"
	# shellcheck disable=SC2086
	if $LAB_CC $LAB_CPPFLAGS -c "$tmp/lab.c" -o "$tmp/lab.o" 2> "$tmp/err"; then got=builds
	else got=fails; fi
	if [ "$got" = "$want" ]; then echo "ok: a lab including \"$header\" $got"
	else echo "FAIL: a lab including \"$header\" $got, should be: $want"; sed 's/^/  /' "$tmp/err"; fail=1; fi
}

try builds tl_lab.h
try builds tl_watchdog.h
try fails tl_verdict.h
try fails tl_spec.h
try fails runner.h
try fails src/harness/tl_verdict.h
try fails harness/tl_spawn.h
try fails config.h
exit $fail
