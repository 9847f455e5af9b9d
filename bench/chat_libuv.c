/* SPDX-License-Identifier: MIT */
/* The chat server of docs/chat.md on libuv (a benchmark-only dependency),
 * written the way libuv programs are: a uv_tcp_t per client reading into
 * its own line buffer, lines split by hand; the complete lines of a loop
 * iteration are gathered into one reference-counted copy that a
 * uv_check_t, after the iteration's reads, hands to one uv_write per
 * receiver (a uv_write per read and receiver made a system call per line
 * per client: 30 times slower); a
 * client whose write queue (uv_stream_get_write_queue_size) passes the
 * high-water mark is cut off; the idle timeout is a uv_timer_t per client,
 * restarted by each read.
 *
 * chat_libuv [--port N] [--hwm BYTES] [--max-line BYTES] [--idle-ms MS] */
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "chat_peer.h"

typedef struct client {
    chat_member member; /* first: the room's link */
    uv_tcp_t tcp;
    uv_timer_t idle;
    int closing, handles; /* handles still open: freed at 0 */
    size_t len;           /* bytes of an unfinished line in buf */
    size_t from;          /* its part of this iteration's lines starts here */
    unsigned long long from_lines; /* lines of this iteration before it */
    char buf[];           /* opt.max_line bytes */
} client;

/* One broadcast line, shared by every receiver's write. */
typedef struct line {
    unsigned refs;
    size_t len;
    char data[];
} line;

typedef struct wreq {
    uv_write_t req;
    line *l;
    struct wreq *free_next;
} wreq;

static uv_loop_t *loop;
static chat_opts opt;
static chat_stats stats;
static chat_member *room;
static wreq *free_reqs; /* write requests kept for reuse */
static line *turn;      /* this iteration's lines, NULL: none yet */
static size_t turn_cap;
static unsigned long long turn_lines;

static _Noreturn void fail(const char *what, int r)
{
    fprintf(stderr, "chat_libuv: %s: %s\n", what, uv_strerror(r));
    exit(1);
}

static void on_closed(uv_handle_t *h)
{
    client *c = h->data;
    if (--c->handles == 0)
        free(c);
}

/* Leaves the room now; pending writes are cancelled (their callbacks run
 * before the close callbacks) and a partial line is discarded. */
static void drop(client *c)
{
    if (c->closing)
        return;
    c->closing = 1;
    chat_leave(&room, &c->member);
    uv_close((uv_handle_t *)&c->tcp, on_closed);
    uv_close((uv_handle_t *)&c->idle, on_closed);
}

static void unref_line(line *l)
{
    if (--l->refs == 0)
        free(l);
}

static void on_written(uv_write_t *req, int status)
{
    wreq *w = (wreq *)req;
    unref_line(w->l);
    w->free_next = free_reqs;
    free_reqs = w;
    if (status < 0)
        drop(req->handle->data);
}

/* Queues l from byte from on to c; 1 when queued (even if that cut c
 * off). */
static int send_line(client *c, line *l, size_t from)
{
    wreq *w = free_reqs;
    if (w)
        free_reqs = w->free_next;
    else if (!(w = malloc(sizeof *w)))
        fail("malloc", UV_ENOMEM);
    w->l = l;
    l->refs++;
    uv_buf_t b = uv_buf_init(l->data + from, (unsigned)(l->len - from));
    int r = uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, on_written);
    if (r != 0) { /* the connection failed: its read callback reports it */
        l->refs--; /* never the last: the caller holds one */
        w->free_next = free_reqs;
        free_reqs = w;
        return 0;
    }
    if (uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) > opt.hwm) {
        stats.cut_off++;
        drop(c);
    }
    return 1;
}

/* The complete lines of one read, nlines of them, join this iteration's
 * lines (no write has it yet, so it may move). */
static void broadcast(const char *data, size_t len, unsigned long long nlines)
{
    size_t used = turn ? turn->len : 0;
    if (!turn || turn_cap - used < len) {
        size_t cap = turn_cap ? turn_cap : 65536;
        while (cap - used < len)
            cap *= 2;
        line *l = realloc(turn, sizeof *l + cap);
        if (!l)
            fail("realloc", UV_ENOMEM);
        l->refs = 1; /* ours, until every receiver has its write */
        l->len = used;
        turn = l;
        turn_cap = cap;
    }
    memcpy(turn->data + used, data, len);
    turn->len += len;
    turn_lines += nlines;
    stats.lines_in += nlines;
}

/* After the iteration's reads: its lines, one write to each receiver. */
static void on_check(uv_check_t *h)
{
    line *l = turn;
    (void)h;
    if (!l)
        return;
    turn = NULL;
    turn_cap = 0;
    for (chat_member *m = room, *next; m; m = next) {
        client *c = (client *)m;
        size_t from = c->from;
        unsigned long long lines = turn_lines - c->from_lines;
        next = m->next;
        c->from = 0;
        c->from_lines = 0;
        if (from < l->len && send_line(c, l, from))
            stats.lines_out += lines;
    }
    turn_lines = 0;
    unref_line(l);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    client *c = h->data;
    (void)hint;
    *buf = uv_buf_init(c->buf + c->len, (unsigned)(opt.max_line - c->len));
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    client *c = s->data;
    (void)buf;
    if (nread < 0) { /* EOF or an error: the partial line is discarded */
        drop(c);
        return;
    }
    if (opt.idle_ms > 0 && nread > 0)
        uv_timer_again(&c->idle);
    size_t end = c->len + (size_t)nread, start = 0;
    unsigned long long nlines = 0;
    /* Only the new bytes can hold a '\n'. */
    for (char *p = c->buf + c->len;
         (p = memchr(p, '\n', (size_t)(c->buf + end - p))); p++) {
        nlines++;
        start = (size_t)(p - c->buf) + 1;
    }
    if (nlines > 0)
        broadcast(c->buf, start, nlines);
    c->len = end - start;
    memmove(c->buf, c->buf + start, c->len);
    if (c->len == opt.max_line) { /* full, and no '\n': too long */
        stats.overlong++;
        drop(c);
    }
}

static void on_idle(uv_timer_t *t)
{
    stats.idle++;
    drop(t->data);
}

static void on_connection(uv_stream_t *server, int status)
{
    if (status < 0)
        return;
    client *c = calloc(1, sizeof *c + opt.max_line);
    if (!c)
        fail("calloc", UV_ENOMEM);
    uv_tcp_init(loop, &c->tcp);
    uv_timer_init(loop, &c->idle);
    c->tcp.data = c->idle.data = c;
    c->handles = 2;
    if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
        c->closing = 1;
        uv_close((uv_handle_t *)&c->tcp, on_closed);
        uv_close((uv_handle_t *)&c->idle, on_closed);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    chat_join(&room, &c->member);
    c->from = turn ? turn->len : 0; /* the lines before it are not its */
    c->from_lines = turn_lines;
    stats.clients++;
    if (opt.idle_ms > 0)
        uv_timer_start(&c->idle, on_idle, (uint64_t)opt.idle_ms,
                       (uint64_t)opt.idle_ms);
    int r = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    if (r != 0)
        fail("uv_read_start", r);
    static char ok[] = ":ok\n";
    line *l = malloc(sizeof *l + 4);
    if (!l)
        fail("malloc", UV_ENOMEM);
    l->refs = 1;
    l->len = 4;
    memcpy(l->data, ok, 4);
    send_line(c, l, 0);
    unref_line(l);
}

static void on_signal(uv_signal_t *s, int sig)
{
    (void)sig;
    uv_stop(s->loop);
}

int main(int argc, char **argv)
{
    uv_tcp_t server;
    uv_signal_t sigint, sigterm;
    uv_check_t flusher;
    struct sockaddr_in a;
    int namelen = sizeof a;
    int r;
    chat_parse(argc, argv, "chat_libuv", &opt);
    signal(SIGPIPE,
           SIG_IGN); /* a write to a client that left: an error, not death */
    loop = uv_default_loop();
    uv_signal_init(loop, &sigint);
    uv_signal_init(loop, &sigterm);
    uv_signal_start(&sigint, on_signal, SIGINT);
    uv_signal_start(&sigterm, on_signal, SIGTERM);
    uv_check_init(loop, &flusher);
    uv_check_start(&flusher, on_check);
    uv_ip4_addr("127.0.0.1", opt.port, &a);
    uv_tcp_init(loop, &server);
    if ((r = uv_tcp_bind(&server, (const struct sockaddr *)&a, 0)) != 0 ||
        (r = uv_listen((uv_stream_t *)&server, 4096, on_connection)) != 0 ||
        (r = uv_tcp_getsockname(&server, (struct sockaddr *)&a, &namelen)) != 0)
        fail("listen", r);
    chat_listening(ntohs(a.sin_port));
    uv_run(loop, UV_RUN_DEFAULT);
    while (room)
        drop((client *)room);
    uv_run(loop, UV_RUN_NOWAIT); /* the close callbacks */
    chat_summary(&stats);
    return 0;
}
