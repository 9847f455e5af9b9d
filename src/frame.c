/* SPDX-License-Identifier: MIT */
/* Length-prefixed framing: a 4-byte big-endian length, then the payload. */
#include "internal.h"

int ps_send_frame(ps_socket_t s, const void *buf, size_t len, int timeout_ms)
{
    unsigned char header[4];
    if (!buf && len > 0)
        return PS_EINVAL;
    /* Two shifts: well defined, and free of warnings, where size_t is 32 bits. */
    if (((len >> 16) >> 16) != 0)
        return PS_EMSGSIZE;
    ps_store_be32(header, (uint32_t)len);
    /* One gather write: a header sent alone would wait for the peer's
     * delayed ACK under Nagle before the payload could follow. */
    ps_iovec parts[2] = {{header, sizeof header}, {buf, len}};
    return ps_sendv_all(s, parts, 2, NULL, timeout_ms);
}

int ps_recv_frame(ps_socket_t s, void *buf, size_t cap, size_t *len,
                  int timeout_ms)
{
    unsigned char header[4];
    size_t got = 0;
    if (!len || (!buf && cap > 0))
        return PS_EINVAL;
    *len = 0;

    ps__deadline d;
    ps__deadline_start(&d, timeout_ms);
    int r = ps_recv_all(s, header, sizeof header, &got, timeout_ms);
    if (r != 0)
        return r;
    uint32_t announced = ps_load_be32(header);
    *len = announced;
    /* The length is checked before anything is read or allocated, so a
     * hostile length only earns PS_EMSGSIZE. */
    if (announced > cap)
        return PS_EMSGSIZE;
    if (announced == 0)
        return 0;
    int left;
    if ((r = ps__deadline_next_timeout(&d, &left)) != 0)
        return r;
    /* Usually sent with its header: read it without waiting first. */
    return ps__recv_all_expected(s, buf, announced, &got, left);
}
