/* SPDX-License-Identifier: MIT */
/* Assertions on portsock return codes that print the code's name. Include
 * after <criterion/criterion.h>. */
#ifndef PS_TEST_RC_ASSERT_H
#define PS_TEST_RC_ASSERT_H

#include "portsock.h"

#define OK(expr)                                                            \
    do {                                                                    \
        int ok_rc_ = (expr);                                                \
        cr_assert_eq(ok_rc_, 0, "%s -> %s (%d)", #expr, ps_errname(ok_rc_), \
                     ok_rc_);                                               \
    } while (0)

#define RC_IS(expr, want)                                                 \
    do {                                                                  \
        int rc_is_ = (expr);                                              \
        cr_assert_eq(rc_is_, (want), "%s -> %s (%d), expected %s", #expr, \
                     ps_errname(rc_is_), rc_is_, ps_errname(want));       \
    } while (0)

#endif
