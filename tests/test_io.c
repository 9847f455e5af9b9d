/* SPDX-License-Identifier: MIT */
/* ps_send / ps_recv / ps_send_all / ps_recv_all: data integrity, timeouts,
 * end of stream, resets, non-blocking sockets. Loopback only. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portsock.h"
#include "support.h"

#include "rc_assert.h"

/* Receive buffer for transfers that must complete. On Linux loopback TCP
 * (and so under Wine) an SO_RCVBUF below about 16 KiB keeps the window far
 * under the 64 KiB loopback MSS and every segment then waits on a timer:
 * 4 MiB would take minutes. The sender's buffer stays tiny (4096), so the
 * send loop still moves data in many small partial transfers. */
#define SMALL_RCVBUF 65536

/* A byte pattern whose period (251) is not a power of two, so shifted,
 * dropped or repeated blocks are noticed. */
static unsigned char pat(size_t i)
{
    return (unsigned char)((i % 251u) ^ ((i / 251u) * 13u));
}

static unsigned char *pattern_buffer(size_t len)
{
    unsigned char *p = malloc(len ? len : 1);
    cr_assert_not_null(p, "malloc(%zu)", len);
    for (size_t i = 0; i < len; i++)
        p[i] = pat(i);
    return p;
}

/* Index of the first byte of buf (which holds stream bytes from offset
 * `base`) that breaks the pattern, or (size_t)-1. */
static size_t pattern_mismatch(const unsigned char *buf, size_t n, size_t base)
{
    for (size_t i = 0; i < n; i++)
        if (buf[i] != pat(base + i))
            return base + i;
    return (size_t)-1;
}

/* ---- basics --------------------------------------------------------------- */

Test(io, send_recv_basic, .timeout = 10)
{
    ps_socket_t c, s;
    char buf[64];
    size_t sent = 0, got = 0;

    pst_tcp_pair(&c, &s);
    OK(ps_send(c, "hello", 5, &sent, 2000));
    cr_assert_eq(sent, (size_t)5);

    memset(buf, 0, sizeof buf);
    OK(ps_recv_all(s, buf, 5, &got, 2000));
    cr_assert_eq(got, (size_t)5);
    cr_assert_str_eq(buf, "hello");

    OK(ps_send(s, "world!", 6, &sent, 2000));
    cr_assert_eq(sent, (size_t)6);
    memset(buf, 0, sizeof buf);
    OK(ps_recv_all(c, buf, 6, &got, 2000));
    cr_assert_eq(got, (size_t)6);
    cr_assert_str_eq(buf, "world!");

    OK(ps_close(c));
    OK(ps_close(s));
}

Test(io, recv_returns_what_is_there, .timeout = 10)
{
    ps_socket_t c, s;
    unsigned char buf[100];
    size_t got = 0;

    pst_tcp_pair(&c, &s);
    OK(ps_send_all(c, "0123456789", 10, NULL, 2000));
    /* One transfer: returns the 10 bytes without waiting for 100. Loop in
     * case TCP delivers them in pieces. */
    size_t total = 0;
    while (total < 10) {
        OK(ps_recv(s, buf + total, sizeof buf - total, &got, 2000));
        cr_assert_gt(got, (size_t)0, "unexpected EOF");
        total += got;
    }
    cr_assert_eq(total, (size_t)10);
    cr_assert_arr_eq(buf, "0123456789", 10);
    RC_IS(ps_recv(s, buf, sizeof buf, &got, 0), PS_EWOULDBLOCK);

    OK(ps_close(c));
    OK(ps_close(s));
}

Test(io, recv_eof, .timeout = 10)
{
    ps_socket_t c, s;
    char buf[16];
    size_t got = 77;

    pst_tcp_pair(&c, &s);
    OK(ps_close(c));
    OK(ps_recv(s, buf, sizeof buf, &got, 5000));
    cr_assert_eq(got, (size_t)0, "EOF gave %zu bytes", got);
    /* Still EOF, also without waiting. */
    got = 77;
    OK(ps_recv(s, buf, sizeof buf, &got, 0));
    cr_assert_eq(got, (size_t)0);
    OK(ps_close(s));
}

Test(io, recv_timeouts, .timeout = 10)
{
    ps_socket_t c, s;
    char buf[16];
    size_t got = 0;

    pst_tcp_pair(&c, &s);
    RC_IS(ps_recv(s, buf, sizeof buf, &got, 0), PS_EWOULDBLOCK);
    cr_assert_eq(got, (size_t)0);

    int64_t t0 = pst_now_ms();
    RC_IS(ps_recv(s, buf, sizeof buf, &got, 150), PS_ETIMEDOUT);
    int64_t dt = pst_now_ms() - t0;
    cr_assert_geq(dt, 145, "returned after %lld ms", (long long)dt);
    cr_assert_lt(dt, 2000, "returned after %lld ms", (long long)dt);
    cr_assert_eq(got, (size_t)0);

    OK(ps_close(c));
    OK(ps_close(s));
}

/* ---- large transfers with tiny buffers ------------------------------------ */

typedef struct slow_reader {
    ps_socket_t s;
    size_t len;
    size_t total;
    size_t mismatch;
    int rc;
} slow_reader;

static void slow_reader_main(void *arg)
{
    slow_reader *r = arg;
    unsigned char *buf = malloc(16384);
    size_t off = 0;
    unsigned step = 0;

    r->rc = 0;
    r->mismatch = (size_t)-1;
    if (!buf) {
        r->rc = PS_ENOMEM;
        return;
    }
    while (off < r->len) {
        size_t want = 1 + (size_t)((step * 7919u) % 16384u);
        size_t got = 0;
        int rc;

        step++;
        if (want > r->len - off)
            want = r->len - off;
        rc = ps_recv_all(r->s, buf, want, &got, 30000);
        if (r->mismatch == (size_t)-1)
            r->mismatch = pattern_mismatch(buf, got, off);
        off += got;
        if (rc != 0) {
            r->rc = rc;
            break;
        }
        if (got != want) {
            r->rc = PS_EUNKNOWN;   /* success must mean all bytes */
            break;
        }
        if (step % 8 == 0)
            pst_sleep_ms(1);
    }
    r->total = off;
    free(buf);
}

Test(io, send_all_recv_all_4mib_tiny_buffers, .timeout = 120)
{
    const size_t len = (size_t)4 << 20;
    ps_socket_t c, s;
    unsigned char *data = pattern_buffer(len);
    slow_reader r;
    size_t sent = 0, got = 0;
    unsigned char extra[8];

    pst_tcp_pair(&c, &s);
    OK(ps_set_buffer_sizes(c, 4096, 0));
    OK(ps_set_buffer_sizes(s, 0, SMALL_RCVBUF));

    memset(&r, 0, sizeof r);
    r.s = s;
    r.len = len;
    pst_thread *t = pst_thread_start(slow_reader_main, &r);
    cr_assert_not_null(t);
    int rc = ps_send_all(c, data, len, &sent, 60000);
    pst_thread_join(t);

    cr_assert_eq(rc, 0, "ps_send_all -> %s after %zu bytes", ps_errname(rc),
                 sent);
    cr_assert_eq(sent, len);
    cr_assert_eq(r.rc, 0, "reader -> %s after %zu bytes", ps_errname(r.rc),
                 r.total);
    cr_assert_eq(r.total, len);
    cr_assert_eq(r.mismatch, (size_t)-1, "data differs at byte %zu",
                 r.mismatch);
    /* Exactly len bytes: nothing more is waiting. */
    RC_IS(ps_recv(s, extra, sizeof extra, &got, 0), PS_EWOULDBLOCK);

    OK(ps_close(c));
    OK(ps_close(s));
    free(data);
}

typedef struct slow_writer {
    ps_socket_t s;
    const unsigned char *data;
    size_t len;
    size_t total;
    int rc;
} slow_writer;

static void slow_writer_main(void *arg)
{
    slow_writer *w = arg;
    size_t off = 0;
    unsigned step = 0;

    w->rc = 0;
    while (off < w->len) {
        size_t n = 1 + (size_t)((step * 4099u) % 12000u);
        size_t sent = 0;
        int rc;

        step++;
        if (n > w->len - off)
            n = w->len - off;
        rc = ps_send_all(w->s, w->data + off, n, &sent, 30000);
        off += sent;
        if (rc != 0) {
            w->rc = rc;
            break;
        }
        if (step % 8 == 0)
            pst_sleep_ms(1);
    }
    w->total = off;
}

Test(io, recv_all_4mib_from_slow_writer, .timeout = 120)
{
    const size_t len = (size_t)4 << 20;
    ps_socket_t c, s;
    unsigned char *data = pattern_buffer(len);
    unsigned char *in = malloc(len);
    slow_writer w;
    size_t got = 0;

    cr_assert_not_null(in);
    memset(in, 0, len);
    pst_tcp_pair(&c, &s);
    OK(ps_set_buffer_sizes(c, 4096, 0));
    OK(ps_set_buffer_sizes(s, 0, SMALL_RCVBUF));

    memset(&w, 0, sizeof w);
    w.s = c;
    w.data = data;
    w.len = len;
    pst_thread *t = pst_thread_start(slow_writer_main, &w);
    cr_assert_not_null(t);
    int rc = ps_recv_all(s, in, len, &got, 60000);
    pst_thread_join(t);

    cr_assert_eq(w.rc, 0, "writer -> %s", ps_errname(w.rc));
    cr_assert_eq(w.total, len);
    cr_assert_eq(rc, 0, "ps_recv_all -> %s after %zu", ps_errname(rc), got);
    cr_assert_eq(got, len);
    size_t bad = pattern_mismatch(in, len, 0);
    cr_assert_eq(bad, (size_t)-1, "data differs at byte %zu", bad);

    OK(ps_close(c));
    OK(ps_close(s));
    free(in);
    free(data);
}

Test(io, socketpair_4mib, .timeout = 120)
{
    const size_t len = (size_t)4 << 20;
    ps_socket_t p[2];
    unsigned char *data = pattern_buffer(len);
    slow_reader r;
    size_t sent = 0;

    OK(ps_socketpair(p));
    /* On Windows the pair is loopback TCP: see SMALL_RCVBUF. */
    OK(ps_set_buffer_sizes(p[0], 4096, 4096));
    OK(ps_set_buffer_sizes(p[1], 4096, SMALL_RCVBUF));
    memset(&r, 0, sizeof r);
    r.s = p[1];
    r.len = len;
    pst_thread *t = pst_thread_start(slow_reader_main, &r);
    cr_assert_not_null(t);
    int rc = ps_send_all(p[0], data, len, &sent, 60000);
    pst_thread_join(t);

    cr_assert_eq(rc, 0, "ps_send_all -> %s", ps_errname(rc));
    cr_assert_eq(sent, len);
    cr_assert_eq(r.rc, 0, "reader -> %s", ps_errname(r.rc));
    cr_assert_eq(r.total, len);
    cr_assert_eq(r.mismatch, (size_t)-1, "data differs at byte %zu",
                 r.mismatch);

    OK(ps_close(p[0]));
    OK(ps_close(p[1]));
    free(data);
}

/* ---- partial progress on timeout ------------------------------------------ */

Test(io, send_all_timeout_reports_exact_count, .timeout = 60)
{
    const size_t len = (size_t)16 << 20;
    ps_socket_t c, s;
    unsigned char *data = pattern_buffer(len);
    unsigned char *buf = malloc(65536);
    size_t sent = 0;

    cr_assert_not_null(buf);
    pst_tcp_pair(&c, &s);
    OK(ps_set_buffer_sizes(c, 4096, 0));
    OK(ps_set_buffer_sizes(s, 0, 4096));

    int64_t t0 = pst_now_ms();
    int rc = ps_send_all(c, data, len, &sent, 300);
    int64_t dt = pst_now_ms() - t0;

    cr_assert_eq(rc, PS_ETIMEDOUT, "ps_send_all -> %s", ps_errname(rc));
    cr_assert_geq(dt, 295, "returned after %lld ms", (long long)dt);
    cr_assert_lt(dt, 3000, "returned after %lld ms", (long long)dt);
    cr_assert_gt(sent, (size_t)0, "nothing was sent");
    cr_assert_lt(sent, len, "everything was sent to a peer that never reads");

    /* The reader gets exactly the bytes reported, in order, and no more.
     * A larger receive buffer first, so the drain does not stall on TCP
     * timers (see SMALL_RCVBUF). */
    OK(ps_set_buffer_sizes(s, 0, SMALL_RCVBUF));
    size_t total = 0;
    size_t bad = (size_t)-1;
    int64_t d0 = pst_now_ms();
    while (total < sent) {
        size_t got = 0;
        rc = ps_recv(s, buf, 65536, &got, 5000);
        cr_assert_eq(rc, 0, "drain -> %s after %zu of %zu bytes",
                     ps_errname(rc), total, sent);
        cr_assert_gt(got, (size_t)0, "unexpected EOF after %zu bytes", total);
        if (bad == (size_t)-1)
            bad = pattern_mismatch(buf, got, total);
        total += got;
        cr_assert_leq(total, sent, "received %zu bytes, only %zu reported "
                      "sent", total, sent);
    }
    cr_log_info("send_all moved %zu bytes in %lld ms; drained in %lld ms",
                sent, (long long)dt, (long long)(pst_now_ms() - d0));
    /* And not one byte more. */
    size_t extra = 0;
    rc = ps_recv(s, buf, 65536, &extra, 300);
    cr_assert_eq(rc, PS_ETIMEDOUT, "after the %zu reported bytes: %s with "
                 "%zu more", sent, ps_errname(rc), extra);
    cr_assert_eq(bad, (size_t)-1, "data differs at byte %zu", bad);

    OK(ps_close(c));
    OK(ps_close(s));
    free(buf);
    free(data);
}

Test(io, recv_all_timeout_reports_partial, .timeout = 10)
{
    ps_socket_t c, s;
    unsigned char out[10], in[100];
    size_t got = 0;

    for (size_t i = 0; i < sizeof out; i++)
        out[i] = (unsigned char)(0xA0 + i);
    pst_tcp_pair(&c, &s);
    OK(ps_send_all(c, out, sizeof out, NULL, 2000));

    int64_t t0 = pst_now_ms();
    int rc = ps_recv_all(s, in, sizeof in, &got, 200);
    int64_t dt = pst_now_ms() - t0;
    cr_assert_eq(rc, PS_ETIMEDOUT, "ps_recv_all -> %s", ps_errname(rc));
    cr_assert_eq(got, (size_t)10);
    cr_assert_arr_eq(in, out, sizeof out);
    cr_assert_geq(dt, 195, "returned after %lld ms", (long long)dt);
    cr_assert_lt(dt, 2000, "returned after %lld ms", (long long)dt);

    OK(ps_close(c));
    OK(ps_close(s));
}

Test(io, recv_all_closed_reports_partial, .timeout = 10)
{
    ps_socket_t c, s;
    unsigned char out[10], in[100];
    size_t got = 0;

    for (size_t i = 0; i < sizeof out; i++)
        out[i] = (unsigned char)(0x30 + i);
    pst_tcp_pair(&c, &s);
    OK(ps_send_all(c, out, sizeof out, NULL, 2000));
    OK(ps_close(c));

    RC_IS(ps_recv_all(s, in, sizeof in, &got, 5000), PS_ECLOSED);
    cr_assert_eq(got, (size_t)10);
    cr_assert_arr_eq(in, out, sizeof out);

    /* Closed before anything arrived: PS_ECLOSED with got 0. */
    got = 55;
    RC_IS(ps_recv_all(s, in, sizeof in, &got, 5000), PS_ECLOSED);
    cr_assert_eq(got, (size_t)0);
    OK(ps_close(s));
}

Test(io, zero_length_and_null_arguments, .timeout = 10)
{
    ps_socket_t c, s;
    unsigned char buf[8];
    size_t n = 99;

    pst_tcp_pair(&c, &s);

    /* len 0 returns at once, even with an endless timeout. */
    int64_t t0 = pst_now_ms();
    OK(ps_recv_all(s, buf, 0, &n, -1));
    cr_assert_eq(n, (size_t)0);
    n = 99;
    OK(ps_send_all(c, buf, 0, &n, -1));
    cr_assert_eq(n, (size_t)0);
    cr_assert_lt(pst_now_ms() - t0, 1000);
    /* Nothing was put on the wire. */
    RC_IS(ps_recv(s, buf, sizeof buf, &n, 0), PS_EWOULDBLOCK);

    /* NULL buffer with a length. */
    RC_IS(ps_send(c, NULL, 4, &n, 1000), PS_EINVAL);
    RC_IS(ps_recv(s, NULL, 4, &n, 1000), PS_EINVAL);
    RC_IS(ps_send_all(c, NULL, 4, &n, 1000), PS_EINVAL);
    RC_IS(ps_recv_all(s, NULL, 4, &n, 1000), PS_EINVAL);

    /* sent / got may be NULL. */
    OK(ps_send(c, "ab", 2, NULL, 2000));
    OK(ps_send_all(c, "cd", 2, NULL, 2000));
    OK(ps_recv_all(s, buf, 3, NULL, 2000));
    cr_assert_arr_eq(buf, "abc", 3);
    OK(ps_recv(s, buf, 1, NULL, 2000));
    cr_assert_eq(buf[0], 'd');

    OK(ps_close(c));
    OK(ps_close(s));
}

/* ---- waiting forever ---------------------------------------------------------- */

typedef struct late_sender {
    ps_socket_t s;
    int rc;
} late_sender;

static void late_sender_main(void *arg)
{
    late_sender *ls = arg;
    pst_sleep_ms(100);
    ls->rc = ps_send_all(ls->s, "!", 1, NULL, 5000);
}

Test(io, recv_forever_wakes_on_data, .timeout = 20)
{
    ps_socket_t c, s;
    late_sender ls;
    char buf[16];
    size_t got = 0;

    pst_tcp_pair(&c, &s);
    ls.s = c;
    ls.rc = 1;
    pst_thread *t = pst_thread_start(late_sender_main, &ls);
    cr_assert_not_null(t);
    /* The thread is guaranteed to send, so this wait is bounded. */
    int64_t t0 = pst_now_ms();
    int rc = ps_recv(s, buf, sizeof buf, &got, -1);
    int64_t dt = pst_now_ms() - t0;
    pst_thread_join(t);

    cr_assert_eq(ls.rc, 0, "sender -> %s", ps_errname(ls.rc));
    cr_assert_eq(rc, 0, "ps_recv(-1) -> %s", ps_errname(rc));
    cr_assert_eq(got, (size_t)1);
    cr_assert_eq(buf[0], '!');
    cr_assert_geq(dt, 50, "returned after %lld ms, before the send",
                  (long long)dt);

    OK(ps_close(c));
    OK(ps_close(s));
}

/* ---- non-blocking sockets ----------------------------------------------------- */

Test(io, nonblocking_sockets_with_timeouts, .timeout = 120)
{
    const size_t len = (size_t)1 << 20;
    ps_socket_t c, s;
    unsigned char *data = pattern_buffer(len);
    unsigned char small[10];
    slow_reader r;
    size_t sent = 0, got = 0;

    pst_tcp_pair(&c, &s);
    OK(ps_set_nonblocking(c, 1));
    OK(ps_set_nonblocking(s, 1));
    OK(ps_set_buffer_sizes(c, 4096, 0));
    OK(ps_set_buffer_sizes(s, 0, SMALL_RCVBUF));

    /* A timed wait on a non-blocking socket waits, it does not return
     * PS_EWOULDBLOCK early. */
    int64_t t0 = pst_now_ms();
    RC_IS(ps_recv_all(s, small, sizeof small, &got, 150), PS_ETIMEDOUT);
    int64_t dt = pst_now_ms() - t0;
    cr_assert_geq(dt, 145, "returned after %lld ms", (long long)dt);
    cr_assert_eq(got, (size_t)0);
    RC_IS(ps_recv_all(s, small, sizeof small, &got, 0), PS_EWOULDBLOCK);

    memset(&r, 0, sizeof r);
    r.s = s;
    r.len = len;
    pst_thread *t = pst_thread_start(slow_reader_main, &r);
    cr_assert_not_null(t);
    int rc = ps_send_all(c, data, len, &sent, 60000);
    pst_thread_join(t);

    cr_assert_eq(rc, 0, "ps_send_all -> %s after %zu", ps_errname(rc), sent);
    cr_assert_eq(sent, len);
    cr_assert_eq(r.rc, 0, "reader -> %s", ps_errname(r.rc));
    cr_assert_eq(r.total, len);
    cr_assert_eq(r.mismatch, (size_t)-1, "data differs at byte %zu",
                 r.mismatch);

    OK(ps_close(c));
    OK(ps_close(s));
    free(data);
}

Test(io, send_timeout_zero_on_full_socket, .timeout = 30)
{
    const size_t chunk = 65536;
    ps_socket_t c, s;
    unsigned char *data = pattern_buffer(chunk);
    size_t sent = 0, total = 0;
    int rc = 0;

    pst_tcp_pair(&c, &s);
    OK(ps_set_buffer_sizes(c, 4096, 0));
    OK(ps_set_buffer_sizes(s, 0, 4096));

    /* Nobody reads: the buffers fill and a non-waiting send says so. */
    for (int i = 0; i < 4096; i++) {
        sent = 0;
        rc = ps_send(c, data, chunk, &sent, 0);
        if (rc != 0)
            break;
        cr_assert_gt(sent, (size_t)0, "ps_send returned 0 with nothing sent");
        total += sent;
    }
    cr_assert_eq(rc, PS_EWOULDBLOCK, "ps_send(timeout 0) -> %s after %zu "
                 "bytes", ps_errname(rc), total);
    cr_assert_eq(sent, (size_t)0);

    int64_t t0 = pst_now_ms();
    RC_IS(ps_send(c, data, chunk, &sent, 150), PS_ETIMEDOUT);
    cr_assert_geq(pst_now_ms() - t0, 145);

    OK(ps_close(c));
    OK(ps_close(s));
    free(data);
}

/* ---- broken connections -------------------------------------------------------- */

static void send_until_error(ps_socket_t s, int *rc_out, int64_t *ms_out)
{
    unsigned char buf[1024];
    int64_t t0 = pst_now_ms();
    int rc = 0;

    memset(buf, 'p', sizeof buf);
    while (pst_now_ms() - t0 < 2000) {
        rc = ps_send(s, buf, sizeof buf, NULL, 500);
        if (rc != 0)
            break;
        pst_sleep_ms(5);
    }
    *rc_out = rc;
    *ms_out = pst_now_ms() - t0;
}

Test(io, send_after_peer_closed_no_sigpipe, .timeout = 20)
{
    ps_socket_t c, s;
    int rc;
    int64_t ms;

    pst_tcp_pair(&c, &s);
    OK(ps_close(s));
    /* A SIGPIPE would kill this process and fail the test. */
    send_until_error(c, &rc, &ms);
    cr_assert(rc == PS_EPIPE || rc == PS_ECONNRESET,
              "send to a closed peer -> %s after %lld ms", ps_errname(rc),
              (long long)ms);
    cr_assert_neq(ps_native_error(), 0, "no native error recorded");
    OK(ps_close(c));
}

Test(io, send_after_peer_closed_socketpair, .timeout = 20)
{
    ps_socket_t p[2];
    int rc;
    int64_t ms;

    OK(ps_socketpair(p));
    OK(ps_close(p[1]));
    send_until_error(p[0], &rc, &ms);
    cr_assert(rc == PS_EPIPE || rc == PS_ECONNRESET,
              "send to a closed peer -> %s after %lld ms", ps_errname(rc),
              (long long)ms);
    /* ps_send_all reports the same, with nothing counted as sent. */
    size_t sent = 99;
    rc = ps_send_all(p[0], "abc", 3, &sent, 1000);
    cr_assert(rc == PS_EPIPE || rc == PS_ECONNRESET,
              "ps_send_all to a closed peer -> %s", ps_errname(rc));
    cr_assert_eq(sent, (size_t)0);
    OK(ps_close(p[0]));
}

Test(io, recv_after_reset, .timeout = 20)
{
    ps_socket_t c, s;
    unsigned char buf[100];
    size_t got = 0;

    pst_tcp_pair(&c, &s);
    memset(buf, 'r', sizeof buf);
    OK(ps_send_all(c, buf, sizeof buf, NULL, 2000));
    /* Read one byte so the rest is known to sit unread in s's buffer;
     * closing s then resets the connection. */
    OK(ps_recv_all(s, buf, 1, &got, 2000));
    cr_assert_eq(got, (size_t)1);
    OK(ps_close(s));

    int rc = ps_recv(c, buf, sizeof buf, &got, 5000);
    if (pst_under_wine() && rc == 0 && got == 0) {
        /* Wine's recv() reports a reset as an orderly end of stream (raw
         * Winsock recv returns 0 there, even after an abortive
         * SO_LINGER {1, 0} close); its send() does see the reset. */
        rc = ps_send(c, "x", 1, NULL, 2000);
        OK(ps_close(c));
        cr_assert_eq(rc, PS_ECONNRESET, "send after the peer reset -> %s",
                     ps_errname(rc));
        cr_log_info("under Wine recv() reports a peer reset as end of stream; "
                    "the reset was checked on the send side");
        return;
    }
    cr_assert_eq(rc, PS_ECONNRESET, "recv after the peer reset -> %s "
                 "(got %zu)", ps_errname(rc), got);
    cr_assert_neq(ps_native_error(), 0, "no native error recorded");
    OK(ps_close(c));
}

Test(io, invalid_socket_is_ebadf, .timeout = 10)
{
    unsigned char buf[4] = {1, 2, 3, 4};
    size_t n = 0;

    RC_IS(ps_send(PS_INVALID_SOCKET, buf, sizeof buf, &n, 100), PS_EBADF);
    RC_IS(ps_recv(PS_INVALID_SOCKET, buf, sizeof buf, &n, 100), PS_EBADF);
    RC_IS(ps_send_all(PS_INVALID_SOCKET, buf, sizeof buf, &n, 100), PS_EBADF);
    cr_assert_eq(n, (size_t)0);
    RC_IS(ps_recv_all(PS_INVALID_SOCKET, buf, sizeof buf, &n, 100), PS_EBADF);
    cr_assert_eq(n, (size_t)0);
    RC_IS(ps_send(PS_INVALID_SOCKET, buf, sizeof buf, &n, 0), PS_EBADF);
    RC_IS(ps_recv(PS_INVALID_SOCKET, buf, sizeof buf, &n, -1), PS_EBADF);
}

Test(io, closed_socket_is_ebadf, .timeout = 10)
{
    ps_socket_t c, s;
    unsigned char buf[4] = {0};

    pst_tcp_pair(&c, &s);
    OK(ps_close(c));
    /* Nothing opened since: c's value is not reused. */
    RC_IS(ps_send(c, buf, sizeof buf, NULL, 100), PS_EBADF);
    RC_IS(ps_recv(c, buf, sizeof buf, NULL, 100), PS_EBADF);
    OK(ps_close(s));
}

Test(io, recv_with_zero_capacity_is_invalid, .timeout = 10)
{
    ps_socket_t a, b;
    char c;
    size_t got = 99;
    pst_tcp_pair(&a, &b);
    RC_IS(ps_recv(b, &c, 0, &got, 0), PS_EINVAL);
    cr_assert_eq(got, 0u);
    ps_close(a);
    ps_close(b);
}

/* NULL with length 0 is legal everywhere a buffer is taken. The library
 * must not compute NULL + 0 on the way (undefined behaviour, which the
 * asan preset's UBSan stops at), and every call gives its documented
 * result; the stream stays intact. */
Test(io, null_buffer_with_zero_length, .timeout = 20)
{
    ps_socket_t c, s, u, v;
    size_t n = 99;
    unsigned char buf[4] = {0};
    ps_addr to;
    pst_tcp_pair(&c, &s);
    static const int timeouts[] = {-1, 0, 1000};
    for (size_t i = 0; i < sizeof timeouts / sizeof timeouts[0]; i++) {
        int t = timeouts[i];
        n = 99;
        OK(ps_send(c, NULL, 0, &n, t));
        cr_assert_eq(n, 0u);
        n = 99;
        OK(ps_send_all(c, NULL, 0, &n, t));
        cr_assert_eq(n, 0u);
        n = 99;
        OK(ps_recv_all(s, NULL, 0, &n, t));
        cr_assert_eq(n, 0u);
        n = 99;
        RC_IS(ps_recv(s, NULL, 0, &n, t), PS_EINVAL);
        cr_assert_eq(n, 0u);

        ps_iovec none = {NULL, 0};
        ps_iovec two[2] = {{NULL, 0}, {NULL, 0}};
        n = 99;
        OK(ps_sendv(c, &none, 1, &n, t));
        cr_assert_eq(n, 0u);
        n = 99;
        OK(ps_sendv(c, two, 2, &n, t));
        cr_assert_eq(n, 0u);
        n = 99;
        OK(ps_sendv(c, NULL, 0, &n, t));
        cr_assert_eq(n, 0u);
        n = 99;
        OK(ps_sendv_all(c, two, 2, &n, t));
        cr_assert_eq(n, 0u);
        ps_recv_iovec rnone[2] = {{NULL, 0}, {NULL, 0}};
        n = 99;
        RC_IS(ps_recvv(s, rnone, 2, &n, t), PS_EINVAL);
        cr_assert_eq(n, 0u);

        /* An empty frame: the header goes, no payload. */
        OK(ps_send_frame(c, NULL, 0, t < 0 ? 1000 : t));
        n = 99;
        OK(ps_recv_frame(s, NULL, 0, &n, 1000));
        cr_assert_eq(n, 0u);
    }
    /* Nothing else was sent: the next byte is the first one. */
    OK(ps_send_all(c, "z", 1, NULL, 1000));
    OK(ps_recv_all(s, buf, 1, &n, 1000));
    cr_assert_eq(buf[0], 'z');

    /* Datagrams: an empty one is sent and received as such. */
    OK(ps_udp_open(&u, "127.0.0.1", "0"));
    OK(ps_udp_open(&v, "127.0.0.1", "0"));
    OK(ps_local_addr(v, &to));
    OK(ps_sendto(u, NULL, 0, &to, 1000));
    n = 99;
    OK(ps_recvfrom(v, NULL, 0, &n, NULL, 2000));
    cr_assert_eq(n, 0u);
    ps_close(u);
    ps_close(v);
    ps_close(c);
    ps_close(s);
}
