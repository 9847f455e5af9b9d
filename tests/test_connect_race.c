/* SPDX-License-Identifier: MIT */
/* ps_connect without a race: a numeric host is one address, so one attempt
 * that must honour the deadline and leave nothing open. The race between
 * several addresses needs a name and is tested in test_ns_connect_race.c. */
#include <criterion/criterion.h>

#include <stdio.h>

#include "portsock.h"
#include "select_support.h"
#include "support.h"

#include "rc_assert.h"

Test(connect_single, numeric_silent_address_times_out, .timeout = 30)
{
    pst_silent silent;
    char port[16];
    ps_socket_t c = (ps_socket_t)12345;

    if (pst_is_windows() && !pst_under_wine())
        cr_skip_test("Windows refuses connects to a full listen queue, so "
                     "there is no silent address on loopback");
    OK(pst_silent_open(&silent, "127.0.0.1", 0));
    snprintf(port, sizeof port, "%d", silent.port);

    long before = pst_open_handle_count();
    int64_t t0 = pst_now_ms();
    int rc = ps_connect(&c, "127.0.0.1", port, 400);
    int64_t ms = pst_now_ms() - t0;
    long after = pst_open_handle_count();
    cr_log_info("ps_connect(127.0.0.1, 400 ms) to a silent port -> %s after "
                "%lld ms",
                ps_errname(rc), (long long)ms);

    cr_assert_eq(rc, PS_ETIMEDOUT, "ps_connect -> %s", ps_errname(rc));
    cr_assert_eq(c, PS_INVALID_SOCKET, "*out not reset on failure");
    cr_assert_geq(ms, 400, "gave up after %lld ms", (long long)ms);
    cr_assert_lt(ms, 1500, "gave up after %lld ms", (long long)ms);
    if (before < 0 || after < 0)
        cr_log_info("no handle count here (Wine): the leak check is skipped, "
                    "the other assertions apply");
    else
        cr_assert_eq(after, before,
                     "%ld descriptors before, %ld after: the "
                     "attempt was left open",
                     before, after);
    pst_silent_close(&silent);
}
