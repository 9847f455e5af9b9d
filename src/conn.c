/* SPDX-License-Identifier: MIT */
/* ps_conn: a buffered connection for event loops, over a transport (a
 * plain socket here; portsock_tls gives one for TLS). Sends go straight to
 * the transport while nothing is queued, so the common case copies
 * nothing; only what the transport does not take is queued. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

enum {
    DEFAULT_HIGH_WATER = 64 * 1024,
    DEFAULT_MAX_LINE = 64 * 1024,
    DEFAULT_MAX_FRAME = 1024 * 1024,
    READ_CHUNK = 16384, /* room one receive is given */
    FRAME_HEADER = 4
};

/* The connection's state. OPEN -> READ_ENDED when the peer's end of
 * stream is read (sending goes on); OPEN or READ_ENDED -> FAILED on a
 * transport error (both directions are gone: the queue is dropped). */
typedef enum conn_state { CONN_OPEN, CONN_READ_ENDED, CONN_FAILED } conn_state;

/* What the receive side is discarding: nothing, the rest of an over-long
 * line (up to its "\n"), or the rest of an over-large frame (skip_left). */
typedef enum rx_skip { SKIP_NONE, SKIP_LINE, SKIP_BYTES } rx_skip;

struct ps_conn {
    ps_conn_transport t;
    void *ctx;
    ps_socket_t sock;
    conn_state state;
    int error; /* FAILED: the transport's error */
    ps_conn_limits lim;
    size_t rx_limit; /* most unconsumed bytes fill reads ahead */
    ps__cbuf q;      /* the send queue */
    ps__cbuf rx;     /* the receive buffer */
    rx_skip skip;
    uint64_t skip_left;  /* SKIP_BYTES: bytes still to discard */
    size_t line_scanned; /* bytes from rx.head known to hold no "\n" */
    ps_conn_stats st;    /* st.queued is kept as q's length */
    /* What the queue waits for: WRITE, or what the transport needed when
     * its send stopped (a TLS handshake waiting for the peer: READ), so
     * that a writable socket does not wake the loop for a send that
     * cannot go. A fill resets it to WRITE, as reading may unblock it. */
    unsigned send_wants;
};

/* ---- The plain socket transport ---- */

static int sock_send(void *ctx, const ps_iovec *iov, size_t n, size_t *sent)
{
    ps_socket_t s = (ps_socket_t)(uintptr_t)ctx;
    int saved = ps_native_error();
    int r = n == 1
                ? ps__send_once(s, iov[0].base, iov[0].len, sent, PS__IO_NOWAIT)
                : ps__sendv_once(s, iov, n, 0, sent, PS__IO_NOWAIT);
    return ps__keep_native(r, saved);
}

static int sock_recv(void *ctx, void *buf, size_t cap, size_t *got)
{
    ps_socket_t s = (ps_socket_t)(uintptr_t)ctx;
    int saved = ps_native_error();
    return ps__keep_native(ps__recv_once(s, buf, cap, got, PS__IO_NOWAIT),
                           saved);
}

static int sock_close(void *ctx)
{
    return ps_close((ps_socket_t)(uintptr_t)ctx);
}

static const ps_conn_transport sock_transport = {sock_send, sock_recv, NULL,
                                                 NULL, sock_close};

/* ---- Creation and teardown ---- */

static size_t or_default(size_t v, size_t def)
{
    return v ? v : def;
}

int ps_conn_new_transport(ps_conn **out, ps_socket_t s,
                          const ps_conn_transport *t, void *ctx,
                          const ps_conn_limits *limits)
{
    if (!out)
        return PS_EINVAL;
    *out = NULL;
    if (!t || !t->send || !t->recv || !t->close)
        return PS_EINVAL;
    ps_conn *c = (ps_conn *)calloc(1, sizeof *c);
    if (!c)
        return PS_ENOMEM;
    ps_conn_limits lim = {0, 0, 0, 0};
    if (limits)
        lim = *limits;
    c->lim.high_water = or_default(lim.high_water, DEFAULT_HIGH_WATER);
    c->lim.max_queued = or_default(lim.max_queued, SIZE_MAX);
    c->lim.max_line = or_default(lim.max_line, DEFAULT_MAX_LINE);
    c->lim.max_frame = or_default(lim.max_frame, DEFAULT_MAX_FRAME);
    /* A whole line with its "\n", or a whole frame with its header, fits. */
    size_t line = c->lim.max_line < SIZE_MAX ? c->lim.max_line + 1 : SIZE_MAX;
    size_t frame = c->lim.max_frame <= SIZE_MAX - FRAME_HEADER
                       ? c->lim.max_frame + FRAME_HEADER
                       : SIZE_MAX;
    c->rx_limit = line > frame ? line : frame;
    c->t = *t;
    c->ctx = ctx;
    c->sock = s;
    c->state = CONN_OPEN;
    c->send_wants = PS_POLL_WRITE;
    *out = c;
    return 0;
}

int ps_conn_new(ps_conn **out, ps_socket_t s, const ps_conn_limits *limits)
{
    if (!out)
        return PS_EINVAL;
    *out = NULL;
    int r = ps__check_socket(s);
    if (r == 0)
        r = ps_set_nonblocking(s, 1);
    if (r != 0)
        return r;
    return ps_conn_new_transport(out, s, &sock_transport, (void *)(uintptr_t)s,
                                 limits);
}

/* Drops the queue, counting it. */
static void drop_queue(ps_conn *c)
{
    c->st.dropped += c->q.tail - c->q.head;
    ps__cbuf_consume(&c->q, c->q.tail - c->q.head);
}

/* Any state -> FAILED: the queue can no longer go anywhere. A user's
 * transport that returns what no failure is gets PS_EUNKNOWN. */
static int fail(ps_conn *c, int err)
{
    if (err >= 0 || err == PS_EWOULDBLOCK)
        err = PS_EUNKNOWN;
    if (c->state != CONN_FAILED) {
        c->state = CONN_FAILED;
        c->error = err;
    }
    drop_queue(c);
    return err;
}

int ps_conn_close(ps_conn *c, uint64_t *dropped)
{
    if (dropped)
        *dropped = 0;
    if (!c)
        return 0;
    drop_queue(c);
    if (dropped)
        *dropped = c->st.dropped;
    int r = c->t.close(c->ctx);
    ps__cbuf_free(&c->q);
    ps__cbuf_free(&c->rx);
    free(c);
    return r;
}

ps_socket_t ps_conn_socket(const ps_conn *c)
{
    return c ? c->sock : PS_INVALID_SOCKET;
}

/* ---- Sending ---- */

static size_t queued(const ps_conn *c)
{
    return c->q.tail - c->q.head;
}

/* After a send that left bytes queued: what the transport waits for. */
static void note_send_blocked(ps_conn *c)
{
    unsigned w = c->t.wants
                     ? c->t.wants(c->ctx) & (PS_POLL_READ | PS_POLL_WRITE)
                     : 0;
    c->send_wants = w ? w : PS_POLL_WRITE;
}

/* Sends the parts (total bytes) straight away if now and nothing is
 * queued, and queues what did not go. */
static int send_parts(ps_conn *c, const ps_iovec *iov, size_t n, size_t total,
                      int now)
{
    size_t sent = 0;
    int r = 0;
    if (c->state == CONN_FAILED)
        return c->error;
    if (total > c->lim.max_queued - queued(c))
        return PS_ENOMEM;
    c->st.accepted += total;
    if (now && queued(c) == 0) {
        r = c->t.send(c->ctx, iov, n, &sent);
        if (r == PS_EWOULDBLOCK)
            r = 0;
        c->st.sent += sent;
        if (r != 0) {
            c->st.dropped += total - sent;
            return fail(c, r);
        }
    }
    if (sent == total)
        return 0;
    if (queued(c) == 0) {
        if (now)
            note_send_blocked(c);
        else
            c->send_wants = PS_POLL_WRITE; /* nothing tried yet */
    }
    if (c->q.cap - c->q.tail < total - sent &&
        (r = ps__cbuf_reserve(&c->q, total - sent)) != 0) {
        c->st.dropped += total - sent;
        return fail(c, r);
    }
    for (size_t i = 0; i < n; i++) {
        size_t skip = sent < iov[i].len ? sent : iov[i].len;
        sent -= skip;
        if (iov[i].len > skip)
            ps__cbuf_append(&c->q, (const unsigned char *)iov[i].base + skip,
                            iov[i].len - skip);
    }
    return 0;
}

/* ps_conn_send (now) and ps_conn_queue (not now). */
static int send_bytes(ps_conn *c, const void *buf, size_t len, int now)
{
    if (!c || (!buf && len > 0))
        return PS_EINVAL;
    if (len == 0)
        return c->state == CONN_FAILED ? c->error : 0;
    ps_iovec part = {buf, len};
    return send_parts(c, &part, 1, len, now);
}

int ps_conn_send(ps_conn *c, const void *buf, size_t len)
{
    return send_bytes(c, buf, len, 1);
}

/* No send now: many small messages queued in one loop turn leave in one
 * ps_conn_flush, one system call instead of one each. */
int ps_conn_queue(ps_conn *c, const void *buf, size_t len)
{
    return send_bytes(c, buf, len, 0);
}

int ps_conn_send_frame(ps_conn *c, const void *buf, size_t len)
{
    unsigned char header[FRAME_HEADER];
    if (!c || (!buf && len > 0))
        return PS_EINVAL;
    /* Two shifts: well defined where size_t is 32 bits. */
    if (((len >> 16) >> 16) != 0 || len > SIZE_MAX - FRAME_HEADER)
        return PS_EMSGSIZE;
    ps_store_be32(header, (uint32_t)len);
    ps_iovec parts[2] = {{header, sizeof header}, {buf, len}};
    return send_parts(c, parts, len ? 2 : 1, FRAME_HEADER + len, 1);
}

int ps_conn_flush(ps_conn *c)
{
    if (!c)
        return PS_EINVAL;
    if (c->state == CONN_FAILED)
        return c->error;
    size_t left = queued(c);
    if (left == 0) {
        /* The transport's own work (a TLS handshake) may wait on this
         * readiness: a send of nothing takes its next step. */
        if (!c->t.wants || c->t.wants(c->ctx) == 0)
            return 0;
        size_t none = 0;
        int r = c->t.send(c->ctx, NULL, 0, &none);
        return r == 0 || r == PS_EWOULDBLOCK ? 0 : fail(c, r);
    }
    /* A transport sends all it can in one call: a partial count means it
     * is full, so a second try would only fail. */
    ps_iovec part = {c->q.p + c->q.head, left};
    size_t sent = 0;
    int r = c->t.send(c->ctx, &part, 1, &sent);
    c->st.sent += sent;
    ps__cbuf_consume(&c->q, sent);
    if (r == 0 || r == PS_EWOULDBLOCK) {
        if (queued(c) > 0)
            note_send_blocked(c);
        return 0;
    }
    return fail(c, r);
}

/* ---- Receiving ---- */

static size_t buffered(const ps_conn *c)
{
    return c->rx.tail - c->rx.head;
}

static void rx_consume(ps_conn *c, size_t n)
{
    c->rx.head += n;
    c->line_scanned = 0;
}

/* One receive of what fits below rx_limit; a transport with decrypted
 * bytes pending is drained whatever the limit, as no readiness will ever
 * announce them. */
int ps_conn_fill(ps_conn *c, size_t *got)
{
    size_t total = 0;
    if (got)
        *got = 0;
    if (!c)
        return PS_EINVAL;
    c->send_wants = PS_POLL_WRITE;
    for (;;) {
        int r;
        if (c->state == CONN_FAILED)
            return c->error;
        if (c->state == CONN_READ_ENDED)
            return PS_ECLOSED;
        size_t pending = c->t.pending ? c->t.pending(c->ctx) : 0;
        size_t room = buffered(c) < c->rx_limit ? c->rx_limit - buffered(c) : 0;
        if (room > READ_CHUNK)
            room = READ_CHUNK;
        if (total > 0 && pending == 0)
            break;
        if (room < pending)
            room = pending;
        if (room == 0)
            break;
        /* Empty: start at the front, so the reserve moves no bytes. */
        if (buffered(c) == 0)
            c->rx.head = c->rx.tail = 0;
        if ((r = ps__cbuf_reserve(&c->rx, room)) != 0)
            return fail(c, r);
        size_t n = 0;
        r = c->t.recv(c->ctx, c->rx.p + c->rx.tail, room, &n);
        if (r == PS_EWOULDBLOCK)
            break;
        if (r != 0)
            return fail(c, r);
        if (n == 0) {
            c->state = CONN_READ_ENDED; /* OPEN -> READ_ENDED */
            break;
        }
        c->rx.tail += n;
        c->st.received += n;
        total += n;
    }
    if (got)
        *got = total;
    /* Also with bytes: the end came with them (TLS reads it from memory in
     * the same call), and no readiness will announce it again. */
    return c->state == CONN_READ_ENDED ? PS_ECLOSED : 0;
}

/* What a read returns with nothing complete buffered. */
static int nothing_complete(const ps_conn *c)
{
    if (c->state == CONN_FAILED)
        return c->error;
    return c->state == CONN_READ_ENDED ? PS_ECLOSED : PS_EWOULDBLOCK;
}

/* Discards what an over-long line or over-large frame left; 1 when the
 * skip goes on (everything buffered was discarded). */
static int skip_rest(ps_conn *c)
{
    if (c->skip == SKIP_BYTES) {
        size_t n = buffered(c);
        if ((uint64_t)n > c->skip_left)
            n = (size_t)c->skip_left;
        rx_consume(c, n);
        c->skip_left -= n;
        if (c->skip_left > 0)
            return 1;
    } else if (c->skip == SKIP_LINE) {
        const unsigned char *p = c->rx.p + c->rx.head;
        const unsigned char *nl = buffered(c) ? memchr(p, '\n', buffered(c))
                                              : NULL;
        rx_consume(c, nl ? (size_t)(nl - p) + 1 : buffered(c));
        if (!nl)
            return 1;
    }
    c->skip = SKIP_NONE;
    return 0;
}

int ps_conn_read_line(ps_conn *c, const char **line, size_t *len)
{
    if (!c || !line || !len)
        return PS_EINVAL;
    *line = NULL;
    *len = 0;
    size_t have = skip_rest(c) ? 0 : buffered(c);
    if (have == 0)
        return nothing_complete(c);
    const unsigned char *p = c->rx.p + c->rx.head;
    const unsigned char *nl = have > c->line_scanned
                                  ? memchr(p + c->line_scanned, '\n',
                                           have - c->line_scanned)
                                  : NULL;
    if (!nl) {
        c->line_scanned = have;
        if (have > c->lim.max_line) {
            /* Too long already: discard it through its "\n", to come. */
            *len = have;
            rx_consume(c, have);
            c->skip = SKIP_LINE;
            return PS_EMSGSIZE;
        }
        if (c->state != CONN_READ_ENDED)
            return nothing_complete(c);
        /* The peer ended cleanly after a last line without "\n". */
        *line = (const char *)p;
        *len = have;
        rx_consume(c, have);
        return 0;
    }
    size_t n = (size_t)(nl - p);
    rx_consume(c, n + 1);
    *len = n;
    if (n > c->lim.max_line)
        return PS_EMSGSIZE;
    *line = (const char *)p;
    return 0;
}

int ps_conn_read_frame(ps_conn *c, const void **payload, size_t *len)
{
    if (!c || !payload || !len)
        return PS_EINVAL;
    *payload = NULL;
    *len = 0;
    if (skip_rest(c))
        return nothing_complete(c);
    if (buffered(c) < FRAME_HEADER)
        return nothing_complete(c);
    const unsigned char *p = c->rx.p + c->rx.head;
    uint32_t announced = ps_load_be32(p);
    if (announced > c->lim.max_frame) {
        *len = announced;
        rx_consume(c, FRAME_HEADER);
        c->skip = SKIP_BYTES;
        c->skip_left = announced;
        skip_rest(c);
        return PS_EMSGSIZE;
    }
    if (buffered(c) - FRAME_HEADER < announced)
        return nothing_complete(c);
    rx_consume(c, FRAME_HEADER + (size_t)announced);
    *payload = p + FRAME_HEADER;
    *len = announced;
    return 0;
}

int ps_conn_read(ps_conn *c, void *buf, size_t cap, size_t *got)
{
    if (got)
        *got = 0;
    if (!c || !buf || !got || cap == 0)
        return PS_EINVAL;
    if (skip_rest(c) || buffered(c) == 0)
        return nothing_complete(c);
    size_t n = buffered(c) < cap ? buffered(c) : cap;
    memcpy(buf, c->rx.p + c->rx.head, n);
    rx_consume(c, n);
    *got = n;
    return 0;
}

/* ---- State ---- */

unsigned ps_conn_wants(const ps_conn *c)
{
    if (!c || c->state == CONN_FAILED)
        return 0;
    unsigned w = c->state == CONN_OPEN ? PS_POLL_READ : 0;
    if (queued(c) > 0)
        w |= c->send_wants;
    if (c->t.wants)
        w |= c->t.wants(c->ctx) & (PS_POLL_READ | PS_POLL_WRITE);
    return w;
}

size_t ps_conn_queued(const ps_conn *c)
{
    return c ? queued(c) : 0;
}

int ps_conn_over_high_water(const ps_conn *c)
{
    return c && queued(c) >= c->lim.high_water;
}

int ps_conn_get_stats(const ps_conn *c, ps_conn_stats *out)
{
    if (!c || !out)
        return PS_EINVAL;
    *out = c->st;
    out->queued = queued(c);
    return 0;
}
