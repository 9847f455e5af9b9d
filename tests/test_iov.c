/* SPDX-License-Identifier: MIT */
/* ps_sendv / ps_sendv_all / ps_recvv: order across buffers, empty buffers,
 * more buffers than one system call takes, partial sends with exact counts
 * on timeout and on reset, argument checks. Loopback only. */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "fixtures.h"
#include "pattern.h"
#include "portsock.h"
#include "support.h"

#include "rc_assert.h"

/* More than IOV_MAX (1024 on Linux) and than one call's batch. */
#define MANY 3000

/* Buffer sizes for the pair's ends: the sender's tiny send buffer, the
 * reader's tiny or 64 KiB receive buffer (below about 16 KiB, Linux
 * loopback waits on timers when the reader keeps up). */
static const pst_bufs tiny_send = {4096, 0};
static const pst_bufs tiny_recv = {0, 4096};
static const pst_bufs small_recv = {0, 65536};

/* Splits a pattern of `total` bytes into `n` send buffers of uneven sizes
 * (every third one empty), returning the buffers and the pattern. */
static ps_iovec *split(unsigned char **data, size_t total, size_t n)
{
    ps_iovec *v = calloc(n, sizeof *v);
    unsigned char *d = malloc(total ? total : 1);
    cr_assert(v && d);
    pst_pattern_fill(d, 0, total);
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = (i % 3 == 2) ? 0 : 1 + (i * 7) % 13;
        if (i == n - 1 || len > total - at)
            len = total - at;
        v[i].base = len ? d + at : NULL;
        v[i].len = len;
        at += len;
    }
    cr_assert_eq(at, total, "split covers %zu of %zu bytes", at, total);
    *data = d;
    return v;
}

/* Buffers of `each` bytes over data[0 .. n * each), starting at byte
 * `from` (the first one cut short); returns how many. */
static size_t chunks_from(ps_iovec *v, const unsigned char *data, size_t n,
                          size_t each, size_t from)
{
    size_t k = 0;
    for (size_t i = from / each; i < n; i++, k++) {
        size_t skip = i == from / each ? from % each : 0;
        v[k].base = data + i * each + skip;
        v[k].len = each - skip;
    }
    return k;
}

static size_t total_of(const ps_iovec *v, size_t n)
{
    size_t t = 0;
    for (size_t i = 0; i < n; i++)
        t += v[i].len;
    return t;
}

/* Calls ps_recvv until every buffer is full, moving past what each call
 * filled; returns the number of calls. */
static size_t recvv_fully(ps_socket_t s, const ps_recv_iovec *in, size_t n)
{
    ps_recv_iovec *rest = calloc(n ? n : 1, sizeof *rest);
    size_t i = 0, off = 0, calls = 0;
    cr_assert_not_null(rest);
    for (;;) {
        while (i < n && off == in[i].len) {
            i++;
            off = 0;
        }
        if (i == n)
            break;
        for (size_t k = i; k < n; k++)
            rest[k - i] = in[k];
        rest[0].base = (unsigned char *)rest[0].base + off;
        rest[0].len -= off;
        size_t got = 0;
        OK(ps_recvv(s, rest, n - i, &got, 5000));
        cr_assert_gt(got, (size_t)0, "end of stream");
        calls++;
        while (got > 0) {
            size_t step = in[i].len - off < got ? in[i].len - off : got;
            off += step;
            got -= step;
            while (i < n && off == in[i].len) {
                i++;
                off = 0;
            }
        }
    }
    free(rest);
    return calls;
}

Test(iov, gather_and_scatter_in_order, .timeout = 10)
{
    pst_pair f;
    size_t sent = 0;
    char a[3], b[1], d[6];
    pst_pair_open_tcp(&f);

    ps_iovec out[4] = {{"abc", 3}, {NULL, 0}, {"d", 1}, {"efghij", 6}};
    OK(ps_sendv_all(f.c, out, 4, &sent, 2000));
    cr_assert_eq(sent, (size_t)10);

    ps_recv_iovec in[4] = {
        {a, sizeof a}, {NULL, 0}, {b, sizeof b}, {d, sizeof d}};
    recvv_fully(f.s, in, 4);
    cr_assert_arr_eq(a, "abc", 3);
    cr_assert_arr_eq(b, "d", 1);
    cr_assert_arr_eq(d, "efghij", 6);
    pst_pair_close(&f);
}

Test(iov, recvv_fills_each_buffer_before_the_next, .timeout = 10)
{
    pst_pair f;
    unsigned char x[4], y[4], z[4];
    size_t got = 0;
    pst_pair_open(&f, PST_PAIR_SOCKETPAIR, PST_BUFS_ASIS, PST_BUFS_ASIS);
    OK(ps_send_all(f.c, "0123456789", 10, NULL, 2000));
    pst_sleep_ms(20);
    ps_recv_iovec in[3] = {{x, 4}, {y, 4}, {z, 4}};
    OK(ps_recvv(f.s, in, 3, &got, 2000));
    cr_assert_eq(got, (size_t)10, "got %zu", got);
    cr_assert_arr_eq(x, "0123", 4);
    cr_assert_arr_eq(y, "4567", 4);
    cr_assert_arr_eq(z, "89", 2);
    pst_pair_close(&f);
}

typedef struct drain_arg {
    ps_socket_t s;
    size_t want; /* bytes to read */
    size_t got;
    size_t bad; /* first mismatching stream offset, or -1 */
    int rc;
    int delay_ms; /* before reading starts */
} drain_arg;

static void drain(void *p)
{
    drain_arg *a = p;
    unsigned char buf[4096];
    a->bad = PST_PATTERN_OK;
    if (a->delay_ms)
        pst_sleep_ms(a->delay_ms);
    while (a->got < a->want) {
        size_t n = 0, cap = a->want - a->got < sizeof buf ? a->want - a->got
                                                          : sizeof buf;
        a->rc = ps_recv(a->s, buf, cap, &n, 10000);
        if (a->rc != 0 || n == 0)
            return;
        if (a->bad == PST_PATTERN_OK)
            a->bad = pst_pattern_mismatch(buf, n, a->got);
        a->got += n;
    }
}

Test(iov, sendv_all_more_buffers_than_iov_max, .timeout = 60)
{
    pst_pair f;
    unsigned char *data;
    ps_iovec *v = split(&data, 20000, MANY);
    size_t total = total_of(v, MANY), sent = 0;
    pst_pair_open_tcp(&f);
    drain_arg a = {f.s, total, 0, 0, 0, 0};
    pst_pair_start_peer(&f, drain, &a);
    OK(ps_sendv_all(f.c, v, MANY, &sent, 10000));
    pst_pair_join_peer(&f);
    cr_assert_eq(sent, total);
    OK(a.rc);
    cr_assert_eq(a.got, total);
    cr_assert_eq(a.bad, PST_PATTERN_OK, "stream differs at byte %zu", a.bad);
    pst_pair_close(&f);
    free(v);
    free(data);
}

Test(iov, recvv_more_buffers_than_iov_max, .timeout = 60)
{
    pst_pair f;
    enum { N = MANY, TOTAL = MANY * 2 };
    unsigned char *space = malloc(TOTAL);
    unsigned char *data = pst_pattern_buffer(0, TOTAL);
    ps_recv_iovec *in = calloc(N, sizeof *in);
    cr_assert(space && in);
    for (size_t i = 0; i < N; i++) {
        in[i].base = space + 2 * i;
        in[i].len = 2;
    }
    pst_pair_open_tcp(&f);
    OK(ps_send_all(f.c, data, TOTAL, NULL, 5000));
    recvv_fully(f.s, in, N);
    cr_assert_arr_eq(space, data, TOTAL);
    pst_pair_close(&f);
    free(space);
    free(data);
    free(in);
}

Test(iov, sendv_all_timeout_reports_exact_count, .timeout = 60)
{
    enum { N = 200 };
    const size_t each = 64 << 10; /* 12.5 MiB in all: far more than fits */
    pst_pair f;
    unsigned char *data = pst_pattern_buffer(0, N * each);
    ps_iovec v[N];
    size_t sent = 0;
    chunks_from(v, data, N, each, 0);
    pst_pair_open(&f, PST_PAIR_TCP, tiny_send, tiny_recv);

    int64_t t0 = pst_now_ms();
    int rc = ps_sendv_all(f.c, v, N, &sent, 300);
    pst_assert_took(t0, 295, 3000, "ps_sendv_all, 300 ms");
    RC_IS(rc, PS_ETIMEDOUT);
    cr_assert_gt(sent, (size_t)0);
    cr_assert_lt(sent, N * each);

    /* The peer gets exactly the bytes reported, in order, and no more. */
    OK(ps_set_buffer_sizes(f.s, 0, 65536));
    drain_arg a = {f.s, sent, 0, 0, 0, 0};
    drain(&a);
    OK(a.rc);
    cr_assert_eq(a.got, sent);
    cr_assert_eq(a.bad, PST_PATTERN_OK, "stream differs at byte %zu", a.bad);
    unsigned char extra;
    size_t n = 0;
    RC_IS(ps_recv(f.s, &extra, 1, &n, 300), PS_ETIMEDOUT);
    cr_log_info("sendv_all moved %zu bytes before its deadline", sent);
    pst_pair_close(&f);
    free(data);
}

Test(iov, sendv_partial_with_slow_reader, .timeout = 60)
{
    enum { N = 8 };
    const size_t each = 256 << 10;
    pst_pair f;
    unsigned char *data = pst_pattern_buffer(0, N * each);
    pst_pair_open(&f, PST_PAIR_TCP, tiny_send, small_recv);
    /* A reader that starts late: one ps_sendv moves only part, and the
     * loop over single transfers must still deliver every byte once. */
    drain_arg a = {f.s, N * each, 0, 0, 0, 200};
    pst_pair_start_peer(&f, drain, &a);
    size_t done = 0, calls = 0, partial = 0;
    while (done < N * each) {
        ps_iovec rest[N];
        size_t k = chunks_from(rest, data, N, each, done);
        size_t sent = 0;
        OK(ps_sendv(f.c, rest, k, &sent, 10000));
        cr_assert_gt(sent, (size_t)0);
        if (sent < total_of(rest, k))
            partial++;
        done += sent;
        calls++;
    }
    pst_pair_join_peer(&f);
    cr_assert_gt(partial, (size_t)0,
                 "no transfer was partial; the test "
                 "did not exercise partial sends");
    OK(a.rc);
    cr_assert_eq(a.got, N * each);
    cr_assert_eq(a.bad, PST_PATTERN_OK, "stream differs at byte %zu", a.bad);
    cr_log_info("%zu ps_sendv calls, %zu partial", calls, partial);
    pst_pair_close(&f);
    free(data);
}

Test(iov, sendv_all_after_peer_reset_reports_what_went, .timeout = 30)
{
    enum { N = 64 };
    const size_t each = 64 << 10;
    pst_pair f;
    unsigned char *data = malloc(N * each);
    unsigned char first[100];
    ps_iovec v[N];
    size_t sent = 0, got = 0;
    cr_assert_not_null(data);
    memset(data, 'z', N * each);
    chunks_from(v, data, N, each, 0);
    pst_pair_open(&f, PST_PAIR_TCP, tiny_send, tiny_recv);
    OK(ps_send_all(f.c, data, sizeof first, NULL, 2000));
    OK(ps_recv_all(f.s, first, 1, &got, 2000));
    /* Unread bytes in s's buffer: closing it resets the connection. */
    pst_pair_close_end(&f, &f.s);
    int rc = ps_sendv_all(f.c, v, N, &sent, 5000);
    cr_assert(rc == PS_ECONNRESET || rc == PS_EPIPE,
              "ps_sendv_all after a reset -> %s", ps_errname(rc));
    cr_assert_lt(sent, N * each, "all %zu bytes reported sent to a reset peer",
                 sent);
    pst_pair_close(&f);
    free(data);
}

Test(iov, recvv_end_of_stream, .timeout = 10)
{
    pst_pair f;
    char a[4], b[4];
    size_t got = 99;
    pst_pair_open(&f, PST_PAIR_SOCKETPAIR, PST_BUFS_ASIS, PST_BUFS_ASIS);
    OK(ps_shutdown(f.c, PS_SHUT_WR));
    ps_recv_iovec in[2] = {{a, 4}, {b, 4}};
    OK(ps_recvv(f.s, in, 2, &got, 2000));
    cr_assert_eq(got, (size_t)0);
    pst_pair_close(&f);
}

Test(iov, recvv_timeout, .timeout = 10)
{
    pst_pair f;
    char a[4], b[4];
    size_t got = 99;
    pst_pair_open(&f, PST_PAIR_SOCKETPAIR, PST_BUFS_ASIS, PST_BUFS_ASIS);
    ps_recv_iovec in[2] = {{a, 4}, {b, 4}};
    int64_t t0 = pst_now_ms();
    RC_IS(ps_recvv(f.s, in, 2, &got, 150), PS_ETIMEDOUT);
    pst_assert_took(t0, 145, 0, "ps_recvv, 150 ms");
    cr_assert_eq(got, (size_t)0);
    RC_IS(ps_recvv(f.s, in, 2, &got, 0), PS_EWOULDBLOCK);
    pst_pair_close(&f);
}

Test(iov, argument_checks, .timeout = 10)
{
    pst_pair f;
    char buf[4];
    size_t n = 99;
    pst_pair_open(&f, PST_PAIR_SOCKETPAIR, PST_BUFS_ASIS, PST_BUFS_ASIS);

    RC_IS(ps_sendv(f.c, NULL, 1, &n, 100), PS_EINVAL);
    cr_assert_eq(n, (size_t)0);
    ps_iovec null_base = {NULL, 3};
    RC_IS(ps_sendv_all(f.c, &null_base, 1, &n, 100), PS_EINVAL);
    ps_iovec huge[2] = {{buf, (size_t)-1}, {buf, 2}};
    RC_IS(ps_sendv(f.c, huge, 2, &n, 100), PS_EINVAL);
    ps_recv_iovec empty[2] = {{NULL, 0}, {buf, 0}};
    RC_IS(ps_recvv(f.s, empty, 2, &n, 100), PS_EINVAL);
    RC_IS(ps_recvv(f.s, NULL, 0, &n, 100), PS_EINVAL);
    ps_recv_iovec one = {buf, sizeof buf};
    RC_IS(ps_recvv(PS_INVALID_SOCKET, &one, 1, &n, 100), PS_EBADF);
    ps_iovec data = {"x", 1};
    RC_IS(ps_sendv(PS_INVALID_SOCKET, &data, 1, &n, 100), PS_EBADF);

    /* Nothing to send is a success that sends nothing. */
    ps_iovec nothing[2] = {{NULL, 0}, {"", 0}};
    OK(ps_sendv(f.c, nothing, 2, &n, 100));
    cr_assert_eq(n, (size_t)0);
    OK(ps_sendv_all(f.c, NULL, 0, &n, 100));
    cr_assert_eq(n, (size_t)0);
    RC_IS(ps_recv(f.s, buf, sizeof buf, &n, 0), PS_EWOULDBLOCK);
    /* Empty buffers make no call, one or several: no error from a peer
     * that is gone (a zero-length send() would report EPIPE on POSIX). */
    ps_socket_t gone[2];
    OK(ps_socketpair(gone));
    OK(ps_close(gone[1]));
    ps_iovec one_empty = {NULL, 0};
    OK(ps_sendv(gone[0], &one_empty, 1, &n, 100));
    OK(ps_sendv(gone[0], nothing, 2, &n, 100));
    OK(ps_close(gone[0]));
    /* sent may be NULL. */
    OK(ps_sendv_all(f.c, &data, 1, NULL, 100));
    OK(ps_recv_all(f.s, buf, 1, NULL, 1000));
    cr_assert_eq(buf[0], 'x');
    pst_pair_close(&f);
}
