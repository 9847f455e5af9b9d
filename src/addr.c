/* SPDX-License-Identifier: MIT */
/* Address text and accessors, written once over the platform's
 * ps_addr <-> endpoint conversion. */
#include "internal.h"

#include <stdio.h>
#include <string.h>

int ps_addr_family(const ps_addr *a)
{
    ps__endpoint ep;
    if (!a || ps__addr_decode(a, &ep) != 0)
        return PS_AF_UNSPEC;
    return ep.family;
}

int ps_addr_port(const ps_addr *a)
{
    ps__endpoint ep;
    if (!a || ps__addr_decode(a, &ep) != 0)
        return PS_EINVAL;
    if (ep.family != PS_AF_INET && ep.family != PS_AF_INET6)
        return PS_EINVAL;
    return ep.port;
}

/* Longest zone printed, NUL included: a longer interface name is printed
 * as its index. Linux and macOS names are at most 15 bytes; Windows allows
 * 256 but names its interfaces like "ethernet_32768". */
#define ZONE_TEXT_MAX 64

/* "[" + the longest IPv6 text (45) + "%" + zone + "]:65535" + NUL. */
_Static_assert(1 + 45 + 1 + (ZONE_TEXT_MAX - 1) + 7 + 1 <= PS_ADDRSTRLEN,
               "PS_ADDRSTRLEN must hold any IPv6 address with its zone");

static int all_digits(const char *p, size_t len)
{
    size_t i;
    for (i = 0; i < len; i++)
        if (p[i] < '0' || p[i] > '9')
            return 0;
    return len > 0;
}

/* The interface's name, or the index when it has none (or one that would
 * read back as a number, or not fit). */
static void zone_text(uint32_t scope_id, char *buf, size_t cap)
{
    if (ps__if_index_to_name(scope_id, buf, cap) != 0 ||
        all_digits(buf, strlen(buf)))
        snprintf(buf, cap, "%lu", (unsigned long)scope_id);
}

static int format_endpoint(const ps__endpoint *ep, char *out, size_t outcap)
{
    char ip[PS_ADDRSTRLEN];
    int n;
    switch (ep->family) {
    case PS_AF_INET:
    case PS_AF_INET6:
        if (ps__ip_to_text(ep->family, ep->ip, ip, sizeof ip) != 0)
            return PS_EINVAL;
        if (ep->family == PS_AF_INET)
            n = snprintf(out, outcap, "%s:%u", ip, (unsigned)ep->port);
        else if (ep->scope_id != 0) {
            char zone[ZONE_TEXT_MAX];
            zone_text(ep->scope_id, zone, sizeof zone);
            n = snprintf(out, outcap, "[%s%%%s]:%u", ip, zone,
                         (unsigned)ep->port);
        } else
            n = snprintf(out, outcap, "[%s]:%u", ip, (unsigned)ep->port);
        break;
    case PS_AF_UNIX:
        if (ep->abstract)
            n = snprintf(out, outcap, "@%s", ep->path);
        else if (ep->path[0] == '\0')
            n = snprintf(out, outcap, "(unnamed)");
        else
            n = snprintf(out, outcap, "%s", ep->path);
        break;
    default:
        return PS_EINVAL;
    }
    return (n < 0 || (size_t)n >= outcap) ? PS_EINVAL : 0;
}

int ps_addr_format(const ps_addr *a, char *buf, size_t cap)
{
    ps__endpoint ep;
    char text[PS_ADDRSTRLEN + 16];
    if (!buf || cap == 0)
        return PS_EINVAL;
    buf[0] = '\0';
    if (!a || ps__addr_decode(a, &ep) != 0)
        return PS_EINVAL;
    int r = format_endpoint(&ep, text, sizeof text);
    if (r != 0)
        return r;
    size_t n = strlen(text);
    if (n >= cap)
        return PS_EINVAL;
    memcpy(buf, text, n + 1);
    return 0;
}

/* Digits only, 0..65535, no sign, no leading '+', at most 5 digits. */
/* Decimal digits of value 0..65535; leading zeros are allowed, as in the
 * port text of ps_connect and the others. */
static int parse_port_text(const char *p, uint16_t *out)
{
    unsigned long v = 0;
    size_t digits = 0;
    for (; *p; p++, digits++) {
        if (*p < '0' || *p > '9')
            return PS_EINVAL;
        v = v * 10 + (unsigned long)(*p - '0');
        if (v > 65535)
            return PS_EINVAL;
    }
    if (digits == 0)
        return PS_EINVAL;
    *out = (uint16_t)v;
    return 0;
}

/* The zone after '%' (len bytes at p): a decimal index 1..UINT32_MAX, or
 * the name of an interface that exists now. */
static int parse_zone(const char *p, size_t len, uint32_t *scope_id)
{
    char name[257]; /* Windows' IF_NAMESIZE, NUL included */
    if (len == 0)
        return PS_EINVAL;
    /* An index is its value, however many leading zeros it has. */
    if (all_digits(p, len)) {
        uint64_t v = 0;
        for (size_t i = 0; i < len; i++) {
            v = v * 10 + (uint64_t)(p[i] - '0');
            if (v > UINT32_MAX)
                return PS_EINVAL;
        }
        if (v == 0)
            return PS_EINVAL; /* index 0 names no interface */
        *scope_id = (uint32_t)v;
        return 0;
    }
    if (len >= sizeof name)
        return PS_EINVAL; /* longer than any interface name */
    memcpy(name, p, len);
    name[len] = '\0';
    return ps__if_name_to_index(name, scope_id);
}

int ps_addr_parse(ps_addr *out, const char *text)
{
    ps__endpoint ep;
    char ip[64];
    const char *port, *zone = NULL;
    size_t iplen, zonelen = 0;
    if (!out || !text)
        return PS_EINVAL;
    memset(&ep, 0, sizeof ep);
    if (text[0] == '[') {
        /* The last ']': a zone name may hold one, a port never does. */
        const char *close = strrchr(text, ']');
        if (!close || close[1] != ':')
            return PS_EINVAL;
        const char *pct = memchr(text + 1, '%', (size_t)(close - text - 1));
        const char *ipend = pct ? pct : close;
        if (pct) {
            zone = pct + 1;
            zonelen = (size_t)(close - zone);
        }
        iplen = (size_t)(ipend - text - 1);
        memcpy(ip, text + 1, iplen < sizeof ip ? iplen : 0);
        port = close + 2;
        ep.family = PS_AF_INET6;
    } else {
        /* No zone: IPv4 has none, and inet_pton rejects a '%'. */
        const char *colon = strchr(text, ':');
        if (!colon || strchr(colon + 1, ':'))
            return PS_EINVAL;
        iplen = (size_t)(colon - text);
        memcpy(ip, text, iplen < sizeof ip ? iplen : 0);
        port = colon + 1;
        ep.family = PS_AF_INET;
    }
    if (iplen == 0 || iplen >= sizeof ip)
        return PS_EINVAL;
    ip[iplen] = '\0';
    if (parse_port_text(port, &ep.port) != 0 ||
        ps__ip_from_text(ep.family, ip, ep.ip) != 0)
        return PS_EINVAL;
    /* Looked up last: a malformed address costs no interface query. */
    if (zone && parse_zone(zone, zonelen, &ep.scope_id) != 0)
        return PS_EINVAL;
    return ps__addr_encode(&ep, out);
}
