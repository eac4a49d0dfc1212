#!/bin/sh
# make check-fresh: the README's two commands on a bare Debian 12, as a
# newcomer's machine would be.  A minbase root (plus git and
# ca-certificates) is made once with debootstrap and kept in the cache; each
# run copies it, clones the committed HEAD into the copy, and runs
# `./bootstrap` and `make check` there as root with CI=true.  It passes only
# when both succeed and automake reports no test skipped or failed.
#
# Exit: 0 passed, 1 failed inside the root, 77 the root cannot be made here
# (not root, no debootstrap, no mirror): one line says why.
set -u
srcdir=${1:?usage: check-fresh.sh SRCDIR}
cache=${THREADLAB_FRESH_CACHE:-/var/tmp/threadlab-fresh-root}
log=${THREADLAB_FRESH_LOG:-check-fresh.log}

cannot() { echo "check-fresh: cannot make a bare root here: $*"; exit 77; }

[ "$(id -u)" -eq 0 ] || cannot "not root (chroot and debootstrap need root)"
command -v debootstrap >/dev/null 2>&1 || cannot "debootstrap is not installed (apt-get install debootstrap)"
command -v git >/dev/null 2>&1 || cannot "git is not installed"
git -C "$srcdir" rev-parse --verify -q HEAD >/dev/null || cannot "$srcdir is not a git checkout"

# The mirror this machine's own apt uses: never written into the project.
mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
[ -n "$mirror" ] || mirror=$(sed -n 's/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*\) bookworm .*/\2/p' \
	/etc/apt/sources.list 2>/dev/null | head -n 1)
[ -n "$mirror" ] || cannot "no Debian mirror in this machine's apt sources"

base=$cache/base
start=$(date +%s)
if [ ! -x "$base/bin/bash" ]; then
	echo "check-fresh: making a bare Debian 12 root in $base (once)"
	mkdir -p "$cache" && rm -rf "$base.tmp" || cannot "cannot write $cache"
	if ! debootstrap --variant=minbase --include=git,ca-certificates bookworm "$base.tmp" \
		"$mirror" >"$cache/debootstrap.log" 2>&1; then
		cannot "debootstrap from $mirror failed (see $cache/debootstrap.log)"
	fi
	# The same apt sources as this machine, so security updates come too.
	if [ -f /etc/apt/sources.list.d/debian.sources ]; then
		rm -f "$base.tmp/etc/apt/sources.list"
		cp /etc/apt/sources.list.d/debian.sources "$base.tmp/etc/apt/sources.list.d/"
	fi
	mv "$base.tmp" "$base"
fi

root=$cache/run
mounted=
cleanup() {
	for m in $mounted; do umount -l "$root/$m" 2>/dev/null; done
	mounted=
}
trap cleanup EXIT
trap 'cleanup; exit 1' INT TERM HUP

rm -rf "$root" && cp -a "$base" "$root" || { echo "check-fresh: cannot copy $base"; exit 1; }
git clone -q "$srcdir" "$root/root/project" || { echo "check-fresh: cannot clone $srcdir"; exit 1; }
head=$(git -C "$root/root/project" rev-parse --short HEAD)
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null
for m in proc dev dev/pts sys; do
	mount --bind "/$m" "$root/$m" || { echo "check-fresh: cannot bind-mount /$m"; exit 1; }
	mounted="$m $mounted"
done

echo "check-fresh: ./bootstrap && make check in a bare Debian 12 root, HEAD $head (log: $log)"
chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 CI=true \
	PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	sh -c 'cd /root/project && ./bootstrap && make check' >"$log" 2>&1
status=$?
cleanup

suite=$root/root/project/test-suite.log
# Kept beside the log, so that .ci/run can give the failing suite's totals.
cp "$suite" "${THREADLAB_FRESH_SUITE:-check-fresh-suite.log}" 2>/dev/null
total() { sed -n "s/^# $1: *\([0-9]*\)$/\1/p" "$suite" 2>/dev/null | head -n 1; }
pass=$(total PASS) fail=$(total FAIL) skip=$(total SKIP) error=$(total ERROR)
installed=$(sed -n 's/^bootstrap: installing://p' "$log" | head -n 1)
elapsed=$(( $(date +%s) - start ))
echo "check-fresh: bootstrap installed:${installed:- nothing}"
echo "check-fresh: ${pass:-0} passed, ${fail:-0} failed, ${error:-0} errors, ${skip:-?} skipped;" \
	"exit $status; $((elapsed / 60)) min $((elapsed % 60)) s"
if [ "$status" -ne 0 ] || [ "${skip:-x}" != 0 ] || [ "${fail:-x}" != 0 ] || [ "${error:-x}" != 0 ]; then
	echo "check-fresh: FAILED (the last lines of $log follow; the root is kept in $root)"
	tail -n 30 "$log"
	exit 1
fi
rm -rf "$root"
echo "check-fresh: passed"
