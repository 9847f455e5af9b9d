/* SPDX-License-Identifier: MIT */
/* Load generator for the chat benchmark (docs/chat.md; Linux: epoll,
 * /proc). N clients connect and wait for every ":ok"; then each of the
 * first S (--senders, all by default) keeps W of its own lines outstanding
 * (--window, 1 by default: sent, not yet seen back) for the measured
 * window, after a warm-up; every client receives. A line is
 *     "<sender> <seq> <send ns> <length> <filler>\n"
 * of a length drawn from a seeded generator (the same for every run with
 * the same --seed), its filler a function of sender and seq. Every
 * receiver checks every line: well formed, and per sender the next
 * sequence number (nothing lost, duplicated or reordered); a violation is
 * a hard error (exit 1). After the window each client's lines must reach
 * every client. Prints loadgen's result line, where reqs and rps count
 * the deliveries in the window (a line received by n clients counts n;
 * busy= is the number of senders), the latencies are receive time - send
 * time, and the CPU is the server's per delivery.
 *
 * chat_loadgen --port P --conns N [--senders S] [--window W] [--secs S] [--pid PID,...]
 *              [--seed X] [--min-len B] [--max-len B]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loadgen_common.h"

#define MAX_CONNS 20000
#define CONNECT_BATCH 256
#define MAX_LEN 1024 /* the protocol's default line limit */
/* Room for many lines a receive: the generator, not the server, is what
 * runs out of CPU first when each recv takes a few lines. */
#define IN_BUF (16 * MAX_LEN)
#define OUT_BUF (16 * MAX_LEN)

enum { C_CONNECTING, C_WAIT_OK, C_READY };

typedef struct conn {
    int fd, state;
    uint32_t sent;        /* own lines sent */
    uint32_t outstanding; /* own lines not yet seen back */
    uint32_t *next_seq;   /* per sender: the next line expected */
    uint64_t received;    /* lines received */
    size_t in_len, out_len, out_off;
    int want_out;
    char in[IN_BUF];
    char out[OUT_BUF];
} conn;

static conn *conns;
static int nconns;
static int ep;
static uint64_t seed = 1;
static size_t min_len = 48, max_len = 200;
static long window = 1; /* own lines outstanding per sending client */
static int senders;     /* clients that send (0: all) */

static _Noreturn void violation(const conn *c, const char *what,
                                const char *line, size_t len)
{
    if (len > 0 && line[len - 1] == '\n')
        len--;
    fprintf(stderr, "chat_loadgen: client %d: %s: \"%.*s\"\n", (int)(c - conns),
            what, (int)(len > 120 ? 120 : len), line);
    exit(1);
}

/* splitmix64: a line's length and filler from (seed, sender, seq). */
static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static uint64_t line_key(uint32_t sender, uint32_t seq)
{
    return mix(seed ^ ((uint64_t)sender << 32 | seq));
}

/* A line's length, '\n' included: from min_len to max_len. */
static size_t line_len(uint64_t key)
{
    return min_len + (size_t)(key % (max_len - min_len + 1));
}

static char filler(uint64_t key)
{
    return (char)('a' + key % 26);
}

/* Each filler letter MAX_LEN times, for one memcmp per line. */
static char fills[26][MAX_LEN];

/* The decimal number at *p and the space after it; 0, or -1 if there is
 * none. By hand: sscanf was most of the generator's CPU time. */
static int field(const char **p, const char *end, uint64_t *v)
{
    const char *s = *p;
    uint64_t x = 0;
    if (s == end || *s < '0' || *s > '9')
        return -1;
    for (; s < end && *s >= '0' && *s <= '9'; s++) {
        if (x > (UINT64_MAX - 9) / 10)
            return -1;
        x = x * 10 + (uint64_t)(*s - '0');
    }
    if (s == end || *s != ' ')
        return -1;
    *p = s + 1;
    *v = x;
    return 0;
}

static void set_events(conn *c, uint32_t ev)
{
    struct epoll_event e = {.events = ev, .data.ptr = c};
    if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e) != 0)
        lg_die("epoll_ctl");
}

static void flush_out(conn *c)
{
    while (c->out_off < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EAGAIN)
            break;
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            lg_die("send");
        c->out_off += (size_t)n;
    }
    if (c->out_off == c->out_len)
        c->out_off = c->out_len = 0;
    int want = c->out_len > 0;
    if (want != c->want_out) {
        c->want_out = want;
        set_events(c, EPOLLIN | (want ? EPOLLOUT : 0));
    }
}

/* Appends the client's next line to its output and sends what fits. */
static void send_line(conn *c)
{
    uint32_t id = (uint32_t)(c - conns), seq = c->sent++;
    uint64_t key = line_key(id, seq);
    size_t len = line_len(key);
    if (c->out_len + len > OUT_BUF)
        lg_die("output buffer full");
    char *p = c->out + c->out_len;
    int head = snprintf(p, len, "%" PRIu32 " %" PRIu32 " %" PRId64 " %zu ", id,
                        seq, lg_now_ns(), len);
    if (head < 0 || (size_t)head + 1 >= len)
        lg_die("--min-len too small for the line's head");
    memset(p + head, filler(key), len - 1 - (size_t)head);
    p[len - 1] = '\n';
    c->out_len += len;
    c->outstanding++;
    flush_out(c);
}

/* Checks one line received by c; returns its sender, and the send time in
 * *sent_ns. */
static uint32_t check_line(conn *c, char *line, size_t len, int64_t *sent_ns)
{
    const char *p = line, *end = line + len - 1; /* before the '\n' */
    uint64_t id, seq, ns, n;
    if (field(&p, end, &id) != 0 || field(&p, end, &seq) != 0 ||
        field(&p, end, &ns) != 0 || field(&p, end, &n) != 0 ||
        id >= (uint64_t)nconns || seq > UINT32_MAX || ns > INT64_MAX || n != len)
        violation(c, "malformed line", line, len);
    uint64_t key = line_key((uint32_t)id, (uint32_t)seq);
    /* The length its sender gave it (which also keeps the memcmp below
     * within fills' MAX_LEN). */
    if (len != line_len(key))
        violation(c, "malformed line (length)", line, len);
    char f = filler(key);
    if (memcmp(p, fills[f - 'a'], (size_t)(end - p)) != 0)
        violation(c, "malformed line (filler)", line, len);
    if (seq != c->next_seq[id])
        violation(c,
                  seq < c->next_seq[id] ? "duplicated or reordered line"
                                        : "line lost",
                  line, len);
    c->next_seq[id]++;
    c->received++;
    *sent_ns = (int64_t)ns;
    return (uint32_t)id;
}

/* Reads what is there; each complete line is checked, recorded (when w)
 * and, when it is c's own, answered with the next one while sending. */
static void read_lines(conn *c, lg_window *w, long *inflight)
{
    for (;;) {
        ssize_t n = recv(c->fd, c->in + c->in_len, IN_BUF - c->in_len, 0);
        if (n < 0 && errno == EAGAIN)
            return;
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            fprintf(stderr, "chat_loadgen: client %d: %s\n", (int)(c - conns),
                    n == 0 ? "closed by the server" : strerror(errno));
            exit(1);
        }
        size_t end = c->in_len + (size_t)n, start = 0;
        int64_t now = w ? lg_now_ns() : 0; /* for every line of this read */
        char *nl;
        while ((nl = memchr(c->in + start, '\n', end - start))) {
            size_t len = (size_t)(nl - (c->in + start)) + 1;
            char *line = c->in + start;
            start += len;
            if (c->state == C_WAIT_OK) {
                if (len != 4 || memcmp(line, ":ok\n", 4) != 0)
                    violation(c, "expected :ok first", line, len);
                c->state = C_READY;
                continue;
            }
            int64_t sent_ns;
            uint32_t id = check_line(c, line, len, &sent_ns);
            if (w)
                lg_delivered(w, sent_ns, now);
            if (id != (uint32_t)(c - conns))
                continue;
            c->outstanding--;
            (*inflight)--;
            if (w && w->sending) {
                send_line(c);
                (*inflight)++;
            }
        }
        c->in_len = end - start;
        memmove(c->in, c->in + start, c->in_len);
        if (c->in_len >= MAX_LEN)
            violation(c, "line over the limit", c->in, c->in_len);
    }
}

/* Connects everyone (CONNECT_BATCH in flight) and waits for every ":ok". */
static void setup(const struct sockaddr_in *to)
{
    struct epoll_event evs[512];
    int64_t end = lg_now_ns() + LG_SETUP_NS;
    int started = 0, ready = 0;
    long none = 0;
    while (ready < nconns) {
        while (started < nconns && started - ready < CONNECT_BATCH) {
            conn *c = &conns[started++];
            c->fd = lg_connect(to);
            c->state = C_CONNECTING;
            struct epoll_event e = {.events = EPOLLIN, .data.ptr = c};
            if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &e) != 0)
                lg_die("epoll_ctl");
        }
        int n = lg_setup_wait(ep, evs, 512, end, "%d of %d in the room", ready,
                              nconns);
        for (int i = 0; i < n; i++) {
            conn *c = evs[i].data.ptr;
            if (c->state == C_CONNECTING)
                c->state = C_WAIT_OK;
            int was = c->state;
            read_lines(c, NULL, &none);
            ready += was != C_READY && c->state == C_READY;
        }
    }
}

static long arg(const char *v, long min, long max, const char *name)
{
    char *e;
    long x = strtol(v, &e, 10);
    if (*v == '\0' || *e != '\0' || x < min || x > max) {
        fprintf(stderr, "chat_loadgen: bad %s: %s\n", name, v);
        exit(2);
    }
    return x;
}

/* The chat options loadgen's parser does not know, taken out of argv. */
static int own_options(int argc, char **argv)
{
    int out = 1;
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && !strcmp(argv[i], "--seed"))
            seed = (uint64_t)arg(argv[++i], 0, 0x7fffffff, "--seed");
        else if (i + 1 < argc && !strcmp(argv[i], "--senders"))
            senders = (int)arg(argv[++i], 1, MAX_CONNS, "--senders");
        else if (i + 1 < argc && !strcmp(argv[i], "--window"))
            window = arg(argv[++i], 1, 16, "--window");
        else if (i + 1 < argc && !strcmp(argv[i], "--min-len"))
            min_len = (size_t)arg(argv[++i], 48, MAX_LEN, "--min-len");
        else if (i + 1 < argc && !strcmp(argv[i], "--max-len"))
            max_len = (size_t)arg(argv[++i], 48, MAX_LEN, "--max-len");
        else
            argv[out++] = argv[i];
    }
    if (max_len < min_len) {
        fprintf(stderr, "chat_loadgen: --max-len below --min-len\n");
        exit(2);
    }
    return out;
}

int main(int argc, char **argv)
{
    lg_prog = "chat_loadgen";
    lg_args a;
    argc = own_options(argc, argv);
    lg_parse(argc, argv, MAX_CONNS, LG_OPT_HOST, &a);
    nconns = a.conns;
    if (a.port == 0 || nconns == 0 || window * (long)max_len > OUT_BUF) {
        fprintf(
            stderr,
            "usage: chat_loadgen --port P --conns N [--window W] [--secs S] "
            "[--pid PID,...] [--seed X] [--min-len B] [--max-len B]\n");
        return 2;
    }
    lg_raise_nofile(nconns);
    struct sockaddr_in to = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)a.port)};
    if (inet_pton(AF_INET, a.host, &to.sin_addr) != 1) {
        fprintf(stderr, "chat_loadgen: bad IPv4 address %s\n", a.host);
        return 2;
    }
    conns = calloc((size_t)nconns, sizeof *conns);
    uint32_t *seqs = calloc((size_t)nconns * (size_t)nconns, sizeof *seqs);
    ep = epoll_create1(EPOLL_CLOEXEC);
    if (!conns || !seqs || ep < 0)
        lg_die("start");
    for (int i = 0; i < nconns; i++)
        conns[i].next_seq = seqs + (size_t)i * (size_t)nconns;
    for (int k = 0; k < 26; k++)
        memset(fills[k], 'a' + k, MAX_LEN);
    setup(&to);

    lg_window w;
    lg_window_start(&w, a.secs, a.pid);
    long inflight = 0;
    if (senders == 0 || senders > nconns)
        senders = nconns;
    for (int i = 0; i < senders; i++)
        for (long k = 0; k < window; k++, inflight++)
            send_line(&conns[i]);
    struct epoll_event evs[1024];
    while (!lg_window_step(&w, inflight)) {
        int n = lg_wait(ep, evs, 1024, 10);
        for (int i = 0; i < n; i++) {
            conn *c = evs[i].data.ptr;
            if (evs[i].events & EPOLLOUT)
                flush_out(c);
            if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
                read_lines(c, &w, &inflight);
        }
    }
    /* Every line sent must reach every client: wait for the stragglers
     * while they keep coming. */
    uint64_t total = 0, seen = 0, last = 0;
    for (int i = 0; i < nconns; i++)
        total += conns[i].sent;
    for (int64_t give_up = lg_now_ns() + 5 * LG_DRAIN_NS;;) {
        seen = 0;
        for (int i = 0; i < nconns; i++)
            seen += conns[i].received;
        if (seen == total * (uint64_t)nconns)
            break;
        if (seen != last) {
            last = seen;
            give_up = lg_now_ns() + 5 * LG_DRAIN_NS;
        } else if (lg_now_ns() > give_up) {
            for (int i = 0, shown = 0; i < nconns && shown < 5; i++)
                if (conns[i].received != total)
                    fprintf(stderr,
                            "chat_loadgen: client %d received %" PRIu64
                            " of %" PRIu64 " lines%s\n",
                            i, conns[i].received, total,
                            ++shown == 5 ? " (and more)" : "");
            return 1;
        }
        int n = lg_wait(ep, evs, 1024, 10);
        for (int i = 0; i < n; i++) {
            conn *c = evs[i].data.ptr;
            if (evs[i].events & EPOLLOUT)
                flush_out(c);
            read_lines(c, NULL, &inflight);
        }
    }
    /* busy= the senders */
    lg_print_result(&w, nconns, senders, 0, a.secs, 0, 0, 0);
    for (int i = 0; i < nconns; i++)
        close(conns[i].fd);
    close(ep);
    free(conns);
    free(seqs);
    return 0;
}
