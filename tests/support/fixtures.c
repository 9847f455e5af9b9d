/* SPDX-License-Identifier: MIT */
/* The shared test set-ups: see fixtures.h. */
#include "fixtures.h"

#include "select_support.h"

#include <criterion/criterion.h>

#include <string.h>

/* ---- a poller and a pipe ------------------------------------------------ */

void pst_pipe_poller_init(pst_pipe_poller *f)
{
    memset(f, 0, sizeof *f);
    f->fds[0] = f->fds[1] = -1;
    int rc = ps_poller_open(&f->p);
    cr_assert_eq(rc, 0, "ps_poller_open: %s", ps_errname(rc));
    cr_assert_eq(pst_pipe(f->fds), 0, "pst_pipe failed");
    f->item = pst_fd_item(f->fds[0], 0);
}

void pst_pipe_poller_add(pst_pipe_poller *f, unsigned events, void *data)
{
    f->item.events = events;
    int rc = ps_poller_add(f->p, &f->item, data);
    cr_assert_eq(rc, 0, "ps_poller_add(pipe, 0x%x): %s", events,
                 ps_errname(rc));
}

void pst_pipe_poller_open(pst_pipe_poller *f, unsigned events, void *data)
{
    pst_pipe_poller_init(f);
    pst_pipe_poller_add(f, events, data);
}

void pst_pipe_poller_close_end(pst_pipe_poller *f, int end)
{
    cr_assert(end == 0 || end == 1, "pipe end %d", end);
    cr_assert_geq(f->fds[end], 0, "pipe end %d closed twice", end);
    cr_assert_eq(pst_fd_close(f->fds[end]), 0, "closing pipe end %d", end);
    f->fds[end] = -1;
}

void pst_pipe_poller_close(pst_pipe_poller *f)
{
    if (f->p)
        ps_poller_close(f->p);
    f->p = NULL;
    for (int end = 0; end < 2; end++)
        if (f->fds[end] >= 0)
            pst_pipe_poller_close_end(f, end);
}

ps_event pst_wait_one(ps_poller *p, int timeout_ms)
{
    ps_event ev[4];
    memset(ev, 0, sizeof ev);
    int n = ps_poller_wait(p, ev, 4, timeout_ms);
    cr_assert_eq(n, 1, "ps_poller_wait -> %d (%s), expected one event", n,
                 n < 0 ? ps_errname(n) : "events");
    return ev[0];
}

void pst_wait_none(ps_poller *p, int timeout_ms)
{
    ps_event ev[4];
    int n = ps_poller_wait(p, ev, 4, timeout_ms);
    cr_assert_eq(n, 0,
                 "ps_poller_wait -> %d (%s), expected nothing "
                 "(revents 0x%x)",
                 n, n < 0 ? ps_errname(n) : "events",
                 n > 0 ? ev[0].revents : 0u);
}

/* ---- two connected stream sockets, with a peer thread ------------------ */

static void set_bufs(ps_socket_t s, pst_bufs b, const char *which)
{
    if (b.snd == 0 && b.rcv == 0)
        return;
    int rc = ps_set_buffer_sizes(s, b.snd, b.rcv);
    cr_assert_eq(rc, 0, "ps_set_buffer_sizes(%s, %d, %d): %s", which, b.snd,
                 b.rcv, ps_errname(rc));
}

void pst_pair_open(pst_pair *f, pst_pair_kind kind, pst_bufs c, pst_bufs s)
{
    f->peer = NULL;
    if (kind == PST_PAIR_TCP) {
        pst_tcp_pair(&f->c, &f->s);
    } else {
        ps_socket_t p[2];
        int rc = ps_socketpair(p);
        cr_assert_eq(rc, 0, "ps_socketpair: %s", ps_errname(rc));
        f->c = p[0];
        f->s = p[1];
    }
    set_bufs(f->c, c, "first end");
    set_bufs(f->s, s, "second end");
}

void pst_pair_open_tcp(pst_pair *f)
{
    pst_pair_open(f, PST_PAIR_TCP, PST_BUFS_ASIS, PST_BUFS_ASIS);
}

void pst_pair_start_peer(pst_pair *f, void (*fn)(void *arg), void *arg)
{
    cr_assert_null(f->peer, "the pair's peer thread already runs");
    f->peer = pst_thread_start(fn, arg);
    cr_assert_not_null(f->peer, "the peer thread did not start");
}

void pst_pair_join_peer(pst_pair *f)
{
    pst_thread_join(f->peer); /* NULL: nothing to wait for */
    f->peer = NULL;
}

void pst_pair_close_end(pst_pair *f, ps_socket_t *end)
{
    cr_assert(end == &f->c || end == &f->s, "not an end of this pair");
    cr_assert_neq(*end, PS_INVALID_SOCKET, "an end closed twice");
    int rc = ps_close(*end);
    cr_assert_eq(rc, 0, "ps_close(%s end): %s",
                 end == &f->c ? "first" : "second", ps_errname(rc));
    *end = PS_INVALID_SOCKET;
}

void pst_pair_close(pst_pair *f)
{
    pst_pair_join_peer(f);
    if (f->c != PS_INVALID_SOCKET)
        pst_pair_close_end(f, &f->c);
    if (f->s != PS_INVALID_SOCKET)
        pst_pair_close_end(f, &f->s);
}

/* ---- a ps_conn in a test's event loop ---------------------------------- */

unsigned pst_conn_wait(const ps_conn *c, unsigned events, int timeout_ms)
{
    ps_pollitem item;
    memset(&item, 0, sizeof item);
    item.kind = PS_KIND_SOCKET;
    item.sock = ps_conn_socket(c);
    item.events = events;
    int n = ps_select(&item, 1, timeout_ms);
    cr_assert_geq(n, 0, "ps_select -> %s", ps_errname(n));
    return n ? item.revents : 0;
}

int pst_conn_turn(ps_conn *c, size_t *got)
{
    unsigned wants = ps_conn_wants(c);
    *got = 0;
    /* Ended or failed: nothing to wait for; the fill says which. */
    unsigned rev = wants ? pst_conn_wait(c, wants, 100) : PS_POLL_READ;
    if (rev & PS_POLL_WRITE) {
        int r = ps_conn_flush(c);
        cr_assert_eq(r, 0, "ps_conn_flush -> %s", ps_errname(r));
    }
    if (!(rev & (PS_POLL_READ | PS_POLL_HUP | PS_POLL_ERROR)))
        return 0;
    int r = ps_conn_fill(c, got);
    cr_assert(r == 0 || r == PS_ECLOSED, "ps_conn_fill -> %s", ps_errname(r));
    return r;
}

void pst_conn_fill_until(ps_conn *c, uint64_t total)
{
    ps_conn_stats st;
    size_t got;
    int64_t end = pst_now_ms() + pst_slack_ms(20000);
    for (;;) {
        int r = ps_conn_get_stats(c, &st);
        cr_assert_eq(r, 0);
        if (st.received >= total)
            return;
        cr_assert_lt(pst_now_ms(), end, "%llu of %llu bytes came",
                     (unsigned long long)st.received,
                     (unsigned long long)total);
        pst_conn_turn(c, &got);
    }
}
