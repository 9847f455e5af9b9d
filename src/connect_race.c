/* SPDX-License-Identifier: MIT */
/* Connecting to the first of several addresses that answers: Happy Eyeballs
 * v2 (RFC 8305). Attempts start one after another, 250 ms apart or at once
 * when the previous one fails, and all stay in flight until one connects or
 * the deadline passes. */
#include "internal.h"

#include <stdlib.h>

/* RFC 8305's recommended Connection Attempt Delay. */
#define ATTEMPT_DELAY_MS 250

/* How informative a failure is when no attempt connected: a refusal proves
 * the host is there and nothing listens; "unreachable" is the network's own
 * answer; a timeout says only that nothing came back; other errors (family
 * not supported, no such local address, ...) are local and say least. */
static int rank(int err)
{
    switch (err) {
    case PS_ECONNREFUSED:
        return 3;
    case PS_EHOSTUNREACH:
    case PS_ENETUNREACH:
    case PS_ENETDOWN:
        return 2;
    case PS_ETIMEDOUT:
        return 1;
    default:
        return 0;
    }
}

typedef struct race {
    int err;    /* the best failure so far, 0 if none */
    int native; /* its native error, restored for ps_native_error() */
} race;

static void note_failure(race *rc, int err)
{
    if (rc->err != 0 && rank(err) <= rank(rc->err))
        return;
    rc->err = err;
    /* (A timeout's is replaced by ps__connect_race.) */
    rc->native = ps_native_error();
}

static int race_result(const race *rc)
{
    ps__set_native_error(rc->native);
    return rc->err;
}

/* ps_connect's winner goes back to blocking mode, as it promises; an event
 * loop's (ps_connector's) stays non-blocking. */
static int finish(ps_socket_t s, int nonblocking, ps_socket_t *out)
{
    int r = nonblocking ? 0 : ps_set_nonblocking(s, 0);
    if (r != 0) {
        ps_close(s);
        return r;
    }
    *out = s;
    return 0;
}

/* One address: no race, only the wait for its outcome. */
static int connect_single(const ps_addr *addr, const ps__deadline *d,
                          ps_socket_t *out)
{
    ps_socket_t s;
    int r = ps__socket_for(addr, PS_SOCK_STREAM, 1, &s);
    if (r != 0)
        return r;
    r = ps__connect_start(s, addr);
    if (r == PS_EWOULDBLOCK) {
        r = ps__wait_until(s, PS__WANT_CONNECT, d);
        if (r == PS_EWOULDBLOCK)
            r = PS_ETIMEDOUT; /* a connect that did not finish at once */
        if (r == 0)
            r = ps_socket_error(s);
    }
    if (r != 0) {
        ps_close(s);
        return r;
    }
    return finish(s, 0, out);
}

/* RFC 8305 section 4: alternate families, starting with the family of the
 * resolver's first address; each family keeps the resolver's order. */
static void interleave(const ps_addr *addrs, size_t n, size_t *order)
{
    int first = ps_addr_family(&addrs[0]);
    size_t same = 0, other = 0, k = 0;
    while (k < n) {
        while (same < n && ps_addr_family(&addrs[same]) != first)
            same++;
        if (same < n)
            order[k++] = same++;
        while (other < n && ps_addr_family(&addrs[other]) == first)
            other++;
        if (other < n)
            order[k++] = other++;
    }
}

static void close_all(ps_pollitem *items, size_t live)
{
    for (size_t i = 0; i < live; i++)
        ps_close(items[i].sock);
}

/* Starts attempts at order[*next...] until one is in flight (added to
 * items) or connects at once (*won set); attempts that fail at once are
 * noted and skipped. */
static void start_attempt(const ps_addr *addrs, size_t n, const size_t *order,
                          size_t *next, ps_pollitem *items, size_t *live,
                          race *rc, ps_socket_t *won)
{
    while (*next < n) {
        const ps_addr *a = &addrs[order[(*next)++]];
        ps_socket_t s;
        int r = ps__socket_for(a, PS_SOCK_STREAM, 1, &s);
        if (r == 0) {
            r = ps__connect_start(s, a);
            if (r == 0) {
                *won = s;
                return;
            }
            if (r == PS_EWOULDBLOCK) {
                items[*live].kind = PS_KIND_SOCKET;
                items[*live].sock = s;
                items[*live].events = PS_POLL_WRITE;
                (*live)++;
                return;
            }
            ps_close(s);
        }
        note_failure(rc, r);
    }
}

/* Reads the outcome of every attempt the wait reported: a connected one is
 * returned in *won (the earliest started, if several); failed ones are
 * closed and dropped from items. */
static void collect(ps_pollitem *items, size_t *live, race *rc,
                    ps_socket_t *won)
{
    size_t kept = 0;
    for (size_t i = 0; i < *live; i++) {
        ps_pollitem it = items[i];
        if (it.revents != 0 && *won == PS_INVALID_SOCKET) {
            int err = ps_socket_error(it.sock);
            /* An error reported with none pending: the connect did not
             * complete either way. */
            if (err == 0 && (it.revents & (PS_POLL_ERROR | PS_POLL_INVALID)))
                err = PS_ENOTCONN;
            if (err == 0) {
                *won = it.sock;
                continue;
            }
            note_failure(rc, err);
            ps_close(it.sock);
            continue;
        }
        items[kept++] = it;
    }
    *live = kept;
}

/* items has room for n attempts and the cancel item after the live ones. */
static int race_all(const ps_addr *addrs, size_t n, const ps__deadline *d,
                    const ps__race_opts *o, size_t *order, ps_pollitem *items,
                    ps_socket_t *out)
{
    race rc = {0, 0};
    ps_socket_t won = PS_INVALID_SOCKET;
    size_t next = 0, live = 0;
    int64_t last_start = 0;
    int waited = 0;
    int failed = 0; /* an attempt failed since the last one started */

    interleave(addrs, n, order);
    for (;;) {
        int64_t now = ps__monotonic_ms();
        int expired = !d->forever && ps__deadline_remaining_ms(d) == 0;
        /* After the first wait an expired deadline starts nothing more; a
         * zero timeout still gets one pass over the addresses that fail at
         * once. */
        if (next < n && (!waited || !expired) &&
            (live == 0 || failed || now - last_start >= ATTEMPT_DELAY_MS)) {
            size_t before = live;
            failed = 0;
            start_attempt(addrs, n, order, &next, items, &live, &rc, &won);
            if (won != PS_INVALID_SOCKET)
                break;
            if (live > before)
                last_start = now;
            continue;
        }
        if (live == 0 || (waited && expired)) {
            if (live > 0 || next < n)
                note_failure(&rc, PS_ETIMEDOUT);
            close_all(items, live);
            return race_result(&rc);
        }
        int wait = ps__deadline_remaining_ms(d);
        if (next < n) {
            int64_t left = last_start + ATTEMPT_DELAY_MS - now;
            if (left < 0)
                left = 0;
            if (wait < 0 || left < wait)
                wait = (int)left;
        }
        for (size_t i = 0; i < live; i++)
            items[i].revents = 0;
        size_t watched = live;
        if (o->cancel != PS_INVALID_SOCKET) {
            items[watched].kind = PS_KIND_SOCKET;
            items[watched].sock = o->cancel;
            items[watched].events = PS_POLL_READ;
            items[watched++].revents = 0;
        }
        int r = ps__select_once(items, watched, wait);
        waited = 1;
        if (r > 0 && watched > live && items[live].revents != 0)
            r = PS_ECONNABORTED; /* cancelled: drop every attempt */
        if (r < 0) {
            close_all(items, live);
            return r;
        }
        if (r > 0) {
            size_t before = live;
            collect(items, &live, &rc, &won);
            if (won != PS_INVALID_SOCKET)
                break;
            /* RFC 8305: a failure starts the next attempt at once. */
            failed = live < before;
        }
    }
    close_all(items, live);
    return finish(won, o->nonblocking, out);
}

static int connect_any(const ps_addr *addrs, size_t n, const ps__deadline *d,
                       const ps__race_opts *o, ps_socket_t *out)
{
    /* A single attempt that nothing can cancel needs no race. */
    if (n == 1 && o->cancel == PS_INVALID_SOCKET && !o->nonblocking)
        return connect_single(&addrs[0], d, out);
    size_t *order = malloc(n * sizeof *order);
    ps_pollitem *items = calloc(n + 1, sizeof *items);
    int r = PS_ENOMEM;
    if (order && items)
        r = race_all(addrs, n, d, o, order, items, out);
    free(order);
    free(items);
    return r;
}

int ps__connect_race_with(const ps_addr *addrs, size_t n, const ps__deadline *d,
                          const ps__race_opts *o, ps_socket_t *out)
{
    if (n == 0)
        return PS_ENAME;
    /* EINPROGRESS / WSAEWOULDBLOCK of the attempts is no failure: a
     * connection, or a deadline that passed, records nothing. */
    int saved = ps_native_error();
    return ps__keep_native(connect_any(addrs, n, d, o, out), saved);
}

int ps__connect_race(const ps_addr *addrs, size_t n, const ps__deadline *d,
                     ps_socket_t *out)
{
    ps__race_opts o = {PS_INVALID_SOCKET, 0};
    return ps__connect_race_with(addrs, n, d, &o, out);
}
