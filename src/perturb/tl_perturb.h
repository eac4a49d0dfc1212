/* tl_perturb — schedule perturbation: delays at synchronisation calls, placed
 * by a seed, so that a race hidden behind an incidental happens-before edge
 * gets a chance to show (threadlab try re-runs a program under it).
 *
 * The delays come from an LD_PRELOAD shim, libtlperturb.so
 * (tl_perturb_shim.c), one object for plain and ThreadSanitizer builds alike:
 * in a TSan build the shim sits under TSan's interceptors (TSan's
 * pthread_mutex_lock calls the shim's, which calls glibc's), so TSan still
 * sees every call.  HACKING.md ("Schedule perturbation") says why and gives
 * the measurements.
 *
 * Which calls are delayed is a pure function of (seed, thread, call): a
 * thread is numbered by creation order (main is 0; the creator numbers the
 * new thread inside pthread_create), a call by its rank among that thread's
 * synchronisation calls.  Every delay has the same length.  So a program
 * whose threads make the same calls in the same order is delayed at the same
 * places by the same seed, run after run, and a seed that shows a race shows
 * it again.  Atomics (C11, __atomic, __sync) are inlined instructions, not
 * calls: nothing can delay at them.
 *
 * Environment read by the shim:
 *   THREADLAB_PERTURB_SEED      the seed (decimal); unset: no delay at all
 *   THREADLAB_PERTURB_DENSITY   per mille of synchronisation calls delayed
 *                               (0-1000, default TL_PERTURB_DENSITY)
 *   THREADLAB_PERTURB_DELAY_US  length of each delay in microseconds
 *                               (1-10000000, default TL_PERTURB_DELAY_US)
 *   THREADLAB_PERTURB_LOG       1: one line on stderr per delay
 */
#ifndef TL_PERTURB_H
#define TL_PERTURB_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TL_PERTURB_DENSITY      100
#define TL_PERTURB_DELAY_US     100000
#define TL_PERTURB_DELAY_US_MAX 10000000U
/* Where the shim is, under the build tree or pkglibexecdir (installed with
 * the tree kept, as the lab programs are). */
#define TL_PERTURB_SHIM "src/perturb/libtlperturb.so"

struct tl_perturb {
	uint64_t seed;
	unsigned density;  /* per mille of synchronisation calls delayed */
	unsigned delay_us; /* length of each delay */
	bool log;          /* the shim prints each delay on stderr */
};

/* The environment of one perturbed run: "NAME=value" strings and a NULL at
 * the end, ready for tl_spawn's env_add. */
#define TL_PERTURB_ENV_COUNT 5
struct tl_perturb_env {
	char text[TL_PERTURB_ENV_COUNT][PATH_MAX + 32];
	char *env[TL_PERTURB_ENV_COUNT + 1];
};

/* The shim's path under builddir (runner_builddir(): the build tree or
 * pkglibexecdir).  Returns 0, or -1 with one line in err when it is not
 * there. */
int tl_perturb_shim_path(const char *builddir, char *buf, size_t len, char *err, size_t errlen);

/* Fills out with LD_PRELOAD and the THREADLAB_PERTURB_* settings of p.
 * Returns 0, or -1 with one line in err (no shim, a density over 1000, a
 * delay out of range). */
int tl_perturb_env(const char *builddir, const struct tl_perturb *p, struct tl_perturb_env *out,
                   char *err, size_t errlen);

/* Whether the call-th synchronisation call (from 0) of thread thread (main
 * is 0) is delayed under seed at density per mille: what the shim does. */
static inline bool tl_perturb_delays(uint64_t seed, unsigned density, uint64_t thread,
                                     uint64_t call)
{
	/* splitmix64's finaliser over the three numbers: every bit of each
	 * moves about half the bits of the result. */
	uint64_t h = seed ^ (thread * 0x9e3779b97f4a7c15ULL) ^ (call * 0xc2b2ae3d27d4eb4fULL);
	for (int round = 0; round < 2; round++) {
		h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
		h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
		h ^= h >> 31;
	}
	return h % 1000 < density;
}

#endif
