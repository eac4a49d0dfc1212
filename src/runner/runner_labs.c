/* runner_labs — find labs under SRCDIR/labs and read their specs. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "runner.h"
#include "tl_buf.h"

const char *const lab_variant_names[LAB_VARIANTS] = {"broken", "fixed", "demo", "probe"};

/* The order a learner meets the categories in; others follow by name. */
static const char *const category_order[] = {"race",     "deadlock", "livelock", "leak",
                                             "lifetime", "process",  "demos",    "probes"};

static int category_rank(const char *c)
{
	for (size_t i = 0; i < sizeof category_order / sizeof category_order[0]; i++)
		if (!strcmp(c, category_order[i]))
			return (int)i;
	return (int)(sizeof category_order / sizeof category_order[0]);
}

static int lab_cmp(const void *a, const void *b)
{
	const struct lab *x = a, *y = b;
	int d = category_rank(x->category) - category_rank(y->category);
	return d ? d : strcmp(x->id, y->id);
}

static bool file_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int lab_variant_index(const char *name)
{
	for (int i = 0; i < LAB_VARIANTS; i++)
		if (!strcmp(name, lab_variant_names[i]))
			return i;
	return -1;
}

static int scan_category(struct labs *out, size_t *cap, const char *root, const char *cat)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", root, cat);
	DIR *d = opendir(path);
	if (!d)
		return 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		struct lab lab = {0};
		if (snprintf(lab.id, sizeof lab.id, "%s/%s", cat, e->d_name) >=
		        (int)sizeof lab.id ||
		    snprintf(lab.dir, sizeof lab.dir, "%s/%s", path, e->d_name) >=
		        (int)sizeof lab.dir)
			continue;
		snprintf(lab.category, sizeof lab.category, "%s", cat);
		bool any = false;
		for (int v = 0; v < LAB_VARIANTS; v++) {
			char f[PATH_MAX + 16];
			snprintf(f, sizeof f, "%s/%s.c", lab.dir, lab_variant_names[v]);
			lab.has[v] = file_exists(f);
			any |= lab.has[v];
		}
		if (!any)
			continue;
		if (out->n == *cap) {
			size_t ncap = *cap ? *cap * 2 : 16;
			struct lab *nv = realloc(out->v, ncap * sizeof *nv);
			if (!nv) {
				closedir(d);
				return -ENOMEM;
			}
			out->v = nv;
			*cap = ncap;
		}
		out->v[out->n++] = lab;
	}
	closedir(d);
	return 0;
}

int labs_load(struct labs *out)
{
	out->v = NULL;
	out->n = 0;
	size_t cap = 0;
	char root[PATH_MAX];
	snprintf(root, sizeof root, "%s/labs", runner_srcdir());
	DIR *d = opendir(root);
	if (!d) {
		int e = errno;
		runner_error("no labs in %s: %s (set THREADLAB_HOME to a built source tree)", root,
		             strerror(e));
		return -e;
	}
	struct dirent *e;
	int rc = 0;
	while (!rc && (e = readdir(d)))
		if (e->d_name[0] != '.')
			rc = scan_category(out, &cap, root, e->d_name);
	closedir(d);
	if (rc) {
		labs_free(out);
		return rc;
	}
	if (out->n)
		qsort(out->v, out->n, sizeof *out->v, lab_cmp);
	return 0;
}

void labs_free(struct labs *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

const struct lab *labs_find(const struct labs *l, const char *id)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].id, id))
			return &l->v[i];
	return NULL;
}

bool labs_has_category(const struct labs *l, const char *category)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].category, category))
			return true;
	return false;
}

const struct lab *labs_resolve(const struct labs *l, const char *arg)
{
	const struct lab *hit = labs_find(l, arg);
	if (hit)
		return hit;
	/* A bare name is fine when it is unique: "counter" for race/counter. */
	size_t found = 0;
	for (size_t i = 0; i < l->n; i++) {
		const char *slash = strchr(l->v[i].id, '/');
		if (slash && !strcmp(slash + 1, arg)) {
			hit = &l->v[i];
			found++;
		}
	}
	if (found == 1)
		return hit;
	if (found > 1)
		runner_error("'%s' names more than one lab: say category/%s", arg, arg);
	else
		runner_error("unknown lab '%s' (threadlab list shows them)", arg);
	return NULL;
}

int lab_first_variant(const struct lab *lab)
{
	for (int v = 0; v < LAB_VARIANTS; v++)
		if (lab->has[v])
			return v;
	return 0;
}

const struct lab *labs_resolve_variant(const struct labs *l, const char *lab_arg,
                                       const char *variant_arg, int *variant)
{
	const struct lab *lab = labs_resolve(l, lab_arg);
	if (!lab)
		return NULL;
	int v = variant_arg ? lab_variant_index(variant_arg) : lab_first_variant(lab);
	if (v < 0 || !lab->has[v]) {
		runner_error("%s has no variant '%s'", lab->id, variant_arg ? variant_arg : "?");
		return NULL;
	}
	*variant = v;
	return lab;
}

void lab_source_rel(const struct lab *lab, int variant, char *buf, size_t len)
{
	snprintf(buf, len, "labs/%s/%s.c", lab->id, lab_variant_names[variant]);
}

int lab_spec(const struct lab *lab, int variant, struct tl_spec *spec, char *err, size_t errlen)
{
	char path[PATH_MAX + 16];
	snprintf(path, sizeof path, "%s/%s.c", lab->dir, lab_variant_names[variant]);
	tl_buf src = {0};
	int rc = tl_buf_read_file(&src, path);
	if (rc) {
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return -1;
	}
	char perr[256];
	rc = tl_spec_parse(src.data, src.len, spec, perr, sizeof perr);
	tl_buf_free(&src);
	if (rc) {
		char rel[PATH_MAX];
		lab_source_rel(lab, variant, rel, sizeof rel);
		snprintf(err, errlen, "%s:%s", rel, perr);
		return -1;
	}
	return 0;
}
