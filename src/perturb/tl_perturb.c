/* tl_perturb — the environment of a perturbed run, for threadlab try (the
 * contract is in tl_perturb.h). */
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "tl_perturb.h"

int tl_perturb_shim_path(const char *builddir, char *buf, size_t len, char *err, size_t errlen)
{
	if ((size_t)snprintf(buf, len, "%s/%s", builddir, TL_PERTURB_SHIM) >= len) {
		snprintf(err, errlen, "the perturbation shim's path under %s is too long",
		         builddir);
		return -1;
	}
	if (access(buf, R_OK) != 0) {
		snprintf(err, errlen, "no perturbation shim at %s (is threadlab built?)", buf);
		return -1;
	}
	return 0;
}

int tl_perturb_env(const char *builddir, const struct tl_perturb *p, struct tl_perturb_env *out,
                   char *err, size_t errlen)
{
	if (p->density > 1000) {
		snprintf(err, errlen, "perturbation density %u is over 1000 per mille", p->density);
		return -1;
	}
	if (p->delay_us < 1 || p->delay_us > TL_PERTURB_DELAY_US_MAX) {
		snprintf(err, errlen, "perturbation delay %u us is not in 1-%u", p->delay_us,
		         TL_PERTURB_DELAY_US_MAX);
		return -1;
	}
	char shim[PATH_MAX];
	if (tl_perturb_shim_path(builddir, shim, sizeof shim, err, errlen) != 0)
		return -1;
	size_t n = sizeof out->text[0];
	snprintf(out->text[0], n, "LD_PRELOAD=%s", shim);
	snprintf(out->text[1], n, "THREADLAB_PERTURB_SEED=%" PRIu64, p->seed);
	snprintf(out->text[2], n, "THREADLAB_PERTURB_DENSITY=%u", p->density);
	snprintf(out->text[3], n, "THREADLAB_PERTURB_DELAY_US=%u", p->delay_us);
	snprintf(out->text[4], n, "THREADLAB_PERTURB_LOG=%d", p->log ? 1 : 0);
	for (int i = 0; i < TL_PERTURB_ENV_COUNT; i++)
		out->env[i] = out->text[i];
	out->env[TL_PERTURB_ENV_COUNT] = NULL;
	return 0;
}
