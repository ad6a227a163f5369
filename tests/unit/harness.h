/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The harness's test runner.  Every test binary prints TAP version 13 on
 * stdout: the plan, then "ok N - name" or "not ok N - name" for each test
 * case, with the failed checks as "# " lines before it, and a "# " summary
 * at the end.  It exits 1 when a case or a check failed or the plan was
 * not kept (a case table and the count given disagree), else 0; a crash
 * (a sanitizer report) leaves the plan short, which a TAP reader flags.
 *
 * A case is a function; EXPECT() records one check in it.  Cases run in
 * order in one process, so a case may check that the shim's global counts
 * (kmalloc objects, pages) are back where they were.
 *
 * Cases written once for several implementations (the IOVA allocators,
 * the invalidation policies) take a variant, as the kernel selftests'
 * fixture variants do: a table of variants, each with a name and what the
 * cases need to know of it, and a table of cases taking one.
 * HARNESS_RUN_VARIANTS() runs every case over every variant, as
 * "variant.case".  A case that does not apply to a variant says why with
 * harness_skip() and returns.
 *
 * "./test_x WORD" runs only the cases whose name contains WORD; the others
 * are reported as skipped, so that the plan stays the same.
 */
#ifndef SIOMMU_HARNESS_H
#define SIOMMU_HARNESS_H
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct harness {
	const char *suite, *filter;
	unsigned int planned, ran, failed, skipped;
	/* Atomic: threads check too. */
	long checks, check_failures;
	/* check_failures as the running case began. */
	long case_failures;
	char name[128];
	/* Why the running case was skipped, or "". */
	char skip[128];
};

static struct harness harness;

/* printf-like; the arguments after @fmt into char array @buf. */
#define HARNESS_PRINTF(fmt_arg, first)	\
	__attribute__((format(printf, fmt_arg, first)))
#define harness_vformat(buf, fmt) do {					\
	va_list ap_;							\
									\
	va_start(ap_, fmt);						\
	vsnprintf(buf, sizeof(buf), fmt, ap_);				\
	va_end(ap_);							\
} while (0)

static inline HARNESS_PRINTF(1, 2) void harness_diag(const char *fmt, ...)
{
	char line[512];

	harness_vformat(line, fmt);
	/* One printf: lines of threads that check at once stay whole. */
	printf("# %s\n", line);
}

static inline HARNESS_PRINTF(4, 5)
void harness_check_failed(const char *file, int line, const char *cond,
			  const char *fmt, ...)
{
	char why[384];

	__atomic_fetch_add(&harness.check_failures, 1, __ATOMIC_RELAXED);
	harness_vformat(why, fmt);
	harness_diag("FAIL %s:%d: %s: %s", file, line, cond, why);
}

#define EXPECT(cond, ...) do {						\
	__atomic_fetch_add(&harness.checks, 1, __ATOMIC_RELAXED);	\
	if (!(cond))							\
		harness_check_failed(__FILE__, __LINE__, #cond,		\
				     __VA_ARGS__);			\
} while (0)

/*
 * The TAP header: @cases is how many harness_begin() calls will follow.
 * stdout is line-buffered so that a log that mixes it with stderr (the
 * shim's warnings) keeps their order.
 */
static inline void harness_start(int argc, char **argv, unsigned int cases)
{
	const char *slash = strrchr(argv[0], '/');

	setvbuf(stdout, NULL, _IOLBF, 0);
	harness.suite = slash ? slash + 1 : argv[0];
	harness.filter = argc > 1 ? argv[1] : NULL;
	harness.planned = cases;
	printf("TAP version 13\n1..%u\n", cases);
}

/*
 * Number the next case and name it; false when the filter leaves it out
 * (reported as skipped: do not run it, nor call harness_end()).
 */
static inline HARNESS_PRINTF(1, 2) bool harness_begin(const char *fmt, ...)
{
	harness_vformat(harness.name, fmt);
	harness.ran++;
	harness.skip[0] = '\0';
	harness.case_failures = harness.check_failures;
	if (harness.filter && !strstr(harness.name, harness.filter)) {
		harness.skipped++;
		printf("ok %u - %s # SKIP not selected\n", harness.ran,
		       harness.name);
		return false;
	}
	return true;
}

/* The running case does not apply: why.  The case then returns. */
static inline HARNESS_PRINTF(1, 2) void harness_skip(const char *fmt, ...)
{
	harness_vformat(harness.skip, fmt);
}

static inline void harness_end(void)
{
	bool ok = harness.check_failures == harness.case_failures;

	if (!ok)
		harness.failed++;
	else if (harness.skip[0])
		harness.skipped++;
	printf("%s %u - %s%s%s\n", ok ? "ok" : "not ok", harness.ran,
	       harness.name, ok && harness.skip[0] ? " # SKIP " : "",
	       ok ? harness.skip : "");
}

/* The summary line and the exit status. */
static inline int harness_finish(void)
{
	bool ok = !harness.failed && !harness.check_failures &&
		  harness.ran == harness.planned;

	if (harness.ran != harness.planned)
		harness_diag("%s: planned %u cases, ran %u", harness.suite,
			     harness.planned, harness.ran);
	harness_diag("%s: pass:%u fail:%u skip:%u (checks: %ld ok, %ld failed)",
		     harness.suite, harness.ran - harness.failed -
		     harness.skipped, harness.failed, harness.skipped,
		     harness.checks - harness.check_failures,
		     harness.check_failures);
	return ok ? 0 : 1;
}

/* A case without variants; its name is the function's, less "test_". */
struct harness_case {
	const char *name;
	void (*run)(void);
};

#define HARNESS_CASE(fn)	{ .name = #fn, .run = fn }

static inline const char *harness_case_name(const char *fn)
{
	return strncmp(fn, "test_", 5) ? fn : fn + 5;
}

static inline void harness_run_cases(const struct harness_case *cases,
				     unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (harness_begin("%s", harness_case_name(cases[i].name))) {
			cases[i].run();
			harness_end();
		}
}

/* The whole of main() for a file of cases without variants. */
static inline int harness_main(int argc, char **argv,
			       const struct harness_case *cases,
			       unsigned int n)
{
	harness_start(argc, argv, n);
	harness_run_cases(cases, n);
	return harness_finish();
}

#define HARNESS_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* The type of a case that takes a variant of type @vtype. */
#define HARNESS_VARIANT_CASE(vtype)					\
	struct {							\
		const char *name;					\
		void (*run)(const vtype *v);				\
	}

/*
 * Every case of @cases (elements with .name and .run(variant)) over the
 * @n variants of @variants (elements with .name), variant by variant.
 */
#define HARNESS_RUN_VARIANTS_N(cases, variants, n) do {			\
	unsigned int v_, c_;						\
									\
	for (v_ = 0; v_ < (n); v_++)					\
		for (c_ = 0; c_ < HARNESS_ARRAY_SIZE(cases); c_++) {	\
			if (!harness_begin("%s.%s", (variants)[v_].name,\
				harness_case_name((cases)[c_].name)))	\
				continue;				\
			(cases)[c_].run(&(variants)[v_]);		\
			harness_end();					\
		}							\
} while (0)

#define HARNESS_RUN_VARIANTS(cases, variants)				\
	HARNESS_RUN_VARIANTS_N(cases, variants, HARNESS_ARRAY_SIZE(variants))

/* How many cases HARNESS_RUN_VARIANTS(cases, variants) runs. */
#define HARNESS_NR_VARIANT_CASES(cases, variants)			\
	(HARNESS_ARRAY_SIZE(cases) * HARNESS_ARRAY_SIZE(variants))

#endif
