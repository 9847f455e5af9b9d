/* SPDX-License-Identifier: MIT */
/* ps_poller with the kinds beside sockets: pipes (as fds and, on Windows,
 * as handles), files, wakes, one-shot pipes, helper threads and what close
 * leaves behind; the same source runs natively and under Wine. */
#include <criterion/criterion.h>

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "fixtures.h"
#include "portsock.h"
#include "rc_assert.h"
#include "select_support.h"
#include "support.h"

TestSuite(poller_kinds, .timeout = 60);

/* Writes one byte to an fd after a delay, noting when. */
struct late_write {
    int fd;
    int delay_ms;
    int64_t at;
};

static void late_write_main(void *arg)
{
    struct late_write *w = (struct late_write *)arg;
    pst_sleep_ms(w->delay_ms);
    w->at = pst_now_ms();
    cr_assert_eq(pst_fd_write(w->fd, "x", 1), 1);
}

static int tag_sock, tag_pipe, tag_file;

Test(poller_kinds, socket_and_pipe_together)
{
    pst_pipe_poller f;
    pst_pair sp;
    char buf[8];
    pst_pipe_poller_init(&f);
    pst_pair_open_tcp(&sp);
    ps_pollitem si = pst_sock_item(sp.c, PS_POLL_READ);
    OK(ps_poller_add(f.p, &si, &tag_sock));
    pst_pipe_poller_add(&f, PS_POLL_READ, &tag_pipe);
    pst_wait_none(f.p, 50);

    /* A pipe write wakes a wait that also watches a socket. */
    struct late_write w = {f.fds[1], 50, 0};
    pst_thread *t = pst_thread_start(late_write_main, &w);
    cr_assert_not_null(t);
    ps_event e = pst_wait_one(f.p, 5000);
    pst_thread_join(t);
    cr_assert_eq(e.data, &tag_pipe);
    cr_assert_eq(e.revents, PS_POLL_READ, "revents 0x%x", e.revents);
    cr_assert_eq(pst_fd_read(f.fds[0], buf, sizeof buf), 1);
    pst_wait_none(f.p, 50);

    /* The socket still works beside it. */
    OK(ps_send_all(sp.s, "hi", 2, NULL, 1000));
    e = pst_wait_one(f.p, 5000);
    cr_assert_eq(e.data, &tag_sock);
    cr_assert_eq(e.revents, PS_POLL_READ, "revents 0x%x", e.revents);
    OK(ps_recv_all(sp.c, buf, 2, NULL, 1000));
    pst_wait_none(f.p, 50);

    OK(ps_poller_remove(f.p, &f.item));
    OK(ps_poller_remove(f.p, &si));
    pst_pipe_poller_close(&f);
    pst_pair_close(&sp);
}

Test(poller_kinds, pipe_read_then_hup)
{
    pst_pipe_poller f;
    char buf[8];
    pst_pipe_poller_open(&f, PS_POLL_READ, &tag_pipe);
    pst_wait_none(f.p, 30);
    cr_assert_eq(pst_fd_write(f.fds[1], "ab", 2), 2);
    /* Level-triggered: reported by every wait until read. */
    for (int i = 0; i < 3; i++) {
        ps_event e = pst_wait_one(f.p, 2000);
        cr_assert_eq(e.data, &tag_pipe);
        cr_assert_eq(e.revents, PS_POLL_READ, "round %d: 0x%x", i, e.revents);
    }
    cr_assert_eq(pst_fd_read(f.fds[0], buf, sizeof buf), 2);
    pst_wait_none(f.p, 30);
    pst_pipe_poller_close_end(&f, 1);
    ps_event e = pst_wait_one(f.p, 2000);
    cr_assert_eq(e.revents & (PS_POLL_READ | PS_POLL_HUP),
                 PS_POLL_READ | PS_POLL_HUP, "revents 0x%x", e.revents);
    cr_assert_eq(pst_fd_read(f.fds[0], buf, sizeof buf), 0, "end of pipe");
    OK(ps_poller_remove(f.p, &f.item));
    pst_pipe_poller_close(&f);
}

/* Data that arrived and was read while no wait was in progress is not
 * reported by the next wait (on Windows the pipe's helper saw it; a stale
 * report would make a blocking read of the empty pipe hang). */
Test(poller_kinds, pipe_data_read_between_waits_not_reported)
{
    pst_pipe_poller f;
    char buf[8];
    pst_pipe_poller_open(&f, PS_POLL_READ, &tag_pipe);
    pst_wait_none(f.p, 30);
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(pst_fd_write(f.fds[1], "x", 1), 1);
        pst_sleep_ms(100); /* the helper has seen it */
        cr_assert_eq(pst_fd_read(f.fds[0], buf, sizeof buf), 1);
        pst_wait_none(f.p, 50);
    }
    /* And it is still watched. */
    cr_assert_eq(pst_fd_write(f.fds[1], "y", 1), 1);
    ps_event e = pst_wait_one(f.p, 2000);
    cr_assert_eq(e.data, &tag_pipe);
    cr_assert_eq(e.revents, PS_POLL_READ, "revents 0x%x", e.revents);
    cr_assert_eq(pst_fd_read(f.fds[0], buf, sizeof buf), 1);
    OK(ps_poller_remove(f.p, &f.item));
    pst_pipe_poller_close(&f);
}

/* PS_KIND_HANDLE: a Windows pipe handle works like its fd; elsewhere the
 * kind is PS_ENOTSUP, as documented. */
Test(poller_kinds, handle_kind)
{
    pst_pipe_poller f;
    char buf[8];
    pst_pipe_poller_init(&f);
    ps_poller *p = f.p;
    void *h = pst_fd_handle(f.fds[0]);
    ps_pollitem hi = pst_handle_item(h != NULL ? h : (void *)&tag_pipe,
                                     PS_POLL_READ);
    if (!pst_is_windows()) {
        RC_IS(ps_poller_add(p, &hi, &tag_pipe), PS_ENOTSUP);
        /* Every operation on a handle is unsupported there. */
        RC_IS(ps_poller_remove(p, &hi), PS_ENOTSUP);
        RC_IS(ps_poller_modify(p, &hi, NULL), PS_ENOTSUP);
    } else {
        OK(ps_poller_add(p, &hi, &tag_pipe));
        RC_IS(ps_poller_add(p, &hi, &tag_pipe), PS_EEXIST);
        pst_wait_none(p, 30);
        cr_assert_eq(pst_fd_write(f.fds[1], "z", 1), 1);
        ps_event e = pst_wait_one(p, 2000);
        cr_assert_eq(e.data, &tag_pipe);
        cr_assert_eq(e.revents, PS_POLL_READ, "revents 0x%x", e.revents);
        cr_assert_eq(pst_fd_read(f.fds[0], buf, sizeof buf), 1);
        pst_wait_none(p, 30);
        OK(ps_poller_remove(p, &hi));
    }
    pst_pipe_poller_close(&f);
}

Test(poller_kinds, regular_file_ready_every_wait)
{
    char path[256];
    ps_poller *p;
    pst_temp_path(path, sizeof path, "pkfile");
    cr_assert_eq(pst_write_file(path, "data", 4), 0);
    int fd = pst_open_read(path);
    cr_assert_geq(fd, 0);
    OK(ps_poller_open(&p));
    ps_pollitem fi = pst_fd_item(fd, PS_POLL_READ);
    OK(ps_poller_add(p, &fi, &tag_file));
    for (int i = 0; i < 3; i++) {
        int64_t t0 = pst_now_ms();
        ps_event e = pst_wait_one(p, 5000);
        cr_assert_lt(pst_now_ms() - t0, 1000, "a file should be ready at once");
        cr_assert_eq(e.data, &tag_file);
        cr_assert_eq(e.revents, PS_POLL_READ, "revents 0x%x", e.revents);
    }
    /* One-shot: one report, then nothing until modify. */
    fi.events = PS_POLL_READ | PS_POLL_ONESHOT;
    OK(ps_poller_modify(p, &fi, &tag_file));
    cr_assert_eq(pst_wait_one(p, 1000).revents, PS_POLL_READ);
    pst_wait_none(p, 30);
    OK(ps_poller_modify(p, &fi, &tag_pipe));
    cr_assert_eq(pst_wait_one(p, 1000).data, &tag_pipe);
    OK(ps_poller_remove(p, &fi));
    pst_wait_none(p, 0);
    ps_poller_close(p);
    pst_fd_close(fd);
    pst_remove(path);
}

static void wake_main(void *arg)
{
    pst_sleep_ms(50);
    OK(ps_poller_wake((ps_poller *)arg));
}

Test(poller_kinds, wake)
{
    pst_pipe_poller f;
    pst_pipe_poller_open(&f, PS_POLL_READ, &tag_pipe);
    ps_poller *p = f.p;
    /* From another thread, during the wait. */
    pst_thread *t = pst_thread_start(wake_main, p);
    cr_assert_not_null(t);
    int64_t t0 = pst_now_ms();
    ps_event ev[2];
    RC_IS(ps_poller_wait(p, ev, 2, 10000), 0);
    int64_t ms = pst_now_ms() - t0;
    pst_thread_join(t);
    cr_assert_lt(ms, 5000, "woken after %lld ms", (long long)ms);
    cr_assert_geq(ms, 40, "returned after %lld ms, before the wake",
                  (long long)ms);
    /* Before the wait: the next wait returns at once; wakes coalesce. */
    OK(ps_poller_wake(p));
    OK(ps_poller_wake(p));
    t0 = pst_now_ms();
    RC_IS(ps_poller_wait(p, ev, 2, 10000), 0);
    cr_assert_lt(pst_now_ms() - t0, 2000);
    t0 = pst_now_ms();
    RC_IS(ps_poller_wait(p, ev, 2, 100), 0);
    cr_assert_geq(pst_now_ms() - t0, 90, "a second wake was left over");
    pst_pipe_poller_close(&f);
}

Test(poller_kinds, oneshot_pipe)
{
    pst_pipe_poller f;
    char buf[8];
    pst_pipe_poller_open(&f, PS_POLL_READ | PS_POLL_ONESHOT, &tag_pipe);
    ps_poller *p = f.p;
    cr_assert_eq(pst_fd_write(f.fds[1], "q", 1), 1);
    ps_event e = pst_wait_one(p, 2000);
    cr_assert_eq(e.revents, PS_POLL_READ, "revents 0x%x", e.revents);
    /* Still readable, but disarmed. */
    pst_wait_none(p, 100);
    OK(ps_poller_modify(p, &f.item, &tag_file));
    e = pst_wait_one(p, 2000);
    cr_assert_eq(e.data, &tag_file);
    cr_assert_eq(pst_fd_read(f.fds[0], buf, sizeof buf), 1);
    /* Re-armed on an empty pipe: the next write is reported once. */
    OK(ps_poller_modify(p, &f.item, &tag_pipe));
    pst_wait_none(p, 30);
    cr_assert_eq(pst_fd_write(f.fds[1], "r", 1), 1);
    cr_assert_eq(pst_wait_one(p, 2000).data, &tag_pipe);
    pst_wait_none(p, 50);
    OK(ps_poller_remove(p, &f.item));
    RC_IS(ps_poller_modify(p, &f.item, &tag_pipe), PS_ENOENT);
    pst_pipe_poller_close(&f);
}

/* Registration errors with a pipe and a socket. */
Test(poller_kinds, registration_errors)
{
    pst_pipe_poller f;
    pst_pair sp;
    pst_pipe_poller_init(&f);
    pst_pair_open_tcp(&sp);
    ps_poller *p = f.p;
    ps_pollitem si = pst_sock_item(sp.c, PS_POLL_READ);
    ps_pollitem pi = pst_fd_item(f.fds[0], PS_POLL_READ);
    RC_IS(ps_poller_remove(p, &si), PS_ENOENT);
    RC_IS(ps_poller_modify(p, &pi, NULL), PS_ENOENT);
    OK(ps_poller_add(p, &si, NULL));
    OK(ps_poller_add(p, &pi, NULL));
    RC_IS(ps_poller_add(p, &si, NULL), PS_EEXIST);
    RC_IS(ps_poller_add(p, &pi, NULL), PS_EEXIST);
    ps_pollitem bad = pst_sock_item(PS_INVALID_SOCKET, PS_POLL_READ);
    RC_IS(ps_poller_add(p, &bad, NULL), PS_EBADF);
    ps_pollitem badfd = pst_fd_item(-1, PS_POLL_READ);
    RC_IS(ps_poller_add(p, &badfd, NULL), PS_EBADF);
    OK(ps_poller_remove(p, &si));
    OK(ps_poller_remove(p, &pi));
    RC_IS(ps_poller_remove(p, &pi), PS_ENOENT);
    pst_pipe_poller_close(&f);
    pst_pair_close(&sp);
}

Test(poller_kinds, remove_stops_pipe_helper)
{
    pst_pipe_poller f;
    int second[2];
    pst_pipe_poller_init(&f);
    ps_poller *p = f.p;
    cr_assert_eq(pst_pipe(second), 0);
    long before = pst_thread_count();
    cr_assert_geq(before, 1, "no thread count on this system");
    ps_pollitem b = pst_fd_item(second[0], PS_POLL_READ);
    pst_pipe_poller_add(&f, PS_POLL_READ, NULL);
    OK(ps_poller_add(p, &b, NULL));
    long during = pst_thread_count();
    /* One with data, one waiting in its read. */
    cr_assert_eq(pst_fd_write(f.fds[1], "d", 1), 1);
    cr_assert_eq(pst_wait_one(p, 2000).revents, PS_POLL_READ);
    OK(ps_poller_remove(p, &f.item));
    OK(ps_poller_remove(p, &b));
    long after = pst_thread_count();
    cr_log_info("threads: %ld before, %ld with two pipes, %ld after remove",
                before, during, after);
    cr_assert_eq(after, before, "a helper outlived its remove");
    if (pst_is_windows())
        cr_assert_eq(during, before + 2, "one helper per pipe on Windows");
    pst_pipe_poller_close(&f);
    pst_fd_close(second[0]);
    pst_fd_close(second[1]);
}

Test(poller_kinds, close_leaves_nothing)
{
    pst_pair sp;
    int fds[2];
    char path[256];
    pst_pair_open_tcp(&sp);
    cr_assert_eq(pst_pipe(fds), 0);
    pst_temp_path(path, sizeof path, "pkclose");
    cr_assert_eq(pst_write_file(path, "x", 1), 0);
    int fd = pst_open_read(path);
    cr_assert_geq(fd, 0);
    long threads = pst_thread_count();
    long handles = pst_open_handle_count();
    for (int round = 0; round < 20; round++) {
        ps_poller *p;
        OK(ps_poller_open(&p));
        ps_pollitem si = pst_sock_item(sp.c, PS_POLL_READ | PS_POLL_WRITE);
        ps_pollitem pi = pst_fd_item(fds[0], PS_POLL_READ);
        ps_pollitem fi = pst_fd_item(fd, PS_POLL_READ);
        OK(ps_poller_add(p, &si, NULL));
        OK(ps_poller_add(p, &pi, NULL));
        OK(ps_poller_add(p, &fi, NULL));
        ps_event ev[4];
        int n = ps_poller_wait(p, ev, 4, 1000);
        cr_assert_eq(n, 2, "round %d: %d events (socket writable, file)", round,
                     n);
        /* Closed with everything registered, helpers and polls pending. */
        ps_poller_close(p);
    }
    long threads_after = pst_thread_count();
    long handles_after = pst_open_handle_count();
    cr_log_info("threads %ld -> %ld, handles %ld -> %ld", threads,
                threads_after, handles, handles_after);
    cr_assert_eq(threads_after, threads, "helper threads left behind");
    if (handles < 0)
        cr_log_info("no handle count here (Wine): threads checked only");
    else
        cr_assert_leq(handles_after, handles, "handles or fds leaked");
    /* The items themselves are untouched. */
    OK(ps_send_all(sp.s, "k", 1, NULL, 1000));
    char c;
    OK(ps_recv_all(sp.c, &c, 1, NULL, 1000));
    cr_assert_eq(pst_fd_write(fds[1], "k", 1), 1);
    cr_assert_eq(pst_fd_read(fds[0], &c, 1), 1);
    pst_fd_close(fd);
    pst_remove(path);
    pst_fd_close(fds[0]);
    pst_fd_close(fds[1]);
    pst_pair_close(&sp);
}

/* One-shot with several waiting threads: each ready item goes to one. */
#define NPAIR 4
struct taker {
    ps_poller *p;
    void *got;
    int n;
};

static void taker_main(void *arg)
{
    struct taker *t = (struct taker *)arg;
    ps_event ev;
    t->n = ps_poller_wait(t->p, &ev, 1, 5000);
    t->got = t->n == 1 ? ev.data : NULL;
}

Test(poller_kinds, oneshot_threads_get_distinct_items)
{
    ps_poller *p;
    pst_pair pr[NPAIR];
    struct taker tk[NPAIR];
    pst_thread *th[NPAIR];
    OK(ps_poller_open(&p));
    for (int i = 0; i < NPAIR; i++) {
        pst_pair_open_tcp(&pr[i]);
        ps_pollitem it = pst_sock_item(pr[i].c, PS_POLL_READ | PS_POLL_ONESHOT);
        OK(ps_poller_add(p, &it, &pr[i]));
    }
    for (int i = 0; i < NPAIR; i++) {
        tk[i].p = p;
        th[i] = pst_thread_start(taker_main, &tk[i]);
        cr_assert_not_null(th[i]);
    }
    for (int i = 0; i < NPAIR; i++)
        OK(ps_send_all(pr[i].s, "m", 1, NULL, 1000));
    for (int i = 0; i < NPAIR; i++)
        pst_thread_join(th[i]);
    for (int i = 0; i < NPAIR; i++) {
        cr_assert_eq(tk[i].n, 1, "thread %d: %d", i, tk[i].n);
        for (int j = 0; j < i; j++)
            cr_assert_neq(tk[i].got, tk[j].got, "threads %d and %d", i, j);
    }
    pst_wait_none(p, 50);
    ps_poller_close(p);
    for (int i = 0; i < NPAIR; i++)
        pst_pair_close(&pr[i]);
}

/* How long after a pipe write a waiting poller returns. */
Test(poller_kinds, pipe_wake_latency)
{
    pst_pipe_poller f;
    char buf[8];
    int64_t worst = 0, total = 0;
    const int rounds = 10;
    pst_pipe_poller_open(&f, PS_POLL_READ, &tag_pipe);
    for (int i = 0; i < rounds; i++) {
        struct late_write w = {f.fds[1], 50, 0};
        pst_thread *t = pst_thread_start(late_write_main, &w);
        cr_assert_not_null(t);
        ps_event e = pst_wait_one(f.p, 5000);
        int64_t back = pst_now_ms();
        pst_thread_join(t);
        cr_assert_eq(e.data, &tag_pipe);
        cr_assert_eq(pst_fd_read(f.fds[0], buf, sizeof buf), 1);
        int64_t extra = back - w.at;
        total += extra;
        if (extra > worst)
            worst = extra;
    }
    cr_log_info("pipe wake: %.1f ms mean, %lld ms worst after the write "
                "(%d rounds)",
                (double)total / rounds, (long long)worst, rounds);
    cr_assert_lt(worst, 50, "a wait returned %lld ms after the write",
                 (long long)worst);
    pst_pipe_poller_close(&f);
}

/* A pipe asked for nothing, with data pending (a caller applying
 * backpressure): the wait must sleep, not spin on the data it ignores. */
Test(poller_kinds, pipe_without_read_does_not_spin)
{
    pst_pipe_poller f;
    ps_event ev[4];
    pst_pipe_poller_init(&f);
    ps_poller *p = f.p;
    /* The data is there before the pipe is registered. */
    cr_assert_eq(pst_fd_write(f.fds[1], "x", 1), 1);
    pst_pipe_poller_add(&f, 0, &tag_pipe);
    long cpu0 = pst_process_cpu_ms();
    int64_t t0 = pst_now_ms();
    int n = ps_poller_wait(p, ev, 4, 1000);
    int64_t took = pst_now_ms() - t0;
    long cpu = pst_process_cpu_ms() - cpu0;
    cr_assert_eq(n, 0, "wait -> %d (revents 0x%x)", n,
                 n > 0 ? ev[0].revents : 0u);
    cr_assert_geq(took, 900, "the wait returned after %lld ms",
                  (long long)took);
    if (cpu0 < 0) {
        cr_log_info("no process CPU time here: only the timing is checked");
    } else {
        cr_log_info("a 1000 ms wait used %ld ms of CPU", cpu);
        cr_assert_lt(cpu, 150, "a 1000 ms wait used %ld ms of CPU", cpu);
    }
    /* Asking for READ again reports the data. */
    f.item.events = PS_POLL_READ;
    OK(ps_poller_modify(p, &f.item, &tag_pipe));
    ps_event e = pst_wait_one(p, 2000);
    cr_assert_eq(e.data, &tag_pipe);
    cr_assert_eq(e.revents, PS_POLL_READ, "revents 0x%x", e.revents);
    pst_pipe_poller_close(&f);
}

/* An always-ready file must not starve a ready socket, even at cap 1. */
Test(poller_kinds, file_does_not_starve_socket)
{
    char path[256];
    ps_poller *p;
    pst_pair sp;
    pst_temp_path(path, sizeof path, "pkstarve");
    cr_assert_eq(pst_write_file(path, "data", 4), 0);
    int fd = pst_open_read(path);
    cr_assert_geq(fd, 0);
    pst_pair_open_tcp(&sp);
    OK(ps_poller_open(&p));
    ps_pollitem fi = pst_fd_item(fd, PS_POLL_READ);
    ps_pollitem si = pst_sock_item(sp.s, PS_POLL_READ);
    OK(ps_poller_add(p, &fi, &tag_file));
    OK(ps_poller_add(p, &si, &tag_sock));
    OK(ps_send_all(sp.c, "s", 1, NULL, 1000));
    int files = 0, socks = 0;
    for (int i = 0; i < 20 && (files < 2 || socks < 2); i++) {
        ps_event ev[1];
        int n = ps_poller_wait(p, ev, 1, 1000);
        cr_assert_eq(n, 1, "wait %d -> %d", i, n);
        if (ev[0].data == &tag_sock)
            socks++;
        else if (ev[0].data == &tag_file)
            files++;
        else
            cr_assert_fail("wait %d reported an unknown item", i);
    }
    cr_assert_geq(socks, 2, "the socket was reported %d times", socks);
    cr_assert_geq(files, 2, "the file was reported %d times", files);
    ps_poller_close(p);
    pst_pair_close(&sp);
    pst_fd_close(fd);
    pst_remove(path);
}

struct late_add {
    ps_poller *p;
    ps_pollitem it;
    int rc;
};

static void late_add_main(void *arg)
{
    struct late_add *l = (struct late_add *)arg;
    pst_sleep_ms(200);
    l->rc = ps_poller_add(l->p, &l->it, &tag_file);
}

/* A file added while a wait is blocked is reported by that wait. */
Test(poller_kinds, file_added_during_wait)
{
    char path[256];
    struct late_add l;
    pst_temp_path(path, sizeof path, "pklate");
    cr_assert_eq(pst_write_file(path, "data", 4), 0);
    int fd = pst_open_read(path);
    cr_assert_geq(fd, 0);
    OK(ps_poller_open(&l.p));
    l.it = pst_fd_item(fd, PS_POLL_READ);
    l.rc = 1;
    int64_t t0 = pst_now_ms();
    pst_thread *t = pst_thread_start(late_add_main, &l);
    cr_assert_not_null(t);
    ps_event e = pst_wait_one(l.p, 3000);
    int64_t took = pst_now_ms() - t0;
    pst_thread_join(t);
    OK(l.rc);
    cr_assert_eq(e.data, &tag_file);
    cr_assert_lt(took, 1500, "the wait returned after %lld ms",
                 (long long)took);
    ps_poller_close(l.p);
    pst_fd_close(fd);
    pst_remove(path);
}

struct lt_waiter {
    ps_poller *p;
    int n;
    void *data;
    int64_t took;
};

static void lt_waiter_main(void *arg)
{
    struct lt_waiter *w = (struct lt_waiter *)arg;
    ps_event ev[4];
    int64_t t0 = pst_now_ms();
    w->n = ps_poller_wait(w->p, ev, 4, 3000);
    w->took = pst_now_ms() - t0;
    w->data = w->n > 0 ? ev[0].data : NULL;
}

struct late_send {
    ps_socket_t s;
};

static void late_send_main(void *arg)
{
    struct late_send *l = (struct late_send *)arg;
    pst_sleep_ms(300);
    cr_assert_eq(ps_send_all(l->s, "x", 1, NULL, 1000), PS_OK);
}

/* Level-triggered with two threads blocked: whichever is woken reports
 * the socket and leaves it unread; it is still ready, so the other one
 * must report it too, not sleep on. */
Test(poller_kinds, level_triggered_two_waiters)
{
    pst_pair sp;
    struct lt_waiter w1, w2;
    struct late_send ls;
    pst_pair_open_tcp(&sp);
    OK(ps_poller_open(&w1.p));
    w2.p = w1.p;
    ps_pollitem si = pst_sock_item(sp.s, PS_POLL_READ);
    OK(ps_poller_add(w1.p, &si, &tag_sock));
    ls.s = sp.c;
    pst_thread *t1 = pst_thread_start(lt_waiter_main, &w1);
    pst_thread *t2 = pst_thread_start(lt_waiter_main, &w2);
    pst_thread *ts = pst_thread_start(late_send_main, &ls);
    cr_assert(t1 && t2 && ts);
    pst_thread_join(ts);
    pst_thread_join(t1);
    pst_thread_join(t2);
    cr_log_info("waiters: %d after %lld ms, %d after %lld ms", w1.n,
                (long long)w1.took, w2.n, (long long)w2.took);
    cr_assert_eq(w1.n, 1, "first waiter -> %d after %lld ms", w1.n,
                 (long long)w1.took);
    cr_assert_eq(w2.n, 1, "second waiter -> %d after %lld ms", w2.n,
                 (long long)w2.took);
    cr_assert_eq(w1.data, &tag_sock);
    cr_assert_eq(w2.data, &tag_sock);
    ps_poller_close(w1.p);
    pst_pair_close(&sp);
}

/* A pipe dropped as INVALID (closed while registered) leaves no helper
 * thread behind until ps_poller_close. */
Test(poller_kinds, dropped_pipe_leaves_no_thread)
{
    pst_pipe_poller f;
    ps_event ev[4];
    pst_pipe_poller_init(&f);
    ps_poller *p = f.p;
    long before = pst_thread_count();
    cr_assert_geq(before, 1, "no thread count on this system");
    pst_pipe_poller_add(&f, PS_POLL_READ, &tag_pipe);
    cr_assert_eq(pst_fd_write(f.fds[1], "d", 1), 1);
    cr_assert_eq(pst_wait_one(p, 2000).revents, PS_POLL_READ);
    /* Closed while registered, against the rules, to get it dropped. */
    pst_pipe_poller_close_end(&f, 0);
    int n = ps_poller_wait(p, ev, 4, 500);
    cr_assert_geq(n, 0, "wait -> %s", ps_errname(n));
    if (pst_is_windows())
        cr_assert_eq(n, 1, "a closed pipe is reported once as INVALID");
    if (n == 1) {
        cr_assert_eq(ev[0].data, &tag_pipe);
        cr_assert_eq(ev[0].revents, (unsigned)PS_POLL_INVALID);
    } else {
        cr_assert_eq(n, 0);
    }
    long after = pst_thread_count();
    cr_assert_eq(after, before, "threads: %ld before, %ld after the drop",
                 before, after);
    pst_pipe_poller_close(&f);
}

struct adder {
    ps_poller *p;
    ps_pollitem it;
    atomic_int stop, bad_rc;
    int tries;
};

static void adder_main(void *arg)
{
    struct adder *ad = (struct adder *)arg;
    while (!atomic_load(&ad->stop)) {
        int rc = ps_poller_add(ad->p, &ad->it, NULL);
        ad->tries++;
        if (rc != PS_EEXIST) {
            atomic_store(&ad->bad_rc, rc == 0 ? 1 : rc);
            return;
        }
    }
}

/* A modify that changes how a pipe is watched (WRITE on or off) keeps it
 * registered throughout: an add from another thread always finds it. */
Test(poller_kinds, modify_keeps_item_registered)
{
    struct adder ad;
    pst_pipe_poller f;
    pst_pipe_poller_init(&f);
    cr_assert_eq(pst_fd_write(f.fds[1], "d", 1), 1);
    pst_pipe_poller_add(&f, PS_POLL_READ, &tag_pipe);
    ad.p = f.p;
    ad.it = f.item;
    atomic_init(&ad.stop, 0);
    atomic_init(&ad.bad_rc, 0);
    ad.tries = 0;
    pst_thread *t = pst_thread_start(adder_main, &ad);
    cr_assert_not_null(t);
    ps_pollitem mi = pst_fd_item(f.fds[0], PS_POLL_READ);
    for (int i = 0; i < 60 && !atomic_load(&ad.bad_rc); i++) {
        mi.events = (i & 1) ? PS_POLL_READ : PS_POLL_READ | PS_POLL_WRITE;
        OK(ps_poller_modify(ad.p, &mi, &tag_pipe));
    }
    atomic_store(&ad.stop, 1);
    pst_thread_join(t);
    int bad = atomic_load(&ad.bad_rc);
    cr_assert_eq(bad, 0, "an add during modify -> %d (%s)", bad,
                 bad < 0 ? ps_errname(bad) : "succeeded");
    cr_log_info("%d adds during the modifies", ad.tries);
    /* Still registered and reporting, as READ only now. */
    ps_event e = pst_wait_one(ad.p, 2000);
    cr_assert_eq(e.data, &tag_pipe);
    cr_assert_eq(e.revents, PS_POLL_READ, "revents 0x%x", e.revents);
    pst_pipe_poller_close(&f);
}
