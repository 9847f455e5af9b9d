/* SPDX-License-Identifier: MIT */
/* ps_addr <-> native sockaddr, IP text, interface names. */
#include "win32.h"

#include <iphlpapi.h>
#include <stddef.h>

#define UN_PATH_OFF offsetof(ps__win_sockaddr_un, sun_path)
#define FAMILY_OFF offsetof(struct sockaddr, sa_family)
#define V6_SCOPE_OFF offsetof(struct sockaddr_in6, sin6_scope_id)

/* Where sockaddr_in and sockaddr_in6 keep their port and address. */
typedef struct ip_layout {
    ADDRESS_FAMILY native;
    int family; /* PS_AF_* */
    size_t size, port_off, ip_off, ip_len;
} ip_layout;

static const ip_layout ip_layouts[] = {
    {AF_INET, PS_AF_INET, sizeof(struct sockaddr_in),
     offsetof(struct sockaddr_in, sin_port),
     offsetof(struct sockaddr_in, sin_addr), 4},
    {AF_INET6, PS_AF_INET6, sizeof(struct sockaddr_in6),
     offsetof(struct sockaddr_in6, sin6_port),
     offsetof(struct sockaddr_in6, sin6_addr), 16},
};

int ps__addr_decode(const ps_addr *a, ps__endpoint *ep)
{
    ADDRESS_FAMILY f;
    if (ep == NULL)
        return PS_EINVAL;
    memset(ep, 0, sizeof *ep);
    ep->family = PS_AF_UNSPEC;
    if (a == NULL || a->len < sizeof f || a->len > sizeof a->storage.bytes)
        return PS_EINVAL;
    memcpy(&f, a->storage.bytes, sizeof f);
    /* Byte copies at the fields' offsets: the bytes need not be a sockaddr
     * object. */
    for (size_t i = 0; i < sizeof ip_layouts / sizeof ip_layouts[0]; i++) {
        const ip_layout *l = &ip_layouts[i];
        u_short port;
        if (f != l->native)
            continue;
        if (a->len < l->size)
            return PS_EINVAL;
        memcpy(&port, a->storage.bytes + l->port_off, sizeof port);
        ep->family = l->family;
        ep->port = ntohs(port);
        memcpy(ep->ip, a->storage.bytes + l->ip_off, l->ip_len);
        if (f == AF_INET6)
            memcpy(&ep->scope_id, a->storage.bytes + V6_SCOPE_OFF,
                   sizeof ep->scope_id);
        return 0;
    }
    if (f == AF_UNIX) {
        const char *p = (const char *)a->storage.bytes + UN_PATH_OFF;
        size_t n = a->len > UN_PATH_OFF ? a->len - UN_PATH_OFF : 0, i;
        if (n > PS__UNIX_PATH_MAX)
            n = PS__UNIX_PATH_MAX;
        ep->family = PS_AF_UNIX;
        if (n > 1 && p[0] == '\0') {
            /* Abstract name: the bytes after the NUL, not NUL-terminated. */
            ep->abstract = 1;
            memcpy(ep->path, p + 1, n - 1);
            return 0;
        }
        for (i = 0; i < n && p[i] != '\0'; i++)
            ep->path[i] = p[i];
        return 0;
    }
    return PS_EINVAL;
}

int ps__addr_encode(const ps__endpoint *ep, ps_addr *a)
{
    if (ep == NULL || a == NULL)
        return PS_EINVAL;
    memset(a, 0, sizeof *a);
    for (size_t i = 0; i < sizeof ip_layouts / sizeof ip_layouts[0]; i++) {
        const ip_layout *l = &ip_layouts[i];
        u_short port = htons(ep->port);
        if (ep->family != l->family)
            continue;
        memcpy(a->storage.bytes + FAMILY_OFF, &l->native, sizeof l->native);
        memcpy(a->storage.bytes + l->port_off, &port, sizeof port);
        memcpy(a->storage.bytes + l->ip_off, ep->ip, l->ip_len);
        if (l->native == AF_INET6)
            memcpy(a->storage.bytes + V6_SCOPE_OFF, &ep->scope_id,
                   sizeof ep->scope_id);
        a->len = (uint32_t)l->size;
        return 0;
    }
    switch (ep->family) {
    case PS_AF_UNIX: {
        ps__win_sockaddr_un un;
        size_t n = 0;
        while (n < sizeof ep->path && ep->path[n] != '\0')
            n++;
        memset(&un, 0, sizeof un);
        un.sun_family = AF_UNIX;
        if (ep->abstract) {
            if (n + 1 > sizeof un.sun_path)
                return PS_EINVAL;
            memcpy(un.sun_path + 1, ep->path, n);
            a->len = (uint32_t)(UN_PATH_OFF + 1 + n);
        } else if (n == 0) {
            a->len = (uint32_t)UN_PATH_OFF; /* unnamed */
        } else {
            /* Room for the terminating NUL, which Windows expects. */
            if (n + 1 > sizeof un.sun_path)
                return PS_EINVAL;
            memcpy(un.sun_path, ep->path, n);
            a->len = (uint32_t)(UN_PATH_OFF + n + 1);
        }
        memcpy(a->storage.bytes, &un, sizeof un);
        return 0;
    }
    default:
        return PS_EINVAL;
    }
}

int ps__any_addr(ps_addr *out, int family, uint16_t port)
{
    ps__endpoint ep;
    if (out == NULL || (family != PS_AF_INET && family != PS_AF_INET6))
        return PS_EINVAL;
    memset(&ep, 0, sizeof ep); /* all-zero ip is the wildcard for both */
    ep.family = family;
    ep.port = port;
    return ps__addr_encode(&ep, out);
}

int ps__unix_addr(ps_addr *out, const char *path)
{
    ps__endpoint ep;
    size_t n;
    if (out == NULL || path == NULL)
        return PS_EINVAL;
    n = strlen(path);
    if (n == 0 || n >= PS__UNIX_PATH_MAX)
        return PS_EINVAL;
    memset(&ep, 0, sizeof ep);
    ep.family = PS_AF_UNIX;
    memcpy(ep.path, path, n);
    return ps__addr_encode(&ep, out);
}

int ps__ip_to_text(int family, const unsigned char *ip, char *buf, size_t cap)
{
    int af = family == PS_AF_INET    ? AF_INET
             : family == PS_AF_INET6 ? AF_INET6
                                     : -1;
    if (af < 0 || ip == NULL || buf == NULL || cap == 0)
        return PS_EINVAL;
    (void)ps__ensure_init();
    if (inet_ntop(af, ip, buf, cap) == NULL) {
        buf[0] = '\0';
        ps__set_native_error(WSAGetLastError());
        return PS_EINVAL;
    }
    return 0;
}

int ps__ip_from_text(int family, const char *text, unsigned char *ip)
{
    int af = family == PS_AF_INET    ? AF_INET
             : family == PS_AF_INET6 ? AF_INET6
                                     : -1;
    unsigned char tmp[16];
    if (af < 0 || text == NULL || ip == NULL)
        return PS_EINVAL;
    (void)ps__ensure_init();
    /* Written only on success, so a failed parse leaves ip untouched. */
    if (inet_pton(af, text, tmp) != 1)
        return PS_EINVAL;
    memcpy(ip, tmp, af == AF_INET ? 4 : 16);
    return 0;
}

/* if_nametoindex / if_indextoname (iphlpapi, Vista+) use the names Windows
 * derives from the interface LUID, e.g. "loopback_0", "ethernet_32768". */
int ps__if_name_to_index(const char *name, uint32_t *index)
{
    NET_IFINDEX i;
    if (name == NULL || index == NULL)
        return PS_EINVAL;
    i = if_nametoindex(name);
    if (i == 0)
        return PS_EINVAL;
    *index = (uint32_t)i;
    return 0;
}

int ps__if_index_to_name(uint32_t index, char *buf, size_t cap)
{
    char name[IF_NAMESIZE + 1]; /* the API takes no length */
    size_t n;
    if (index == 0 || buf == NULL)
        return PS_EINVAL;
    memset(name, 0, sizeof name);
    if (if_indextoname((NET_IFINDEX)index, name) == NULL)
        return PS_EINVAL;
    n = strnlen(name, sizeof name);
    if (n == 0 || n >= sizeof name || n >= cap)
        return PS_EINVAL;
    memcpy(buf, name, n + 1);
    return 0;
}
