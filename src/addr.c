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
        else if (ep->scope_id != 0)
            n = snprintf(out, outcap, "[%s%%%lu]:%u", ip,
                         (unsigned long)ep->scope_id, (unsigned)ep->port);
        else
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
static int parse_port_text(const char *p, uint16_t *out)
{
    unsigned long v = 0;
    size_t digits = 0;
    for (; *p; p++, digits++) {
        if (*p < '0' || *p > '9' || digits >= 5)
            return PS_EINVAL;
        v = v * 10 + (unsigned long)(*p - '0');
    }
    if (digits == 0 || v > 65535)
        return PS_EINVAL;
    *out = (uint16_t)v;
    return 0;
}

int ps_addr_parse(ps_addr *out, const char *text)
{
    ps__endpoint ep;
    char ip[64];
    const char *port;
    size_t iplen;
    if (!out || !text)
        return PS_EINVAL;
    memset(&ep, 0, sizeof ep);
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (!close || close[1] != ':')
            return PS_EINVAL;
        iplen = (size_t)(close - text - 1);
        memcpy(ip, text + 1, iplen < sizeof ip ? iplen : 0);
        port = close + 2;
        ep.family = PS_AF_INET6;
    } else {
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
    return ps__addr_encode(&ep, out);
}
