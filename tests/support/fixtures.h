/* SPDX-License-Identifier: MIT */
/* Set-ups that many tests share, each with one teardown (fixtures.c):
 * a poller watching a pipe (and waits that must report one event or
 * none), and two connected stream sockets with chosen buffer sizes and a
 * peer thread. Each aborts the test if it cannot be made. Written on the
 * public API, support.h and select_support.h only. */
#ifndef PS_TEST_FIXTURES_H
#define PS_TEST_FIXTURES_H

#include "portsock.h"
#include "support.h"

/* ---- a poller and a pipe ------------------------------------------------ */

typedef struct pst_pipe_poller {
    ps_poller *p;
    /* The pipe: [0] the read end, [1] the write end; -1 once closed with
     * pst_pipe_poller_close_end. */
    int fds[2];
    /* The read end as a PS_KIND_FD item, with the events it was added for
     * (0 before pst_pipe_poller_add). */
    ps_pollitem item;
} pst_pipe_poller;

/* Opens the poller and the pipe; nothing is registered. */
void pst_pipe_poller_init(pst_pipe_poller *f);
/* Registers the pipe's read end for events with data; the add must
 * succeed. */
void pst_pipe_poller_add(pst_pipe_poller *f, unsigned events, void *data);
/* pst_pipe_poller_init, then pst_pipe_poller_add: the usual set-up. */
void pst_pipe_poller_open(pst_pipe_poller *f, unsigned events, void *data);
/* Closes one end of the pipe now (0: read end, 1: write end), whether it
 * is registered or not; the teardown then leaves it alone. */
void pst_pipe_poller_close_end(pst_pipe_poller *f, int end);
/* The teardown: closes the poller with whatever is still registered, then
 * the ends of the pipe that are still open. */
void pst_pipe_poller_close(pst_pipe_poller *f);

/* A ps_poller_wait (room for 4 events) that must report exactly one: that
 * event. */
ps_event pst_wait_one(ps_poller *p, int timeout_ms);
/* A ps_poller_wait that must report nothing. */
void pst_wait_none(ps_poller *p, int timeout_ms);

/* ---- two connected stream sockets, with a peer thread ------------------ */

typedef enum pst_pair_kind {
    PST_PAIR_TCP,       /* pst_tcp_pair: 127.0.0.1, listen/connect/accept */
    PST_PAIR_SOCKETPAIR /* ps_socketpair */
} pst_pair_kind;

/* One end's ps_set_buffer_sizes arguments; {0, 0} leaves that end's
 * buffers as the system made them (no call at all). */
typedef struct pst_bufs {
    int snd, rcv;
} pst_bufs;
#define PST_BUFS_ASIS ((pst_bufs){0, 0})

typedef struct pst_pair {
    /* TCP: the connecting end and the accepted end; a socket pair: its
     * [0] and [1]. PS_INVALID_SOCKET once closed with pst_pair_close_end. */
    ps_socket_t c, s;
    /* The peer thread, NULL when none is running or it was joined. */
    pst_thread *peer;
} pst_pair;

/* Makes the pair and sets each end's buffer sizes; every call must
 * succeed. */
void pst_pair_open(pst_pair *f, pst_pair_kind kind, pst_bufs c, pst_bufs s);
/* A TCP pair with the buffers as the system made them: the usual case. */
void pst_pair_open_tcp(pst_pair *f);
/* Starts fn(arg) as the pair's peer thread (one at a time). */
void pst_pair_start_peer(pst_pair *f, void (*fn)(void *arg), void *arg);
/* Waits for the peer thread, if one runs. */
void pst_pair_join_peer(pst_pair *f);
/* Closes *end (f->c or f->s) now, e.g. to end a peer that waits on the
 * other end; ps_close must succeed. */
void pst_pair_close_end(pst_pair *f, ps_socket_t *end);
/* The teardown: joins the peer thread if it still runs, then closes the
 * ends still open; each ps_close must succeed. */
void pst_pair_close(pst_pair *f);

/* ---- a ps_conn in a test's event loop ---------------------------------- */

/* ps_select on c's socket for events within timeout_ms: the revents, 0
 * when nothing is ready; the wait must not fail. */
unsigned pst_conn_wait(const ps_conn *c, unsigned events, int timeout_ms);
/* One turn of an event loop: waits up to 100 ms for ps_conn_wants(c),
 * flushes on WRITE, fills on READ (HUP, ERROR), or at once when c wants
 * nothing (it ended). Returns the fill's result, which must be 0 or
 * PS_ECLOSED, with *got the bytes it read. */
int pst_conn_turn(ps_conn *c, size_t *got);
/* Turns until c has received `total` bytes in all; fails the test after
 * 20 s (scaled by pst_slack_ms). */
void pst_conn_fill_until(ps_conn *c, uint64_t total);

#endif
