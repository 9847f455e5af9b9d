/* SPDX-License-Identifier: MIT */
/* portsock_tls over loopback with the OpenSSL backend: verification and
 * its failures, ALPN, SNI, deadlines, exact counts, close_notify versus
 * truncation, bulk data, frames, the timeout-0 event-loop style, and no
 * descriptor left behind. Certificates come from tests/tls/make_certs.sh
 * (the tls_certs fixture) in the build tree. */
#include <criterion/criterion.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pattern.h"
#include "portsock.h"
#include "portsock_tls.h"
#include "support.h"
#include "tls_certs.h"
#include "tls_peer.h"

#include "rc_assert.h"

/* Every case that runs a portsock TLS server starts here: Wine 8's
 * schannel has no server side (AcceptSecurityContext gives
 * SEC_E_UNSUPPORTED_FUNCTION), so those cases are skipped there with the
 * Schannel backend; its client is proven against native OpenSSL servers
 * by tests/tls/schannel_client.py. On Windows they run. */
static ps_tls_config *server_config(const char *name)
{
    ps_tls_config *c;
    if (PS_TEST_TLS_SCHANNEL && pst_under_wine())
        cr_skip_test("Wine 8's schannel has no server side "
                     "(AcceptSecurityContext: SEC_E_UNSUPPORTED_FUNCTION)");
    char key[64];
    snprintf(key, sizeof key, "%s.key", name);
    char pem[64];
    snprintf(pem, sizeof pem, "%s.pem", name);
    OK(ps_tls_config_new(&c, PS_TLS_SERVER));
    OK(ps_tls_config_set_cert(c, pst_cert(pem), pst_cert(key)));
    return c;
}

typedef pst_tls_server server;

/* The server echoes one message of up to 64 bytes, then sends
 * close_notify. */
static void echo_job(server *srv, ps_tls *t)
{
    char buf[64];
    size_t got = 0;
    (void)srv;
    if (ps_tls_recv(t, buf, sizeof buf, &got, 10000) == 0 && got > 0)
        ps_tls_send_all(t, buf, got, NULL, 10000);
    ps_tls_shutdown(t, 10000);
}

/* Against echo_job: "hello" comes back, then the server's close_notify,
 * the clean end, as the plain twin's. */
static void echo_and_close_notify(ps_tls *t)
{
    char buf[16];
    size_t got;
    OK(ps_tls_send_all(t, "hello", 5, NULL, 10000));
    OK(ps_tls_recv_all(t, buf, 5, &got, 10000));
    cr_assert_arr_eq(buf, "hello", 5);
    OK(ps_tls_recv(t, buf, sizeof buf, &got, 10000));
    cr_assert_eq(got, 0);
}

/* A verified connection to "localhost": the echo, close_notify both
 * ways, and the server saw the name as SNI. Closes t, joins srv. */
static void echo_with_localhost(pst_tls_server *srv, ps_tls *t)
{
    cr_assert_str_eq(ps_tls_server_name(t), "localhost");
    echo_and_close_notify(t);
    OK(ps_tls_close(t));
    pst_tls_server_join(srv);
    OK(srv->handshake_rc);
    cr_assert_str_eq(srv->sni, "localhost", "the server saw SNI \"%s\"",
                     srv->sni);
}

/* ---- verification ---- */

Test(tls, verified_connection_round_trip, .timeout = 30)
{
    server srv;
    ps_tls *t;
    char subject[256];
    pst_tls_server_start(&srv, NULL, server_config("server"), echo_job);
    ps_tls_config *c = pst_tls_client_config("ca.pem");
    OK(ps_tls_connect(&t, "localhost", srv.port, c, 10000));
    cr_assert_eq(ps_tls_version(t), PS_TLS_1_3);
    OK(ps_tls_peer_subject(t, subject, sizeof subject));
    cr_assert(strstr(subject, "CN=localhost") != NULL, "subject %s", subject);
    cr_assert_str_eq(ps_tls_alpn(t), "");
    echo_with_localhost(&srv, t);
    ps_tls_config_free(c);
}

/* The server frees its configuration once its connection is made, then
 * echoes as echo_job. */
static void echo_after_free_job(server *srv, ps_tls *t)
{
    ps_tls_config_free(srv->cfg);
    srv->cfg = NULL;
    echo_job(srv, t);
}

/* portsock_tls.h: connections keep what they need of their configuration
 * (common code counts the references), so both sides may free theirs
 * while the connection lives; ASan and valgrind see any use after it. */
Test(tls, configurations_may_be_freed_while_connections_live, .timeout = 30)
{
    server srv;
    ps_tls *t;
    static const char *const protos[] = {"h2"};
    ps_tls_config *s = server_config("server");
    OK(ps_tls_config_set_alpn(s, protos, 1));
    pst_tls_server_start(&srv, NULL, s, echo_after_free_job);
    ps_tls_config *c = pst_tls_client_config("ca.pem");
    OK(ps_tls_config_set_alpn(c, protos, 1));
    OK(ps_tls_connect(&t, "localhost", srv.port, c, 10000));
    ps_tls_config_free(c);
    cr_assert_str_eq(ps_tls_alpn(t), "h2");
    echo_and_close_notify(t);
    OK(ps_tls_close(t));
    pst_tls_server_join(&srv);
    OK(srv.handshake_rc);
    cr_assert_str_eq(srv.alpn, "h2");
}

Test(tls, numeric_address_is_verified_and_sends_no_sni, .timeout = 30)
{
    server srv;
    ps_tls *t;
    pst_tls_server_start(&srv, NULL, server_config("server"), NULL);
    ps_tls_config *c = pst_tls_client_config("ca.pem");
    OK(ps_tls_connect(&t, "127.0.0.1", srv.port, c, 10000));
    ps_tls_close(t);
    pst_tls_server_join(&srv);
    OK(srv.handshake_rc);
    cr_assert_str_eq(srv.sni, "");
    ps_tls_config_free(c);
}

/* A client handshake against the server's certificate name fails with
 * PS_ECERT and a reason containing want. */
static void rejected(const char *server_cert, const char *ca, const char *host,
                     const char *want1, const char *want2)
{
    server srv;
    ps_tls *t = (ps_tls *)&t;
    long before = pst_open_handle_count();
    pst_tls_server_start(&srv, NULL, server_config(server_cert), NULL);
    ps_tls_config *c = pst_tls_client_config(ca);
    RC_IS(ps_tls_connect(&t, host, srv.port, c, 10000), PS_ECERT);
    cr_assert_null(t);
    const char *reason = ps_tls_reason(NULL);
    cr_assert(strstr(reason, want1) || (want2 && strstr(reason, want2)),
              "reason \"%s\"", reason);
    pst_tls_server_join(&srv);
    /* The server hears the client's alert: a protocol failure there. */
    RC_IS(srv.handshake_rc, PS_ETLS);
    cr_assert_neq(srv.reason[0], '\0');
    ps_tls_config_free(c);
    /* Nothing left open by either failed side. */
    if (before >= 0)
        cr_assert_eq(pst_open_handle_count(), before);
}

Test(tls, wrong_host_name_is_rejected, .timeout = 30)
{
    rejected("wronghost", "ca.pem", "localhost", "hostname mismatch", NULL);
}

Test(tls, expired_certificate_is_rejected, .timeout = 30)
{
    rejected("expired", "ca.pem", "localhost", "certificate has expired", NULL);
}

Test(tls, unknown_ca_is_rejected, .timeout = 30)
{
    rejected("server", "other_ca.pem", "localhost", "issuer", NULL);
}

Test(tls, self_signed_is_rejected_by_default, .timeout = 30)
{
    rejected("self", "ca.pem", "localhost", "self-signed", "self signed");
}

Test(tls, self_signed_is_accepted_only_without_verification, .timeout = 30)
{
    server srv;
    ps_tls *t;
    pst_tls_server_start(&srv, NULL, server_config("self"), NULL);
    ps_tls_config *c = pst_tls_client_config("ca.pem");
    OK(ps_tls_config_set_verify(c, PS_TLS_VERIFY_NONE_INSECURE));
    OK(ps_tls_connect(&t, "localhost", srv.port, c, 10000));
    ps_tls_close(t);
    pst_tls_server_join(&srv);
    OK(srv.handshake_rc);
    ps_tls_config_free(c);
}

Test(tls, client_certificate_required_and_verified, .timeout = 30)
{
    server srv;
    ps_tls *t;
    char buf[8];
    size_t got;
    ps_tls_config *s = server_config("server");
    OK(ps_tls_config_set_ca(s, pst_cert("ca.pem")));
    OK(ps_tls_config_set_verify(s, PS_TLS_VERIFY_PEER));
    pst_tls_server_start(&srv, NULL, s, echo_job);
    ps_tls_config *c = pst_tls_client_config("ca.pem");
    OK(ps_tls_config_set_cert(c, pst_cert("client.pem"),
                              pst_cert("client.key")));
    OK(ps_tls_connect(&t, "localhost", srv.port, c, 10000));
    OK(ps_tls_send_all(t, "x", 1, NULL, 10000));
    OK(ps_tls_recv_all(t, buf, 1, &got, 10000));
    ps_tls_close(t);
    pst_tls_server_join(&srv);
    OK(srv.handshake_rc);
    ps_tls_config_free(c);
}

Test(tls, alpn_is_agreed_in_the_servers_order, .timeout = 30)
{
    server srv;
    ps_tls *t;
    static const char *const server_protos[] = {"http/1.1", "h2"};
    static const char *const client_protos[] = {"h2", "http/1.1", "x"};
    ps_tls_config *s = server_config("server");
    OK(ps_tls_config_set_alpn(s, server_protos, 2));
    pst_tls_server_start(&srv, NULL, s, NULL);
    ps_tls_config *c = pst_tls_client_config("ca.pem");
    OK(ps_tls_config_set_alpn(c, client_protos, 3));
    OK(ps_tls_connect(&t, "localhost", srv.port, c, 10000));
    cr_assert_str_eq(ps_tls_alpn(t), "http/1.1");
    ps_tls_close(t);
    pst_tls_server_join(&srv);
    cr_assert_str_eq(srv.alpn, "http/1.1");
    ps_tls_config_free(c);
}

Test(tls, config_is_immutable_once_used_and_checks_arguments, .timeout = 30)
{
    ps_tls_config *c;
    ps_tls *t = (ps_tls *)&t;
    ps_socket_t a, b;
    static const char *const bad[] = {""};
    RC_IS(ps_tls_config_new(&c, 3), PS_EINVAL);
    RC_IS(ps_tls_config_new(NULL, PS_TLS_CLIENT), PS_EINVAL);
    OK(ps_tls_config_new(&c, PS_TLS_CLIENT));
    RC_IS(ps_tls_config_set_verify(c, 7), PS_EINVAL);
    RC_IS(ps_tls_config_set_alpn(c, bad, 1), PS_EINVAL);
    RC_IS(ps_tls_config_set_min_version(c, 0x0302), PS_EINVAL);
    RC_IS(ps_tls_config_set_ca(c, pst_cert("no-such-file.pem")), PS_ETLS);
    cr_assert_neq(ps_tls_reason(NULL)[0], '\0');
    /* Verifying the host needs one. */
    pst_tcp_pair(&a, &b);
    RC_IS(ps_tls_wrap(&t, a, c, NULL), PS_EINVAL);
    cr_assert_null(t);
    OK(ps_tls_wrap(&t, b, c, "localhost"));
    RC_IS(ps_tls_config_set_min_version(c, PS_TLS_1_3), PS_EINVAL);
    RC_IS(ps_tls_config_set_verify(c, PS_TLS_VERIFY_PEER), PS_EINVAL);
    /* The connection keeps what it needs past the config's end. */
    ps_tls_config_free(c);
    cr_assert_eq(ps_tls_version(t), 0);
    cr_assert_eq(ps_tls_wants(NULL), 0u);
    OK(ps_tls_close(t));
    OK(ps_tls_close(NULL));
}

/* Each data call refuses a missing connection or buffer with PS_EINVAL
 * before any I/O, its count set to 0. */
Test(tls, data_calls_check_their_arguments, .timeout = 30)
{
    ps_tls_config *c = pst_tls_client_config("ca.pem");
    ps_socket_t a, b;
    ps_tls *t;
    char buf[4];
    size_t n = 7, len = 7;
    ps_iovec iov[1] = {{NULL, 1}};
    pst_tcp_pair(&a, &b);
    OK(ps_tls_wrap(&t, a, c, "localhost"));
#define EINVAL_ZERO(call)                                      \
    do {                                                       \
        n = 7;                                                 \
        RC_IS(call, PS_EINVAL);                                \
        cr_assert_eq(n, 0, #call " left the count at %zu", n); \
    } while (0)
    EINVAL_ZERO(ps_tls_send(NULL, "x", 1, &n, 0));
    EINVAL_ZERO(ps_tls_send(t, NULL, 1, &n, 0));
    EINVAL_ZERO(ps_tls_send_all(NULL, "x", 1, &n, 0));
    EINVAL_ZERO(ps_tls_send_all(t, NULL, 1, &n, 0));
    EINVAL_ZERO(ps_tls_recv(NULL, buf, 1, &n, 0));
    EINVAL_ZERO(ps_tls_recv(t, NULL, 1, &n, 0));
    EINVAL_ZERO(ps_tls_recv(t, NULL, 0, &n, 0));
    EINVAL_ZERO(ps_tls_recv(t, buf, 0, &n, 0));
    EINVAL_ZERO(ps_tls_recv_all(NULL, buf, 1, &n, 0));
    EINVAL_ZERO(ps_tls_recv_all(t, NULL, 1, &n, 0));
    EINVAL_ZERO(ps_tls_sendv_all(NULL, iov, 0, &n, 0));
    EINVAL_ZERO(ps_tls_sendv_all(t, NULL, 1, &n, 0));
    EINVAL_ZERO(ps_tls_sendv_all(t, iov, 1, &n, 0));
#undef EINVAL_ZERO
    RC_IS(ps_tls_send_frame(NULL, "x", 1, 0), PS_EINVAL);
    RC_IS(ps_tls_send_frame(t, NULL, 1, 0), PS_EINVAL);
    RC_IS(ps_tls_recv_frame(t, buf, sizeof buf, NULL, 0), PS_EINVAL);
    RC_IS(ps_tls_recv_frame(NULL, buf, sizeof buf, &len, 0), PS_EINVAL);
    RC_IS(ps_tls_recv_frame(t, NULL, 1, &len, 0), PS_EINVAL);
    /* No handshake step ran: nothing reached the peer. */
    cr_assert_eq(ps_tls_wants(t), 0u);
    RC_IS(ps_recv(b, buf, sizeof buf, &n, 0), PS_EWOULDBLOCK);
    ps_tls_close(t);
    ps_close(b);
    ps_tls_config_free(c);
}

/* ---- connected pairs: wrap both ends of a TCP pair ---- */

typedef struct pair {
    ps_tls *c, *s;
    ps_tls_config *ccfg, *scfg;
    int server_rc;
} pair;

static void pair_server_handshake(void *arg)
{
    pair *p = arg;
    p->server_rc = ps_tls_handshake(p->s, 10000);
}

static void pair_open(pair *p)
{
    ps_socket_t a, b;
    p->scfg = server_config("server");
    p->ccfg = pst_tls_client_config("ca.pem");
    pst_tcp_pair(&a, &b);
    OK(ps_tls_wrap(&p->c, a, p->ccfg, "localhost"));
    OK(ps_tls_wrap(&p->s, b, p->scfg, NULL));
    pst_thread *th = pst_thread_start(pair_server_handshake, p);
    cr_assert_not_null(th);
    OK(ps_tls_handshake(p->c, 10000));
    pst_thread_join(th);
    OK(p->server_rc);
}

static void pair_close(pair *p)
{
    ps_tls_close(p->c);
    ps_tls_close(p->s);
    ps_tls_config_free(p->ccfg);
    ps_tls_config_free(p->scfg);
}

Test(tls, close_notify_is_a_clean_end, .timeout = 30)
{
    pair p;
    char buf[8];
    size_t got = 99;
    pair_open(&p);
    OK(ps_tls_send_all(p.c, "abc", 3, NULL, 10000));
    OK(ps_tls_shutdown(p.c, 10000));
    /* Short of len at close_notify: PS_ECLOSED with the count, then 0. */
    RC_IS(ps_tls_recv_all(p.s, buf, 5, &got, 10000), PS_ECLOSED);
    cr_assert_eq(got, 3);
    OK(ps_tls_recv(p.s, buf, sizeof buf, &got, 10000));
    cr_assert_eq(got, 0);
    pair_close(&p);
}

Test(tls, end_without_close_notify_is_truncation, .timeout = 30)
{
    pair p;
    char buf[8];
    size_t got = 99;
    size_t len = 99;
    pair_open(&p);
    OK(ps_tls_send_all(p.c, "abc", 3, NULL, 10000));
    /* A plain TCP close, no close_notify: an attacker's cut looks so. */
    ps_tls_close(p.c);
    p.c = NULL;
    OK(ps_tls_recv_all(p.s, buf, 3, &got, 10000));
    RC_IS(ps_tls_recv(p.s, buf, sizeof buf, &got, 10000), PS_ETRUNCATED);
    cr_assert_eq(got, 0);
    RC_IS(ps_tls_recv_frame(p.s, buf, sizeof buf, &len, 10000), PS_ETRUNCATED);
    pair_close(&p);
}

Test(tls, frames_and_gathered_buffers, .timeout = 30)
{
    pair p;
    char buf[64];
    size_t len = 0, sent = 0;
    unsigned char *big = pst_pattern_buffer(0, 100000);
    unsigned char *back = malloc(100000);
    cr_assert_not_null(back);
    pair_open(&p);
    OK(ps_tls_send_frame(p.c, "ping", 4, 10000));
    OK(ps_tls_recv_frame(p.s, buf, sizeof buf, &len, 10000));
    cr_assert_eq(len, 4);
    cr_assert_arr_eq(buf, "ping", 4);
    /* A frame larger than the buffer: its length, its payload left. */
    OK(ps_tls_send_frame(p.c, big, 100000, 10000));
    RC_IS(ps_tls_recv_frame(p.s, buf, sizeof buf, &len, 10000), PS_EMSGSIZE);
    cr_assert_eq(len, 100000);
    OK(ps_tls_recv_all(p.s, back, 100000, &len, 10000));
    cr_assert_eq(pst_pattern_mismatch(back, 100000, 0), PST_PATTERN_OK);
    ps_iovec iov[4] = {{"ab", 2}, {NULL, 0}, {big, 50000}, {"cd", 2}};
    OK(ps_tls_sendv_all(p.c, iov, 4, &sent, 10000));
    cr_assert_eq(sent, 50004);
    OK(ps_tls_recv_all(p.s, back, 50004, &len, 10000));
    cr_assert_arr_eq(back, "ab", 2);
    cr_assert_eq(pst_pattern_mismatch(back + 2, 50000, 0), PST_PATTERN_OK);
    cr_assert_arr_eq(back + 50002, "cd", 2);
    pair_close(&p);
    free(big);
    free(back);
}

/* The sender stops at its deadline with the peer not reading: *sent is
 * the plaintext in records completely written, and the peer can then
 * read exactly that many bytes, no more (the record cut short is not
 * readable in part). */
Test(tls, exact_count_on_timeout_in_send_all, .timeout = 60)
{
    pair p;
    size_t len = 32u << 20, sent = 0, total = 0, got;
    unsigned char *out = pst_pattern_buffer(0, len);
    unsigned char *in = malloc(len);
    cr_assert_not_null(in);
    pair_open(&p);
    int64_t t0 = pst_now_ms();
    RC_IS(ps_tls_send_all(p.c, out, len, &sent, 300), PS_ETIMEDOUT);
    pst_assert_took(t0, 300, 300 + pst_slack_ms(500), "ps_tls_send_all");
    cr_assert(sent > 0 && sent < len, "sent %zu of %zu", sent, len);
    cr_assert_eq(ps_tls_wants(p.c), (unsigned)PS_POLL_WRITE);
    for (;;) {
        int r = ps_tls_recv(p.s, in + total, len - total, &got,
                            (int)pst_slack_ms(500));
        if (r == PS_ETIMEDOUT)
            break;
        OK(r);
        cr_assert_neq(got, 0);
        total += got;
    }
    cr_assert_eq(total, sent, "the peer read %zu, the sender counted %zu",
                 total, sent);
    cr_assert_eq(pst_pattern_mismatch(in, total, 0), PST_PATTERN_OK);
    /* Going on from buf + sent finishes the cut record and the rest. */
    size_t more = 0;
    RC_IS(ps_tls_send(p.c, out + sent, 1, &more, 1000), PS_EINVAL);
    size_t rest = len - sent < 100000 ? len - sent : 100000;
    OK(ps_tls_send_all(p.c, out + sent, rest, &more, 10000));
    cr_assert_eq(more, rest);
    OK(ps_tls_recv_all(p.s, in + total, rest, &got, 10000));
    cr_assert_eq(pst_pattern_mismatch(in, total + rest, 0), PST_PATTERN_OK);
    pair_close(&p);
    free(out);
    free(in);
}

/* The peer reads some, then resets the connection (linger 0): the sender
 * fails with the transport's error, and *sent covers at least what the
 * peer read (those records were all written) but not everything. */
typedef struct resetter {
    ps_tls *t;
    size_t read;
    int rc;
} resetter;

static void read_then_reset(void *arg)
{
    resetter *r = arg;
    static unsigned char buf[100000];
    r->rc = ps_tls_recv_all(r->t, buf, sizeof buf, &r->read, 10000);
    if (r->rc == 0 &&
        pst_pattern_mismatch(buf, sizeof buf, 0) != PST_PATTERN_OK)
        r->rc = PS_EUNKNOWN;
    ps_set_linger(ps_tls_socket(r->t), 1, 0);
    ps_tls_close(r->t);
}

Test(tls, count_on_peer_reset_in_send_all, .timeout = 60)
{
    pair p;
    size_t len = 32u << 20, sent = 0;
    unsigned char *out = pst_pattern_buffer(0, len);
    pair_open(&p);
    resetter r = {p.s, 0, -1};
    p.s = NULL;
    pst_thread *th = pst_thread_start(read_then_reset, &r);
    int rc = ps_tls_send_all(p.c, out, len, &sent, 20000);
    pst_thread_join(th);
    OK(r.rc);
    cr_assert(rc == PS_ECONNRESET || rc == PS_EPIPE, "send_all -> %s",
              ps_errname(rc));
    cr_assert(sent >= r.read && sent < len, "sent %zu, the peer read %zu", sent,
              r.read);
    pair_close(&p);
    free(out);
}

/* The bulk transfer: issue 17's 1 GiB, checked byte by byte against the
 * stream pattern as it arrives (nothing stores the whole), with exact
 * counts on both sides and close_notify right after the last byte. Under
 * instrumentation every byte costs many times more (pattern, copies,
 * OpenSSL's C paths), so the size is cut, by a factor the test prints:
 * 1/64 (16 MiB) under valgrind's memcheck and 1/4 (256 MiB) under
 * ThreadSanitizer, which keep the test_tls program within its ctest time
 * limit of 300 s on this 2-core machine. */
#define BULK_FULL ((size_t)1 << 30)
#define BULK_BLOCK (((size_t)1 << 20) + 3) /* odd: across records */

typedef struct bulk {
    ps_tls *t;
    size_t len, sent;
    int rc;
} bulk;

/* Sends the pattern from offset 0 to len block by block, then
 * close_notify. */
static void bulk_send(void *arg)
{
    bulk *b = arg;
    unsigned char *buf = malloc(BULK_BLOCK);
    b->rc = buf ? 0 : PS_ENOMEM;
    while (b->rc == 0 && b->sent < b->len) {
        size_t n = b->len - b->sent < BULK_BLOCK ? b->len - b->sent
                                                 : BULK_BLOCK;
        size_t more = 0;
        pst_pattern_fill(buf, b->sent, n);
        b->rc = ps_tls_send_all(b->t, buf, n, &more, 60000);
        b->sent += more;
    }
    if (b->rc == 0)
        b->rc = ps_tls_shutdown(b->t, 60000);
    free(buf);
}

static size_t bulk_len(void)
{
    const char *why = NULL;
    size_t len = BULK_FULL;
    if (pst_under_memcheck()) {
        len = BULK_FULL / 64;
        why = "valgrind's memcheck";
    } else if (pst_under_tsan()) {
        len = BULK_FULL / 4;
        why = "ThreadSanitizer";
    } else if (pst_under_wine()) {
        /* 1 GiB took 76 s of the Wine leg, most of its time. */
        len = BULK_FULL / 4;
        why = "Wine";
    }
    if (why)
        fprintf(stderr,
                "large_transfer_arrives_intact: %zu MiB, not %zu, "
                "under %s\n",
                len >> 20, BULK_FULL >> 20, why);
    return len;
}

Test(tls, large_transfer_arrives_intact, .timeout = 280)
{
    pair p;
    size_t len = bulk_len(), got = 0;
    unsigned char *in = malloc(BULK_BLOCK);
    cr_assert_not_null(in);
    pair_open(&p);
    bulk b = {p.c, len, 0, -1};
    int64_t t0 = pst_now_ms();
    pst_thread *th = pst_thread_start(bulk_send, &b);
    int rc = 0;
    while (rc == 0 && got < len) {
        size_t want = len - got < BULK_BLOCK ? len - got : BULK_BLOCK, n = 0;
        rc = ps_tls_recv_all(p.s, in, want, &n, 60000);
        size_t bad = pst_pattern_mismatch(in, n, got);
        got += n;
        if (bad != PST_PATTERN_OK)
            rc = PS_EUNKNOWN;
        cr_assert_eq(bad, PST_PATTERN_OK, "byte %zu is wrong", bad);
    }
    /* Then the sender's close_notify: not one byte more. */
    size_t extra = 0;
    if (rc == 0)
        rc = ps_tls_recv(p.s, in, 1, &extra, 60000);
    pst_thread_join(th);
    int64_t took = pst_now_ms() - t0;
    OK(rc);
    OK(b.rc);
    cr_assert_eq(b.sent, len);
    cr_assert_eq(got, len);
    cr_assert_eq(extra, 0, "%zu bytes after the last", extra);
    fprintf(stderr, "large_transfer_arrives_intact: %zu MiB in %lld ms\n",
            len >> 20, (long long)took);
    pair_close(&p);
    free(in);
}

/* ---- one thread, timeout 0, ps_select on what each side wants ---- */

Test(tls, event_loop_with_timeout_zero, .timeout = 30)
{
    ps_socket_t a, b;
    ps_tls *c, *s;
    ps_tls_config *scfg = server_config("server");
    ps_tls_config *ccfg = pst_tls_client_config("ca.pem");
    pst_tcp_pair(&a, &b);
    OK(ps_tls_wrap(&c, a, ccfg, "localhost"));
    OK(ps_tls_wrap(&s, b, scfg, NULL));
    int crc = PS_EWOULDBLOCK, src = PS_EWOULDBLOCK, rounds = 0;
    while (crc == PS_EWOULDBLOCK || src == PS_EWOULDBLOCK) {
        ps_pollitem items[2];
        size_t n = 0;
        memset(items, 0, sizeof items);
        if (crc == PS_EWOULDBLOCK)
            crc = ps_tls_handshake(c, 0);
        if (src == PS_EWOULDBLOCK)
            src = ps_tls_handshake(s, 0);
        if (crc == PS_EWOULDBLOCK) {
            cr_assert_neq(ps_tls_wants(c), 0u);
            items[n].kind = PS_KIND_SOCKET;
            items[n].sock = ps_tls_socket(c);
            items[n++].events = ps_tls_wants(c);
        }
        if (src == PS_EWOULDBLOCK) {
            cr_assert_neq(ps_tls_wants(s), 0u);
            items[n].kind = PS_KIND_SOCKET;
            items[n].sock = ps_tls_socket(s);
            items[n++].events = ps_tls_wants(s);
        }
        if (n > 0)
            cr_assert_geq(ps_select(items, n, 5000), 1);
        cr_assert_lt(++rounds, 100);
    }
    OK(crc);
    OK(src);
    char buf[4];
    size_t got = 0;
    RC_IS(ps_tls_recv(s, buf, sizeof buf, &got, 0), PS_EWOULDBLOCK);
    cr_assert_eq(ps_tls_wants(s), (unsigned)PS_POLL_READ);
    OK(ps_tls_send_all(c, "wxyz", 4, NULL, 0));
    ps_pollitem it = {0};
    it.kind = PS_KIND_SOCKET;
    it.sock = ps_tls_socket(s);
    it.events = PS_POLL_READ;
    cr_assert_eq(ps_select(&it, 1, 5000), 1);
    /* Read one byte: the other three wait decrypted in memory. */
    OK(ps_tls_recv(s, buf, 1, &got, 0));
    cr_assert_eq(got, 1);
    cr_assert_eq(ps_tls_pending(s), 3);
    OK(ps_tls_recv(s, buf + 1, 3, &got, 0));
    cr_assert_eq(got, 3);
    cr_assert_arr_eq(buf, "wxyz", 4);
    ps_tls_close(c);
    ps_tls_close(s);
    ps_tls_config_free(ccfg);
    ps_tls_config_free(scfg);
}

/* ---- handshake deadlines against slow peers ---- */

typedef struct dripper {
    ps_socket_t listener;
    atomic_int stop;
} dripper;

/* Accepts one connection and sends it a byte every 100 ms: the start of a
 * TLS record header that never completes, until told to stop. */
static void drip(void *arg)
{
    dripper *d = arg;
    ps_socket_t s;
    if (ps_accept(d->listener, &s, NULL, 10000) != 0)
        return;
    static const unsigned char bytes[] = {0x16, 0x03, 0x03, 0x40, 0x00};
    for (size_t i = 0; !atomic_load(&d->stop); i++) {
        if (i < sizeof bytes)
            ps_send_all(s, bytes + i, 1, NULL, 1000);
        pst_sleep_ms(100);
    }
    ps_close(s);
}

/* A listener on 127.0.0.1 with an ephemeral port, whose number goes to
 * port as text. */
static void listen_local(ps_socket_t *l, char port[8])
{
    OK(ps_listen(l, "127.0.0.1", "0", 8));
    snprintf(port, 8, "%d", pst_local_port(*l));
}

Test(tls, handshake_deadline_holds_against_a_silent_peer, .timeout = 30)
{
    ps_socket_t l;
    ps_tls *t;
    char port[8];
    listen_local(&l, port);
    ps_tls_config *c = pst_tls_client_config("ca.pem");
    /* The kernel completes the TCP connection; no one ever answers. */
    int64_t t0 = pst_now_ms();
    RC_IS(ps_tls_connect(&t, "127.0.0.1", port, c, 400), PS_ETIMEDOUT);
    pst_assert_took(t0, 400, 400 + pst_slack_ms(300), "ps_tls_connect");
    cr_assert_null(t);
    ps_close(l);
    ps_tls_config_free(c);
}

Test(tls, handshake_deadline_holds_against_a_dripping_peer, .timeout = 30)
{
    dripper d;
    ps_tls *t;
    char port[8];
    listen_local(&d.listener, port);
    atomic_init(&d.stop, 0);
    pst_thread *th = pst_thread_start(drip, &d);
    ps_tls_config *c = pst_tls_client_config("ca.pem");
    int64_t t0 = pst_now_ms();
    RC_IS(ps_tls_connect(&t, "127.0.0.1", port, c, 700), PS_ETIMEDOUT);
    pst_assert_took(t0, 700, 700 + pst_slack_ms(300), "ps_tls_connect");
    atomic_store(&d.stop, 1);
    pst_thread_join(th);
    ps_close(d.listener);
    ps_tls_config_free(c);
}

/* ---- a TLS 1.1-only peer (raw OpenSSL, which still speaks it at
 * security level 0) is refused: portsock_tls never goes below 1.2. Built
 * where the test links OpenSSL (the OpenSSL backend); with Schannel,
 * tests/tls/schannel_client.py holds the case against openssl s_server. */
#if PS_TEST_RAW_OPENSSL

#include <openssl/err.h>
#include <openssl/ssl.h>

typedef struct old_peer {
    ps_socket_t listener;
    int accept_rc; /* SSL_accept's result: must not be 1 */
} old_peer;

static void old_peer_run(void *arg)
{
    old_peer *o = arg;
    ps_socket_t s;
    o->accept_rc = 1;
    if (ps_accept(o->listener, &s, NULL, 10000) != 0)
        return;
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX_set_security_level(ctx, 0);
    SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
    SSL_CTX_set_max_proto_version(ctx, TLS1_1_VERSION);
    SSL_CTX_set_cipher_list(ctx, "DEFAULT@SECLEVEL=0");
    SSL_CTX_use_certificate_chain_file(ctx, pst_cert("server.pem"));
    SSL_CTX_use_PrivateKey_file(ctx, pst_cert("server.key"), SSL_FILETYPE_PEM);
    SSL *ssl = SSL_new(ctx);
    SSL_set_fd(ssl, (int)s);
    o->accept_rc = SSL_accept(ssl);
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    ERR_clear_error();
    ps_close(s);
}

Test(tls, tls_1_1_only_peer_is_refused, .timeout = 30)
{
    old_peer o;
    ps_tls *t;
    char port[8];
    listen_local(&o.listener, port);
    pst_thread *th = pst_thread_start(old_peer_run, &o);
    ps_tls_config *c = pst_tls_client_config("ca.pem");
    RC_IS(ps_tls_connect(&t, "localhost", port, c, 10000), PS_ETLS);
    const char *reason = ps_tls_reason(NULL);
    cr_assert(strstr(reason, "protocol") != NULL, "reason \"%s\"", reason);
    pst_thread_join(th);
    cr_assert_neq(o.accept_rc, 1, "the old peer completed a handshake");
    ps_close(o.listener);
    ps_tls_config_free(c);
}
#endif

/* ---- ps_tls_connector: connect by name and handshake from a loop ---- */

/* One ps_poller loop: the connector's item until the connection is
 * there, then the connection's socket for what the handshake wants. */
static int connect_in_loop(ps_tls_connector *tc, ps_tls **out)
{
    ps_poller *p;
    ps_pollitem it;
    ps_event ev[2];
    int rc;
    OK(ps_poller_open(&p));
    OK(ps_tls_connector_item(tc, &it));
    OK(ps_poller_add(p, &it, NULL));
    while ((rc = ps_tls_connector_finish(tc, out)) == PS_EWOULDBLOCK)
        cr_assert_eq(ps_poller_wait(p, ev, 2, 10000), 1);
    OK(ps_poller_remove(p, &it));
    if (rc == 0) {
        int added = 0;
        while ((rc = ps_tls_handshake(*out, 0)) == PS_EWOULDBLOCK) {
            it.sock = ps_tls_socket(*out);
            it.events = ps_tls_wants(*out);
            cr_assert_neq(it.events, 0, "PS_EWOULDBLOCK with nothing wanted");
            OK(added ? ps_poller_modify(p, &it, NULL)
                     : ps_poller_add(p, &it, NULL));
            added = 1;
            cr_assert_eq(ps_poller_wait(p, ev, 2, 10000), 1);
        }
    }
    ps_poller_close(p);
    return rc;
}

Test(tls, connector_verified_handshake_driven_by_a_poller, .timeout = 30)
{
    server srv;
    ps_tls_connector *tc;
    ps_tls *t;
    pst_tls_server_start(&srv, NULL, server_config("server"), echo_job);
    ps_tls_config *c = pst_tls_client_config("ca.pem");
    OK(ps_tls_connector_start(&tc, "localhost", srv.port, c, 10000));
    /* The connector holds the configuration: freeing ours is safe. */
    ps_tls_config_free(c);
    OK(connect_in_loop(tc, &t));
    ps_tls_connector_free(tc);
    echo_with_localhost(&srv, t);
}

/* The host given is the name verified: a certificate for another name
 * fails the loop's handshake. */
Test(tls, connector_verifies_the_host_it_was_given, .timeout = 30)
{
    server srv;
    ps_tls_connector *tc;
    ps_tls *t = NULL;
    pst_tls_server_start(&srv, NULL, server_config("wronghost"), NULL);
    ps_tls_config *c = pst_tls_client_config("ca.pem");
    OK(ps_tls_connector_start(&tc, "localhost", srv.port, c, 10000));
    int rc = connect_in_loop(tc, &t);
    cr_assert_eq(rc, PS_ECERT, "%s", ps_errname(rc));
    OK(ps_tls_close(t));
    ps_tls_connector_free(tc);
    pst_tls_server_join(&srv);
    ps_tls_config_free(c);
}

Test(tls, connector_bad_arguments_and_cancel, .timeout = 30)
{
    ps_tls_connector *tc = (ps_tls_connector *)&tc;
    ps_tls *t = (ps_tls *)&t;
    ps_tls_config *s, *c = pst_tls_client_config("ca.pem");
    OK(ps_tls_config_new(&s, PS_TLS_SERVER));
    cr_assert_eq(ps_tls_connector_start(NULL, "localhost", "1", c, 0),
                 PS_EINVAL);
    cr_assert_eq(ps_tls_connector_start(&tc, "localhost", "1", s, 0),
                 PS_EINVAL);
    cr_assert_null(tc);
    cr_assert_eq(ps_tls_connector_start(&tc, "localhost", NULL, c, 0),
                 PS_EINVAL);
    cr_assert_eq(ps_tls_connector_start(&tc, "localhost", "1", NULL, 0),
                 PS_EINVAL);
    cr_assert_eq(ps_tls_connector_finish(NULL, &t), PS_EINVAL);
    cr_assert_null(t);
    cr_assert_eq(ps_tls_connector_item(NULL, NULL), PS_EINVAL);
    /* Cancelled at once: nothing leaks (ASan, valgrind). */
    OK(ps_tls_connector_start(&tc, "localhost", "1", c, 10000));
    ps_tls_connector_free(tc);
    ps_tls_connector_free(NULL);
    ps_tls_config_free(s);
    ps_tls_config_free(c);
}
