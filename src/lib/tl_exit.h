/* tl_exit — the exit-code contract of a lab program, in one place.
 *
 * Labs return these (tl_lab_result), the watchdog exits with them, the
 * runner reads them back into verdicts, and threadstat doctor answers with
 * the same numbers, so a script can treat a lab's own verdict and the
 * doctor's alike.  README.md's table is this enum.
 */
#ifndef TL_EXIT_H
#define TL_EXIT_H

enum tl_exit {
	TL_EXIT_OK = 0,       /* ran to the end, own check passed */
	TL_EXIT_FAILURE = 1,  /* could not run at all (no threads, no memory) */
	TL_EXIT_USAGE = 2,    /* bad flag or value */
	TL_EXIT_WRONG = 3,    /* the program's own invariant failed */
	TL_EXIT_DEADLOCK = 4, /* watchdog: no progress, workers off CPU */
	TL_EXIT_LIVELOCK = 5, /* watchdog: no progress, workers on CPU */
	TL_EXIT_LEAK = 6,     /* threads or stacks outlived their owner */
	TL_EXIT_TIMEOUT = 7,  /* no verdict within the hard limit */
};

#endif
