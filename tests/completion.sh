#!/bin/sh
# Bash completion (completion/threadlab.bash) in a plain bash, without the
# bash-completion package: COMP_WORDS and COMP_CWORD set as bash sets them,
# the completion function called, COMPREPLY compared with what the programs
# say (threadlab list --commands / --tools / --variants, CMD --help).
set -u
: "${THREADLAB:?run me from make check}" "${THREADLAB_BUILDDIR:?run me from make check}"
: "${THREADLAB_SRCDIR:?run me from make check}"
if ! command -v bash >/dev/null 2>&1; then echo "SKIP: no bash"; exit 77; fi
SCRIPT=$THREADLAB_SRCDIR/completion/threadlab.bash TS=$THREADLAB_BUILDDIR/diagnostics/threadstat
export SCRIPT TS
exec bash --norc --noprofile -u -c '
fails=0
. "$SCRIPT" || { echo "FAIL: sourcing $SCRIPT"; exit 1; }
# comp FUNCTION WORD...: the completions, one a line, sorted, for the last
# WORD (the one being completed).
comp() {
  local fn=$1; shift
  COMP_WORDS=("$@") COMP_CWORD=$(($# - 1)) COMPREPLY=()
  "$fn"
  ((${#COMPREPLY[@]})) && printf "%s\n" "${COMPREPLY[@]}" | sort
}
# expect DESCRIPTION WANT GOT
expect() {
  if [[ $2 == "$3" ]]; then echo "ok:   $1: $(echo $3)"
  else echo "FAIL: $1:"; echo "    want: $(echo $2)"; echo "    got:  $(echo $3)"; fails=$((fails + 1)); fi
}
# has DESCRIPTION WORD GOT: WORD is one of the lines of GOT
has() {
  if grep -qxF -- "$2" <<<"$3"; then echo "ok:   $1 has $2"
  else echo "FAIL: $1 lacks $2: $(echo $3)"; fails=$((fails + 1)); fi
}
tl=$THREADLAB

complete -p threadlab >/dev/null 2>&1 && echo "ok:   complete -F for threadlab" ||
  { echo "FAIL: no completion for threadlab"; fails=$((fails + 1)); }
complete -p threadstat >/dev/null 2>&1 && echo "ok:   complete -F for threadstat" ||
  { echo "FAIL: no completion for threadstat"; fails=$((fails + 1)); }

commands=$("$tl" list --commands | sort)
got=$(comp _threadlab "$tl" "")
expect "threadlab <TAB>" "$commands" "$got"
has "threadlab <TAB>" run "$got"
has "threadlab <TAB>" check "$got"
expect "threadlab ch<TAB>" check "$(comp _threadlab "$tl" ch)"
expect "threadlab --v<TAB>" --version "$(comp _threadlab "$tl" --v)"

expect "threadlab run race/co<TAB>" race/counter "$(comp _threadlab "$tl" run race/co)"
expect "threadlab show deadlock/lock-order-l<TAB>" deadlock/lock-order-latent \
  "$(comp _threadlab "$tl" show deadlock/lock-order-l)"
expect "threadlab run race/counter <TAB>" "$(printf "broken\nfixed")" \
  "$(comp _threadlab "$tl" run race/counter "")"
expect "threadlab stress counter f<TAB>" fixed "$(comp _threadlab "$tl" stress counter f)"
expect "threadlab run demos/lock <TAB> (only its variants)" demo "$(comp _threadlab "$tl" run demos/lock "")"
expect "threadlab run race/counter broken <TAB> (no third)" "" "$(comp _threadlab "$tl" run race/counter broken "")"

tools=$("$tl" list --tools | sort)
got=$(comp _threadlab "$tl" run race/counter broken --tool "")
expect "threadlab run race/counter broken --tool <TAB>" "$tools" "$got"
has "--tool <TAB>" tsan "$got"
has "--tool <TAB>" run "$got"
expect "--tool ts<TAB>" tsan "$(comp _threadlab "$tl" run race/counter --tool ts)"
# bash splits --tool=ts at the = (COMP_WORDBREAKS): "--tool" "=" "ts"
expect "--tool=ts<TAB> (split at =)" tsan "$(comp _threadlab "$tl" run race/counter --tool = ts)"
expect "--tool=ts<TAB> (one word)" --tool=tsan "$(comp _threadlab "$tl" run race/counter --tool=ts)"
expect "run --tool tsan race/counter <TAB>" "$(printf "broken\nfixed")" \
  "$(comp _threadlab "$tl" run --tool tsan race/counter "")"

check_opts=$("$tl" check --help | sed -n "s/^ *\(-[a-z], \)\{0,1\}\(--[a-z][a-z-]*\).*/\2/p" | sort)
got=$(comp _threadlab "$tl" check --)
expect "threadlab check --<TAB>" "$check_opts" "$got"
has "check --<TAB>" --tool "$got"
has "check --<TAB>" --verbose "$got"
has "check --<TAB>" --help "$got"
has "threadlab check de<TAB>" deadlock "$(comp _threadlab "$tl" check de)"
has "threadlab check de<TAB>" deadlock/lock-order "$(comp _threadlab "$tl" check de)"
has "threadlab bench pe<TAB>" perf "$(comp _threadlab "$tl" bench pe)"
has "threadlab bench perf/false<TAB>" perf/false-sharing-atomic "$(comp _threadlab "$tl" bench perf/false)"
expect "threadlab list --n<TAB>" --names "$(comp _threadlab "$tl" list --n)"
expect "threadlab help st<TAB>" "$(printf "stress")" "$(comp _threadlab "$tl" help st)"
expect "threadlab help tr<TAB>" "$(printf "troubleshoot\ntry")" "$(comp _threadlab "$tl" help tr)"
# try takes C sources (and directories leading to them)
fix=$THREADLAB_SRCDIR/tests/fixtures/try
expect "threadlab try .../dead<TAB>" "$fix/deadlock.c" "$(comp _threadlab "$tl" try "$fix/dead")"
expect "threadlab try .../READ<TAB>" "" "$(comp _threadlab "$tl" try "$fix/READ")"
has "threadlab try --<TAB>" --perturb "$(comp _threadlab "$tl" try --)"
expect "threadlab try --perturb <TAB> (a number)" "" "$(comp _threadlab "$tl" try --perturb "")"
expect "threadlab matrix --format <TAB>" "$(printf "csv\njson\nmd")" "$(comp _threadlab "$tl" matrix --format "")"
expect "threadlab stress counter --format <TAB>" "$(printf "json\ntext")" \
  "$(comp _threadlab "$tl" stress counter --format "")"
expect "threadlab matrix --tools tsan,dr<TAB>" tsan,drd "$(comp _threadlab "$tl" matrix --tools tsan,dr)"
has "threadlab matrix --<TAB>" --jobs "$(comp _threadlab "$tl" matrix --)"
has "threadlab stress counter --<TAB>" --jobs "$(comp _threadlab "$tl" stress counter --)"
has "threadlab matrix de<TAB>" deadlock "$(comp _threadlab "$tl" matrix de)"

got=$(comp _threadstat "$TS" "")
has "threadstat <TAB>" doctor "$got"
has "threadstat <TAB>" $$ "$got"
got=$(comp _threadstat "$TS" --)
has "threadstat --<TAB>" --watch "$got"
has "threadstat --<TAB>" --interval "$got"
expect "threadstat --format <TAB>" "$(printf "csv\njson\ntable")" "$(comp _threadstat "$TS" --format "")"
expect "threadstat doctor --w<TAB>" --window "$(comp _threadstat "$TS" doctor --w)"

((fails == 0)) && echo "completion: all passed" || echo "completion: $fails failed"
((fails == 0))
'
