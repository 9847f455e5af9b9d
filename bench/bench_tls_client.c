/* SPDX-License-Identifier: MIT */
/* The client half of the Windows TLS figures (bench/run_tls_wine.py): one
 * connection made with ps_tls_connect, verified against the given CA, to
 * bench_tls_server (native, raw OpenSSL, TLS 1.2 and one cipher suite),
 * then per block:
 *  - bulk: asks for N MiB ("B <bytes>" as a frame) and takes them with
 *    ps_tls_recv_all in 1 MiB calls; MB/s from the request to the last byte;
 *  - frames: asks for an echo ("F <count>") and sends a 30-byte payload
 *    with ps_tls_send_frame, waits for it with ps_tls_recv_frame, count
 *    times; microseconds per round trip.
 * The first handshake (its time includes the backend's start-up in the
 * process) is printed apart; --handshakes N then times N more connections
 * (connect, handshake, "Q", close_notify, close), milliseconds each.
 * Portable: portsock and portsock_tls only, so the same source measures
 * each backend (Schannel, OpenSSL) of a Windows build. One line per figure:
 *   tls backend=schannel version=1.2 handshake_ms=12.3 platform="..."
 *   bulk bytes=33554432 ns=... mbps=123.4
 *   frames count=2000 ns=... us=45.6
 *   handshakes count=20 ns=... ms=1.2
 *
 * bench_tls_client --port P --ca CA.pem [--host H] [--mib N] [--frames N]
 *                  [--blocks N] [--handshakes N] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portsock.h"
#include "portsock_tls.h"
#include "raw.h"

#define CHUNK (1024 * 1024)
#define PAYLOAD 30
#define TIMEOUT_MS 120000

static ps_tls *conn;

static _Noreturn void die(const char *what, int rc)
{
    fprintf(stderr, "bench_tls_client: %s: %s (%s)\n", what, ps_strerror(rc),
            ps_tls_reason(conn));
    exit(1);
}

static long arg_long(const char *s, long min, long max)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < min || v > max) {
        fprintf(stderr, "bench_tls_client: bad number %s\n", s);
        exit(2);
    }
    return v;
}

static void request_on(ps_tls *t, char kind, long long n)
{
    char text[32];
    int len = snprintf(text, sizeof text, "%c %lld", kind, n);
    int rc = ps_tls_send_frame(t, text, (size_t)len, TIMEOUT_MS);
    if (rc != 0)
        die("sending a request", rc);
}

static void request(char kind, long long n)
{
    request_on(conn, kind, n);
}

static void handshakes(const char *host, const char *port,
                       const ps_tls_config *cfg, long count)
{
    int64_t t0 = raw_now_ns();
    for (long i = 0; i < count; i++) {
        ps_tls *t = NULL;
        int rc = ps_tls_connect(&t, host, port, cfg, TIMEOUT_MS);
        if (rc != 0)
            die("ps_tls_connect (handshakes)", rc);
        request_on(t, 'Q', 0);
        ps_tls_shutdown(t, 5000);
        ps_tls_close(t);
    }
    int64_t ns = raw_now_ns() - t0;
    printf("handshakes count=%ld ns=%lld ms=%.3f\n", count, (long long)ns,
           (double)ns / 1e6 / (double)count);
}

static void bulk(unsigned char *buf, long long bytes)
{
    int64_t t0 = raw_now_ns();
    request('B', bytes);
    for (long long left = bytes; left > 0;) {
        size_t want = left < CHUNK ? (size_t)left : CHUNK, got = 0;
        int rc = ps_tls_recv_all(conn, buf, want, &got, TIMEOUT_MS);
        if (rc != 0)
            die("receiving the bulk", rc);
        left -= (long long)got;
    }
    int64_t ns = raw_now_ns() - t0;
    printf("bulk bytes=%lld ns=%lld mbps=%.1f\n", bytes, (long long)ns,
           (double)bytes / ((double)ns / 1e3));
}

static void frames(long count)
{
    unsigned char out[PAYLOAD], in[PAYLOAD];
    for (int i = 0; i < PAYLOAD; i++)
        out[i] = (unsigned char)('a' + i % 26);
    request('F', count);
    int64_t t0 = raw_now_ns();
    for (long i = 0; i < count; i++) {
        size_t len = 0;
        int rc = ps_tls_send_frame(conn, out, sizeof out, TIMEOUT_MS);
        if (rc == 0)
            rc = ps_tls_recv_frame(conn, in, sizeof in, &len, TIMEOUT_MS);
        if (rc != 0)
            die("a frame round trip", rc);
        if (len != PAYLOAD || memcmp(in, out, PAYLOAD) != 0) {
            fprintf(stderr, "bench_tls_client: the echo differs\n");
            exit(1);
        }
    }
    int64_t ns = raw_now_ns() - t0;
    printf("frames count=%ld ns=%lld us=%.2f\n", count, (long long)ns,
           (double)ns / 1e3 / (double)count);
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1", *port = NULL, *ca = NULL;
    long mib = 32, nframes = 2000, blocks = 1, nhs = 0;
    int bad = 0;
    for (int i = 1; i < argc && !bad; i++) {
        if (!strcmp(argv[i], "--port") && i + 1 < argc)
            port = argv[++i];
        else if (!strcmp(argv[i], "--ca") && i + 1 < argc)
            ca = argv[++i];
        else if (!strcmp(argv[i], "--host") && i + 1 < argc)
            host = argv[++i];
        else if (!strcmp(argv[i], "--mib") && i + 1 < argc)
            mib = arg_long(argv[++i], 0, 4096);
        else if (!strcmp(argv[i], "--frames") && i + 1 < argc)
            nframes = arg_long(argv[++i], 0, 10000000);
        else if (!strcmp(argv[i], "--handshakes") && i + 1 < argc)
            nhs = arg_long(argv[++i], 0, 100000);
        else if (!strcmp(argv[i], "--blocks") && i + 1 < argc)
            blocks = arg_long(argv[++i], 1, 1000);
        else
            bad = 1;
    }
    if (bad || !port || !ca) {
        fprintf(stderr,
                "usage: bench_tls_client --port P --ca CA.pem [--host H] "
                "[--mib N] [--frames N] [--blocks N] [--handshakes N]\n");
        return 2;
    }
    int rc = ps_init();
    if (rc != 0)
        die("ps_init", rc);
    ps_tls_config *cfg = NULL;
    if ((rc = ps_tls_config_new(&cfg, PS_TLS_CLIENT)) != 0 ||
        (rc = ps_tls_config_set_ca(cfg, ca)) != 0)
        die("the client configuration", rc);
    unsigned char *buf = malloc(CHUNK);
    if (!buf)
        die("malloc", PS_ENOMEM);

    int64_t t0 = raw_now_ns();
    if ((rc = ps_tls_connect(&conn, host, port, cfg, TIMEOUT_MS)) != 0)
        die("ps_tls_connect", rc);
    double hs_ms = (double)(raw_now_ns() - t0) / 1e6;
    ps_set_nodelay(ps_tls_socket(conn), 1); /* as the server: frames */
    int v = ps_tls_version(conn);
    printf("tls backend=%s version=%s handshake_ms=%.2f platform=\"%s\"\n",
           PS_BENCH_TLS_BACKEND,
           v == PS_TLS_1_3   ? "1.3"
           : v == PS_TLS_1_2 ? "1.2"
                             : "?",
           hs_ms, raw_platform());
    for (long b = 0; b < blocks; b++) {
        if (mib > 0)
            bulk(buf, (long long)mib * 1024 * 1024);
        if (nframes > 0)
            frames(nframes);
    }
    request('Q', 0);
    ps_tls_shutdown(conn, 5000);
    ps_tls_close(conn);
    conn = NULL;
    if (nhs > 0)
        handshakes(host, port, cfg, nhs);
    ps_tls_config_free(cfg);
    free(buf);
    ps_cleanup();
    return 0;
}
