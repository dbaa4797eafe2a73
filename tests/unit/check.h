/* Minimal checks for the unit tests: each failing check prints file:line and the expression, and
 * the test's main() returns rw_check_report(), non-zero when anything failed. */
#ifndef RW_TEST_CHECK_H
#define RW_TEST_CHECK_H

#include <stdio.h>

static int rw_check_failures;
static int rw_check_count;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		rw_check_count++;                                                                  \
		if (!(cond)) {                                                                     \
			rw_check_failures++;                                                       \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
		}                                                                                  \
	} while (0)

/* Compare integers and show both values on failure. */
#define CHECK_EQ(a, b)                                                                             \
	do {                                                                                       \
		long long rw_a_ = (long long)(a), rw_b_ = (long long)(b);                          \
		rw_check_count++;                                                                  \
		if (rw_a_ != rw_b_) {                                                              \
			rw_check_failures++;                                                       \
			fprintf(stderr, "%s:%d: check failed: %s == %s (%lld != %lld)\n",          \
				__FILE__, __LINE__, #a, #b, rw_a_, rw_b_);                         \
		}                                                                                  \
	} while (0)

static inline int rw_check_report(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, rw_check_count, rw_check_failures);
	return rw_check_failures != 0;
}

#endif
