/* SPDX-License-Identifier: MIT */
/* The chat server of docs/chat.md on libevent (a benchmark-only
 * dependency), written the way libevent programs are: a bufferevent per
 * client, lines taken with evbuffer_readln, each broadcast into every
 * client's output evbuffer, a client cut off when that buffer passes the
 * high-water mark, the idle timeout as the bufferevent's read timeout.
 *
 * chat_libevent [--port N] [--hwm BYTES] [--max-line BYTES] [--idle-ms MS] */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "chat_peer.h"
#include "libevent_listen.h"

typedef struct client {
    chat_member member; /* first: the room's link */
    struct bufferevent *bev;
    struct client *dead_next;
    int dead; /* cut off during a broadcast: freed after it */
} client;

static struct event_base *base;
static chat_opts opt;
static chat_stats stats;
static chat_member *room;
static client *dead; /* cut off during a broadcast, to free after it */

static _Noreturn void fail(const char *what)
{
    fprintf(stderr, "chat_libevent: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* Closes c now; its queued output and any partial line are discarded. */
static void drop(client *c)
{
    chat_leave(&room, &c->member);
    bufferevent_free(c->bev);
    free(c);
}

/* A receiver over the mark is taken out of the room at once (so the rest
 * of the broadcast skips it) and freed once the broadcast is over: the
 * sender's read callback may still be running on its own bufferevent. */
static void cut_off(client *c)
{
    stats.cut_off++;
    chat_leave(&room, &c->member);
    c->dead = 1;
    c->dead_next = dead;
    dead = c;
}

static void broadcast(const char *line, size_t len)
{
    stats.lines_in++;
    for (chat_member *m = room, *next; m; m = next) {
        client *c = (client *)m;
        next = m->next;
        struct evbuffer *out = bufferevent_get_output(c->bev);
        if (evbuffer_add(out, line, len) != 0)
            fail("evbuffer_add");
        stats.lines_out++;
        if (evbuffer_get_length(out) > opt.hwm)
            cut_off(c);
    }
}

static void free_dead(void)
{
    while (dead) {
        client *c = dead;
        dead = c->dead_next;
        bufferevent_free(c->bev);
        free(c);
    }
}

static void on_read(struct bufferevent *bev, void *arg)
{
    client *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    char *line;
    size_t n;
    while (!c->dead && (line = evbuffer_readln(in, &n, EVBUFFER_EOL_LF))) {
        if (n + 1 > opt.max_line) {
            free(line);
            stats.overlong++;
            drop(c);
            free_dead();
            return;
        }
        line[n] = '\n'; /* readln's terminating NUL: the line as it came */
        broadcast(line, n + 1);
        free(line);
    }
    /* What is left has no '\n': already too long for a line. */
    if (!c->dead && evbuffer_get_length(in) >= opt.max_line) {
        stats.overlong++;
        drop(c);
    }
    free_dead();
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    if (what & BEV_EVENT_TIMEOUT)
        stats.idle++;
    /* EOF, an error or the idle timeout: a partial line in the input
     * buffer dies with the bufferevent. */
    drop(arg);
}

static void on_accept(evutil_socket_t fd)
{
    client *c = calloc(1, sizeof *c);
    if (!c)
        fail("calloc");
    c->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (!c->bev)
        fail("bufferevent_socket_new");
    bufferevent_setcb(c->bev, on_read, NULL, on_event, c);
    if (opt.idle_ms > 0) {
        struct timeval tv = {opt.idle_ms / 1000, (opt.idle_ms % 1000) * 1000};
        bufferevent_set_timeouts(c->bev, &tv, NULL);
    }
    if (bufferevent_enable(c->bev, EV_READ | EV_WRITE) != 0)
        fail("bufferevent_enable");
    chat_join(&room, &c->member);
    stats.clients++;
    bufferevent_write(c->bev, ":ok\n", 4);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)sig;
    (void)what;
    (void)arg;
    event_base_loopexit(base, NULL);
}

int main(int argc, char **argv)
{
    chat_parse(argc, argv, "chat_libevent", &opt);
    signal(SIGPIPE,
           SIG_IGN); /* a write to a client that left: an error, not death */
    base = event_base_new();
    if (!base)
        fail("event_base_new");
    struct event *sigint = evsignal_new(base, SIGINT, on_signal, NULL);
    struct event *sigterm = evsignal_new(base, SIGTERM, on_signal, NULL);
    if (!sigint || !sigterm || evsignal_add(sigint, NULL) != 0 ||
        evsignal_add(sigterm, NULL) != 0)
        fail("evsignal_new");
    if (bench_ev_listen(base, opt.port, on_accept, "listening on %d\n") != 0)
        fail("listen");
    if (event_base_dispatch(base) < 0)
        fail("event_base_dispatch");
    while (room)
        drop((client *)room);
    chat_summary(&stats);
    return 0;
}
