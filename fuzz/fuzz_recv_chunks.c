/* SPDX-License-Identifier: MIT */
/* ps_recv and ps_recv_all over a stream written in input-chosen chunks,
 * checked byte for byte against a model.
 *
 * Input: byte 0 is the mode, byte 1 the number of operations (low 5 bits,
 * plus 1), then two bytes per operation, then the stream's bytes.
 *   mode bit 0  0: one thread, writes and reads interleaved in the order
 *               given, every result predicted exactly; 1: a writer thread
 *               writes the chunks with pauses while the reader reads, and
 *               every result must be consistent with the bytes
 *   mode bit 1  the writer ends with close (else shutdown(SHUT_WR))
 *   op byte a   bits 0-1 kind: 0 write a chunk, 1 ps_recv, 2 ps_recv_all,
 *               3 end the writer now (one thread) / let the reader pause
 *               (threads); bits 2-3 size scale (b << 0, 3, 6 or 9 bits);
 *               bits 4-5 timeout: 0, 5000, -1 or 1 ms (one thread: a
 *               read that would have to wait gets 0, as nothing else
 *               writes meanwhile); bits 6-7 a pause after a chunk (or for
 *               the reader, kind 3 with threads): none, 1, 5 or 20 us,
 *               at most 100 us per input and thread
 *   op byte b   the size (a chunk's length, a cap, a len)
 * After the operations the rest of the stream is written and the writer's
 * side ended; the reader then drains what is left.
 *
 * The contract (include/portsock.h):
 *  - ps_recv: one transfer of up to cap bytes (1..min(cap, available) when
 *    bytes are there), 0 with *got == 0 at the orderly end, PS_EINVAL for
 *    cap 0;
 *  - ps_recv_all: all len bytes, or on a failure *got says exactly how
 *    many moved: PS_ECLOSED at the end of stream, PS_EWOULDBLOCK (timeout
 *    0) / PS_ETIMEDOUT (deadline passed) when the rest has not come.
 *    len 0 is done at once (0, *got == 0): the header is silent, and
 *    "all of no bytes" moved is the reading taken here;
 *  - timeouts: one deadline for the whole call; with a timeout > 0 or -1 a
 *    read the model says can finish never waits, so it must not fail. */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fuzz_stream.h"

enum { OP_WRITE, OP_RECV, OP_RECV_ALL, OP_END };
static const int timeouts[4] = {0, 5000, -1, 1};

typedef struct op {
    int kind;
    size_t size;
    int timeout;
    int pause;
} op;

typedef struct run {
    const unsigned char *s; /* the stream's bytes */
    size_t n;
    const op *ops;
    size_t nops;
    int by_close;
    int wfd;
    size_t written;
    int ended;
    size_t consumed;
} run;

static int64_t now_us(void)
{
    struct timespec ts;
    HARNESS(clock_gettime(CLOCK_MONOTONIC, &ts) == 0, "clock_gettime");
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Spins rather than sleeps or yields: a 10 us nanosleep was seen to last
 * up to 4 ms on a loaded machine, and a yield can hand the core to another
 * process for as long, which would make pauses cost more than the fuzzing. */
static void pause_for(int kind, long *budget_us)
{
    static const long us[4] = {0, 1, 5, 20};
    if (kind > 0 && *budget_us >= us[kind]) {
        int64_t end = now_us() + us[kind];
        *budget_us -= us[kind];
        while (now_us() < end)
            ;
    }
}

/* Exactly n bytes (malloc(0) for 0), so ASan sees any overrun. */
static unsigned char *exact(size_t n)
{
    unsigned char *p = malloc(n);
    HARNESS(p != NULL || n == 0, "out of memory");
    return p;
}

static void check_bytes(const run *r, const unsigned char *buf, size_t got,
                        const char *what)
{
    CHECK(r->consumed + got <= r->n, "%s: %zu bytes past the end", what,
          r->consumed + got - r->n);
    CHECK(got == 0 || memcmp(buf, r->s + r->consumed, got) == 0,
          "%s: bytes differ at offset %zu", what, r->consumed);
}

/* ---- One thread: every result predicted ---- */

static void interleaved_recv(ps_socket_t s, run *r, const op *o)
{
    size_t have = r->written - r->consumed, got = (size_t)-1;
    int t = o->timeout, expect;
    if (o->size > 0 && have == 0 && !r->ended)
        t = 0; /* it would have to wait, and nothing else would write */
    if (o->size == 0)
        expect = PS_EINVAL;
    else if (have > 0 || r->ended)
        expect = 0;
    else
        expect = PS_EWOULDBLOCK;
    unsigned char *buf = exact(o->size);
    int rc = ps_recv(s, buf, o->size, &got, t);
    CHECK(rc == expect, "ps_recv(cap %zu, timeout %d) with %zu buffered%s: %s, want %s",
          o->size, t, have, r->ended ? ", ended" : "", ps_errname(rc),
          ps_errname(expect));
    if (expect == 0 && have > 0)
        CHECK(got >= 1 && got <= o->size && got <= have,
              "ps_recv(cap %zu) with %zu buffered: got %zu", o->size, have, got);
    else
        CHECK(got == 0, "ps_recv(cap %zu) with %zu buffered%s: got %zu, want 0",
              o->size, have, r->ended ? ", ended" : "", got);
    check_bytes(r, buf, got, "ps_recv");
    r->consumed += got;
    free(buf);
}

static void interleaved_recv_all(ps_socket_t s, run *r, const op *o)
{
    size_t have = r->written - r->consumed, got = (size_t)-1, expect_got;
    int t = o->timeout, expect;
    if (o->size > have && !r->ended)
        t = 0;
    if (o->size <= have) {
        expect = 0;
        expect_got = o->size;
    } else {
        expect = r->ended ? PS_ECLOSED : PS_EWOULDBLOCK;
        expect_got = have;
    }
    unsigned char *buf = exact(o->size);
    int rc = ps_recv_all(s, buf, o->size, &got, t);
    CHECK(rc == expect && got == expect_got,
          "ps_recv_all(%zu, timeout %d) with %zu buffered%s: %s got %zu, want %s got %zu",
          o->size, t, have, r->ended ? ", ended" : "", ps_errname(rc), got,
          ps_errname(expect), expect_got);
    check_bytes(r, buf, got, "ps_recv_all");
    r->consumed += got;
    free(buf);
}

static void interleaved(ps_socket_t s, run *r)
{
    for (size_t i = 0; i < r->nops; i++) {
        const op *o = &r->ops[i];
        switch (o->kind) {
        case OP_WRITE:
            if (!r->ended) {
                size_t k = r->n - r->written;
                if (k > o->size)
                    k = o->size;
                stream_write(r->wfd, r->s + r->written, k, 1);
                r->written += k;
            }
            break;
        case OP_RECV:
            interleaved_recv(s, r, o);
            break;
        case OP_RECV_ALL:
            interleaved_recv_all(s, r, o);
            break;
        default:
            if (!r->ended) {
                stream_end(&r->wfd, r->by_close);
                r->ended = 1;
            }
            break;
        }
    }
    if (!r->ended) {
        stream_write(r->wfd, r->s + r->written, r->n - r->written, 1);
        r->written = r->n;
        stream_end(&r->wfd, r->by_close);
        r->ended = 1;
    }
    /* A writer ended early never wrote the rest: the stream is shorter. */
    r->n = r->written;
}

/* ---- Two threads: every result consistent with the bytes ---- */

static void write_chunks(run *r)
{
    long budget_us = 100; /* keeps an input's pauses short */
    for (size_t i = 0; i < r->nops; i++) {
        const op *o = &r->ops[i];
        if (o->kind != OP_WRITE)
            continue;
        size_t k = r->n - r->written;
        if (k > o->size)
            k = o->size;
        stream_write(r->wfd, r->s + r->written, k, 0);
        r->written += k;
        pause_for(o->pause, &budget_us);
    }
    stream_write(r->wfd, r->s + r->written, r->n - r->written, 0);
    r->written = r->n;
    stream_end(&r->wfd, r->by_close);
}

/* One writer thread for the whole process, handed each input's run: a
 * thread started per input costs more than the input itself (ASan's
 * thread set-up). */
static sem_t job_ready, job_done;
static run *job;

static void sem_wait_intr(sem_t *s)
{
    while (sem_wait(s) != 0)
        HARNESS(errno == EINTR, "sem_wait");
}

static void *writer_main(void *arg)
{
    (void)arg;
    for (;;) {
        sem_wait_intr(&job_ready);
        write_chunks(job);
        HARNESS(sem_post(&job_done) == 0, "sem_post");
    }
    return NULL;
}

static void start_writer(void)
{
    pthread_t t;
    HARNESS(sem_init(&job_ready, 0, 0) == 0 && sem_init(&job_done, 0, 0) == 0,
            "sem_init");
    HARNESS(pthread_create(&t, NULL, writer_main, NULL) == 0, "pthread_create");
    HARNESS(pthread_detach(t) == 0, "pthread_detach");
}

/* One read; returns 1 at the end of stream, and sets *moved when bytes
 * (or the end) came. */
static int threaded_read(ps_socket_t s, run *r, const op *o, int *moved)
{
    size_t left = r->n - r->consumed, got = (size_t)-1;
    unsigned char *buf = exact(o->size);
    int t = o->timeout, eof = 0, rc;
    const char *what = o->kind == OP_RECV ? "ps_recv" : "ps_recv_all";
    if (o->kind == OP_RECV) {
        rc = ps_recv(s, buf, o->size, &got, t);
        if (o->size == 0) {
            CHECK(rc == PS_EINVAL && got == 0, "ps_recv(cap 0): %s got %zu",
                  ps_errname(rc), got);
        } else if (rc == 0 && got == 0) {
            CHECK(left == 0, "ps_recv: end of stream with %zu bytes to come", left);
            eof = 1;
        } else if (rc == 0) {
            CHECK(got <= o->size && got <= left, "ps_recv(cap %zu): got %zu, %zu to come",
                  o->size, got, left);
        } else {
            CHECK((rc == PS_EWOULDBLOCK && t == 0) || (rc == PS_ETIMEDOUT && t == 1),
                  "ps_recv(cap %zu, timeout %d) with %zu to come: %s", o->size, t,
                  left, ps_errname(rc));
            CHECK(got == 0, "ps_recv failed with got %zu", got);
        }
    } else {
        rc = ps_recv_all(s, buf, o->size, &got, t);
        if (rc == 0) {
            CHECK(got == o->size, "ps_recv_all(%zu): 0 with got %zu", o->size, got);
        } else if (rc == PS_ECLOSED) {
            CHECK(got == left && left < o->size,
                  "ps_recv_all(%zu): PS_ECLOSED with got %zu, %zu were to come",
                  o->size, got, left);
            eof = 1;
        } else {
            CHECK((rc == PS_EWOULDBLOCK && t == 0) || (rc == PS_ETIMEDOUT && t == 1),
                  "ps_recv_all(%zu, timeout %d) with %zu to come: %s", o->size, t,
                  left, ps_errname(rc));
            CHECK(got < o->size, "ps_recv_all(%zu): %s with got %zu", o->size,
                  ps_errname(rc), got);
        }
    }
    check_bytes(r, buf, got, what);
    r->consumed += got;
    *moved = got > 0 || eof;
    free(buf);
    return eof;
}

static void threaded(ps_socket_t s, run *r)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    static const op one_byte = {OP_RECV_ALL, 1, 5000, 0};
    HARNESS(pthread_once(&once, start_writer) == 0, "pthread_once");
    job = r;
    HARNESS(sem_post(&job_ready) == 0, "sem_post");
    int eof = 0;
    long budget_us = 100;
    for (size_t round = 0; !eof; round++) {
        int progress = 0, moved;
        CHECK(round < 100000, "no end of stream after %zu rounds", round);
        for (size_t i = 0; i < r->nops && !eof; i++) {
            const op *o = &r->ops[i];
            if (o->kind == OP_RECV || o->kind == OP_RECV_ALL) {
                eof = threaded_read(s, r, o, &moved);
                progress |= moved;
            } else if (o->kind == OP_END) {
                pause_for(o->pause, &budget_us);
            }
        }
        /* Reads that cannot make progress (cap 0, timeout 0 before the
         * writer got going) are followed by one that waits. */
        if (!eof && !progress)
            eof = threaded_read(s, r, &one_byte, &moved);
    }
    sem_wait_intr(&job_done);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    op ops[32];
    ps_socket_t pair[2];
    if (size < 2 || size > STREAM_MAX_INPUT)
        return 0;
    unsigned mode = data[0];
    size_t nops = (size_t)(data[1] & 31) + 1;
    if (nops > (size - 2) / 2)
        nops = (size - 2) / 2;
    for (size_t i = 0; i < nops; i++) {
        unsigned a = data[2 + 2 * i], b = data[3 + 2 * i];
        ops[i].kind = (int)(a & 3);
        ops[i].size = (size_t)b << (3 * ((a >> 2) & 3));
        ops[i].timeout = timeouts[(a >> 4) & 3];
        ops[i].pause = (int)(a >> 6);
    }
    run r;
    memset(&r, 0, sizeof r);
    r.s = data + 2 + 2 * nops;
    r.n = size - 2 - 2 * nops;
    r.ops = ops;
    r.nops = nops;
    r.by_close = (mode >> 1) & 1;

    stream_open(pair);
    r.wfd = pair[1];
    if (mode & 1)
        threaded(pair[0], &r);
    else
        interleaved(pair[0], &r);

    /* The end: what is left comes with PS_ECLOSED and the exact count, and
     * the end stays the end. */
    size_t left = r.n - r.consumed, got = (size_t)-1;
    unsigned char *buf = exact(left + 1);
    int rc = ps_recv_all(pair[0], buf, left + 1, &got, 5000);
    CHECK(rc == PS_ECLOSED && got == left, "drain %zu: %s got %zu", left + 1,
          ps_errname(rc), got);
    check_bytes(&r, buf, got, "drain");
    got = (size_t)-1;
    rc = ps_recv(pair[0], buf, 1, &got, 0);
    CHECK(rc == 0 && got == 0, "ps_recv after the end: %s got %zu", ps_errname(rc), got);
    got = (size_t)-1;
    rc = ps_recv_all(pair[0], buf, 1, &got, -1);
    CHECK(rc == PS_ECLOSED && got == 0, "ps_recv_all after the end: %s got %zu",
          ps_errname(rc), got);
    free(buf);

    HARNESS(ps_close(pair[0]) == 0, "ps_close");
    if (r.wfd >= 0)
        HARNESS(close(r.wfd) == 0, "close");
    return 0;
}
