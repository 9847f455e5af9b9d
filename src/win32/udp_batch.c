/* SPDX-License-Identifier: MIT */
/* Windows: batched datagrams, one WSASendMsg / WSARecvMsg per datagram
 * (Winsock has no call for several), with IP_PKTINFO / IPV6_PKTINFO for
 * the local address and interface, IP_ECN / IPV6_ECN (else IP_RECVTOS /
 * IPV6_RECVTCLASS) for the ECN bits, and USO / URO (UDP_SEND_MSG_SIZE,
 * UDP_RECV_MAX_COALESCED_SIZE) where the system accepts them. Wine 8
 * refuses USO and URO (WSAEINVAL) and ignores a source address given on
 * send. */
#include "win32.h"

#include <limits.h>
#include <stddef.h>
#include <mswsock.h>

#ifndef UDP_SEND_MSG_SIZE
#define UDP_SEND_MSG_SIZE 2
#endif
#ifndef UDP_RECV_MAX_COALESCED_SIZE
#define UDP_RECV_MAX_COALESCED_SIZE 3
#endif
#ifndef UDP_COALESCED_INFO
#define UDP_COALESCED_INFO 3
#endif
/* IP_ECN / IPV6_ECN (50): the option that asks for the ECN bits on
 * receive and the control message that carries them either way. */
#define PS_IP_ECN 50
#define PS_IP_RECVTOS 40
#define PS_IPV6_RECVTCLASS 40
#define PS_IPV6_TCLASS 39
#define PS_IP_TOS 3

/* Aligned for any control message header (cmsghdr has a flexible array,
 * so it cannot be a member). */
typedef struct ctrl_buf {
    _Alignas(max_align_t) char bytes[256];
} ctrl_buf;

static LPFN_WSARECVMSG recv_msg_fn;
static LPFN_WSASENDMSG send_msg_fn;

/* The extension functions, asked for once per process (the same for every
 * socket of the provider). 0, or the WSA error. */
static int load_fn(SOCKET s, int send)
{
    GUID recv_id = WSAID_WSARECVMSG, send_id = WSAID_WSASENDMSG;
    void *fn = NULL;
    DWORD got = 0;
    void *volatile *slot = send ? (void *volatile *)&send_msg_fn
                                : (void *volatile *)&recv_msg_fn;
    if (InterlockedCompareExchangePointer(slot, NULL, NULL) != NULL)
        return 0;
    if (WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER,
                 send ? &send_id : &recv_id, sizeof(GUID), &fn, sizeof fn, &got,
                 NULL, NULL) != 0)
        return WSAGetLastError();
    InterlockedExchangePointer(slot, fn);
    return 0;
}

static void *add_cmsg(WSAMSG *mh, int level, int type, size_t len)
{
    WSACMSGHDR *cm = (WSACMSGHDR *)(void *)(mh->Control.buf + mh->Control.len);
    memset(cm, 0, WSA_CMSG_SPACE(len));
    cm->cmsg_level = level;
    cm->cmsg_type = type;
    cm->cmsg_len = WSA_CMSG_LEN(len);
    mh->Control.len += (ULONG)WSA_CMSG_SPACE(len);
    return WSA_CMSG_DATA(cm);
}

static void put_dword(WSAMSG *mh, int level, int type, DWORD v)
{
    memcpy(add_cmsg(mh, level, type, sizeof v), &v, sizeof v);
}

typedef struct send_call {
    WSAMSG mh;
    WSABUF data;
    ctrl_buf ctrl;
    ps_addr mapped;
    int ecn_at; /* Control.len before the ECN message, or -1 */
    DWORD sent;
} send_call;

static void build_send(send_call *c, const ps_udp_msg *m, int flags)
{
    const ps_addr *to = &m->peer;
    ps__endpoint ep;
    int v4 = ps_addr_family(&m->peer) == PS_AF_INET ||
             (m->peer.len == 0 && ps_addr_family(&m->local) == PS_AF_INET);
    memset(&c->mh, 0, sizeof c->mh);
    if ((flags & PS__UDP_MAP_V4) && m->peer.len != 0 &&
        ps__addr_mapped(&m->peer, &c->mapped, 0) == 0)
        to = &c->mapped;
    c->data.buf = (char *)m->buf;
    c->data.len = (ULONG)m->len;
    c->mh.lpBuffers = &c->data;
    c->mh.dwBufferCount = 1;
    if (to->len != 0) {
        c->mh.name = (LPSOCKADDR)(void *)(uintptr_t)to->storage.bytes;
        c->mh.namelen = (INT)to->len;
    }
    c->mh.Control.buf = c->ctrl.bytes;
    c->mh.Control.len = 0;
    memset(&ep, 0, sizeof ep);
    if (m->local.len != 0)
        (void)ps__addr_decode(&m->local, &ep);
    /* The source: IP_PKTINFO for IPv4 traffic (also of a dual-stack
     * socket, as Windows reads it), IPV6_PKTINFO for IPv6. */
    if (m->local.len != 0 || m->ifindex != 0) {
        if (v4) {
            IN_PKTINFO pi;
            memset(&pi, 0, sizeof pi);
            if (ep.family == PS_AF_INET)
                memcpy(&pi.ipi_addr, ep.ip, 4);
            pi.ipi_ifindex = m->ifindex;
            memcpy(add_cmsg(&c->mh, IPPROTO_IP, IP_PKTINFO, sizeof pi), &pi,
                   sizeof pi);
        } else {
            IN6_PKTINFO pi6;
            memset(&pi6, 0, sizeof pi6);
            if (ep.family == PS_AF_INET6)
                memcpy(&pi6.ipi6_addr, ep.ip, 16);
            pi6.ipi6_ifindex = m->ifindex;
            memcpy(add_cmsg(&c->mh, IPPROTO_IPV6, IPV6_PKTINFO, sizeof pi6),
                   &pi6, sizeof pi6);
        }
    }
    if (m->segment_size != 0 && m->segment_size < m->len)
        put_dword(&c->mh, IPPROTO_UDP, UDP_SEND_MSG_SIZE,
                  (DWORD)m->segment_size);
    c->ecn_at = -1;
    if (m->ecn != 0) {
        c->ecn_at = (int)c->mh.Control.len;
        put_dword(&c->mh, v4 ? IPPROTO_IP : IPPROTO_IPV6, PS_IP_ECN,
                  (DWORD)m->ecn);
    }
    if (c->mh.Control.len == 0)
        c->mh.Control.buf = NULL;
}

static int run_send(SOCKET s, void *ctx)
{
    send_call *c = (send_call *)ctx;
    if (send_msg_fn(s, &c->mh, 0, &c->sent, NULL, NULL) == 0)
        return 0;
    int err = WSAGetLastError();
    /* A system without ECN on send (before Windows 11) refuses the
     * message: it leaves without the bits, as a network may clear them. */
    if (err == WSAEINVAL && c->ecn_at >= 0) {
        c->mh.Control.len = (ULONG)c->ecn_at;
        c->ecn_at = -1;
        if (c->mh.Control.len == 0)
            c->mh.Control.buf = NULL;
        return WSAEINTR; /* run again */
    }
    return err;
}

typedef struct recv_call {
    WSAMSG mh;
    WSABUF data;
    ctrl_buf ctrl;
    ps_udp_msg *m;
    DWORD got;
    int truncated;
} recv_call;

static int is_datagram(SOCKET s)
{
    int type = 0, len = sizeof type;
    if (getsockopt(s, SOL_SOCKET, SO_TYPE, (char *)&type, &len) != 0)
        return 0;
    return type == SOCK_DGRAM;
}

static int run_recv(SOCKET s, void *ctx)
{
    recv_call *c = (recv_call *)ctx;
    ps_udp_msg *m = c->m;
    memset(&c->mh, 0, sizeof c->mh);
    memset(&m->peer, 0, sizeof m->peer);
    c->data.buf = (char *)m->buf;
    c->data.len = (ULONG)(m->len > (size_t)INT_MAX ? (size_t)INT_MAX : m->len);
    c->mh.lpBuffers = &c->data;
    c->mh.dwBufferCount = 1;
    c->mh.name = (LPSOCKADDR)(void *)m->peer.storage.bytes;
    c->mh.namelen = (INT)sizeof m->peer.storage.bytes;
    c->mh.Control.buf = c->ctrl.bytes;
    c->mh.Control.len = sizeof c->ctrl.bytes;
    c->got = 0;
    c->truncated = 0;
    if (recv_msg_fn(s, &c->mh, &c->got, NULL, NULL) == 0) {
        c->truncated = (c->mh.dwFlags & MSG_TRUNC) != 0;
        return 0;
    }
    int err = WSAGetLastError();
    /* ICMP port unreachable from an earlier send, on a socket not made by
     * portsock: not an error of this receive (as ps_recvfrom). */
    if ((err == WSAECONNRESET || err == WSAENETRESET) && is_datagram(s))
        return WSAEINTR;
    if (err == WSAEMSGSIZE) {
        /* Cut to the buffer; Wine then reports a count of 0 while it has
         * filled the buffer, so the count is the buffer's. */
        c->truncated = 1;
        c->got = c->data.len;
        return 0;
    }
    return err;
}

static int cmsg_int(const WSACMSGHDR *cm)
{
    size_t len = cm->cmsg_len - WSA_CMSG_LEN(0);
    if (len >= sizeof(INT)) {
        INT v;
        memcpy(&v, WSA_CMSG_DATA(cm), sizeof v);
        return v;
    }
    return len >= 1 ? *(const unsigned char *)WSA_CMSG_DATA(cm) : 0;
}

static void parse_recv(recv_call *c)
{
    ps_udp_msg *m = c->m;
    memset(&m->local, 0, sizeof m->local);
    m->ifindex = 0;
    m->ecn = 0;
    m->segment_size = 0;
    m->len = c->got;
    m->truncated = c->truncated;
    if (c->mh.namelen > 0 && c->mh.namelen <= (INT)sizeof m->peer.storage.bytes)
        m->peer.len = (uint32_t)c->mh.namelen;
    if (c->mh.Control.len == 0)
        return;
    for (WSACMSGHDR *cm = WSA_CMSG_FIRSTHDR(&c->mh); cm;
         cm = WSA_CMSG_NXTHDR(&c->mh, cm)) {
        if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
            IN_PKTINFO pi;
            memcpy(&pi, WSA_CMSG_DATA(cm), sizeof pi);
            ps__udp_local_from(m, PS_AF_INET, &pi.ipi_addr, pi.ipi_ifindex);
        } else if (cm->cmsg_level == IPPROTO_IPV6 &&
                   cm->cmsg_type == IPV6_PKTINFO) {
            IN6_PKTINFO pi6;
            memcpy(&pi6, WSA_CMSG_DATA(cm), sizeof pi6);
            ps__udp_local_from(m, PS_AF_INET6, &pi6.ipi6_addr,
                               pi6.ipi6_ifindex);
        } else if ((cm->cmsg_level == IPPROTO_IP &&
                    (cm->cmsg_type == PS_IP_ECN ||
                     cm->cmsg_type == PS_IP_TOS)) ||
                   (cm->cmsg_level == IPPROTO_IPV6 &&
                    (cm->cmsg_type == PS_IP_ECN ||
                     cm->cmsg_type == PS_IPV6_TCLASS))) {
            m->ecn = cmsg_int(cm) & 3;
        } else if (cm->cmsg_level == IPPROTO_UDP &&
                   cm->cmsg_type == UDP_COALESCED_INFO) {
            DWORD seg;
            memcpy(&seg, WSA_CMSG_DATA(cm), sizeof seg);
            m->segment_size = seg;
        }
    }
}

int ps__udp_send_some(ps_socket_t ps, const ps_udp_msg *msgs, size_t n,
                      int flags, size_t *done, int how)
{
    SOCKET s = (SOCKET)ps;
    size_t i = 0;
    int rc = 0, err;
    *done = 0;
    if ((err = load_fn(s, 1)) != 0)
        return ps__win_error(err);
    if (flags & PS__UDP_PLAIN)
        n = 1;
    /* One call a message: the first waits as how says, and in a timed
     * call the rest take only what leaves at once; an error after the
     * first reappears when the next call starts with that message. */
    for (; i < n; how = how == PS__IO_BLOCK ? how : PS__IO_NOWAIT) {
        send_call c;
        int ok = 0, saved = ps_native_error();
        build_send(&c, &msgs[i], flags);
        rc = ps__win_call(s, PS__WANT_WRITE, how, run_send, &c, &ok);
        /* Sent, though the socket may then have refused to go back to
         * blocking mode (rc says so): counted either way. */
        if (ok)
            i++;
        if (rc != 0) {
            if (!ok && i > 0) {
                ps__keep_native(0, saved);
                rc = 0;
            }
            break;
        }
    }
    *done = i;
    return rc;
}

int ps__udp_recv_some(ps_socket_t ps, ps_udp_msg *msgs, size_t n, int flags,
                      size_t *done, int how)
{
    SOCKET s = (SOCKET)ps;
    size_t i = 0;
    int rc = 0, err;
    *done = 0;
    if ((err = load_fn(s, 0)) != 0)
        return ps__win_error(err);
    if (flags & PS__UDP_PLAIN)
        n = 1;
    /* A receive's error is consumed: after the first datagram it ends the
     * batch and is returned with what came before (would-block is none). */
    for (; i < n; how = PS__IO_NOWAIT) {
        recv_call c;
        int ok = 0, saved = ps_native_error();
        c.m = &msgs[i];
        rc = ps__win_call(s, PS__WANT_READ, how, run_recv, &c, &ok);
        if (ok) {
            parse_recv(&c);
            i++;
        } else {
            memset(&msgs[i].peer, 0, sizeof msgs[i].peer);
        }
        if (rc != 0) {
            if (!ok && i > 0 && rc == PS_EWOULDBLOCK) {
                ps__keep_native(0, saved);
                rc = 0;
            }
            break;
        }
    }
    *done = i;
    return rc;
}

int ps__udp_seg_supported(ps_socket_t ps)
{
    DWORD v = 0;
    int len = sizeof v;
    int saved = ps_native_error();
    int ok = getsockopt((SOCKET)ps, IPPROTO_UDP, UDP_SEND_MSG_SIZE, (char *)&v,
                        &len) == 0;
    ps__keep_native(0, saved);
    return ok;
}

static int set_dword(ps_socket_t s, int level, int name, DWORD v)
{
    if (setsockopt((SOCKET)s, level, name, (const char *)&v, sizeof v) != 0)
        return ps__last_error();
    return 0;
}

/* The IPv4 option of a dual-stack socket, for its IPv4 traffic; a refusal
 * is ignored. */
static void also_v4(ps_socket_t s, int name, DWORD on)
{
    int saved = ps_native_error();
    (void)set_dword(s, IPPROTO_IP, name, on);
    ps__keep_native(0, saved);
}

/* IP_ECN / IPV6_ECN (Windows 10 2004 and later), else the TOS / traffic
 * class, whose low bits are the ECN bits. */
static int set_ecn(ps_socket_t s, int level, int fallback, DWORD on)
{
    int saved = ps_native_error();
    if (set_dword(s, level, PS_IP_ECN, on) == 0) {
        ps__keep_native(0, saved);
        return 0;
    }
    return set_dword(s, level, fallback, on);
}

int ps__udp_set_option(ps_socket_t s, int family, int which, int on)
{
    int r;
    switch (which) {
    case PS__UDPOPT_PKTINFO:
        if (family == PS_AF_INET)
            return set_dword(s, IPPROTO_IP, IP_PKTINFO, (DWORD)on);
        r = set_dword(s, IPPROTO_IPV6, IPV6_PKTINFO, (DWORD)on);
        if (r == 0)
            also_v4(s, IP_PKTINFO, (DWORD)on);
        return r;
    case PS__UDPOPT_ECN:
        if (family == PS_AF_INET)
            return set_ecn(s, IPPROTO_IP, PS_IP_RECVTOS, (DWORD)on);
        r = set_ecn(s, IPPROTO_IPV6, PS_IPV6_RECVTCLASS, (DWORD)on);
        if (r == 0) {
            int saved = ps_native_error();
            (void)set_ecn(s, IPPROTO_IP, PS_IP_RECVTOS, (DWORD)on);
            ps__keep_native(0, saved);
        }
        return r;
    default:
        return set_dword(s, IPPROTO_UDP, UDP_RECV_MAX_COALESCED_SIZE,
                         on ? 65535u : 0u);
    }
}
