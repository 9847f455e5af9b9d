/* SPDX-License-Identifier: MIT */
/* Writes seeds for fuzz_tls_server: the first flight (the ClientHello) of
 * a real portsock_tls client, captured from the far end of a socketpair,
 * in a few configurations. Run by fuzz/campaign.sh before
 * fuzz_tls_server, so no binary seed is committed.
 *
 * Usage: fuzz_tls_seeds DIR  (writes DIR/clienthello_*) */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz_check.h"
#include "portsock.h"
#include "portsock_tls.h"

typedef struct seed {
    const char *name;
    int min_version;
    const char *server_name; /* SNI, or NULL for none */
    int alpn;
} seed;

static const seed seeds[] = {
    {"clienthello_tls12_sni_alpn", PS_TLS_1_2, "localhost", 1},
    {"clienthello_tls12_nosni", PS_TLS_1_2, NULL, 0},
    {"clienthello_tls13_sni", PS_TLS_1_3, "localhost", 0},
    {"clienthello_tls13_alpn", PS_TLS_1_3, "example.org", 1},
};

static void capture(const char *dir, const seed *s)
{
    static const char *const alpn[] = {"h2", "http/1.1"};
    ps_tls_config *cfg = NULL;
    ps_tls *t = NULL;
    ps_socket_t pair[2];
    unsigned char buf[65536];
    size_t n = 0;
    char path[4096];

    HARNESS(ps_tls_config_new(&cfg, PS_TLS_CLIENT) == 0, "ps_tls_config_new");
    HARNESS(ps_tls_config_set_verify(cfg, PS_TLS_VERIFY_NONE_INSECURE) == 0,
            "ps_tls_config_set_verify");
    HARNESS(ps_tls_config_set_min_version(cfg, s->min_version) == 0,
            "ps_tls_config_set_min_version");
    if (s->alpn)
        HARNESS(ps_tls_config_set_alpn(cfg, alpn, 2) == 0,
                "ps_tls_config_set_alpn");
    HARNESS(ps_socketpair(pair) == 0, "ps_socketpair");
    HARNESS(ps_tls_wrap(&t, pair[0], cfg, s->server_name) == 0, "ps_tls_wrap");
    /* Timeout 0: the ClientHello is written, then it would wait. */
    HARNESS(ps_tls_handshake(t, 0) == PS_EWOULDBLOCK,
            "ps_tls_handshake did not stop for the server");
    for (;;) {
        ssize_t r = recv(pair[1], buf + n, sizeof buf - n, MSG_DONTWAIT);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    HARNESS(n > 0, "no ClientHello");
    snprintf(path, sizeof path, "%s/%s", dir, s->name);
    FILE *f = fopen(path, "wb");
    HARNESS(f != NULL, "fopen");
    HARNESS(fwrite(buf, 1, n, f) == n && fclose(f) == 0, "fwrite");
    printf("%s: %zu bytes\n", path, n);
    HARNESS(ps_tls_close(t) == 0, "ps_tls_close");
    HARNESS(close(pair[1]) == 0, "close");
    ps_tls_config_free(cfg);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++)
        capture(argv[1], &seeds[i]);
    return 0;
}
