/* SPDX-License-Identifier: MIT */
/* ps_send / ps_recv / ps_send_all / ps_recv_all: data integrity, timeouts,
 * end of stream, resets, non-blocking sockets. Loopback only. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"
#include "pattern.h"
#include "portsock.h"
#include "support.h"

#include "rc_assert.h"

/* Receive buffer for transfers that must complete. On Linux loopback TCP
 * (and so under Wine) an SO_RCVBUF below about 16 KiB keeps the window far
 * under the 64 KiB loopback MSS and every segment then waits on a timer:
 * 4 MiB would take minutes. The sender's buffer stays tiny (4096), so the
 * send loop still moves data in many small partial transfers. */
#define SMALL_RCVBUF 65536

/* Buffer sizes for the pair's ends (pst_pair_open): the sender's tiny send
 * buffer; the reader's receive buffer, SMALL_RCVBUF or tiny. */
static const pst_bufs tiny_send = {4096, 0};
static const pst_bufs small_recv = {0, SMALL_RCVBUF};
static const pst_bufs tiny_recv = {0, 4096};

/* ---- basics --------------------------------------------------------------- */

Test(io, send_recv_basic, .timeout = 10)
{
    pst_pair f;
    char buf[64];
    size_t sent = 0, got = 0;

    pst_pair_open_tcp(&f);
    OK(ps_send(f.c, "hello", 5, &sent, 2000));
    cr_assert_eq(sent, (size_t)5);

    memset(buf, 0, sizeof buf);
    OK(ps_recv_all(f.s, buf, 5, &got, 2000));
    cr_assert_eq(got, (size_t)5);
    cr_assert_str_eq(buf, "hello");

    OK(ps_send(f.s, "world!", 6, &sent, 2000));
    cr_assert_eq(sent, (size_t)6);
    memset(buf, 0, sizeof buf);
    OK(ps_recv_all(f.c, buf, 6, &got, 2000));
    cr_assert_eq(got, (size_t)6);
    cr_assert_str_eq(buf, "world!");

    pst_pair_close(&f);
}

Test(io, recv_returns_what_is_there, .timeout = 10)
{
    pst_pair f;
    unsigned char buf[100];
    size_t got = 0;

    pst_pair_open_tcp(&f);
    OK(ps_send_all(f.c, "0123456789", 10, NULL, 2000));
    /* One transfer: returns the 10 bytes without waiting for 100. Loop in
     * case TCP delivers them in pieces. */
    size_t total = 0;
    while (total < 10) {
        OK(ps_recv(f.s, buf + total, sizeof buf - total, &got, 2000));
        cr_assert_gt(got, (size_t)0, "unexpected EOF");
        total += got;
    }
    cr_assert_eq(total, (size_t)10);
    cr_assert_arr_eq(buf, "0123456789", 10);
    RC_IS(ps_recv(f.s, buf, sizeof buf, &got, 0), PS_EWOULDBLOCK);

    pst_pair_close(&f);
}

Test(io, recv_eof, .timeout = 10)
{
    pst_pair f;
    char buf[16];
    size_t got = 77;

    pst_pair_open_tcp(&f);
    pst_pair_close_end(&f, &f.c);
    OK(ps_recv(f.s, buf, sizeof buf, &got, 5000));
    cr_assert_eq(got, (size_t)0, "EOF gave %zu bytes", got);
    /* Still EOF, also without waiting. */
    got = 77;
    OK(ps_recv(f.s, buf, sizeof buf, &got, 0));
    cr_assert_eq(got, (size_t)0);
    pst_pair_close(&f);
}

Test(io, recv_timeouts, .timeout = 10)
{
    pst_pair f;
    char buf[16];
    size_t got = 0;

    pst_pair_open_tcp(&f);
    RC_IS(ps_recv(f.s, buf, sizeof buf, &got, 0), PS_EWOULDBLOCK);
    cr_assert_eq(got, (size_t)0);

    int64_t t0 = pst_now_ms();
    RC_IS(ps_recv(f.s, buf, sizeof buf, &got, 150), PS_ETIMEDOUT);
    pst_assert_took(t0, 145, 2000, "ps_recv, 150 ms");
    cr_assert_eq(got, (size_t)0);

    pst_pair_close(&f);
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
    r->mismatch = PST_PATTERN_OK;
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
        if (r->mismatch == PST_PATTERN_OK)
            r->mismatch = pst_pattern_mismatch(buf, got, off);
        off += got;
        if (rc != 0) {
            r->rc = rc;
            break;
        }
        if (got != want) {
            r->rc = PS_EUNKNOWN; /* success must mean all bytes */
            break;
        }
        if (step % 8 == 0)
            pst_sleep_ms(1);
    }
    r->total = off;
    free(buf);
}

/* Sends len pattern bytes from f->c with one ps_send_all while a slow
 * reader thread takes them from f->s, and checks that every byte arrived,
 * in order. */
static void send_to_slow_reader(pst_pair *f, size_t len)
{
    unsigned char *data = pst_pattern_buffer(0, len);
    slow_reader r;
    size_t sent = 0;

    memset(&r, 0, sizeof r);
    r.s = f->s;
    r.len = len;
    pst_pair_start_peer(f, slow_reader_main, &r);
    int rc = ps_send_all(f->c, data, len, &sent, 60000);
    pst_pair_join_peer(f);
    free(data);

    cr_assert_eq(rc, 0, "ps_send_all -> %s after %zu bytes", ps_errname(rc),
                 sent);
    cr_assert_eq(sent, len);
    cr_assert_eq(r.rc, 0, "reader -> %s after %zu bytes", ps_errname(r.rc),
                 r.total);
    cr_assert_eq(r.total, len);
    cr_assert_eq(r.mismatch, PST_PATTERN_OK, "data differs at byte %zu",
                 r.mismatch);
}

Test(io, send_all_recv_all_4mib_tiny_buffers, .timeout = 120)
{
    pst_pair f;
    size_t got = 0;
    unsigned char extra[8];

    pst_pair_open(&f, PST_PAIR_TCP, tiny_send, small_recv);
    send_to_slow_reader(&f, (size_t)4 << 20);
    /* Exactly the 4 MiB: nothing more is waiting. */
    RC_IS(ps_recv(f.s, extra, sizeof extra, &got, 0), PS_EWOULDBLOCK);
    pst_pair_close(&f);
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
    pst_pair f;
    unsigned char *data = pst_pattern_buffer(0, len);
    unsigned char *in = malloc(len);
    slow_writer w;
    size_t got = 0;

    cr_assert_not_null(in);
    memset(in, 0, len);
    pst_pair_open(&f, PST_PAIR_TCP, tiny_send, small_recv);

    memset(&w, 0, sizeof w);
    w.s = f.c;
    w.data = data;
    w.len = len;
    pst_pair_start_peer(&f, slow_writer_main, &w);
    int rc = ps_recv_all(f.s, in, len, &got, 60000);
    pst_pair_join_peer(&f);

    cr_assert_eq(w.rc, 0, "writer -> %s", ps_errname(w.rc));
    cr_assert_eq(w.total, len);
    cr_assert_eq(rc, 0, "ps_recv_all -> %s after %zu", ps_errname(rc), got);
    cr_assert_eq(got, len);
    size_t bad = pst_pattern_mismatch(in, len, 0);
    cr_assert_eq(bad, PST_PATTERN_OK, "data differs at byte %zu", bad);

    pst_pair_close(&f);
    free(in);
    free(data);
}

Test(io, socketpair_4mib, .timeout = 120)
{
    pst_pair f;

    /* On Windows the pair is loopback TCP: see SMALL_RCVBUF. */
    pst_pair_open(&f, PST_PAIR_SOCKETPAIR, (pst_bufs){4096, 4096},
                  (pst_bufs){4096, SMALL_RCVBUF});
    send_to_slow_reader(&f, (size_t)4 << 20);
    pst_pair_close(&f);
}

/* ---- partial progress on timeout ------------------------------------------ */

Test(io, send_all_timeout_reports_exact_count, .timeout = 60)
{
    const size_t len = (size_t)16 << 20;
    pst_pair f;
    unsigned char *data = pst_pattern_buffer(0, len);
    unsigned char *buf = malloc(65536);
    size_t sent = 0;

    cr_assert_not_null(buf);
    pst_pair_open(&f, PST_PAIR_TCP, tiny_send, tiny_recv);

    int64_t t0 = pst_now_ms();
    int rc = ps_send_all(f.c, data, len, &sent, 300);
    int64_t dt = pst_now_ms() - t0;
    pst_assert_took(t0, 295, 3000, "ps_send_all, 300 ms");

    cr_assert_eq(rc, PS_ETIMEDOUT, "ps_send_all -> %s", ps_errname(rc));
    cr_assert_gt(sent, (size_t)0, "nothing was sent");
    cr_assert_lt(sent, len, "everything was sent to a peer that never reads");

    /* The reader gets exactly the bytes reported, in order, and no more.
     * A larger receive buffer first, so the drain does not stall on TCP
     * timers (see SMALL_RCVBUF). */
    OK(ps_set_buffer_sizes(f.s, 0, SMALL_RCVBUF));
    size_t total = 0;
    size_t bad = PST_PATTERN_OK;
    int64_t d0 = pst_now_ms();
    while (total < sent) {
        size_t got = 0;
        rc = ps_recv(f.s, buf, 65536, &got, 5000);
        cr_assert_eq(rc, 0, "drain -> %s after %zu of %zu bytes",
                     ps_errname(rc), total, sent);
        cr_assert_gt(got, (size_t)0, "unexpected EOF after %zu bytes", total);
        if (bad == PST_PATTERN_OK)
            bad = pst_pattern_mismatch(buf, got, total);
        total += got;
        cr_assert_leq(total, sent,
                      "received %zu bytes, only %zu reported "
                      "sent",
                      total, sent);
    }
    cr_log_info("send_all moved %zu bytes in %lld ms; drained in %lld ms", sent,
                (long long)dt, (long long)(pst_now_ms() - d0));
    /* And not one byte more. */
    size_t extra = 0;
    rc = ps_recv(f.s, buf, 65536, &extra, 300);
    cr_assert_eq(rc, PS_ETIMEDOUT,
                 "after the %zu reported bytes: %s with "
                 "%zu more",
                 sent, ps_errname(rc), extra);
    cr_assert_eq(bad, PST_PATTERN_OK, "data differs at byte %zu", bad);

    pst_pair_close(&f);
    free(buf);
    free(data);
}

Test(io, recv_all_timeout_reports_partial, .timeout = 10)
{
    pst_pair f;
    unsigned char out[10], in[100];
    size_t got = 0;

    for (size_t i = 0; i < sizeof out; i++)
        out[i] = (unsigned char)(0xA0 + i);
    pst_pair_open_tcp(&f);
    OK(ps_send_all(f.c, out, sizeof out, NULL, 2000));

    int64_t t0 = pst_now_ms();
    int rc = ps_recv_all(f.s, in, sizeof in, &got, 200);
    pst_assert_took(t0, 195, 2000, "ps_recv_all, 200 ms");
    cr_assert_eq(rc, PS_ETIMEDOUT, "ps_recv_all -> %s", ps_errname(rc));
    cr_assert_eq(got, (size_t)10);
    cr_assert_arr_eq(in, out, sizeof out);

    pst_pair_close(&f);
}

Test(io, recv_all_closed_reports_partial, .timeout = 10)
{
    pst_pair f;
    unsigned char out[10], in[100];
    size_t got = 0;

    for (size_t i = 0; i < sizeof out; i++)
        out[i] = (unsigned char)(0x30 + i);
    pst_pair_open_tcp(&f);
    OK(ps_send_all(f.c, out, sizeof out, NULL, 2000));
    pst_pair_close_end(&f, &f.c);

    RC_IS(ps_recv_all(f.s, in, sizeof in, &got, 5000), PS_ECLOSED);
    cr_assert_eq(got, (size_t)10);
    cr_assert_arr_eq(in, out, sizeof out);

    /* Closed before anything arrived: PS_ECLOSED with got 0. */
    got = 55;
    RC_IS(ps_recv_all(f.s, in, sizeof in, &got, 5000), PS_ECLOSED);
    cr_assert_eq(got, (size_t)0);
    pst_pair_close(&f);
}

Test(io, zero_length_and_null_arguments, .timeout = 10)
{
    pst_pair f;
    unsigned char buf[8];
    size_t n = 99;

    pst_pair_open_tcp(&f);

    /* len 0 returns at once, even with an endless timeout. */
    int64_t t0 = pst_now_ms();
    OK(ps_recv_all(f.s, buf, 0, &n, -1));
    cr_assert_eq(n, (size_t)0);
    n = 99;
    OK(ps_send_all(f.c, buf, 0, &n, -1));
    cr_assert_eq(n, (size_t)0);
    cr_assert_lt(pst_now_ms() - t0, 1000);
    /* Nothing was put on the wire. */
    RC_IS(ps_recv(f.s, buf, sizeof buf, &n, 0), PS_EWOULDBLOCK);

    /* NULL buffer with a length. */
    RC_IS(ps_send(f.c, NULL, 4, &n, 1000), PS_EINVAL);
    RC_IS(ps_recv(f.s, NULL, 4, &n, 1000), PS_EINVAL);
    RC_IS(ps_send_all(f.c, NULL, 4, &n, 1000), PS_EINVAL);
    RC_IS(ps_recv_all(f.s, NULL, 4, &n, 1000), PS_EINVAL);

    /* sent / got may be NULL. */
    OK(ps_send(f.c, "ab", 2, NULL, 2000));
    OK(ps_send_all(f.c, "cd", 2, NULL, 2000));
    OK(ps_recv_all(f.s, buf, 3, NULL, 2000));
    cr_assert_arr_eq(buf, "abc", 3);
    OK(ps_recv(f.s, buf, 1, NULL, 2000));
    cr_assert_eq(buf[0], 'd');

    pst_pair_close(&f);
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
    pst_pair f;
    late_sender ls;
    char buf[16];
    size_t got = 0;

    pst_pair_open_tcp(&f);
    ls.s = f.c;
    ls.rc = 1;
    pst_pair_start_peer(&f, late_sender_main, &ls);
    /* The thread is guaranteed to send, so this wait is bounded. */
    int64_t t0 = pst_now_ms();
    int rc = ps_recv(f.s, buf, sizeof buf, &got, -1);
    int64_t dt = pst_now_ms() - t0;
    pst_pair_join_peer(&f);

    cr_assert_eq(ls.rc, 0, "sender -> %s", ps_errname(ls.rc));
    cr_assert_eq(rc, 0, "ps_recv(-1) -> %s", ps_errname(rc));
    cr_assert_eq(got, (size_t)1);
    cr_assert_eq(buf[0], '!');
    cr_assert_geq(dt, 50, "returned after %lld ms, before the send",
                  (long long)dt);

    pst_pair_close(&f);
}

/* ---- non-blocking sockets ----------------------------------------------------- */

Test(io, nonblocking_sockets_with_timeouts, .timeout = 120)
{
    pst_pair f;
    unsigned char small[10];
    size_t got = 0;

    pst_pair_open(&f, PST_PAIR_TCP, tiny_send, small_recv);
    OK(ps_set_nonblocking(f.c, 1));
    OK(ps_set_nonblocking(f.s, 1));

    /* A timed wait on a non-blocking socket waits, it does not return
     * PS_EWOULDBLOCK early. */
    int64_t t0 = pst_now_ms();
    RC_IS(ps_recv_all(f.s, small, sizeof small, &got, 150), PS_ETIMEDOUT);
    pst_assert_took(t0, 145, 0, "ps_recv_all, 150 ms");
    cr_assert_eq(got, (size_t)0);
    RC_IS(ps_recv_all(f.s, small, sizeof small, &got, 0), PS_EWOULDBLOCK);

    send_to_slow_reader(&f, (size_t)1 << 20);
    pst_pair_close(&f);
}

Test(io, send_timeout_zero_on_full_socket, .timeout = 30)
{
    const size_t chunk = 65536;
    pst_pair f;
    unsigned char *data = pst_pattern_buffer(0, chunk);
    size_t sent = 0, total = 0;
    int rc = 0;

    pst_pair_open(&f, PST_PAIR_TCP, tiny_send, tiny_recv);

    /* Nobody reads: the buffers fill and a non-waiting send says so. */
    for (int i = 0; i < 4096; i++) {
        sent = 0;
        rc = ps_send(f.c, data, chunk, &sent, 0);
        if (rc != 0)
            break;
        cr_assert_gt(sent, (size_t)0, "ps_send returned 0 with nothing sent");
        total += sent;
    }
    cr_assert_eq(rc, PS_EWOULDBLOCK,
                 "ps_send(timeout 0) -> %s after %zu "
                 "bytes",
                 ps_errname(rc), total);
    cr_assert_eq(sent, (size_t)0);

    int64_t t0 = pst_now_ms();
    RC_IS(ps_send(f.c, data, chunk, &sent, 150), PS_ETIMEDOUT);
    cr_assert_geq(pst_now_ms() - t0, 145);

    pst_pair_close(&f);
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

/* Sends to a peer that closed until a send fails: the error is a broken
 * pipe or a reset, recorded natively (a SIGPIPE would kill this process and
 * fail the test), and ps_send_all then reports the same with nothing
 * counted as sent. */
static void send_to_closed_peer(pst_pair_kind kind)
{
    pst_pair f;
    int rc;
    int64_t ms;

    pst_pair_open(&f, kind, PST_BUFS_ASIS, PST_BUFS_ASIS);
    pst_pair_close_end(&f, &f.s);
    send_until_error(f.c, &rc, &ms);
    cr_assert(rc == PS_EPIPE || rc == PS_ECONNRESET,
              "send to a closed peer -> %s after %lld ms", ps_errname(rc),
              (long long)ms);
    cr_assert_neq(ps_native_error(), 0, "no native error recorded");
    size_t sent = 99;
    rc = ps_send_all(f.c, "abc", 3, &sent, 1000);
    cr_assert(rc == PS_EPIPE || rc == PS_ECONNRESET,
              "ps_send_all to a closed peer -> %s", ps_errname(rc));
    cr_assert_eq(sent, (size_t)0);
    pst_pair_close(&f);
}

Test(io, send_after_peer_closed_no_sigpipe, .timeout = 20)
{
    send_to_closed_peer(PST_PAIR_TCP);
}

Test(io, send_after_peer_closed_socketpair, .timeout = 20)
{
    send_to_closed_peer(PST_PAIR_SOCKETPAIR);
}

Test(io, recv_after_reset, .timeout = 20)
{
    pst_pair f;
    unsigned char buf[100];
    size_t got = 0;

    pst_pair_open_tcp(&f);
    memset(buf, 'r', sizeof buf);
    OK(ps_send_all(f.c, buf, sizeof buf, NULL, 2000));
    /* Read one byte so the rest is known to sit unread in s's buffer;
     * closing s then resets the connection. */
    OK(ps_recv_all(f.s, buf, 1, &got, 2000));
    cr_assert_eq(got, (size_t)1);
    pst_pair_close_end(&f, &f.s);

    int rc = ps_recv(f.c, buf, sizeof buf, &got, 5000);
    if (pst_under_wine() && rc == 0 && got == 0) {
        /* Wine's recv() reports a reset as an orderly end of stream (raw
         * Winsock recv returns 0 there, even after an abortive
         * SO_LINGER {1, 0} close); its send() does see the reset. */
        rc = ps_send(f.c, "x", 1, NULL, 2000);
        pst_pair_close(&f);
        cr_assert_eq(rc, PS_ECONNRESET, "send after the peer reset -> %s",
                     ps_errname(rc));
        cr_log_info("under Wine recv() reports a peer reset as end of stream; "
                    "the reset was checked on the send side");
        return;
    }
    cr_assert_eq(rc, PS_ECONNRESET,
                 "recv after the peer reset -> %s "
                 "(got %zu)",
                 ps_errname(rc), got);
    cr_assert_neq(ps_native_error(), 0, "no native error recorded");
    pst_pair_close(&f);
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
    pst_pair f;
    unsigned char buf[4] = {0};

    pst_pair_open_tcp(&f);
    ps_socket_t c = f.c;
    pst_pair_close_end(&f, &f.c);
    /* Nothing opened since: c's value is not reused. */
    RC_IS(ps_send(c, buf, sizeof buf, NULL, 100), PS_EBADF);
    RC_IS(ps_recv(c, buf, sizeof buf, NULL, 100), PS_EBADF);
    pst_pair_close(&f);
}

Test(io, recv_with_zero_capacity_is_invalid, .timeout = 10)
{
    pst_pair f;
    char c;
    size_t got = 99;
    pst_pair_open_tcp(&f);
    RC_IS(ps_recv(f.s, &c, 0, &got, 0), PS_EINVAL);
    cr_assert_eq(got, 0u);
    pst_pair_close(&f);
}

/* NULL with length 0 is legal everywhere a buffer is taken. The library
 * must not compute NULL + 0 on the way (undefined behaviour, which the
 * asan preset's UBSan stops at), and every call gives its documented
 * result; the stream stays intact. */
Test(io, null_buffer_with_zero_length, .timeout = 20)
{
    pst_pair f;
    ps_socket_t u, v;
    size_t n = 99;
    unsigned char buf[4] = {0};
    ps_addr to;
    pst_pair_open_tcp(&f);
    static const int timeouts[] = {-1, 0, 1000};
    for (size_t i = 0; i < sizeof timeouts / sizeof timeouts[0]; i++) {
        int t = timeouts[i];
        n = 99;
        OK(ps_send(f.c, NULL, 0, &n, t));
        cr_assert_eq(n, 0u);
        n = 99;
        OK(ps_send_all(f.c, NULL, 0, &n, t));
        cr_assert_eq(n, 0u);
        n = 99;
        OK(ps_recv_all(f.s, NULL, 0, &n, t));
        cr_assert_eq(n, 0u);
        n = 99;
        RC_IS(ps_recv(f.s, NULL, 0, &n, t), PS_EINVAL);
        cr_assert_eq(n, 0u);

        ps_iovec none = {NULL, 0};
        ps_iovec two[2] = {{NULL, 0}, {NULL, 0}};
        n = 99;
        OK(ps_sendv(f.c, &none, 1, &n, t));
        cr_assert_eq(n, 0u);
        n = 99;
        OK(ps_sendv(f.c, two, 2, &n, t));
        cr_assert_eq(n, 0u);
        n = 99;
        OK(ps_sendv(f.c, NULL, 0, &n, t));
        cr_assert_eq(n, 0u);
        n = 99;
        OK(ps_sendv_all(f.c, two, 2, &n, t));
        cr_assert_eq(n, 0u);
        ps_recv_iovec rnone[2] = {{NULL, 0}, {NULL, 0}};
        n = 99;
        RC_IS(ps_recvv(f.s, rnone, 2, &n, t), PS_EINVAL);
        cr_assert_eq(n, 0u);

        /* An empty frame: the header goes, no payload. */
        OK(ps_send_frame(f.c, NULL, 0, t < 0 ? 1000 : t));
        n = 99;
        OK(ps_recv_frame(f.s, NULL, 0, &n, 1000));
        cr_assert_eq(n, 0u);
    }
    /* Nothing else was sent: the next byte is the first one. */
    OK(ps_send_all(f.c, "z", 1, NULL, 1000));
    OK(ps_recv_all(f.s, buf, 1, &n, 1000));
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
    pst_pair_close(&f);
}
