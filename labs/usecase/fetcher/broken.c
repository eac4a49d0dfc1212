/* usecase/fetcher — broken
 * A client that hammers a strict site: no rate limit, no retry; pages go missing.
 * The client fetches N pages (--iterations, default 16) from a strict site
 * on 127.0.0.1 twice: with a pool of threads (--threads, default 4), each
 * with its own libcurl easy handle, then with libcurl's multi interface in
 * one thread (an event loop, 4 transfers at once).  It sends as fast as
 * the transfers go and takes the first answer as final: the site refuses
 * the requests beyond its rate (429) and some admitted ones (503, chosen by
 * --seed), and those pages are missing.
 * expect run:      wrong-result
 * expect tsan:     clean
 * miss: the bug is in how the client treats the site, not in how its threads share memory: the
 *       page counter and the site's counts are under mutexes, and no detector judges manners.
 * note: libcurl and libmicrohttpd are not built with TSan: it sees the lab's code and every
 *       pthread call, not the libraries' own memory accesses.
 * expect helgrind: clean
 * miss: the same: no race, no lock misuse, only requests the site refuses.
 * note: clean with two entries of tests/valgrind.supp: libcurl's spinlock and p11-kit's exit-time
 *       mutexes (README; tests/fetcher-suppressions.sh shows what they hide).
 * expect drd:      clean
 * miss: the same.
 * note: clean with the same two suppressions as Helgrind.
 * expect memcheck: clean
 */
#include "site.h"
#include "tl_watchdog.h"

#define MAX_THREADS 8
#define IN_FLIGHT   4 /* the multi round's transfers at once, as the pool's threads */

/* ---- round 1: a pool of threads, each with its own easy handle ---- */

struct crawl {
	struct page *pages;
	long n;
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
	CURL *h = curl_easy_init();
	for (struct page *p; h != NULL && (p = next_page(c)) != NULL;) {
		page_prepare(h, p);
		page_done(h, p, curl_easy_perform(h), c->n);
		tl_progress();
	}
	curl_easy_cleanup(h);
	return NULL;
}

static void pool_round(struct page *v, long n, long threads)
{
	struct crawl c = {.pages = v, .n = n, .mu = PTHREAD_MUTEX_INITIALIZER};
	pthread_t t[MAX_THREADS];
	for (long i = 0; i < threads; i++)
		tl_lab_thread_create(&t[i], pool_worker, &c);
	for (long i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
}

/* ---- round 2: one thread, libcurl's multi interface ---- */

static void multi_round(struct page *v, long n)
{
	CURLM *m = curl_multi_init();
	CURL *idle[IN_FLIGHT];
	int idle_n = 0;
	for (int i = 0; i < IN_FLIGHT; i++)
		if ((idle[idle_n] = curl_easy_init()) != NULL)
			idle_n++;
	long left = n;
	while (left > 0 && m != NULL) {
		/* Start what is waiting, while a handle is free. */
		for (long i = 0; i < n && idle_n > 0; i++) {
			struct page *p = &v[i];
			if (p->finished || p->busy)
				continue;
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
			p->finished = true;
			left--;
		}
		if (ended == 0 && left > 0)
			curl_multi_poll(m, NULL, 0, 100, NULL);
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
	tl_lab_init(argc, argv, "A client that hammers a strict site: no rate limit, no retry.",
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
	pool_round(v, n, o.threads);
	struct tally pool = pages_report("threads", v, n, start);

	pages_init(v, n, site.port);
	start = tl_mono_ns();
	multi_round(v, n);
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
