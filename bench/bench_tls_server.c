/* SPDX-License-Identifier: MIT */
/* The native server of the Windows TLS figures (bench/run_tls_wine.py):
 * raw OpenSSL, blocking, one connection at a time on 127.0.0.1, limited to
 * TLS 1.2 (Wine's schannel offers no more) and one cipher suite, so every
 * client (bench_tls_client with either backend) agrees on the same. Per
 * connection it prints what was agreed:
 *   conn version=TLSv1.2 cipher=ECDHE-ECDSA-AES128-GCM-SHA256
 * then serves the client's requests, each a frame (4-byte big-endian
 * length, then text): "B <bytes>" sends that many bytes, "F <count>"
 * echoes count frames, "Q" ends the connection. Its first line is
 * "port N"; it runs until killed.
 *
 * bench_tls_server CERT KEY [CIPHER] */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "portsock.h"

#define CHUNK (1024 * 1024)

static _Noreturn void die(const char *what)
{
    fprintf(stderr, "bench_tls_server: %s\n", what);
    ERR_print_errors_fp(stderr);
    exit(1);
}

static int read_all(SSL *ssl, void *buf, size_t len)
{
    unsigned char *p = buf;
    while (len > 0) {
        size_t n;
        if (SSL_read_ex(ssl, p, len, &n) != 1)
            return -1;
        p += n;
        len -= n;
    }
    return 0;
}

static int write_all(SSL *ssl, const void *buf, size_t len)
{
    size_t n; /* blocking, no partial writes: one call writes it all */
    return SSL_write_ex(ssl, buf, len, &n) == 1 && n == len ? 0 : -1;
}

/* One frame into buf (NUL-terminated for requests); its length or -1. */
static long read_frame(SSL *ssl, unsigned char *buf, size_t cap)
{
    unsigned char h[4];
    if (read_all(ssl, h, 4) != 0)
        return -1;
    uint32_t len = ps_load_be32(h);
    if (len >= cap || read_all(ssl, buf, len) != 0)
        return -1;
    buf[len] = 0;
    return (long)len;
}

static int serve(SSL *ssl, const unsigned char *bulk)
{
    unsigned char req[64], frame[4 + 64];
    for (;;) {
        long long n = 0;
        if (read_frame(ssl, req, sizeof req) < 0)
            return -1;
        if (req[0] == 'Q')
            return 0;
        if (sscanf((const char *)req + 1, "%lld", &n) != 1 || n < 0)
            return -1;
        if (req[0] == 'B') {
            while (n > 0) {
                size_t k = n < CHUNK ? (size_t)n : CHUNK;
                if (write_all(ssl, bulk, k) != 0)
                    return -1;
                n -= (long long)k;
            }
        } else if (req[0] == 'F') {
            for (; n > 0; n--) {
                long len = read_frame(ssl, frame + 4, sizeof frame - 4);
                if (len < 0)
                    return -1;
                ps_store_be32(frame, (uint32_t)len);
                if (write_all(ssl, frame, 4 + (size_t)len) != 0)
                    return -1; /* one SSL_write: one record, as the client */
            }
        } else {
            return -1;
        }
    }
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: bench_tls_server CERT KEY [CIPHER]\n");
        return 2;
    }
    const char *cipher = argc > 3 ? argv[3] : "ECDHE-ECDSA-AES128-GCM-SHA256";
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx || !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
        !SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION) ||
        !SSL_CTX_set_cipher_list(ctx, cipher) ||
        SSL_CTX_use_certificate_chain_file(ctx, argv[1]) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, argv[2], SSL_FILETYPE_PEM) != 1)
        die("the server context (certificate, key, cipher)");
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    static unsigned char *bulk; /* static: still reachable when killed */
    bulk = malloc(CHUNK);
    if (!bulk)
        die("malloc");
    for (int i = 0; i < CHUNK; i++)
        bulk[i] = (unsigned char)(i * 7 + i / 4096);

    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t alen = sizeof a;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int l = socket(AF_INET, SOCK_STREAM, 0);
    if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(l, 16) != 0 || getsockname(l, (struct sockaddr *)&a, &alen) != 0)
        die("listen");
    printf("port %d\n", ntohs(a.sin_port));
    fflush(stdout);
    for (;;) {
        int fd = accept(l, NULL, NULL), one = 1;
        if (fd < 0)
            die("accept");
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        SSL *ssl = SSL_new(ctx);
        if (!ssl || !SSL_set_fd(ssl, fd))
            die("SSL_new");
        if (SSL_accept(ssl) == 1) {
            printf("conn version=%s cipher=%s\n", SSL_get_version(ssl),
                   SSL_get_cipher_name(ssl));
            fflush(stdout);
            if (serve(ssl, bulk) == 0)
                SSL_shutdown(ssl);
            else
                printf("conn-failed\n");
        } else {
            printf("handshake-failed\n");
            ERR_print_errors_fp(stderr);
        }
        fflush(stdout);
        ERR_clear_error();
        SSL_free(ssl);
        close(fd);
    }
}
