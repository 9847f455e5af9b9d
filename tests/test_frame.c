/* SPDX-License-Identifier: MIT */
/* Length-prefixed frames: round trips, the wire format, hostile and
 * truncated input, timeouts. Loopback only. */
#include <criterion/criterion.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"
#include "pattern.h"
#include "portsock.h"
#include "support.h"

#include "rc_assert.h"

static void send_raw(ps_socket_t s, const void *buf, size_t len)
{
    size_t sent = 0;
    OK(ps_send_all(s, buf, len, &sent, 5000));
    cr_assert_eq(sent, len);
}

static void send_header(ps_socket_t s, uint32_t announced)
{
    unsigned char h[4];
    ps_store_be32(h, announced);
    send_raw(s, h, sizeof h);
}

/* ---- round trips ------------------------------------------------------------ */

static void round_trip_small(size_t n)
{
    pst_pair f;
    unsigned char *out = pst_pattern_buffer(0, n);
    unsigned char *in = malloc(n + 16);
    size_t len = (size_t)-1;

    cr_assert_not_null(in);
    memset(in, 0xEE, n + 16);
    pst_pair_open_tcp(&f);
    OK(ps_send_frame(f.c, out, n, 5000));
    OK(ps_recv_frame(f.s, in, n + 16, &len, 5000));
    cr_assert_eq(len, n, "frame of %zu came back as %zu", n, len);
    if (n > 0)
        cr_assert_arr_eq(in, out, n, "payload of %zu bytes differs", n);
    /* Nothing beyond the frame was consumed or sent. */
    RC_IS(ps_recv_frame(f.s, in, n + 16, &len, 0), PS_EWOULDBLOCK);

    pst_pair_close(&f);
    free(in);
    free(out);
}

Test(frame, round_trip_empty, .timeout = 10)
{
    round_trip_small(0);
}
Test(frame, round_trip_one_byte, .timeout = 10)
{
    round_trip_small(1);
}
Test(frame, round_trip_1000, .timeout = 10)
{
    round_trip_small(1000);
}

/* ---- request/response with Nagle on ---------------------------------------- */

enum { RR_ROUNDS = 1000, RR_PAYLOAD = 30 };

typedef struct echo_arg {
    ps_socket_t s;
    int rounds;
    int rc;
} echo_arg;

static void echo_frames(void *p)
{
    echo_arg *a = p;
    unsigned char buf[RR_PAYLOAD];
    size_t len = 0;
    for (a->rounds = 0; a->rounds < RR_ROUNDS; a->rounds++) {
        if ((a->rc = ps_recv_frame(a->s, buf, sizeof buf, &len, 10000)) != 0 ||
            (a->rc = ps_send_frame(a->s, buf, len, 10000)) != 0)
            return;
    }
}

/* A header written apart from its payload waits, under Nagle, for the
 * peer's delayed ACK (40 ms on Linux, up to 200 ms on Windows) on every
 * round trip. Frames must leave whole, so small round trips with Nagle on
 * (the default) take a fraction of a millisecond each. The median trip is
 * judged, not the mean: a stall slows every trip past 40 ms, while a busy
 * machine (Wine under a parallel ctest) only slows some. */
static int compare_ms(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

Test(frame, request_response_with_nagle_is_not_stalled, .timeout = 120)
{
    static int64_t trip_ms[RR_ROUNDS];
    pst_pair f;
    unsigned char req[RR_PAYLOAD], resp[RR_PAYLOAD];
    size_t len = 0;
    pst_pair_open_tcp(&f);
    echo_arg a = {f.s, 0, 0};
    pst_pair_start_peer(&f, echo_frames, &a);
    int64_t t0 = pst_now_ms();
    int i, rc = 0;
    for (i = 0; i < RR_ROUNDS; i++) {
        int64_t start = pst_now_ms();
        memset(req, (unsigned char)i, sizeof req);
        if ((rc = ps_send_frame(f.c, req, sizeof req, 10000)) != 0 ||
            (rc = ps_recv_frame(f.c, resp, sizeof resp, &len, 10000)) != 0)
            break;
        if (len != sizeof req || memcmp(req, resp, len) != 0)
            break;
        trip_ms[i] = pst_now_ms() - start;
        /* Stalled frames would take over a minute: stop early. */
        if (pst_now_ms() - t0 > 30000)
            break;
    }
    int64_t dt = pst_now_ms() - t0;
    pst_pair_close_end(&f, &f.c); /* ends the echo thread if it still waits */
    pst_pair_join_peer(&f);
    OK(rc);
    cr_assert_eq(i, RR_ROUNDS,
                 "%d round trips in %lld ms (mean %.1f ms): "
                 "stalled on delayed ACKs?",
                 i, (long long)dt, i ? (double)dt / i : 0.0);
    qsort(trip_ms, RR_ROUNDS, sizeof trip_ms[0], compare_ms);
    int64_t median = trip_ms[RR_ROUNDS / 2];
    cr_assert_lt(median, 20,
                 "median round trip %lld ms (mean %.2f ms): "
                 "stalled on delayed ACKs?",
                 (long long)median, (double)dt / RR_ROUNDS);
    OK(a.rc);
    cr_log_info("%d frame round trips with Nagle on: %.3f ms each (median "
                "%lld ms)",
                RR_ROUNDS, (double)dt / RR_ROUNDS, (long long)median);
    pst_pair_close(&f);
}

Test(frame, several_frames_in_a_row, .timeout = 10)
{
    pst_pair f;
    unsigned char in[64];
    size_t len = 0;
    const char *msgs[] = {"first", "", "third frame", "4"};

    pst_pair_open_tcp(&f);
    for (size_t i = 0; i < 4; i++)
        OK(ps_send_frame(f.c, msgs[i], strlen(msgs[i]), 5000));
    for (size_t i = 0; i < 4; i++) {
        len = 999;
        OK(ps_recv_frame(f.s, in, sizeof in, &len, 5000));
        cr_assert_eq(len, strlen(msgs[i]), "frame %zu", i);
        if (len)
            cr_assert_arr_eq(in, msgs[i], len, "frame %zu", i);
    }
    pst_pair_close(&f);
}

Test(frame, payload_exactly_cap, .timeout = 10)
{
    pst_pair f;
    unsigned char in[32];
    size_t len = 0;

    pst_pair_open_tcp(&f);
    OK(ps_send_frame(f.c, "0123456789abcdef0123456789abcdef", 32, 5000));
    OK(ps_recv_frame(f.s, in, sizeof in, &len, 5000));
    cr_assert_eq(len, (size_t)32);
    cr_assert_arr_eq(in, "0123456789abcdef0123456789abcdef", 32);
    pst_pair_close(&f);
}

typedef struct frame_reader {
    ps_socket_t s;
    unsigned char *buf;
    size_t cap;
    size_t len;
    int rc;
} frame_reader;

static void frame_reader_main(void *arg)
{
    frame_reader *r = arg;
    r->rc = ps_recv_frame(r->s, r->buf, r->cap, &r->len, 60000);
}

Test(frame, round_trip_1mib_with_reader_thread, .timeout = 120)
{
    const size_t n = (size_t)1 << 20;
    pst_pair f;
    unsigned char *out = pst_pattern_buffer(0, n);
    frame_reader r;

    pst_pair_open_tcp(&f);
    memset(&r, 0, sizeof r);
    r.s = f.s;
    r.cap = n + 100;
    r.buf = malloc(r.cap);
    cr_assert_not_null(r.buf);
    memset(r.buf, 0, r.cap);
    r.rc = 1;

    pst_pair_start_peer(&f, frame_reader_main, &r);
    int rc = ps_send_frame(f.c, out, n, 60000);
    pst_pair_join_peer(&f);

    cr_assert_eq(rc, 0, "ps_send_frame -> %s", ps_errname(rc));
    cr_assert_eq(r.rc, 0, "ps_recv_frame -> %s", ps_errname(r.rc));
    cr_assert_eq(r.len, n);
    cr_assert_arr_eq(r.buf, out, n, "1 MiB payload differs");

    pst_pair_close(&f);
    free(r.buf);
    free(out);
}

/* ---- wire format --------------------------------------------------------------- */

Test(frame, wire_format_big_endian_prefix, .timeout = 10)
{
    pst_pair f;
    unsigned char *out = pst_pattern_buffer(0, 258);
    unsigned char raw[4 + 258];
    size_t got = 0;

    pst_pair_open_tcp(&f);
    /* 258 = 0x00000102: the two non-zero bytes show the byte order. */
    OK(ps_send_frame(f.c, out, 258, 5000));
    OK(ps_recv_all(f.s, raw, sizeof raw, &got, 5000));
    cr_assert_eq(got, sizeof raw);
    cr_assert_eq(raw[0], 0x00);
    cr_assert_eq(raw[1], 0x00);
    cr_assert_eq(raw[2], 0x01);
    cr_assert_eq(raw[3], 0x02);
    cr_assert_arr_eq(raw + 4, out, 258);

    /* An empty frame is just four zero bytes. */
    OK(ps_send_frame(f.c, "", 0, 5000));
    OK(ps_recv_all(f.s, raw, 4, &got, 5000));
    cr_assert_eq(raw[0] | raw[1] | raw[2] | raw[3], 0);
    RC_IS(ps_recv_all(f.s, raw, 1, &got, 0), PS_EWOULDBLOCK);

    pst_pair_close(&f);
    free(out);
}

Test(frame, reads_hand_made_frame, .timeout = 10)
{
    pst_pair f;
    unsigned char raw[4 + 5] = {0, 0, 0, 5, 'h', 'e', 'l', 'l', 'o'};
    unsigned char in[16];
    size_t len = 0;

    pst_pair_open_tcp(&f);
    send_raw(f.c, raw, sizeof raw);
    OK(ps_recv_frame(f.s, in, sizeof in, &len, 5000));
    cr_assert_eq(len, (size_t)5);
    cr_assert_arr_eq(in, "hello", 5);
    pst_pair_close(&f);
}

/* 66051 = 0x00010203: every byte of the prefix differs, so any misplaced
 * byte shows, on either byte order (258 above leaves two bytes zero). */
Test(frame, wire_format_prefix_every_byte, .timeout = 30)
{
    enum { N = 0x010203 };
    static const unsigned char want[4] = {0x00, 0x01, 0x02, 0x03};
    pst_pair f;
    unsigned char *out = pst_pattern_buffer(7, N);
    unsigned char *raw = malloc(4 + N);
    size_t got = 0;

    cr_assert_not_null(raw);
    pst_pair_open_tcp(&f);
    OK(ps_send_frame(f.c, out, N, 10000));
    OK(ps_recv_all(f.s, raw, 4 + N, &got, 10000));
    cr_assert_eq(got, (size_t)4 + N);
    cr_assert_arr_eq(raw, want, 4, "prefix %02x %02x %02x %02x", raw[0], raw[1],
                     raw[2], raw[3]);
    cr_assert_arr_eq(raw + 4, out, N);
    pst_pair_close(&f);
    free(raw);
    free(out);
}

/* The reader takes the same fixed bytes: a prefix read in the wrong order
 * (0x03020100) would be far beyond the buffer. */
Test(frame, reads_hand_made_prefix_every_byte, .timeout = 30)
{
    enum { N = 0x010203 };
    static const unsigned char head[4] = {0x00, 0x01, 0x02, 0x03};
    pst_pair f;
    unsigned char *out = pst_pattern_buffer(9, N);
    unsigned char *in = malloc(N + 16);
    size_t len = 0;

    cr_assert_not_null(in);
    pst_pair_open_tcp(&f);
    send_raw(f.c, head, sizeof head);
    send_raw(f.c, out, N);
    OK(ps_recv_frame(f.s, in, N + 16, &len, 10000));
    cr_assert_eq(len, (size_t)N);
    cr_assert_arr_eq(in, out, N);
    pst_pair_close(&f);
    free(in);
    free(out);
}

/* ---- oversized frames -------------------------------------------------------------- */

Test(frame, hostile_length_rejected_without_reading, .timeout = 10)
{
    pst_pair f;
    unsigned char in[64];
    size_t len = 0;

    pst_pair_open_tcp(&f);
    send_header(f.c, 0xFFFFFFF0u);
    int rc = ps_recv_frame(f.s, in, sizeof in, &len, 5000);
    cr_assert_eq(rc, PS_EMSGSIZE, "ps_recv_frame -> %s", ps_errname(rc));
    cr_assert_eq(len, (size_t)0xFFFFFFF0u, "*len = %zu", len);
    pst_pair_close(&f);
}

Test(frame, oversized_payload_left_unread, .timeout = 10)
{
    pst_pair f;
    unsigned char *out = pst_pattern_buffer(0, 100);
    unsigned char small[10], in[100];
    size_t len = 0, got = 0;

    pst_pair_open_tcp(&f);
    OK(ps_send_frame(f.c, out, 100, 5000));
    /* A following frame, to check the stream stays in step. */
    OK(ps_send_frame(f.c, "next", 4, 5000));

    memset(small, 0, sizeof small);
    RC_IS(ps_recv_frame(f.s, small, sizeof small, &len, 5000), PS_EMSGSIZE);
    cr_assert_eq(len, (size_t)100);

    OK(ps_recv_all(f.s, in, 100, &got, 5000));
    cr_assert_eq(got, (size_t)100);
    cr_assert_arr_eq(in, out, 100, "payload left unread was damaged");

    OK(ps_recv_frame(f.s, small, sizeof small, &len, 5000));
    cr_assert_eq(len, (size_t)4);
    cr_assert_arr_eq(small, "next", 4);

    pst_pair_close(&f);
    free(out);
}

Test(frame, send_frame_longer_than_uint32, .timeout = 10)
{
    pst_pair f;
    unsigned char tiny[1] = {0};
    unsigned char in[8];

    if (sizeof(size_t) <= 4)
        cr_skip_test("size_t is %u bytes: no length above UINT32_MAX",
                     (unsigned)sizeof(size_t));

    pst_pair_open_tcp(&f);
    /* The buffer is tiny: the function must refuse before reading it. */
    size_t too_long = (size_t)UINT32_MAX + 1u;
    RC_IS(ps_send_frame(f.c, tiny, too_long, 1000), PS_EMSGSIZE);
    RC_IS(ps_send_frame(f.c, tiny, SIZE_MAX, 1000), PS_EMSGSIZE);
    /* Nothing was sent. */
    RC_IS(ps_recv_all(f.s, in, 1, NULL, 100), PS_ETIMEDOUT);
    /* The stream is still usable. */
    OK(ps_send_frame(f.c, "ok", 2, 5000));
    size_t len = 0;
    OK(ps_recv_frame(f.s, in, sizeof in, &len, 5000));
    cr_assert_eq(len, (size_t)2);
    cr_assert_arr_eq(in, "ok", 2);
    pst_pair_close(&f);
}

/* ---- truncated input and end of stream ------------------------------------------ */

Test(frame, truncated_payload_is_closed, .timeout = 10)
{
    pst_pair f;
    unsigned char in[200];
    size_t len = 0;

    pst_pair_open_tcp(&f);
    send_header(f.c, 100);
    send_raw(f.c, "0123456789", 10);
    pst_pair_close_end(&f, &f.c);
    RC_IS(ps_recv_frame(f.s, in, sizeof in, &len, 5000), PS_ECLOSED);
    pst_pair_close(&f);
}

Test(frame, truncated_header_is_closed, .timeout = 10)
{
    pst_pair f;
    unsigned char in[16];
    size_t len = 0;

    pst_pair_open_tcp(&f);
    send_raw(f.c, "\0\0", 2);
    pst_pair_close_end(&f, &f.c);
    RC_IS(ps_recv_frame(f.s, in, sizeof in, &len, 5000), PS_ECLOSED);
    pst_pair_close(&f);
}

Test(frame, eof_before_header, .timeout = 10)
{
    pst_pair f;
    unsigned char in[16];
    size_t len = 4242;

    pst_pair_open_tcp(&f);
    pst_pair_close_end(&f, &f.c);
    RC_IS(ps_recv_frame(f.s, in, sizeof in, &len, 5000), PS_ECLOSED);
    cr_assert_eq(len, (size_t)0, "*len = %zu at EOF", len);
    pst_pair_close(&f);
}

Test(frame, eof_after_complete_frame, .timeout = 10)
{
    pst_pair f;
    unsigned char in[16];
    size_t len = 0;

    pst_pair_open_tcp(&f);
    OK(ps_send_frame(f.c, "last", 4, 5000));
    pst_pair_close_end(&f, &f.c);
    OK(ps_recv_frame(f.s, in, sizeof in, &len, 5000));
    cr_assert_eq(len, (size_t)4);
    cr_assert_arr_eq(in, "last", 4);
    len = 4242;
    RC_IS(ps_recv_frame(f.s, in, sizeof in, &len, 5000), PS_ECLOSED);
    cr_assert_eq(len, (size_t)0);
    pst_pair_close(&f);
}

/* ---- timeouts and bad sockets ------------------------------------------------------ */

Test(frame, recv_frame_timeouts, .timeout = 10)
{
    pst_pair f;
    unsigned char in[64];
    size_t len = 0;

    pst_pair_open_tcp(&f);
    RC_IS(ps_recv_frame(f.s, in, sizeof in, &len, 0), PS_EWOULDBLOCK);

    int64_t t0 = pst_now_ms();
    RC_IS(ps_recv_frame(f.s, in, sizeof in, &len, 150), PS_ETIMEDOUT);
    pst_assert_took(t0, 145, 2000, "ps_recv_frame, 150 ms");

    /* Header complete, payload missing: the deadline still holds. */
    send_header(f.c, 20);
    send_raw(f.c, "abc", 3);
    t0 = pst_now_ms();
    RC_IS(ps_recv_frame(f.s, in, sizeof in, &len, 150), PS_ETIMEDOUT);
    pst_assert_took(t0, 145, 2000, "ps_recv_frame, 150 ms, payload missing");

    pst_pair_close(&f);
}

Test(frame, bad_arguments, .timeout = 10)
{
    unsigned char in[8];
    size_t len = 0;

    RC_IS(ps_send_frame(PS_INVALID_SOCKET, "x", 1, 100), PS_EBADF);
    RC_IS(ps_recv_frame(PS_INVALID_SOCKET, in, sizeof in, &len, 100), PS_EBADF);

    pst_pair f;
    pst_pair_open_tcp(&f);
    RC_IS(ps_send_frame(f.c, NULL, 4, 100), PS_EINVAL);
    RC_IS(ps_recv_frame(f.s, in, sizeof in, NULL, 100), PS_EINVAL);
    /* Nothing was sent by the refused call. */
    RC_IS(ps_recv_all(f.s, in, 1, NULL, 0), PS_EWOULDBLOCK);
    pst_pair_close(&f);
}
