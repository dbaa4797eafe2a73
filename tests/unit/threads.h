/* Running one function in several threads at once, for the tests of the tables that worker
 * threads share (test_threads_cache.c, test_threads_tables.c). Built with -Db_sanitize=thread,
 * ThreadSanitizer reports any access the tables' locks do not order; the tests themselves check
 * that what the threads did adds up (no lost entries, no torn values). */
#ifndef RW_TEST_THREADS_H
#define RW_TEST_THREADS_H

#include <pthread.h>
#include <stdbool.h>

#include "check.h"

#define TT_THREADS 4

struct tt_arg {
	int id;	    /* 0 .. TT_THREADS - 1 */
	void *ctx;  /* the test's shared state */
	long count; /* what the thread counted, for the test to add up */
	int errors; /* what it found wrong (checked after the join: CHECK is not thread-safe) */
};

/* Run fn(&args[i]) in TT_THREADS threads at once over ctx, wait for them all; returns the sum of
 * their errors (and of failed pthread_create calls). args gets each thread's own results. */
static inline int tt_run(void *(*fn)(void *), void *ctx, struct tt_arg args[TT_THREADS])
{
	pthread_t t[TT_THREADS];
	bool started[TT_THREADS];
	int errors = 0;

	for (int i = 0; i < TT_THREADS; i++) {
		args[i] = (struct tt_arg){.id = i, .ctx = ctx};
		started[i] = pthread_create(&t[i], NULL, fn, &args[i]) == 0;
		if (!started[i])
			errors++;
	}
	for (int i = 0; i < TT_THREADS; i++) {
		if (started[i])
			pthread_join(t[i], NULL);
		errors += args[i].errors;
	}
	return errors;
}

/* The sum of the threads' counts. */
static inline long tt_sum(const struct tt_arg args[TT_THREADS])
{
	long n = 0;
	for (int i = 0; i < TT_THREADS; i++)
		n += args[i].count;
	return n;
}

#endif
