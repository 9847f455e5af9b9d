/* SPDX-License-Identifier: MIT */
/*
 * minicrit runner: see criterion/criterion.h.
 *
 * Usage: test.exe [--filter PATTERN] [PATTERN]
 * PATTERN matches "suite/name"; '*' matches any run of characters.
 * Output follows Criterion's ([RUN ], [PASS], [FAIL], [SKIP], and the final
 * "[====] Synthesis:" line). Exit status 1 if any test failed, else 0.
 */
#if defined(__MINGW32__) && !defined(__USE_MINGW_ANSI_STDIO)
#define __USE_MINGW_ANSI_STDIO 1 /* C99 printf formats (%zu, %lld) */
#endif

#include "criterion/criterion.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mc_platform.h"

enum { MC_PASSED, MC_FAILED, MC_SKIPPED };

static struct mc_test *mc_tests;
static struct mc_suite *mc_suites;
static jmp_buf mc_jmp;
struct mc_test *mc_current;
/* Written by helper threads too; volatile int stores are enough here (the
 * runner reads it after joining them). */
static volatile int mc_failed;
static _Thread_local int mc_runner_thread;

void mc_register_test(struct mc_test *t)
{
    t->next = mc_tests;
    mc_tests = t;
}

void mc_register_suite(struct mc_suite *s)
{
    s->next = mc_suites;
    mc_suites = s;
}

static _Thread_local char mc_slots[2][64];

const char *mc_fmt_i(int slot, long long v)
{
    snprintf(mc_slots[slot & 1], sizeof mc_slots[0], "%lld", v);
    return mc_slots[slot & 1];
}

const char *mc_fmt_u(int slot, unsigned long long v)
{
    snprintf(mc_slots[slot & 1], sizeof mc_slots[0], "%llu (0x%llx)", v, v);
    return mc_slots[slot & 1];
}

const char *mc_fmt_d(int slot, long double v)
{
    snprintf(mc_slots[slot & 1], sizeof mc_slots[0], "%.17Lg", v);
    return mc_slots[slot & 1];
}

const char *mc_fmt_p(int slot, const volatile void *v)
{
    snprintf(mc_slots[slot & 1], sizeof mc_slots[0], "%p", (const void *)v);
    return mc_slots[slot & 1];
}

/* Leaves the current test after a failed cr_assert or a skip. */
static void mc_leave(int status)
{
    if (mc_runner_thread)
        longjmp(mc_jmp, status);
    /* A helper thread: nothing to unwind to. */
    if (status == MC_FAILED)
        mc_failed = 1;
    fprintf(stderr, "[----] (left a helper thread of %s::%s)\n",
            mc_current ? mc_current->suite : "?",
            mc_current ? mc_current->name : "?");
    mc_end_helper_thread();
}

static void mc_vreport(int mode, const char *file, int line, const char *expr,
                       const char *fmt, va_list ap)
{
    fprintf(stderr, "[----] %s:%d: Assertion Failed\n", file, line);
    if (fmt && fmt[0]) {
        fputs("[----]   ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
    }
    fprintf(stderr, "[----]   expression: %s\n", expr);
    mc_failed = 1;
    (void)mode;
}

void mc_fail(int mode, const char *file, int line, const char *expr,
             const char *lhs, const char *rhs, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    mc_vreport(mode, file, line, expr, fmt, ap);
    va_end(ap);
    if (lhs && rhs)
        fprintf(stderr, "[----]   left: %s, right: %s\n", lhs, rhs);
    if (mode)
        mc_leave(MC_FAILED);
}

void mc_fail_str(int mode, const char *file, int line, const char *expr,
                 const char *a, const char *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    mc_vreport(mode, file, line, expr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "[----]   left: %s%s%s, right: %s%s%s\n", a ? "\"" : "",
            a ? a : "(null)", a ? "\"" : "", b ? "\"" : "", b ? b : "(null)",
            b ? "\"" : "");
    if (mode)
        mc_leave(MC_FAILED);
}

void mc_skip(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "[SKIP] %s::%s: ", mc_current ? mc_current->suite : "?",
            mc_current ? mc_current->name : "?");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    mc_leave(MC_SKIPPED);
}

void mc_log(int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs(level >= CR_LOG_ERROR     ? "[ERR ] "
          : level == CR_LOG_WARNING ? "[WARN] "
                                    : "[----] ",
          stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* ---- runner ---------------------------------------------------------- */

static int mc_match(const char *pat, const char *s)
{
    if (*pat == '\0')
        return *s == '\0';
    if (*pat == '*')
        return mc_match(pat + 1, s) || (*s && mc_match(pat, s + 1));
    return *s == *pat && mc_match(pat + 1, s + 1);
}

static int mc_cmp(const void *a, const void *b)
{
    const struct mc_test *x = *(const struct mc_test *const *)a;
    const struct mc_test *y = *(const struct mc_test *const *)b;
    int c = strcmp(x->suite, y->suite);
    return c ? c : strcmp(x->name, y->name);
}

static const struct criterion_test_extra_data *mc_suite_of(const char *name)
{
    struct mc_suite *s;
    for (s = mc_suites; s; s = s->next)
        if (strcmp(s->name, name) == 0)
            return &s->extra;
    return NULL;
}

static int mc_run(struct mc_test *t)
{
    static const struct criterion_test_extra_data none;
    const struct criterion_test_extra_data *se = mc_suite_of(t->suite);
    /* volatile: set before setjmp and read after a longjmp. */
    void (*volatile init)(void) = t->extra.init;
    void (*volatile fini)(void) = t->extra.fini;
    double timeout = t->extra.timeout;
    volatile int status = MC_FAILED;
    volatile int fini_due = 0;
    void *watch;

    if (!se)
        se = &none;
    if (!init)
        init = se->init;
    if (!fini)
        fini = se->fini;
    if (timeout <= 0)
        timeout = se->timeout;
    mc_current = t;
    if (t->extra.disabled || se->disabled) {
        fprintf(stderr, "[SKIP] %s::%s: test is disabled\n", t->suite, t->name);
        return MC_SKIPPED;
    }
    if (t->extra.signal || t->extra.exit_code) {
        fprintf(stderr,
                "[SKIP] %s::%s: .signal/.exit_code need a separate "
                "process (not supported by minicrit)\n",
                t->suite, t->name);
        return MC_SKIPPED;
    }
    fprintf(stderr, "[RUN ] %s::%s\n", t->suite, t->name);
    mc_failed = 0;
    watch = mc_watch_start(timeout);
    switch (setjmp(mc_jmp)) {
    case 0:
        if (init)
            init();
        fini_due = 1;
        t->fn();
        status = MC_PASSED;
        break;
    case MC_SKIPPED:
        status = MC_SKIPPED;
        break;
    default:
        status = MC_FAILED;
        break;
    }
    if (fini_due) {
        fini_due = 0;
        if (fini) {
            if (setjmp(mc_jmp) == 0)
                fini();
        }
    }
    mc_watch_stop(watch);
    if (mc_failed) /* a cr_expect, or a helper thread's cr_assert */
        status = MC_FAILED;
    if (status == MC_PASSED)
        fprintf(stderr, "[PASS] %s::%s\n", t->suite, t->name);
    else if (status == MC_FAILED)
        fprintf(stderr, "[FAIL] %s::%s\n", t->suite, t->name);
    return status;
}

int main(int argc, char **argv)
{
    const char *filter = NULL;
    struct mc_test **list, *t;
    size_t n = 0, i;
    int counts[3] = {0, 0, 0};
    int k;

    for (k = 1; k < argc; k++) {
        if (strcmp(argv[k], "--filter") == 0 && k + 1 < argc)
            filter = argv[++k];
        else if (strncmp(argv[k], "--filter=", 9) == 0)
            filter = argv[k] + 9;
        else if (argv[k][0] != '-')
            filter = argv[k];
    }
    setvbuf(stderr, NULL, _IONBF, 0);
    mc_runner_thread = 1;
    mc_platform_init();
    for (t = mc_tests; t; t = t->next)
        n++;
    list = (struct mc_test **)calloc(n ? n : 1, sizeof *list);
    if (!list)
        return 2;
    for (i = 0, t = mc_tests; t; t = t->next)
        list[i++] = t;
    qsort(list, n, sizeof *list, mc_cmp);
    for (i = 0; i < n; i++) {
        char full[256];
        snprintf(full, sizeof full, "%s/%s", list[i]->suite, list[i]->name);
        if (filter && !mc_match(filter, full))
            continue;
        counts[mc_run(list[i])]++;
    }
    free(list);
    if (counts[MC_PASSED] + counts[MC_FAILED] + counts[MC_SKIPPED] == 0)
        fprintf(stderr, "[====] warning: no test ran\n");
    fprintf(stderr, "[====] Skipped: %d\n", counts[MC_SKIPPED]);
    fprintf(stderr,
            "[====] Synthesis: Tested: %d | Passing: %d | Failing: %d"
            " | Crashing: 0\n",
            counts[MC_PASSED] + counts[MC_FAILED], counts[MC_PASSED],
            counts[MC_FAILED]);
    return counts[MC_FAILED] ? 1 : 0;
}
