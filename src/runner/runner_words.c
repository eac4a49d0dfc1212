/* runner_words — `threadlab help words`: the words the labs, the runner,
 * the watchdog and threadstat print, each said once in plain terms. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "runner.h"

static const struct {
	const char *word, *meaning;
} words[] = {
    /* What a run ends as (the verdict words of the lab headers). */
    {"clean", "nothing wrong seen: the program's own check passed, or the detector "
              "reported nothing"},
    {"wrong-result", "the program's own check of its result failed (updates lost, a torn "
                     "value, stock sold twice): the bug showed itself"},
    {"deadlock", "threads wait for each other for ever; the watchdog saw no progress "
                 "while the workers used no CPU"},
    {"livelock", "threads keep running but get nothing done; the watchdog saw no "
                 "progress while the workers burned CPU"},
    {"timeout", "no verdict within the hard time limit"},
    {"thread-leak", "threads, or their stacks, outlived the code that started them"},
    {"data-race", "two threads touched the same memory, one of them writing, with "
                  "nothing ordering the two accesses"},
    {"lock-order", "two locks taken in opposite orders by different threads: a deadlock "
                   "waiting for the wrong timing"},
    {"double-lock", "a thread locked a mutex it already holds"},
    {"bad-unlock", "a mutex unlocked by a thread that does not hold it"},
    {"destroy-locked", "a mutex destroyed while still locked"},
    {"cond-misuse", "a condition variable used wrongly (waited on with the wrong mutex, "
                    "signalled without the lock where the tool finds that dubious)"},
    {"signal-unsafe", "a function that is not async-signal-safe called in a signal handler"},
    {"mutex-misuse", "another misuse of a lock the detector reported (e.g. a thread "
                     "exiting while it still holds one)"},
    {"memory-leak", "memory still allocated and unreachable at exit"},
    {"memory-error", "an invalid read or write, or use after free"},
    {"crash", "the program died of a signal"},
    {"unclassified", "a report of a kind no rule knows: it never matches an expectation, "
                     "so a new kind of report fails loudly"},
    /* What the harness and the runner say. */
    {"expectation", "what a lab's header says each tool should report (expect TOOL: ...)"},
    {"anchor", "a line marked @name in a lab's source; a report must point at it, not "
               "just name the right kind of bug"},
    {"miss", "a bug the detector does not report; the lab says why (that is a lesson too)"},
    {"false alarm", "a report about a program that is correct"},
    {"exit 66", "ThreadSanitizer's exit code after it reported something; it hides the "
                "program's own"},
    {"slowdown", "how much slower a program runs under a detector (THREADLAB_SLOWDOWN: 1 "
                 "native, 4 TSan, 10 Valgrind); the watchdog's windows stretch by it"},
    {"happens-before", "A happens before B when something orders them (a mutex released "
                       "then taken, a join, a signal); all three race detectors report "
                       "accesses with no such order between them"},
    {"staging", "how a lab makes the bad interleaving happen every run (events, lockstep "
                "barriers), without sleeping"},
    /* What the watchdog and threadstat print. */
    {"progress", "a counter the workers bump as they get work done; the watchdog and "
                 "threadstat doctor watch whether it moves"},
    {"stall window", "how long progress may stand still before the watchdog judges "
                     "(500 ms x slowdown)"},
    {"on CPU / off CPU", "whether a thread ran (or waited to run) during the window; "
                         "deadlocked threads sleep, livelocked ones spin"},
    {"under a fifth", "the watchdog's line between the two: a worker that ran or waited "
                      "to run for less than a fifth of the window counts as off CPU"},
    {"queued", "time a thread was ready to run but waited for a free CPU (from "
               "/proc/.../schedstat); on a busy machine a spinning thread shows little "
               "CPU and much queued time"},
    {"futex", "the kernel call behind every blocking pthread mutex, condition variable "
              "and join: a thread blocked in one shows the system call futex"},
    {"wchan", "the kernel function a sleeping thread waits in (futex_do_wait: in a "
              "futex; poll_schedule_timeout: in poll; anon_pipe_read: reading a pipe)"},
    {"state", "R running or ready, S sleeping, D in an uninterruptible wait, T stopped, "
              "Z ended but not yet reaped"},
    {"VCSW / NVCSW", "voluntary context switches (the thread blocked) and involuntary "
                     "ones (the scheduler took the CPU away)"},
    {"threads besides main", "the process's threads other than its first one"},
    {"stack mappings", "each thread's stack is a mapping of address space (8 MiB by "
                       "default): reserved, not memory in use; RSS is what is used"},
    {"stack cache", "glibc keeps the stacks of ended threads (up to 40 MiB) for reuse, "
                    "so a few mapped stacks after the threads ended are no leak"},
};

void runner_words(FILE *f)
{
	int width = 0;
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if ((int)strlen(words[i].word) > width)
			width = (int)strlen(words[i].word);
	fputs("The words threadlab, the labs, the watchdog and threadstat print:\n\n", f);
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
		/* Wrap the meaning at 78 columns, under its own column. */
		const char *m = words[i].meaning;
		int col = width + 4;
		fprintf(f, "  %-*s  ", width, words[i].word);
		int at = col;
		while (*m) {
			size_t len = strcspn(m, " ");
			if (at > col && at + 1 + (int)len > 78) {
				fprintf(f, "\n%*s", col, "");
				at = col;
			} else if (at > col) {
				fputc(' ', f);
				at++;
			}
			fprintf(f, "%.*s", (int)len, m);
			at += (int)len;
			m += len;
			while (*m == ' ')
				m++;
		}
		fputc('\n', f);
	}
}
