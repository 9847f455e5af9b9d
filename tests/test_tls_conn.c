/* SPDX-License-Identifier: MIT */
/* ps_conn over TLS (ps_tls_conn_new): the handshake driven by the loop's
 * fills and flushes, a long stream through an echoing TLS peer, decrypted
 * bytes drained in one fill (ps_tls_pending), lines split at every offset
 * across records, and a reset with data queued. The client side is the
 * ps_conn; the peer is a plain ps_tls on a thread. Loopback only. */
#include <criterion/criterion.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"
#include "pattern.h"
#include "portsock.h"
#include "portsock_tls.h"
#include "support.h"
#include "tls_certs.h"
#include "tls_peer.h"

#include "rc_assert.h"

/* Wine 8's schannel has no server side, as test_tls.c says: cases that
 * need the TLS peer skip there with the Schannel backend. */
static ps_tls_config *server_config(void)
{
    ps_tls_config *c;
    if (PS_TEST_TLS_SCHANNEL && pst_under_wine())
        cr_skip_test("Wine 8's schannel has no server side "
                     "(AcceptSecurityContext: SEC_E_UNSUPPORTED_FUNCTION)");
    OK(ps_tls_config_new(&c, PS_TLS_SERVER));
    OK(ps_tls_config_set_cert(c, pst_cert("server.pem"),
                              pst_cert("server.key")));
    return c;
}

/* The client's ps_conn and the peer's ps_tls over one TCP pair, with the
 * peer's job on a thread (it runs the handshake first). */
typedef struct tpair {
    ps_conn *c;
    ps_tls *ct; /* owned by c; kept for ps_tls_shutdown */
    ps_tls *s;
    ps_tls_config *ccfg, *scfg;
    void (*job)(struct tpair *p);
    const char *text; /* for the jobs that send it */
    size_t split;
    int rc;      /* the job's outcome */
    int late_ms; /* the peer waits this long before its handshake */
    pst_thread *th;
} tpair;

static void run_job(void *arg)
{
    tpair *p = arg;
    if (p->late_ms > 0)
        pst_sleep_ms(p->late_ms);
    p->rc = ps_tls_handshake(p->s, 20000);
    if (p->rc == 0 && p->job)
        p->job(p);
}

static void tpair_open(tpair *p, void (*job)(tpair *), int small_buffers,
                       const ps_conn_limits *lim)
{
    ps_socket_t a, b;
    p->scfg = server_config();
    p->ccfg = pst_tls_client_config("ca.pem");
    p->job = job;
    pst_tcp_pair(&a, &b);
    if (small_buffers) {
        OK(ps_set_buffer_sizes(a, 4096, 4096));
        OK(ps_set_buffer_sizes(b, 4096, 4096));
    }
    OK(ps_tls_wrap(&p->ct, a, p->ccfg, "localhost"));
    OK(ps_tls_wrap(&p->s, b, p->scfg, NULL));
    OK(ps_tls_conn_new(&p->c, p->ct, lim));
    p->th = pst_thread_start(run_job, p);
    cr_assert_not_null(p->th);
}

/* Joins the peer, closes both sides; returns what c dropped. */
static uint64_t tpair_close(tpair *p)
{
    uint64_t dropped = 0;
    if (p->th)
        pst_thread_join(p->th);
    OK(ps_conn_close(p->c, &dropped));
    if (p->s)
        ps_tls_close(p->s);
    ps_tls_config_free(p->ccfg);
    ps_tls_config_free(p->scfg);
    return dropped;
}

/* ---- a long stream through an echo ------------------------------------------ */

static void echo_job(tpair *p)
{
    static unsigned char buf[65536];
    for (;;) {
        size_t got = 0;
        p->rc = ps_tls_recv(p->s, buf, sizeof buf, &got, 30000);
        if (p->rc != 0 || got == 0)
            break;
        if ((p->rc = ps_tls_send_all(p->s, buf, got, NULL, 30000)) != 0)
            break;
    }
    if (p->rc == 0)
        p->rc = ps_tls_shutdown(p->s, 10000);
}

static size_t stream_bytes(void)
{
    if (pst_under_memcheck() || pst_under_qemu())
        return (size_t)1 << 20;
    if (pst_under_tsan() || pst_under_wine())
        return (size_t)4 << 20;
    return (size_t)32 << 20;
}

Test(tls_conn, stream_through_echo_in_order, .timeout = 120)
{
    tpair p = {0};
    tpair_open(&p, echo_job, 0, NULL);
    const size_t total = stream_bytes();
    unsigned char *out = malloc(65536);
    unsigned char in[16384];
    cr_assert_not_null(out);
    size_t sent = 0, back = 0, got;
    uint32_t rnd = 777;
    int closed = 0, ended = 0;
    int64_t end = pst_now_ms() + pst_slack_ms(100000);
    while (!ended) {
        while (sent < total && !ps_conn_over_high_water(p.c)) {
            rnd = rnd * 1103515245u + 12345u;
            size_t n = 1 + (rnd >> 8) % 65536;
            if (n > total - sent)
                n = total - sent;
            pst_pattern_fill(out, sent, n);
            OK(ps_conn_send(p.c, out, n));
            sent += n;
        }
        if (back == total && !closed) {
            /* All back: close_notify, which the echo answers with its own. */
            cr_assert_eq(ps_conn_queued(p.c), 0);
            OK(ps_tls_shutdown(p.ct, 10000));
            closed = 1;
        }
        ended = pst_conn_turn(p.c, &got) == PS_ECLOSED;
        size_t n;
        while (ps_conn_read(p.c, in, sizeof in, &n) == 0) {
            size_t bad = pst_pattern_mismatch(in, n, back);
            cr_assert_eq(bad, PST_PATTERN_OK, "byte %zu wrong", bad);
            back += n;
        }
        cr_assert_lt(pst_now_ms(), end, "%zu sent, %zu back", sent, back);
    }
    cr_assert_eq(back, total);
    ps_conn_stats st;
    OK(ps_conn_get_stats(p.c, &st));
    cr_assert_eq(st.sent, total);
    cr_assert_eq(st.received, total);
    free(out);
    cr_assert_eq(tpair_close(&p), 0);
    OK(p.rc);
}

/* Data queued while the handshake waits for the peer: the queue waits for
 * what TLS waits for (READ), not for a writable socket, which would wake
 * the loop at once on every turn (tens of thousands of turns in the
 * peer's 300 ms before the fix; a turn here waits at most 100 ms). */
Test(tls_conn, data_queued_during_the_handshake_does_not_spin, .timeout = 60)
{
    tpair p = {0};
    p.late_ms = 300;
    tpair_open(&p, echo_job, 0, NULL);
    OK(ps_conn_send(p.c, "hello\n", 6));
    cr_assert_eq(ps_conn_queued(p.c), 6);
    cr_assert_eq(ps_conn_wants(p.c), PS_POLL_READ, "wants %u",
                 ps_conn_wants(p.c));
    long turns = 0;
    size_t got;
    const char *line = NULL;
    size_t len = 0;
    int64_t end = pst_now_ms() + pst_slack_ms(20000);
    while (ps_conn_read_line(p.c, &line, &len) != 0) {
        pst_conn_turn(p.c, &got);
        turns++;
        cr_assert_lt(pst_now_ms(), end, "no echo after %ld turns", turns);
    }
    cr_assert_eq(len, 5);
    cr_assert_eq(memcmp(line, "hello", 5), 0);
    cr_assert_lt(turns, 100, "%ld turns of the loop for one line", turns);
    OK(ps_tls_shutdown(p.ct, 10000));
    while (pst_conn_turn(p.c, &got) != PS_ECLOSED)
        cr_assert_lt(pst_now_ms(), end, "no close_notify");
    cr_assert_eq(tpair_close(&p), 0);
    OK(p.rc);
}

/* Frames out through ps_conn_send_frame (header and payload gathered into
 * one record) and back through ps_conn_read_frame, across records. */
Test(tls_conn, frames_through_echo, .timeout = 60)
{
    static const size_t lens[] = {0, 1, 5, 300, 20000, 70000};
    const size_t count = sizeof lens / sizeof *lens;
    tpair p = {0};
    tpair_open(&p, echo_job, 0, NULL);
    unsigned char *out = pst_pattern_buffer(0, 70000);
    for (size_t i = 0; i < count; i++)
        OK(ps_conn_send_frame(p.c, out, lens[i]));
    size_t next = 0, got;
    int64_t end = pst_now_ms() + pst_slack_ms(20000);
    while (next < count) {
        pst_conn_turn(p.c, &got);
        const void *payload;
        size_t len;
        while (ps_conn_read_frame(p.c, &payload, &len) == 0) {
            cr_assert_eq(len, lens[next], "frame %zu: %zu bytes", next, len);
            cr_assert_eq(pst_pattern_mismatch(payload, len, 0), PST_PATTERN_OK);
            next++;
        }
        cr_assert_lt(pst_now_ms(), end, "%zu of %zu frames came", next, count);
    }
    OK(ps_tls_shutdown(p.ct, 10000));
    while (pst_conn_turn(p.c, &got) != PS_ECLOSED)
        cr_assert_lt(pst_now_ms(), end, "no close_notify");
    free(out);
    cr_assert_eq(tpair_close(&p), 0);
    OK(p.rc);
}

/* ---- decrypted bytes are drained ------------------------------------------- */

static const char ten_lines[] = "line0\nline1\nline2\nline3\nline4\n"
                                "line5\nline6\nline7\nline8\nline9\n";

/* Sends the text in one record, then waits for one byte (or the end). */
static void send_text_job(tpair *p)
{
    char b;
    size_t got;
    p->rc = ps_tls_send_all(p->s, p->text, strlen(p->text), NULL, 10000);
    if (p->rc == 0)
        p->rc = ps_tls_recv(p->s, &b, 1, &got, 20000);
}

/* With max_line 16 a receive gets at most 20 bytes of the 60-byte record:
 * the rest waits decrypted in memory, where no readiness will announce
 * it, so the one fill that read the record must take all of it. */
Test(tls_conn, pending_plaintext_drained_in_one_fill, .timeout = 30)
{
    tpair p = {0};
    const ps_conn_limits lim = {0, 0, 16, 16};
    p.text = ten_lines;
    tpair_open(&p, send_text_job, 0, &lim);
    size_t got = 0;
    int64_t end = pst_now_ms() + pst_slack_ms(20000);
    while (got == 0) {
        cr_assert_lt(pst_now_ms(), end, "nothing came");
        OK(pst_conn_turn(p.c, &got));
    }
    cr_assert_eq(got, sizeof ten_lines - 1, "one fill read %zu of %zu", got,
                 sizeof ten_lines - 1);
    const char *line;
    size_t len;
    for (int i = 0; i < 10; i++) {
        char want[8];
        snprintf(want, sizeof want, "line%d", i);
        OK(ps_conn_read_line(p.c, &line, &len));
        cr_assert(len == 5 && memcmp(line, want, 5) == 0);
    }
    RC_IS(ps_conn_read_line(p.c, &line, &len), PS_EWOULDBLOCK);
    OK(ps_conn_send(p.c, "x", 1));
    tpair_close(&p);
    OK(p.rc);
}

/* ---- lines split across records --------------------------------------------- */

static const char split_text[] = "alpha\nb\n\nline with \r\nlast one\n";
static const char *const split_want[] = {"alpha", "b", "", "line with \r",
                                         "last one"};

/* Sends text[0, split), waits for a byte, sends the rest, waits again. */
static void split_job(tpair *p)
{
    char b;
    size_t got, n = strlen(p->text);
    p->rc = ps_tls_send_all(p->s, p->text, p->split, NULL, 10000);
    if (p->rc == 0)
        p->rc = ps_tls_recv_all(p->s, &b, 1, &got, 20000);
    if (p->rc == 0)
        p->rc = ps_tls_send_all(p->s, p->text + p->split, n - p->split, NULL,
                                10000);
    if (p->rc == 0)
        p->rc = ps_tls_recv(p->s, &b, 1, &got, 20000);
}

static void take_lines(ps_conn *c, size_t *next)
{
    const char *line;
    size_t len;
    int r;
    while ((r = ps_conn_read_line(c, &line, &len)) == 0) {
        cr_assert_lt(*next, sizeof split_want / sizeof *split_want);
        const char *w = split_want[*next];
        cr_assert(len == strlen(w) && memcmp(line, w, len) == 0,
                  "line %zu: \"%.*s\"", *next, (int)len, line);
        (*next)++;
    }
    RC_IS(r, PS_EWOULDBLOCK);
}

Test(tls_conn, lines_split_at_every_offset, .timeout = 120)
{
    const size_t n = sizeof split_text - 1;
    /* A handshake per offset: every third under instrumentation. */
    size_t step = pst_under_memcheck() || pst_under_tsan() ? 3 : 1;
    for (size_t k = 0; k <= n; k += step) {
        tpair p = {0};
        size_t next = 0;
        p.text = split_text;
        p.split = k;
        tpair_open(&p, split_job, 0, NULL);
        pst_conn_fill_until(p.c, k);
        take_lines(p.c, &next);
        OK(ps_conn_send(p.c, "a", 1));
        pst_conn_fill_until(p.c, n);
        take_lines(p.c, &next);
        cr_assert_eq(next, sizeof split_want / sizeof *split_want,
                     "split at %zu: %zu lines", k, next);
        OK(ps_conn_send(p.c, "b", 1));
        /* The peer's last receive needs the byte: flush until it is out. */
        while (ps_conn_queued(p.c) > 0)
            pst_conn_turn(p.c, &(size_t){0});
        tpair_close(&p);
        OK(p.rc);
    }
}

/* ---- a reset with data queued ------------------------------------------------ */

Test(tls_conn, reset_with_data_queued_counts_exact_drop, .timeout = 30)
{
    tpair p = {0};
    size_t got;
    int64_t end = pst_now_ms() + pst_slack_ms(20000);
    tpair_open(&p, NULL, 1, NULL);
    /* The loop drives the client's handshake; the peer's ends with it, and
     * the peer reads nothing after it. */
    while (ps_tls_version(p.ct) == 0) {
        cr_assert_lt(pst_now_ms(), end, "no handshake");
        pst_conn_turn(p.c, &got);
    }
    pst_thread_join(p.th);
    p.th = NULL;
    OK(p.rc);
    unsigned char chunk[8192];
    memset(chunk, 'q', sizeof chunk);
    while (ps_conn_queued(p.c) < 100000) {
        OK(ps_conn_send(p.c, chunk, sizeof chunk));
        pst_conn_turn(p.c, &got);
        cr_assert_lt(pst_now_ms(), end, "the queue never grew");
    }
    OK(ps_set_linger(ps_tls_socket(p.s), 1, 0));
    ps_tls_close(p.s);
    p.s = NULL;
    int r = 0;
    size_t before = 0;
    while (r == 0) {
        cr_assert_lt(pst_now_ms(), end, "no failure reported");
        pst_conn_wait(p.c, PS_POLL_READ | PS_POLL_WRITE, 100);
        before = ps_conn_queued(p.c);
        r = ps_conn_flush(p.c);
        if (r == 0)
            r = ps_conn_fill(p.c, NULL);
    }
    cr_assert(r == PS_ECONNRESET || r == PS_EPIPE || r == PS_ECONNABORTED ||
                  r == PS_ETRUNCATED,
              "%s", ps_errname(r));
    ps_conn_stats st;
    OK(ps_conn_get_stats(p.c, &st));
    cr_assert_eq(st.queued, 0);
    cr_assert_eq(st.dropped, before);
    cr_assert_eq(st.accepted, st.sent + st.dropped);
    cr_assert_eq(ps_conn_wants(p.c), 0);
    cr_assert_eq(tpair_close(&p), before);
}

Test(tls_conn, bad_arguments, .timeout = 10)
{
    ps_conn *c = (ps_conn *)1;
    RC_IS(ps_tls_conn_new(NULL, NULL, NULL), PS_EINVAL);
    RC_IS(ps_tls_conn_new(&c, NULL, NULL), PS_EINVAL);
    cr_assert_null(c);
}
