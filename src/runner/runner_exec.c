/* runner_exec — run one lab program natively or under a detector, turn what
 * came out into verdicts, and compare them with the program's header. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runner.h"
#include "tl_buf.h"
#include "tl_exit.h"

/* The watchdog's hard limit is 30 s x slowdown: ours sits well past it, so a
 * lab's own verdict always wins and we only kill what truly hangs. */
#define RUNNER_LIMIT_MS(t) ((30000L + 30000L) * tl_tool(t)->slowdown)

/* THREADLAB_TIME_LIMIT=SECONDS replaces that limit, whatever the tool (the
 * fault tests use it to judge a hang in seconds).  0, or -1 with why. */
static int time_limit_ms(enum tl_tool t, long *ms, char *err, size_t errlen)
{
	const char *v = getenv("THREADLAB_TIME_LIMIT");
	*ms = RUNNER_LIMIT_MS(t);
	if (v == NULL || *v == '\0')
		return 0;
	char *end;
	errno = 0;
	long s = strtol(v, &end, 10);
	if (errno || end == v || *end || s < 1 || s > 86400) {
		snprintf(err, errlen,
		         "THREADLAB_TIME_LIMIT: '%.40s' is not a number of seconds "
		         "from 1 to 86400",
		         v);
		return -1;
	}
	*ms = s * 1000;
	return 0;
}

/* How a run ended, for messages: "exited with status 1", "died of signal
 * 11 (Segmentation fault)". */
static void describe_end(const struct tl_spawn_result *r, char *buf, size_t len)
{
	if (r->term_signal)
		snprintf(buf, len, "died of signal %d (%s)", r->term_signal,
		         strsignal(r->term_signal));
	else
		snprintf(buf, len, "exited with status %d", r->exit_code);
}

/* The first line of b, for a message. */
static int first_line(const tl_buf *b, const char **text)
{
	*text = b->data != NULL ? b->data : "";
	return (int)strcspn(*text, "\n");
}

/* A detector that failed rather than judged: what the reader sees instead of
 * a verdict, in msg; false when its report was read.  rc and err are what
 * its parser said. */
static bool tool_failed(enum tl_tool tool, const struct outcome *o, int rc, const char *err,
                        char *msg, size_t len)
{
	const struct tl_tool_info *ti = tl_tool(tool);
	const struct tl_spawn_result *r = &o->res;
	char end[96];
	describe_end(r, end, sizeof end);
	if (ti->launcher != NULL && ti->format->on_xml_fd && r->xml.len == 0) {
		const char *line;
		int n = first_line(&r->err, &line);
		snprintf(msg, len, "%s: %s %s and wrote no report%s%.*s", ti->title,
		         tl_launcher_path(ti->launcher), end, n ? ": " : "", n > 200 ? 200 : n,
		         line);
		return true;
	}
	if (rc != 0) {
		snprintf(msg, len, "%s: %s %s, and its report cannot be read: %s", ti->title,
		         ti->launcher ? tl_launcher_path(ti->launcher) : "the program", end, err);
		return true;
	}
	if (ti->report_exit_code && !r->term_signal && r->exit_code == ti->report_exit_code &&
	    o->reports.n == 0) {
		snprintf(msg, len,
		         "%s: the program exited with %d, %s's code for a report, but no report "
		         "could be read from its %s",
		         ti->title, ti->report_exit_code, ti->title,
		         ti->format->on_xml_fd ? "document" : "stderr");
		return true;
	}
	return false;
}

static enum tl_verdict verdict_of_exit(const struct tl_spawn_result *r)
{
	if (r->timed_out)
		return TL_V_TIMEOUT;
	if (r->term_signal)
		return TL_V_CRASH;
	return runner_exit_code_verdict(r->exit_code);
}

enum tl_verdict runner_exit_code_verdict(int code)
{
	switch (code) {
	case TL_EXIT_OK:
		return TL_V_CLEAN;
	case TL_EXIT_WRONG:
		return TL_V_WRONG_RESULT;
	case TL_EXIT_DEADLOCK:
		return TL_V_DEADLOCK;
	case TL_EXIT_LIVELOCK:
		return TL_V_LIVELOCK;
	case TL_EXIT_LEAK:
		return TL_V_THREAD_LEAK;
	case TL_EXIT_TIMEOUT:
		return TL_V_TIMEOUT;
	default:
		return TL_V_UNCLASSIFIED;
	}
}

/* The tool's command line, then the lab's own arguments: in argv. */
static int command_with_lab_args(const struct tl_tool_command *cmd, char *const *lab_args,
                                 char **argv, size_t cap, char *err, size_t errlen)
{
	size_t n = 0;
	for (char *const *p = cmd->argv; *p; p++)
		argv[n++] = *p;
	for (char *const *p = lab_args; p && *p; p++) {
		if (n + 1 >= cap) {
			snprintf(err, errlen,
			         "too many arguments for the lab program (at most %zu)",
			         cap - 1 - TL_TOOL_MAX_ARGV);
			return -1;
		}
		argv[n++] = *p;
	}
	argv[n] = NULL;
	return 0;
}

int lab_execute(const struct lab *lab, int variant, enum tl_tool tool, bool echo,
                char *const *lab_args, struct outcome *o)
{
	memset(o, 0, sizeof *o);
	char bin[PATH_MAX + 64];
	snprintf(bin, sizeof bin, "%s/labs/%s/%s%s", runner_builddir(), lab->id,
	         lab_variant_names[variant], tl_tool(tool)->binary_suffix);
	if (access(bin, X_OK) != 0) {
		o->error = true;
		snprintf(o->msg, sizeof o->msg, "%s: %s (run make, or set THREADLAB_HOME)", bin,
		         strerror(errno));
		return -1;
	}
	struct tl_tool_command cmd;
	if (tl_tool_command(tool, bin, runner_srcdir(), &cmd, o->msg, sizeof o->msg)) {
		o->error = true;
		return -1;
	}
	char *argv[TL_TOOL_MAX_ARGV + 64];
	if (command_with_lab_args(&cmd, lab_args, argv, sizeof argv / sizeof argv[0], o->msg,
	                          sizeof o->msg)) {
		o->error = true;
		return -1;
	}
	long limit_ms;
	if (time_limit_ms(tool, &limit_ms, o->msg, sizeof o->msg)) {
		o->error = true;
		return -1;
	}
	struct tl_spawn_opts so = {
	    .argv = argv,
	    .env_add = cmd.env,
	    .timeout_ms = limit_ms,
	    .xml_fd = cmd.xml_fd,
	    .echo = echo,
	};
	if (tl_spawn(&so, &o->res) != 0) {
		o->error = true;
		snprintf(o->msg, sizeof o->msg, "%s",
		         o->res.err.data ? o->res.err.data : "spawn failed");
		return -1;
	}
	o->program = verdict_of_exit(&o->res);
	if (o->res.overflowed) {
		o->error = true;
		snprintf(o->msg, sizeof o->msg,
		         "the program wrote more than %u MiB to stdout or stderr: stopped, with "
		         "its whole process group",
		         TL_SPAWN_OUTPUT_MAX >> 20);
		return -1;
	}
	if (!o->res.timed_out && !o->res.term_signal && o->res.exit_code == TL_EXIT_USAGE) {
		o->error = true;
		snprintf(o->msg, sizeof o->msg, "the program rejected its arguments: %.400s",
		         o->res.err.data ? o->res.err.data : "");
		return -1;
	}

	if (tl_tool(tool)->format == NULL) { /* the exit status is the verdict */
		o->got = 1u << o->program;
		return 0;
	}
	char err[256] = "";
	int rc = tl_tool_read_reports(tool, &o->res, &o->reports, err, sizeof err);
	o->got = tl_reports_verdicts(&o->reports);
	/* A crash or a hang under a tool is a finding in its own right. */
	if (o->program == TL_V_CRASH || o->program == TL_V_TIMEOUT)
		o->got |= 1u << o->program;
	/* Without function names and file:line no anchor can be checked, and
	 * "not as expected" would send the reader after the lab, not the setup. */
	const char *unsymbolized = tl_tool_unsymbolized(tool, &o->reports);
	if (unsymbolized) {
		o->error = true;
		snprintf(o->msg, sizeof o->msg, "%s", unsymbolized);
		return -1;
	}
	/* A run killed at the time limit is judged a hang (its report may be
	 * unfinished); any other end must leave a report that reads whole, or
	 * the tool failed and nothing it said counts. */
	if (!o->res.timed_out && tool_failed(tool, o, rc, err, o->msg, sizeof o->msg)) {
		o->error = true;
		return -1;
	}
	return 0;
}

void outcome_free(struct outcome *o)
{
	tl_spawn_result_free(&o->res);
	tl_reports_free(&o->reports);
}

bool outcome_number(const struct outcome *o, char *name, size_t namelen, long *value)
{
	const tl_buf *out = &o->res.out;
	const char *p = out->data;
	while (p && (p = strstr(p, "outcome: "))) {
		if (p == out->data || p[-1] == '\n') {
			const char *eq = strchr(p, '=');
			const char *nl = strchr(p, '\n');
			if (eq && (!nl || eq < nl)) {
				char *end;
				errno = 0;
				long v = strtol(eq + 1, &end, 10);
				if (!errno && end != eq + 1) {
					snprintf(name, namelen, "%.*s", (int)(eq - p - 9), p + 9);
					*value = v;
					return true;
				}
			}
		}
		p += 9;
	}
	return false;
}

void expectation_format(const struct tl_spec *spec, enum tl_tool tool, char *buf, size_t len)
{
	const struct tl_expectation *e = &spec->expect[tool];
	size_t off = 0;
	buf[0] = '\0';
	for (int v = 0; v < TL_V_COUNT; v++) {
		if (!(e->verdicts & (1u << v)))
			continue;
		off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "%s%s",
		                        off ? " " : "", tl_verdict_name((enum tl_verdict)v));
		for (size_t u = 0; u < e->nuses; u++)
			if ((int)e->uses[u].verdict == v)
				off +=
				    (size_t)snprintf(buf + off, off < len ? len - off : 0, " @%s",
				                     spec->anchors[e->uses[u].anchor].name);
	}
}

static bool anchor_hit(const struct outcome *o, enum tl_verdict v, const char *src_rel, int line)
{
	for (size_t i = 0; i < o->reports.n; i++)
		if (o->reports.v[i].verdict == v &&
		    tl_report_points_at(&o->reports.v[i], src_rel, line))
			return true;
	return false;
}

bool outcome_matches(const struct tl_spec *spec, enum tl_tool tool, const char *src_rel,
                     const struct outcome *o, tl_buf *why)
{
	if (o->error) {
		tl_buf_printf(why, "%s\n", o->msg);
		return false;
	}
	const struct tl_expectation *e = &spec->expect[tool];
	tl_verdict_set want = e->verdicts == (1u << TL_V_CLEAN) ? 0 : e->verdicts;
	tl_verdict_set got = tool == TL_TOOL_RUN && o->got == (1u << TL_V_CLEAN) ? 0 : o->got;
	bool ok = true;
	if (want != got) {
		char w[256], g[256];
		expectation_format(spec, tool, w, sizeof w);
		tl_verdict_set_format(got, g, sizeof g);
		tl_buf_printf(why, "expected: %s\ngot:      %s\n", w, g);
		ok = false;
	}
	for (size_t u = 0; u < e->nuses; u++) {
		const struct tl_anchor *a = &spec->anchors[e->uses[u].anchor];
		if (!anchor_hit(o, e->uses[u].verdict, src_rel, a->line)) {
			tl_buf_printf(why, "no %s report points at @%s (%s:%d)\n",
			              tl_verdict_name(e->uses[u].verdict), a->name, src_rel,
			              a->line);
			ok = false;
		}
	}
	return ok;
}

void outcome_print_reports(FILE *f, const struct outcome *o, const char *src_rel,
                           const char *indent)
{
	for (size_t i = 0; i < o->reports.n; i++) {
		const struct tl_report *r = &o->reports.v[i];
		const struct tl_frame *fr = tl_report_first_frame_in(r, src_rel);
		if (!fr && r->nstacks && r->stacks[0].nframes)
			fr = &r->stacks[0].frames[0];
		fprintf(f, "%s%-14s", indent, tl_verdict_name(r->verdict));
		if (fr && fr->file) {
			const char *file =
			    strstr(fr->file, "labs/") ? strstr(fr->file, "labs/") : fr->file;
			fprintf(f, " %s:%d", file, fr->line);
		}
		if (fr && fr->func)
			fprintf(f, " in %s", fr->func);
		fprintf(f, "  (%s)\n", r->what && *r->what ? r->what : r->kind);
	}
}

void outcome_measure(const struct tl_spec *spec, enum tl_tool tool, const char *src_rel,
                     const struct outcome *o, struct measure *m)
{
	const struct tl_expectation *e = &spec->expect[tool];
	memset(m, 0, sizeof *m);
	m->got = o->got ? o->got : 1u << TL_V_CLEAN; /* a detector's "nothing" */
	m->wall_ms = o->res.wall_ms;
	for (size_t u = 0; u < e->nuses; u++) {
		m->anchors++;
		if (anchor_hit(o, e->uses[u].verdict, src_rel,
		               spec->anchors[e->uses[u].anchor].line))
			m->anchors_hit++;
	}
}

#define MEASURED "measured: "

void measure_print(FILE *f, const struct measure *m)
{
	fputs("   " MEASURED "got=", f);
	const char *sep = "";
	for (int v = 0; v < TL_V_COUNT; v++)
		if (m->got & (1u << v)) {
			fprintf(f, "%s%s", sep, tl_verdict_name((enum tl_verdict)v));
			sep = ",";
		}
	fprintf(f, " anchors=%d/%d wall_ms=%.1f\n", m->anchors_hit, m->anchors, m->wall_ms);
}

int measure_parse(const char *text, struct measure *m)
{
	const char *p = strstr(text, MEASURED "got=");
	if (!p)
		return -1;
	memset(m, 0, sizeof *m);
	p += strlen(MEASURED "got=");
	while (*p && *p != ' ') {
		char word[32];
		size_t n = strcspn(p, ", ");
		if (n >= sizeof word)
			return -1;
		memcpy(word, p, n);
		word[n] = '\0';
		int v = tl_verdict_from_name(word);
		if (v < 0)
			return -1;
		m->got |= 1u << v;
		p += n + (p[n] == ',');
	}
	/* " anchors=H/N wall_ms=T" */
	char *end;
	if (strncmp(p, " anchors=", 9))
		return -1;
	m->anchors_hit = (int)strtol(p + 9, &end, 10);
	if (end == p + 9 || *end != '/')
		return -1;
	p = end + 1;
	m->anchors = (int)strtol(p, &end, 10);
	if (end == p || strncmp(end, " wall_ms=", 9))
		return -1;
	p = end + 9;
	m->wall_ms = strtod(p, &end);
	if (end == p || m->anchors_hit < 0 || m->anchors_hit > m->anchors)
		return -1;
	return m->got ? 0 : -1;
}
