/* SPDX-License-Identifier: MIT */
/* POSIX: batched datagrams. Linux: sendmmsg / recvmmsg, UDP_SEGMENT and
 * UDP_GRO. macOS and the BSDs: one sendmsg / recvmsg per datagram. The
 * control messages: IP_PKTINFO / IPV6_PKTINFO for the local address and
 * interface (IP_RECVDSTADDR, IP_RECVIF and IP_SENDSRCADDR for IPv4 where
 * there is no IP_PKTINFO), IP_TOS / IPV6_TCLASS for the ECN bits. */
#include "posix.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/uio.h>
#if !defined(__linux__) && defined(IP_RECVIF)
#include <net/if_dl.h>
#endif

#if defined(__linux__)
#include <netinet/udp.h>
#define PS_MMSG 1
/* musl's headers may lack them (the values are the kernel's ABI). */
#ifndef SOL_UDP
#define SOL_UDP 17
#endif
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif
#endif

/* Room for one datagram's control messages: a pktinfo of each family,
 * the TOS and the traffic class, a segment size. */
/* Aligned for any control message header (cmsghdr has a flexible array,
 * so it cannot be a member). */
typedef struct ctrl_buf {
    _Alignas(max_align_t) unsigned char bytes[256];
} ctrl_buf;

static int dontwait(int how)
{
    return how == PS__IO_BLOCK ? 0 : MSG_DONTWAIT;
}

/* Appends a control message of len bytes at *used; returns its data. */
static void *add_cmsg(struct msghdr *mh, size_t *used, int level, int type,
                      size_t len)
{
    struct cmsghdr *cm = (struct cmsghdr *)(void *)((unsigned char *)
                                                        mh->msg_control +
                                                    *used);
    memset(cm, 0, CMSG_SPACE(len));
    cm->cmsg_level = level;
    cm->cmsg_type = type;
    cm->cmsg_len = CMSG_LEN(len);
    *used += CMSG_SPACE(len);
    return CMSG_DATA(cm);
}

static void put_int(struct msghdr *mh, size_t *used, int level, int type, int v)
{
    memcpy(add_cmsg(mh, used, level, type, sizeof v), &v, sizeof v);
}

/* The source address and interface: IPv4 through IP_PKTINFO (or
 * IP_SENDSRCADDR), IPv6 (and IPv4 mapped for an IPv6 socket that needs
 * it) through IPV6_PKTINFO. */
static void put_source(struct msghdr *mh, size_t *used, const ps_udp_msg *m,
                       int v4)
{
    ps__endpoint ep;
    memset(&ep, 0, sizeof ep);
    if (m->local.len != 0 && ps__addr_decode(&m->local, &ep) != 0)
        return;
    if (v4) {
#if defined(IP_PKTINFO)
        struct in_pktinfo pi;
        memset(&pi, 0, sizeof pi);
        pi.ipi_ifindex = (int)m->ifindex;
        if (m->local.len != 0)
            memcpy(&pi.ipi_spec_dst, ep.ip, 4);
        memcpy(add_cmsg(mh, used, IPPROTO_IP, IP_PKTINFO, sizeof pi), &pi,
               sizeof pi);
#elif defined(IP_SENDSRCADDR)
        if (m->local.len != 0)
            memcpy(add_cmsg(mh, used, IPPROTO_IP, IP_SENDSRCADDR,
                            sizeof(struct in_addr)),
                   ep.ip, 4);
#endif
        return;
    }
    struct in6_pktinfo pi6;
    memset(&pi6, 0, sizeof pi6);
    pi6.ipi6_ifindex = m->ifindex;
    if (ep.family == PS_AF_INET6) {
        memcpy(&pi6.ipi6_addr, ep.ip, 16);
    } else if (ep.family == PS_AF_INET) {
        pi6.ipi6_addr.s6_addr[10] = 0xFF;
        pi6.ipi6_addr.s6_addr[11] = 0xFF;
        memcpy(&pi6.ipi6_addr.s6_addr[12], ep.ip, 4);
    }
    memcpy(add_cmsg(mh, used, IPPROTO_IPV6, IPV6_PKTINFO, sizeof pi6), &pi6,
           sizeof pi6);
}

/* Fills one message header for sending m: the peer (mapped when the
 * socket wants it, into *mapped), the buffer, the control messages. */
static void build_send(struct msghdr *mh, struct iovec *iov, ctrl_buf *ctrl,
                       ps_addr *mapped, const ps_udp_msg *m, int flags)
{
    const ps_addr *to = &m->peer;
    size_t used = 0;
    /* The family the datagram travels in: Linux takes IPv4 peers on an
     * IPv6 socket as they are and reads IPv4 options for them. */
    int v4 = ps_addr_family(&m->peer) == PS_AF_INET ||
             (m->peer.len == 0 && ps_addr_family(&m->local) == PS_AF_INET);
    if ((flags & PS__UDP_MAP_V4) && v4) {
        if (m->peer.len != 0 && ps__addr_mapped(&m->peer, mapped, 0) == 0)
            to = mapped;
        v4 = 0;
    }
    memset(mh, 0, sizeof *mh);
    iov->iov_base = m->buf;
    iov->iov_len = m->len;
    mh->msg_iov = iov;
    mh->msg_iovlen = 1;
    if (to->len != 0) {
        mh->msg_name = (void *)(uintptr_t)to->storage.bytes;
        mh->msg_namelen = (socklen_t)to->len;
    }
    mh->msg_control = ctrl->bytes;
    if (m->local.len != 0 || m->ifindex != 0)
        put_source(mh, &used, m, v4);
    if (m->ecn != 0) {
        if (v4) {
#if defined(__FreeBSD__)
            unsigned char tos = (unsigned char)m->ecn;
            memcpy(add_cmsg(mh, &used, IPPROTO_IP, IP_TOS, 1), &tos, 1);
#else
            put_int(mh, &used, IPPROTO_IP, IP_TOS, m->ecn);
#endif
        } else {
            put_int(mh, &used, IPPROTO_IPV6, IPV6_TCLASS, m->ecn);
        }
    }
#ifdef PS_MMSG
    if (m->segment_size != 0 && m->segment_size < m->len) {
        uint16_t seg = (uint16_t)m->segment_size;
        memcpy(add_cmsg(mh, &used, SOL_UDP, UDP_SEGMENT, sizeof seg), &seg,
               sizeof seg);
    }
#endif
    mh->msg_controllen = used;
    if (used == 0)
        mh->msg_control = NULL;
}

static int cmsg_small_int(const struct cmsghdr *cm)
{
    size_t len = cm->cmsg_len - CMSG_LEN(0);
    if (len >= sizeof(int)) {
        int v;
        memcpy(&v, CMSG_DATA(cm), sizeof v);
        return v;
    }
    if (len >= sizeof(uint16_t)) {
        uint16_t v;
        memcpy(&v, CMSG_DATA(cm), sizeof v);
        return v;
    }
    return len >= 1 ? *(const unsigned char *)CMSG_DATA(cm) : 0;
}

/* Reads what the system said of a received datagram. */
static void parse_recv(ps_udp_msg *m, struct msghdr *mh, size_t got)
{
    m->len = got;
    m->peer.len = (uint32_t)mh->msg_namelen;
    m->truncated = (mh->msg_flags & MSG_TRUNC) != 0;
    if (mh->msg_controllen == 0)
        return;
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
        if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO) {
            struct in6_pktinfo pi6;
            memcpy(&pi6, CMSG_DATA(cm), sizeof pi6);
            ps__udp_local_from(m, PS_AF_INET6, &pi6.ipi6_addr,
                               pi6.ipi6_ifindex);
        } else if (cm->cmsg_level == IPPROTO_IPV6 &&
                   cm->cmsg_type == IPV6_TCLASS) {
            m->ecn = cmsg_small_int(cm) & 3;
        } else if (cm->cmsg_level == IPPROTO_IP) {
            switch (cm->cmsg_type) {
#if defined(IP_PKTINFO)
            case IP_PKTINFO: {
                struct in_pktinfo pi;
                memcpy(&pi, CMSG_DATA(cm), sizeof pi);
                ps__udp_local_from(m, PS_AF_INET, &pi.ipi_addr,
                                   (uint32_t)pi.ipi_ifindex);
                break;
            }
#endif
#if defined(IP_RECVDSTADDR) && !defined(__linux__)
            case IP_RECVDSTADDR:
                ps__udp_local_from(m, PS_AF_INET, CMSG_DATA(cm), m->ifindex);
                break;
#endif
#if defined(IP_RECVIF) && !defined(__linux__)
            case IP_RECVIF: {
                struct sockaddr_dl dl;
                size_t len = cm->cmsg_len - CMSG_LEN(0);
                memset(&dl, 0, sizeof dl);
                memcpy(&dl, CMSG_DATA(cm), len < sizeof dl ? len : sizeof dl);
                m->ifindex = dl.sdl_index;
                break;
            }
#endif
            case IP_TOS:
#if defined(IP_RECVTOS)
            case IP_RECVTOS: /* the BSDs and macOS name it so */
#endif
                m->ecn = cmsg_small_int(cm) & 3;
                break;
            default:
                break;
            }
        }
#ifdef PS_MMSG
        else if (cm->cmsg_level == SOL_UDP && cm->cmsg_type == UDP_GRO) {
            int seg = cmsg_small_int(cm);
            m->segment_size = seg > 0 ? (size_t)seg : 0;
        }
#endif
    }
}

/* Prepares one header for receiving into m. */
static void build_recv(struct msghdr *mh, struct iovec *iov, ctrl_buf *ctrl,
                       ps_udp_msg *m)
{
    size_t cap = m->len > (size_t)INT_MAX ? (size_t)INT_MAX : m->len;
    memset(mh, 0, sizeof *mh);
    memset(&m->peer, 0, sizeof m->peer);
    iov->iov_base = m->buf;
    iov->iov_len = cap;
    mh->msg_iov = iov;
    mh->msg_iovlen = 1;
    mh->msg_name = m->peer.storage.bytes;
    mh->msg_namelen = sizeof m->peer.storage.bytes;
    mh->msg_control = ctrl->bytes;
    mh->msg_controllen = sizeof ctrl->bytes;
}

/* What a received message holds before the system's answer is read. */
static void clear_out(ps_udp_msg *m)
{
    memset(&m->local, 0, sizeof m->local);
    m->ifindex = 0;
    m->ecn = 0;
    m->truncated = 0;
    m->segment_size = 0;
}

static int send_one(ps_socket_t s, const ps_udp_msg *m, int flags, int how)
{
    struct msghdr mh;
    struct iovec iov;
    ctrl_buf ctrl = {{0}};
    ps_addr mapped;
    ssize_t r;
    build_send(&mh, &iov, &ctrl, &mapped, m, flags);
    do
        r = sendmsg(s, &mh, PS__SEND_FLAGS | dontwait(how));
    while (r < 0 && errno == EINTR);
    return r < 0 ? ps__last_error() : 0;
}

static int recv_one(ps_socket_t s, ps_udp_msg *m, int how)
{
    struct msghdr mh;
    struct iovec iov;
    ctrl_buf ctrl = {{0}};
    ssize_t r;
    build_recv(&mh, &iov, &ctrl, m);
    do
        r = recvmsg(s, &mh, dontwait(how));
    while (r < 0 && errno == EINTR);
    if (r < 0) {
        memset(&m->peer, 0, sizeof m->peer);
        return ps__last_error();
    }
    clear_out(m);
    parse_recv(m, &mh, (size_t)r);
    return 0;
}

/* One message a call: the first waits as how says, the rest take only what
 * moves at once. An error after the first ends the run (a send's reappears
 * on the next call, which starts with that message). */
static int send_loop(ps_socket_t s, const ps_udp_msg *msgs, size_t n, int flags,
                     size_t *done, int how)
{
    size_t i = 0;
    int r = 0;
    if (flags & PS__UDP_PLAIN)
        n = 1;
    /* A send without deadline may block on each message; a timed one
     * takes only what leaves at once after the first. */
    for (; i < n; i++, how = how == PS__IO_BLOCK ? how : PS__IO_NOWAIT) {
        int saved = ps_native_error();
        if ((r = send_one(s, &msgs[i], flags, how)) != 0) {
            if (i > 0)
                ps__keep_native(0, saved);
            break;
        }
    }
    *done = i;
    return i > 0 ? 0 : r;
}

static int recv_loop(ps_socket_t s, ps_udp_msg *msgs, size_t n, int flags,
                     size_t *done, int how)
{
    size_t i = 0;
    int r = 0;
    if (flags & PS__UDP_PLAIN)
        n = 1;
    /* Unlike a send, a receive's error is consumed: it ends the batch
     * with what came before it, and is reported by the next call only if
     * the system keeps it; common code takes one more call (at once) while
     * a call filled all it was asked for, so a later error is seen there. */
    for (; i < n; i++, how = PS__IO_NOWAIT) {
        int saved = ps_native_error();
        if ((r = recv_one(s, &msgs[i], how)) != 0) {
            if (i > 0 && r == PS_EWOULDBLOCK)
                ps__keep_native(0, saved);
            break;
        }
    }
    *done = i;
    return i > 0 && r == PS_EWOULDBLOCK ? 0 : r;
}

#ifdef PS_MMSG
int ps__udp_send_some(ps_socket_t s, const ps_udp_msg *msgs, size_t n,
                      int flags, size_t *done, int how)
{
    struct mmsghdr mm[PS__UDP_CHUNK];
    struct iovec iov[PS__UDP_CHUNK];
    ctrl_buf ctrl[PS__UDP_CHUNK];
    ps_addr mapped;
    int r;
    *done = 0;
    if ((flags & PS__UDP_PLAIN) || n == 1)
        return send_loop(s, msgs, n, flags, done, how);
    if (n > PS__UDP_CHUNK)
        n = PS__UDP_CHUNK;
    /* Linux never needs IPv4 peers mapped (the flag is not set here). */
    for (size_t i = 0; i < n; i++) {
        build_send(&mm[i].msg_hdr, &iov[i], &ctrl[i], &mapped, &msgs[i],
                   flags & ~PS__UDP_MAP_V4);
        mm[i].msg_len = 0;
    }
    do
        r = sendmmsg(s, mm, (unsigned)n, PS__SEND_FLAGS | dontwait(how));
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return ps__last_error();
    *done = (size_t)r;
    return 0;
}

int ps__udp_recv_some(ps_socket_t s, ps_udp_msg *msgs, size_t n, int flags,
                      size_t *done, int how)
{
    struct mmsghdr mm[PS__UDP_CHUNK];
    struct iovec iov[PS__UDP_CHUNK];
    ctrl_buf ctrl[PS__UDP_CHUNK];
    int r;
    *done = 0;
    if ((flags & PS__UDP_PLAIN) || n == 1)
        return recv_loop(s, msgs, n, flags, done, how);
    if (n > PS__UDP_CHUNK)
        n = PS__UDP_CHUNK;
    for (size_t i = 0; i < n; i++) {
        build_recv(&mm[i].msg_hdr, &iov[i], &ctrl[i], &msgs[i]);
        mm[i].msg_len = 0;
    }
    /* MSG_WAITFORONE: a blocking call waits for the first datagram only. */
    do
        r = recvmmsg(s, mm, (unsigned)n,
                     how == PS__IO_BLOCK ? MSG_WAITFORONE : MSG_DONTWAIT, NULL);
    while (r < 0 && errno == EINTR);
    if (r < 0) {
        for (size_t i = 0; i < n; i++)
            memset(&msgs[i].peer, 0, sizeof msgs[i].peer);
        return ps__last_error();
    }
    for (size_t i = 0; i < (size_t)r; i++) {
        clear_out(&msgs[i]);
        parse_recv(&msgs[i], &mm[i].msg_hdr, mm[i].msg_len);
    }
    for (size_t i = (size_t)r; i < n; i++)
        memset(&msgs[i].peer, 0, sizeof msgs[i].peer);
    *done = (size_t)r;
    return 0;
}

int ps__udp_seg_supported(ps_socket_t s)
{
    int v = 0;
    socklen_t len = sizeof v;
    int saved = ps_native_error();
    /* Readable where the kernel knows the option (4.18 and later). */
    int ok = getsockopt(s, SOL_UDP, UDP_SEGMENT, &v, &len) == 0;
    ps__keep_native(0, saved);
    return ok;
}
#else
int ps__udp_send_some(ps_socket_t s, const ps_udp_msg *msgs, size_t n,
                      int flags, size_t *done, int how)
{
    return send_loop(s, msgs, n, flags, done, how);
}

int ps__udp_recv_some(ps_socket_t s, ps_udp_msg *msgs, size_t n, int flags,
                      size_t *done, int how)
{
    return recv_loop(s, msgs, n, flags, done, how);
}

int ps__udp_seg_supported(ps_socket_t s)
{
    (void)s;
    return 0;
}
#endif

static int set_int(ps_socket_t s, int level, int name, int on)
{
    return ps__posix_set_int(s, level, name, on);
}

/* The IPv4 option of a dual-stack socket, for its IPv4 traffic: Linux
 * takes it on an IPv6 socket; other systems may refuse it, ignored. */
static void also_v4(ps_socket_t s, int name, int on)
{
    int saved = ps_native_error();
    (void)set_int(s, IPPROTO_IP, name, on);
    ps__keep_native(0, saved);
}

int ps__udp_set_option(ps_socket_t s, int family, int which, int on)
{
    int r;
    switch (which) {
    case PS__UDPOPT_PKTINFO:
#if defined(IP_PKTINFO)
#define PS_V4_PKTINFO IP_PKTINFO
#else
#define PS_V4_PKTINFO IP_RECVDSTADDR
#endif
        if (family == PS_AF_INET) {
            r = set_int(s, IPPROTO_IP, PS_V4_PKTINFO, on);
#if !defined(IP_PKTINFO) && defined(IP_RECVIF)
            if (r == 0)
                r = set_int(s, IPPROTO_IP, IP_RECVIF, on);
#endif
            return r;
        }
        r = set_int(s, IPPROTO_IPV6, IPV6_RECVPKTINFO, on);
        if (r == 0)
            also_v4(s, PS_V4_PKTINFO, on);
        return r;
    case PS__UDPOPT_ECN:
        if (family == PS_AF_INET)
            return set_int(s, IPPROTO_IP, IP_RECVTOS, on);
        r = set_int(s, IPPROTO_IPV6, IPV6_RECVTCLASS, on);
        if (r == 0)
            also_v4(s, IP_RECVTOS, on);
        return r;
    default:
#ifdef PS_MMSG
        return set_int(s, SOL_UDP, UDP_GRO, on);
#else
        r = ps__socket_probe(s);
        return r != 0 ? r : on ? PS_ENOTSUP : 0;
#endif
    }
}
