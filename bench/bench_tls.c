/* SPDX-License-Identifier: MIT */
/* portsock_tls against raw OpenSSL, the physical limit for this work: the
 * same OpenSSL, context settings, certificates (P-256, made by
 * tests/tls/make_certs.sh into the build tree) and therefore the same
 * version and cipher suite, over loopback TCP, client and server in two
 * threads. The raw side is plain SSL_read / SSL_write on a blocking socket
 * with SSL_set_fd. Three figures:
 *  - bulk: ps_tls_send_all / ps_tls_recv_all vs an SSL_write / SSL_read
 *    loop, MB/s (the sender's clock, from the first byte to the receiver's
 *    one-byte acknowledgement);
 *  - frames: a 30-byte payload behind its 4-byte length echoed back,
 *    ps_tls_send_frame / ps_tls_recv_frame vs one 34-byte SSL_write and
 *    SSL_read of the header then the payload, Nagle off on both;
 *  - handshakes: TCP connect + full handshake (verified, host checked) +
 *    close, ps_tls_connect / ps_accept + ps_tls_wrap + ps_tls_handshake vs
 *    connect + SSL_connect / accept + SSL_accept; no resumption.
 * The two methods take turns block by block; each figure is the median of
 * its blocks, printed with their spread (min..max over the median), and the
 * ratio of the medians. Figures, not a test: it fails only when a transfer
 * fails. POSIX only (SSL_set_fd takes the socket as an int).
 *
 * On Linux with two CPUs or more, the client and server threads are
 * pinned to two different CPUs for both methods: where the scheduler puts
 * them (together, apart, moved mid-block) swung the bulk ratio between runs
 * more than the methods differ. --no-pin leaves placement to the system.
 *
 * bench_tls [--certs DIR] [--quick] [--rounds N] [--mib N]
 *           [--only bulk|frames|handshakes] [--method raw|ps] [--no-pin]
 * (--method: one method alone, to profile it; its ratio means nothing) */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "common.h"
#include "portsock.h"
#include "portsock_tls.h"
#include "raw.h"

#define CHUNK (1024 * 1024) /* bulk: bytes per send_all / recv_all call */
#define PAYLOAD 30
#define MAX_BLOCKS 64

enum { RAW, PS };
static const char *const method_name[2] = {"raw OpenSSL", "portsock_tls"};
enum { K_BULK, K_FRAMES, K_HANDSHAKES, K_CHECK };

static SSL_CTX *raw_cli, *raw_srv;
static ps_tls_config *ps_cli, *ps_srv;
static int listener = -1;
static char port_text[16];
static struct sockaddr_in listen_addr;
static int only_method = -1; /* --method: one method alone (for perf, strace) */
static int pinned; /* client on the first allowed CPU, server on the second */

static _Noreturn void die(const char *what)
{
    fprintf(stderr, "bench_tls: %s\n", what);
    ERR_print_errors_fp(stderr);
    exit(1);
}

/* One end of a connection, by either method. */
typedef struct {
    int mode;
    int fd; /* raw */
    SSL *ssl;
    ps_tls *t;
} end;

static void nodelay(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* ---- connecting and accepting ---- */

static int raw_tcp_connect(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 ||
        connect(fd, (struct sockaddr *)&listen_addr, sizeof listen_addr) != 0)
        die("connect");
    return fd;
}

static int end_connect(end *e, int mode, int frames)
{
    memset(e, 0, sizeof *e);
    e->mode = mode;
    if (mode == PS) {
        if (frames) { /* Nagle off before the handshake, as the raw side */
            ps_socket_t s;
            if (ps_connect(&s, "127.0.0.1", port_text, 10000) != 0)
                return -1;
            ps_set_nodelay(s, 1);
            if (ps_tls_wrap(&e->t, s, ps_cli, "127.0.0.1") != 0)
                return -1;
            return ps_tls_handshake(e->t, 10000) == 0 ? 0 : -1;
        }
        return ps_tls_connect(&e->t, "127.0.0.1", port_text, ps_cli, 10000) == 0
                   ? 0
                   : -1;
    }
    e->fd = raw_tcp_connect();
    if (frames)
        nodelay(e->fd);
    if (!(e->ssl = SSL_new(raw_cli)))
        return -1;
    /* As portsock_tls does for a numeric name: checked against the
     * certificate's IP entries, no SNI. */
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(e->ssl), "127.0.0.1");
    SSL_set_fd(e->ssl, e->fd);
    return SSL_connect(e->ssl) == 1 ? 0 : -1;
}

static int end_accept(end *e, int mode, int frames)
{
    memset(e, 0, sizeof *e);
    e->mode = mode;
    if (mode == PS) {
        ps_socket_t s;
        if (ps_accept(listener, &s, NULL, 10000) != 0)
            return -1;
        if (frames)
            ps_set_nodelay(s, 1);
        if (ps_tls_wrap(&e->t, s, ps_srv, NULL) != 0)
            return -1;
        return ps_tls_handshake(e->t, 10000) == 0 ? 0 : -1;
    }
    e->fd = accept(listener, NULL, NULL);
    if (e->fd < 0)
        return -1;
    if (frames)
        nodelay(e->fd);
    if (!(e->ssl = SSL_new(raw_srv)))
        return -1;
    SSL_set_fd(e->ssl, e->fd);
    return SSL_accept(e->ssl) == 1 ? 0 : -1;
}

static void end_close(end *e)
{
    if (e->mode == PS) {
        ps_tls_close(e->t);
    } else {
        SSL_free(e->ssl);
        if (e->fd >= 0)
            close(e->fd);
    }
    memset(e, 0, sizeof *e);
    e->fd = -1;
}

/* ---- data ---- */

static int end_send_all(end *e, const void *buf, size_t len)
{
    if (e->mode == PS)
        return ps_tls_send_all(e->t, buf, len, NULL, -1) == 0 ? 0 : -1;
    size_t n;
    /* Blocking, without partial writes: one call writes everything. */
    return SSL_write_ex(e->ssl, buf, len, &n) == 1 && n == len ? 0 : -1;
}

static int end_recv_all(end *e, void *buf, size_t len)
{
    if (e->mode == PS)
        return ps_tls_recv_all(e->t, buf, len, NULL, -1) == 0 ? 0 : -1;
    unsigned char *p = buf;
    while (len > 0) {
        size_t n;
        if (SSL_read_ex(e->ssl, p, len, &n) != 1)
            return -1;
        p += n;
        len -= n;
    }
    return 0;
}

static int end_send_frame(end *e, const void *buf, size_t len)
{
    if (e->mode == PS)
        return ps_tls_send_frame(e->t, buf, len, -1) == 0 ? 0 : -1;
    unsigned char out[4 + 64];
    if (len > 64)
        return -1;
    ps_store_be32(out, (uint32_t)len);
    if (len > 0)
        memcpy(out + 4, buf, len);
    return end_send_all(e, out, 4 + len); /* one SSL_write: one record */
}

static int end_recv_frame(end *e, void *buf, size_t cap, size_t *len)
{
    if (e->mode == PS)
        return ps_tls_recv_frame(e->t, buf, cap, len, -1) == 0 ? 0 : -1;
    unsigned char h[4];
    if (end_recv_all(e, h, 4) != 0)
        return -1;
    *len = ps_load_be32(h);
    if (*len > cap)
        return -1;
    return *len == 0 ? 0 : end_recv_all(e, buf, *len);
}

/* ---- the server thread of one block ---- */

typedef struct {
    int kind, mode;
    long count; /* handshakes, or bytes for bulk */
    int ok;
    char info[128]; /* K_CHECK: what the raw server agreed */
} job;

static unsigned char *bulk_buf;

static void server(void *arg)
{
    job *j = arg;
    end e;
    unsigned char buf[64];
    size_t len;
    j->ok = 0;
    if (pinned && raw_pin_thread(1) != 0)
        die("cannot pin the server thread");
    if (j->kind == K_HANDSHAKES) {
        for (long i = 0; i < j->count; i++) {
            if (end_accept(&e, j->mode, 0) != 0)
                goto fail;
            end_close(&e);
        }
        j->ok = 1;
        return;
    }
    if (end_accept(&e, j->mode, j->kind == K_FRAMES) != 0)
        goto fail;
    if (j->kind == K_CHECK) {
        if (e.mode == RAW)
            snprintf(j->info, sizeof j->info, "%s %s", SSL_get_version(e.ssl),
                     SSL_get_cipher_name(e.ssl));
        buf[0] = 1;
        if (end_send_all(&e, buf, 1) != 0)
            goto fail;
    } else if (j->kind == K_BULK) {
        unsigned char *rbuf = malloc(CHUNK);
        long left = j->count;
        while (rbuf && left > 0) {
            size_t n = left < CHUNK ? (size_t)left : CHUNK;
            if (end_recv_all(&e, rbuf, n) != 0)
                break;
            left -= (long)n;
        }
        /* A spot check that the plaintext arrived as sent. */
        int same = rbuf && left == 0 && memcmp(rbuf, bulk_buf, 4096) == 0;
        free(rbuf);
        buf[0] = 1;
        if (!same || end_send_all(&e, buf, 1) != 0)
            goto fail;
    } else {
        for (;;) {
            if (end_recv_frame(&e, buf, sizeof buf, &len) != 0)
                goto fail;
            if (len == 0)
                break;
            if (end_send_frame(&e, buf, len) != 0)
                goto fail;
        }
    }
    j->ok = 1;
fail:
    end_close(&e);
}

/* The CPU time of the process (both threads) in ns: a figure that the
 * machine's other load does not change as much as the elapsed time. */
static int64_t cpu_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* One block by one method: the server in a thread, the client here.
 * Returns the client's time in ns (start to the server's end), -1 on
 * failure; *cpu: the CPU time both threads took meanwhile. */
static int64_t block(int kind, int cmode, int smode, long count, char *info,
                     int64_t *cpu)
{
    job j = {.kind = kind, .mode = smode, .count = count};
    raw_thread *th = raw_thread_start(server, &j);
    if (!th)
        die("thread");
    end e;
    unsigned char req[PAYLOAD], resp[64];
    size_t len;
    int ok = 1;
    for (int i = 0; i < PAYLOAD; i++)
        req[i] = (unsigned char)('a' + i % 26);
    int64_t t0 = 0, c0 = 0;
    if (kind == K_HANDSHAKES) {
        t0 = raw_now_ns();
        c0 = cpu_now_ns();
        for (long i = 0; ok && i < count; i++) {
            ok = end_connect(&e, cmode, 0) == 0;
            end_close(&e);
        }
    } else {
        ok = end_connect(&e, cmode, kind == K_FRAMES) == 0;
        t0 = raw_now_ns();
        c0 = cpu_now_ns();
        if (ok && kind == K_BULK) {
            for (long left = count; ok && left > 0; left -= CHUNK)
                ok = end_send_all(&e, bulk_buf,
                                  left < CHUNK ? (size_t)left : CHUNK) == 0;
            ok = ok && end_recv_all(&e, resp, 1) == 0;
        } else if (ok && kind == K_FRAMES) {
            for (long i = 0; ok && i < count; i++)
                ok = end_send_frame(&e, req, PAYLOAD) == 0 &&
                     end_recv_frame(&e, resp, sizeof resp, &len) == 0 &&
                     len == PAYLOAD && memcmp(req, resp, PAYLOAD) == 0;
            ok = ok && end_send_frame(&e, NULL, 0) == 0;
        } else if (ok) {
            ok = end_recv_all(&e, resp, 1) == 0;
            if (ok && e.mode == RAW)
                snprintf(info, 128, "%s %s", SSL_get_version(e.ssl),
                         SSL_get_cipher_name(e.ssl));
        }
        end_close(&e);
    }
    raw_thread_join(th);
    int64_t ns = raw_now_ns() - t0;
    if (cpu)
        *cpu = cpu_now_ns() - c0;
    if (kind == K_CHECK && smode == RAW)
        snprintf(info, 128, "%s", j.info);
    if (!ok || !j.ok)
        return -1;
    return ns;
}

/* ---- figures ---- */

typedef struct {
    double v[MAX_BLOCKS]; /* one value per block, in the printed unit */
    int n;
} figure;

static void summary(const figure *f, double *med, double *lo, double *hi)
{
    double s[MAX_BLOCKS];
    memcpy(s, f->v, sizeof s);
    *med = bench_median(s, (size_t)f->n); /* sorts s */
    *lo = (s[0] / *med - 1) * 100;
    *hi = (s[f->n - 1] / *med - 1) * 100;
}

static void print_line(const char *label, const char *unit, figure f[2],
                       const char *target)
{
    double med[2], lo[2], hi[2];
    for (int m = 0; m < 2; m++) {
        if (f[m].n == 0) /* --method */
            f[m].v[f[m].n++] = 1;
        summary(&f[m], &med[m], &lo[m], &hi[m]);
    }
    printf("%-11s %10.1f %-6s (%+5.1f%%..%+5.1f%%) %10.1f %-6s "
           "(%+5.1f%%..%+5.1f%%)  %6.3f  %s\n",
           label, med[RAW], unit, lo[RAW], hi[RAW], med[PS], unit, lo[PS],
           hi[PS], med[PS] / med[RAW], target);
}

/* Runs rounds blocks per method, alternating which goes first; value()
 * turns a block's ns into the printed unit. Prints two lines: the figure,
 * and the CPU time per count / per (count / cpu_div). */
static int run(const char *label, const char *unit, int kind, long count,
               int rounds, double (*value)(int64_t ns, long count),
               const char *target, const char *cpu_unit, long cpu_div)
{
    figure f[2] = {{{0}, 0}, {{0}, 0}}, c[2] = {{{0}, 0}, {{0}, 0}};
    char info[128];
    if (block(kind, RAW, RAW, count, info, NULL) < 0) /* warm-up */
        return -1;
    for (int i = 0; i < rounds; i++)
        for (int k = 0; k < 2; k++) {
            int m = (i + k) % 2;
            if (only_method >= 0 && m != only_method)
                continue;
            int64_t cpu = 0;
            int64_t ns = block(kind, m, m, count, info, &cpu);
            if (ns < 0) {
                fprintf(stderr, "bench_tls: %s by %s failed\n", label,
                        method_name[m]);
                return -1;
            }
            f[m].v[f[m].n++] = value(ns, count);
            c[m].v[c[m].n++] = (double)cpu / 1e3 / ((double)count / cpu_div);
        }
    print_line(label, unit, f, target);
    print_line("  CPU", cpu_unit, c, "");
    return 0;
}

static double mb_per_s(int64_t ns, long bytes)
{
    return (double)bytes / 1e6 / ((double)ns / 1e9);
}

static double us_per_rt(int64_t ns, long rts)
{
    return (double)ns / 1e3 / (double)rts;
}

static double per_s(int64_t ns, long n)
{
    return (double)n / ((double)ns / 1e9);
}

/* ---- set-up ---- */

static void make_certs(const char *dir)
{
    char path[1024], cmd[2300];
    snprintf(path, sizeof path, "%s/done", dir);
    if (access(path, F_OK) == 0)
        return;
    snprintf(cmd, sizeof cmd, "sh '%s' '%s'", PS_BENCH_MAKE_CERTS, dir);
    if (system(cmd) != 0 || access(path, F_OK) != 0)
        die("making the certificates failed (tests/tls/make_certs.sh)");
}

static void setup(const char *dir)
{
    char ca[1024], cert[1024], key[1024];
    snprintf(ca, sizeof ca, "%s/ca.pem", dir);
    snprintf(cert, sizeof cert, "%s/server.pem", dir);
    snprintf(key, sizeof key, "%s/server.key", dir);
    /* The raw contexts get the settings portsock_tls's OpenSSL backend
     * gives its own (src/tls/openssl.c): TLS 1.2 at least, the client
     * verifying, the server sending no session tickets. */
    raw_cli = SSL_CTX_new(TLS_client_method());
    raw_srv = SSL_CTX_new(TLS_server_method());
    if (!raw_cli || !raw_srv)
        die("SSL_CTX_new");
    SSL_CTX_set_min_proto_version(raw_cli, TLS1_2_VERSION);
    SSL_CTX_set_min_proto_version(raw_srv, TLS1_2_VERSION);
    SSL_CTX_set_num_tickets(raw_srv, 0);
    SSL_CTX_set_verify(raw_cli, SSL_VERIFY_PEER, NULL);
    if (SSL_CTX_load_verify_locations(raw_cli, ca, NULL) != 1 ||
        SSL_CTX_use_certificate_chain_file(raw_srv, cert) != 1 ||
        SSL_CTX_use_PrivateKey_file(raw_srv, key, SSL_FILETYPE_PEM) != 1)
        die("loading the certificates");
    if (ps_tls_config_new(&ps_cli, PS_TLS_CLIENT) != 0 ||
        ps_tls_config_set_ca(ps_cli, ca) != 0 ||
        ps_tls_config_new(&ps_srv, PS_TLS_SERVER) != 0 ||
        ps_tls_config_set_cert(ps_srv, cert, key) != 0)
        die(ps_tls_reason(NULL));

    listener = socket(AF_INET, SOCK_STREAM, 0);
    socklen_t alen = sizeof listen_addr;
    listen_addr.sin_family = AF_INET;
    listen_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (listener < 0 ||
        bind(listener, (struct sockaddr *)&listen_addr, sizeof listen_addr) !=
            0 ||
        listen(listener, 1024) != 0 ||
        getsockname(listener, (struct sockaddr *)&listen_addr, &alen) != 0)
        die("listen");
    snprintf(port_text, sizeof port_text, "%d", ntohs(listen_addr.sin_port));
}

static long arg_long(const char *s, long min, long max)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < min || v > max) {
        fprintf(stderr, "bench_tls: bad number %s\n", s);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    const char *dir = PS_BENCH_CERTS;
    int rounds = 7;
    long mib = 256, frames = 2000, hs = 200;
    const char *only = ""; /* bulk, frames or handshakes: that one alone */
    int pin = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) { /* the CI smoke */
            rounds = 3;
            mib = 32;
            frames = 500;
            hs = 50;
        } else if (!strcmp(argv[i], "--method") && i + 1 < argc) {
            i++;
            only_method = !strcmp(argv[i], "raw")  ? RAW
                          : !strcmp(argv[i], "ps") ? PS
                                                   : -2;
            if (only_method == -2) {
                fprintf(stderr, "bench_tls: --method raw or ps\n");
                return 2;
            }
        } else if (!strcmp(argv[i], "--no-pin")) {
            pin = 0;
        } else if (!strcmp(argv[i], "--only") && i + 1 < argc) {
            only = argv[++i];
        } else if (!strcmp(argv[i], "--certs") && i + 1 < argc) {
            dir = argv[++i];
        } else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) {
            rounds = (int)arg_long(argv[++i], 1, MAX_BLOCKS);
        } else if (!strcmp(argv[i], "--mib") && i + 1 < argc) {
            mib = arg_long(argv[++i], 1, 2047);
        } else {
            fprintf(stderr,
                    "usage: bench_tls [--certs DIR] [--quick] [--rounds N] "
                    "[--mib N] [--only bulk|frames|handshakes] [--method "
                    "raw|ps] [--no-pin]\n");
            return 2;
        }
    }
    if (ps_init() != 0)
        die("ps_init");
    /* Before any thread is pinned: the set the process may use. */
    int cpus = raw_cpus_allowed();
    pinned = pin && cpus >= 2 && raw_pin_thread(0) == 0;
    make_certs(dir);
    setup(dir);
    if (!(bulk_buf = malloc(CHUNK)))
        die("malloc");
    for (int i = 0; i < CHUNK; i++)
        bulk_buf[i] = (unsigned char)(i * 7 + i / 4096);

    /* Both methods agree on version and suite: checked across (each raw
     * end reports what it agreed with the other method's end). */
    char a[128] = "", b[128] = "", c[128] = "";
    if (block(K_CHECK, RAW, RAW, 0, a, NULL) < 0 ||
        block(K_CHECK, PS, RAW, 0, b, NULL) < 0 ||
        block(K_CHECK, RAW, PS, 0, c, NULL) < 0)
        die("the first handshakes failed");
    char placement[96];
    if (pinned)
        snprintf(placement, sizeof placement,
                 "pinned to two different CPUs (of %d)", cpus);
    else
        snprintf(placement, sizeof placement, "not pinned (%s)",
                 !pin        ? "--no-pin"
                 : cpus >= 2 ? "pinning failed"
                 : cpus == 1 ? "1 CPU"
                             : "no pinning here");
    printf("portsock %s TLS vs raw %s, %s; loopback TCP, two threads %s\n",
           ps_version(), OpenSSL_version(OPENSSL_VERSION), raw_platform(),
           placement);
    printf("agreed: raw-raw %s; portsock client-raw server %s; raw "
           "client-portsock "
           "server %s; P-256 certificates\n",
           a, b, c);
    printf("%d blocks per method, taking turns; median (min..max of the blocks "
           "against it); ratio portsock/raw of the medians\n",
           rounds);
    printf("%-11s %32s %32s  %6s\n", "", method_name[RAW], method_name[PS],
           "ps/raw");
    char label[64];
    int ok = 1;
    snprintf(label, sizeof label, "bulk %ldMiB", mib);
    if (ok && (!*only || !strcmp(only, "bulk")))
        ok = run(label, "MB/s", K_BULK, mib * 1024 * 1024, rounds, mb_per_s,
                 "target >= 0.97", "us/MiB", 1024 * 1024) == 0;
    if (ok && (!*only || !strcmp(only, "frames")))
        ok = run("frame rt", "us", K_FRAMES, frames, rounds, us_per_rt,
                 "target <= 1.05", "us/rt", 1) == 0;
    if (ok && (!*only || !strcmp(only, "handshakes")))
        ok = run("handshakes", "/s", K_HANDSHAKES, hs, rounds, per_s,
                 "target >= 0.95", "us/hs", 1) == 0;
    printf(
        "(bulk: %d MiB per block in %d KiB calls; frames: %ld round trips of a "
        "%d-byte payload per block; handshakes: %ld per block)\n",
        (int)mib, CHUNK / 1024, frames, PAYLOAD, hs);
    free(bulk_buf);
    close(listener);
    ps_tls_config_free(ps_cli);
    ps_tls_config_free(ps_srv);
    SSL_CTX_free(raw_cli);
    SSL_CTX_free(raw_srv);
    ps_cleanup();
    return ok ? 0 : 1;
}
