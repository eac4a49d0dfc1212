/* runner_guide — threadlab help troubleshoot: from a symptom to its likely
 * causes, the lab that shows each, and the command that finds it.
 * docs/TROUBLESHOOTING.md is this text as printed (tests/troubleshoot.sh
 * compares them, and checks that every lab and command named exists). */
#include "config.h"

#include "runner.h"

struct cause {
	const char *why;  /* the likely cause */
	const char *lab;  /* the lab that shows it */
	const char *find; /* the command that finds it, runnable as it stands */
	const char *look; /* what to look for in its output, or NULL */
};

struct entry {
	const char *symptom;
	struct cause causes[5];
};

static const struct entry guide[] = {
    {"The total comes out short (a race condition)",
     {{"updates to a shared variable race: `counter++` is a load, an add and a store",
       "race/counter", "threadlab run race/counter --tool tsan", "a data-race report"},
      {"check-then-act: two threads both see enough and both act", "race/balance",
       "threadlab run race/balance --tool helgrind", "a data-race report at the check"},
      {"two atomic steps are not one: an atomic check, then an atomic act", "race/atomic-check-act",
       "threadlab stress race/atomic-check-act --runs 200",
       "wrong-result runs; no detector reports atomics"},
      {"a `volatile` flag used as a lock", "race/volatile",
       "threadlab run race/volatile --tool tsan", NULL}}},
    {"Right alone, wrong under load (works in testing, fails in production)",
     {{"a race that shows only while two threads run at the same moment: with little work each "
       "finishes within its time slice and they seldom meet; under load they overlap all the "
       "time",
       "race/counter", "threadlab stress race/counter --runs 200 --jobs 2",
       "how often each outcome comes"},
      {"a value of two words read without a lock comes out half old, half new", "race/torn-read",
       "threadlab run race/torn-read --tool tsan", NULL},
      {"double-checked initialisation without atomics hands out half-built objects",
       "race/lazy-init", "threadlab run race/lazy-init --tool helgrind", NULL},
      {"a plain flag does not publish data: nothing orders the message before the flag",
       "race/publication", "threadlab run race/publication --tool tsan",
       "a race reported even in runs that came out right"}}},
    {"Hangs at 0% CPU (a deadlock)",
     {{"two locks taken in opposite orders (a circular lock dependency)", "deadlock/lock-order",
       "threadlab run deadlock/lock-order -- --hold", "then threadstat doctor PID names the cycle"},
      {"the same inversion in a run that happened not to hang", "deadlock/lock-order-latent",
       "threadlab run deadlock/lock-order-latent --tool tsan", "a lock-order report"},
      {"a condition signalled before anyone waited: the wake-up is lost", "deadlock/lost-wakeup",
       "threadlab run deadlock/lost-wakeup", "the watchdog's deadlock line, every worker asleep"},
      {"fork() copied a mutex another thread held: the child waits for it for ever",
       "deadlock/fork-locked", "threadlab run deadlock/fork-locked", NULL},
      {"a task waits for its own pool's tasks and holds the worker they need",
       "executor/wait-in-worker", "threadlab run executor/wait-in-worker", NULL}}},
    {"Hangs at 100% CPU (a livelock)",
     {{"trylock and back off, in step with the other thread, for ever", "livelock/polite-trylock",
       "threadlab run livelock/polite-trylock -- --hold",
       "then threadstat doctor PID: livelock, threads busy and no progress"},
      {"two polite threads step aside at the same moment, every time", "livelock/handshake",
       "threadlab run livelock/handshake", "the watchdog's livelock line"},
      {"philosophers who put their fork down and retry together", "livelock/philosophers-polite",
       "threadlab run livelock/philosophers-polite", NULL}}},
    {"Hanging program (blocked for ever on a wait)",
     {{"a wait with no timeout on something that never comes: give every wait a deadline",
       "demos/queue-timeout", "threadlab run demos/queue-timeout", NULL},
      {"waiting for a task's result with no timeout", "executor/result-timeout",
       "threadlab run executor/result-timeout", NULL},
      {"a thread returned holding a mutex: every later locker waits", "leak/exit-holding-lock",
       "threadlab run leak/exit-holding-lock --tool helgrind", "a mutex-misuse report"}}},
    {"Thread count keeps growing",
     {{"threads never joined nor detached", "leak/detach-forgotten",
       "threadlab run leak/detach-forgotten --tool tsan", "a thread-leak report"},
      {"a pool shut down but never freed: its workers are never joined", "executor/pool-not-freed",
       "threadlab run executor/pool-not-freed --tool memcheck", "a thread-leak report"},
      {"a pool nobody shuts down", "leak/pool-no-shutdown", "threadstat --watch PID",
       "the number of threads, sample after sample"}}},
    {"Memory grows with every request (memory explosion)",
     {{"each thread never joined keeps its stack after it ends", "leak/unjoined",
       "threadlab run leak/unjoined --tool memcheck",
       "a thread-leak report; on a live program, threadstat doctor PID counts stacks without "
       "threads"},
      {"a thread per request with no bound on how many: bound the workers with a pool or a "
       "semaphore",
       "demos/semaphore", "threadstat --plot mem.png -- CMD", "threads and RSS over time"}}},
    {"Slower on 2 cores than on 1 (slow threading)",
     {{"one lock around all the work: the threads take turns (Python's GIL is such a lock)",
       "perf/giant-lock", "threadstat -- CMD", "threads asleep on a futex, CPU well under 200%"},
      {"counters of different threads on one cache line, which bounces between the cores",
       "perf/false-sharing-atomic", "threadstat -- CMD",
       "both threads busy, the work barely faster"}}},
    {"Many small tasks are slow (per-task overhead)",
     {{"handing a task to a worker costs more than a tiny task: give workers bigger tasks",
       "executor/submit-result", "make bench-pool", "the hand-off cost per task"}}},
    {"One thread never gets the lock (starvation)",
     {{"readers keep a reader-preferring rwlock held, one after another: the writer waits "
       "until they stop",
       "livelock/writer-starvation", "threadlab run livelock/writer-starvation",
       "wrong-result: how many reads went by before the writer got in"},
      {"a thread exited holding the lock", "leak/exit-holding-lock",
       "threadlab run leak/exit-holding-lock --tool drd", "a mutex-misuse report"}}},
    {"Crashes only sometimes",
     {{"realloc moved an array that a reader without the lock still reads", "race/realloc",
       "threadlab run race/realloc --tool memcheck", "a memory-error report"},
      {"a signal handler calls malloc and corrupts the heap it interrupted", "race/signal-handler",
       "threadlab run race/signal-handler --tool tsan", "a signal-unsafe report"},
      {"a thread keeps a pointer into a stack frame that has returned", "lifetime/dangling-stack",
       "threadlab stress lifetime/dangling-stack --runs 100", "no detector reports it"}}},
    {"Works under a debugger, fails without one",
     {{"a race that needs two threads running at once: breakpoints and single steps keep them "
       "apart, as Valgrind does, which runs one thread at a time; a happens-before detector sees "
       "the race whatever the timing",
       "race/counter", "threadlab run race/counter --tool helgrind",
       "the race reported while the total comes out right"}}},
};

void runner_troubleshoot(FILE *f)
{
	fputs("# Troubleshooting threads\n"
	      "\n"
	      "Symptom, then its likely causes; for each, the lab that shows it and the command\n"
	      "that finds it.  `threadlab show LAB` tells the lesson; `threadlab help words`\n"
	      "explains the verdicts.  (This is `threadlab help troubleshoot`; "
	      "docs/TROUBLESHOOTING.md\n"
	      "is the same text.)\n",
	      f);
	for (size_t i = 0; i < sizeof guide / sizeof guide[0]; i++) {
		const struct entry *e = &guide[i];
		fprintf(f, "\n## %s\n\n", e->symptom);
		for (size_t k = 0; k < sizeof e->causes / sizeof e->causes[0] && e->causes[k].why;
		     k++)
			fprintf(f, "- %s\n  - lab: `%s`\n  - find: `%s`%s%s\n", e->causes[k].why,
			        e->causes[k].lab, e->causes[k].find, e->causes[k].look ? ": " : "",
			        e->causes[k].look ? e->causes[k].look : "");
	}
}
