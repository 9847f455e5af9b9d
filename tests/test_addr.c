/* SPDX-License-Identifier: MIT */
/* Addresses: parse/format, getters, local/peer addresses of sockets. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portsock.h"
#include "support.h"

static void check_round_trip(const char *text, int family, int port)
{
    ps_addr a;
    char buf[PS_ADDRSTRLEN];
    int rc;

    memset(&a, 0xab, sizeof a);
    rc = ps_addr_parse(&a, text);
    cr_assert_eq(rc, 0, "ps_addr_parse(\"%s\"): %s", text, ps_errname(rc));
    cr_assert_eq(ps_addr_family(&a), family, "family of %s", text);
    cr_assert_eq(ps_addr_port(&a), port, "port of %s", text);
    cr_assert_gt(a.len, 0, "len of %s", text);
    cr_assert_leq(a.len, sizeof a.storage, "len of %s", text);
    rc = ps_addr_format(&a, buf, sizeof buf);
    cr_assert_eq(rc, 0, "ps_addr_format(%s): %s", text, ps_errname(rc));
    cr_assert_str_eq(buf, text);
}

Test(addr, round_trip_ipv4, .timeout = 10)
{
    check_round_trip("127.0.0.1:8080", PS_AF_INET, 8080);
    check_round_trip("0.0.0.0:0", PS_AF_INET, 0);
    check_round_trip("255.255.255.255:65535", PS_AF_INET, 65535);
    check_round_trip("10.1.2.3:1", PS_AF_INET, 1);
}

Test(addr, round_trip_ipv6, .timeout = 10)
{
    check_round_trip("[::1]:8080", PS_AF_INET6, 8080);
    check_round_trip("[::]:65535", PS_AF_INET6, 65535);
    check_round_trip("[2001:db8::1]:443", PS_AF_INET6, 443);
    check_round_trip("[fe80::1:2:3:4]:0", PS_AF_INET6, 0);
}

Test(addr, port_byte_order, .timeout = 10)
{
    /* 0x1234 = 4660 and 0x3412 = 13330 tell a swapped port apart. */
    check_round_trip("127.0.0.1:4660", PS_AF_INET, 4660);
    check_round_trip("[::1]:13330", PS_AF_INET6, 13330);
    check_round_trip("1.2.3.4:256", PS_AF_INET, 256);
}

static void check_reject(const char *text)
{
    ps_addr a;
    int rc;
    memset(&a, 0, sizeof a);
    rc = ps_addr_parse(&a, text);
    cr_assert_eq(rc, PS_EINVAL, "ps_addr_parse(\"%s\") gave %s, want PS_EINVAL",
                 text ? text : "(null)", ps_errname(rc));
}

Test(addr, parse_rejects_null, .timeout = 10)
{
    ps_addr a;
    cr_assert_eq(ps_addr_parse(&a, NULL), PS_EINVAL);
    cr_assert_eq(ps_addr_parse(NULL, "127.0.0.1:80"), PS_EINVAL);
}

Test(addr, parse_rejects_malformed, .timeout = 10)
{
    static const char *const bad[] = {
        "",
        "127.0.0.1",  /* no port */
        "127.0.0.1:", /* empty port */
        ":80",        /* empty host */
        "127.0.0.1:65536",
        "127.0.0.1:99999999999999999999",
        "127.0.0.1:-1",
        "127.0.0.1:+80",
        "127.0.0.1: 80",
        "127.0.0.1:80 ",
        " 127.0.0.1:80",
        "127.0.0.1:80x",
        "127.0.0.1:0x50",
        "127.0.0.1:80:80",
        "[::1]80",
        "[::1]:",
        "[::1]",
        "[::1:80",
        "::1]:80",
        "[]:80",
        "[::1]:80x",
        "::1:80", /* IPv6 must be bracketed */
        "::1",
        "localhost:80", /* names are not looked up */
        "example.com:80",
        "[localhost]:80",
        "[127.0.0.1]:80", /* IPv4 in brackets */
        "1.2.3:80",
        "1.2.3.4.5:80",
        "256.1.1.1:80",
        "1.2.3.4:http",
        "[12345::1]:80",
        "[1:2:3:4:5:6:7:8:9]:80",
        "unix:/tmp/x",
    };
    size_t i;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
        check_reject(bad[i]);
}

Test(addr, parse_rejects_overlong, .timeout = 10)
{
    size_t n = 5000, i;
    char *s = (char *)malloc(n + 16);
    cr_assert_not_null(s);

    memset(s, '1', n);
    memcpy(s + n, ":80", 4);
    check_reject(s);

    /* A bracketed "address" far longer than any IPv6 text. */
    s[0] = '[';
    for (i = 1; i + 1 < n; i += 2) {
        s[i] = '1';
        s[i + 1] = ':';
    }
    memcpy(s + i, "]:80", 5);
    check_reject(s);

    /* A valid address followed by a very long port. */
    memcpy(s, "127.0.0.1:", 10);
    memset(s + 10, '9', n - 10);
    s[n] = '\0';
    check_reject(s);
    free(s);
}

Test(addr, getters_on_empty_address, .timeout = 10)
{
    ps_addr a;
    char buf[PS_ADDRSTRLEN];
    memset(&a, 0, sizeof a);
    cr_assert_eq(ps_addr_family(&a), PS_AF_UNSPEC);
    cr_assert_eq(ps_addr_port(&a), PS_EINVAL);
    memset(buf, 'x', sizeof buf);
    cr_assert_eq(ps_addr_format(&a, buf, sizeof buf), PS_EINVAL);
    cr_assert_str_eq(buf, "", "a failed ps_addr_format leaves \"\"");
    cr_assert_eq(ps_addr_family(NULL), PS_AF_UNSPEC);
    cr_assert_eq(ps_addr_port(NULL), PS_EINVAL);
    cr_assert_eq(ps_addr_format(NULL, buf, sizeof buf), PS_EINVAL);
}

Test(addr, format_small_buffer_no_overflow, .timeout = 10)
{
    static const char *const texts[] = {"127.0.0.1:8080", "[::1]:8080"};
    size_t t;
    for (t = 0; t < 2; t++) {
        const char *text = texts[t];
        size_t need = strlen(text) + 1, cap, k;
        unsigned char buf[PS_ADDRSTRLEN + 16];
        ps_addr a;
        int rc;

        cr_assert_eq(ps_addr_parse(&a, text), 0, "%s", text);
        for (cap = 1; cap < need; cap++) {
            memset(buf, 0x5a, sizeof buf);
            rc = ps_addr_format(&a, (char *)buf, cap);
            cr_assert_eq(rc, PS_EINVAL, "%s, cap %zu: %s", text, cap,
                         ps_errname(rc));
            cr_assert_eq(buf[0], '\0', "%s, cap %zu: buffer not \"\"", text,
                         cap);
            for (k = cap; k < sizeof buf; k++)
                cr_assert_eq(buf[k], 0x5a, "%s, cap %zu: wrote byte %zu", text,
                             cap, k);
        }
        /* cap 0: nothing may be written at all. */
        memset(buf, 0x5a, sizeof buf);
        cr_assert_eq(ps_addr_format(&a, (char *)buf, 0), PS_EINVAL);
        cr_assert_eq(buf[0], 0x5a, "cap 0 wrote into the buffer");
        cr_assert_eq(ps_addr_format(&a, NULL, 0), PS_EINVAL);

        /* Exactly strlen + 1 is enough. */
        memset(buf, 0x5a, sizeof buf);
        rc = ps_addr_format(&a, (char *)buf, need);
        cr_assert_eq(rc, 0, "%s, cap %zu: %s", text, need, ps_errname(rc));
        cr_assert_str_eq((char *)buf, text);
        cr_assert_eq(buf[need], 0x5a, "wrote past the exact-size buffer");
    }
}

Test(addr, addrstrlen_is_enough, .timeout = 10)
{
    static const char *const longest[] = {
        "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535",
        "[1234:5678:9abc:def0:1234:5678:9abc:def0]:65535",
        "255.255.255.255:65535",
    };
    size_t i;
    for (i = 0; i < sizeof longest / sizeof longest[0]; i++) {
        ps_addr a;
        char buf[PS_ADDRSTRLEN + 1];
        int rc = ps_addr_parse(&a, longest[i]);
        cr_assert_eq(rc, 0, "parse %s: %s", longest[i], ps_errname(rc));
        buf[PS_ADDRSTRLEN] = 'Z';
        rc = ps_addr_format(&a, buf, PS_ADDRSTRLEN);
        cr_assert_eq(rc, 0, "format %s: %s", longest[i], ps_errname(rc));
        cr_assert_str_eq(buf, longest[i]);
        cr_assert_eq(buf[PS_ADDRSTRLEN], 'Z');
    }
}

Test(addr, local_addr_of_listener, .timeout = 20)
{
    ps_socket_t l;
    ps_addr a;
    char buf[PS_ADDRSTRLEN], want[PS_ADDRSTRLEN];
    int rc, port;

    rc = ps_listen(&l, "127.0.0.1", "0", 4);
    cr_assert_eq(rc, 0, "ps_listen: %s", ps_errname(rc));
    rc = ps_local_addr(l, &a);
    cr_assert_eq(rc, 0, "ps_local_addr: %s", ps_errname(rc));
    cr_assert_eq(ps_addr_family(&a), PS_AF_INET);
    port = ps_addr_port(&a);
    cr_assert_gt(port, 0, "ephemeral port %d", port);
    cr_assert_leq(port, 65535);
    cr_assert_eq(ps_addr_format(&a, buf, sizeof buf), 0);
    snprintf(want, sizeof want, "127.0.0.1:%d", port);
    cr_assert_str_eq(buf, want);
    /* A listener has no peer. */
    rc = ps_peer_addr(l, &a);
    cr_assert_eq(rc, PS_ENOTCONN, "ps_peer_addr(listener): %s", ps_errname(rc));
    cr_assert_eq(ps_close(l), 0);
}

Test(addr, local_addr_of_ipv6_listener, .timeout = 20)
{
    ps_socket_t l;
    ps_addr a;
    char buf[PS_ADDRSTRLEN], want[PS_ADDRSTRLEN];
    int rc, port;

    rc = ps_listen(&l, "::1", "0", 4);
    if (rc == PS_EAFNOSUPPORT || rc == PS_EADDRNOTAVAIL)
        cr_skip_test("no IPv6 loopback here (%s)", ps_errname(rc));
    cr_assert_eq(rc, 0, "ps_listen(::1): %s", ps_errname(rc));
    rc = ps_local_addr(l, &a);
    cr_assert_eq(rc, 0, "ps_local_addr: %s", ps_errname(rc));
    cr_assert_eq(ps_addr_family(&a), PS_AF_INET6);
    port = ps_addr_port(&a);
    cr_assert_gt(port, 0);
    cr_assert_eq(ps_addr_format(&a, buf, sizeof buf), 0);
    snprintf(want, sizeof want, "[::1]:%d", port);
    cr_assert_str_eq(buf, want);
    cr_assert_eq(ps_close(l), 0);
}

Test(addr, local_and_peer_of_connection, .timeout = 20)
{
    ps_socket_t c, s;
    ps_addr cl, cp, sl, sp;
    char b1[PS_ADDRSTRLEN], b2[PS_ADDRSTRLEN];

    pst_tcp_pair(&c, &s);
    cr_assert_eq(ps_local_addr(c, &cl), 0);
    cr_assert_eq(ps_peer_addr(c, &cp), 0);
    cr_assert_eq(ps_local_addr(s, &sl), 0);
    cr_assert_eq(ps_peer_addr(s, &sp), 0);
    cr_assert_eq(ps_addr_family(&cp), PS_AF_INET);
    cr_assert_eq(ps_addr_port(&cl), ps_addr_port(&sp));
    cr_assert_eq(ps_addr_port(&cp), ps_addr_port(&sl));
    cr_assert_neq(ps_addr_port(&cl), 0);
    cr_assert_eq(ps_addr_format(&cl, b1, sizeof b1), 0);
    cr_assert_eq(ps_addr_format(&sp, b2, sizeof b2), 0);
    cr_assert_str_eq(b1, b2);
    cr_assert_eq(ps_addr_format(&cp, b1, sizeof b1), 0);
    cr_assert_eq(ps_addr_format(&sl, b2, sizeof b2), 0);
    cr_assert_str_eq(b1, b2);
    /* The formatted text parses back to the same port and family. */
    {
        ps_addr back;
        cr_assert_eq(ps_addr_parse(&back, b1), 0, "%s", b1);
        cr_assert_eq(ps_addr_port(&back), ps_addr_port(&cp));
        cr_assert_eq(ps_addr_family(&back), PS_AF_INET);
    }
    ps_close(c);
    ps_close(s);
}

Test(addr, bad_socket_and_null_out, .timeout = 10)
{
    ps_socket_t s;
    ps_addr a;
    int rc;

    cr_assert_eq(ps_local_addr(PS_INVALID_SOCKET, &a), PS_EBADF);
    cr_assert_eq(ps_peer_addr(PS_INVALID_SOCKET, &a), PS_EBADF);

    rc = ps_socket(&s, PS_AF_INET, PS_SOCK_STREAM);
    cr_assert_eq(rc, 0, "ps_socket: %s", ps_errname(rc));
    cr_assert_eq(ps_local_addr(s, NULL), PS_EINVAL);
    cr_assert_eq(ps_peer_addr(s, NULL), PS_EINVAL);
    rc = ps_peer_addr(s, &a);
    cr_assert_eq(rc, PS_ENOTCONN, "ps_peer_addr(unconnected): %s",
                 ps_errname(rc));
    cr_assert_eq(ps_close(s), 0);
}

Test(addr, udp_local_addr, .timeout = 10)
{
    ps_socket_t u;
    ps_addr a;
    int rc = ps_udp_open(&u, "127.0.0.1", "0");
    cr_assert_eq(rc, 0, "ps_udp_open: %s", ps_errname(rc));
    cr_assert_eq(ps_local_addr(u, &a), 0);
    cr_assert_eq(ps_addr_family(&a), PS_AF_INET);
    cr_assert_gt(ps_addr_port(&a), 0);
    cr_assert_eq(ps_close(u), 0);
}

Test(addr, resolve, .timeout = 30)
{
    ps_addr out[4];
    size_t n = 99;
    char text[PS_ADDRSTRLEN];
    cr_assert_eq(
        ps_resolve("127.0.0.1", "8080", PS_SOCK_STREAM, out, 4, &n, -1), 0);
    cr_assert_eq(n, 1u);
    cr_assert_eq(ps_addr_format(&out[0], text, sizeof text), 0);
    cr_assert_str_eq(text, "127.0.0.1:8080");
    cr_assert_eq(ps_resolve("::1", "53", PS_SOCK_DGRAM, out, 4, &n, -1), 0);
    cr_assert_eq(ps_addr_family(&out[0]), PS_AF_INET6);
    cr_assert_eq(ps_addr_port(&out[0]), 53);
    /* A name, counted without storing anything. */
    cr_assert_eq(ps_resolve("localhost", "7", PS_SOCK_STREAM, NULL, 0, &n, -1),
                 0);
    cr_assert_geq(n, 1u);
    cr_assert_eq(
        ps_resolve("no..such..host", "7", PS_SOCK_STREAM, out, 4, &n, -1),
        PS_ENAME);
    cr_assert_eq(n, 0u);
}

Test(addr, resolve_rejects_bad_arguments, .timeout = 10)
{
    static const int timeouts[] = {-1, 0, 1000};
    ps_addr out[4];
    for (size_t i = 0; i < sizeof timeouts / sizeof timeouts[0]; i++) {
        int t = timeouts[i];
        size_t n = 99;
        cr_assert_eq(
            ps_resolve("127.0.0.1", NULL, PS_SOCK_STREAM, out, 4, &n, t),
            PS_EINVAL, "port NULL, timeout %d", t);
        cr_assert_eq(n, 0u, "count on failure, timeout %d", t);
        cr_assert_eq(
            ps_resolve("localhost", NULL, PS_SOCK_STREAM, out, 4, NULL, t),
            PS_EINVAL, "name, port NULL, timeout %d", t);
        cr_assert_eq(ps_resolve("127.0.0.1", "7", 42, out, 4, &n, t), PS_EINVAL,
                     "bad type, timeout %d", t);
        cr_assert_eq(ps_resolve("localhost", "7", 0, out, 4, &n, t), PS_EINVAL,
                     "type 0, timeout %d", t);
        cr_assert_eq(
            ps_resolve("127.0.0.1", "7", PS_SOCK_STREAM, NULL, 1, &n, t),
            PS_EINVAL, "out NULL with cap 1, timeout %d", t);
        cr_assert_eq(ps_resolve("unix:", NULL, PS_SOCK_STREAM, out, 4, &n, t),
                     PS_EINVAL, "empty unix path, timeout %d", t);
    }
}

/* ---- Port text --------------------------------------------------------
 * Digits only, 0..65535, or a service name that starts with a letter.
 * The system resolvers read the rest with strtoul: " 80", "+80" mean 80,
 * "99999" wraps to 34463, "" and "65536" bind an ephemeral port. */
static const char *const bad_ports[] = {
    "",      " 80",   "80 ",   "\t80",       "\n80",
    "+80",   "-1",    "-0",    "0x50",       "0X50",
    "65536", "99999", "70000", "4294967376", "18446744073709551696",
    "8o",    "1e3",   "80.0",  "80:",        "00000000000000000065536",
};
#define NBAD_PORTS (sizeof bad_ports / sizeof bad_ports[0])

/* rc must be PS_EINVAL; a socket made all the same is closed. */
static void expect_bad_port(int rc, ps_socket_t s, const char *call,
                            const char *port)
{
    if (rc == 0)
        ps_close(s);
    cr_assert_eq(rc, PS_EINVAL, "%s with port \"%s\": %s, expected PS_EINVAL",
                 call, port, ps_errname(rc));
    cr_assert_eq(s, PS_INVALID_SOCKET, "%s with port \"%s\": *out set", call,
                 port);
}

Test(addr, bad_port_text_is_einval, .timeout = 60)
{
    static const char *const hosts[] = {NULL, "127.0.0.1", "::1", "localhost"};
    ps_addr out[4];
    ps_socket_t s;
    for (size_t i = 0; i < NBAD_PORTS; i++) {
        const char *p = bad_ports[i];
        for (size_t h = 0; h < sizeof hosts / sizeof hosts[0]; h++) {
            const char *host = hosts[h];
            char call[64];
            snprintf(call, sizeof call, "(host %s)", host ? host : "NULL");
            size_t n = 99;
            int rc = ps_resolve(host, p, PS_SOCK_STREAM, out, 4, &n, -1);
            cr_assert_eq(rc, PS_EINVAL, "ps_resolve%s, port \"%s\": %s", call,
                         p, ps_errname(rc));
            cr_assert_eq(n, 0u);
            rc = ps_resolve(host, p, PS_SOCK_DGRAM, out, 4, &n, 2000);
            cr_assert_eq(rc, PS_EINVAL, "timed ps_resolve%s, port \"%s\": %s",
                         call, p, ps_errname(rc));
            rc = ps_resolve(host, p, PS_SOCK_STREAM, NULL, 0, &n, 0);
            cr_assert_eq(rc, PS_EINVAL,
                         "ps_resolve%s, timeout 0, port \"%s\": %s", call, p,
                         ps_errname(rc));
            s = PS_INVALID_SOCKET;
            rc = ps_listen(&s, host, p, 0);
            expect_bad_port(rc, s, "ps_listen", p);
            s = PS_INVALID_SOCKET;
            rc = ps_udp_open(&s, host, p);
            expect_bad_port(rc, s, "ps_udp_open", p);
            if (!host)
                continue; /* ps_connect needs a host: PS_EINVAL anyway */
            s = PS_INVALID_SOCKET;
            rc = ps_connect(&s, host, p, 2000);
            expect_bad_port(rc, s, "ps_connect", p);
            s = PS_INVALID_SOCKET;
            rc = ps_connect(&s, host, p, -1);
            expect_bad_port(rc, s, "untimed ps_connect", p);
        }
    }
}

/* What the rules keep: every decimal form in range, leading zeros, and
 * service names; a "unix:" host does not use the port at all. */
Test(addr, port_text_accepted_forms, .timeout = 30)
{
    static const struct {
        const char *text;
        int port;
    } good[] = {{"0", 0},
                {"1", 1},
                {"80", 80},
                {"080", 80},
                {"0000000000000000000000080", 80},
                {"65535", 65535}};
    ps_addr out[4];
    size_t n;
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        int rc = ps_resolve("127.0.0.1", good[i].text, PS_SOCK_STREAM, out, 4,
                            &n, -1);
        cr_assert_eq(rc, 0, "port \"%s\": %s", good[i].text, ps_errname(rc));
        cr_assert_eq(ps_addr_port(&out[0]), good[i].port, "port \"%s\"",
                     good[i].text);
        rc = ps_resolve(NULL, good[i].text, PS_SOCK_DGRAM, out, 4, &n, 0);
        cr_assert_eq(rc, 0, "host NULL, port \"%s\": %s", good[i].text,
                     ps_errname(rc));
        cr_assert_eq(ps_addr_port(&out[0]), good[i].port);
    }
    /* A service name still goes to the resolver (issue 10's psnc wants
     * them), with and without a deadline. */
    int rc = ps_resolve("127.0.0.1", "http", PS_SOCK_STREAM, out, 4, &n, -1);
    cr_assert_eq(rc, 0, "service name \"http\": %s", ps_errname(rc));
    cr_assert_eq(ps_addr_port(&out[0]), 80);
    rc = ps_resolve("localhost", "http", PS_SOCK_STREAM, out, 4, &n, 5000);
    cr_assert_eq(rc, 0, "localhost, \"http\": %s", ps_errname(rc));
    cr_assert_eq(ps_addr_port(&out[0]), 80);
    ps_socket_t u = PS_INVALID_SOCKET;
    rc = ps_udp_open(&u, "127.0.0.1", "00");
    cr_assert_eq(rc, 0, "ps_udp_open, port \"00\": %s", ps_errname(rc));
    cr_assert_gt(pst_local_port(u), 0, "port \"00\" is ephemeral");
    ps_close(u);
    /* The port of a "unix:" host is ignored, valid or not. */
    rc = ps_resolve("unix:/tmp/ps-port-test", "+80", PS_SOCK_STREAM, out, 4, &n,
                    -1);
    cr_assert_eq(rc, 0, "unix: with port \"+80\": %s", ps_errname(rc));
    cr_assert_eq(ps_addr_family(&out[0]), PS_AF_UNIX);
}

/* What needs no lookup needs no time: timeout 0 still resolves it. */
Test(addr, resolve_numeric_with_zero_timeout, .timeout = 10)
{
    ps_addr out[4];
    size_t n = 0;
    char text[PS_ADDRSTRLEN];
    int rc = ps_resolve("127.0.0.1", "8080", PS_SOCK_STREAM, out, 4, &n, 0);
    cr_assert_eq(rc, 0, "IPv4: %s", ps_errname(rc));
    cr_assert_eq(n, 1u);
    cr_assert_eq(ps_addr_format(&out[0], text, sizeof text), 0);
    cr_assert_str_eq(text, "127.0.0.1:8080");
    rc = ps_resolve("::1", "53", PS_SOCK_DGRAM, out, 4, &n, 0);
    cr_assert_eq(rc, 0, "IPv6: %s", ps_errname(rc));
    cr_assert_eq(ps_addr_format(&out[0], text, sizeof text), 0);
    cr_assert_str_eq(text, "[::1]:53");
    n = 0;
    rc = ps_resolve(NULL, "9000", PS_SOCK_STREAM, out, 4, &n, 0);
    cr_assert_eq(rc, 0, "wildcard: %s", ps_errname(rc));
    cr_assert_geq(n, 1u);
    cr_assert_eq(ps_addr_port(&out[0]), 9000);
    rc = ps_resolve("unix:/tmp/ps-resolve-test", NULL, PS_SOCK_STREAM, out, 4,
                    &n, 0);
    cr_assert_eq(rc, 0, "unix path: %s", ps_errname(rc));
    cr_assert_eq(n, 1u);
    cr_assert_eq(ps_addr_family(&out[0]), PS_AF_UNIX);
    /* Numeric forms beyond plain dotted quads and IPv6: no lookup either. */
    rc = ps_resolve("127.1", "80", PS_SOCK_STREAM, out, 4, &n, 0);
    cr_assert_eq(rc, 0, "127.1: %s", ps_errname(rc));
    cr_assert_eq(ps_addr_format(&out[0], text, sizeof text), 0);
    cr_assert_str_eq(text, "127.0.0.1:80");
    rc = ps_resolve("fe80::1%1", "80", PS_SOCK_STREAM, out, 4, &n, 0);
    cr_assert_eq(rc, 0, "fe80::1%%1: %s", ps_errname(rc));
    cr_assert_eq(ps_addr_family(&out[0]), PS_AF_INET6);
}

/* A name with no time to look it up: no lookup, at once. */
Test(addr, resolve_name_with_zero_timeout, .timeout = 10)
{
    ps_addr out[4];
    size_t n = 99;
    ps_socket_t s;
    int64_t t0 = pst_now_ms();
    int rc = ps_resolve("localhost", "7", PS_SOCK_STREAM, out, 4, &n, 0);
    cr_assert_eq(rc, PS_EWOULDBLOCK, "ps_resolve: %s", ps_errname(rc));
    cr_assert_eq(n, 0u);
    rc = ps_connect(&s, "localhost", "7", 0);
    cr_assert_eq(rc, PS_ETIMEDOUT, "ps_connect: %s", ps_errname(rc));
    cr_assert_eq(s, PS_INVALID_SOCKET);
    cr_assert_lt(pst_now_ms() - t0, 1000, "a zero timeout waited");
}

Test(addr, resolve_name_with_deadline, .timeout = 30)
{
    ps_addr out[8];
    size_t n = 0;
    int rc = ps_resolve("localhost", "8080", PS_SOCK_STREAM, out, 8, &n, 10000);
    cr_assert_eq(rc, 0, "ps_resolve(localhost): %s", ps_errname(rc));
    cr_assert_geq(n, 1u);
    for (size_t i = 0; i < n && i < 8; i++) {
        int fam = ps_addr_family(&out[i]);
        cr_assert(fam == PS_AF_INET || fam == PS_AF_INET6, "family %d", fam);
        cr_assert_eq(ps_addr_port(&out[i]), 8080);
    }
    n = 99;
    rc = ps_resolve("no..such..host", "7", PS_SOCK_STREAM, out, 8, &n, 10000);
    cr_assert_eq(rc, PS_ENAME, "unknown name: %s", ps_errname(rc));
    cr_assert_eq(n, 0u);
}

/* A connect to a name within a deadline, through the helper thread. */
Test(addr, connect_name_with_deadline, .timeout = 30)
{
    ps_socket_t l, c, a;
    char port[16];
    int rc = ps_listen(&l, "127.0.0.1", "0", 4);
    cr_assert_eq(rc, 0, "ps_listen: %s", ps_errname(rc));
    snprintf(port, sizeof port, "%d", pst_local_port(l));
    /* localhost may list ::1 first, where nothing listens: refused, next. */
    rc = ps_connect(&c, "localhost", port, 10000);
    cr_assert_eq(rc, 0, "ps_connect(localhost): %s", ps_errname(rc));
    rc = ps_accept(l, &a, NULL, 5000);
    cr_assert_eq(rc, 0, "ps_accept: %s", ps_errname(rc));
    ps_close(a);
    ps_close(c);
    ps_close(l);
}

typedef struct native_probe {
    int rc;
    int native;
} native_probe;

static void resolve_unknown(void *arg)
{
    native_probe *p = arg;
    p->rc = ps_resolve("no..such..host", "7", PS_SOCK_STREAM, NULL, 0, NULL,
                       10000);
    p->native = ps_native_error();
}

/* The lookup fails on the helper thread; its native error reaches the
 * caller's thread (a new thread, whose own record starts at 0). */
Test(addr, resolve_native_error_reaches_caller, .timeout = 30)
{
    native_probe p = {0, 0};
    pst_thread *t = pst_thread_start(resolve_unknown, &p);
    cr_assert_not_null(t);
    pst_thread_join(t);
    cr_assert_eq(p.rc, PS_ENAME, "%s", ps_errname(p.rc));
    cr_assert_neq(p.native, 0, "no native error recorded");
}

/* Finished lookups leave no thread behind (memory: the ASan leg). */
Test(addr, resolve_with_deadline_leaves_no_thread, .timeout = 60)
{
    long start = pst_thread_count();
    long handles = pst_open_handle_count();
    for (int i = 0; i < 50; i++) {
        size_t n = 0;
        int rc = ps_resolve("localhost", "7", PS_SOCK_DGRAM, NULL, 0, &n,
                            10000);
        cr_assert_eq(rc, 0, "round %d: %s", i, ps_errname(rc));
        cr_assert_geq(n, 1u);
    }
    if (start < 0) {
        cr_log_info("no thread count on this system: only the lookups checked");
        return;
    }
    long now = pst_settle_threads(start, 10000);
    cr_assert_leq(now, start, "threads: %ld before, %ld after", start, now);
    if (handles < 0)
        cr_log_info("no handle count here (Wine): threads checked only");
    else
        cr_assert_leq(pst_open_handle_count(), handles, "handles leaked");
}

static int has_id(const unsigned long *ids, long n, unsigned long id)
{
    for (long i = 0; i < n; i++)
        if (ids[i] == id)
            return 1;
    return 0;
}

/* While ps_init holds the library, a helper that finished a timed lookup
 * parks and serves the next one: 40 lookups back to back run on a few
 * threads, not on 40 new ones (each start waited for a time slice: 0.05x
 * the connects per second of a thread of its own, bench_connector under a
 * busy loop). The last ps_cleanup ends the parked helpers (the valgrind
 * leg's at-exit check holds that: a thread left at exit fails it). */
Test(addr, timed_lookups_reuse_parked_helpers, .timeout = 60)
{
    enum { ROUNDS = 40, CAP = 256 };
    unsigned long before[CAP], now[CAP], seen[ROUNDS * 4];
    long nbefore = pst_thread_ids(before, CAP), nseen = 0;
    if (nbefore < 0) {
        cr_log_info("no thread ids on this system: nothing to check");
        return;
    }
    long start = pst_thread_count();
    cr_assert_eq(ps_init(), 0);
    for (int i = 0; i < ROUNDS; i++) {
        size_t n = 0;
        int rc = ps_resolve("localhost", "7", PS_SOCK_DGRAM, NULL, 0, &n,
                            10000);
        cr_assert_eq(rc, 0, "round %d: %s", i, ps_errname(rc));
        long k = pst_thread_ids(now, CAP);
        for (long j = 0; j < k; j++)
            if (!has_id(before, nbefore, now[j]) &&
                !has_id(seen, nseen, now[j]) && nseen < ROUNDS * 4)
                seen[nseen++] = now[j];
    }
    ps_cleanup();
    cr_assert_leq(nseen, 10, "%ld helper threads for %d lookups", nseen,
                  ROUNDS);
    long left = pst_settle_threads(start, 10000);
    cr_assert_leq(left, start, "threads: %ld before, %ld after ps_cleanup",
                  start, left);
}

static int timed_lookup_in_child(void)
{
    size_t n = 0;
    int64_t t0 = ps_now_ms();
    int rc = ps_resolve("localhost", "7", PS_SOCK_DGRAM, NULL, 0, &n, 3000);
    int64_t ms = ps_now_ms() - t0;
    if (rc != 0)
        return 1;
    return ms < 2000 ? 0 : 2;
}

/* A child forked right after a timed lookup, while the helper that did it
 * is parked in the parent, has no such helper: its own timed lookups must
 * start threads of their own. Before the child forgot the parked helpers,
 * the job went to a thread fork had not copied, and the lookup timed out. */
Test(addr, timed_lookup_in_a_child_forked_while_helpers_park, .timeout = 60)
{
    /* memcheck checks the child's heap at its exit too, where the test
     * framework's records are in use by design; TSan ends a child that
     * starts a thread after a multi-threaded fork; qemu-user aborts in
     * such a child ("qemu_plugin_vcpu_init_hook: assertion failed", the
     * s390x leg). */
    if (pst_under_memcheck() || pst_under_tsan() || pst_under_qemu())
        cr_skip_test("a forked child under memcheck, TSan or qemu-user: not "
                     "checked there");
    cr_assert_eq(ps_init(), 0);
    size_t n = 0;
    int rc = ps_resolve("localhost", "7", PS_SOCK_DGRAM, NULL, 0, &n, 10000);
    cr_assert_eq(rc, 0, "%s", ps_errname(rc));
    int child = pst_fork_run(timed_lookup_in_child);
    ps_cleanup();
    if (child == -1) {
        cr_log_info("no fork on this system: nothing to check");
        return;
    }
    cr_assert_eq(child, 0, "the child's lookup %s",
                 child == 1 ? "failed" : "took 2 s or more");
}

/* ---- ps_now_ms ------------------------------------------------------------ */

Test(clock, now_ms_never_goes_back, .timeout = 20)
{
    int64_t prev = ps_now_ms(), now;
    long i;
    for (i = 0; i < 200000; i++) {
        now = ps_now_ms();
        if (now < prev)
            cr_assert_fail("ps_now_ms went back from %lld to %lld",
                           (long long)prev, (long long)now);
        prev = now;
    }
}

Test(clock, now_ms_advances_with_real_time, .timeout = 20)
{
    /* The ps_now_ms readings enclose the pst_now_ms ones, so its interval
     * must be at least as long (less one for whole-millisecond rounding). */
    int64_t t0 = ps_now_ms(), p0 = pst_now_ms(), p1, t1;
    pst_sleep_ms(50);
    /* Windows' Sleep may wake a little early. */
    while (pst_now_ms() - p0 < 50)
        pst_sleep_ms(1);
    p1 = pst_now_ms();
    t1 = ps_now_ms();
    cr_assert_geq(t1 - t0, 50, "ps_now_ms advanced %lld ms in a 50 ms sleep",
                  (long long)(t1 - t0));
    cr_assert_geq(t1 - t0 + 1, p1 - p0, "ps_now_ms: %lld, pst_now_ms: %lld",
                  (long long)(t1 - t0), (long long)(p1 - p0));
    cr_assert_leq(t1 - t0, p1 - p0 + 2000, "ps_now_ms: %lld, pst_now_ms: %lld",
                  (long long)(t1 - t0), (long long)(p1 - p0));
}

/* ---- IPv6 zones ------------------------------------------------------------ */

/* The scope id of a parsed IPv6 address: sin6_scope_id lies at byte 24 of a
 * sockaddr_in6 on Linux, macOS and Windows alike. */
static uint32_t scope_of(const ps_addr *a)
{
    uint32_t v;
    cr_assert_eq(ps_addr_family(a), PS_AF_INET6);
    memcpy(&v, a->storage.bytes + 24, sizeof v);
    return v;
}

static int is_number(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

/* The zone text ps_addr_format gives interface `index` ("" on failure). */
static void zone_of_index(unsigned long index, char *zone, size_t cap)
{
    char text[64], buf[PS_ADDRSTRLEN];
    ps_addr a;
    const char *pct, *close;
    snprintf(text, sizeof text, "[fe80::1%%%lu]:80", index);
    cr_assert_eq(ps_addr_parse(&a, text), 0, "%s", text);
    cr_assert_eq(scope_of(&a), index, "%s", text);
    cr_assert_eq(ps_addr_format(&a, buf, sizeof buf), 0, "%s", text);
    pct = strchr(buf, '%');
    close = strrchr(buf, ']');
    cr_assert(pct && close && close > pct + 1, "zone missing in \"%s\"", buf);
    cr_assert_lt((size_t)(close - pct - 1), cap);
    memcpy(zone, pct + 1, (size_t)(close - pct - 1));
    zone[close - pct - 1] = '\0';
    cr_assert_eq(strncmp(buf, "[fe80::1%", 9), 0, "%s", buf);
    cr_assert_str_eq(close, "]:80");
}

Test(addr, zone_numeric_round_trip, .timeout = 10)
{
    char zone[64], text[2 * PS_ADDRSTRLEN], buf[PS_ADDRSTRLEN];
    ps_addr a, b;

    /* Index 1 formats as its interface's name (Linux "lo", Wine
     * "loopback_1", ...) or, when it has none, as the number. */
    zone_of_index(1, zone, sizeof zone);
    if (is_number(zone)) {
        cr_assert_str_eq(zone, "1");
    } else {
        snprintf(text, sizeof text, "[fe80::1%%%s]:80", zone);
        cr_assert_eq(ps_addr_parse(&a, text), 0, "%s", text);
        cr_assert_eq(scope_of(&a), 1u, "%s", text);
        cr_assert_eq(ps_addr_format(&a, buf, sizeof buf), 0);
        cr_assert_str_eq(buf, text);
        cr_assert_eq(ps_addr_parse(&b, "[fe80::1%1]:80"), 0);
        cr_assert_eq(a.len, b.len);
        cr_assert_arr_eq(a.storage.bytes, b.storage.bytes, a.len);
    }
    /* No interface has the largest index: the number comes back. */
    check_round_trip("[fe80::1%4294967295]:65535", PS_AF_INET6, 65535);
    cr_assert_eq(ps_addr_parse(&a, "[fe80::1%4294967295]:1"), 0);
    cr_assert_eq(scope_of(&a), 4294967295u);
    /* Leading zeros are the same index. */
    cr_assert_eq(ps_addr_parse(&a, "[fe80::1%007]:80"), 0);
    cr_assert_eq(scope_of(&a), 7u);
    /* Without a zone the scope stays 0 and nothing is printed. */
    cr_assert_eq(ps_addr_parse(&a, "[fe80::1]:80"), 0);
    cr_assert_eq(scope_of(&a), 0u);
}

Test(addr, zone_name_round_trip, .timeout = 20)
{
    char zone[64], text[2 * PS_ADDRSTRLEN], buf[PS_ADDRSTRLEN];
    unsigned long index, named = 0;
    ps_addr a;

    /* Every system has a loopback interface, so some index has a name. */
    for (index = 1; index <= 256; index++) {
        zone_of_index(index, zone, sizeof zone);
        if (is_number(zone)) {
            cr_assert_eq(strtoul(zone, NULL, 10), index, "index %lu", index);
            continue;
        }
        named++;
        snprintf(text, sizeof text, "[fe80::1%%%s]:80", zone);
        cr_assert_eq(ps_addr_parse(&a, text), 0, "%s", text);
        cr_assert_eq(scope_of(&a), index, "%s", text);
        cr_assert_eq(ps_addr_format(&a, buf, sizeof buf), 0);
        cr_assert_str_eq(buf, text);
        /* A zone on a global address is kept too (as getaddrinfo does). */
        snprintf(text, sizeof text, "[2001:db8::1%%%s]:443", zone);
        check_round_trip(text, PS_AF_INET6, 443);
        /* The longest address text with this name fits PS_ADDRSTRLEN. */
        snprintf(text, sizeof text,
                 "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff%%%s]:65535", zone);
        check_round_trip(text, PS_AF_INET6, 65535);
    }
    cr_assert_gt(named, 0, "no interface index in 1..256 formatted as a name");
}

Test(addr, zone_rejects, .timeout = 10)
{
    static const char *const bad[] = {
        "[fe80::1%nosuchif0]:80", /* no such interface */
        "127.0.0.1%1:80",         /* IPv4 has no zones */
        "127.0.0.1%lo:80",
        "[::1%]:80",           /* empty zone */
        "[::1%0]:80",          /* index 0 names no interface */
        "[::1%4294967296]:80", /* beyond 32 bits */
        "[::1%99999999999999999999]:80",
        "[%1]:80", /* zone without an address */
        "[::1%1]80",
        "[::1%1]:",
        "[::1%1:80",
        "[127.0.0.1%1]:80",
        "[::1%-1]:80",
        "[::1% 1]:80",
        "[::1%1 ]:80",
    };
    size_t i;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
        check_reject(bad[i]);
}

Test(addr, zone_worst_case_fits_addrstrlen, .timeout = 10)
{
    const char
        *text = "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff%4294967295]:65535";
    char buf[PS_ADDRSTRLEN + 1];
    ps_addr a;
    cr_assert_eq(ps_addr_parse(&a, text), 0);
    buf[PS_ADDRSTRLEN] = 'Z';
    cr_assert_eq(ps_addr_format(&a, buf, PS_ADDRSTRLEN), 0);
    cr_assert_str_eq(buf, text);
    cr_assert_eq(buf[PS_ADDRSTRLEN], 'Z');
    /* "[" + 45-byte IPv6 text + "%" + a 63-byte name + "]:65535" + NUL. */
    cr_assert_geq(PS_ADDRSTRLEN, 1 + 45 + 1 + 63 + 7 + 1);
}

/* Port and numeric zone are read by value: any number of leading zeros
 * (the fuzzer's first finds: 6-digit ports and 257-byte zones failed). */
Test(addr, leading_zeros_any_length, .timeout = 10)
{
    char text[1200];
    ps_addr a;
    cr_assert_eq(ps_addr_parse(&a, "[::1]:000080"), 0);
    cr_assert_eq(ps_addr_port(&a), 80);
    /* 1,000 zeros then 80 */
    strcpy(text, "1.2.3.4:");
    memset(text + 8, '0', 1000);
    strcpy(text + 1008, "80");
    cr_assert_eq(ps_addr_parse(&a, text), 0);
    cr_assert_eq(ps_addr_port(&a), 80);
    cr_assert_eq(ps_addr_parse(&a, "1.2.3.4:0000065536"), PS_EINVAL);
    cr_assert_eq(ps_addr_parse(&a, "1.2.3.4:00000000000000000000065535"), 0);
    cr_assert_eq(ps_addr_port(&a), 65535);
    /* a zone of 256 zeros then 1 is index 1 */
    strcpy(text, "[fe80::1%");
    memset(text + 9, '0', 256);
    strcpy(text + 265, "1]:80");
    cr_assert_eq(ps_addr_parse(&a, text), 0);
    char buf[PS_ADDRSTRLEN];
    cr_assert_eq(ps_addr_format(&a, buf, sizeof buf), 0);
    cr_assert(strstr(buf, "%") != NULL && strstr(buf, "]:80") != NULL, "%s",
              buf);
    cr_assert_eq(ps_addr_parse(&a, buf), 0, "round trip of %s", buf);
}

/* ---- the sockaddr's bytes ------------------------------------------------- */

/* Where the port and the address lie in a sockaddr_in / sockaddr_in6, the
 * same on Linux, the BSDs, macOS and Windows; both are in network order
 * whatever the CPU's. A round trip (parse, then ps_addr_port or format)
 * passes with a swap that is wrong both ways, as one written for
 * little-endian CPUs only is on a big-endian one: fixed bytes do not. */
enum { PORT_AT = 2, FLOW_AT = 4, IP4_AT = 4, IP6_AT = 8 };

static const unsigned char ip6_bytes[16] = {
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a, 0x0b, 0x0c, 0x0d};

Test(addr, parse_writes_network_order_ipv4, .timeout = 10)
{
    static const unsigned char port[2] = {0x12, 0x34}; /* 4660 */
    static const unsigned char ip[4] = {10, 1, 2, 3};
    ps_addr a;
    memset(&a, 0xab, sizeof a);
    cr_assert_eq(ps_addr_parse(&a, "10.1.2.3:4660"), 0);
    cr_assert_arr_eq(a.storage.bytes + PORT_AT, port, 2,
                     "port bytes %02x %02x, want 12 34",
                     a.storage.bytes[PORT_AT], a.storage.bytes[PORT_AT + 1]);
    cr_assert_arr_eq(a.storage.bytes + IP4_AT, ip, 4);
}

Test(addr, parse_writes_network_order_ipv6, .timeout = 10)
{
    static const unsigned char port[2] = {0x34, 0x12}; /* 13330 */
    static const unsigned char zero[4] = {0, 0, 0, 0};
    ps_addr a;
    memset(&a, 0xab, sizeof a);
    cr_assert_eq(ps_addr_parse(&a, "[2001:db8::a0b:c0d]:13330"), 0);
    cr_assert_arr_eq(a.storage.bytes + PORT_AT, port, 2,
                     "port bytes %02x %02x, want 34 12",
                     a.storage.bytes[PORT_AT], a.storage.bytes[PORT_AT + 1]);
    cr_assert_arr_eq(a.storage.bytes + FLOW_AT, zero, 4, "flow label set");
    cr_assert_arr_eq(a.storage.bytes + IP6_AT, ip6_bytes, 16);
}

/* The other way: bytes put in by hand are read in network order. */
Test(addr, reads_network_order_ipv4, .timeout = 10)
{
    static const unsigned char port[2] = {0x01, 0x02}; /* 258 */
    static const unsigned char ip[4] = {192, 0, 2, 7};
    ps_addr a;
    char buf[PS_ADDRSTRLEN];
    cr_assert_eq(ps_addr_parse(&a, "0.0.0.0:0"), 0);
    memcpy(a.storage.bytes + PORT_AT, port, 2);
    memcpy(a.storage.bytes + IP4_AT, ip, 4);
    cr_assert_eq(ps_addr_port(&a), 258);
    cr_assert_eq(ps_addr_format(&a, buf, sizeof buf), 0);
    cr_assert_str_eq(buf, "192.0.2.7:258");
}

Test(addr, reads_network_order_ipv6, .timeout = 10)
{
    static const unsigned char port[2] = {0xff, 0x01}; /* 65281 */
    ps_addr a;
    char buf[PS_ADDRSTRLEN];
    cr_assert_eq(ps_addr_parse(&a, "[::]:0"), 0);
    memcpy(a.storage.bytes + PORT_AT, port, 2);
    memcpy(a.storage.bytes + IP6_AT, ip6_bytes, 16);
    cr_assert_eq(ps_addr_port(&a), 65281);
    cr_assert_eq(ps_addr_format(&a, buf, sizeof buf), 0);
    cr_assert_str_eq(buf, "[2001:db8::a0b:c0d]:65281");
}

/* The system's resolver (getaddrinfo) fills the sockaddr: an encoder that
 * is not portsock's own. */
Test(addr, resolved_bytes_are_network_order, .timeout = 30)
{
    static const unsigned char port[2] = {0x12, 0x34};
    static const unsigned char ip[4] = {127, 0, 0, 1};
    ps_addr out[2];
    size_t n = 0;
    cr_assert_eq(
        ps_resolve("127.0.0.1", "4660", PS_SOCK_STREAM, out, 2, &n, -1), 0);
    cr_assert_geq(n, 1u);
    cr_assert_arr_eq(out[0].storage.bytes + PORT_AT, port, 2);
    cr_assert_arr_eq(out[0].storage.bytes + IP4_AT, ip, 4);
    cr_assert_eq(ps_addr_port(&out[0]), 4660);
}

/* The kernel's bytes (a bound socket's address) and its routing agree with
 * portsock's reading and writing of ports: ps_addr_port's port is the one
 * the system connects to, and a datagram sent to a parsed address arrives. */
Test(addr, ports_agree_with_the_kernel, .timeout = 30)
{
    ps_socket_t l, c, s, u1, u2;
    ps_addr a, to, from;
    char text[PS_ADDRSTRLEN], port_text[16], got[8];
    static const unsigned char lo[4] = {127, 0, 0, 1};
    size_t n = 0;

    cr_assert_eq(ps_listen(&l, "127.0.0.1", "0", 4), 0);
    cr_assert_eq(ps_local_addr(l, &a), 0);
    int port = ps_addr_port(&a);
    cr_assert_eq((a.storage.bytes[PORT_AT] << 8) | a.storage.bytes[PORT_AT + 1],
                 port);
    cr_assert_arr_eq(a.storage.bytes + IP4_AT, lo, 4);
    snprintf(port_text, sizeof port_text, "%d", port);
    int rc = ps_connect(&c, "127.0.0.1", port_text, 5000);
    cr_assert_eq(rc, 0, "connect to port %s: %s", port_text, ps_errname(rc));
    cr_assert_eq(ps_accept(l, &s, NULL, 5000), 0);
    ps_close(c);
    ps_close(s);
    ps_close(l);

    cr_assert_eq(ps_udp_open(&u1, "127.0.0.1", "0"), 0);
    cr_assert_eq(ps_udp_open(&u2, "127.0.0.1", "0"), 0);
    cr_assert_eq(ps_local_addr(u2, &a), 0);
    snprintf(text, sizeof text, "127.0.0.1:%d", ps_addr_port(&a));
    cr_assert_eq(ps_addr_parse(&to, text), 0);
    cr_assert_eq(ps_sendto(u1, "ping", 4, &to, 5000), 0);
    rc = ps_recvfrom(u2, got, sizeof got, &n, &from, 5000);
    cr_assert_eq(rc, 0, "datagram to %s: %s", text, ps_errname(rc));
    cr_assert_eq(n, 4u);
    cr_assert_eq(ps_local_addr(u1, &a), 0);
    cr_assert_arr_eq(from.storage.bytes + PORT_AT, a.storage.bytes + PORT_AT,
                     2);
    cr_assert_arr_eq(from.storage.bytes + IP4_AT, lo, 4);
    ps_close(u1);
    ps_close(u2);
}
