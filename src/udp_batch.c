/* SPDX-License-Identifier: MIT */
/* Batched datagrams (ps_udp_sendmsgs, ps_udp_recvmsgs) and their options,
 * written once: argument checks, the deadline, segments the system will
 * not cut, IPv4 addresses of dual-stack sockets. src/posix/udp_batch.c and
 * src/win32/udp_batch.c make the system calls. */
#include "internal.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* Read once per process: 0 not yet, 1 batching, 2 forced fallback. */
static volatile long plain_state;
/* Whether the system cuts segmented sends, probed on the first socket
 * that needs to know: 0 not yet, 1 yes, 2 no. Once per process, not per
 * socket: the probe asks whether the kernel knows the option (Linux 4.18,
 * both IP families in the same release; Windows where UDP_SEND_MSG_SIZE
 * is accepted), which no socket of a process can answer differently.
 * What does differ per socket and route (a device that cannot checksum or
 * segment, SO_NO_CHECK, a segment above the path MTU) no probe can see:
 * the send itself is refused, and send_attempt cuts that message instead. */
static volatile long seg_state;

/* PORTSOCK_UDP_PLAIN=1: one datagram per system call, no offload. Tests
 * run the same cases through the fallback with it on Linux, where the
 * batching calls would otherwise always be taken. */
static int plain_forced(void)
{
    long v = ps__atomic_load(&plain_state);
    if (v == 0) {
        const char *e = getenv("PORTSOCK_UDP_PLAIN");
        v = (e && strcmp(e, "1") == 0) ? 2 : 1;
        (void)ps__atomic_swap(&plain_state, v);
    }
    return v == 2;
}

static int seg_supported(ps_socket_t s)
{
    long v = ps__atomic_load(&seg_state);
    if (v == 0) {
        v = ps__udp_seg_supported(s) ? 1 : 2;
        (void)ps__atomic_swap(&seg_state, v);
    }
    return v == 1;
}

static int check_send_msg(const ps_udp_msg *m)
{
    int lf = ps_addr_family(&m->local);
    if (!m->buf && m->len > 0)
        return PS_EINVAL;
    /* An empty peer is the connected one; anything else must be an
     * address, as ps_sendto's `to`. */
    if (m->peer.len != 0 && ps_addr_family(&m->peer) == PS_AF_UNSPEC)
        return PS_EINVAL;
    if (m->local.len != 0 && lf != PS_AF_INET && lf != PS_AF_INET6)
        return PS_EINVAL;
    if (m->ecn < 0 || m->ecn > 3)
        return PS_EINVAL;
    return 0;
}

/* A local address picks the source IP only: a datagram always leaves
 * from the socket's own port. Port 0 means that port; the port itself is
 * accepted; any other cannot be honoured (PS_EINVAL, nothing sent). The
 * socket's name is read only when some message names a port. */
static int check_local_ports(ps_socket_t s, const ps_udp_msg *msgs, size_t n)
{
    int own = -1;
    for (size_t i = 0; i < n; i++) {
        int port = msgs[i].local.len != 0 ? ps_addr_port(&msgs[i].local) : 0;
        if (port <= 0)
            continue;
        if (own < 0) {
            ps_addr me;
            int r = ps_local_addr(s, &me);
            if (r != 0)
                return r;
            own = ps_addr_port(&me);
        }
        if (port != own)
            return PS_EINVAL;
    }
    return 0;
}

typedef struct send_ctx {
    ps_socket_t s;
    const ps_udp_msg *msgs;
    size_t n;
    size_t i;       /* the next message */
    size_t seg_off; /* bytes of msgs[i] already sent as separate segments */
    size_t moved;   /* messages the last attempt finished */
    int flags;      /* PS__UDP_* */
    int map_tried;
    int seg_refused; /* the system refused to cut a message in this call */
} send_ctx;

/* Whether common code must cut m into datagrams itself. */
static int needs_cut(const send_ctx *c, const ps_udp_msg *m)
{
    if (m->segment_size == 0 || m->segment_size >= m->len)
        return 0;
    if ((c->flags & PS__UDP_PLAIN) || c->seg_refused)
        return 1;
    if (m->len > PS__UDP_SEG_MAX_LEN ||
        (m->len - 1) / m->segment_size + 1 > PS__UDP_SEG_MAX)
        return 1;
    return !seg_supported(c->s);
}

/* One platform attempt; an IPv4 peer from an IPv6 socket is tried again
 * as \::ffff:a.b.c.d where the system wants that (as ps_sendto does). */
static int send_some(send_ctx *c, const ps_udp_msg *m, size_t k, size_t *done,
                     int how)
{
    int r = ps__udp_send_some(c->s, m, k, c->flags, done, how);
    if (r != 0 && r != PS_EWOULDBLOCK && !c->map_tried &&
        ps_addr_family(&m->peer) == PS_AF_INET) {
        int family;
        c->map_tried = 1;
        if (ps__socket_family(c->s, &family) == 0 && family == PS_AF_INET6) {
            c->flags |= PS__UDP_MAP_V4;
            r = ps__udp_send_some(c->s, m, k, c->flags, done, how);
        }
    }
    return r;
}

/* Whether r, from a send that started with m, is the system refusing to
 * cut m: Linux gives EIO (PS_EUNKNOWN) when the route's device cannot
 * checksum or segment it, EINVAL for a socket without UDP checksums
 * (SO_NO_CHECK) or a segment longer than the path MTU, EMSGSIZE for a
 * message it will not take whole. Cut by portsock instead, each datagram
 * meets the system on its own: a real error is then reported for it. */
static int refused_cut(const ps_udp_msg *m, int r)
{
    if (m->segment_size == 0 || m->segment_size >= m->len)
        return 0;
    return r == PS_EUNKNOWN || r == PS_EINVAL || r == PS_EMSGSIZE ||
           r == PS_ENOTSUP;
}

static int send_attempt(void *ctx, int how)
{
    send_ctx *c = (send_ctx *)ctx;
    const ps_udp_msg *m = &c->msgs[c->i];
    size_t k = 0, run = 1;
    int r;
    c->moved = 0;
    if (needs_cut(c, m)) {
        /* The next segment alone, as a message of its own. */
        ps_udp_msg one = *m;
        size_t left = m->len - c->seg_off;
        one.buf = (unsigned char *)m->buf + c->seg_off;
        one.len = left < m->segment_size ? left : m->segment_size;
        one.segment_size = 0;
        if (one.len > (size_t)INT_MAX)
            return PS_EMSGSIZE;
        r = send_some(c, &one, 1, &k, how);
        if (r == 0) {
            c->seg_off += one.len;
            if (c->seg_off == m->len) {
                c->seg_off = 0;
                c->moved = 1;
            }
        }
        return r;
    }
    /* As ps_sendto: no datagram is that long, and Winsock counts in an
     * int. A segmented message longer than INT_MAX was cut above. */
    if (m->len > (size_t)INT_MAX)
        return PS_EMSGSIZE;
    while (run < PS__UDP_CHUNK && c->i + run < c->n &&
           !needs_cut(c, &c->msgs[c->i + run]) &&
           c->msgs[c->i + run].len <= (size_t)INT_MAX)
        run++;
    int saved = ps_native_error();
    r = send_some(c, m, run, &k, how);
    c->moved = k;
    if (r != 0 && refused_cut(m, r)) {
        /* The rest of this call's segmented messages are cut here too:
         * they likely take the same route. The next call asks again. */
        c->seg_refused = 1;
        ps__keep_native(0, saved);
        return send_attempt(ctx, how);
    }
    return r;
}

int ps_udp_sendmsgs(ps_socket_t s, const ps_udp_msg *msgs, size_t n,
                    size_t *done, int timeout_ms)
{
    if (done)
        *done = 0;
    if (!msgs && n > 0)
        return PS_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (check_send_msg(&msgs[i]) != 0)
            return PS_EINVAL;
    int r = ps__check_socket(s);
    if (r != 0)
        return r;
    if (n == 0)
        return ps__socket_probe(s); /* no call to notice a non-socket */
    if ((r = check_local_ports(s, msgs, n)) != 0)
        return r;
    send_ctx c;
    memset(&c, 0, sizeof c);
    c.s = s;
    c.msgs = msgs;
    c.n = n;
    c.flags = plain_forced() ? PS__UDP_PLAIN : 0;
    ps__deadline d;
    ps__deadline_start(&d, timeout_ms);
    while (c.i < n) {
        c.moved = 0;
        r = ps__until_ready(s, PS__WANT_WRITE, &d, 0, send_attempt, &c);
        c.i += c.moved;
        if (r != 0)
            break;
    }
    if (done)
        *done = c.i;
    return r;
}

typedef struct recv_ctx {
    ps_socket_t s;
    ps_udp_msg *msgs;
    size_t n;
    size_t i;     /* messages filled */
    size_t asked; /* by the last attempt */
    size_t moved; /* messages the last attempt filled */
    int flags;
} recv_ctx;

static int recv_attempt(void *ctx, int how)
{
    recv_ctx *c = (recv_ctx *)ctx;
    size_t k = c->n - c->i;
    if (k > PS__UDP_CHUNK)
        k = PS__UDP_CHUNK;
    if (c->flags & PS__UDP_PLAIN)
        k = 1;
    c->asked = k;
    c->moved = 0;
    return ps__udp_recv_some(c->s, c->msgs + c->i, k, c->flags, &c->moved, how);
}

/* An IPv4 peer or destination of a dual-stack socket comes as
 * ::ffff:a.b.c.d: given back as the IPv4 address it is. */
static void unmap(ps_addr *a)
{
    ps_addr plain;
    if (a->len != 0 && ps__addr_mapped(a, &plain, 1) == 0)
        *a = plain;
}

int ps_udp_recvmsgs(ps_socket_t s, ps_udp_msg *msgs, size_t n, size_t *done,
                    int timeout_ms)
{
    if (done)
        *done = 0;
    if (!msgs || n == 0)
        return PS_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (!msgs[i].buf && msgs[i].len > 0)
            return PS_EINVAL;
    int r = ps__check_socket(s);
    if (r != 0)
        return r;
    int saved = ps_native_error();
    recv_ctx c;
    memset(&c, 0, sizeof c);
    c.s = s;
    c.msgs = msgs;
    c.n = n;
    c.flags = plain_forced() ? PS__UDP_PLAIN : 0;
    ps__deadline d;
    ps__deadline_start(&d, timeout_ms);
    r = ps__until_ready(s, PS__WANT_READ, &d, 0, recv_attempt, &c);
    c.i += c.moved;
    /* Then what is queued already, without waiting: another call only
     * while the last one filled all it was asked for. */
    while (r == 0 && c.i < n && c.moved == c.asked) {
        r = recv_attempt(&c, PS__IO_NOWAIT);
        c.i += c.moved;
        if (r == PS_EWOULDBLOCK) {
            r = 0;
            break;
        }
    }
    for (size_t i = 0; i < c.i; i++) {
        unmap(&msgs[i].peer);
        unmap(&msgs[i].local);
    }
    if (done)
        *done = c.i;
    return ps__keep_native(r, saved);
}

static int set_recv(ps_socket_t s, int which, int on)
{
    int family;
    if (on != 0 && on != 1)
        return PS_EINVAL;
    int r = ps__ip_family(s, &family);
    return r != 0 ? r : ps__udp_set_option(s, family, which, on);
}

int ps_set_recv_pktinfo(ps_socket_t s, int on)
{
    return set_recv(s, PS__UDPOPT_PKTINFO, on);
}

int ps_set_recv_ecn(ps_socket_t s, int on)
{
    return set_recv(s, PS__UDPOPT_ECN, on);
}

int ps_udp_offload(ps_socket_t s, unsigned want, unsigned *got)
{
    unsigned g = 0;
    int family;
    if (got)
        *got = 0;
    if ((want & ~(unsigned)(PS_UDP_OFFLOAD_SEND | PS_UDP_OFFLOAD_RECV)) != 0)
        return PS_EINVAL;
    int r = ps__ip_family(s, &family);
    if (r != 0)
        return r;
    /* An offload the system refuses is no failure: the fallback serves. */
    int saved = ps_native_error();
    int recv = (want & PS_UDP_OFFLOAD_RECV) && !plain_forced();
    r = ps__udp_set_option(s, family, PS__UDPOPT_COALESCE, recv);
    if (r == 0 && recv)
        g |= PS_UDP_OFFLOAD_RECV;
    if ((want & PS_UDP_OFFLOAD_SEND) && !plain_forced() && seg_supported(s))
        g |= PS_UDP_OFFLOAD_SEND;
    ps__keep_native(0, saved);
    if (got)
        *got = g;
    return 0;
}

void ps__udp_local_from(ps_udp_msg *m, int family, const void *ip,
                        uint32_t ifindex)
{
    ps__endpoint ep;
    memset(&ep, 0, sizeof ep);
    ep.family = family;
    memcpy(ep.ip, ip, family == PS_AF_INET ? 4 : 16);
    /* A link-local destination is only meaningful with its interface. */
    if (family == PS_AF_INET6 && ep.ip[0] == 0xFE && (ep.ip[1] & 0xC0) == 0x80)
        ep.scope_id = ifindex;
    (void)ps__addr_encode(&ep, &m->local);
    m->ifindex = ifindex;
}
