/* ts_stack — the call stacks of a process's threads (see ts_stack.h). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "ts_mem.h" /* ts_sanitizer_runtime_symbol */
#include "ts_stack.h"
#include "tl_clock.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The program counters of one thread, taken while it is stopped. */
struct walk {
	uint64_t pc[TS_STACK_MAX_FRAMES];
	size_t n;
};

static int take_frame(Dwfl_Frame *state, void *arg)
{
	struct walk *w = arg;
	Dwarf_Addr pc;
	bool activation;

	if (!dwfl_frame_pc(state, &pc, &activation))
		return DWARF_CB_ABORT;
	/* A caller's pc is the return address: the call is the byte before. */
	if (!activation && pc > 0)
		pc--;
	w->pc[w->n++] = pc;
	return w->n < TS_STACK_MAX_FRAMES ? DWARF_CB_OK : DWARF_CB_ABORT;
}

static char *dup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

/* The compilation unit that holds pc (less bias, its address in the file).
 * libdw 0.188 finds it through .debug_aranges, which clang does not emit:
 * then every unit's own ranges are asked. */
static bool unit_at(Dwfl_Module *m, Dwarf_Addr pc, Dwarf_Die *cu, Dwarf_Addr *bias)
{
	Dwarf_Die *found = dwfl_module_addrdie(m, pc, bias);
	Dwarf *dw;
	Dwarf_Off off = 0, next;
	size_t header;

	if (found != NULL) {
		*cu = *found;
		return true;
	}
	dw = dwfl_module_getdwarf(m, bias);
	if (dw == NULL)
		return false;
	while (dwarf_nextcu(dw, off, &next, &header, NULL, NULL, NULL) == 0) {
		if (dwarf_offdie(dw, off + header, cu) != NULL && dwarf_haspc(cu, pc - *bias) == 1)
			return true;
		off = next;
	}
	return false;
}

/* The innermost function at pc: an inlined one if the compiler inlined it
 * there (what the source line belongs to), else the symbol's name. */
static const char *function_at(Dwfl_Module *m, Dwarf_Die *cu, Dwarf_Addr addr, Dwarf_Addr pc)
{
	Dwarf_Die *scopes = NULL;
	const char *name = NULL;
	int n = cu != NULL ? dwarf_getscopes(cu, addr, &scopes) : 0;

	for (int i = 0; i < n && name == NULL; i++) {
		int tag = dwarf_tag(&scopes[i]);

		if (tag == DW_TAG_inlined_subroutine || tag == DW_TAG_subprogram)
			name = dwarf_diename(&scopes[i]); /* follows abstract_origin */
	}
	free(scopes);
	return name != NULL ? name : dwfl_module_addrname(m, pc);
}

/* The source file and line of pc, or NULL. */
static const char *line_at(Dwfl_Module *m, Dwarf_Die *cu, Dwarf_Addr addr, Dwarf_Addr pc, int *line)
{
	Dwfl_Line *l = dwfl_module_getsrc(m, pc);
	Dwarf_Line *dl;

	if (l != NULL)
		return dwfl_lineinfo(l, NULL, line, NULL, NULL, NULL);
	dl = cu != NULL ? dwarf_getsrc_die(cu, addr) : NULL;
	if (dl == NULL || dwarf_lineno(dl, line) != 0)
		return NULL;
	return dwarf_linesrc(dl, NULL, NULL);
}

/* The C library and the dynamic loader: where waits end, not where the
 * program asked for them. */
static bool in_libc(const char *module)
{
	const char *base = strrchr(module, '/');

	base = base != NULL ? base + 1 : module;
	return strncmp(base, "libc.so", 7) == 0 || strncmp(base, "libc-", 5) == 0 ||
	       strncmp(base, "libpthread", 10) == 0 || strncmp(base, "ld-linux", 8) == 0;
}

/* A sanitizer's interceptors and runtime, linked into the program: like the
 * C library, they are where a wait ends (TSan's __interceptor_sem_wait calls
 * glibc's), not the program's own call. */
static bool in_sanitizer(const char *function)
{
	return function != NULL &&
	       (strncmp(function, "__interceptor_", 14) == 0 ||
	        strncmp(function, "__tsan_", 7) == 0 || ts_sanitizer_runtime_symbol(function));
}

static void resolve(Dwfl *dwfl, const struct walk *w, struct ts_stack *s)
{
	s->frames = calloc(w->n ? w->n : 1, sizeof(*s->frames));
	if (s->frames == NULL) {
		s->rc = -ENOMEM;
		return;
	}
	s->n = w->n;
	for (size_t k = 0; k < w->n; k++) {
		struct ts_frame *f = &s->frames[k];
		Dwfl_Module *m = dwfl_addrmodule(dwfl, w->pc[k]);
		Dwarf_Die unit, *cu = NULL;
		Dwarf_Addr bias = 0;
		const char *module;

		f->pc = w->pc[k];
		if (m == NULL)
			continue;
		module = dwfl_module_info(m, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
		f->module = dup_or_null(module);
		if (unit_at(m, w->pc[k], &unit, &bias))
			cu = &unit;
		f->function = dup_or_null(function_at(m, cu, w->pc[k] - bias, w->pc[k]));
		f->file = dup_or_null(line_at(m, cu, w->pc[k] - bias, w->pc[k], &f->line));
		if (f->file == NULL)
			f->line = 0;
		if (s->in_program < 0 && module != NULL && !in_libc(module) &&
		    !in_sanitizer(f->function))
			s->in_program = (int)k;
	}
}

int ts_stacks_read(pid_t pid, struct ts_stack *s, size_t n, uint64_t *stopped_ns)
{
	static const Dwfl_Callbacks callbacks = {
	    .find_elf = dwfl_linux_proc_find_elf,
	    .find_debuginfo = dwfl_standard_find_debuginfo,
	};
	struct walk *w = calloc(n ? n : 1, sizeof(*w));
	Dwfl *dwfl;
	uint64_t t0;
	int rc;

	*stopped_ns = 0;
	for (size_t i = 0; i < n; i++) {
		s[i].rc = -ESRCH;
		s[i].frames = NULL;
		s[i].n = 0;
		s[i].in_program = -1;
	}
	if (w == NULL)
		return -ENOMEM;
	dwfl = dwfl_begin(&callbacks);
	if (dwfl == NULL) {
		free(w);
		return -ENOMEM;
	}
	rc = dwfl_linux_proc_report(dwfl, pid);
	if (rc == 0 && dwfl_report_end(dwfl, NULL, NULL) != 0)
		rc = -1;
	if (rc == 0)
		rc = dwfl_linux_proc_attach(dwfl, pid, false);
	if (rc != 0) {
		dwfl_end(dwfl);
		free(w);
		return rc > 0 ? -rc : -EIO;
	}
	/* Only the program counters while a thread is stopped. */
	t0 = tl_mono_ns();
	for (size_t i = 0; i < n; i++) {
		errno = 0;
		rc = dwfl_getthread_frames(dwfl, s[i].tid, take_frame, &w[i]);
		/* Some unwinds end in an error at the outermost frame. */
		if (w[i].n > 0)
			s[i].rc = 0;
		else if (rc != 0)
			s[i].rc =
			    errno == EPERM || errno == EACCES || errno == ESRCH ? -errno : -EIO;
	}
	*stopped_ns = tl_mono_ns() - t0;
	for (size_t i = 0; i < n; i++)
		if (s[i].rc == 0)
			resolve(dwfl, &w[i], &s[i]);
	dwfl_end(dwfl);
	free(w);
	return 0;
}

void ts_stacks_free(struct ts_stack *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < s[i].n; k++) {
			free(s[i].frames[k].function);
			free(s[i].frames[k].file);
			free(s[i].frames[k].module);
		}
		free(s[i].frames);
		s[i].frames = NULL;
		s[i].n = 0;
	}
}
