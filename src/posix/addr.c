/* SPDX-License-Identifier: MIT */
/* POSIX: sockaddr <-> endpoint conversion, IP text, interface names. */
#include "posix.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/un.h>

int ps__any_addr(ps_addr *out, int family, uint16_t port)
{
    memset(out, 0, sizeof *out);
    if (family == PS_AF_INET) {
        struct sockaddr_in sin;
        memset(&sin, 0, sizeof sin);
        sin.sin_family = AF_INET;
        sin.sin_port = htons(port);
        sin.sin_addr.s_addr = htonl(INADDR_ANY);
        memcpy(out->storage.bytes, &sin, sizeof sin);
        out->len = sizeof sin;
        return 0;
    }
    if (family == PS_AF_INET6) {
        struct sockaddr_in6 sin6;
        memset(&sin6, 0, sizeof sin6);
        sin6.sin6_family = AF_INET6;
        sin6.sin6_port = htons(port);
        sin6.sin6_addr = in6addr_any;
        memcpy(out->storage.bytes, &sin6, sizeof sin6);
        out->len = sizeof sin6;
        return 0;
    }
    return PS_EAFNOSUPPORT;
}

int ps__unix_addr(ps_addr *out, const char *path)
{
    ps__endpoint ep;
    size_t n = strlen(path);
    memset(&ep, 0, sizeof ep);
    ep.family = PS_AF_UNIX;
    if (n == 0 || n >= sizeof ep.path)
        return PS_EINVAL;
    memcpy(ep.path, path, n + 1);
    return ps__addr_encode(&ep, out);
}

int ps__addr_decode(const ps_addr *a, ps__endpoint *ep)
{
    memset(ep, 0, sizeof *ep);
    if (a->len < sizeof(sa_family_t) || a->len > sizeof a->storage.bytes)
        return PS_EINVAL;
    sa_family_t family;
    memcpy(&family, a->storage.bytes + offsetof(struct sockaddr, sa_family),
           sizeof family);
    if (family == AF_INET && a->len >= sizeof(struct sockaddr_in)) {
        struct sockaddr_in sin;
        memcpy(&sin, a->storage.bytes, sizeof sin);
        ep->family = PS_AF_INET;
        ep->port = ntohs(sin.sin_port);
        memcpy(ep->ip, &sin.sin_addr, 4);
        return 0;
    }
    if (family == AF_INET6 && a->len >= sizeof(struct sockaddr_in6)) {
        struct sockaddr_in6 sin6;
        memcpy(&sin6, a->storage.bytes, sizeof sin6);
        ep->family = PS_AF_INET6;
        ep->port = ntohs(sin6.sin6_port);
        memcpy(ep->ip, &sin6.sin6_addr, 16);
        ep->scope_id = sin6.sin6_scope_id;
        return 0;
    }
    if (family == AF_UNIX) {
        size_t off = offsetof(struct sockaddr_un, sun_path);
        size_t n = a->len > off ? a->len - off : 0;
        const char *path = (const char *)a->storage.bytes + off;
        ep->family = PS_AF_UNIX;
        if (n > 0 && path[0] == '\0') {
            /* Linux abstract name: length-delimited, not NUL-terminated. */
            ep->abstract = 1;
            path++;
            n--;
        } else {
            n = strnlen(path, n);
        }
        if (n >= sizeof ep->path)
            n = sizeof ep->path - 1;
        memcpy(ep->path, path, n);
        ep->path[n] = '\0';
        return 0;
    }
    return PS_EINVAL;
}

int ps__addr_encode(const ps__endpoint *ep, ps_addr *a)
{
    memset(a, 0, sizeof *a);
    if (ep->family == PS_AF_INET || ep->family == PS_AF_INET6) {
        int r = ps__any_addr(a, ep->family, ep->port);
        if (r != 0)
            return r;
        if (ep->family == PS_AF_INET) {
            struct sockaddr_in sin;
            memcpy(&sin, a->storage.bytes, sizeof sin);
            memcpy(&sin.sin_addr, ep->ip, 4);
            memcpy(a->storage.bytes, &sin, sizeof sin);
        } else {
            struct sockaddr_in6 sin6;
            memcpy(&sin6, a->storage.bytes, sizeof sin6);
            memcpy(&sin6.sin6_addr, ep->ip, 16);
            sin6.sin6_scope_id = ep->scope_id;
            memcpy(a->storage.bytes, &sin6, sizeof sin6);
        }
        return 0;
    }
    if (ep->family == PS_AF_UNIX) {
        struct sockaddr_un sun;
        size_t n = strlen(ep->path);
        size_t off = ep->abstract ? 1 : 0;
        memset(&sun, 0, sizeof sun);
        if (n + off >= sizeof sun.sun_path)
            return PS_EINVAL;
        sun.sun_family = AF_UNIX;
        memcpy(sun.sun_path + off, ep->path, n);
        memcpy(a->storage.bytes, &sun, sizeof sun);
        a->len = (uint32_t)(offsetof(struct sockaddr_un, sun_path) + off + n +
                            (ep->abstract ? 0 : 1));
        return 0;
    }
    return PS_EINVAL;
}

int ps__ip_to_text(int family, const unsigned char *ip, char *buf, size_t cap)
{
    int af = family == PS_AF_INET ? AF_INET : AF_INET6;
    if (!inet_ntop(af, ip, buf, (socklen_t)cap))
        return PS_EINVAL;
    return 0;
}

int ps__ip_from_text(int family, const char *text, unsigned char *ip)
{
    int af = family == PS_AF_INET ? AF_INET : AF_INET6;
    return inet_pton(af, text, ip) == 1 ? 0 : PS_EINVAL;
}

int ps__if_name_to_index(const char *name, uint32_t *index)
{
    unsigned i = if_nametoindex(name);
    if (i == 0)
        return PS_EINVAL;
    *index = (uint32_t)i;
    return 0;
}

int ps__if_index_to_name(uint32_t index, char *buf, size_t cap)
{
    char name[IF_NAMESIZE];
    if (index == 0 || !if_indextoname((unsigned)index, name))
        return PS_EINVAL;
    size_t n = strnlen(name, sizeof name);
    if (n == 0 || n >= sizeof name || n >= cap)
        return PS_EINVAL;
    memcpy(buf, name, n + 1);
    return 0;
}
