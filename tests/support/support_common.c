/* SPDX-License-Identifier: MIT */
/* Test helpers written once, on the public API and standard C: the same on
 * every platform. See support.h and select_support.h. */
#include "select_support.h"
#include "support.h"

#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int pst_under_memcheck(void)
{
    return getenv("PS_UNDER_MEMCHECK") != NULL;
}

#if defined(__SANITIZE_THREAD__)
#define PST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PST_TSAN 1
#endif
#endif
#ifndef PST_TSAN
#define PST_TSAN 0
#endif

int pst_under_tsan(void)
{
    return PST_TSAN;
}

int pst_under_qemu(void)
{
    return getenv("PS_UNDER_QEMU") != NULL;
}

int64_t pst_slack_ms(int64_t ms)
{
    const char *text = getenv("PS_TEST_SLOWDOWN");
    char *end;
    long factor = text ? strtol(text, &end, 10) : 1;
    if (!text || end == text || *end || factor < 1 || factor > 100)
        factor = 1;
    return ms * factor;
}

void pst_assert_took(int64_t t0, int64_t at_least, int64_t below,
                     const char *what)
{
    int64_t dt = pst_now_ms() - t0;
    cr_assert_geq(dt, at_least, "%s returned after %lld ms, before %lld ms",
                  what, (long long)dt, (long long)at_least);
    if (below > 0)
        cr_assert_lt(dt, below, "%s returned after %lld ms, not within %lld ms",
                     what, (long long)dt, (long long)below);
}

int pst_local_port(ps_socket_t s)
{
    ps_addr a;
    memset(&a, 0, sizeof a);
    int rc = ps_local_addr(s, &a);
    cr_assert_eq(rc, 0, "ps_local_addr: %s", ps_errname(rc));
    int port = ps_addr_port(&a);
    cr_assert_gt(port, 0, "local port %d", port);
    cr_assert_leq(port, 65535, "local port %d", port);
    return port;
}

void pst_tcp_pair(ps_socket_t *client, ps_socket_t *server)
{
    ps_socket_t l = PS_INVALID_SOCKET;
    char port[16];
    int rc, p;

    *client = PS_INVALID_SOCKET;
    *server = PS_INVALID_SOCKET;
    rc = ps_listen(&l, "127.0.0.1", "0", 4);
    cr_assert_eq(rc, 0, "pst_tcp_pair: ps_listen: %s", ps_errname(rc));
    p = pst_local_port(l);
    snprintf(port, sizeof port, "%d", p);
    rc = ps_connect(client, "127.0.0.1", port, 5000);
    cr_assert_eq(rc, 0, "pst_tcp_pair: ps_connect: %s", ps_errname(rc));
    rc = ps_accept(l, server, NULL, 5000);
    cr_assert_eq(rc, 0, "pst_tcp_pair: ps_accept: %s", ps_errname(rc));
    ps_close(l);
}

int pst_write_file(const char *path, const void *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t n = fwrite(buf, 1, len, f);
    return (fclose(f) == 0 && n == len) ? 0 : -1;
}

/* "[ip]:port" or "ip:port" as an address. */
static void ip_port_addr(ps_addr *a, const char *ip, int port)
{
    char text[80];
    if (strchr(ip, ':'))
        snprintf(text, sizeof text, "[%s]:%d", ip, port);
    else
        snprintf(text, sizeof text, "%s:%d", ip, port);
    int rc = ps_addr_parse(a, text);
    cr_assert_eq(rc, 0, "ps_addr_parse(%s): %s", text, ps_errname(rc));
}

/* One more queued connect; 1 if it got no answer within 300 ms. */
static int fill_one(pst_silent *s, const ps_addr *to)
{
    ps_socket_t c;
    cr_assert_lt(s->nfill, (size_t)PST_SILENT_FILL_MAX,
                 "the listen queue never filled: SYNs are not dropped here");
    int rc = ps_socket(&c, ps_addr_family(to), PS_SOCK_STREAM);
    cr_assert_eq(rc, 0, "pst_silent_open: ps_socket: %s", ps_errname(rc));
    s->fill[s->nfill++] = c;
    rc = ps_set_nonblocking(c, 1);
    cr_assert_eq(rc, 0, "ps_set_nonblocking: %s", ps_errname(rc));
    rc = ps_connect_start(c, to);
    if (rc == 0)
        return 0;
    cr_assert_eq(rc, PS_EWOULDBLOCK, "queue fill connect: %s", ps_errname(rc));
    ps_pollitem it;
    memset(&it, 0, sizeof it);
    it.kind = PS_KIND_SOCKET;
    it.sock = c;
    it.events = PS_POLL_WRITE;
    int n = ps_select(&it, 1, 300);
    cr_assert_geq(n, 0, "ps_select: %s", ps_errname(n));
    if (n == 0)
        return 1;
    rc = ps_socket_error(c);
    cr_assert_eq(rc, 0, "queue fill connect failed: %s", ps_errname(rc));
    return 0;
}

int pst_silent_open(pst_silent *s, const char *ip, int port)
{
    char text[16];
    ps_addr to;
    memset(s, 0, sizeof *s);
    snprintf(text, sizeof text, "%d", port);
    /* Backlog 1, as ps_listen reads 0 as "the system maximum". */
    int rc = ps_listen(&s->listener, ip, text, 1);
    if (rc == PS_EADDRINUSE)
        return rc;
    cr_assert_eq(rc, 0, "ps_listen(%s, %s): %s", ip, text, ps_errname(rc));
    s->port = pst_local_port(s->listener);
    ip_port_addr(&to, ip, s->port);
    while (!fill_one(s, &to)) {
    }
    return 0;
}

void pst_silent_close(pst_silent *s)
{
    for (size_t i = 0; i < s->nfill; i++)
        ps_close(s->fill[i]);
    ps_close(s->listener);
    s->nfill = 0;
    s->listener = PS_INVALID_SOCKET;
}

int pst_refusing_port_at(ps_socket_t *out, const char *ip, int *port)
{
    char text[80];
    ps_addr a;
    ps_socket_t s;
    int v6 = strchr(ip, ':') != NULL;
    *out = PS_INVALID_SOCKET;
    snprintf(text, sizeof text, v6 ? "[%s]:%d" : "%s:%d", ip, *port);
    int r = ps_addr_parse(&a, text);
    if (r == 0)
        r = ps_socket(&s, v6 ? PS_AF_INET6 : PS_AF_INET, PS_SOCK_STREAM);
    if (r != 0)
        return r;
    /* Bound, never listening: connects are refused. */
    if ((r = ps_bind(s, &a)) != 0 || (r = ps_local_addr(s, &a)) != 0) {
        ps_close(s);
        return r;
    }
    *port = ps_addr_port(&a);
    *out = s;
    return 0;
}

ps_socket_t pst_refusing_port(int *port)
{
    ps_socket_t s;
    *port = 0;
    return pst_refusing_port_at(&s, "127.0.0.1", port) == 0 ? s
                                                            : PS_INVALID_SOCKET;
}

static ps_pollitem empty_item(int kind, unsigned events)
{
    ps_pollitem it;
    memset(&it, 0, sizeof it);
    it.kind = kind;
    it.sock = PS_INVALID_SOCKET;
    it.fd = -1;
    it.handle = NULL;
    it.events = events;
    return it;
}

ps_pollitem pst_sock_item(ps_socket_t s, unsigned events)
{
    ps_pollitem it = empty_item(PS_KIND_SOCKET, events);
    it.sock = s;
    return it;
}

ps_pollitem pst_fd_item(int fd, unsigned events)
{
    ps_pollitem it = empty_item(PS_KIND_FD, events);
    it.fd = fd;
    return it;
}

ps_pollitem pst_handle_item(void *h, unsigned events)
{
    ps_pollitem it = empty_item(PS_KIND_HANDLE, events);
    it.handle = h;
    return it;
}

long pst_settle_threads(long start, int max_ms)
{
    long now = pst_thread_count();
    for (int waited = 0; now > start && waited < max_ms; waited += 10) {
        pst_sleep_ms(10);
        now = pst_thread_count();
    }
    return now;
}
