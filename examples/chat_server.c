/* SPDX-License-Identifier: MIT */
/* The chat server of docs/chat.md on portsock: one ps_poller, clients
 * accepted with ps_accept_ex(PS_ACCEPT_NONBLOCK), a ps_conn per client
 * (lines in, a send queue out), the idle timeout as a ps_poller timer per
 * client, SIGINT / SIGTERM (Ctrl-C on Windows) waking the loop. The lines
 * of a loop turn are kept once and sent to each client at the turn's end
 * with one ps_conn_send, which copies only what the kernel does not take.
 *
 * chat_server [--port N] [--hwm BYTES] [--max-line BYTES] [--idle-ms MS] */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portsock.h"

typedef struct client {
    struct client *prev, *next; /* the room: every connected client */
    struct client *dead_next;   /* dropped this turn, freed at its end */
    int dead;
    ps_conn *conn;
    unsigned wants;    /* the events registered */
    uint64_t timer;    /* idle timer, 0: none */
    int64_t last_line; /* ps_now_ms() of the last line taken */
    uint64_t taken;    /* bytes taken as lines, '\n' included */
    size_t from;       /* its part of this turn's lines: from here on */
    unsigned long long from_lines; /* the turn's lines before it came */
} client;

static struct {
    long long port, hwm, max_line, idle_ms;
} opt = {0, 1024 * 1024, 1024, 0};

static struct {
    unsigned long long clients, lines_in, lines_out, cut_off, overlong, idle;
} stats;

static ps_poller *poller;
static ps_socket_t listener = PS_INVALID_SOCKET;
static char listener_tag; /* the listener's event data */
static client *room, *dead;
/* The lines taken this loop turn, '\n' included. */
static struct {
    char *p;
    size_t len, cap;
    unsigned long long lines;
} turn;
static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
    (void)sig;
    stop = 1;
    ps_poller_wake(poller); /* async-signal-safe on POSIX, any thread on
                               Windows (where Ctrl-C runs its own) */
}

static _Noreturn void fail(const char *what, int r)
{
    fprintf(stderr, "chat_server: %s: %s\n", what, ps_strerror(r));
    exit(1);
}

static ps_pollitem item_of(const client *c, unsigned events)
{
    ps_pollitem it;
    memset(&it, 0, sizeof it);
    it.kind = PS_KIND_SOCKET;
    it.sock = ps_conn_socket(c->conn);
    it.events = events;
    return it;
}

/* Takes c out of the room and the poller now; the record lives until the
 * end of the loop turn, since events of this turn may still name it. */
static void drop(client *c)
{
    if (c->dead)
        return;
    c->dead = 1;
    if (c->prev)
        c->prev->next = c->next;
    else
        room = c->next;
    if (c->next)
        c->next->prev = c->prev;
    ps_pollitem it = item_of(c, 0);
    ps_poller_remove(poller, &it);
    if (c->timer)
        ps_poller_timer_cancel(poller, c->timer);
    c->dead_next = dead;
    dead = c;
}

static void free_dead(void)
{
    while (dead) {
        client *c = dead;
        dead = c->dead_next;
        ps_conn_close(c->conn, NULL); /* its queue is discarded */
        free(c);
    }
}

/* Registers what the connection wants now, if that changed. */
static void update_wants(client *c)
{
    unsigned w = ps_conn_wants(c->conn);
    if (w == 0) { /* failed, or the peer ended: nothing more to do */
        drop(c);
        return;
    }
    if (w == c->wants)
        return;
    ps_pollitem it = item_of(c, w);
    int r = ps_poller_modify(poller, &it, c);
    if (r != 0)
        fail("ps_poller_modify", r);
    c->wants = w;
}

/* Sends bytes to c: what the kernel does not take now is queued, and
 * flushed on write readiness; at the high-water mark c is cut off. */
static void deliver(client *c, const char *p, size_t len)
{
    if (ps_conn_send(c->conn, p, len) != 0) {
        drop(c); /* reset by the peer, or failed before: it left */
        return;
    }
    if (ps_conn_over_high_water(c->conn)) {
        stats.cut_off++;
        drop(c);
        return;
    }
    update_wants(c);
}

/* A line joins this turn's, sent to every client by end_turn: one send
 * per client for all the turn's lines, where a send per line would cost a
 * system call per line per client. */
static void broadcast(const char *line, size_t len)
{
    if (turn.cap - turn.len < len) {
        size_t cap = turn.cap ? turn.cap : 65536;
        while (cap - turn.len < len)
            cap *= 2;
        char *p = realloc(turn.p, cap);
        if (!p)
            fail("broadcast", PS_ENOMEM);
        turn.p = p;
        turn.cap = cap;
    }
    memcpy(turn.p + turn.len, line, len);
    turn.len += len;
    turn.lines++;
    stats.lines_in++;
}

static void arm_idle(client *c, int64_t due)
{
    int r = ps_poller_timer(poller, &c->timer, due, 0, c);
    if (r != 0)
        fail("ps_poller_timer", r);
}

/* A line the client sent whole: after its end of stream, read_line gives
 * the last bytes without a "\n" as a line too, told apart by the count. */
static int complete(const client *c, size_t len, int ended)
{
    ps_conn_stats st;
    if (!ended)
        return 1;
    ps_conn_get_stats(c->conn, &st);
    return c->taken + len + 1 <= st.received;
}

static void on_readable(client *c)
{
    int r = ps_conn_fill(c->conn, NULL);
    int ended = r == PS_ECLOSED;
    const char *line;
    size_t len;
    if (r != 0 && !ended) {
        drop(c); /* reset: a partial line dies with it */
        return;
    }
    while (!c->dead && (r = ps_conn_read_line(c->conn, &line, &len)) == 0) {
        if (!complete(c, len, ended))
            break;
        c->taken += len + 1;
        c->last_line = opt.idle_ms ? ps_now_ms() : 0;
        /* The buffer holds the "\n" right after the line. */
        broadcast(line, len + 1);
    }
    if (r == PS_EMSGSIZE) {
        stats.overlong++;
        drop(c);
    } else if (ended) {
        drop(c);
    }
}

static void on_idle_timer(client *c)
{
    int64_t due = c->last_line + opt.idle_ms;
    c->timer = 0;
    if (ps_now_ms() < due) { /* a line came since it was set */
        arm_idle(c, due);
        return;
    }
    stats.idle++;
    drop(c);
}

static void on_accept(void)
{
    static const ps_conn_limits none; /* every default */
    ps_conn_limits lim = none;
    lim.high_water = (size_t)opt.hwm;
    lim.max_line = (size_t)opt.max_line - 1; /* without the "\n" */
    for (int i = 0; i < 64; i++) {
        ps_socket_t s;
        int r = ps_accept_ex(listener, &s, NULL, PS_ACCEPT_NONBLOCK, 0);
        if (r == PS_EWOULDBLOCK)
            return;
        if (r != 0) { /* a connection reset before it was taken, EMFILE */
            fprintf(stderr, "chat_server: accept: %s\n", ps_strerror(r));
            return;
        }
        /* Lines leave when flushed, not held back by Nagle's algorithm
         * for an acknowledgement: with it, bench/run_chat.py measured
         * about twice the sends and a quarter fewer lines per second. */
        ps_set_nodelay(s, 1);
        client *c = calloc(1, sizeof *c);
        if (!c || (r = ps_conn_new(&c->conn, s, &lim)) != 0)
            fail("new client", c ? r : PS_ENOMEM);
        c->wants = PS_POLL_READ;
        ps_pollitem it = item_of(c, c->wants);
        if ((r = ps_poller_add(poller, &it, c)) != 0)
            fail("ps_poller_add", r);
        c->next = room;
        if (room)
            room->prev = c;
        room = c;
        c->from = turn.len; /* the turn's lines before it are not its */
        c->from_lines = turn.lines;
        stats.clients++;
        if (opt.idle_ms) {
            c->last_line = ps_now_ms();
            arm_idle(c, c->last_line + opt.idle_ms);
        }
        deliver(c, ":ok\n", 4);
    }
}

/* The output of this loop turn: its lines, one send per client, and
 * WRITE registered where a queue remains. */
static void end_turn(void)
{
    for (client *c = turn.len ? room : NULL, *next; c; c = next) {
        next = c->next; /* c may be dropped */
        size_t from = c->from;
        stats.lines_out += turn.lines - c->from_lines;
        c->from = 0;
        c->from_lines = 0;
        if (from < turn.len)
            deliver(c, turn.p + from, turn.len - from);
    }
    turn.len = 0;
    turn.lines = 0;
    free_dead();
}

static void handle(const ps_event *ev)
{
    if (ev->data == &listener_tag) {
        on_accept();
        return;
    }
    client *c = ev->data;
    if (c->dead)
        return;
    if (ev->revents & PS_POLL_TIMER) {
        on_idle_timer(c);
        return;
    }
    if (ev->revents & (PS_POLL_WRITE | PS_POLL_ERROR)) {
        if (ps_conn_flush(c->conn) != 0) {
            drop(c);
            return;
        }
        update_wants(c);
    }
    if (!c->dead && (ev->revents & (PS_POLL_READ | PS_POLL_HUP | PS_POLL_ERROR |
                                    PS_POLL_INVALID)))
        on_readable(c);
}

static long long number(const char *name, const char *s, long long min,
                        long long max)
{
    char *end;
    long long v = s ? strtoll(s, &end, 10) : 0;
    if (!s || *s == '\0' || *end != '\0' || v < min || v > max) {
        fprintf(stderr,
                "chat_server: bad %s: %s\nusage: chat_server [--port N] "
                "[--hwm BYTES] [--max-line BYTES] [--idle-ms MS]\n",
                name, s ? s : "(missing)");
        exit(2);
    }
    return v;
}

static void parse(int argc, char **argv)
{
    static const struct {
        const char *name;
        long long *value, min, max;
    } opts[] = {{"--port", &opt.port, 0, 65535},
                {"--hwm", &opt.hwm, 1, 1LL << 40},
                {"--max-line", &opt.max_line, 2, 1 << 24},
                {"--idle-ms", &opt.idle_ms, 0, 1 << 30}};
    for (int i = 1; i < argc; i += 2) {
        size_t k = 0;
        while (k < sizeof opts / sizeof opts[0] &&
               strcmp(argv[i], opts[k].name) != 0)
            k++;
        if (k == sizeof opts / sizeof opts[0])
            number("option", argv[i], 1, 0); /* always fails */
        *opts[k].value = number(argv[i], argv[i + 1], opts[k].min, opts[k].max);
    }
}

int main(int argc, char **argv)
{
    enum { EVENTS = 256 };
    ps_event events[EVENTS];
    char port[16];
    ps_addr local;
    int r;
    parse(argc, argv);
    if ((r = ps_init()) != 0)
        fail("ps_init", r);
    snprintf(port, sizeof port, "%lld", opt.port);
    if ((r = ps_listen(&listener, "127.0.0.1", port, 0)) != 0 ||
        (r = ps_set_nonblocking(listener, 1)) != 0 ||
        (r = ps_local_addr(listener, &local)) != 0)
        fail("listen", r);
    if ((r = ps_poller_open(&poller)) != 0)
        fail("ps_poller_open", r);
    ps_pollitem it;
    memset(&it, 0, sizeof it);
    it.kind = PS_KIND_SOCKET;
    it.sock = listener;
    it.events = PS_POLL_READ;
    if ((r = ps_poller_add(poller, &it, &listener_tag)) != 0)
        fail("ps_poller_add", r);
    signal(SIGINT, on_stop);
    signal(SIGTERM, on_stop);
    printf("listening on %d\n", ps_addr_port(&local));
    fflush(stdout);
    while (!stop) {
        int n = ps_poller_wait(poller, events, EVENTS, -1);
        if (n < 0)
            fail("ps_poller_wait", n);
        for (int i = 0; i < n; i++)
            handle(&events[i]);
        end_turn();
    }
    while (room)
        drop(room);
    free_dead();
    free(turn.p);
    ps_poller_remove(poller, &it);
    ps_close(listener);
    ps_poller_close(poller);
    printf("summary clients=%llu lines_in=%llu lines_out=%llu cut_off=%llu "
           "overlong=%llu idle=%llu\n",
           stats.clients, stats.lines_in, stats.lines_out, stats.cut_off,
           stats.overlong, stats.idle);
    fflush(stdout);
    ps_cleanup();
    return 0;
}
