/* SPDX-License-Identifier: MIT */
/* psnc — a small portable netcat built only on portsock's public API.
 *
 *   psnc [-46Nuv] [-p PORT] [-q SECONDS] [-s ADDR] [-w SECONDS] HOST PORT
 *   psnc -z [-46v] [-p PORT] [-s ADDR] [-w SECONDS] HOST PORT[-PORT]...
 *   psnc -l [-46kNuv] [-q SECONDS] [-w SECONDS] [-s ADDR] [HOST] PORT
 *   psnc -l [-46kNuv] [-q SECONDS] [-w SECONDS] -p PORT [HOST]
 *   psnc -U [-lkNv] [-q SECONDS] [-w SECONDS] PATH
 *
 * The flags are OpenBSD nc's where the two overlap (man/psnc.1 lists them
 * and the differences). Standard input goes to the socket, what the socket
 * brings goes to standard output; nothing else is ever written to standard
 * output. Standard input and the socket are waited on together with
 * ps_select, so the same code runs on Linux and Windows.
 *
 * TCP: at end of standard input the sending side is shut down (half-close)
 * and psnc keeps reading until the peer closes. That is psnc's default and
 * nc's -N; --no-shutdown keeps the sending side open as nc does without -N.
 * psnc keeps the half-close by default because it is what tells a server
 * that reads to end of stream ("psnc host port < request") that the request
 * is complete, and psnc still reads everything the peer sends after it.
 * A peer that shuts down its sending side still gets the rest of standard
 * input. -q SECONDS (Debian's nc) ends the session that long after the end
 * of input instead of waiting for the peer.
 *
 * UDP (-u): every chunk read from standard input is one datagram. The
 * listener learns its peer from the first datagram (with -k: the latest
 * sender) and replies to it. A datagram socket has no end of stream, so a
 * UDP session ends with -w (idle for that long after some datagram moved is
 * the normal end) or -q.
 *
 * -w SECONDS bounds the connect, name lookup included (with -l, the wait
 * for the first peer) and is the idle timeout: a TCP session idle that long
 * ends with status 0, as in nc.
 *
 * TLS (--ssl and the other ncat flags, where portsock_tls is built): the
 * same session over ps_tls. A client verifies the server by default
 * (ncat does not; --ssl-insecure turns it off). The loop takes bytes
 * already decrypted (ps_tls_pending) before it waits, waits on the socket
 * as ps_tls_wants says, and ends input with close_notify instead of the
 * half-close; a peer's end without close_notify is PS_ETRUNCATED.
 *
 * A listener's TCP session also ends when the peer has closed its sending
 * side and no input is ready to send, even with standard input still open
 * (as nc -l); with -k the next peer is then served.
 *
 * Exit status, as nc: 0 ok, 1 any failure (usage errors included); with -z,
 * 0 when at least one port accepted the connection. Every error is one line
 * on standard error that names the bad option or the portsock code (-z
 * too, where nc is silent). A failure of standard input or output ends
 * psnc, also under -k. Standard streams closed at start are opened on the
 * null device first (psnc_sys.h), so that no socket can take their fds. */
#include <errno.h>
#include <stddef.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portsock.h"
#include "psnc_sys.h"
#ifdef PSNC_TLS
#include "portsock_tls.h"
#endif

enum { EXIT_OK = 0, EXIT_FAIL = 1 };

/* One stdin chunk: also the largest datagram psnc sends, and the most one
 * receive takes. The tests build a psnc with shorter reads than a TLS
 * record (psnc_small_reads), so that decrypted bytes wait in memory. */
#ifndef PSNC_CHUNK
#define PSNC_CHUNK 16384
#endif
#define CHUNK PSNC_CHUNK

/* Standard input and output as items (kind, sock, fd, handle, events). */
static const ps_pollitem stdin_item = {PS_KIND_FD, PS_INVALID_SOCKET, 0,
                                       NULL,       PS_POLL_READ,      0};
static const ps_pollitem stdout_item = {
    PS_KIND_FD, PS_INVALID_SOCKET, 1, NULL, 0, 0};

/* All of buf to standard output (ps_item_write may take part of it);
 * 0 or the PS_E* code. Binary on Windows too. */
static int write_stdout(const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        size_t sent = 0;
        int r = ps_item_write(&stdout_item, p, len, &sent);
        if (r != 0)
            return r;
        p += sent;
        len -= sent;
    }
    return 0;
}
/* Large enough for any UDP datagram, so none is cut short. */
#define DGRAM_MAX 65536
/* Addresses tried per name when psnc connects by itself (-4/-6/-s/-p). */
#define MAX_ADDRS 16

struct options {
    int listen, keep, udp, scan, unix_path, verbose, quiet, no_shutdown;
    int family;         /* 0, or PS_AF_INET (-4) / PS_AF_INET6 (-6) */
    int wait_ms;        /* -w in milliseconds; -1 when not given */
    int quit_ms;        /* -q in milliseconds; -1: wait for the peer */
    const char *host;   /* NULL: all interfaces (listener only) */
    const char *source; /* -s */
    const char *sport;  /* -p */
    const char **ports; /* port operands (several only with -z) */
    int nports;
    /* TLS (--ssl*): ssl is set by --ssl and by every other --ssl-* flag. */
    int ssl;
    int ssl_verify; /* -1 default, 1 --ssl-verify, 0 --ssl-insecure */
    const char *ssl_cert, *ssl_key, *ssl_trustfile, *ssl_servername;
    const char *ssl_alpn; /* comma-separated, as given */
    const char *ssl_flag; /* the first --ssl* flag seen, for messages */
};

static const char *prog = "psnc";
static int quiet;
/* Standard input reached its end: with -k it stays ended for the next
 * connection. */
static int stdin_done;

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: %s [-46Nuv] [-p PORT] [-q SECONDS] [-s ADDR] [-w SECONDS] HOST "
        "PORT\n"
        "       %s -z [-46v] [-p PORT] [-s ADDR] [-w SECONDS] HOST "
        "PORT[-PORT]...\n"
        "       %s -l [-46kNuv] [-q SECONDS] [-w SECONDS] [-s ADDR] [HOST] "
        "PORT\n"
        "       %s -l [-46kNuv] [-q SECONDS] [-w SECONDS] -p PORT [HOST]\n"
        "       %s -U [-lkNv] [-q SECONDS] [-w SECONDS] PATH\n"
        "  -4          IPv4 addresses only\n"
        "  -6          IPv6 addresses only\n"
        "  -k          with -l: after a connection ends, accept the next one\n"
        "              (one at a time); with -u: take datagrams from anyone\n"
        "  -l          listen; HOST defaults to all interfaces, PORT 0 picks "
        "one\n"
        "  -N          shut down the sending side at end of input: psnc's\n"
        "              default (nc needs -N for it); see --no-shutdown\n"
        "  -p PORT     source port; with -l the port to listen on\n"
        "  -q SECONDS  quit SECONDS after end of input (0: at once; negative:\n"
        "              wait for the peer, the default)\n"
        "  -s ADDR     source address; with -l the address to listen on\n"
        "  -U          PATH is an AF_UNIX stream socket; with -l psnc creates\n"
        "              it and removes it when it exits\n"
        "  -u          UDP: each chunk of input is one datagram\n"
        "  -v          report addresses and connections on standard error\n"
        "  -w SECONDS  connect timeout (with -l: wait for the first peer) and\n"
        "              idle timeout (the session ends, status 0, as nc)\n"
        "  -z          scan: connect to each port (N-M is a range), send "
        "nothing\n"
        "  --no-shutdown  keep the sending side open at end of input (nc\n"
        "              without -N)\n"
        "TLS (TCP and -U; connect and -l), with ncat's flag names:\n"
        "  --ssl       TLS over the connection; at end of input psnc sends\n"
        "              close_notify (not with --no-shutdown)\n"
        "  --ssl-cert FILE  this side's certificate chain, PEM (-l needs one)\n"
        "  --ssl-key FILE   its private key, PEM (default: --ssl-cert's file)\n"
        "  --ssl-trustfile FILE  CAs to trust, PEM (default: the system's)\n"
        "  --ssl-verify  verify the peer: ON BY DEFAULT for a client (chain\n"
        "              and host name), unlike ncat; with -l: require and "
        "verify\n"
        "              a client certificate\n"
        "  --ssl-insecure  client: verify nothing (anyone in the middle can\n"
        "              read and change the traffic; ncat's default)\n"
        "  --ssl-servername NAME  client: the name sent (SNI) and checked in\n"
        "              the certificate (default: HOST)\n"
        "  --ssl-alpn LIST  ALPN protocols, comma-separated, preferred first\n"
        "  --quiet     no messages except one line for a fatal error\n"
        "  --help, --version\n"
        "PORT is a number or a service name (http, ssh, ...).\n"
        "Exit status: 0 ok, 1 failure; -z: 0 if any port accepted.\n"
#ifndef PSNC_TLS
        "This psnc was built without TLS: the --ssl flags fail.\n"
#endif
        ,
        prog, prog, prog, prog, prog);
}

/* The one line of a fatal error. */
static int fail(const char *what, int err)
{
    fprintf(stderr, "%s: %s: %s (%s)\n", prog, what, ps_errname(err),
            ps_strerror(err));
    return EXIT_FAIL;
}

/* A usage error: one line that names what is wrong. */
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (try '%s --help')\n", prog);
    return EXIT_FAIL;
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

/* A session's failure: fatal, except under -k, where the next peer is
 * served and the failure is only a warning (quiet with --quiet). */
static int session_fail(const struct options *o, const char *what, int err)
{
    if (o->keep) {
        warn(what, err);
        return EXIT_FAIL;
    }
    return fail(what, err);
}

/* Standard input or output failed: fatal even under -k, as nc ends when
 * its output is gone; a later peer's data would have nowhere to go. */
static int stdio_dead;

static int stdio_fail(const char *what, int err)
{
    stdio_dead = 1;
    return fail(what, err);
}

/* ---- Arguments ------------------------------------------------------------ */

enum { PORT_BAD, PORT_NUMBER, PORT_RANGE, PORT_NAME };

/* Digits only, 0..65535; sets *v. */
static int parse_number(const char *p, const char *end, long *v)
{
    *v = 0;
    if (p == end)
        return 0;
    for (; p < end; p++) {
        if (*p < '0' || *p > '9')
            return 0;
        *v = *v * 10 + (*p - '0');
        if (*v > 65535)
            return 0;
    }
    return 1;
}

/* A port operand: a number, a range N-M (digits only, N <= M), or a
 * service name (a letter first, as portsock requires; "ftp-data" is a
 * name, not a range). The resolver decides whether the name exists. */
static int classify_port(const char *p, long *lo, long *hi)
{
    const char *dash = strchr(p, '-');
    *lo = *hi = 0; /* a name: one round of -z's loop */
    if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')) {
        for (const char *c = p; *c; c++)
            if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                  (*c >= '0' && *c <= '9') || strchr("-_.+", *c)))
                return PORT_BAD;
        return PORT_NAME;
    }
    if (!dash) {
        if (!parse_number(p, p + strlen(p), lo))
            return PORT_BAD;
        *hi = *lo;
        return PORT_NUMBER;
    }
    if (!parse_number(p, dash, lo) ||
        !parse_number(dash + 1, dash + strlen(dash), hi) || *lo > *hi)
        return PORT_BAD;
    return PORT_RANGE;
}

/* A number of seconds, fractions allowed, at most ~24 days (the int
 * milliseconds of the timeouts). allow_negative: -q, where < 0 is
 * "forever" (-1). */
static int parse_seconds(const char *text, int allow_negative, int *ms)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || v != v || v > 2000000.0)
        return 0;
    if (v < 0) {
        if (!allow_negative)
            return 0;
        *ms = -1;
        return 1;
    }
    if (v == 0 && !allow_negative)
        return 0;
    *ms = (int)(v * 1000.0 + 0.5);
    if (*ms == 0 && v > 0)
        *ms = 1;
    return 1;
}

/* The value of an option that takes one: the rest of the cluster (-w5) or
 * the next argument (-w 5). NULL when there is none. */
static const char *option_value(const char *f, int argc, char **argv, int *i)
{
    if (f[1])
        return f + 1;
    return *i + 1 < argc ? argv[++*i] : NULL;
}

/* One --ssl* flag (a value follows as the next argument or after '=').
 * Returns -1 to go on, else the exit status. */
static int parse_ssl_flag(const char *a, int argc, char **argv, int *i,
                          struct options *o)
{
    static const struct {
        const char *name;
        size_t off; /* of the const char * in struct options; 0: no value */
    } flags[] = {
        {"--ssl", 0},
        {"--ssl-verify", 0},
        {"--ssl-insecure", 0},
        {"--ssl-cert", offsetof(struct options, ssl_cert)},
        {"--ssl-key", offsetof(struct options, ssl_key)},
        {"--ssl-trustfile", offsetof(struct options, ssl_trustfile)},
        {"--ssl-servername", offsetof(struct options, ssl_servername)},
        {"--ssl-alpn", offsetof(struct options, ssl_alpn)},
    };
    const char *eq = strchr(a, '=');
    size_t len = eq ? (size_t)(eq - a) : strlen(a);
    for (size_t k = 0; k < sizeof flags / sizeof flags[0]; k++) {
        if (strlen(flags[k].name) != len || strncmp(a, flags[k].name, len) != 0)
            continue;
        if (!o->ssl_flag)
            o->ssl_flag = flags[k].name;
        o->ssl = 1;
        if (flags[k].off == 0) {
            if (eq)
                return usage_error("option %s takes no value", flags[k].name);
            if (strcmp(a, "--ssl-verify") == 0)
                o->ssl_verify = 1;
            else if (strcmp(a, "--ssl-insecure") == 0)
                o->ssl_verify = 0;
            return -1;
        }
        const char *val = eq ? eq + 1 : *i + 1 < argc ? argv[++*i] : NULL;
        if (!val || !*val)
            return usage_error("option %s needs a value", flags[k].name);
        *(const char **)(void *)((char *)o + flags[k].off) = val;
        return -1;
    }
    return usage_error("unknown option %.*s", (int)len, a);
}

/* Returns -1 to go on, else an exit status (help and version give 0). */
static int parse_args(int argc, char **argv, struct options *o,
                      const char **ops, int *nops)
{
    static const char *no_port = "0";
    int only_operands = 0;
    memset(o, 0, sizeof *o);
    o->ssl_verify = -1;
    o->ports = &no_port; /* check_args sets the real ones */
    o->wait_ms = -1;
    o->quit_ms = -1;
    *nops = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (only_operands || a[0] != '-' || a[1] == '\0') {
            ops[(*nops)++] = argv[i];
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
        } else if (strcmp(a, "--quiet") == 0) {
            o->quiet = 1;
        } else if (strcmp(a, "--no-shutdown") == 0) {
            o->no_shutdown = 1;
        } else if (strncmp(a, "--ssl", 5) == 0) {
            int r = parse_ssl_flag(a, argc, argv, &i, o);
            if (r >= 0)
                return r;
        } else if (a[1] == '-') {
            return usage_error("unknown option %s", a);
        } else {
            /* Clustered flags, e.g. -lvu; an option with a value takes the
             * rest of the cluster or the next argument. */
            for (const char *f = a + 1; *f; f++) {
                const char *val;
                switch (*f) {
                case '4':
                    o->family = PS_AF_INET;
                    continue;
                case '6':
                    o->family = PS_AF_INET6;
                    continue;
                case 'k':
                    o->keep = 1;
                    continue;
                case 'l':
                    o->listen = 1;
                    continue;
                case 'N':
                    o->no_shutdown = 0;
                    continue;
                case 'U':
                    o->unix_path = 1;
                    continue;
                case 'u':
                    o->udp = 1;
                    continue;
                case 'v':
                    o->verbose = 1;
                    continue;
                case 'z':
                    o->scan = 1;
                    continue;
                case 'w':
                case 'q':
                    val = option_value(f, argc, argv, &i);
                    if (!val)
                        return usage_error(
                            "option -%c needs a number of seconds", *f);
                    if (!parse_seconds(val, *f == 'q',
                                       *f == 'w' ? &o->wait_ms : &o->quit_ms))
                        return usage_error(
                            "option -%c needs a%s number of seconds, got '%s'",
                            *f, *f == 'w' ? " positive" : "", val);
                    break;
                case 'p': {
                    long lo, hi;
                    val = option_value(f, argc, argv, &i);
                    if (!val)
                        return usage_error("option -p needs a port");
                    int kind = classify_port(val, &lo, &hi);
                    if (kind != PORT_NUMBER && kind != PORT_NAME)
                        return usage_error("option -p needs a port, got '%s'",
                                           val);
                    o->sport = val;
                    break;
                }
                case 's':
                    val = option_value(f, argc, argv, &i);
                    if (!val || !*val)
                        return usage_error("option -s needs an address");
                    o->source = val;
                    break;
                default:
                    if ((unsigned char)*f < 0x20 || (unsigned char)*f >= 0x7f)
                        return usage_error("unknown option in '%s'", a);
                    return usage_error("unknown option -%c", *f);
                }
                break; /* an option with a value ends the cluster */
            }
        }
    }
    return -1;
}

/* Checks the combination of options and operands and fills in host and
 * ports. Returns -1 to go on, else the exit status. */
static int check_args(struct options *o, const char **ops, int nops)
{
    long lo, hi;
    if (o->ssl) {
#ifndef PSNC_TLS
        fprintf(stderr, "%s: option %s: built without TLS\n", prog,
                o->ssl_flag);
        return EXIT_FAIL;
#else
        if (o->udp || o->scan)
            return usage_error("TLS (%s) cannot be used with %s", o->ssl_flag,
                               o->udp ? "-u" : "-z");
        if (o->ssl_key && !o->ssl_cert)
            return usage_error("option --ssl-key needs --ssl-cert");
        if (o->listen && !o->ssl_cert)
            return usage_error("TLS with -l needs --ssl-cert (and --ssl-key)");
        if (o->listen && o->ssl_servername)
            return usage_error(
                "option --ssl-servername is for a client, not -l");
        if (o->listen && o->ssl_verify == 0)
            return usage_error(
                "option --ssl-insecure is for a client; with -l "
                "psnc asks for no client certificate by default");
        if (o->listen && o->ssl_verify == 1 && !o->ssl_trustfile)
            return usage_error(
                "--ssl-verify with -l needs --ssl-trustfile (the "
                "CAs of the client certificates)");
        if (o->unix_path && !o->listen && o->ssl_verify != 0 &&
            !o->ssl_servername)
            return usage_error(
                "TLS over -U needs --ssl-servername (the name to "
                "verify) or --ssl-insecure");
#endif
    }
    if (o->unix_path) {
        const char *bad = o->udp      ? "-u"
                          : o->scan   ? "-z"
                          : o->sport  ? "-p"
                          : o->source ? "-s"
                          : o->family ? (o->family == PS_AF_INET ? "-4" : "-6")
                                      : NULL;
        if (bad)
            return usage_error("option -U cannot be used with %s", bad);
        if (nops != 1)
            return usage_error(nops ? "too many operands: -U takes one PATH"
                                    : "missing PATH");
        if (!*ops[0])
            return usage_error("PATH is empty");
        o->host = ops[0];
        o->nports = 1; /* the "0" parse_args set: ps_connect ignores it */
        return -1;
    }
    if (o->keep && !o->listen)
        return usage_error("option -k needs -l");
    if (o->listen) {
        if (o->scan)
            return usage_error("options -l and -z cannot be used together");
        if (o->sport) {
            /* Debian's "nc -l -p PORT [HOST]". */
            if (nops > 1)
                return usage_error(
                    "too many operands: -l -p PORT takes at most HOST");
            if (nops == 1 && o->source)
                return usage_error("both -s and a HOST operand");
            o->host = nops == 1 ? ops[0] : o->source;
            o->ports = &o->sport;
            o->nports = 1;
        } else {
            if (nops == 0)
                return usage_error("missing PORT");
            if (nops > 2)
                return usage_error("too many operands: -l takes [HOST] PORT");
            if (nops == 2 && o->source)
                return usage_error("both -s and a HOST operand");
            o->host = nops == 2 ? ops[0] : o->source;
            o->ports = &ops[nops - 1];
            o->nports = 1;
        }
    } else {
        if (nops == 0)
            return usage_error("missing HOST and PORT");
        if (nops == 1)
            return usage_error("missing PORT");
        if (nops > 2 && !o->scan)
            return usage_error("too many operands: several ports need -z");
        if (o->scan && o->udp)
            return usage_error("option -z cannot be used with -u");
        o->host = ops[0];
        o->ports = &ops[1];
        o->nports = nops - 1;
    }
    for (int i = 0; i < o->nports; i++) {
        int kind = classify_port(o->ports[i], &lo, &hi);
        if (kind == PORT_BAD)
            return usage_error("bad port '%s': a number 0-65535, a range N-M "
                               "(with -z) or a service name",
                               o->ports[i]);
        if (kind == PORT_RANGE && !o->scan)
            return usage_error("port range '%s' needs -z", o->ports[i]);
        if (!o->listen && kind != PORT_NAME && lo == 0)
            return usage_error("cannot connect to port 0");
    }
    return -1;
}

/* ---- Addresses -------------------------------------------------------------- */

/* The host part of a numeric address: "1.2.3.4", "::1", "fe80::1%lo". */
static void host_text(const ps_addr *a, char *buf, size_t cap)
{
    char text[PS_ADDRSTRLEN];
    if (ps_addr_format(a, text, sizeof text) != 0) {
        snprintf(buf, cap, "?");
        return;
    }
    char *colon = strrchr(text, ':');
    if (colon)
        *colon = '\0';
    if (text[0] == '[') {
        size_t n = strlen(text);
        if (n >= 2 && text[n - 1] == ']')
            text[n - 1] = '\0';
        snprintf(buf, cap, "%s", text + 1);
    } else {
        snprintf(buf, cap, "%s", text);
    }
}

/* host (NULL: the wildcard) as numeric text of the given family (0: any),
 * for ps_listen and ps_udp_open, which take text. */
static int numeric_host(const char *host, int family, int type, char *buf,
                        size_t cap, int timeout_ms)
{
    ps_addr list[MAX_ADDRS];
    size_t count = 0;
    if (!host && family) {
        snprintf(buf, cap, "%s", family == PS_AF_INET ? "0.0.0.0" : "::");
        return 0;
    }
    int r = ps_resolve(host, "0", type, list, MAX_ADDRS, &count, timeout_ms);
    if (r != 0)
        return r;
    for (size_t i = 0; i < count && i < MAX_ADDRS; i++) {
        if (!family || ps_addr_family(&list[i]) == family) {
            host_text(&list[i], buf, cap);
            return 0;
        }
    }
    return PS_EAFNOSUPPORT; /* no address of the family asked for */
}

/* The -s/-p address to bind a socket of this family to. */
static int source_addr(const struct options *o, int family, int type,
                       ps_addr *out, int timeout_ms)
{
    ps_addr list[MAX_ADDRS];
    size_t count = 0;
    int r = ps_resolve(o->source, o->sport ? o->sport : "0", type, list,
                       MAX_ADDRS, &count, timeout_ms);
    if (r != 0)
        return r;
    for (size_t i = 0; i < count && i < MAX_ADDRS; i++) {
        if (ps_addr_family(&list[i]) == family) {
            *out = list[i];
            return 0;
        }
    }
    return PS_EAFNOSUPPORT;
}

static int left_ms(int64_t deadline)
{
    if (deadline < 0)
        return -1;
    int64_t left = deadline - ps_now_ms();
    return left > 0 ? (int)left : 0;
}

/* One connect from a socket bound to the -s/-p address; deadline < 0:
 * none. */
static int connect_one(ps_socket_t *out, const struct options *o,
                       const ps_addr *to, int64_t deadline)
{
    ps_socket_t s;
    int fam = ps_addr_family(to);
    int r = ps_socket(&s, fam, PS_SOCK_STREAM);
    if (r != 0)
        return r;
    if (o->source || o->sport) {
        ps_addr src;
        r = source_addr(o, fam, PS_SOCK_STREAM, &src, left_ms(deadline));
        if (r == 0)
            r = ps_bind(s, &src);
    }
    /* Non-blocking for the connect, so that -w bounds it. */
    if (r == 0)
        r = ps_set_nonblocking(s, 1);
    if (r == 0) {
        r = ps_connect_start(s, to);
        if (r == PS_EWOULDBLOCK) {
            ps_pollitem it;
            memset(&it, 0, sizeof it);
            it.kind = PS_KIND_SOCKET;
            it.sock = s;
            it.events = PS_POLL_WRITE;
            r = ps_select(&it, 1, left_ms(deadline));
            r = r < 0 ? r : r == 0 ? PS_ETIMEDOUT : ps_socket_error(s);
        }
    }
    if (r == 0)
        r = ps_set_nonblocking(s, 0);
    if (r != 0) {
        ps_close(s);
        return r;
    }
    *out = s;
    return 0;
}

/* A connected stream socket to o->host, port. Without -4/-6/-s/-p this is
 * ps_connect (Happy Eyeballs); with them psnc resolves the name, keeps the
 * family asked for, binds the source and tries the addresses in turn. */
static int open_stream(ps_socket_t *out, const struct options *o,
                       const char *port)
{
    if (o->unix_path) {
        char path[1024];
        if (snprintf(path, sizeof path, "unix:%s", o->host) >= (int)sizeof path)
            return PS_EINVAL;
        return ps_connect(out, path, "0", o->wait_ms);
    }
    if (!o->family && !o->source && !o->sport)
        return ps_connect(out, o->host, port, o->wait_ms);

    ps_addr list[MAX_ADDRS];
    size_t count = 0;
    int64_t deadline = o->wait_ms >= 0 ? ps_now_ms() + o->wait_ms : -1;
    int r = ps_resolve(o->host, port, PS_SOCK_STREAM, list, MAX_ADDRS, &count,
                       o->wait_ms);
    if (r != 0)
        return r;
    int err = PS_EAFNOSUPPORT; /* no address of the family asked for */
    for (size_t i = 0; i < count && i < MAX_ADDRS; i++) {
        if (o->family && ps_addr_family(&list[i]) != o->family)
            continue;
        if (deadline >= 0 && left_ms(deadline) == 0)
            return PS_ETIMEDOUT;
        r = connect_one(out, o, &list[i], deadline);
        if (r == 0)
            return 0;
        err = r;
    }
    return err;
}

/* ---- Signals (-l -U) ---------------------------------------------------------- */

/* The socket file psnc created, removed at exit. */
static char unix_file[1024];

static void remove_unix_file(void)
{
    psnc_sys_stop_file(NULL); /* the handler must not remove it again */
    if (unix_file[0])
        remove(unix_file);
    unix_file[0] = '\0';
}

/* After SIGINT/SIGTERM: the socket file goes, then the signal ends psnc
 * as it would have without the handler. */
static void end_by_signal(void)
{
    int sig = psnc_sys_signal();
    remove_unix_file();
    signal(sig, SIG_DFL);
    raise(sig); /* SIGINT and SIGTERM with SIG_DFL end the process */
}

/* ps_select, but while a socket file must be removed on SIGINT/SIGTERM it
 * waits in slices of 100 ms and looks at the signal the handler recorded
 * (on Windows, where the handler may not remove the file itself). */
static int wait_items(ps_pollitem *items, size_t n, int timeout_ms)
{
    if (!unix_file[0])
        return ps_select(items, n, timeout_ms);
    int64_t deadline = timeout_ms >= 0 ? ps_now_ms() + timeout_ms : -1;
    for (;;) {
        if (psnc_sys_signal())
            end_by_signal();
        int slice = 100, left = left_ms(deadline);
        if (left >= 0 && left < slice)
            slice = left;
        int r = ps_select(items, n, slice);
        if (r != 0 || (deadline >= 0 && left_ms(deadline) == 0))
            return r;
    }
}

/* ---- TLS (--ssl) ------------------------------------------------------------ */

/* One connection: the socket, and over it the TLS layer with --ssl. The
 * events are what the last receive and the last send (or close_notify)
 * wait for: with TLS a receive may need the socket writable and a send
 * readable (ps_tls_wants). */
struct conn {
    ps_socket_t s;
#ifdef PSNC_TLS
    ps_tls *t;
#endif
    unsigned rwant, swant;
};

#ifdef PSNC_TLS
/* The configuration of every connection, made once from the --ssl flags. */
static ps_tls_config *tls_cfg;

/* The one line of a TLS failure, with the backend's reason. */
static void tls_report(const char *level, const char *what, int err,
                       const char *reason)
{
    fprintf(stderr, "%s: %s%s: %s (%s)%s%s\n", prog, level, what,
            ps_errname(err), ps_strerror(err), reason && *reason ? ": " : "",
            reason ? reason : "");
}

static int tls_setup(const struct options *o)
{
    const char *step = "TLS set-up";
    int r = ps_tls_config_new(&tls_cfg,
                              o->listen ? PS_TLS_SERVER : PS_TLS_CLIENT);
    if (r == 0 && (o->ssl_trustfile || !o->listen)) {
        step = "--ssl-trustfile";
        r = ps_tls_config_set_ca(tls_cfg, o->ssl_trustfile);
    }
    if (r == 0 && o->ssl_cert) {
        step = "--ssl-cert/--ssl-key";
        r = ps_tls_config_set_cert(tls_cfg, o->ssl_cert,
                                   o->ssl_key ? o->ssl_key : o->ssl_cert);
    }
    if (r == 0) {
        step = "--ssl-verify";
        if (o->listen)
            r = ps_tls_config_set_verify(
                tls_cfg, o->ssl_verify == 1 ? PS_TLS_VERIFY_PEER
                                            : PS_TLS_VERIFY_PEER_AND_HOST);
        else if (o->ssl_verify == 0)
            r = ps_tls_config_set_verify(tls_cfg, PS_TLS_VERIFY_NONE_INSECURE);
    }
    if (r == 0 && o->ssl_alpn) {
        /* "h2,http/1.1": each name 1 to 255 bytes. */
        static char names[1024];
        const char *list[32];
        size_t n = 0;
        step = "--ssl-alpn";
        if (strlen(o->ssl_alpn) >= sizeof names)
            return usage_error("option --ssl-alpn: the list is too long");
        strcpy(names, o->ssl_alpn);
        for (char *p = names;;) {
            char *comma = strchr(p, ',');
            if (comma)
                *comma = '\0';
            if (!*p || strlen(p) > 255 || n == sizeof list / sizeof list[0])
                return usage_error(
                    "option --ssl-alpn needs names of 1 to 255 "
                    "bytes, comma-separated (at most 32), got '%s'",
                    o->ssl_alpn);
            list[n++] = p;
            if (!comma)
                break;
            p = comma + 1;
        }
        r = ps_tls_config_set_alpn(tls_cfg, list, n);
    }
    if (r != 0) {
        tls_report("", step, r, ps_tls_reason(NULL));
        ps_tls_config_free(tls_cfg);
        tls_cfg = NULL;
        return EXIT_FAIL;
    }
    return -1;
}
#endif

static void conn_init(struct conn *c, ps_socket_t s)
{
    memset(c, 0, sizeof *c);
    c->s = s;
    c->rwant = PS_POLL_READ;
    c->swant = PS_POLL_WRITE;
}

/* Decrypted bytes already in memory: a receive gets them at once. */
static size_t conn_pending(const struct conn *c)
{
#ifdef PSNC_TLS
    if (c->t)
        return ps_tls_pending(c->t);
#endif
    (void)c;
    return 0;
}

/* The events to wait for when the step that returned PS_EWOULDBLOCK
 * normally waits for plain. */
static unsigned conn_wants(const struct conn *c, unsigned plain)
{
#ifdef PSNC_TLS
    if (c->t && ps_tls_wants(c->t))
        return ps_tls_wants(c->t);
#endif
    (void)c;
    return plain;
}

static int conn_recv(struct conn *c, void *buf, size_t cap, size_t *got)
{
    int r;
#ifdef PSNC_TLS
    if (c->t)
        r = ps_tls_recv(c->t, buf, cap, got, 0);
    else
#endif
        r = ps_recv(c->s, buf, cap, got, 0);
    c->rwant = r == PS_EWOULDBLOCK ? conn_wants(c, PS_POLL_READ) : PS_POLL_READ;
    return r;
}

static int conn_send(struct conn *c, const void *buf, size_t len, size_t *sent)
{
    int r;
#ifdef PSNC_TLS
    if (c->t)
        r = ps_tls_send(c->t, buf, len, sent, 0);
    else
#endif
        r = ps_send(c->s, buf, len, sent, 0);
    c->swant = r == PS_EWOULDBLOCK ? conn_wants(c, PS_POLL_WRITE)
                                   : PS_POLL_WRITE;
    return r;
}

/* The end of input: close_notify with TLS (PS_EWOULDBLOCK: call again
 * when the socket is ready as c->swant says), else the half-close. */
static int conn_shutdown(struct conn *c)
{
#ifdef PSNC_TLS
    if (c->t) {
        int r = ps_tls_shutdown(c->t, 0);
        c->swant = r == PS_EWOULDBLOCK ? conn_wants(c, PS_POLL_WRITE)
                                       : PS_POLL_WRITE;
        return r;
    }
#endif
    return ps_shutdown(c->s, PS_SHUT_WR);
}

static int conn_is_tls(const struct conn *c)
{
#ifdef PSNC_TLS
    return c->t != NULL;
#else
    (void)c;
    return 0;
#endif
}

/* ---- TCP ------------------------------------------------------------------ */

/* Whether standard input has bytes (or its end) to read without waiting. */
static int stdin_ready_now(void)
{
    ps_pollitem in = stdin_item;
    return !stdin_done && ps_select(&in, 1, 0) > 0;
}

/* The wait for the next ps_select: the idle timeout, cut short by the -q
 * deadline (quit_at >= 0). */
static int next_wait(int wait_ms, int64_t quit_at)
{
    if (quit_at < 0)
        return wait_ms;
    int left = left_ms(quit_at);
    return wait_ms >= 0 && wait_ms < left ? wait_ms : left;
}

/* Copies both ways until both have ended: standard input reached its end
 * and all of it went out (then the sending side is shut down unless
 * --no-shutdown: with TLS by close_notify), and the peer closed its
 * sending side (with TLS: its close_notify; an end without it is
 * PS_ETRUNCATED, a failure); or -q's time after the end of input has
 * passed. Stdin is read only when the previous chunk has gone, and the
 * socket is asked for the send's events only while a chunk (or TLS's
 * close_notify) is pending, so a peer that is slow to read never stops
 * psnc from reading (no deadlock with an echoing peer). With TLS, bytes
 * already decrypted are taken before any wait (ps_tls_pending), and the
 * socket is waited on as ps_tls_wants says. */
static int tcp_session(struct conn *c, const struct options *o)
{
    static unsigned char out[CHUNK], in[CHUNK];
    size_t out_len = 0, out_off = 0;
    int net_open = 1, input_over = 0, shut_pending = 0;
    int64_t quit_at = -1;
    ps_pollitem items[2];

    for (;;) {
        size_t n = 0;
        int pending = out_off < out_len;
        if (stdin_done && !pending && !input_over) {
            /* All input has gone: half-close, keep reading the reply. */
            if (!o->no_shutdown)
                shut_pending = 1;
            input_over = 1;
            if (o->quit_ms >= 0)
                quit_at = ps_now_ms() + o->quit_ms;
        }
        if (shut_pending) {
            int r = conn_shutdown(c);
            if (r != PS_EWOULDBLOCK) {
                shut_pending = 0;
                if (r != 0)
                    warn(conn_is_tls(c) ? "close_notify" : "shutdown", r);
            }
        }
        int sending = pending || shut_pending;
        if (input_over && quit_at >= 0 && left_ms(quit_at) == 0)
            return EXIT_OK;
        if (input_over && !net_open && !shut_pending)
            return EXIT_OK;
        /* A listener's session ends when its peer is done and no input is
         * waiting to be sent, even if standard input is still open (as
         * nc -l): with -k the next peer is served, and later input goes to
         * it. Input that is ready now (a file) is still sent first. */
        if (o->listen && !net_open && !sending && !stdin_ready_now())
            return EXIT_OK;
        /* Decrypted bytes in memory: no wait for the socket, only a look
         * at standard input. */
        int buffered = net_open && conn_pending(c) > 0;
        memset(items, 0, sizeof items);
        if (!stdin_done && !sending) {
            items[n++] = stdin_item;
        }
        ps_pollitem *si = NULL;
        unsigned sev = (net_open ? c->rwant : 0u) | (sending ? c->swant : 0u);
        if (sev) {
            si = &items[n++];
            si->kind = PS_KIND_SOCKET;
            si->sock = c->s;
            si->events = sev;
        }

        int r = wait_items(items, n,
                           buffered ? 0 : next_wait(o->wait_ms, quit_at));
        if (r < 0)
            return session_fail(o, "select", r);
        if (r == 0 && !buffered) {
            /* -q's time is up, or -w's idle timeout: as nc, the session
             * just ends. */
            if (!(quit_at >= 0 && left_ms(quit_at) == 0) && o->verbose &&
                !quiet)
                fprintf(stderr, "%s: idle timeout: closing the connection\n",
                        prog);
            return EXIT_OK;
        }

        if (items[0].kind == PS_KIND_FD && items[0].revents) {
            size_t got = 0;
            r = ps_item_read(&items[0], out, sizeof out, &got);
            if (r != 0)
                return stdio_fail("reading standard input failed", r);
            if (got == 0)
                stdin_done = 1;
            out_len = got;
            out_off = 0;
        }
        /* The receive's own events (with TLS it may wait for WRITE). */
        int recv_ready = si && (si->revents &
                                (c->rwant | PS_POLL_HUP | PS_POLL_ERROR));
        if (net_open && (buffered || recv_ready)) {
            size_t got = 0;
            r = conn_recv(c, in, sizeof in, &got);
            if (r != 0 && r != PS_EWOULDBLOCK)
                return session_fail(o, "receive", r);
            if (r == 0 && got == 0)
                net_open = 0; /* the peer is done sending */
            if (got > 0 && (r = write_stdout(in, got)) != 0)
                return stdio_fail("writing standard output failed", r);
        }
        /* Try at once after a fresh read too: the socket is usually
         * writable, which saves a round of ps_select. */
        if (out_off < out_len) {
            size_t sent = 0;
            r = conn_send(c, out + out_off, out_len - out_off, &sent);
            out_off += sent;
            if (r != 0 && r != PS_EWOULDBLOCK)
                return session_fail(o, "send", r);
        }
    }
}

/* One TCP (or -U) session on the connected socket s, which it closes:
 * with --ssl the handshake first (bounded by -w), then tcp_session, and at
 * a clean end close_notify if it has not gone yet. */
static int serve(ps_socket_t s, const struct options *o)
{
    struct conn c;
    conn_init(&c, s);
#ifdef PSNC_TLS
    if (tls_cfg) {
        const char *name = o->listen           ? NULL
                           : o->ssl_servername ? o->ssl_servername
                           : o->unix_path      ? NULL
                                               : o->host;
        int r = ps_tls_wrap(&c.t, s, tls_cfg, name);
        if (r != 0) {
            tls_report(o->keep ? "warning: " : "", "TLS", r,
                       ps_tls_reason(NULL));
            return EXIT_FAIL;
        }
        /* Driven here without waiting inside, so that a signal is seen
         * (wait_items) while the peer is slow. */
        int64_t deadline = o->wait_ms >= 0 ? ps_now_ms() + o->wait_ms : -1;
        for (;;) {
            r = ps_tls_handshake(c.t, 0);
            if (r != PS_EWOULDBLOCK)
                break;
            ps_pollitem it;
            memset(&it, 0, sizeof it);
            it.kind = PS_KIND_SOCKET;
            it.sock = s;
            it.events = ps_tls_wants(c.t);
            r = wait_items(&it, 1, left_ms(deadline));
            if (r < 0)
                break;
            if (r == 0) {
                r = PS_ETIMEDOUT;
                break;
            }
        }
        if (r != 0) {
            tls_report(o->keep ? "warning: " : "", "TLS handshake", r,
                       ps_tls_reason(c.t));
            ps_tls_close(c.t);
            return EXIT_FAIL;
        }
        if (o->verbose && !quiet) {
            char subject[512];
            if (ps_tls_peer_subject(c.t, subject, sizeof subject) != 0)
                strcpy(subject, "none");
            const char *alpn = ps_tls_alpn(c.t);
            fprintf(stderr, "%s: TLS 1.%d, ALPN %s, peer certificate %s\n",
                    prog, ps_tls_version(c.t) == PS_TLS_1_3 ? 3 : 2,
                    *alpn ? alpn : "none", subject);
        }
        r = tcp_session(&c, o);
        if (r == EXIT_OK) {
            /* close_notify if the session ended before it went (the peer
             * was done first, -q, --no-shutdown): the peer's TLS sees a
             * clean end. The peer may have gone already: a warning. */
            int e = ps_tls_shutdown(c.t, 2000);
            if (e != 0 && o->verbose)
                warn("close_notify", e);
        }
        ps_tls_close(c.t);
        return r;
    }
#endif
    int r = tcp_session(&c, o);
    ps_close(s);
    return r;
}

/* Accepts one connection within timeout_ms (< 0: none), through
 * wait_items so that a signal is seen while psnc waits. */
static int accept_one(ps_socket_t l, ps_socket_t *s, ps_addr *a, int timeout_ms)
{
    int64_t deadline = timeout_ms >= 0 ? ps_now_ms() + timeout_ms : -1;
    for (;;) {
        ps_pollitem it;
        memset(&it, 0, sizeof it);
        it.kind = PS_KIND_SOCKET;
        it.sock = l;
        it.events = PS_POLL_READ;
        int r = wait_items(&it, 1, left_ms(deadline));
        if (r < 0)
            return r;
        if (r == 0)
            return PS_ETIMEDOUT;
        r = ps_accept(l, s, a, 0);
        if (r != PS_EWOULDBLOCK)
            return r;
    }
}

static int tcp_listen(const struct options *o)
{
    ps_socket_t l, s;
    ps_addr a;
    char host[sizeof unix_file + 8];
    const char *h = o->host;
    int r;
    if (o->unix_path) {
        if (snprintf(host, sizeof host, "unix:%s", o->host) >= (int)sizeof host)
            return fail("listen", PS_EINVAL);
        h = host;
        /* Set before the file exists, so that a signal while ps_listen
         * creates it is seen too. */
        psnc_sys_catch_stop();
    } else if (o->family) {
        r = numeric_host(o->host, o->family, PS_SOCK_STREAM, host, sizeof host,
                         o->wait_ms);
        if (r != 0)
            return fail("listen address", r);
        h = host;
    }
    r = ps_listen(&l, h, o->ports[0], o->keep ? 8 : 1);
    if (r == PS_EADDRINUSE && o->unix_path) {
        /* Only a file psnc created itself is ever removed: nothing here
         * tells a stale socket from someone else's file. */
        fprintf(stderr,
                "%s: listen on %s: %s (%s): the file exists; remove "
                "it if it is a stale socket\n",
                prog, o->host, ps_errname(r), ps_strerror(r));
        return EXIT_FAIL;
    }
    if (r != 0)
        return fail("listen", r);
    if (o->unix_path) {
        /* From here on the file is psnc's: removed however psnc ends. */
        snprintf(unix_file, sizeof unix_file, "%s", o->host);
        atexit(remove_unix_file);
        psnc_sys_stop_file(unix_file);
        if (psnc_sys_signal()) /* came while ps_listen made the file */
            end_by_signal();
    }
    if (ps_local_addr(l, &a) == 0)
        note(o->verbose, "listening on", &a);
    int timeout = o->wait_ms;
    for (;;) {
        r = accept_one(l, &s, &a, timeout);
        if (r != 0) {
            ps_close(l);
            return fail("accept", r);
        }
        note(o->verbose, "connection from", &a);
        if (!o->keep)
            break;
        /* -k: a failed session is reported and the next peer served,
         * unless standard input or output failed. */
        r = serve(s, o);
        if (r != EXIT_OK && stdio_dead) {
            ps_close(l);
            return r;
        }
        timeout = -1;
    }
    ps_close(l);
    return serve(s, o);
}

/* nc's line for a connection that succeeded, on standard error. */
static void connected(const struct options *o, ps_socket_t s, const char *port)
{
    ps_addr a;
    if (!o->verbose || quiet)
        return;
    if (o->unix_path) {
        fprintf(stderr, "Connection to %s succeeded!\n", o->host);
        return;
    }
    long lo, hi;
    int name = classify_port(port, &lo, &hi) == PORT_NAME;
    int num = ps_peer_addr(s, &a) == 0 ? ps_addr_port(&a) : -1;
    fprintf(stderr, "Connection to %s %d port [%s/%s] succeeded!\n", o->host,
            num, o->udp ? "udp" : "tcp", name ? port : "*");
}

static int tcp_connect(const struct options *o)
{
    ps_socket_t s;
    int r = open_stream(&s, o, o->ports[0]);
    if (r != 0) {
        char what[1100];
        if (o->unix_path)
            snprintf(what, sizeof what, "connect to %s", o->host);
        else
            snprintf(what, sizeof what, "connect to %s port %s", o->host,
                     o->ports[0]);
        return fail(what, r);
    }
    connected(o, s, o->ports[0]);
    return serve(s, o);
}

/* -z: connects to every port given, sends nothing. 0 if any accepted;
 * otherwise one line, as for every failure (nc -z says nothing): the
 * port's error, or for several ports how many failed and the last error. */
static int scan(const struct options *o)
{
    long tried = 0;
    int accepted = 0, last = 0;
    char what[300], last_port[64] = "";
    for (int i = 0; i < o->nports; i++) {
        long lo, hi;
        int name = classify_port(o->ports[i], &lo, &hi) == PORT_NAME;
        for (long p = lo; p <= hi; p++) {
            char num[16];
            const char *port = o->ports[i];
            ps_socket_t s;
            if (!name) {
                snprintf(num, sizeof num, "%ld", p);
                port = num;
            }
            int r = open_stream(&s, o, port);
            if (r == 0) {
                connected(o, s, port);
                ps_close(s);
                accepted = 1;
            } else if (r == PS_ENAME || (r == PS_EINVAL && name)) {
                snprintf(what, sizeof what, "%s port %s", o->host, port);
                return fail(what, r);
            } else if (o->verbose && !quiet) {
                fprintf(stderr,
                        "%s: connect to %s port %s (tcp) failed: %s (%s)\n",
                        prog, o->host, port, ps_errname(r), ps_strerror(r));
            }
            last = r;
            snprintf(last_port, sizeof last_port, "%s", port);
            tried++;
            if (name)
                break;
        }
    }
    if (accepted)
        return EXIT_OK;
    if (tried == 1)
        snprintf(what, sizeof what, "connect to %s port %s", o->host,
                 last_port);
    else
        snprintf(what, sizeof what,
                 "scan of %s: none of %ld ports accepted; last error", o->host,
                 tried);
    return fail(what, last);
}

/* ---- UDP ------------------------------------------------------------------ */

static int same_addr(const ps_addr *x, const ps_addr *y)
{
    char a[PS_ADDRSTRLEN], b[PS_ADDRSTRLEN];
    return ps_addr_format(x, a, sizeof a) == 0 &&
           ps_addr_format(y, b, sizeof b) == 0 && strcmp(a, b) == 0;
}

/* Datagrams taken by one receive call. Measured with 300,000 1,200-byte
 * datagrams flooded into psnc -u -l > file (Linux, Release, 2 shared
 * cores, 7 runs each): one ps_recvfrom per wake-up cost 5.4-7.2 us of
 * psnc's CPU a datagram and it wrote 66-97% of them; batches of 16
 * (recvmmsg) 4.3-5.2 us and 87-99.5% (the write to standard output, one a
 * datagram, is most of what is left). The send side stays one datagram
 * per read of standard input: each read is a datagram by definition, and
 * taking more reads before sending would need another wait per chunk, so
 * nothing would be saved but the send calls of an interactive tool. */
#define RECV_BATCH 16

/* One received datagram: learns or checks the peer, writes it out.
 * 1 when written, 0 when dropped (another sender), or a PS_E* code from
 * writing standard output. */
static int take_datagram(const ps_udp_msg *m, ps_addr *peer, int *have_peer,
                         const struct options *o)
{
    if (m->truncated)
        warn("datagram truncated", PS_EMSGSIZE);
    if (!*have_peer || (o->keep && !same_addr(&m->peer, peer))) {
        /* -k: replies go to the latest sender. */
        *peer = m->peer;
        *have_peer = 1;
        note(o->verbose, "peer", &m->peer);
    } else if (!same_addr(&m->peer, peer)) {
        note(o->verbose, "dropped a datagram from", &m->peer);
        return 0;
    }
    int r = write_stdout(m->buf, m->len);
    return r != 0 ? r : 1;
}

static int udp_session(ps_socket_t s, ps_addr *peer, int have_peer,
                       const struct options *o)
{
    static unsigned char buf[CHUNK];
    static unsigned char rbuf[RECV_BATCH][DGRAM_MAX];
    static ps_udp_msg msgs[RECV_BATCH];
    int moved = 0;
    int64_t quit_at = -1;
    ps_pollitem items[2];
    for (;;) {
        size_t n = 0;
        if (stdin_done && quit_at < 0 && o->quit_ms >= 0)
            quit_at = ps_now_ms() + o->quit_ms;
        if (quit_at >= 0 && left_ms(quit_at) == 0)
            return EXIT_OK;
        memset(items, 0, sizeof items);
        /* The listener reads input only once it knows whom to send it to. */
        if (!stdin_done && have_peer) {
            items[n++] = stdin_item;
        }
        ps_pollitem *si = &items[n++];
        si->kind = PS_KIND_SOCKET;
        si->sock = s;
        si->events = PS_POLL_READ;

        int r = ps_select(items, n, next_wait(o->wait_ms, quit_at));
        if (r < 0)
            return fail("select", r);
        if (r == 0) {
            if (quit_at >= 0 && left_ms(quit_at) == 0)
                return EXIT_OK;
            return moved ? EXIT_OK : fail("idle timeout", PS_ETIMEDOUT);
        }

        if (n == 2 && items[0].revents) {
            size_t got = 0;
            r = ps_item_read(&items[0], buf, CHUNK, &got);
            if (r != 0)
                return stdio_fail("reading standard input failed", r);
            if (got == 0) {
                stdin_done = 1;
            } else {
                r = ps_sendto(s, buf, got, peer, o->wait_ms);
                if (r != 0)
                    return fail("send", r);
                moved = 1;
            }
        }
        if (si->revents) {
            /* What is queued in one call (one select and one system call
             * for up to RECV_BATCH datagrams, where the system batches). */
            size_t got = 0;
            for (size_t i = 0; i < RECV_BATCH; i++) {
                memset(&msgs[i], 0, sizeof msgs[i]);
                msgs[i].buf = rbuf[i];
                msgs[i].len = sizeof rbuf[i];
            }
            r = ps_udp_recvmsgs(s, msgs, RECV_BATCH, &got, 0);
            for (size_t i = 0; i < got; i++) {
                int w = take_datagram(&msgs[i], peer, &have_peer, o);
                if (w < 0)
                    return stdio_fail("writing standard output failed", w);
                moved |= w;
            }
            if (r == PS_EWOULDBLOCK)
                continue;
            if (r == PS_ECONNREFUSED || r == PS_ECONNRESET) {
                /* An ICMP "port unreachable" for an earlier datagram. */
                warn("peer not listening", r);
                continue;
            }
            if (r != 0)
                return fail("receive", r);
        }
    }
}

static int udp_main(const struct options *o)
{
    ps_socket_t s;
    ps_addr peer, a;
    char host[PS_ADDRSTRLEN + 8];
    int r, status;
    memset(&peer, 0, sizeof peer);
    if (o->listen) {
        const char *h = o->host;
        if (o->family) {
            r = numeric_host(o->host, o->family, PS_SOCK_DGRAM, host,
                             sizeof host, o->wait_ms);
            if (r != 0)
                return fail("listen address", r);
            h = host;
        }
        r = ps_udp_open(&s, h, o->ports[0]);
        if (r != 0)
            return fail("bind", r);
        if (ps_local_addr(s, &a) == 0)
            note(o->verbose, "listening on", &a);
        status = udp_session(s, &peer, 0, o);
    } else {
        ps_addr list[MAX_ADDRS];
        size_t count = 0, i;
        r = ps_resolve(o->host, o->ports[0], PS_SOCK_DGRAM, list, MAX_ADDRS,
                       &count, o->wait_ms);
        if (r != 0)
            return fail("resolve", r);
        for (i = 0; i < count && i < MAX_ADDRS; i++)
            if (!o->family || ps_addr_family(&list[i]) == o->family)
                break;
        if (i == count || i == MAX_ADDRS)
            return fail("resolve", PS_EAFNOSUPPORT);
        peer = list[i];
        int fam = ps_addr_family(&peer);
        if (o->source || o->sport) {
            /* Bound to the -s/-p address of the peer's family. */
            r = source_addr(o, fam, PS_SOCK_DGRAM, &a, o->wait_ms);
            if (r == 0) {
                host_text(&a, host, sizeof host);
                char port[8];
                snprintf(port, sizeof port, "%d", ps_addr_port(&a));
                r = ps_udp_open(&s, host, port);
            }
        } else if (fam == PS_AF_INET6) {
            /* An unbound socket of the peer's family; the first send binds it. */
            r = ps_udp_open(&s, "::", "0");
        } else {
            r = ps_udp_open(&s, NULL, NULL);
        }
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
    psnc_sys_std_open(); /* before any socket can take fd 0, 1 or 2 */
    const char **ops = calloc((size_t)argc + 1, sizeof *ops);
    int nops = 0;
    if (!ops)
        return fail("start-up", PS_ENOMEM);
    int r = parse_args(argc, argv, &o, ops, &nops);
    if (r < 0)
        r = check_args(&o, ops, nops);
    if (r >= 0) {
        free(ops);
        return r;
    }
    quiet = o.quiet;
#ifdef PSNC_TLS
    if (o.ssl && (r = tls_setup(&o)) >= 0) {
        free(ops);
        return r;
    }
#endif
    r = ps_init();
    if (r != 0) {
        free(ops);
        return fail("network start-up", r);
    }
    if (o.scan)
        r = scan(&o);
    else if (o.udp)
        r = udp_main(&o);
    else if (o.listen)
        r = tcp_listen(&o);
    else
        r = tcp_connect(&o);
#ifdef PSNC_TLS
    ps_tls_config_free(tls_cfg);
#endif
    ps_cleanup();
    free(ops);
    if (psnc_sys_signal()) /* arrived while psnc was not waiting */
        end_by_signal();
    return r;
}
