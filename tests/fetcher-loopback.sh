#!/bin/sh
# usecase/fetcher stays on this machine, and its requests and time are
# bounded.  Both programs run under strace, which records every bind,
# connect, sendto, sendmsg and sendmmsg of every thread with the address
# it names: each IPv4 address must be 127.0.0.1 (IPv6 ::1; Unix and netlink sockets
# are local by nature), the site must be bound to 127.0.0.1 on the port the
# program prints, and the client must connect there.  From the programs'
# own output: the client's attempts equal the requests the site answered;
# fixed gets every page in both rounds within pages x 2 rounds x
# MAX_ATTEMPTS (fixed.c) attempts and the watchdog's limit (WATCHDOG_LIMIT,
# site.h); broken makes exactly one attempt a page and shows pages missing.
set -u
: "${THREADLAB_SRCDIR:?run me from make check}" "${THREADLAB_BUILDDIR:?run me from make check}"
command -v strace >/dev/null 2>&1 || { echo "SKIP: strace not found (apt-get install strace)"; exit 77; }
strace -f -qq -o /dev/null true 2>/dev/null || { echo "SKIP: strace cannot trace here (ptrace refused)"; exit 77; }
lab=$THREADLAB_SRCDIR/labs/usecase/fetcher
max_attempts=$(sed -n 's/^#define MAX_ATTEMPTS *\([0-9]*\).*/\1/p' "$lab/fixed.c")
limit_ms=$(sed -n 's/^#define WATCHDOG_LIMIT *\([0-9]*\).*/\1/p' "$lab/site.h")
[ -n "$max_attempts" ] && [ -n "$limit_ms" ] || { echo "FAIL: MAX_ATTEMPTS or WATCHDOG_LIMIT not found"; exit 99; }
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
pages=12

# run VARIANT: the program under strace; leaves $tmp/VARIANT.{out,trace}, sets rc and secs
run() {
  start=$(date +%s)
  strace -f -qq -e trace=bind,connect,sendto,sendmsg,sendmmsg -o "$tmp/$1.trace" \
    "$THREADLAB_BUILDDIR/labs/usecase/fetcher/$1" --iterations $pages >"$tmp/$1.out" 2>"$tmp/$1.err"
  rc=$?
  secs=$(($(date +%s) - start))
  cat "$tmp/$1.out"
}

# every address the program named, and where the site was
check_local() {
  t=$tmp/$1.trace
  port=$(sed -n 's#.*site on http://127\.0\.0\.1:\([0-9]*\)/.*#\1#p' "$tmp/$1.err")
  [ -n "$port" ] || { fail "$1 printed no site address"; return; }
  calls=$(grep -cE '(bind|connect|sendto|sendmsg|sendmmsg)\(' "$t")
  bad=$(grep -E '(bind|connect|sendto|sendmsg|sendmmsg)\(' "$t" | grep 'sa_family=' |
    grep -vE 'sa_family=AF_INET, [^}]*inet_addr\("127\.0\.0\.1"\)' |
    grep -vE 'sa_family=AF_INET6, [^}]*"::1"' | grep -vE 'sa_family=AF_(UNIX|NETLINK)')
  [ -z "$bad" ] || fail "$1 named an address outside this machine: $bad"
  grep -qE "bind\([0-9]+, \{sa_family=AF_INET, sin_port=htons\(0\), sin_addr=inet_addr\(\"127\.0\.0\.1\"\)" "$t" ||
    fail "$1: the site was not bound to 127.0.0.1 port 0"
  connects=$(grep -cE "connect\([0-9]+, \{sa_family=AF_INET, sin_port=htons\($port\), sin_addr=inet_addr\(\"127\.0\.0\.1\"\)" "$t")
  [ "$connects" -ge 1 ] || fail "$1: no connect to the site at 127.0.0.1:$port"
  echo "$1: $calls bind/connect/send calls, all on this machine; $connects connects to 127.0.0.1:$port; ${secs} s"
}

# the attempts a round line reports, and the requests the site answered
attempts() { sed -n "s/^$2: .*; \([0-9]*\) attempts;.*/\1/p" "$tmp/$1.out"; }
answered() { sed -n 's/^site answered: 200 x \([0-9]*\), 429 x \([0-9]*\), 503 x \([0-9]*\)$/\1 \2 \3/p' "$tmp/$1.out"; }

run fixed
[ "$rc" -eq 0 ] || fail "fixed exited $rc, not 0"
check_local fixed
for round in threads multi; do
  grep -q "^$round: $pages of $pages pages, 0 missing" "$tmp/fixed.out" || fail "fixed, $round: pages missing"
  a=$(attempts fixed $round)
  [ -n "$a" ] && [ "$a" -ge $pages ] && [ "$a" -le $((pages * max_attempts)) ] ||
    fail "fixed, $round: '$a' attempts, not within $pages..$((pages * max_attempts))"
done
set -- $(answered fixed)
[ $# -eq 3 ] && [ $(($1 + $2 + $3)) -eq $(($(attempts fixed threads) + $(attempts fixed multi))) ] ||
  fail "fixed: the site's count ($*) is not the client's"
[ "$secs" -le $((limit_ms / 1000)) ] || fail "fixed took $secs s, past the watchdog's $((limit_ms / 1000)) s"

run broken
[ "$rc" -eq 3 ] || fail "broken exited $rc, not 3 (wrong result)"
check_local broken
for round in threads multi; do
  [ "$(attempts broken $round)" = $pages ] || fail "broken, $round: not one attempt a page"
done
grep -qE "^threads: [0-9]+ of $pages pages, [1-9][0-9]* missing" "$tmp/broken.out" ||
  fail "broken, threads: no page missing"
set -- $(answered broken)
[ $# -eq 3 ] && [ $(($2 + $3)) -ge 1 ] || fail "broken: the site refused nothing ($*)"

echo "fetcher-loopback: $fails failures"
[ "$fails" -eq 0 ]
