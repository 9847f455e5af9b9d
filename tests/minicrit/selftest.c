/* SPDX-License-Identifier: MIT */
/*
 * Self-test of the minicrit runner. Suite "fail" holds tests that must each
 * fail, "pass" tests that must pass, "skip" tests that must be skipped, and
 * "zcheck" (sorted last) verifies side effects of the others. Expected
 * summary: Tested: 28 | Passing: 9 | Failing: 19, exit status 1.
 */
#include <criterion/criterion.h>

#include <stdint.h>
#include <stdio.h>

static int reached_after_assert;
static int evaluations;
static int init_ran, fini_ran, fini_after_fail;

static int count(int v)
{
    evaluations++;
    return v;
}

Test(fail, assert_plain)
{
    cr_assert(1 == 2);
    reached_after_assert = 1;
}
Test(fail, assert_msg)
{
    cr_assert(0, "message %d %s", 42, "text");
    reached_after_assert = 1;
}
Test(fail, assert_not)
{
    cr_assert_not(1);
    reached_after_assert = 1;
}
Test(fail, eq)
{
    cr_assert_eq(1, 2);
    reached_after_assert = 1;
}
Test(fail, neq)
{
    cr_assert_neq(3, 3, "msg");
    reached_after_assert = 1;
}
Test(fail, lt)
{
    cr_assert_lt(2, 2);
    reached_after_assert = 1;
}
Test(fail, leq)
{
    cr_assert_leq(3, 2);
    reached_after_assert = 1;
}
Test(fail, gt)
{
    cr_assert_gt(2, 2);
    reached_after_assert = 1;
}
Test(fail, geq)
{
    cr_assert_geq(1, 2);
    reached_after_assert = 1;
}
Test(fail, null)
{
    int x = 0;
    cr_assert_null(&x);
    reached_after_assert = 1;
}
Test(fail, not_null)
{
    cr_assert_not_null(NULL);
    reached_after_assert = 1;
}
Test(fail, str_eq)
{
    cr_assert_str_eq("abc", "abd");
    reached_after_assert = 1;
}
Test(fail, str_eq_null)
{
    const char *p = NULL;
    cr_assert_str_eq(p, "x");
    reached_after_assert = 1;
}
Test(fail, str_neq)
{
    cr_assert_str_neq("abc", "abc");
    reached_after_assert = 1;
}
Test(fail, arr_eq)
{
    cr_assert_arr_eq("abc", "abd", 3);
    reached_after_assert = 1;
}
Test(fail, assert_fail)
{
    cr_assert_fail("explicit %s", "failure");
    reached_after_assert = 1;
}
Test(fail, expect_continues)
{
    cr_expect(0, "expect does not stop the test");
    cr_expect_eq(1, 2);
    cr_assert(1);
}
Test(fail, expect_neq, .fini = NULL)
{
    cr_expect_neq(5, 5);
}
static void failing_fini(void)
{
    fini_after_fail = 1;
    cr_assert(0, "fini fails");
}
Test(fail, fini_assert, .fini = failing_fini)
{
    cr_assert(1);
}

static void setup(void)
{
    init_ran++;
}
static void teardown(void)
{
    fini_ran++;
}

Test(pass, all_macros, .init = setup, .fini = teardown, .timeout = 10)
{
    size_t sz = 5;
    unsigned char a[3] = {1, 2, 3}, b[3] = {1, 2, 3};
    cr_assert(1);
    cr_assert(sz == 5, "with message %zu", sz);
    cr_assert_not(0);
    cr_assert_eq(sz, 5);
    cr_assert_eq(-1, -1, "m");
    cr_assert_neq(1, 2);
    cr_assert_lt(1, 2);
    cr_assert_leq(2, 2);
    cr_assert_gt(3, 2);
    cr_assert_geq(3, 3);
    cr_assert_null(NULL);
    cr_assert_not_null(&sz);
    cr_assert_str_eq("x", "x");
    cr_assert_str_neq("x", "y", "strings %s", "differ");
    cr_assert_arr_eq(a, b, sizeof a);
    cr_assert_eq(UINT64_MAX, UINT64_MAX);
    cr_assert_eq(1.5, 1.5);
    cr_expect(1);
    cr_expect_eq(2, 2);
    cr_log_info("info %d", 1);
    cr_log_warn("warn %s", "w");
}

Test(pass, single_evaluation)
{
    evaluations = 0;
    cr_assert_eq(count(1), count(1));
    cr_assert_neq(count(1), count(2));
    cr_assert_lt(count(1), count(2));
    cr_assert(count(1));
    cr_assert_eq(evaluations, 7);
}

Test(pass, init_ran)
{
    cr_assert_eq(init_ran, 1);
    cr_assert_eq(fini_ran, 1);
}

TestSuite(suiteopt, .init = setup);
Test(suiteopt, suite_init_ran)
{
    cr_assert_eq(init_ran, 2);
}

Test(skip, skipped)
{
    cr_skip_test("skipping %d", 1);
    cr_assert_fail("not reached");
}
Test(skip, skipped_nomsg)
{
    cr_skip_test();
    cr_assert_fail("not reached");
}
Test(skip, disabled, .disabled = true)
{
    cr_assert_fail("disabled");
}

Test(zcheck, nothing_after_assert)
{
    cr_assert_eq(reached_after_assert, 0);
}
Test(zcheck, fini_ran_after_pass)
{
    cr_assert_eq(fini_after_fail, 1);
}
Test(zcheck, arrays_decay)
{
    char buf[4] = "abc";
    char *p = buf;
    cr_assert_eq(p, buf);
    cr_assert_str_eq(buf, "abc");
}
Test(zcheck, bool_and_char)
{
    bool t = true;
    char c = 'a';
    cr_assert_eq(t, true);
    cr_assert_eq(c, 'a');
}
Test(zcheck, pointers)
{
    const char *s = "x";
    void *v = NULL;
    cr_assert_neq(s, NULL);
    cr_assert_eq(v, NULL);
}
