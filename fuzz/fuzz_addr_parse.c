/* SPDX-License-Identifier: MIT */
/* ps_addr_parse on arbitrary text, against a grammar written here from the
 * header's contract, and parse -> format -> parse round trips.
 *
 * The grammar (include/portsock.h, ps_addr_parse):
 *   text  = ipv4 ":" port | "[" ipv6 [ "%" zone ] "]" ":" port
 *   port  = decimal digits, value 0..65535 (no sign, no spaces; any
 *           number of leading zeros)
 *   ipv4  = four decimal parts 0..255 joined by "."; the header says only
 *           "numeric", so the rest follows inet_pton, which the library
 *           uses: no "127.1" shorthand, no leading zeros ("01"), no hex.
 *           Written out here, not handed to inet_pton.
 *   ipv6  = what inet_pton(AF_INET6) takes (the header defers to it).
 *   zone  = decimal digits, value 1..4294967295 (leading zeros allowed,
 *           as tests/test_addr.c expects), or else the name of an
 *           interface that exists now (if_nametoindex; the interfaces are
 *           the fixed table of fake_ifaces.h, names of at most 256
 *           bytes); empty: rejected.
 * Everything else: PS_EINVAL. IPv4 has no zone, so a '%' there fails the
 * dotted quad. */
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fake_ifaces.h"
#include "fuzz_check.h"
#include "portsock.h"

/* Names longer than this are no interface (Windows' IF_NAMESIZE). */
#define ZONE_NAME_MAX ((size_t)256)

typedef struct want {
    int ok;
    int family;             /* PS_AF_INET / PS_AF_INET6 */
    unsigned char ip[16];
    unsigned port;
    uint32_t scope;
} want;

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* The value of n decimal digits, or limit + 1 if it is larger than limit
 * (any number of leading zeros is fine). */
static uint64_t decimal(const char *p, size_t n, uint64_t limit)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        v = v * 10 + (uint64_t)(p[i] - '0');
        if (v > limit)
            return limit + 1;
    }
    return v;
}

static int all_digits(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_digit(p[i]))
            return 0;
    return n > 0;
}

static int dotted_quad(const char *p, size_t n, unsigned char out[4])
{
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part > 0) {
            if (i >= n || p[i] != '.')
                return 0;
            i++;
        }
        size_t start = i;
        while (i < n && is_digit(p[i]) && i - start < 4)
            i++;
        size_t len = i - start;
        if (len == 0 || len > 3 || (len > 1 && p[start] == '0'))
            return 0;
        uint64_t v = decimal(p + start, len, 255);
        if (v > 255)
            return 0;
        out[part] = (unsigned char)v;
    }
    return i == n;
}

/* Copies n bytes into a fresh NUL-terminated string. */
static char *substr(const char *p, size_t n)
{
    char *s = malloc(n + 1);
    HARNESS(s != NULL, "out of memory");
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

static int zone_ok(const char *p, size_t n, uint32_t *scope)
{
    if (n == 0)
        return 0;
    if (all_digits(p, n)) {
        uint64_t v = decimal(p, n, UINT32_MAX);
        if (v == 0 || v > UINT32_MAX)
            return 0;
        *scope = (uint32_t)v;
        return 1;
    }
    if (n > ZONE_NAME_MAX)
        return 0;
    char *name = substr(p, n);
    unsigned idx = if_nametoindex(name);
    free(name);
    *scope = (uint32_t)idx;
    return idx != 0;
}

static void oracle(const char *text, want *w)
{
    size_t n = strlen(text);
    memset(w, 0, sizeof *w);
    /* The port is the run of digits at the end, after a ':'. */
    size_t p = n;
    while (p > 0 && is_digit(text[p - 1]))
        p--;
    if (p == n || p == 0 || text[p - 1] != ':')
        return;
    uint64_t port = decimal(text + p, n - p, 65535);
    if (port > 65535)
        return;
    w->port = (unsigned)port;
    size_t host_end = p - 1; /* the ':' */
    if (text[0] != '[') {
        if (!dotted_quad(text, host_end, w->ip))
            return;
        w->family = PS_AF_INET;
        w->ok = 1;
        return;
    }
    if (host_end < 2 || text[host_end - 1] != ']')
        return;
    const char *in = text + 1;
    size_t inlen = host_end - 2;
    const char *pct = memchr(in, '%', inlen);
    size_t addrlen = pct ? (size_t)(pct - in) : inlen;
    char *addr = substr(in, addrlen);
    int ok = inet_pton(AF_INET6, addr, w->ip) == 1;
    free(addr);
    if (!ok)
        return;
    if (pct && !zone_ok(pct + 1, inlen - addrlen - 1, &w->scope))
        return;
    w->family = PS_AF_INET6;
    w->ok = 1;
}

/* What a parsed ps_addr holds, read through the native sockaddr. */
static void decode(const ps_addr *a, want *got)
{
    memset(got, 0, sizeof *got);
    got->family = ps_addr_family(a);
    int port = ps_addr_port(a);
    CHECK(port >= 0 && port <= 65535, "port %d", port);
    got->port = (unsigned)port;
    if (got->family == PS_AF_INET) {
        struct sockaddr_in sin;
        CHECK(a->len == sizeof sin, "IPv4 len %u", (unsigned)a->len);
        memcpy(&sin, a->storage.bytes, sizeof sin);
        CHECK(sin.sin_family == AF_INET, "sin_family %d", sin.sin_family);
        memcpy(got->ip, &sin.sin_addr, 4);
    } else {
        struct sockaddr_in6 sin6;
        CHECK(got->family == PS_AF_INET6, "family %d", got->family);
        CHECK(a->len == sizeof sin6, "IPv6 len %u", (unsigned)a->len);
        memcpy(&sin6, a->storage.bytes, sizeof sin6);
        CHECK(sin6.sin6_family == AF_INET6, "sin6_family %d", sin6.sin6_family);
        memcpy(got->ip, &sin6.sin6_addr, 16);
        got->scope = sin6.sin6_scope_id;
    }
    got->ok = 1;
}

static void check_same(const want *w, const want *g, const char *text)
{
    CHECK(g->family == w->family, "\"%s\": family %d, want %d", text,
          g->family, w->family);
    CHECK(g->port == w->port, "\"%s\": port %u, want %u", text, g->port,
          w->port);
    CHECK(memcmp(g->ip, w->ip, w->family == PS_AF_INET ? 4 : 16) == 0,
          "\"%s\": address bytes differ", text);
    CHECK(g->scope == w->scope, "\"%s\": scope %u, want %u", text,
          (unsigned)g->scope, (unsigned)w->scope);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = substr((const char *)data, size);
    want w, g;
    ps_addr a, b;
    char out[PS_ADDRSTRLEN], out2[PS_ADDRSTRLEN];

    oracle(text, &w);
    memset(&a, 0xa5, sizeof a);
    int rc = ps_addr_parse(&a, text);
    if (!w.ok) {
        CHECK(rc == PS_EINVAL, "\"%s\": %s, the grammar rejects it", text,
              ps_errname(rc));
        free(text);
        return 0;
    }
    CHECK(rc == 0, "\"%s\": %s, the grammar accepts it", text, ps_errname(rc));
    decode(&a, &g);
    check_same(&w, &g, text);

    /* Round trip: the text of the address parses back to the same bytes,
     * and that text is itself in the grammar. */
    rc = ps_addr_format(&a, out, sizeof out);
    CHECK(rc == 0, "\"%s\": format: %s", text, ps_errname(rc));
    memset(&b, 0x5a, sizeof b);
    rc = ps_addr_parse(&b, out);
    CHECK(rc == 0, "\"%s\" -> \"%s\": parse back: %s", text, out,
          ps_errname(rc));
    CHECK(a.len == b.len && memcmp(a.storage.bytes, b.storage.bytes, a.len) == 0,
          "\"%s\" -> \"%s\": parsed back to other bytes", text, out);
    oracle(out, &g);
    CHECK(g.ok, "\"%s\" -> \"%s\": the grammar rejects the formatted text",
          text, out);
    check_same(&w, &g, out);
    rc = ps_addr_format(&b, out2, sizeof out2);
    CHECK(rc == 0 && strcmp(out, out2) == 0, "\"%s\" -> \"%s\" -> \"%s\"",
          text, out, out2);
    free(text);
    return 0;
}
