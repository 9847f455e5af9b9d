/* SPDX-License-Identifier: MIT */
/* What bench/loadgen.c and bench/loadgen_tls.c share (Linux): options,
 * the clock, connecting, the measured window and the result line that
 * bench/run_echo.py and bench/run_tls.py parse. */
#ifndef PS_BENCH_LOADGEN_COMMON_H
#define PS_BENCH_LOADGEN_COMMON_H

#include <netinet/in.h>
#include <stdint.h>

#define LG_MSG 64                 /* a request and its echo */
#define LG_WARMUP_NS 300000000LL  /* run, unrecorded, before the window */
#define LG_DRAIN_NS 1000000000LL  /* wait this long for echoes after it */
#define LG_SETUP_NS 60000000000LL /* connecting and priming, at most */

/* The program's name, for messages; set first thing in main. */
extern const char *lg_prog;
/* Called by lg_die before it exits (NULL: nothing), for more detail. */
extern void (*lg_die_hook)(void);

int64_t lg_now_ns(void);
/* "prog: what: strerror(errno)", the hook, exit 1. */
_Noreturn void lg_die(const char *what);

/* The options every load generator takes, and those of extra (LG_OPT_*). */
enum { LG_OPT_RATE = 1, LG_OPT_HOST = 2, LG_OPT_CA = 4 };
typedef struct lg_args {
    long port, busy, rate; /* busy: at most conns, conns when not given */
    int conns;
    double secs;
    const char *pid, *host, *ca;
} lg_args;
/* Parses "--name value" pairs; an unknown or bad one exits 2. port and
 * conns stay 0 when not given. */
void lg_parse(int argc, char **argv, int max_conns, int extra, lg_args *a);
/* Room for conns sockets and a few more. */
void lg_raise_nofile(int conns);

/* A non-blocking TCP socket connecting to to (no delay, closed with a
 * reset: no ports left in TIME_WAIT between runs). */
int lg_connect(const struct sockaddr_in *to);
/* The next request of a connection whose counter is *seq: its bytes in
 * req, its send time returned. */
int64_t lg_next_req(unsigned char req[LG_MSG], uint32_t *seq);

/* epoll_wait, dying on an error but EINTR (then 0 events). */
struct epoll_event;
int lg_wait(int ep, struct epoll_event *evs, int max, int ms);
/* One wait of the setup phase (a connection's events in evs, at most max,
 * 100 ms at most): the count of events. Past end, "setup took too long"
 * with what (a printf format and its values) and exit 1. */
int lg_setup_wait(int ep, struct epoll_event *evs, int max, int64_t end,
                  const char *what, ...) __attribute__((format(printf, 5, 6)));

/* The measured window: LG_WARMUP_NS from start, then secs; the server's
 * CPU time (pid, may be NULL) read at its two ends. */
typedef struct lg_window {
    int64_t start, end;
    double cpu0, cpu1;
    int in_window, sending;
    const char *pid;
} lg_window;
void lg_window_start(lg_window *w, double secs, const char *pid);
/* At each turn of the loop: 1 once the run is over (sending stopped and
 * no request in flight, or the drain time passed). */
int lg_window_step(lg_window *w, long inflight);
/* A request sent at sent_ns was answered now: its latency is recorded
 * when it was sent within the window. */
void lg_answered(const lg_window *w, int64_t sent_ns);
/* A message sent at sent_ns arrived at now_ns (lg_now_ns, taken once for
 * all the messages of one receive): its latency is recorded when it
 * arrived within the window (a broadcast's deliveries: under a slow server
 * a line may take longer than the window). */
void lg_delivered(const lg_window *w, int64_t sent_ns, int64_t now_ns);

/* Prints the result line (latencies, requests/s, CPU per request). */
void lg_print_result(const lg_window *w, int conns, long busy, long rate,
                     double secs, long late, long unanswered, long errors);

#endif
