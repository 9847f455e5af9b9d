/* SPDX-License-Identifier: MIT */
/* psnc — a small portable netcat built only on portsock's public API.
 *
 *   psnc [-u] [-v|-q] [-w SECONDS] HOST PORT        connect
 *   psnc -l [-u] [-v|-q] [-w SECONDS] [HOST] PORT   listen for one peer
 *
 * Standard input goes to the socket, what the socket brings goes to standard
 * output; nothing else is ever written to standard output. Standard input and
 * the socket are waited on together with ps_select, so the same code runs on
 * Linux and Windows.
 *
 * TCP: at end of standard input the sending side is shut down (half-close)
 * and psnc keeps reading until the peer closes. Likewise a peer that shuts
 * down its sending side still gets the rest of standard input. The session
 * ends with status 0 when both directions have ended. (So after the peer
 * closes, an interactive psnc still waits for end of input, as OpenBSD nc's
 * client does; if the peer has gone entirely, the next send fails.)
 *
 * UDP (-u): every chunk read from standard input is one datagram. The client
 * sends to HOST:PORT (resolved with ps_resolve) and prints every datagram
 * received. The listener binds, learns
 * its peer from the first datagram, then replies to it; datagrams from
 * anyone else are dropped. A datagram socket has no end of stream, so a UDP
 * session ends only with -w: idle for that long after some datagram moved
 * is the normal end (status 0); nothing moved at all is a timeout (5).
 *
 * -w SECONDS bounds the connect, name lookup included (with -u, the lookup
 * of HOST; with -l, the wait for a peer) and is the idle timeout: no traffic in either direction for that long ends psnc.
 * -v reports addresses on standard error (with -l, "listening on ADDR:PORT"
 * first, so a caller can listen on port 0 and read the port chosen).
 * -q prints nothing on standard error except the one line of a fatal error;
 * it also silences -v and the warnings (dropped or truncated datagrams).
 *
 * Exit status: 0 ok, 1 other runtime error, 2 usage, 3 name resolution
 * (PS_ENAME), 4 connection refused, 5 timeout. Every error is one line on
 * standard error; network and argument errors name the portsock code
 * (ps_errname and ps_strerror). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portsock.h"

enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2, EXIT_NAME = 3,
       EXIT_REFUSED = 4, EXIT_TIMEOUT = 5 };

/* One stdin chunk: also the largest datagram psnc sends. */
#define CHUNK 16384

/* All of buf to standard output (ps_item_write may take part of it);
 * 0 on success. Binary on Windows too. */
static int write_stdout(const void *buf, size_t len)
{
    static const ps_pollitem out = {PS_KIND_FD, PS_INVALID_SOCKET, 1, NULL, 0, 0};
    const char *p = buf;
    while (len > 0) {
        size_t sent = 0;
        if (ps_item_write(&out, p, len, &sent) != 0)
            return -1;
        p += sent;
        len -= sent;
    }
    return 0;
}
/* Large enough for any UDP datagram, so none is cut short. */
#define DGRAM_MAX 65536

struct options {
    int listen, udp, verbose, quiet;
    int wait_ms;            /* -w in milliseconds; -1 when not given */
    const char *host;       /* NULL: all interfaces (listener only) */
    const char *port;
};

static const char *prog = "psnc";
static int quiet;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: %s [-u] [-v|-q] [-w SECONDS] HOST PORT\n"
            "       %s -l [-u] [-v|-q] [-w SECONDS] [HOST] PORT\n"
            "  -l          listen for one connection (one UDP peer with -u);\n"
            "              HOST defaults to all interfaces, PORT 0 picks one\n"
            "  -u          UDP: each chunk of input is one datagram\n"
            "  -w SECONDS  connect timeout and idle timeout\n"
            "  -v          report addresses on standard error\n"
            "  -q          no messages except one line for a fatal error\n"
            "  --help, --version\n"
            "Exit status: 0 ok, 1 runtime error, 2 usage, 3 unknown host,\n"
            "4 connection refused, 5 timeout.\n",
            prog, prog);
}

/* The one line of a fatal error; returns the exit status for err. */
static int fail(const char *what, int err)
{
    int status = EXIT_RUNTIME;
    switch (err) {
    case PS_ENAME: status = EXIT_NAME; break;
    case PS_ECONNREFUSED: status = EXIT_REFUSED; break;
    case PS_ETIMEDOUT: status = EXIT_TIMEOUT; break;
    default: break;
    }
    fprintf(stderr, "%s: %s: %s (%s)\n", prog, what, ps_errname(err),
            ps_strerror(err));
    return status;
}

static int usage_error(const char *why)
{
    fprintf(stderr, "%s: %s: %s (%s); try '%s --help'\n", prog, why,
            ps_errname(PS_EINVAL), ps_strerror(PS_EINVAL), prog);
    return EXIT_USAGE;
}

static void note(int verbose, const char *what, const ps_addr *a)
{
    char text[PS_ADDRSTRLEN];
    if (!verbose || quiet)
        return;
    if (ps_addr_format(a, text, sizeof text) != 0)
        strcpy(text, "?");
    fprintf(stderr, "%s: %s %s\n", prog, what, text);
}

static void warn(const char *what, int err)
{
    if (!quiet)
        fprintf(stderr, "%s: warning: %s: %s (%s)\n", prog, what,
                ps_errname(err), ps_strerror(err));
}

/* A port is digits only, 0..65535: service names would resolve
 * differently from system to system. */
static int valid_port(const char *p)
{
    long v = 0;
    if (!*p)
        return 0;
    for (; *p; p++) {
        if (*p < '0' || *p > '9')
            return 0;
        v = v * 10 + (*p - '0');
        if (v > 65535)
            return 0;
    }
    return 1;
}

/* -w: a positive number of seconds, fractions allowed, at most ~24 days
 * (the int milliseconds of the timeouts). */
static int parse_wait(const char *text, int *ms)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !(v > 0) ||
        v > 2000000.0)
        return 0;
    *ms = (int)(v * 1000.0 + 0.5);
    if (*ms == 0)
        *ms = 1;
    return 1;
}

/* Returns -1 to go on, else an exit status (help and version give 0). */
static int parse_args(int argc, char **argv, struct options *o)
{
    const char *pos[2];
    int npos = 0, only_operands = 0;
    memset(o, 0, sizeof *o);
    o->wait_ms = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (only_operands || a[0] != '-' || a[1] == '\0') {
            if (npos == 2)
                return usage_error("too many operands");
            pos[npos++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_operands = 1;
        } else if (strcmp(a, "--help") == 0) {
            usage(stdout);
            return EXIT_OK;
        } else if (strcmp(a, "--version") == 0) {
            printf("psnc (portsock %s)\n", ps_version());
            return EXIT_OK;
        } else if (a[1] == '-') {
            return usage_error("unknown option");
        } else {
            /* Clustered flags, e.g. -lvu; -w takes the rest or the next. */
            for (const char *f = a + 1; *f; f++) {
                if (*f == 'l') {
                    o->listen = 1;
                } else if (*f == 'u') {
                    o->udp = 1;
                } else if (*f == 'v') {
                    o->verbose = 1;
                } else if (*f == 'q') {
                    o->quiet = 1;
                } else if (*f == 'w') {
                    const char *val = f[1] ? f + 1 : (i + 1 < argc ? argv[++i] : NULL);
                    if (!val)
                        return usage_error("-w needs a number of seconds");
                    if (!parse_wait(val, &o->wait_ms))
                        return usage_error("-w needs a positive number of seconds");
                    break;
                } else {
                    return usage_error("unknown option");
                }
            }
        }
    }
    if (npos == 0)
        return usage_error(o->listen ? "missing PORT" : "missing HOST and PORT");
    if (npos == 1) {
        if (!o->listen)
            return usage_error("missing PORT");
        o->port = pos[0];
    } else {
        o->host = pos[0];
        o->port = pos[1];
    }
    if (!valid_port(o->port))
        return usage_error("PORT must be a number from 0 to 65535");
    if (!o->listen && strcmp(o->port, "0") == 0)
        return usage_error("cannot connect to port 0");
    return -1;
}

/* ---- TCP ------------------------------------------------------------------ */

/* Copies both ways until both have ended: standard input reached its end
 * and all of it went out (then the sending side is shut down), and the peer
 * closed its sending side. Stdin is read only when the previous chunk has
 * gone, and the socket is asked for WRITE only while a chunk is pending, so
 * a peer that is slow to read never stops psnc from reading (no deadlock
 * with an echoing peer). */
static int tcp_session(ps_socket_t s, const struct options *o)
{
    static unsigned char out[CHUNK], in[CHUNK];
    size_t out_len = 0, out_off = 0;
    int stdin_open = 1, net_open = 1, shut = 0;
    ps_pollitem items[2];

    for (;;) {
        size_t n = 0;
        int pending = out_off < out_len;
        if (!stdin_open && !pending && !shut) {
            /* All input has gone: half-close, keep reading the reply. */
            int r = ps_shutdown(s, PS_SHUT_WR);
            if (r != 0)
                warn("shutdown", r);
            shut = 1;
        }
        if (shut && !net_open)
            return EXIT_OK;
        memset(items, 0, sizeof items);
        if (stdin_open && !pending) {
            items[n].kind = PS_KIND_FD;
            items[n].fd = 0;
            items[n].events = PS_POLL_READ;
            n++;
        }
        ps_pollitem *si = NULL;
        unsigned sev = (net_open ? PS_POLL_READ : 0u) | (pending ? PS_POLL_WRITE : 0u);
        if (sev) {
            si = &items[n++];
            si->kind = PS_KIND_SOCKET;
            si->sock = s;
            si->events = sev;
        }

        int r = ps_select(items, n, o->wait_ms);
        if (r < 0)
            return fail("select", r);
        if (r == 0)
            return fail("idle timeout", PS_ETIMEDOUT);

        if (items[0].kind == PS_KIND_FD && items[0].revents) {
            size_t got = 0;
            if (ps_item_read(&items[0], out, sizeof out, &got) != 0) {
                fprintf(stderr, "%s: reading standard input failed\n", prog);
                return EXIT_RUNTIME;
            }
            if (got == 0)
                stdin_open = 0;
            out_len = got;
            out_off = 0;
        }
        if (si && net_open &&
            (si->revents & (PS_POLL_READ | PS_POLL_HUP | PS_POLL_ERROR))) {
            size_t got = 0;
            r = ps_recv(s, in, sizeof in, &got, 0);
            if (r != 0 && r != PS_EWOULDBLOCK)
                return fail("receive", r);
            if (r == 0 && got == 0)
                net_open = 0; /* the peer is done sending */
            if (got > 0 && write_stdout(in, got) != 0) {
                fprintf(stderr, "%s: writing standard output failed\n", prog);
                return EXIT_RUNTIME;
            }
        }
        /* Try at once after a fresh read too: the socket is usually
         * writable, which saves a round of ps_select. */
        if (out_off < out_len) {
            size_t sent = 0;
            r = ps_send(s, out + out_off, out_len - out_off, &sent, 0);
            out_off += sent;
            if (r != 0 && r != PS_EWOULDBLOCK)
                return fail("send", r);
        }
    }
}

static int tcp_main(const struct options *o)
{
    ps_socket_t s;
    ps_addr a;
    int r, status;
    if (o->listen) {
        ps_socket_t l;
        r = ps_listen(&l, o->host, o->port, 1);
        if (r != 0)
            return fail("listen", r);
        if (ps_local_addr(l, &a) == 0)
            note(o->verbose, "listening on", &a);
        r = ps_accept(l, &s, &a, o->wait_ms);
        ps_close(l);
        if (r != 0)
            return fail("accept", r);
        note(o->verbose, "connection from", &a);
    } else {
        r = ps_connect(&s, o->host, o->port, o->wait_ms);
        if (r != 0) {
            char what[300];
            snprintf(what, sizeof what, "connect to %s port %s", o->host, o->port);
            return fail(what, r);
        }
        if (ps_peer_addr(s, &a) == 0)
            note(o->verbose, "connected to", &a);
    }
    status = tcp_session(s, o);
    ps_close(s);
    return status;
}

/* ---- UDP ------------------------------------------------------------------ */

static int same_addr(const ps_addr *x, const ps_addr *y)
{
    char a[PS_ADDRSTRLEN], b[PS_ADDRSTRLEN];
    return ps_addr_format(x, a, sizeof a) == 0 &&
           ps_addr_format(y, b, sizeof b) == 0 && strcmp(a, b) == 0;
}

static int udp_session(ps_socket_t s, ps_addr *peer, int have_peer,
                       const struct options *o)
{
    static unsigned char buf[DGRAM_MAX];
    int stdin_open = 1, moved = 0;
    ps_pollitem items[2];
    for (;;) {
        size_t n = 0;
        memset(items, 0, sizeof items);
        /* The listener reads input only once it knows whom to send it to. */
        if (stdin_open && have_peer) {
            items[n].kind = PS_KIND_FD;
            items[n].fd = 0;
            items[n].events = PS_POLL_READ;
            n++;
        }
        ps_pollitem *si = &items[n++];
        si->kind = PS_KIND_SOCKET;
        si->sock = s;
        si->events = PS_POLL_READ;

        int r = ps_select(items, n, o->wait_ms);
        if (r < 0)
            return fail("select", r);
        if (r == 0)
            return moved ? EXIT_OK : fail("idle timeout", PS_ETIMEDOUT);

        if (n == 2 && items[0].revents) {
            size_t got = 0;
            if (ps_item_read(&items[0], buf, CHUNK, &got) != 0) {
                fprintf(stderr, "%s: reading standard input failed\n", prog);
                return EXIT_RUNTIME;
            }
            if (got == 0) {
                stdin_open = 0;
            } else {
                r = ps_sendto(s, buf, got, peer, o->wait_ms);
                if (r != 0)
                    return fail("send", r);
                moved = 1;
            }
        }
        if (si->revents) {
            ps_addr from;
            size_t got = 0;
            r = ps_recvfrom(s, buf, sizeof buf, &got, &from, 0);
            if (r == PS_EWOULDBLOCK)
                continue;
            if (r == PS_ECONNREFUSED || r == PS_ECONNRESET) {
                /* An ICMP "port unreachable" for an earlier datagram. */
                warn("peer not listening", r);
                continue;
            }
            if (r != 0 && r != PS_EMSGSIZE)
                return fail("receive", r);
            if (r == PS_EMSGSIZE)
                warn("datagram truncated", r);
            if (!have_peer) {
                *peer = from;
                have_peer = 1;
                note(o->verbose, "peer", &from);
            } else if (!same_addr(&from, peer)) {
                note(o->verbose, "dropped a datagram from", &from);
                continue;
            }
            moved = 1;
            if (write_stdout(buf, got) != 0) {
                fprintf(stderr, "%s: writing standard output failed\n", prog);
                return EXIT_RUNTIME;
            }
        }
    }
}

static int udp_main(const struct options *o)
{
    ps_socket_t s;
    ps_addr peer, a;
    int r, status;
    memset(&peer, 0, sizeof peer);
    if (o->listen) {
        r = ps_udp_open(&s, o->host, o->port);
        if (r != 0)
            return fail("bind", r);
        if (ps_local_addr(s, &a) == 0)
            note(o->verbose, "listening on", &a);
        status = udp_session(s, &peer, 0, o);
    } else {
        r = ps_resolve(o->host, o->port, PS_SOCK_DGRAM, &peer, 1, NULL,
                       o->wait_ms);
        if (r != 0)
            return fail("resolve", r);
        /* An unbound socket of the peer's family; the first send binds it. */
        if (ps_addr_family(&peer) == PS_AF_INET6)
            r = ps_udp_open(&s, "::", "0");
        else
            r = ps_udp_open(&s, NULL, NULL);
        if (r != 0)
            return fail("socket", r);
        note(o->verbose, "sending to", &peer);
        status = udp_session(s, &peer, 1, o);
    }
    ps_close(s);
    return status;
}

int main(int argc, char **argv)
{
    struct options o;
    int r = parse_args(argc, argv, &o);
    if (r >= 0)
        return r;
    quiet = o.quiet;
    r = ps_init();
    if (r != 0)
        return fail("network start-up", r);
    r = o.udp ? udp_main(&o) : tcp_main(&o);
    ps_cleanup();
    return r;
}
