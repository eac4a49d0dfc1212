/* usecase/fetcher — what broken.c and fixed.c share: the site they fetch
 * from and the tally of what came back.  The client code, where the two
 * differ, is in each program.
 *
 * The site is libmicrohttpd on 127.0.0.1, on a port the kernel picks
 * (port 0), run on a thread of the program's own, started and stopped by
 * the program itself.  It serves pages
 * /page/0 .. /page/N-1 and is strict, like a real one:
 *   - it admits SITE_RATE requests a second with bursts of SITE_BURST (a
 *     token bucket of its own); a request beyond that gets 429 Too Many
 *     Requests with "Retry-After: 1";
 *   - of the requests it admits, FETCHER_FAIL_PERCENT percent (default 20)
 *     get 503 Service Unavailable.  Which ones is a hash of --seed, the page
 *     and how many requests for that page it admitted before, so the same
 *     seed fails the same pages' same attempts on every run.
 */
#ifndef FETCHER_SITE_H
#define FETCHER_SITE_H

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tl_clock.h"
#include "tl_lab.h"
#include "tl_log.h"

#define SITE_RATE      50 /* requests a second the site admits ... */
#define SITE_BURST     5  /* ... with bursts of this many */
#define MAX_PAGES      64
#define FAIL_PERCENT   20    /* default share of admitted requests answered 503 */
#define REQUEST_MS     5000  /* one transfer's own time limit (CURLOPT_TIMEOUT_MS) */
#define WATCHDOG_STALL 2000  /* ms: longer than a Retry-After wait (1 s) */
#define WATCHDOG_LIMIT 20000 /* ms: the whole run's bound (x THREADLAB_SLOWDOWN) */

struct site {
	struct MHD_Daemon *daemon;
	pthread_t thread;
	unsigned port;
	long pages;
	unsigned long seed;
	long fail_percent;
	pthread_mutex_t mu; /* guards what follows: the server thread writes, main reads */
	bool stopping;
	double tokens;
	uint64_t refilled_ns;
	long admitted[MAX_PAGES]; /* requests for each page let through so far */
	long answered_429, answered_503, answered_200;
};

/* splitmix64: a well-mixed hash, so that the failing attempts spread evenly */
static uint64_t site_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15u;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
	return x ^ (x >> 31);
}

static bool site_admit_locked(struct site *s)
{
	uint64_t now = tl_mono_ns();
	s->tokens += (double)(now - s->refilled_ns) * SITE_RATE / 1e9;
	if (s->tokens > SITE_BURST)
		s->tokens = SITE_BURST;
	s->refilled_ns = now;
	if (s->tokens < 1)
		return false;
	s->tokens -= 1;
	return true;
}

static enum MHD_Result site_answer(void *cls, struct MHD_Connection *conn, const char *url,
                                   const char *method, const char *version, const char *upload,
                                   size_t *upload_size, void **req)
{
	(void)version, (void)upload, (void)upload_size;
	static int headers_read;
	struct site *s = cls;
	/* The first call comes with the headers only: an answer queued then
	 * makes libmicrohttpd close the connection after it ("Connection:
	 * close"); answered on the second call, the connection is kept. */
	if (*req == NULL) {
		*req = &headers_read;
		return MHD_YES;
	}
	char body[64];
	unsigned status = MHD_HTTP_OK;
	long page = -1;
	int end = 0;
	if (strcmp(method, "GET") || sscanf(url, "/page/%ld%n", &page, &end) != 1 ||
	    url[end] != '\0' || page < 0 || page >= s->pages) {
		status = MHD_HTTP_NOT_FOUND;
		snprintf(body, sizeof body, "no such page\n");
	} else {
		pthread_mutex_lock(&s->mu);
		if (!site_admit_locked(s)) {
			status = MHD_HTTP_TOO_MANY_REQUESTS;
			s->answered_429++;
		} else if (site_mix(site_mix(s->seed) ^ ((uint64_t)page << 32) ^
		                    (uint64_t)s->admitted[page]++) %
		               100 <
		           (uint64_t)s->fail_percent) {
			status = MHD_HTTP_SERVICE_UNAVAILABLE;
			s->answered_503++;
		} else {
			s->answered_200++;
		}
		pthread_mutex_unlock(&s->mu);
		snprintf(body, sizeof body, status == MHD_HTTP_OK ? "page %ld of %ld\n" : "busy\n",
		         page, s->pages);
	}
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	if (status == MHD_HTTP_TOO_MANY_REQUESTS)
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1");
	enum MHD_Result ok = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ok;
}

/* FETCHER_FAIL_PERCENT from the environment (0..90), or the default. */
static long site_fail_percent(void)
{
	const char *text = getenv("FETCHER_FAIL_PERCENT");
	if (text == NULL)
		return FAIL_PERCENT;
	char *end;
	errno = 0;
	long v = strtol(text, &end, 10);
	if (errno || end == text || *end || v < 0 || v > 90) {
		fprintf(stderr, "%s: FETCHER_FAIL_PERCENT: '%s' is not a number in 0..90\n",
		        tl_lab_name(), text);
		exit(TL_EXIT_USAGE);
	}
	return v;
}

/* The site's one thread, ours rather than libmicrohttpd's own: its own
 * thread (MHD_USE_INTERNAL_POLLING_THREAD) is stopped through a volatile
 * flag it reads without a lock, which Helgrind and DRD rightly report as a
 * race, in the library.  Here every call into the daemon after the start
 * is made on this thread, and main stops it through the site's mutex. */
static void *site_serve(void *arg)
{
	struct site *s = arg;
	tl_thread_name("site");
	for (;;) {
		pthread_mutex_lock(&s->mu);
		bool stop = s->stopping;
		pthread_mutex_unlock(&s->mu);
		if (stop)
			return NULL;
		MHD_run_wait(s->daemon, 50); /* wakes for a request, or after 50 ms */
	}
}

/* Binds 127.0.0.1 port 0, reads back the port the kernel gave. */
static void site_start(struct site *s, long pages, unsigned long seed)
{
	*s = (struct site){.pages = pages,
	                   .seed = seed,
	                   .fail_percent = site_fail_percent(),
	                   .tokens = SITE_BURST,
	                   .refilled_ns = tl_mono_ns()};
	pthread_mutex_init(&s->mu, NULL);
	struct sockaddr_in addr = {.sin_family = AF_INET,
	                           .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	s->daemon = MHD_start_daemon(MHD_NO_FLAG, 0, NULL, NULL, site_answer, s,
	                             MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
	                             MHD_OPTION_CONNECTION_TIMEOUT, 10U, MHD_OPTION_END);
	const union MHD_DaemonInfo *info =
	    s->daemon ? MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT) : NULL;
	if (info == NULL || info->port == 0) {
		fprintf(stderr, "%s: cannot start the HTTP server on 127.0.0.1\n", tl_lab_name());
		exit(TL_EXIT_FAILURE);
	}
	s->port = info->port;
	tl_lab_thread_create(&s->thread, site_serve, s);
	tl_log("site on http://127.0.0.1:%u/ serves %ld pages; admits %d requests/s (bursts of "
	       "%d), answers 503 to %ld %% of them",
	       s->port, pages, SITE_RATE, SITE_BURST, s->fail_percent);
}

/* Stops the site's thread (joined: its counts are final), then the daemon. */
static void site_stop(struct site *s)
{
	pthread_mutex_lock(&s->mu);
	s->stopping = true;
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->thread, NULL);
	MHD_stop_daemon(s->daemon);
	pthread_mutex_destroy(&s->mu);
	printf("site answered: 200 x %ld, 429 x %ld, 503 x %ld\n", s->answered_200, s->answered_429,
	       s->answered_503);
}

/* ---- the client's side: one transfer and the tally of a round ---- */

struct page {
	long number;
	char url[64];
	char body[64]; /* what came back, cut to fit */
	size_t len;
	int attempts;
	long status;         /* the last answer's HTTP status, 0 if the transfer failed */
	long retry_after_s;  /* the last answer's Retry-After, 0 if none */
	bool got;            /* a 200 with the right body */
	bool busy, finished; /* the multi interface's bookkeeping */
	uint64_t due_ns;     /* not to be tried again before */
};

static size_t page_write(char *data, size_t size, size_t n, void *arg)
{
	struct page *p = arg;
	size_t room = sizeof p->body - 1 - p->len, len = size * n;
	memcpy(p->body + p->len, data, len < room ? len : room);
	p->len += len < room ? len : room;
	p->body[p->len] = '\0';
	return len;
}

/* Sets up an easy handle for one attempt at page p (reused handles keep
 * their connection).  No proxy: the site is on this machine. */
static void page_prepare(CURL *h, struct page *p)
{
	p->len = 0;
	p->body[0] = '\0';
	curl_easy_setopt(h, CURLOPT_URL, p->url);
	curl_easy_setopt(h, CURLOPT_PROXY, "");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)REQUEST_MS);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, page_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, p);
	curl_easy_setopt(h, CURLOPT_PRIVATE, p);
}

/* Records how the attempt that just ended went. */
static void page_done(CURL *h, struct page *p, CURLcode rc, long pages)
{
	char want[64];
	p->attempts++;
	p->status = 0;
	p->retry_after_s = 0;
	if (rc == CURLE_OK) {
		curl_off_t after = 0;
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &p->status);
		curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &after);
		p->retry_after_s = (long)after;
	}
	snprintf(want, sizeof want, "page %ld of %ld\n", p->number, pages);
	p->got = p->status == 200 && !strcmp(p->body, want);
}

static void pages_init(struct page *v, long pages, unsigned port)
{
	for (long i = 0; i < pages; i++) {
		v[i] = (struct page){.number = i};
		snprintf(v[i].url, sizeof v[i].url, "http://127.0.0.1:%u/page/%ld", port, i);
	}
}

/* --iterations is the number of pages: at most MAX_PAGES. */
static long pages_check(long pages)
{
	if (pages > MAX_PAGES) {
		fprintf(stderr, "%s: --iterations: %ld pages, at most %d\n", tl_lab_name(), pages,
		        MAX_PAGES);
		exit(TL_EXIT_USAGE);
	}
	return pages;
}

#define ATTEMPTS_SHOWN 8

struct tally {
	long missing, attempts;
};

/* Sums a round up: pages got, the last answer of those missing, attempts
 * in all and how many pages took 1, 2, ... attempts. */
static struct tally pages_report(const char *round, const struct page *v, long pages,
                                 uint64_t start_ns)
{
	struct tally t = {0};
	long last_429 = 0, last_503 = 0, took[ATTEMPTS_SHOWN + 1] = {0};
	for (long i = 0; i < pages; i++) {
		t.missing += !v[i].got;
		t.attempts += v[i].attempts;
		last_429 += !v[i].got && v[i].status == 429;
		last_503 += !v[i].got && v[i].status == 503;
		took[v[i].attempts < ATTEMPTS_SHOWN ? v[i].attempts : ATTEMPTS_SHOWN]++;
	}
	tl_log("%s: %.0f ms", round, (double)(tl_mono_ns() - start_ns) / 1e6);
	printf("%s: %ld of %ld pages, %ld missing (last answer 429: %ld, 503: %ld); "
	       "%ld attempts; pages by attempts:",
	       round, pages - t.missing, pages, t.missing, last_429, last_503, t.attempts);
	for (int a = 1; a <= ATTEMPTS_SHOWN; a++)
		if (took[a])
			printf(" %d%s x %ld", a, a == ATTEMPTS_SHOWN ? "+" : "", took[a]);
	printf("\n");
	return t;
}

#endif
