/* SPDX-License-Identifier: MIT */
/* ps_recv_frame fed arbitrary bytes through a socketpair, checked against a
 * model that predicts every return code, *len and payload.
 *
 * Input: byte 0 chooses how the stream is read, the rest is the stream.
 *   bits 0-2  the first frame's cap, from caps[]; each frame takes the next
 *   bits 3-4  after PS_EMSGSIZE: 0 skip the payload with ps_recv_all in
 *             pieces; 1 read it whole with ps_recv_all (up to 64 KiB, else
 *             skip); 2 go on with ps_recv_frame (the payload is then read as
 *             headers: out of step, but still predictable); 3 stop
 *   bit 5     the writer closes (else shutdown(SHUT_WR))
 *   bit 6     the writer stays open and every read has timeout 0: the end
 *             is PS_EWOULDBLOCK instead of PS_ECLOSED
 *   bit 7     timeout of the reads when the stream has ended: 1000 or -1
 * Everything is written before the first read, so with the writer ended
 * nothing ever waits, and with it open a timeout of 0 never waits either:
 * a read that hangs anyway is a finding (libFuzzer's -timeout, 20 s in
 * fuzz/campaign.sh).
 *
 * The contract (include/portsock.h, framing): a 4-byte big-endian length,
 * then the payload. announced > cap: PS_EMSGSIZE, *len = announced, payload
 * unread. End of stream before a header: PS_ECLOSED, *len == 0. The header
 * is silent on a stream that ends inside a frame; portsock reports
 * PS_ECLOSED there too (ps_recv_all's end of stream), with *len 0 inside the
 * header and *len = announced inside the payload, which the model expects.
 * A read that must wait with timeout 0: PS_EWOULDBLOCK. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_stream.h"

static const size_t caps[8] = {0, 1, 4, 7, 64, 255, 4096, 20000};

typedef struct model {
    const unsigned char *s;
    size_t n;      /* stream length */
    size_t pos;    /* bytes the reader has consumed */
    int ended;     /* the writer's end is shut or closed */
    int timeout;
} model;

/* The result of a read that finds fewer bytes left than it needs. */
static int short_read(const model *m)
{
    return m->ended ? PS_ECLOSED : PS_EWOULDBLOCK;
}

/* ps_recv_all of `want` bytes into an exact-size buffer; checks the result
 * against the model and advances it. Returns 0 if every byte came. */
static int read_all(ps_socket_t s, model *m, size_t want)
{
    unsigned char *buf = malloc(want ? want : 1);
    size_t got = (size_t)-1;
    HARNESS(buf != NULL, "out of memory");
    int r = ps_recv_all(s, buf, want, &got, m->timeout);
    size_t left = m->n - m->pos;
    int ok = left >= want;
    size_t expect_got = ok ? want : left;
    int expect_r = ok ? 0 : short_read(m);
    CHECK(r == expect_r && got == expect_got,
          "ps_recv_all(%zu) with %zu left: %s got %zu, want %s got %zu", want,
          left, ps_errname(r), got, ps_errname(expect_r), expect_got);
    CHECK(memcmp(buf, m->s + m->pos, got) == 0, "ps_recv_all: bytes differ");
    m->pos += got;
    free(buf);
    return ok ? 0 : -1;
}

/* Skips a payload with bounded reads. */
static int skip(ps_socket_t s, model *m, uint64_t len)
{
    while (len > 0) {
        size_t piece = len > 4096 ? 4096 : (size_t)len;
        if (read_all(s, m, piece) != 0)
            return -1;
        len -= piece;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > STREAM_MAX_INPUT)
        return 0;
    unsigned ctl = data[0];
    model m = {data + 1, size - 1, 0, 0, 0};
    ps_socket_t pair[2];
    int wfd;
    unsigned strategy = (ctl >> 3) & 3;
    int keep_open = (ctl >> 6) & 1;

    stream_open(pair);
    wfd = pair[1];
    stream_write(wfd, m.s, m.n, 1);
    if (!keep_open) {
        stream_end(&wfd, (ctl >> 5) & 1);
        m.ended = 1;
        m.timeout = (ctl >> 7) ? -1 : 1000;
    }

    /* Argument checks come before any byte is read. */
    CHECK(ps_recv_frame(pair[0], NULL, 0, NULL, 0) == PS_EINVAL, "len NULL");
    {
        size_t len = 77;
        CHECK(ps_recv_frame(pair[0], NULL, 1, &len, 0) == PS_EINVAL,
              "buf NULL, cap 1");
    }

    for (size_t k = 0;; k++) {
        size_t cap = caps[(ctl + k) & 7];
        /* Exactly cap bytes (malloc(0) for 0): ASan sees any overrun. */
        unsigned char *buf = malloc(cap);
        size_t len = (size_t)-1;
        HARNESS(buf != NULL || cap == 0, "out of memory");
        int r = ps_recv_frame(pair[0], buf, cap, &len, m.timeout);
        size_t left = m.n - m.pos;
        if (left < 4) {
            /* End (of data) before or inside a header. */
            CHECK(r == short_read(&m) && len == 0,
                  "frame %zu, %zu header bytes left: %s len %zu", k, left,
                  ps_errname(r), len);
            m.pos = m.n;
            free(buf);
            break;
        }
        uint32_t announced = ps_load_be32(m.s + m.pos);
        m.pos += 4;
        left -= 4;
        if (announced > cap) {
            CHECK(r == PS_EMSGSIZE && len == announced,
                  "frame %zu: %u bytes, cap %zu: %s len %zu", k,
                  (unsigned)announced, cap, ps_errname(r), len);
            free(buf);
            if (strategy == 3)
                break;
            if (strategy == 1 && announced <= STREAM_MAX_INPUT) {
                if (read_all(pair[0], &m, announced) != 0)
                    break;
            } else if (strategy != 2) {
                if (skip(pair[0], &m, announced) != 0)
                    break;
            }
            continue;
        }
        if (left < announced) {
            CHECK(r == short_read(&m) && len == announced,
                  "frame %zu: %u bytes, %zu left: %s len %zu", k,
                  (unsigned)announced, left, ps_errname(r), len);
            m.pos = m.n;
            free(buf);
            break;
        }
        CHECK(r == 0 && len == announced, "frame %zu: %u bytes, cap %zu: %s len %zu",
              k, (unsigned)announced, cap, ps_errname(r), len);
        CHECK(memcmp(buf, m.s + m.pos, announced) == 0, "frame %zu: payload", k);
        m.pos += announced;
        free(buf);
    }

    /* Nothing is left behind, and the end stays the end. */
    if (m.pos == m.n) {
        size_t len = 99;
        int r = ps_recv_frame(pair[0], NULL, 0, &len, m.timeout);
        CHECK(r == short_read(&m) && len == 0, "after the end: %s len %zu",
              ps_errname(r), len);
    }
    HARNESS(ps_close(pair[0]) == 0, "ps_close");
    if (wfd >= 0)
        HARNESS(close(wfd) == 0, "close");
    return 0;
}
