/* SPDX-License-Identifier: MIT */
/* ps_tls_conn_new: a buffered ps_conn over a TLS connection, through the
 * core's public transport interface (portsock_tls sees nothing else of
 * portsock). Every step takes timeout 0: the event loop does the waits. */
#include <stdint.h>

#include "portsock_tls.h"

/* As much as goes now, small buffers (a frame's header and payload)
 * gathered into one record. A record cut short is finished by the next
 * call, which the queue gives the same bytes and more (ps_tls_send's
 * rule). */
static int tls_send(void *ctx, const ps_iovec *iov, size_t n, size_t *sent)
{
    ps_tls *t = (ps_tls *)ctx;
    *sent = 0;
    /* Nothing to send: the handshake's next step, if it is not done. */
    if (n == 0)
        return ps_tls_handshake(t, 0);
    int r = ps_tls_sendv_all(t, iov, n, sent, 0);
    return r == PS_EWOULDBLOCK && *sent > 0 ? 0 : r;
}

static int tls_recv(void *ctx, void *buf, size_t cap, size_t *got)
{
    return ps_tls_recv((ps_tls *)ctx, buf, cap, got, 0);
}

static unsigned tls_wants(void *ctx)
{
    return ps_tls_wants((const ps_tls *)ctx);
}

static size_t tls_pending(void *ctx)
{
    return ps_tls_pending((const ps_tls *)ctx);
}

static int tls_close(void *ctx)
{
    return ps_tls_close((ps_tls *)ctx);
}

static const ps_conn_transport tls_transport = {tls_send, tls_recv, tls_wants,
                                                tls_pending, tls_close};

int ps_tls_conn_new(ps_conn **out, ps_tls *t, const ps_conn_limits *limits)
{
    if (!out)
        return PS_EINVAL;
    *out = NULL;
    if (!t)
        return PS_EINVAL;
    /* The first step (a client's ClientHello), so that something is on
     * its way before the loop waits for what ps_conn_wants says. */
    int r = ps_tls_handshake(t, 0);
    if (r != 0 && r != PS_EWOULDBLOCK)
        return r;
    return ps_conn_new_transport(out, ps_tls_socket(t), &tls_transport, t,
                                 limits);
}
