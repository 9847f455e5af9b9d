/* SPDX-License-Identifier: MIT */
/* TLS data calls with their plain twins' contracts: single transfers, the
 * all-or-count loops, gathered buffers and frames, over the backend's
 * single steps, each call under one deadline. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

/* One write step after another until one moves bytes (0 with *n > 0). */
static int write_some(ps_tls *t, const void *buf, size_t len, size_t *n,
                      const ps__tls_deadline *d)
{
    /* The record cut short last time must be finished first, and the
     * backend needs at least its bytes again (see ps_tls_send). */
    if (len < t->send_floor)
        return PS_EINVAL;
    for (;;) {
        t->deadline = d;
        int r = ps__tls_be_write(t, buf, len, n);
        t->deadline = NULL;
        if (r == 0) {
            t->send_floor = 0;
            t->wants = 0;
            return 0;
        }
        if (r != PS_EWOULDBLOCK)
            return r;
        /* Encrypted and partly written now: a retry must bring as many. */
        t->send_floor = len < PS__TLS_RECORD ? len : PS__TLS_RECORD;
        if ((r = ps__tls_wait(t, d)) != 0)
            return r;
    }
}

/* One read step after another until bytes or close_notify arrive. */
static int read_some(ps_tls *t, void *buf, size_t cap, size_t *n,
                     const ps__tls_deadline *d)
{
    for (;;) {
        t->deadline = d;
        int r = ps__tls_be_read(t, buf, cap, n);
        t->deadline = NULL;
        if (r == 0) {
            t->wants = 0;
            return 0;
        }
        if (r != PS_EWOULDBLOCK)
            return r;
        if ((r = ps__tls_wait(t, d)) != 0)
            return r;
    }
}

/* Writes all of buf, adding what went to *total. */
static int write_all(ps_tls *t, const unsigned char *buf, size_t len,
                     size_t *total, const ps__tls_deadline *d)
{
    size_t done = 0;
    int r = 0;
    while (done < len) {
        size_t n = 0;
        if ((r = write_some(t, buf + done, len - done, &n, d)) != 0)
            break;
        done += n;
    }
    *total += done;
    return r;
}

/* The data calls' common start: *count (when given) is 0, the connection
 * and the buffer are checked (NULL only when empty), then the deadline
 * starts. */
static int begin(const ps_tls *t, const void *buf, size_t len, size_t *count,
                 int timeout_ms, ps__tls_deadline *d)
{
    if (count)
        *count = 0;
    if (!t || (!buf && len > 0))
        return PS_EINVAL;
    ps__tls_deadline_start(d, timeout_ms);
    return 0;
}

int ps_tls_send(ps_tls *t, const void *buf, size_t len, size_t *sent,
                int timeout_ms)
{
    ps__tls_deadline d;
    size_t n = 0;
    if (begin(t, buf, len, sent, timeout_ms, &d) != 0)
        return PS_EINVAL;
    int r = ps__tls_handshake_within(t, &d);
    if (r == 0 && len > 0)
        r = write_some(t, buf, len, &n, &d);
    if (sent)
        *sent = n;
    return r;
}

int ps_tls_send_all(ps_tls *t, const void *buf, size_t len, size_t *sent,
                    int timeout_ms)
{
    ps__tls_deadline d;
    size_t total = 0;
    if (begin(t, buf, len, sent, timeout_ms, &d) != 0)
        return PS_EINVAL;
    int r = ps__tls_handshake_within(t, &d);
    if (r == 0)
        r = write_all(t, buf, len, &total, &d);
    if (sent)
        *sent = total;
    return r;
}

int ps_tls_recv(ps_tls *t, void *buf, size_t cap, size_t *got, int timeout_ms)
{
    ps__tls_deadline d;
    size_t n = 0;
    if (begin(t, buf, cap, got, timeout_ms, &d) != 0 || cap == 0)
        return PS_EINVAL;
    int r = ps__tls_handshake_within(t, &d);
    if (r == 0)
        r = read_some(t, buf, cap, &n, &d);
    if (got)
        *got = n;
    return r;
}

static int recv_all_within(ps_tls *t, unsigned char *buf, size_t len,
                           size_t *got, const ps__tls_deadline *d)
{
    size_t done = 0;
    int r = ps__tls_handshake_within(t, d);
    while (r == 0 && done < len) {
        size_t n = 0;
        if ((r = read_some(t, buf + done, len - done, &n, d)) != 0)
            break;
        if (n == 0)
            r = PS_ECLOSED; /* close_notify before len */
        done += n;
    }
    *got = done;
    return r;
}

int ps_tls_recv_all(ps_tls *t, void *buf, size_t len, size_t *got,
                    int timeout_ms)
{
    ps__tls_deadline d;
    size_t done = 0;
    if (begin(t, buf, len, got, timeout_ms, &d) != 0)
        return PS_EINVAL;
    int r = recv_all_within(t, buf, len, &done, &d);
    if (got)
        *got = done;
    return r;
}

static int scratch(ps_tls *t)
{
    if (!t->scratch && !(t->scratch = malloc(PS__TLS_RECORD)))
        return PS_ENOMEM;
    return 0;
}

int ps_tls_sendv_all(ps_tls *t, const ps_iovec *iov, size_t n, size_t *sent,
                     int timeout_ms)
{
    ps__tls_deadline d;
    size_t total = 0, i;
    if (begin(t, iov, n, sent, timeout_ms, &d) != 0)
        return PS_EINVAL;
    for (i = 0, total = 0; i < n; i++) {
        if (!iov[i].base && iov[i].len > 0)
            return PS_EINVAL;
        if (iov[i].len > SIZE_MAX - total)
            return PS_EINVAL;
        total += iov[i].len;
    }
    total = 0;
    int r = ps__tls_handshake_within(t, &d);
    if (r == 0 && (r = scratch(t)) != 0)
        return r;
    /* Small buffers are gathered up to one record, so a request made of
     * pieces leaves as one record; a buffer at least a record long goes
     * from where it is, without a copy. */
    i = 0;
    while (r == 0 && i < n) {
        size_t fill = 0;
        while (i < n && iov[i].len < PS__TLS_RECORD &&
               fill + iov[i].len <= PS__TLS_RECORD) {
            if (iov[i].len > 0)
                memcpy(t->scratch + fill, iov[i].base, iov[i].len);
            fill += iov[i].len;
            i++;
        }
        if (fill > 0)
            r = write_all(t, t->scratch, fill, &total, &d);
        else if (i < n) {
            r = write_all(t, iov[i].base, iov[i].len, &total, &d);
            i++;
        }
    }
    if (sent)
        *sent = total;
    return r;
}

int ps_tls_send_frame(ps_tls *t, const void *buf, size_t len, int timeout_ms)
{
    ps__tls_deadline d;
    size_t total = 0;
    if (begin(t, buf, len, NULL, timeout_ms, &d) != 0)
        return PS_EINVAL;
    /* Two shifts, not a comparison: gcc calls "len > UINT32_MAX" always
     * false where size_t is 32 bits (-Wtype-limits), even widened. */
    if ((len >> 16 >> 16) != 0)
        return PS_EMSGSIZE;
    int r = ps__tls_handshake_within(t, &d);
    if (r == 0)
        r = scratch(t);
    if (r != 0)
        return r;
    /* Header and payload in one record: the peer decrypts the frame at
     * once, and a small frame costs one record's overhead. */
    size_t first = len;
    if (first > PS_TLS_FRAME_ONE_RECORD)
        first = PS_TLS_FRAME_ONE_RECORD;
    ps_store_be32(t->scratch, (uint32_t)len);
    if (len > 0)
        memcpy(t->scratch + 4, buf, first);
    r = write_all(t, t->scratch, 4 + first, &total, &d);
    if (r == 0 && len > first)
        r = write_all(t, (const unsigned char *)buf + first, len - first,
                      &total, &d);
    return r;
}

int ps_tls_recv_frame(ps_tls *t, void *buf, size_t cap, size_t *len,
                      int timeout_ms)
{
    ps__tls_deadline d;
    unsigned char header[4];
    size_t got = 0;
    if (!len || begin(t, buf, cap, NULL, timeout_ms, &d) != 0)
        return PS_EINVAL;
    *len = 0;
    int r = recv_all_within(t, header, sizeof header, &got, &d);
    if (r != 0)
        return r;
    uint32_t announced = ps_load_be32(header);
    *len = announced;
    if (announced > cap)
        return PS_EMSGSIZE;
    return recv_all_within(t, buf, announced, &got, &d);
}
