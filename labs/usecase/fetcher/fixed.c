/* usecase/fetcher — fixed
 * A polite client: a shared token bucket, and retries with backoff, jitter and a cap.
 * The client fetches N pages (--iterations, default 16) from a strict site
 * on 127.0.0.1 twice: with a pool of threads (--threads, default 4), each
 * with its own libcurl easy handle, then with libcurl's multi interface in
 * one thread (an event loop, 4 transfers at once).  Both take a token from
 * one bucket (30 requests a second, bursts of 2: under the site's 50 and
 * 5) before every request, and retry a 429 or 503 after an exponential
 * backoff with jitter, at least as long as Retry-After asks, at most 6
 * attempts a page.  Every page arrives in both rounds.
 * expect run:      clean
 * expect tsan:     clean
 * note: libcurl and libmicrohttpd are not built with TSan: it sees the lab's code and every
 *       pthread call, not the libraries' own memory accesses.
 * expect helgrind: clean
 * note: clean with two entries of tests/valgrind.supp: libcurl's spinlock and p11-kit's exit-time
 *       mutexes (README; tests/fetcher-suppressions.sh shows what they hide).
 * expect drd:      clean
 * note: clean with the same two suppressions as Helgrind.
 * expect memcheck: clean
 */
#include "site.h"
#include "tl_watchdog.h"

#define MAX_THREADS    8
#define IN_FLIGHT      4  /* the multi round's transfers at once, as the pool's threads */
#define CLIENT_RATE    30 /* requests a second, for all threads together ... */
#define CLIENT_BURST   2  /* ... with bursts of this many */
#define MAX_ATTEMPTS   6
#define BACKOFF_MS     25  /* the first retry's delay; it doubles each time ... */
#define BACKOFF_CAP_MS 400 /* ... up to this */

/* One bucket for every thread of the client: the site counts requests from
 * the whole client, not from each thread. */
static struct {
	pthread_mutex_t mu;
	double tokens;
	uint64_t refilled_ns;
} bucket = {PTHREAD_MUTEX_INITIALIZER, CLIENT_BURST, 0};

/* Takes a token and returns 0, or returns how many ns until there is one. */
static uint64_t bucket_take(void)
{
	uint64_t wait_ns = 0;
	pthread_mutex_lock(&bucket.mu);
	uint64_t now = tl_mono_ns();
	if (bucket.refilled_ns == 0)
		bucket.refilled_ns = now;
	bucket.tokens += (double)(now - bucket.refilled_ns) * CLIENT_RATE / 1e9;
	if (bucket.tokens > CLIENT_BURST)
		bucket.tokens = CLIENT_BURST;
	bucket.refilled_ns = now;
	if (bucket.tokens >= 1)
		bucket.tokens -= 1;
	else
		wait_ns = (uint64_t)((1 - bucket.tokens) * 1e9 / CLIENT_RATE) + 1;
	pthread_mutex_unlock(&bucket.mu);
	return wait_ns;
}

/* How long to wait before trying page p again, or -1: done (got it, the
 * answer is not worth a retry, or the cap is reached).  Exponential backoff
 * with "equal jitter" (half fixed, half random), so that clients refused
 * together do not come back together; never sooner than Retry-After. */
static long retry_delay_ms(const struct page *p, unsigned *rng)
{
	if (p->got || p->attempts >= MAX_ATTEMPTS ||
	    (p->status != 0 && p->status != 429 && p->status != 503))
		return -1;
	long backoff = BACKOFF_MS << (p->attempts - 1);
	if (backoff > BACKOFF_CAP_MS)
		backoff = BACKOFF_CAP_MS;
	long delay = backoff / 2 + rand_r(rng) % (backoff / 2 + 1);
	return p->retry_after_s * 1000 > delay ? p->retry_after_s * 1000 : delay;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec t = {.tv_sec = (time_t)(ns / 1000000000u),
	                     .tv_nsec = (long)(ns % 1000000000u)};
	while (nanosleep(&t, &t) != 0 && errno == EINTR) /* sleep-ok: the backoff is the lesson */
		;
}

/* ---- round 1: a pool of threads, each with its own easy handle ---- */

struct crawl {
	struct page *pages;
	long n;
	unsigned long seed;
	pthread_mutex_t mu;
	long next; /* the next page nobody has taken yet */
};

static struct page *next_page(struct crawl *c)
{
	pthread_mutex_lock(&c->mu);
	struct page *p = c->next < c->n ? &c->pages[c->next++] : NULL;
	pthread_mutex_unlock(&c->mu);
	return p;
}

static void *pool_worker(void *arg)
{
	struct crawl *c = arg;
	tl_watchdog_register();
	unsigned rng = (unsigned)c->seed ^ (unsigned)pthread_self();
	CURL *h = curl_easy_init();
	for (struct page *p; h != NULL && (p = next_page(c)) != NULL;) {
		long delay_ms = 0;
		do {
			sleep_ns((uint64_t)delay_ms * 1000000u);
			for (uint64_t wait; (wait = bucket_take()) != 0;)
				sleep_ns(wait);
			page_prepare(h, p);
			page_done(h, p, curl_easy_perform(h), c->n);
			tl_progress();
		} while ((delay_ms = retry_delay_ms(p, &rng)) >= 0);
	}
	curl_easy_cleanup(h);
	return NULL;
}

static void pool_round(struct page *v, long n, long threads, unsigned long seed)
{
	struct crawl c = {.pages = v, .n = n, .seed = seed, .mu = PTHREAD_MUTEX_INITIALIZER};
	pthread_t t[MAX_THREADS];
	for (long i = 0; i < threads; i++)
		tl_lab_thread_create(&t[i], pool_worker, &c);
	for (long i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
}

/* ---- round 2: one thread, libcurl's multi interface ---- */

static void multi_round(struct page *v, long n, unsigned long seed)
{
	unsigned rng = (unsigned)seed;
	CURLM *m = curl_multi_init();
	CURL *idle[IN_FLIGHT];
	int idle_n = 0;
	for (int i = 0; i < IN_FLIGHT; i++)
		if ((idle[idle_n] = curl_easy_init()) != NULL)
			idle_n++;
	long left = n;
	while (left > 0 && m != NULL) {
		/* Start what is due, while a handle is free and the bucket has a token. */
		uint64_t now = tl_mono_ns(), wake = now + 100000000u;
		for (long i = 0; i < n && idle_n > 0; i++) {
			struct page *p = &v[i];
			if (p->finished || p->busy)
				continue;
			if (p->due_ns > now) {
				wake = p->due_ns < wake ? p->due_ns : wake;
				continue;
			}
			uint64_t wait = bucket_take();
			if (wait != 0) {
				wake = now + wait < wake ? now + wait : wake;
				break;
			}
			CURL *h = idle[--idle_n];
			page_prepare(h, p);
			p->busy = true;
			curl_multi_add_handle(m, h);
		}
		int running, queued, ended = 0;
		curl_multi_perform(m, &running);
		for (CURLMsg *msg; (msg = curl_multi_info_read(m, &queued)) != NULL;) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			CURL *h = msg->easy_handle;
			struct page *p;
			curl_easy_getinfo(h, CURLINFO_PRIVATE, (char **)&p);
			page_done(h, p, msg->data.result, n);
			tl_progress();
			curl_multi_remove_handle(m, h);
			idle[idle_n++] = h;
			p->busy = false;
			ended++;
			long delay_ms = retry_delay_ms(p, &rng);
			if (delay_ms < 0) {
				p->finished = true;
				left--;
			} else {
				p->due_ns = tl_mono_ns() + (uint64_t)delay_ms * 1000000u;
			}
		}
		if (ended == 0 && left > 0) {
			uint64_t after = tl_mono_ns();
			int timeout_ms = wake > after ? (int)((wake - after) / 1000000u) + 1 : 0;
			curl_multi_poll(m, NULL, 0, timeout_ms, NULL);
		}
	}
	for (int i = 0; i < idle_n; i++)
		curl_easy_cleanup(idle[i]);
	curl_multi_cleanup(m);
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 4,
	                        .iterations = 16,
	                        .seed = 1,
	                        .watchdog = true,
	                        .threads_max = MAX_THREADS};
	tl_lab_init(argc, argv, "A polite client: shared token bucket, backoff with jitter, a cap.",
	            &o);
	long n = pages_check(o.iterations);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return tl_lab_result(TL_EXIT_FAILURE, "curl_global_init failed");
	struct site site;
	site_start(&site, n, o.seed);
	if (o.watchdog)
		tl_watchdog_start(WATCHDOG_STALL, WATCHDOG_LIMIT);
	tl_watchdog_register();

	struct page v[MAX_PAGES];
	pages_init(v, n, site.port);
	uint64_t start = tl_mono_ns();
	pool_round(v, n, o.threads, o.seed);
	struct tally pool = pages_report("threads", v, n, start);

	pages_init(v, n, site.port);
	start = tl_mono_ns();
	multi_round(v, n, o.seed);
	struct tally multi = pages_report("multi", v, n, start);

	tl_watchdog_stop();
	site_stop(&site);
	curl_global_cleanup();
	if (pool.missing || multi.missing)
		return tl_lab_result(TL_EXIT_WRONG,
		                     "pages missing: %ld with threads, %ld with multi",
		                     pool.missing, multi.missing);
	return tl_lab_result(TL_EXIT_OK, "every page arrived both ways; %ld attempts in all",
	                     pool.attempts + multi.attempts);
}
