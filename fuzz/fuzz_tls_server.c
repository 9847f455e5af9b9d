/* SPDX-License-Identifier: MIT */
/* A portsock_tls server fed arbitrary client bytes.
 *
 * Per input: a ps_socketpair; the input is written raw into one end as
 * everything the client ever sends; the other end is wrapped by
 * ps_tls_wrap in a server configuration (made once per process: a fresh
 * self-signed certificate, ALPN h2 and http/1.1). In two steps: first
 * only the input's first TLS record (as its 5-byte header announces, or
 * all of it if shorter) is written and ps_tls_handshake runs with timeout
 * 0; then the rest is written, the writing side shut down, and
 * ps_tls_handshake runs with a deadline and, if it completes, ps_tls_recv
 * until the stream ends or fails. What the server writes back
 * (its ServerHello, alerts) stays unread in the socket's buffer, which is
 * large enough for it.
 *
 * The contract (include/portsock_tls.h): every call returns 0 or one of
 * its documented codes. The first step may also give PS_EWOULDBLOCK, and
 * then ps_tls_wants is PS_POLL_READ (the server's replies always fit in
 * the socket's buffer, so it can only be waiting for the client). In the
 * second step all the client's bytes and its end of stream are there, so
 * nothing ever has to wait: a timeout is a failure too, as is any code
 * the header does not name for garbage or an early end (PS_ETLS,
 * PS_ECERT, PS_ETRUNCATED, PS_ECONNRESET). After a failure the connection's ps_tls_reason is a
 * string, and ps_tls_version is 0 unless the handshake completed.
 * Everything is freed per input, so LeakSanitizer sees any leak.
 *
 * Seeds: real ClientHellos, made by fuzz_tls_seeds at campaign time. */
#include <stdint.h>
#include <string.h>

#include "fuzz_stream.h"
#include "fuzz_tls_cert.h"
#include "portsock_tls.h"

/* Long enough that it never fires on a loaded machine: nothing waits. */
#define STEP_TIMEOUT_MS 5000

static ps_tls_config *cfg;

static void make_config(void)
{
    static const char *const alpn[] = {"h2", "http/1.1"};
    tls_cert_make();
    HARNESS(ps_tls_config_new(&cfg, PS_TLS_SERVER) == 0, "ps_tls_config_new");
    HARNESS(ps_tls_config_set_cert(cfg, tls_cert_path, tls_key_path) == 0,
            "ps_tls_config_set_cert");
    HARNESS(ps_tls_config_set_alpn(cfg, alpn, 2) == 0,
            "ps_tls_config_set_alpn");
}

/* The codes a server may see from a client that sends these bytes and
 * then ends its stream. */
static int documented_failure(int rc)
{
    return rc == PS_ETLS || rc == PS_ECERT || rc == PS_ETRUNCATED ||
           rc == PS_ECONNRESET;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ps_socket_t pair[2];
    ps_tls *t = NULL;
    unsigned char buf[4096];
    if (size > STREAM_MAX_INPUT)
        return 0;
    if (cfg == NULL)
        make_config();

    stream_open(pair);
    /* The server's replies go into pair[1]'s receive buffer, unread. */
    {
        int big = 4 * STREAM_MAX_INPUT;
        (void)setsockopt(pair[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
        (void)setsockopt(pair[1], SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    }
    int rc = ps_tls_wrap(&t, pair[0], cfg, NULL);
    HARNESS(rc == 0 && t != NULL, "ps_tls_wrap");

    /* Step 1: the first record alone, no waiting. */
    size_t first = size;
    if (size >= 5 && 5 + (((size_t)data[3] << 8) | data[4]) < size)
        first = 5 + (((size_t)data[3] << 8) | data[4]);
    stream_write(pair[1], data, first, 1);
    rc = ps_tls_handshake(t, 0);
    CHECK(rc == 0 || rc == PS_EWOULDBLOCK || documented_failure(rc),
          "ps_tls_handshake(timeout 0) on the first %zu bytes: %s (%s)", first,
          ps_errname(rc), ps_tls_reason(t));
    if (rc == PS_EWOULDBLOCK)
        CHECK(ps_tls_wants(t) == PS_POLL_READ,
              "ps_tls_handshake(timeout 0): PS_EWOULDBLOCK wanting %#x",
              ps_tls_wants(t));

    /* Step 2: the rest and the end of stream (a failure is final). */
    stream_write(pair[1], data + first, size - first, 1);
    stream_end(&pair[1], 0);
    if (rc == 0 || rc == PS_EWOULDBLOCK)
        rc = ps_tls_handshake(t, STEP_TIMEOUT_MS);
    CHECK(rc == 0 || documented_failure(rc),
          "ps_tls_handshake on %zu bytes: %s (%s)", size, ps_errname(rc),
          ps_tls_reason(t));
    CHECK(ps_tls_reason(t) != NULL, "ps_tls_reason is NULL");
    CHECK(ps_tls_alpn(t) != NULL && ps_tls_server_name(t) != NULL,
          "ps_tls_alpn or ps_tls_server_name is NULL");
    if (rc != 0) {
        CHECK(ps_tls_version(t) == 0, "failed handshake with version %#x",
              (unsigned)ps_tls_version(t));
    } else {
        int v = ps_tls_version(t);
        CHECK(v == PS_TLS_1_2 || v == PS_TLS_1_3, "version %#x", (unsigned)v);
        /* The rest of the input is application data: read it all. */
        for (int i = 0; i < 100000; i++) {
            size_t got = (size_t)-1;
            rc = ps_tls_recv(t, buf, sizeof buf, &got, STEP_TIMEOUT_MS);
            if (rc == 0 && got == 0)
                break; /* close_notify */
            CHECK(rc == 0 || documented_failure(rc), "ps_tls_recv: %s (%s)",
                  ps_errname(rc), ps_tls_reason(t));
            if (rc != 0) {
                CHECK(got == 0, "ps_tls_recv failed with got %zu", got);
                break;
            }
            CHECK(got <= sizeof buf, "ps_tls_recv: got %zu", got);
        }
    }
    HARNESS(ps_tls_close(t) == 0, "ps_tls_close");
    HARNESS(close(pair[1]) == 0, "close");
    return 0;
}
