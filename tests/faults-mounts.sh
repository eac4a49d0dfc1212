# shellcheck shell=bash
# Sourced by the fault tests that mount (faults-disk.sh,
# faults-threadstat-user.sh).  faults_own_mounts re-runs the test in a mount
# namespace of its own, so that its mounts are nobody else's.  unshare's
# default makes every mount private from / down, which fails in a chroot
# (make check-fresh: / is no mount point there); then the namespace keeps the
# propagation it had, and faults_private_dir first makes the test's own
# directory a private mount, so that what is mounted under it stays inside.

# faults_own_mounts WHAT: WHAT names the test's need, for the skip line.
faults_own_mounts() {
	[ -n "${FAULTS_OWN_MOUNTS:-}" ] && return 0
	if [ "$(id -u)" -ne 0 ] || ! command -v unshare > /dev/null; then
		echo "SKIP: $1 needs root and mount namespaces (unshare -m); CI runs as root"
		exit 77
	fi
	local prop=private
	unshare -m true 2> /dev/null || prop=unchanged
	if ! unshare -m --propagation "$prop" true 2> /dev/null; then
		echo "SKIP: $1 needs a mount namespace, and unshare -m fails here"
		exit 77
	fi
	FAULTS_OWN_MOUNTS=$prop exec unshare -m --propagation "$prop" bash "$0"
}

# faults_private_dir DIR: DIR made a private mount when the namespace could
# not be made private from / (its cleanup unmounts DIR before removing it).
faults_private_dir() {
	[ "${FAULTS_OWN_MOUNTS:-}" = unchanged ] || return 0
	mount --bind "$1" "$1" && mount --make-private "$1"
}
