/* SPDX-License-Identifier: MIT */
/* ps_accept_ex: a connection accepted straight into non-blocking mode, and
 * flags 0 as ps_accept. Loopback only. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "portsock.h"
#include "support.h"

#include "rc_assert.h"

typedef struct accepted {
    ps_socket_t l, c, s;
} accepted;

static void accept_one(accepted *a, int flags)
{
    OK(ps_listen(&a->l, "127.0.0.1", "0", 8));
    char port[16];
    snprintf(port, sizeof port, "%d", pst_local_port(a->l));
    OK(ps_connect(&a->c, "127.0.0.1", port, 5000));
    OK(ps_accept_ex(a->l, &a->s, NULL, flags, 5000));
}

static void close_all(accepted *a)
{
    OK(ps_close(a->s));
    OK(ps_close(a->c));
    OK(ps_close(a->l));
}

/* A read that follows the socket's own mode: PS_EWOULDBLOCK at once on a
 * non-blocking socket with nothing there (a blocking one would hang). */
static int item_read_now(ps_socket_t s, size_t *got)
{
    char buf[8];
    ps_pollitem item;
    memset(&item, 0, sizeof item);
    item.kind = PS_KIND_SOCKET;
    item.sock = s;
    return ps_item_read(&item, buf, sizeof buf, got);
}

Test(accept_ex, nonblock_reads_would_block_at_once, .timeout = 10)
{
    accepted a;
    size_t got = 99;
    accept_one(&a, PS_ACCEPT_NONBLOCK);
    int64_t t0 = pst_now_ms();
    RC_IS(item_read_now(a.s, &got), PS_EWOULDBLOCK);
    pst_assert_took(t0, 0, pst_slack_ms(1000), "a read with nothing there");
    /* Still an ordinary socket: bytes arrive, timed calls wait. */
    OK(ps_send_all(a.c, "hi", 2, NULL, 5000));
    char buf[2];
    OK(ps_recv_all(a.s, buf, 2, NULL, 5000));
    cr_assert(memcmp(buf, "hi", 2) == 0);
    RC_IS(ps_recv(a.s, buf, 1, NULL, 50), PS_ETIMEDOUT);
    cr_assert_eq(pst_socket_inheritable(a.s), 0, "accepted socket inheritable");
    close_all(&a);
}

static void send_later(void *arg)
{
    pst_sleep_ms(100);
    OK(ps_send_all(*(ps_socket_t *)arg, "x", 1, NULL, 5000));
}

Test(accept_ex, flags_zero_is_blocking_as_ps_accept, .timeout = 10)
{
    accepted a;
    accept_one(&a, 0);
    /* A blocking socket: the read waits for the byte sent 100 ms later,
     * where a non-blocking one gives PS_EWOULDBLOCK at once. */
    pst_thread *t = pst_thread_start(send_later, &a.c);
    cr_assert_not_null(t);
    size_t got = 0;
    OK(item_read_now(a.s, &got));
    cr_assert_eq(got, 1);
    pst_thread_join(t);
    cr_assert_eq(pst_socket_inheritable(a.s), 0, "accepted socket inheritable");
    close_all(&a);
}

/* The listener's mode (non-blocking, from ps_listen) must not leak into a
 * socket accepted with flags 0, and a non-blocking accept must not change
 * what a later plain ps_accept gives. */
Test(accept_ex, modes_alternate_on_one_listener, .timeout = 20)
{
    ps_socket_t l;
    OK(ps_listen(&l, "127.0.0.1", "0", 8));
    char port[16];
    snprintf(port, sizeof port, "%d", pst_local_port(l));
    for (int i = 0; i < 6; i++) {
        ps_socket_t c, s;
        size_t got = 0;
        int nb = i % 2;
        OK(ps_connect(&c, "127.0.0.1", port, 5000));
        if (nb)
            OK(ps_accept_ex(l, &s, NULL, PS_ACCEPT_NONBLOCK, 5000));
        else
            OK(ps_accept(l, &s, NULL, 5000));
        if (nb) {
            RC_IS(item_read_now(s, &got), PS_EWOULDBLOCK);
        } else {
            pst_thread *t = pst_thread_start(send_later, &c);
            cr_assert_not_null(t);
            OK(item_read_now(s, &got));
            cr_assert_eq(got, 1);
            pst_thread_join(t);
        }
        OK(ps_close(s));
        OK(ps_close(c));
    }
    OK(ps_close(l));
}

Test(accept_ex, bad_arguments, .timeout = 10)
{
    ps_socket_t l, out = 0;
    OK(ps_listen(&l, "127.0.0.1", "0", 8));
    RC_IS(ps_accept_ex(l, NULL, NULL, 0, 0), PS_EINVAL);
    RC_IS(ps_accept_ex(l, &out, NULL, 2, 0), PS_EINVAL);
    cr_assert_eq(out, PS_INVALID_SOCKET);
    RC_IS(ps_accept_ex(l, &out, NULL, PS_ACCEPT_NONBLOCK, 0), PS_EWOULDBLOCK);
    cr_assert_eq(out, PS_INVALID_SOCKET);
    RC_IS(ps_accept_ex(PS_INVALID_SOCKET, &out, NULL, PS_ACCEPT_NONBLOCK, 0),
          PS_EBADF);
    OK(ps_close(l));
}
