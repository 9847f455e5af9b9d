/* SPDX-License-Identifier: MIT */
/* The loop of connector_loop.h. */
#include "connector_loop.h"

#include "select_support.h"
#include "support.h"

#include <criterion/criterion.h>

#include "rc_assert.h"

/* One byte that arrived on it->sock goes back out on the same socket:
 * the other end of the pair then sends it back again. */
static void bounce(const ps_pollitem *it)
{
    char byte;
    OK(ps_recv_all(it->sock, &byte, 1, NULL, 1000));
    OK(ps_send_all(it->sock, &byte, 1, NULL, 1000));
}

pst_drive pst_drive_connector(ps_connector *c, int serve)
{
    pst_drive d = {PS_EWOULDBLOCK, 0, PS_INVALID_SOCKET, 0};
    ps_socket_t pair[2] = {PS_INVALID_SOCKET, PS_INVALID_SOCKET};
    ps_poller *p;
    ps_pollitem ci, a, b;
    OK(ps_poller_open(&p));
    OK(ps_connector_item(c, &ci));
    cr_assert_eq(ci.kind, PS_KIND_SOCKET);
    cr_assert_eq(ci.events, PS_POLL_READ);
    OK(ps_poller_add(p, &ci, c));
    if (serve) {
        OK(ps_socketpair(pair));
        a = pst_sock_item(pair[0], PS_POLL_READ);
        b = pst_sock_item(pair[1], PS_POLL_READ);
        OK(ps_poller_add(p, &a, &a));
        OK(ps_poller_add(p, &b, &b));
        OK(ps_send_all(pair[0], "x", 1, NULL, 1000));
    }
    while (d.rc == PS_EWOULDBLOCK) {
        ps_event ev[4];
        int n = ps_poller_wait(p, ev, 4, 30000);
        cr_assert_gt(n, 0, "ps_poller_wait -> %s", ps_errname(n));
        for (int i = 0; i < n && d.rc == PS_EWOULDBLOCK; i++) {
            if (ev[i].data == c) {
                d.rc = ps_connector_finish(c, &d.sock);
                d.native = ps_native_error();
                continue;
            }
            d.round_trips += ev[i].data == &a;
            bounce(ev[i].data);
        }
    }
    ps_poller_close(p);
    if (serve) {
        OK(ps_close(pair[0]));
        OK(ps_close(pair[1]));
    }
    return d;
}

int64_t pst_cancel_in_progress(ps_connector *c)
{
    ps_socket_t s;
    cr_assert_eq(ps_connector_finish(c, &s), PS_EWOULDBLOCK);
    int64_t t0 = pst_now_ms();
    ps_connector_free(c);
    return pst_now_ms() - t0;
}

void pst_assert_nothing_left(long threads, long handles, int max_ms)
{
    long now = pst_settle_threads(threads, max_ms);
    cr_assert_leq(now, threads, "threads: %ld before, %ld after", threads, now);
    long h = handles >= 0 ? pst_open_handle_count() : -1;
    cr_assert_leq(h, handles, "descriptors/handles: %ld before, %ld after",
                  handles, h);
}
