/* SPDX-License-Identifier: MIT */
/* The portsock end of the Python interop tests (interop_python.py), built on
 * the public API only. One subcommand per exchange; results go to stdout as
 * short lines the script checks, e.g. "PS_ECLOSED 700".
 *
 *   fixed HOST PORT SIZE COUNT   COUNT messages of SIZE bytes: ps_recv_all,
 *                                then ps_send_all back XOR (index + 1)
 *   serve-fixed SIZE COUNT       the same as a server: prints "port P",
 *                                ps_listen/ps_accept one client
 *   frames HOST PORT CAP         ps_recv_frame until end of stream; answers
 *                                each frame with ps_send_frame of the payload
 *                                reversed; a frame over CAP: "emsgsize LEN",
 *                                payload skipped, answer "skipped LEN"
 *   recv-all HOST PORT N         one ps_recv_all of N: prints "NAME GOT"
 *   recv-frame HOST PORT CAP     one ps_recv_frame: prints "NAME"
 *   send-all HOST PORT N         one ps_send_all of N: prints "NAME SENT"
 *   udp-echo CAP COUNT           binds 127.0.0.1:0, prints "port P"; COUNT
 *                                datagrams: prints "dgram LEN FROM CODE",
 *                                answers the sender with the bytes reversed
 *   udp-send IP:PORT COUNT       sends COUNT datagrams, expects each back
 *                                reversed: prints "udp-send ok COUNT"
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portsock.h"

/* Generous: under Wine the first calls of a process can be slow. */
#define T 30000

static int die(const char *what, int r)
{
    fprintf(stderr, "interop_peer: %s: %s (%s)\n", what, ps_errname(r),
            ps_strerror(r));
    return 1;
}

static size_t num(const char *s)
{
    return (size_t)strtoul(s, NULL, 10);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "interop_peer: out of memory\n");
        exit(1);
    }
    return p;
}

static void reverse(unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n / 2; i++) {
        unsigned char t = p[i];
        p[i] = p[n - 1 - i];
        p[n - 1 - i] = t;
    }
}

static int print_port(ps_socket_t s)
{
    ps_addr a;
    int r = ps_local_addr(s, &a);
    if (r != 0)
        return die("local address", r);
    printf("port %d\n", ps_addr_port(&a));
    fflush(stdout);
    return 0;
}

static int fixed(ps_socket_t s, size_t size, size_t count)
{
    unsigned char *buf = xmalloc(size);
    for (size_t i = 0; i < count; i++) {
        size_t got = 0;
        int r = ps_recv_all(s, buf, size, &got, T);
        if (r != 0) {
            printf("%s %lu\n", ps_errname(r), (unsigned long)got);
            free(buf);
            return 1;
        }
        /* A per-message key: a boundary off by one byte shows up. */
        for (size_t k = 0; k < size; k++)
            buf[k] ^= (unsigned char)(i + 1);
        r = ps_send_all(s, buf, size, NULL, T);
        if (r != 0) {
            free(buf);
            return die("send_all", r);
        }
    }
    printf("fixed ok %lu %lu\n", (unsigned long)count, (unsigned long)size);
    free(buf);
    return 0;
}

static int frames(ps_socket_t s, size_t cap)
{
    unsigned char *buf = xmalloc(cap);
    unsigned long n = 0;
    for (;; n++) {
        size_t len = 0;
        int r = ps_recv_frame(s, buf, cap, &len, T);
        if (r == PS_ECLOSED && len == 0)
            break;
        if (r == PS_EMSGSIZE) {
            char msg[64];
            printf("emsgsize %lu\n", (unsigned long)len);
            /* The payload is still unread: skip it and stay in step. */
            while (len > 0) {
                size_t part = len < cap ? len : cap;
                r = ps_recv_all(s, buf, part, NULL, T);
                if (r != 0) {
                    free(buf);
                    return die("skip payload", r);
                }
                len -= part;
            }
            snprintf(msg, sizeof msg, "skipped");
            r = ps_send_frame(s, msg, strlen(msg), T);
        } else if (r == 0) {
            reverse(buf, len);
            r = ps_send_frame(s, buf, len, T);
        }
        if (r != 0) {
            printf("error %s\n", ps_errname(r));
            free(buf);
            return 1;
        }
    }
    printf("frames %lu\n", n);
    free(buf);
    return 0;
}

static int udp_echo(size_t cap, size_t count)
{
    ps_socket_t s;
    unsigned char *buf = xmalloc(cap);
    int r = ps_udp_open(&s, "127.0.0.1", "0");
    if (r != 0)
        return die("udp_open", r);
    if (print_port(s) != 0)
        return 1;
    for (size_t i = 0; i < count; i++) {
        ps_addr from;
        char text[PS_ADDRSTRLEN];
        size_t got = 0;
        r = ps_recvfrom(s, buf, cap, &got, &from, T);
        if (r != 0 && r != PS_EMSGSIZE)
            return die("recvfrom", r);
        ps_addr_format(&from, text, sizeof text);
        printf("dgram %lu %s %s\n", (unsigned long)got, text, ps_errname(r));
        fflush(stdout);
        reverse(buf, got);
        r = ps_sendto(s, buf, got, &from, T);
        if (r != 0)
            return die("sendto", r);
    }
    ps_close(s);
    free(buf);
    return 0;
}

static int udp_send(const char *to_text, size_t count)
{
    ps_socket_t s;
    ps_addr to, from;
    static unsigned char out[9000], back[9000];
    int r = ps_addr_parse(&to, to_text);
    if (r != 0)
        return die("addr_parse", r);
    r = ps_udp_open(&s, NULL, NULL);
    if (r != 0)
        return die("udp_open", r);
    for (size_t i = 0; i < count; i++) {
        /* Sizes 0, 1201, 2401, ... below 9000: the empty datagram too. */
        size_t len = (i * 1200 + (i ? 1 : 0)) % sizeof out;
        size_t got = 0;
        for (size_t k = 0; k < len; k++)
            out[k] = (unsigned char)(k * 31 + i);
        r = ps_sendto(s, out, len, &to, T);
        if (r != 0)
            return die("sendto", r);
        r = ps_recvfrom(s, back, sizeof back, &got, &from, T);
        if (r != 0)
            return die("recvfrom", r);
        reverse(back, got);
        if (got != len || memcmp(out, back, len) != 0) {
            printf("udp-send mismatch at %lu: sent %lu got %lu\n",
                   (unsigned long)i, (unsigned long)len, (unsigned long)got);
            return 1;
        }
    }
    printf("udp-send ok %lu\n", (unsigned long)count);
    ps_close(s);
    return 0;
}

int main(int argc, char **argv)
{
    ps_socket_t s;
    int r;
    const char *cmd = argc > 1 ? argv[1] : "";
    setvbuf(stdout, NULL, _IONBF, 0);

    if (strcmp(cmd, "serve-fixed") == 0 && argc == 4) {
        ps_socket_t l;
        r = ps_listen(&l, "127.0.0.1", "0", 1);
        if (r != 0)
            return die("listen", r);
        if (print_port(l) != 0)
            return 1;
        r = ps_accept(l, &s, NULL, T);
        ps_close(l);
        if (r != 0)
            return die("accept", r);
        r = fixed(s, num(argv[2]), num(argv[3]));
        ps_close(s);
        return r;
    }
    if (strcmp(cmd, "udp-echo") == 0 && argc == 4)
        return udp_echo(num(argv[2]), num(argv[3]));
    if (strcmp(cmd, "udp-send") == 0 && argc == 4)
        return udp_send(argv[2], num(argv[3]));

    /* The rest connect to HOST PORT first. */
    if (argc < 5) {
        fprintf(stderr, "interop_peer: bad arguments (see the source)\n");
        return 2;
    }
    r = ps_connect(&s, argv[2], argv[3], T);
    if (r != 0)
        return die("connect", r);
    if (strcmp(cmd, "fixed") == 0 && argc == 6) {
        r = fixed(s, num(argv[4]), num(argv[5]));
    } else if (strcmp(cmd, "frames") == 0) {
        r = frames(s, num(argv[4]));
    } else if (strcmp(cmd, "recv-all") == 0 || strcmp(cmd, "send-all") == 0) {
        size_t n = num(argv[4]), moved = 0;
        unsigned char *buf = xmalloc(n);
        memset(buf, 'x', n);
        r = cmd[0] == 'r' ? ps_recv_all(s, buf, n, &moved, T)
                          : ps_send_all(s, buf, n, &moved, T);
        printf("%s %lu\n", ps_errname(r), (unsigned long)moved);
        free(buf);
        r = 0;
    } else if (strcmp(cmd, "recv-frame") == 0) {
        size_t cap = num(argv[4]), len = 0;
        unsigned char *buf = xmalloc(cap);
        r = ps_recv_frame(s, buf, cap, &len, T);
        printf("%s\n", ps_errname(r));
        free(buf);
        r = 0;
    } else {
        fprintf(stderr, "interop_peer: unknown subcommand '%s'\n", cmd);
        r = 2;
    }
    ps_close(s);
    return r;
}
