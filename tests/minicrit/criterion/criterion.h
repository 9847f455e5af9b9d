/* SPDX-License-Identifier: MIT */
/*
 * minicrit: a small Criterion-compatible test runner for builds where
 * Criterion itself is not available (MinGW, run under Wine).
 *
 * It covers the subset of Criterion's C API the portsock tests use, so one
 * test source compiles unchanged against either:
 *   Test(suite, name [, .init = f, .fini = f, .timeout = seconds,
 *        .disabled = b, .description = "..."])
 *   TestSuite(suite [, same options])
 *   cr_assert / cr_expect (+ _not, _eq, _neq, _lt, _leq, _gt, _geq, _null,
 *   _not_null, _str_eq, _str_neq, _str_empty, _str_not_empty, _arr_eq,
 *   _arr_neq, _fail), cr_skip_test, cr_log_info / cr_log_warn / cr_log_error.
 *
 * Every assertion takes an optional printf-style message after its operands;
 * as in Criterion the format must be a string literal.
 *
 * Tests run one after another in the runner's process. A failing cr_assert
 * prints file:line and the message and longjmps back to the runner; on a
 * helper thread (where there is nothing to unwind to) it marks the test
 * failed and ends that thread (Windows) or the process (elsewhere).
 * Needs GCC-compatible compilers (constructor attribute, __typeof__).
 */
#ifndef MINICRIT_CRITERION_H
#define MINICRIT_CRITERION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#ifdef __cplusplus
#error "minicrit is C only"
#endif

/* minicrit.c prints with MinGW's C99 printf (__USE_MINGW_ANSI_STDIO), which
 * gcc checks as gnu_printf. clang has no gnu_printf; its printf checks
 * accept the C99 formats on MinGW targets. */
#if defined(__MINGW32__) && !defined(__clang__)
#define MC_PRINTF_(f, a) __attribute__((format(gnu_printf, f, a)))
#else
#define MC_PRINTF_(f, a) __attribute__((format(printf, f, a)))
#endif

/* Test options, filled by designated initializers as in Criterion. */
struct criterion_test_extra_data {
    void (*init)(void);
    void (*fini)(void);
    int signal;    /* not supported in-process: the test is skipped */
    int exit_code; /* not supported in-process: the test is skipped */
    bool disabled;
    const char *description;
    double timeout; /* seconds; 0 = none (enforced on Windows) */
    void *data;
    int sentinel_;
};

struct mc_test {
    const char *suite;
    const char *name;
    void (*fn)(void);
    struct criterion_test_extra_data extra;
    const char *file;
    struct mc_test *next;
};

struct mc_suite {
    const char *name;
    struct criterion_test_extra_data extra;
    struct mc_suite *next;
};

void mc_register_test(struct mc_test *t);
void mc_register_suite(struct mc_suite *s);
/* mode: 1 abort the test, 0 mark failed and continue. Returns only when
 * mode is 0. The trailing arguments are printf-style; extra arguments after
 * the format (the macros append one) are ignored. */
void mc_fail(int mode, const char *file, int line, const char *expr,
             const char *lhs, const char *rhs, const char *fmt, ...)
    MC_PRINTF_(7, 8);
void mc_fail_str(int mode, const char *file, int line, const char *expr,
                 const char *a, const char *b, const char *fmt, ...)
    MC_PRINTF_(7, 8);
void mc_skip(const char *fmt, ...) MC_PRINTF_(1, 2);
void mc_log(int level, const char *fmt, ...) MC_PRINTF_(2, 3);
/* Format a value for failure messages into per-thread slot 0 or 1. */
const char *mc_fmt_i(int slot, long long v);
const char *mc_fmt_u(int slot, unsigned long long v);
const char *mc_fmt_d(int slot, long double v);
const char *mc_fmt_p(int slot, const volatile void *v);

/* ---- registration ----------------------------------------------------- */

#define Test(...) MC_TEST_(__VA_ARGS__, .sentinel_ = 0)
#define MC_TEST_(suite, name, ...)                                             \
    static void mc_fn_##suite##_##name(void);                                  \
    static struct mc_test mc_t_##suite##_##name = {                            \
        #suite, #name, mc_fn_##suite##_##name, {__VA_ARGS__}, __FILE__, NULL}; \
    __attribute__((constructor)) static void mc_reg_##suite##_##name(void)     \
    {                                                                          \
        mc_register_test(&mc_t_##suite##_##name);                              \
    }                                                                          \
    static void mc_fn_##suite##_##name(void)

#define TestSuite(...) MC_SUITE_(__VA_ARGS__, .sentinel_ = 0)
#define MC_SUITE_(suite, ...)                                            \
    static struct mc_suite mc_s_##suite = {#suite, {__VA_ARGS__}, NULL}; \
    __attribute__((constructor)) static void mc_sreg_##suite(void)       \
    {                                                                    \
        mc_register_suite(&mc_s_##suite);                                \
    }                                                                    \
    struct mc_suite_semicolon_##suite

/* ---- assertions --------------------------------------------------------- */

/* Keep warnings the macros' temporaries would add (not the caller's code:
 * Criterion compares the operands directly) out of -Werror builds. */
#define MC_DIAG_BEGIN_                                                \
    _Pragma("GCC diagnostic push")                                    \
        _Pragma("GCC diagnostic ignored \"-Wsign-compare\"")          \
            _Pragma("GCC diagnostic ignored \"-Wformat-extra-args\"") \
                _Pragma("GCC diagnostic ignored \"-Wformat-zero-length\"")
#define MC_DIAG_END_ _Pragma("GCC diagnostic pop")

#define MC_FMTV_(slot, v)                   \
    _Generic((v), _Bool                     \
             : mc_fmt_u, char               \
             : mc_fmt_i, signed char        \
             : mc_fmt_i, short              \
             : mc_fmt_i, int                \
             : mc_fmt_i, long               \
             : mc_fmt_i, long long          \
             : mc_fmt_i, unsigned char      \
             : mc_fmt_u, unsigned short     \
             : mc_fmt_u, unsigned int       \
             : mc_fmt_u, unsigned long      \
             : mc_fmt_u, unsigned long long \
             : mc_fmt_u, float              \
             : mc_fmt_d, double             \
             : mc_fmt_d, long double        \
             : mc_fmt_d, default            \
             : mc_fmt_p)(slot, v)

#define MC_BOOL_(mode, cond, text, ...)                                       \
    do {                                                                      \
        MC_DIAG_BEGIN_                                                        \
        if (!(cond))                                                          \
            mc_fail(mode, __FILE__, __LINE__, text, NULL, NULL, __VA_ARGS__); \
        MC_DIAG_END_                                                          \
    } while (0)

/* The temporaries take the operands' decayed, promoted type, so each operand
 * is evaluated once and arrays compare as pointers, as in Criterion. */
#define MC_CMP_(mode, op, a, b, ...)                                      \
    do {                                                                  \
        MC_DIAG_BEGIN_                                                    \
        __typeof__(1 ? (a) : (a)) mc_a_ = (a);                            \
        __typeof__(1 ? (b) : (b)) mc_b_ = (b);                            \
        if (!(mc_a_ op mc_b_))                                            \
            mc_fail(mode, __FILE__, __LINE__, #a " " #op " " #b,          \
                    MC_FMTV_(0, mc_a_), MC_FMTV_(1, mc_b_), __VA_ARGS__); \
        MC_DIAG_END_                                                      \
    } while (0)

#define MC_STR_(mode, op, a, b, ...)                                      \
    do {                                                                  \
        MC_DIAG_BEGIN_                                                    \
        const char *mc_a_ = (a);                                          \
        const char *mc_b_ = (b);                                          \
        if (!(mc_a_ && mc_b_ && strcmp(mc_a_, mc_b_) op 0))               \
            mc_fail_str(mode, __FILE__, __LINE__,                         \
                        "strcmp(" #a ", " #b ") " #op " 0", mc_a_, mc_b_, \
                        __VA_ARGS__);                                     \
        MC_DIAG_END_                                                      \
    } while (0)

#define MC_MEM_(mode, op, a, b, n, ...)        \
    MC_BOOL_(mode, memcmp((a), (b), (n)) op 0, \
             "memcmp(" #a ", " #b ", " #n ") " #op " 0", __VA_ARGS__)

#define cr_assert(...) MC_BOOL1_(1, __VA_ARGS__, "")
#define cr_expect(...) MC_BOOL1_(0, __VA_ARGS__, "")
#define MC_BOOL1_(mode, c, ...) MC_BOOL_(mode, c, #c, __VA_ARGS__)
#define cr_assert_not(...) MC_NOT1_(1, __VA_ARGS__, "")
#define cr_expect_not(...) MC_NOT1_(0, __VA_ARGS__, "")
#define MC_NOT1_(mode, c, ...) MC_BOOL_(mode, !(c), "!(" #c ")", __VA_ARGS__)

#define cr_assert_fail(...) MC_BOOL_(1, 0, "cr_assert_fail()", "" __VA_ARGS__)
#define cr_expect_fail(...) MC_BOOL_(0, 0, "cr_expect_fail()", "" __VA_ARGS__)

#define cr_assert_eq(...) MC_CMP_(1, ==, __VA_ARGS__, "")
#define cr_expect_eq(...) MC_CMP_(0, ==, __VA_ARGS__, "")
#define cr_assert_neq(...) MC_CMP_(1, !=, __VA_ARGS__, "")
#define cr_expect_neq(...) MC_CMP_(0, !=, __VA_ARGS__, "")
#define cr_assert_lt(...) MC_CMP_(1, <, __VA_ARGS__, "")
#define cr_expect_lt(...) MC_CMP_(0, <, __VA_ARGS__, "")
#define cr_assert_leq(...) MC_CMP_(1, <=, __VA_ARGS__, "")
#define cr_expect_leq(...) MC_CMP_(0, <=, __VA_ARGS__, "")
#define cr_assert_gt(...) MC_CMP_(1, >, __VA_ARGS__, "")
#define cr_expect_gt(...) MC_CMP_(0, >, __VA_ARGS__, "")
#define cr_assert_geq(...) MC_CMP_(1, >=, __VA_ARGS__, "")
#define cr_expect_geq(...) MC_CMP_(0, >=, __VA_ARGS__, "")

#define cr_assert_null(...) MC_NULL_(1, ==, __VA_ARGS__, "")
#define cr_expect_null(...) MC_NULL_(0, ==, __VA_ARGS__, "")
#define cr_assert_not_null(...) MC_NULL_(1, !=, __VA_ARGS__, "")
#define cr_expect_not_null(...) MC_NULL_(0, !=, __VA_ARGS__, "")
#define MC_NULL_(mode, op, p, ...) \
    MC_BOOL_(mode, (p)op NULL, #p " " #op " NULL", __VA_ARGS__)

#define cr_assert_str_eq(...) MC_STR_(1, ==, __VA_ARGS__, "")
#define cr_expect_str_eq(...) MC_STR_(0, ==, __VA_ARGS__, "")
#define cr_assert_str_neq(...) MC_STR_(1, !=, __VA_ARGS__, "")
#define cr_expect_str_neq(...) MC_STR_(0, !=, __VA_ARGS__, "")
#define cr_assert_str_empty(...) MC_STRE_(1, ==, __VA_ARGS__, "")
#define cr_expect_str_empty(...) MC_STRE_(0, ==, __VA_ARGS__, "")
#define cr_assert_str_not_empty(...) MC_STRE_(1, !=, __VA_ARGS__, "")
#define cr_expect_str_not_empty(...) MC_STRE_(0, !=, __VA_ARGS__, "")
#define MC_STRE_(mode, op, s, ...)                                         \
    MC_BOOL_(mode, ((const char *)(s))[0] op '\0', #s "[0] " #op " '\\0'", \
             __VA_ARGS__)

#define cr_assert_arr_eq(...) MC_MEM_(1, ==, __VA_ARGS__, "")
#define cr_expect_arr_eq(...) MC_MEM_(0, ==, __VA_ARGS__, "")
#define cr_assert_arr_neq(...) MC_MEM_(1, !=, __VA_ARGS__, "")
#define cr_expect_arr_neq(...) MC_MEM_(0, !=, __VA_ARGS__, "")

#define cr_skip_test(...)        \
    do {                         \
        MC_DIAG_BEGIN_           \
        mc_skip("" __VA_ARGS__); \
        MC_DIAG_END_             \
    } while (0)

/* ---- logging ------------------------------------------------------------ */

enum criterion_logging_level {
    CR_LOG_INFO = 1,
    CR_LOG_WARNING = 2,
    CR_LOG_ERROR = 3
};
#define cr_log(level, ...) mc_log(level, __VA_ARGS__)
#define cr_log_info(...) mc_log(CR_LOG_INFO, __VA_ARGS__)
#define cr_log_warn(...) mc_log(CR_LOG_WARNING, __VA_ARGS__)
#define cr_log_error(...) mc_log(CR_LOG_ERROR, __VA_ARGS__)

#endif /* MINICRIT_CRITERION_H */
