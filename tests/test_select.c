/* SPDX-License-Identifier: MIT */
/* ps_select on sockets, pipes, files and invalid items; the same source runs
 * natively and under Wine. */
#include <criterion/criterion.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"
#include "portsock.h"
#include "select_support.h"
#include "support.h"

/* Every test here is bounded even where it waits with timeout -1. */
TestSuite(select, .timeout = 60);

struct delayed_write {
    ps_socket_t sock;
    int fd;
    int delay_ms;
    int close_after;
};

static void delayed_write_main(void *arg)
{
    struct delayed_write *w = arg;
    pst_sleep_ms(w->delay_ms);
    if (w->fd >= 0) {
        pst_fd_write(w->fd, "x", 1);
        if (w->close_after)
            pst_fd_close(w->fd);
    } else {
        size_t sent;
        /* A failed send leaves the waiter to its timeout: the test fails. */
        ps_send(w->sock, "x", 1, &sent, 1000);
    }
}

Test(select, arguments)
{
    ps_pollitem it = pst_sock_item(PS_INVALID_SOCKET, PS_POLL_READ);
    cr_assert_eq(ps_select(NULL, 1, 0), PS_EINVAL);
    cr_assert_eq(ps_select(NULL, 0, 0), 0);
    it.kind = 99;
    cr_assert_eq(ps_select(&it, 1, 0), PS_EINVAL);
    if (sizeof(size_t) > sizeof(int))
        cr_assert_eq(ps_select(&it, (size_t)-1, 0), PS_EINVAL);
}

Test(select, socket_readable_after_peer_writes)
{
    pst_pair f;
    pst_pair_open_tcp(&f);
    ps_pollitem it = pst_sock_item(f.s, PS_POLL_READ | PS_POLL_WRITE);
    it.events = PS_POLL_READ;
    cr_assert_eq(ps_select(&it, 1, 0), 0);
    cr_assert_eq(it.revents, 0u);
    cr_assert_eq(ps_send_all(f.c, "hello", 5, NULL, 1000), 0);
    cr_assert_eq(ps_select(&it, 1, 2000), 1);
    cr_assert_eq(it.revents, (unsigned)PS_POLL_READ);
    pst_pair_close(&f);
}

Test(select, socket_read_hup_after_peer_closes)
{
    pst_pair f;
    pst_pair_open_tcp(&f);
    pst_pair_close_end(&f, &f.c);
    ps_pollitem it = pst_sock_item(f.s, PS_POLL_READ);
    cr_assert_eq(ps_select(&it, 1, 2000), 1);
    cr_assert(it.revents & PS_POLL_READ, "revents %u", it.revents);
    cr_assert(it.revents & PS_POLL_HUP, "revents %u", it.revents);
    pst_pair_close(&f);
}

/* A reset (the peer closed with bytes unread) is READ|HUP|ERROR on every
 * platform: Windows tells it from an orderly close by WSAPoll and a peek
 * (Wine's peek alone reports a reset as end of stream). */
Test(select, socket_reset_reports_read_hup_error)
{
    pst_pair f;
    char buf[100];
    pst_pair_open_tcp(&f);
    memset(buf, 'r', sizeof buf);
    cr_assert_eq(ps_send_all(f.c, buf, sizeof buf, NULL, 2000), 0);
    cr_assert_eq(ps_recv_all(f.s, buf, 1, NULL, 2000), 0);
    pst_pair_close_end(&f, &f.s); /* 99 bytes unread: a reset */
    ps_pollitem it = pst_sock_item(f.c, PS_POLL_READ);
    int64_t t0 = pst_now_ms();
    int r;
    /* Poll until the reset has arrived (it reads as ready at once). */
    while ((r = ps_select(&it, 1, 100)) == 0 && pst_now_ms() - t0 < 5000) {
    }
    cr_assert_eq(r, 1, "ps_select: %d (%s)", r, ps_errname(r));
    cr_assert_eq(it.revents,
                 (unsigned)(PS_POLL_READ | PS_POLL_HUP | PS_POLL_ERROR),
                 "revents %u", it.revents);
    pst_pair_close(&f);
}

Test(select, listener_readable_on_pending_connect)
{
    ps_socket_t l, c, s;
    ps_addr addr;
    char port[16];
    cr_assert_eq(ps_listen(&l, "127.0.0.1", "0", 4), 0);
    cr_assert_eq(ps_local_addr(l, &addr), 0);
    ps_pollitem it = pst_sock_item(l, PS_POLL_READ);
    cr_assert_eq(ps_select(&it, 1, 0), 0);
    snprintf(port, sizeof port, "%d", ps_addr_port(&addr));
    cr_assert_eq(ps_connect(&c, "127.0.0.1", port, 5000), 0);
    cr_assert_eq(ps_select(&it, 1, 2000), 1);
    cr_assert(it.revents & PS_POLL_READ);
    cr_assert_eq(ps_accept(l, &s, NULL, 0), 0);
    ps_close(s);
    ps_close(c);
    ps_close(l);
}

Test(select, failed_nonblocking_connect_reports_write_error, .timeout = 30)
{
    ps_socket_t l, s;
    ps_addr addr;
    int port = 0;
    char text[32];
    /* Bound, not listening, and held: a connect there is refused. */
    l = pst_refusing_port(&port);
    cr_assert_neq(l, PS_INVALID_SOCKET);
    snprintf(text, sizeof text, "127.0.0.1:%d", port);
    cr_assert_eq(ps_addr_parse(&addr, text), 0);

    cr_assert_eq(ps_socket(&s, PS_AF_INET, PS_SOCK_STREAM), 0);
    cr_assert_eq(ps_set_nonblocking(s, 1), 0);
    int r = ps_connect_start(s, &addr);
    if (r == PS_EWOULDBLOCK) {
        ps_pollitem it = pst_sock_item(s, PS_POLL_WRITE);
        cr_assert_eq(ps_select(&it, 1, 10000), 1);
        cr_assert(it.revents & PS_POLL_WRITE, "revents %u", it.revents);
        cr_assert(it.revents & PS_POLL_ERROR, "revents %u", it.revents);
        r = ps_socket_error(s);
    }
    cr_assert_eq(r, PS_ECONNREFUSED, "got %s", ps_errname(r));
    ps_close(s);
    ps_close(l);
}

Test(select, writable_until_send_buffer_full)
{
    pst_pair f;
    static char chunk[65536];
    pst_pair_open(&f, PST_PAIR_TCP, (pst_bufs){4096, 0}, (pst_bufs){0, 4096});
    ps_pollitem it = pst_sock_item(f.c, PS_POLL_WRITE);
    cr_assert_eq(ps_select(&it, 1, 0), 1);
    cr_assert_eq(it.revents, (unsigned)PS_POLL_WRITE);

    /* Fill both buffers: the peer never reads. */
    size_t total = 0;
    for (int i = 0; i < 10000; i++) {
        size_t sent = 0;
        int r = ps_send(f.c, chunk, sizeof chunk, &sent, 0);
        total += sent;
        if (r == PS_EWOULDBLOCK)
            break;
        cr_assert_eq(r, 0, "send: %s", ps_errname(r));
    }
    cr_assert_gt(total, 0u);
    cr_assert_eq(ps_select(&it, 1, 100), 0);
    cr_assert_eq(it.revents, 0u);
    pst_pair_close(&f);
}

Test(select, pipe_readable_only_after_write_and_nothing_consumed)
{
    int fds[2];
    char buf[4];
    cr_assert_eq(pst_pipe(fds), 0);
    ps_pollitem it = pst_fd_item(fds[0], PS_POLL_READ);
    cr_assert_eq(ps_select(&it, 1, 50), 0);
    cr_assert_eq(it.revents, 0u);

    struct delayed_write w = {PS_INVALID_SOCKET, fds[1], 100, 0};
    pst_thread *t = pst_thread_start(delayed_write_main, &w);
    cr_assert_not_null(t);
    int64_t t0 = pst_now_ms();
    cr_assert_eq(ps_select(&it, 1, -1), 1);
    cr_assert_geq(pst_now_ms() - t0, 80);
    pst_thread_join(t);
    cr_assert_eq(it.revents, (unsigned)PS_POLL_READ);

    /* Waiting did not consume the byte, and the pipe still works. */
    cr_assert_eq(pst_fd_read(fds[0], buf, sizeof buf), 1);
    cr_assert_eq(buf[0], 'x');
    cr_assert_eq(pst_fd_write(fds[1], "yz", 2), 2);
    cr_assert_eq(ps_select(&it, 1, 1000), 1);
    cr_assert_eq(pst_fd_read(fds[0], buf, sizeof buf), 2);
    cr_assert_eq(memcmp(buf, "yz", 2), 0);
    pst_fd_close(fds[0]);
    pst_fd_close(fds[1]);
}

Test(select, pipe_read_hup_after_writer_closes)
{
    int fds[2];
    cr_assert_eq(pst_pipe(fds), 0);
    struct delayed_write w = {PS_INVALID_SOCKET, fds[1], 100, 1};
    ps_pollitem it = pst_fd_item(fds[0], PS_POLL_READ);
    pst_thread *t = pst_thread_start(delayed_write_main, &w);
    cr_assert_not_null(t);
    pst_thread_join(t);
    char c;
    cr_assert_eq(pst_fd_read(fds[0], &c, 1), 1);
    cr_assert_eq(ps_select(&it, 1, 2000), 1);
    cr_assert(it.revents & PS_POLL_READ, "revents %u", it.revents);
    cr_assert(it.revents & PS_POLL_HUP, "revents %u", it.revents);
    pst_fd_close(fds[0]);
}

Test(select, regular_file_ready_at_once)
{
    char path[512];
    pst_temp_path(path, sizeof path, "selfile");
    cr_assert_eq(pst_write_file(path, "data", 4), 0);
    int fd = pst_open_read(path);
    cr_assert_geq(fd, 0);
    ps_pollitem it = pst_fd_item(fd, PS_POLL_READ);
    int64_t t0 = pst_now_ms();
    cr_assert_eq(ps_select(&it, 1, 5000), 1);
    cr_assert_lt(pst_now_ms() - t0, 1000);
    cr_assert(it.revents & PS_POLL_READ);
    pst_fd_close(fd);
    pst_remove(path);
}

Test(select, mixed_socket_and_pipe_reports_the_ready_one)
{
    pst_pair f;
    int fds[2];
    pst_pair_open_tcp(&f);
    cr_assert_eq(pst_pipe(fds), 0);
    ps_pollitem items[2] = {pst_sock_item(f.s, PS_POLL_READ),
                            pst_fd_item(fds[0], PS_POLL_READ)};

    struct delayed_write to_pipe = {PS_INVALID_SOCKET, fds[1], 100, 0};
    pst_pair_start_peer(&f, delayed_write_main, &to_pipe);
    cr_assert_eq(ps_select(items, 2, 5000), 1);
    pst_pair_join_peer(&f);
    cr_assert_eq(items[0].revents, 0u);
    cr_assert_eq(items[1].revents, (unsigned)PS_POLL_READ);
    char c;
    cr_assert_eq(pst_fd_read(fds[0], &c, 1), 1);

    struct delayed_write to_sock = {f.c, -1, 100, 0};
    pst_pair_start_peer(&f, delayed_write_main, &to_sock);
    cr_assert_eq(ps_select(items, 2, 5000), 1);
    pst_pair_join_peer(&f);
    cr_assert_eq(items[0].revents, (unsigned)PS_POLL_READ);
    cr_assert_eq(items[1].revents, 0u);

    pst_fd_close(fds[0]);
    pst_fd_close(fds[1]);
    pst_pair_close(&f);
}

/* Many sockets (past FD_SETSIZE on Linux, past 64 on Windows) and a few
 * pipes; only the last item becomes ready. */
Test(select, many_items_only_last_ready, .timeout = 120)
{
    size_t pairs = pst_is_windows() ? 300 : 1100;
    size_t npipes = 10;
    cr_assert_geq(pst_raise_fd_limit((long)(pairs * 2 + npipes * 2 + 64)),
                  (long)(pairs * 2 + npipes * 2 + 32));
    ps_socket_t(*sp)[2] = calloc(pairs, sizeof *sp);
    int(*pp)[2] = calloc(npipes, sizeof *pp);
    ps_pollitem *items = calloc(pairs + npipes, sizeof *items);
    cr_assert(sp && pp && items);
    for (size_t i = 0; i < pairs; i++) {
        cr_assert_eq(ps_socketpair(sp[i]), 0, "pair %zu", i);
        items[i] = pst_sock_item(sp[i][0], PS_POLL_READ);
    }
    for (size_t i = 0; i < npipes; i++) {
        cr_assert_eq(pst_pipe(pp[i]), 0);
        items[pairs + i] = pst_fd_item(pp[i][0], PS_POLL_READ);
    }
    size_t n = pairs + npipes;
    cr_assert_eq(ps_select(items, n, 0), 0);

    /* The last item is a pipe: ready after a write from another thread. */
    struct delayed_write w = {PS_INVALID_SOCKET, pp[npipes - 1][1], 100, 0};
    pst_thread *t = pst_thread_start(delayed_write_main, &w);
    cr_assert_not_null(t);
    cr_assert_eq(ps_select(items, n, 10000), 1);
    pst_thread_join(t);
    for (size_t i = 0; i + 1 < n; i++)
        cr_assert_eq(items[i].revents, 0u, "item %zu", i);
    cr_assert_eq(items[n - 1].revents, (unsigned)PS_POLL_READ);
    char c;
    cr_assert_eq(pst_fd_read(pp[npipes - 1][0], &c, 1), 1);

    /* Now the last socket instead, with the pipe item left out. */
    cr_assert_eq(ps_send_all(sp[pairs - 1][1], "s", 1, NULL, 1000), 0);
    cr_assert_eq(ps_select(items, pairs, 5000), 1);
    cr_assert_eq(items[pairs - 1].revents, (unsigned)PS_POLL_READ);
    cr_assert_eq(items[0].revents, 0u);

    for (size_t i = 0; i < pairs; i++) {
        ps_close(sp[i][0]);
        ps_close(sp[i][1]);
    }
    for (size_t i = 0; i < npipes; i++) {
        pst_fd_close(pp[i][0]);
        pst_fd_close(pp[i][1]);
    }
    free(sp);
    free(pp);
    free(items);
}

Test(select, invalid_items_reported_others_still_work)
{
    pst_pair f;
    ps_socket_t dead;
    pst_pair_open_tcp(&f);
    cr_assert_eq(ps_socket(&dead, PS_AF_INET, PS_SOCK_STREAM), 0);
    ps_close(dead);
    cr_assert_eq(ps_send_all(f.c, "x", 1, NULL, 1000), 0);

    ps_pollitem items[3] = {pst_sock_item(dead, PS_POLL_READ),
                            pst_fd_item(-1, PS_POLL_READ),
                            pst_sock_item(f.s, PS_POLL_READ)};
    cr_assert_eq(ps_select(items, 3, 2000), 3);
    cr_assert_eq(items[0].revents, (unsigned)PS_POLL_INVALID);
    cr_assert_eq(items[1].revents, (unsigned)PS_POLL_INVALID);
    cr_assert_eq(items[2].revents, (unsigned)PS_POLL_READ);

    /* An invalid item alone is ready at once, even with no timeout. */
    int64_t t0 = pst_now_ms();
    cr_assert_eq(ps_select(items + 1, 1, -1), 1);
    cr_assert_lt(pst_now_ms() - t0, 1000);
    pst_pair_close(&f);
}

Test(select, handles)
{
    void *h[2];
    ps_pollitem it;
    memset(&it, 0, sizeof it);
    it.kind = PS_KIND_HANDLE;
    it.events = PS_POLL_READ;
    if (!pst_is_windows()) {
        it.handle = &it;
        cr_assert_eq(ps_select(&it, 1, 0), PS_ENOTSUP);
        return;
    }
    cr_assert_eq(pst_os_pipe(h), 0);
    it.handle = h[0];
    cr_assert_eq(ps_select(&it, 1, 0), 0);
    pst_close_handle(h[1]); /* writer gone */
    cr_assert_eq(ps_select(&it, 1, 2000), 1);
    cr_assert(it.revents & PS_POLL_HUP, "revents %u", it.revents);
    pst_close_handle(h[0]);
    it.handle = h[0]; /* now a closed handle */
    cr_assert_eq(ps_select(&it, 1, 0), 1);
    cr_assert_eq(it.revents, (unsigned)PS_POLL_INVALID);
}

Test(select, timeouts)
{
    pst_pair f;
    pst_pair_open_tcp(&f);
    ps_pollitem it = pst_sock_item(f.s, PS_POLL_READ);

    int64_t t0 = pst_now_ms();
    cr_assert_eq(ps_select(&it, 1, 0), 0);
    cr_assert_lt(pst_now_ms() - t0, 1000);

    t0 = pst_now_ms();
    cr_assert_eq(ps_select(&it, 1, 200), 0);
    int64_t waited = pst_now_ms() - t0;
    cr_assert_geq(waited, 200);
    cr_assert_lt(waited, 1500);

    struct delayed_write w = {f.c, -1, 150, 0};
    pst_pair_start_peer(&f, delayed_write_main, &w);
    t0 = pst_now_ms();
    cr_assert_eq(ps_select(&it, 1, -1), 1);
    cr_assert_geq(pst_now_ms() - t0, 100);
    pst_pair_join_peer(&f);
    pst_pair_close(&f);
}

Test(select, no_side_effects_on_blocking_mode)
{
    pst_pair f;
    char c = 0;
    pst_pair_open_tcp(&f);
    ps_pollitem it = pst_sock_item(f.s, PS_POLL_READ | PS_POLL_WRITE);
    cr_assert_eq(ps_select(&it, 1, 100), 1);
    it.events = PS_POLL_READ;
    cr_assert_eq(ps_select(&it, 1, 50), 0);

    /* Still blocking: a raw recv waits for the late byte instead of
     * failing with "would block". */
    struct delayed_write w = {f.c, -1, 150, 0};
    pst_pair_start_peer(&f, delayed_write_main, &w);
    int64_t t0 = pst_now_ms();
    cr_assert_eq(pst_raw_recv(f.s, &c, 1), 1);
    cr_assert_geq(pst_now_ms() - t0, 100);
    cr_assert_eq(c, 'x');
    pst_pair_join_peer(&f);

    /* And a non-blocking one stays non-blocking. */
    cr_assert_eq(ps_set_nonblocking(f.s, 1), 0);
    cr_assert_eq(ps_select(&it, 1, 50), 0);
    cr_assert_eq(pst_raw_recv(f.s, &c, 1), -1);
    pst_pair_close(&f);
}

/* ---- More items than the open-file limit ----
 * Linux poll() refuses more entries than RLIMIT_NOFILE; ps_select takes
 * any number of items, and invalid ones never fail the call. The limit is
 * lowered for the calls (not on Windows, which has none) and restored
 * before anything is asserted. */
enum { FEW_FDS = 32, MANY = 300 };

struct limited {
    long old; /* the limit to restore, -1: nothing to restore */
};

static void limit_lower(struct limited *l, long to)
{
    l->old = pst_set_fd_limit(to);
    if (!pst_is_windows())
        cr_assert_geq(l->old, 0, "could not lower RLIMIT_NOFILE");
}

static void limit_restore(struct limited *l)
{
    if (l->old >= 0)
        cr_assert_eq(pst_set_fd_limit(l->old), (long)FEW_FDS);
    l->old = -1;
}

Test(select, invalid_items_past_fd_limit)
{
    ps_pollitem *items = calloc(MANY, sizeof *items);
    cr_assert_not_null(items);
    for (size_t i = 0; i < MANY; i++) {
        if (i % 3 == 0)
            items[i] = pst_fd_item(-1, PS_POLL_READ);
        else if (i % 3 == 1)
            items[i] = pst_sock_item(PS_INVALID_SOCKET, PS_POLL_WRITE);
        else /* distinct numbers far past any limit: never open */
            items[i] = pst_fd_item(1000000 + (int)i, PS_POLL_READ);
    }
    struct limited l;
    limit_lower(&l, FEW_FDS);
    int r0 = ps_select(items, MANY, 0);
    int r1 = ps_select(items, MANY, -1);
    limit_restore(&l);
    cr_assert_eq(r0, MANY, "timeout 0: %d (%s)", r0, ps_errname(r0));
    cr_assert_eq(r1, MANY, "timeout -1: %d (%s)", r1, ps_errname(r1));
    for (size_t i = 0; i < MANY; i++)
        cr_assert_eq(items[i].revents, (unsigned)PS_POLL_INVALID, "item %zu",
                     i);
    free(items);
}

/* One socket many times over (and invalid items): the call still waits,
 * and every copy reports what it asked for. */
Test(select, duplicates_past_fd_limit)
{
    pst_pair f;
    pst_pair_open_tcp(&f);
    ps_pollitem *items = calloc(MANY, sizeof *items);
    cr_assert_not_null(items);
    for (size_t i = 0; i < MANY; i++)
        items[i] = pst_sock_item(f.s, PS_POLL_READ);

    struct delayed_write w = {f.c, -1, 100, 0};
    struct limited l;
    limit_lower(&l, FEW_FDS);
    int r0 = ps_select(items, MANY, 0);
    pst_thread *t = pst_thread_start(delayed_write_main, &w);
    int64_t t0 = pst_now_ms();
    int r1 = ps_select(items, MANY, 5000);
    int64_t waited = pst_now_ms() - t0;
    pst_thread_join(t);
    unsigned first = items[0].revents, last = items[MANY - 1].revents;
    size_t same = 0;
    for (size_t i = 0; i < MANY; i++)
        same += items[i].revents == (unsigned)PS_POLL_READ;

    /* Now half of them also ask for WRITE, and a third are invalid. */
    for (size_t i = 0; i < MANY; i++)
        items[i] = i % 3 == 2 ? pst_fd_item(-1, PS_POLL_READ)
                              : pst_sock_item(f.s, i % 2 ? PS_POLL_READ
                                                         : PS_POLL_READ |
                                                               PS_POLL_WRITE);
    int r2 = ps_select(items, MANY, 5000);
    limit_restore(&l);

    cr_assert_not_null(t);
    cr_assert_eq(r0, 0, "timeout 0: %d (%s)", r0, ps_errname(r0));
    cr_assert_eq(r1, MANY, "wait: %d (%s)", r1, ps_errname(r1));
    cr_assert_geq(waited, 50, "returned after %lld ms, before the data came",
                  (long long)waited);
    cr_assert_eq(same, (size_t)MANY, "first %u, last %u", first, last);
    cr_assert_eq(r2, MANY, "mixed: %d (%s)", r2, ps_errname(r2));
    for (size_t i = 0; i < MANY; i++) {
        unsigned want = i % 3 == 2 ? PS_POLL_INVALID
                        : i % 2    ? PS_POLL_READ
                                   : PS_POLL_READ | PS_POLL_WRITE;
        cr_assert_eq(items[i].revents, want, "item %zu: %u", i,
                     items[i].revents);
    }
    pst_pair_close(&f);
    free(items);
}

/* More distinct open sockets than the limit allows (opened before it was
 * lowered): every one is still watched. */
Test(select, open_sockets_past_fd_limit)
{
    enum { PAIRS = 40 };
    ps_socket_t sp[PAIRS][2];
    ps_pollitem items[PAIRS];
    for (size_t i = 0; i < PAIRS; i++) {
        cr_assert_eq(ps_socketpair(sp[i]), 0, "pair %zu", i);
        items[i] = pst_sock_item(sp[i][0], PS_POLL_READ);
    }
    struct delayed_write w = {sp[PAIRS - 1][1], -1, 100, 0};
    struct limited l;
    limit_lower(&l, FEW_FDS);
    int r0 = ps_select(items, PAIRS, 0);
    pst_thread *t = pst_thread_start(delayed_write_main, &w);
    int r1 = ps_select(items, PAIRS, 5000);
    pst_thread_join(t);
    unsigned ready_last = items[PAIRS - 1].revents;
    size_t others = 0;
    for (size_t i = 0; i + 1 < PAIRS; i++)
        others += items[i].revents != 0;
    for (size_t i = 0; i < PAIRS; i++)
        items[i].events = PS_POLL_WRITE;
    int r2 = ps_select(items, PAIRS, 0);
    limit_restore(&l);

    cr_assert_not_null(t);
    cr_assert_eq(r0, 0, "timeout 0: %d (%s)", r0, ps_errname(r0));
    cr_assert_eq(r1, 1, "wait: %d (%s)", r1, ps_errname(r1));
    cr_assert_eq(ready_last, (unsigned)PS_POLL_READ);
    cr_assert_eq(others, 0u);
    cr_assert_eq(r2, PAIRS, "writable: %d (%s)", r2, ps_errname(r2));
    for (size_t i = 0; i < PAIRS; i++)
        cr_assert_eq(items[i].revents, (unsigned)PS_POLL_WRITE, "item %zu", i);
    for (size_t i = 0; i < PAIRS; i++) {
        ps_close(sp[i][0]);
        ps_close(sp[i][1]);
    }
}

/* A PS_KIND_SOCKET item whose value is no socket but a pipe: Windows
 * select() then fails for the whole set, with WSAENOTSOCK or (Wine, by the
 * order of the handles and the sets they are in) WSAEOPNOTSUPP. The item
 * must be reported invalid and the others still watched. On POSIX the
 * value is the pipe's fd, which poll() watches like any other. */
static void pipe_as_socket_case(int pipe_first, unsigned pipe_events)
{
    pst_pair f;
    int fds[2];
    if (pipe_first)
        cr_assert_eq(pst_pipe(fds), 0);
    pst_pair_open_tcp(&f);
    if (!pipe_first)
        cr_assert_eq(pst_pipe(fds), 0);
    ps_pollitem items[2] = {
        pst_sock_item(pst_fd_as_socket(fds[0]), pipe_events),
        pst_sock_item(f.s, PS_POLL_READ)};
    struct delayed_write w = {f.c, -1, 150, 0};
    pst_pair_start_peer(&f, delayed_write_main, &w);
    int r = ps_select(items, 2, 5000);
    pst_pair_join_peer(&f);
    if (pst_is_windows()) {
        cr_assert_geq(r, 1, "pipe first %d, events %u: ps_select: %d (%s)",
                      pipe_first, pipe_events, r, ps_errname(r));
        cr_assert_eq(items[0].revents, (unsigned)PS_POLL_INVALID,
                     "pipe item %u", items[0].revents);
        cr_assert(items[1].revents == 0 || items[1].revents == PS_POLL_READ,
                  "socket item %u", items[1].revents);
        /* The socket is still watched: with the pipe item left in, the
         * data is found. */
        r = ps_select(items, 2, 5000);
        cr_assert_eq(r, 2, "ps_select: %d (%s)", r, ps_errname(r));
    } else {
        /* The pipe is writable at once; ask for READ only here. */
        items[0].events = PS_POLL_READ;
        r = ps_select(items, 2, 5000);
        cr_assert_eq(r, 1, "ps_select: %d (%s)", r, ps_errname(r));
        cr_assert_eq(items[0].revents, 0u);
    }
    cr_assert_eq(items[1].revents, (unsigned)PS_POLL_READ);
    pst_fd_close(fds[0]);
    pst_fd_close(fds[1]);
    pst_pair_close(&f);
}

Test(select, pipe_as_socket_item_with_waiting_socket, .timeout = 60)
{
    static const unsigned events[] = {PS_POLL_READ, PS_POLL_WRITE,
                                      PS_POLL_READ | PS_POLL_WRITE};
    for (int first = 0; first < 2; first++)
        for (size_t e = 0; e < sizeof events / sizeof events[0]; e++)
            pipe_as_socket_case(first, events[e]);
}

/* ps_select on a socket that another thread reads: select() may report
 * it readable and the other thread take the bytes before ps_select looks
 * closer (Windows peeks for end of stream). That look must not block: the
 * call still ends by its deadline. A stuck call is freed by a byte from
 * the reader thread after 1 s, and counted. */
struct drainer {
    ps_socket_t rd; /* drained one byte at a time */
    ps_socket_t wr; /* its peer: the rescue byte */
    atomic_int stop;
    atomic_llong select_since; /* when the select in progress began; 0: none */
    atomic_int rescues;
};

static void drainer_main(void *arg)
{
    struct drainer *d = (struct drainer *)arg;
    while (!atomic_load(&d->stop)) {
        char c;
        size_t got;
        ps_recv(d->rd, &c, 1, &got, 20);
        long long since = atomic_load(&d->select_since);
        if (since != 0 && ps_now_ms() - since > 1000) {
            atomic_store(&d->select_since, 0);
            atomic_fetch_add(&d->rescues, 1);
            ps_send(d->wr, "r", 1, NULL, 1000);
        }
    }
}

Test(select, readable_socket_drained_by_another_thread, .timeout = 120)
{
    pst_pair f;
    pst_pair_open_tcp(&f);
    struct drainer d;
    d.rd = f.s;
    d.wr = f.c;
    atomic_init(&d.stop, 0);
    atomic_init(&d.select_since, 0);
    atomic_init(&d.rescues, 0);
    pst_pair_start_peer(&f, drainer_main, &d);
    int64_t worst = 0, start = pst_now_ms();
    int rounds = 0, failed = 0;
    /* Many rounds (each a fresh chance for the race), for at most 8 s. */
    while (rounds < 500 && pst_now_ms() - start < 8000) {
        if (ps_send_all(f.c, "x", 1, NULL, 1000) != 0)
            failed++;
        ps_pollitem it = pst_sock_item(f.s, PS_POLL_READ);
        int64_t t0 = pst_now_ms();
        atomic_store(&d.select_since, (long long)ps_now_ms());
        int r = ps_select(&it, 1, 100);
        atomic_store(&d.select_since, 0);
        int64_t took = pst_now_ms() - t0;
        if (took > worst)
            worst = took;
        if (r < 0)
            failed++;
        rounds++;
    }
    atomic_store(&d.stop, 1);
    pst_pair_join_peer(&f);
    int stuck = atomic_load(&d.rescues);
    cr_log_info("%d rounds, worst ps_select(100 ms) %lld ms", rounds,
                (long long)worst);
    cr_assert_eq(failed, 0, "%d sends or selects failed", failed);
    cr_assert_eq(stuck, 0,
                 "%d of %d ps_select(100 ms) calls were stuck past "
                 "their deadline until more data came",
                 stuck, rounds);
    cr_assert_lt(worst, 1000, "a ps_select(100 ms) took %lld ms",
                 (long long)worst);
    pst_pair_close(&f);
}

/* Short waits on a pipe, one after another: on Windows each starts a
 * helper whose read must be cancelled and joined before the call returns,
 * also when the cancel comes before the read has started. Every call ends
 * near its deadline, no helper is left behind, and the pipe is untouched. */
Test(select, short_waits_on_pipe_stop_their_helpers, .timeout = 60)
{
    pst_pair f;
    int fds[2];
    char c = 0;
    pst_pair_open_tcp(&f);
    cr_assert_eq(pst_pipe(fds), 0);
    ps_pollitem items[2] = {pst_fd_item(fds[0], PS_POLL_READ),
                            pst_sock_item(f.s, PS_POLL_READ)};
    long threads = pst_thread_count();
    int64_t worst = 0;
    int bad = 0;
    for (int i = 0; i < 300; i++) {
        int64_t t0 = pst_now_ms();
        int r = ps_select(items, 2, 1 + i % 3);
        int64_t took = pst_now_ms() - t0;
        if (took > worst)
            worst = took;
        bad += r != 0;
    }
    cr_assert_eq(bad, 0, "%d calls did not time out", bad);
    cr_assert_lt(worst, 1000, "a 1-3 ms wait took %lld ms", (long long)worst);
    if (threads >= 0)
        cr_assert_eq(pst_thread_count(), threads, "helper threads left behind");
    /* The pipe works as before: nothing consumed, nothing blocking. */
    cr_assert_eq(pst_fd_write(fds[1], "p", 1), 1);
    cr_assert_eq(ps_select(items, 2, 2000), 1);
    cr_assert_eq(items[0].revents, (unsigned)PS_POLL_READ);
    cr_assert_eq(pst_fd_read(fds[0], &c, 1), 1);
    cr_assert_eq(c, 'p');
    pst_fd_close(fds[0]);
    pst_fd_close(fds[1]);
    pst_pair_close(&f);
}
