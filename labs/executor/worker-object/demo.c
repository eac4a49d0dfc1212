/* executor/worker-object — demo
 * C has no Thread class to subclass: put a worker struct with a run function first in your own.
 * Two kinds of worker share one base: a `struct worker` holding its name,
 * its run function and its pthread_t.  Each kind puts that base first in a
 * struct with state of its own (a word counter, a checksum), starts it with
 * worker_start, and main reads each worker's state after worker_join.
 * expect run:      clean
 * expect tsan:     clean
 * expect helgrind: clean
 * expect drd:      clean
 * expect memcheck: clean
 */
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "tl_lab.h"
#include "tl_log.h"

/* ------------------------------------------------------- the base "class" */

struct worker {
	char name[16];
	void (*run)(struct worker *self); /* the "method" each kind overrides */
	pthread_t thread;
};

/* The kind's struct from a pointer to its base member. */
#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	tl_thread_name("%s", w->name);
	w->run(w);
	return NULL;
}

/* Python's start(): the thread calls w->run(w). */
static void worker_start(struct worker *w)
{
	tl_lab_thread_create(&w->thread, worker_main, w);
}

/* Python's join(): after it, the worker's state is ours to read. */
static void worker_join(struct worker *w)
{
	pthread_join(w->thread, NULL);
}

/* ------------------------------------------------ kind 1: a word counter */

struct word_counter {
	struct worker base;
	const char *text;
	long words; /* result: written by the worker, read after the join */
};

static void count_words(struct worker *self)
{
	struct word_counter *c = container_of(self, struct word_counter, base);
	bool in_word = false;
	for (const char *p = c->text; *p; p++) {
		bool letter = *p != ' ' && *p != '\n';
		c->words += letter && !in_word;
		in_word = letter;
	}
	tl_log("%ld words", c->words);
}

static void word_counter_init(struct word_counter *c, const char *name, const char *text)
{
	*c = (struct word_counter){.text = text, .base.run = count_words};
	snprintf(c->base.name, sizeof c->base.name, "%s", name);
}

/* -------------------------------------------------- kind 2: a checksum */

struct checksummer {
	struct worker base;
	long rounds;
	unsigned long sum; /* result */
};

static void checksum(struct worker *self)
{
	struct checksummer *s = container_of(self, struct checksummer, base);
	unsigned long h = 5381;
	for (long i = 0; i < s->rounds; i++)
		h = h * 33 + (unsigned long)i;
	s->sum = h;
	tl_log("checksum of %ld rounds: %lx", s->rounds, s->sum);
}

static void checksummer_init(struct checksummer *s, const char *name, long rounds)
{
	*s = (struct checksummer){.rounds = rounds, .base.run = checksum};
	snprintf(s->base.name, sizeof s->base.name, "%s", name);
}

/* ------------------------------------------------------------------ main */

static const char poem[] = "so much depends\nupon\na red wheel\nbarrow\n";

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 2,
	                        .iterations = 100000,
	                        .seed = 1,
	                        .watchdog = true,
	                        .threads_min = 2,
	                        .threads_max = 2};
	tl_lab_init(argc, argv,
	            "A worker struct with a run function: C's form of subclassing Thread.", &o);
	struct word_counter counter;
	struct checksummer summer;
	word_counter_init(&counter, "word-counter", poem);
	checksummer_init(&summer, "checksummer", o.iterations);

	/* Both are started and joined through their base, like any worker. */
	struct worker *all[] = {&counter.base, &summer.base};
	for (size_t i = 0; i < 2; i++)
		worker_start(all[i]);
	for (size_t i = 0; i < 2; i++)
		worker_join(all[i]);

	/* The same computations here, to check the workers' answers. */
	unsigned long h = 5381;
	for (long i = 0; i < o.iterations; i++)
		h = h * 33 + (unsigned long)i;
	if (counter.words != 8 || summer.sum != h)
		return tl_lab_result(TL_EXIT_WRONG,
		                     "words %ld (expected 8), checksum %lx (expected %lx)",
		                     counter.words, summer.sum, h);
	return tl_lab_result(TL_EXIT_OK, "word-counter: %ld words; checksummer: %lx", counter.words,
	                     summer.sum);
}
