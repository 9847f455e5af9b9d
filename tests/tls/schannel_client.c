/* SPDX-License-Identifier: MIT */
/* portsock_tls's client against native OpenSSL servers that
 * tests/tls/schannel_client.py starts on the Linux side (openssl s_server
 * and Python's ssl module), for the Schannel backend under Wine, whose
 * schannel has no server side. Each server's port comes in the
 * environment (PS_T_*); certificates from the tls_certs fixture. */
#include <criterion/criterion.h>

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
#include "trust_support.h"

#include "rc_assert.h"

/* The port of the driver's server name (PS_T_name). */
static const char *port(const char *name)
{
    char var[64];
    snprintf(var, sizeof var, "PS_T_%s", name);
    const char *p = getenv(var);
    cr_assert_not_null(p, "%s is not set: run this through schannel_client.py",
                       var);
    return p;
}

/* A verified connection to the driver's server name at host, with the
 * test CA; a connection keeps what it needs of its configuration. */
static ps_tls *verified(const char *host, const char *name)
{
    ps_tls_config *c = pst_tls_client_config("ca.pem");
    ps_tls *t;
    OK(ps_tls_connect(&t, host, port(name), c, 10000));
    ps_tls_config_free(c);
    return t;
}

/* Sends "hello", expects it back, then the server's close_notify. */
static void echo_and_close_notify(ps_tls *t)
{
    char buf[16];
    size_t got = 99;
    OK(ps_tls_send_all(t, "hello", 5, NULL, 10000));
    OK(ps_tls_recv_all(t, buf, 5, &got, 10000));
    cr_assert_eq(got, 5);
    cr_assert_arr_eq(buf, "hello", 5);
    OK(ps_tls_recv(t, buf, sizeof buf, &got, 10000));
    cr_assert_eq(got, 0, "close_notify is a clean end");
}

Test(schannel_client, verified_round_trip_with_connect, .timeout = 60)
{
    ps_tls *t;
    char subject[256];
    t = verified("localhost", "ECHO");
    int v = ps_tls_version(t);
    cr_assert(v == PS_TLS_1_2 || v == PS_TLS_1_3, "version 0x%x", v);
    if (pst_under_wine())
        cr_assert_eq(v, PS_TLS_1_2, "Wine 8's schannel stops at TLS 1.2");
    cr_assert_str_eq(ps_tls_alpn(t), "");
    OK(ps_tls_peer_subject(t, subject, sizeof subject));
    cr_assert_str_eq(subject, "O=portsock test,CN=localhost");
    RC_IS(ps_tls_peer_subject(t, subject, 4), PS_EMSGSIZE);
    echo_and_close_notify(t);
    OK(ps_tls_close(t));
}

Test(schannel_client, verified_handshake_with_openssl_s_server, .timeout = 60)
{
    ps_tls *t = verified("localhost", "GOOD");
    cr_assert_neq(ps_tls_version(t), 0);
    OK(ps_tls_shutdown(t, 10000));
    OK(ps_tls_close(t));
}

Test(schannel_client, minimum_tls_1_3, .timeout = 60)
{
    ps_tls_config *c = pst_tls_client_config("ca.pem");
    ps_tls *t = (ps_tls *)&t;
    OK(ps_tls_config_set_min_version(c, PS_TLS_1_3));
    if (pst_under_wine()) {
        /* Wine 8 stops at TLS 1.2: the floor of 1.3 refuses it. */
        RC_IS(ps_tls_connect(&t, "localhost", port("GOOD"), c, 10000), PS_ETLS);
        cr_assert_null(t);
        cr_assert_str_eq(ps_tls_reason(NULL), "unsupported protocol");
    } else {
        OK(ps_tls_connect(&t, "localhost", port("GOOD"), c, 10000));
        cr_assert_eq(ps_tls_version(t), PS_TLS_1_3);
        OK(ps_tls_close(t));
    }
    ps_tls_config_free(c);
}

Test(schannel_client, verified_round_trip_with_wrap, .timeout = 60)
{
    ps_tls_config *c = pst_tls_client_config("ca.pem");
    ps_socket_t s;
    ps_tls *t;
    OK(ps_connect(&s, "127.0.0.1", port("ECHO"), 10000));
    OK(ps_tls_wrap(&t, s, c, "localhost"));
    OK(ps_tls_handshake(t, 10000));
    cr_assert_eq(ps_tls_socket(t), s);
    echo_and_close_notify(t);
    OK(ps_tls_close(t));
    ps_tls_config_free(c);
}

Test(schannel_client, numeric_address_is_verified, .timeout = 60)
{
    ps_tls *t;
    /* 127.0.0.1 is one of server.pem's IP names, and is never SNI. */
    t = verified("127.0.0.1", "ECHO");
    echo_and_close_notify(t);
    OK(ps_tls_close(t));
}

/* A connection to server (with CA file ca) fails with rc and a reason
 * holding words. */
static void rejected(const char *server, const char *ca, int rc,
                     const char *words)
{
    ps_tls_config *c = pst_tls_client_config(ca);
    ps_tls *t = (ps_tls *)&t;
    RC_IS(ps_tls_connect(&t, "localhost", port(server), c, 10000), rc);
    cr_assert_null(t);
    const char *why = ps_tls_reason(NULL);
    cr_assert(strstr(why, words) != NULL, "reason \"%s\" lacks \"%s\"", why,
              words);
    ps_tls_config_free(c);
}

Test(schannel_client, wrong_host_name_is_rejected, .timeout = 60)
{
    rejected("WRONGHOST", "ca.pem", PS_ECERT, "hostname mismatch");
}

Test(schannel_client, wrong_ip_address_is_rejected, .timeout = 60)
{
    /* wronghost.pem names wrong.example only: no IP address. */
    ps_tls_config *c = pst_tls_client_config("ca.pem");
    ps_tls *t = (ps_tls *)&t;
    RC_IS(ps_tls_connect(&t, "127.0.0.1", port("WRONGHOST"), c, 10000),
          PS_ECERT);
    cr_assert_null(t);
    cr_assert_str_eq(ps_tls_reason(NULL), "IP address mismatch");
    ps_tls_config_free(c);
}

Test(schannel_client, expired_certificate_is_rejected, .timeout = 60)
{
    rejected("EXPIRED", "ca.pem", PS_ECERT, "certificate has expired");
}

Test(schannel_client, unknown_ca_is_rejected, .timeout = 60)
{
    rejected("UNKNOWNCA", "other_ca.pem", PS_ECERT,
             "unable to get local issuer certificate");
}

Test(schannel_client, self_signed_is_rejected_by_default, .timeout = 60)
{
    rejected("SELF", "ca.pem", PS_ECERT, "self-signed certificate");
}

/* sys_ca in the ROOT store of this build tree's Wine prefix (Wine keeps
 * it there: only these tests meet certificates it signed). False, and the
 * test skipped, where it cannot be added. */
static int system_trusts_sys_ca(void)
{
    const char *why = pst_system_trust_add(pst_cert("sys_ca.pem"));
    if (why)
        cr_skip_test("%s", why);
    return why == NULL;
}

/* schannel_client.py runs this case alone before the others, in a process
 * of its own: Wine's crypt32 reads the ROOT store once per process, so a
 * certificate added after a connection used the store stays unknown to
 * later ones in that process (a_system_root_is_not_trusted_with_a_ca_file
 * once got PS_ECERT from the system store on a fresh prefix). */
Test(schannel_client, sys_ca_is_in_the_root_store, .timeout = 60)
{
    cr_assert(system_trusts_sys_ca());
}

/* The CA file is the only trust: a server whose root the system trusts,
 * but the file does not hold, is rejected, in OpenSSL's words for a chain
 * that reaches none of the file's certificates. */
Test(schannel_client, a_system_root_is_not_trusted_with_a_ca_file,
     .timeout = 60)
{
    if (!system_trusts_sys_ca())
        return;
    rejected("SYSROOT", "ca.pem", PS_ECERT,
             "unable to get local issuer certificate");
    /* The same server with the system store: the root is really there. */
    ps_tls_config *c;
    OK(ps_tls_config_new(&c, PS_TLS_CLIENT));
    ps_tls *t;
    OK(ps_tls_connect(&t, "localhost", port("SYSROOT"), c, 10000));
    OK(ps_tls_close(t));
    ps_tls_config_free(c);
}

/* CROSS sends its certificate and cross_link: cross_ca's name and key,
 * issued by sys_ca, which the system trusts. The CA file holds cross_ca:
 * the chain must end there, not climb to the system's root and then be
 * refused because that root is not the file's. */
Test(schannel_client, a_ca_file_root_cross_signed_by_a_system_root_is_trusted,
     .timeout = 60)
{
    if (!system_trusts_sys_ca())
        return;
    ps_tls_config *c = pst_tls_client_config("cross_ca.pem");
    ps_tls *t = NULL;
    int rc = ps_tls_connect(&t, "localhost", port("CROSS"), c, 10000);
    cr_assert_eq(rc, 0, "connect -> %s (%s)", ps_errname(rc),
                 ps_tls_reason(NULL));
    OK(ps_tls_close(t));
    ps_tls_config_free(c);
}

Test(schannel_client, self_signed_is_accepted_only_without_verification,
     .timeout = 60)
{
    ps_tls_config *c;
    ps_tls *t;
    OK(ps_tls_config_new(&c, PS_TLS_CLIENT));
    OK(ps_tls_config_set_verify(c, PS_TLS_VERIFY_NONE_INSECURE));
    OK(ps_tls_connect(&t, "localhost", port("SELF"), c, 10000));
    OK(ps_tls_close(t));
    ps_tls_config_free(c);
    /* The system store (no CA file) does not know it either. */
    OK(ps_tls_config_new(&c, PS_TLS_CLIENT));
    t = (ps_tls *)&t;
    RC_IS(ps_tls_connect(&t, "localhost", port("SELF"), c, 10000), PS_ECERT);
    cr_assert_null(t);
    ps_tls_config_free(c);
}

Test(schannel_client, tls_1_1_only_peer_is_refused, .timeout = 60)
{
    ps_tls_config *c = pst_tls_client_config("ca.pem");
    ps_tls *t = (ps_tls *)&t;
    RC_IS(ps_tls_connect(&t, "localhost", port("TLS11"), c, 10000), PS_ETLS);
    cr_assert_null(t);
    cr_assert_neq(ps_tls_reason(NULL)[0], '\0');
    ps_tls_config_free(c);
}

Test(schannel_client, alpn_is_agreed_in_the_servers_order, .timeout = 60)
{
    static const char *const protos[] = {"h2", "http/1.1"};
    ps_tls_config *c = pst_tls_client_config("ca.pem");
    ps_tls *t;
    OK(ps_tls_config_set_alpn(c, protos, 2));
    OK(ps_tls_connect(&t, "localhost", port("ALPN"), c, 10000));
    /* s_server -alpn http/1.1,h2: its first that the client offers. */
    cr_assert_str_eq(ps_tls_alpn(t), "http/1.1");
    OK(ps_tls_close(t));
    ps_tls_config_free(c);
}

Test(schannel_client, end_without_close_notify_is_truncation, .timeout = 60)
{
    ps_tls *t;
    char buf[16];
    size_t got = 99;
    t = verified("localhost", "TRUNC");
    OK(ps_tls_recv_all(t, buf, 7, &got, 10000));
    cr_assert_arr_eq(buf, "partial", 7);
    RC_IS(ps_tls_recv(t, buf, sizeof buf, &got, 10000), PS_ETRUNCATED);
    cr_assert_eq(got, 0);
    OK(ps_tls_close(t));
}

static size_t bulk_size(void)
{
    const char *v = getenv("PS_T_BULK");
    cr_assert_not_null(v);
    return (size_t)strtoul(v, NULL, 10);
}

Test(schannel_client, multi_mib_transfer_is_intact_with_exact_counts,
     .timeout = 120)
{
    ps_tls *t;
    size_t n = bulk_size(), got = 0, sent = 0;
    unsigned char *buf = malloc(n);
    cr_assert_not_null(buf);
    /* Down: the server sends n pattern bytes, then close_notify. */
    t = verified("localhost", "DOWN");
    int64_t t0 = pst_now_ms();
    OK(ps_tls_recv_all(t, buf, n, &got, 60000));
    int64_t down_ms = pst_now_ms() - t0;
    cr_assert_eq(got, n);
    cr_assert_eq(pst_pattern_mismatch(buf, n, 0), PST_PATTERN_OK);
    RC_IS(ps_tls_recv_all(t, buf, 1, &got, 10000), PS_ECLOSED);
    cr_assert_eq(got, 0);
    OK(ps_tls_close(t));
    /* Up: n pattern bytes out; the server answers 'Y' if all were right. */
    pst_pattern_fill(buf, 0, n);
    t = verified("localhost", "UP");
    t0 = pst_now_ms();
    OK(ps_tls_send_all(t, buf, n, &sent, 60000));
    cr_assert_eq(sent, n);
    OK(ps_tls_recv_all(t, buf, 1, &got, 60000));
    int64_t up_ms = pst_now_ms() - t0;
    cr_assert_eq(buf[0], 'Y', "the server saw the pattern broken");
    OK(ps_tls_close(t));
    cr_log_info(
        "%zu bytes: down %lld ms (%.1f MB/s), up %lld ms (%.1f MB/s)", n,
        (long long)down_ms, (double)n / 1e3 / (double)(down_ms ? down_ms : 1),
        (long long)up_ms, (double)n / 1e3 / (double)(up_ms ? up_ms : 1));
    fprintf(stderr, "schannel bulk: %zu bytes down %.1f MB/s, up %.1f MB/s\n",
            n, (double)n / 1e3 / (double)(down_ms ? down_ms : 1),
            (double)n / 1e3 / (double)(up_ms ? up_ms : 1));
    free(buf);
}

Test(schannel_client, exact_count_on_timeout_in_send_all, .timeout = 120)
{
    ps_tls *t;
    size_t one = bulk_size(), sent = 0, rest = 0;
    size_t copies = (size_t)strtoul(getenv("PS_T_SLOW_COPIES"), NULL, 10);
    size_t n = one * copies;
    unsigned char *buf = malloc(n);
    cr_assert_not_null(buf);
    pst_pattern_fill(buf, 0, one);
    for (size_t i = 1; i < copies; i++)
        memcpy(buf + i * one, buf, one);
    /* The server reads nothing for 3 s: the buffers fill, the time ends. */
    t = verified("localhost", "SLOW");
    RC_IS(ps_tls_send_all(t, buf, n, &sent, 1000), PS_ETIMEDOUT);
    cr_assert(sent > 0 && sent < n, "sent %zu of %zu", sent, n);
    /* The count is exact: the rest, from there, makes the stream whole
     * (a record cut short is finished first, and counted then). */
    OK(ps_tls_send_all(t, buf + sent, n - sent, &rest, 60000));
    cr_assert_eq(rest, n - sent);
    OK(ps_tls_recv_all(t, buf, 1, &rest, 60000));
    cr_assert_eq(buf[0], 'Y', "the server found the stream broken");
    cr_log_info("timed out after %zu of %zu bytes", sent, n);
    OK(ps_tls_close(t));
    free(buf);
}

/* Waits (ps_select) for what t wants; the step never waits itself. */
static void wait_wants(ps_tls *t)
{
    unsigned w = ps_tls_wants(t);
    cr_assert(w == PS_POLL_READ || w == PS_POLL_WRITE, "wants %u", w);
    ps_pollitem item;
    memset(&item, 0, sizeof item);
    item.kind = PS_KIND_SOCKET;
    item.sock = ps_tls_socket(t);
    item.events = w;
    cr_assert_geq(ps_select(&item, 1, 10000), 1);
}

Test(schannel_client, event_loop_with_timeout_zero, .timeout = 60)
{
    ps_tls_config *c = pst_tls_client_config("ca.pem");
    ps_socket_t s;
    ps_tls *t;
    char buf[8];
    size_t got = 0, sent = 0;
    OK(ps_connect(&s, "127.0.0.1", port("ECHO"), 10000));
    OK(ps_tls_wrap(&t, s, c, "localhost"));
    int rc, rounds = 0;
    while ((rc = ps_tls_handshake(t, 0)) == PS_EWOULDBLOCK) {
        wait_wants(t);
        rounds++;
    }
    OK(rc);
    /* Rounds may be 0: Wine's loopback can answer within one step. */
    cr_log_info("handshake: %d waits", rounds);
    cr_assert_eq(ps_tls_wants(t), 0u);
    /* The echo server sends nothing before it hears: this must not wait. */
    int64_t t0 = pst_now_ms();
    RC_IS(ps_tls_recv(t, buf, sizeof buf, &got, 0), PS_EWOULDBLOCK);
    cr_assert_lt(pst_now_ms() - t0, 1000);
    cr_assert_eq(got, 0);
    cr_assert_eq(ps_tls_wants(t), (unsigned)PS_POLL_READ);
    OK(ps_tls_send(t, "hello", 5, &sent, 0));
    cr_assert_eq(sent, 5);
    /* Nothing yet, maybe: the reply is awaited without blocking. */
    while ((rc = ps_tls_recv(t, buf, sizeof buf, &got, 0)) == PS_EWOULDBLOCK) {
        cr_assert_eq(ps_tls_wants(t), (unsigned)PS_POLL_READ);
        wait_wants(t);
    }
    OK(rc);
    cr_assert_eq(got, 5);
    cr_assert_arr_eq(buf, "hello", 5);
    /* Nothing more but, when it came with the echo, the server's
     * close_notify (pending 1): then the next receive returns it at once. */
    if (ps_tls_pending(t) > 0) {
        cr_assert_eq(ps_tls_pending(t), 1u);
        OK(ps_tls_recv(t, buf, sizeof buf, &got, 0));
        cr_assert_eq(got, 0, "only the close_notify was pending");
        cr_assert_eq(ps_tls_pending(t), 0u);
    }
    OK(ps_tls_close(t));
    ps_tls_config_free(c);
}

Test(schannel_client, shutdown_sends_close_notify, .timeout = 60)
{
    ps_tls *t;
    /* The driver fails the run unless this server read a close_notify. */
    t = verified("localhost", "SHUT");
    OK(ps_tls_send_all(t, "bye", 3, NULL, 10000));
    OK(ps_tls_shutdown(t, 10000));
    OK(ps_tls_close(t));
}

/* Finding 3 of the Schannel review: a TLS 1.2 server that speaks first
 * sends its greeting with its Finished (the driver's GREET server: one TCP
 * write), so one read takes both: the greeting's record is then in memory,
 * and an event loop that waits on the socket only while ps_tls_pending is
 * 0 must still get it. */
Test(schannel_client, greeting_with_the_last_flight_is_not_lost, .timeout = 60)
{
    ps_tls_config *c = pst_tls_client_config("ca.pem");
    ps_socket_t s;
    ps_tls *t;
    char buf[32];
    size_t got = 0, sent = 0;
    OK(ps_connect(&s, "127.0.0.1", port("GREET"), 10000));
    OK(ps_tls_wrap(&t, s, c, "localhost"));
    int rc;
    while ((rc = ps_tls_handshake(t, 0)) == PS_EWOULDBLOCK) {
        wait_wants(t);
    }
    OK(rc);
    cr_assert_eq(ps_tls_version(t), PS_TLS_1_2);
    size_t pending = ps_tls_pending(t);
    cr_log_info("after the handshake: %zu bytes pending", pending);
    /* The event loop: it waits for the socket only with nothing pending. */
    size_t have = 0;
    const char want[] = "220 greeting\r\n";
    while (have < sizeof want - 1) {
        if (ps_tls_pending(t) == 0) {
            ps_pollitem item;
            memset(&item, 0, sizeof item);
            item.kind = PS_KIND_SOCKET;
            item.sock = ps_tls_socket(t);
            item.events = PS_POLL_READ;
            cr_assert_eq(ps_select(&item, 1, 3000), 1,
                         "nothing pending and the socket not readable: the "
                         "greeting (%zu of %zu bytes so far) is stuck in "
                         "memory, the loop waits forever",
                         have, sizeof want - 1);
        }
        rc = ps_tls_recv(t, buf + have, sizeof buf - have, &got, 0);
        if (rc == PS_EWOULDBLOCK)
            continue;
        OK(rc);
        cr_assert_gt(got, 0);
        have += got;
    }
    cr_assert_arr_eq(buf, want, sizeof want - 1);
    OK(ps_tls_send(t, "ok", 2, &sent, 10000));
    cr_assert_eq(sent, 2);
    OK(ps_tls_close(t));
    ps_tls_config_free(c);
}

/* Review finding 8: a certificate file whose first certificate does not
 * parse is refused, never served with the next one (its issuer, as the
 * leaf). The setter fails before the key is used, so this runs under Wine
 * too, whose crypt32 cannot import keys. */
Test(schannel_client, first_certificate_that_does_not_parse_is_an_error,
     .timeout = 60)
{
    const char *path = "schannel_bad_leaf.pem";
    FILE *out = fopen(path, "wb");
    FILE *in = fopen(pst_cert("server.pem"), "rb");
    cr_assert(out && in);
    /* Three zero bytes: base64 that is no certificate. */
    fputs("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
          out);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, in)) > 0)
        cr_assert_eq(fwrite(chunk, 1, n, out), n);
    fclose(in);
    cr_assert_eq(fclose(out), 0);
    ps_tls_config *c;
    OK(ps_tls_config_new(&c, PS_TLS_SERVER));
    int rc = ps_tls_config_set_cert(c, path, pst_cert("server.key"));
    char why[256];
    snprintf(why, sizeof why, "%s", ps_tls_reason(NULL));
    remove(path);
    ps_tls_config_free(c);
    RC_IS(rc, PS_ETLS);
    cr_assert(strstr(why, "first certificate") != NULL,
              "reason \"%s\": the next certificate was taken as the leaf", why);
}

/* ---- ps_conn over Schannel (ps_tls_conn_new) ---- */

/* A ps_conn on a verified connection to the driver's server name. */
static ps_conn *verified_conn(const char *name, ps_tls **t)
{
    ps_conn *c;
    *t = verified("localhost", name);
    OK(ps_tls_conn_new(&c, *t, NULL));
    return c;
}

/* Lines out to the echo and back, then its close_notify as the end. */
Test(schannel_client, conn_lines_through_echo, .timeout = 60)
{
    ps_tls *t;
    ps_conn *c = verified_conn("ECHO", &t);
    OK(ps_conn_send(c, "two\nlines\n", 10));
    size_t got;
    int64_t end = pst_now_ms() + pst_slack_ms(20000);
    while (pst_conn_turn(c, &got) != PS_ECLOSED)
        cr_assert_lt(pst_now_ms(), end, "no end of stream");
    const char *line;
    size_t len;
    OK(ps_conn_read_line(c, &line, &len));
    cr_assert(len == 3 && memcmp(line, "two", 3) == 0);
    OK(ps_conn_read_line(c, &line, &len));
    cr_assert(len == 5 && memcmp(line, "lines", 5) == 0);
    RC_IS(ps_conn_read_line(c, &line, &len), PS_ECLOSED);
    OK(ps_conn_close(c, NULL));
}

/* The multi-MiB pattern down through the receive buffer (Schannel reads
 * ahead: what it holds decrypted must come out without a readiness), and
 * up through the send queue; exact counts. */
Test(schannel_client, conn_multi_mib_down_and_up, .timeout = 120)
{
    ps_tls *t;
    size_t n = bulk_size(), back = 0, got;
    unsigned char in[16384];
    ps_conn *c = verified_conn("DOWN", &t);
    int64_t end = pst_now_ms() + pst_slack_ms(60000);
    int r = 0;
    while (r != PS_ECLOSED) {
        r = pst_conn_turn(c, &got);
        while (ps_conn_read(c, in, sizeof in, &got) == 0) {
            cr_assert_eq(pst_pattern_mismatch(in, got, back), PST_PATTERN_OK);
            back += got;
        }
        cr_assert_lt(pst_now_ms(), end, "%zu of %zu bytes came", back, n);
    }
    cr_assert_eq(back, n);
    OK(ps_conn_close(c, NULL));

    unsigned char *out = pst_pattern_buffer(0, n);
    c = verified_conn("UP", &t);
    size_t sent = 0;
    char answer = 0;
    while (answer == 0) {
        while (sent < n && !ps_conn_over_high_water(c)) {
            size_t k = n - sent < 50000 ? n - sent : 50000;
            OK(ps_conn_send(c, out + sent, k));
            sent += k;
        }
        pst_conn_turn(c, &got);
        if (ps_conn_read(c, &answer, 1, &got) != 0)
            answer = 0;
        cr_assert_lt(pst_now_ms(), end, "no answer");
    }
    cr_assert_eq(answer, 'Y', "the server saw the pattern broken");
    ps_conn_stats st;
    OK(ps_conn_get_stats(c, &st));
    cr_assert_eq(st.sent, n);
    uint64_t dropped = 1;
    OK(ps_conn_close(c, &dropped));
    cr_assert_eq(dropped, 0);
    free(out);
}
