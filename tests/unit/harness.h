/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal test harness: EXPECT() records a check; harness_report()
 * prints "N passed, N failed" and returns the exit status.
 */
#ifndef SIOMMU_HARNESS_H
#define SIOMMU_HARNESS_H
#include <stdio.h>
#include <string.h>

extern int harness_passed, harness_failed;

#define EXPECT(cond, ...) do {						\
	if (cond) {							\
		harness_passed++;					\
	} else {							\
		harness_failed++;					\
		fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__,	\
			#cond);						\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
	}								\
} while (0)

static inline int harness_report(const char *suite)
{
	const char *slash = strrchr(suite, '/');

	if (slash)
		suite = slash + 1;
	printf("%s: %d passed, %d failed\n", suite, harness_passed,
	       harness_failed);
	return harness_failed ? 1 : 0;
}
#endif
