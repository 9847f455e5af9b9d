/* SPDX-License-Identifier: MIT */
/* ps_connector: ps_connect for event loops. A helper thread
 * (src/helpers.c) does ps_connect's work (the timed lookup, then the Happy
 * Eyeballs race of src/connect_race.c on non-blocking sockets); the loop watches one end of
 * a socket pair, which the helper makes readable when it is done, and the
 * helper watches the other end, which the loop makes readable to cancel.
 * Why a thread and a pair: several attempts may be in flight at once, and
 * on Windows (AFD) no single pollable object can stand for them all; a
 * socket pair is the one item every backend (and ps_select) watches alike.
 */
#include "internal.h"

#include <stdlib.h>

/* What the connector and its helper share. Each holds one reference to
 * each latch; whoever releases `done` last frees the job. */
typedef struct job {
    /* The claim decides, once, who owns what follows the lookup: the
     * helper, which then runs the race and the connector waits for it; or
     * a cancel during the lookup, which abandons the helper: it then never
     * touches `wake` and ends on its own. */
    ps__latch *claim;
    ps__latch *done; /* set by the helper after result, native and sock */
    /* ps__resolve_begin's outcome, from ps_connector_start: an error, the
     * addresses, or a lookup running on a helper of its own, started before
     * this job's helper so that neither waits for the other to wake. */
    int begun;
    int begun_native;
    ps_addr *addrs;
    size_t naddrs;
    ps__lookup *lookup;
    ps__deadline d;
    ps_socket_t wake; /* the helper's end of the pair (the connector's) */
    int result;
    int native;       /* ps_native_error() behind a failed result */
    ps_socket_t sock; /* the connected socket, non-blocking */
} job;

/* A connector's states: RUNNING (the job is out) -> FINISHED (its
 * outcome taken by ps_connector_finish, the job released). */
enum { RUNNING, FINISHED };

struct ps_connector {
    int state;
    job *job;            /* RUNNING only */
    ps_socket_t pair[2]; /* [0] the loop's item, [1] the helper's end */
};

static void job_free(job *j)
{
    if (j->lookup)
        ps__lookup_abandon(j->lookup);
    if (j->addrs)
        ps__free_addrs(j->addrs);
    free(j);
}

/* Drops one party's hold on the job; the second call frees it. The claim
 * goes first: after `done`, j may already be gone. */
static void job_release(job *j)
{
    ps__latch_release(j->claim);
    if (ps__latch_release(j->done))
        job_free(j);
}

static job *job_new(const char *host, const char *port, int timeout_ms,
                    ps_socket_t wake)
{
    job *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    j->sock = PS_INVALID_SOCKET;
    j->wake = wake;
    ps__deadline_start(&j->d, timeout_ms);
    if (ps__latch_new(&j->claim) != 0) {
        job_free(j);
        return NULL;
    }
    if (ps__latch_new(&j->done) != 0) {
        ps__latch_release(j->claim);
        ps__latch_release(j->claim);
        job_free(j);
        return NULL;
    }
    /* Never blocks: a name goes to a helper even without a deadline. Its
     * errors are the outcome, given by ps_connector_finish as ps_connect
     * would give them. */
    j->begun = ps__resolve_begin(host, port, 0, PS_SOCK_STREAM, &j->d, 1,
                                 &j->addrs, &j->naddrs, &j->lookup);
    j->begun_native = j->begun != 0 ? ps_native_error() : 0;
    return j;
}

/* One byte on a pair end, whose buffer is otherwise empty: never blocks. */
static void poke(ps_socket_t s)
{
    size_t sent;
    ps__send_once(s, "!", 1, &sent, PS__IO_NOWAIT);
}

static void helper_run(void *arg)
{
    job *j = arg;
    int r = j->begun;
    if (r != 0) {
        ps__set_native_error(j->begun_native);
    } else if (j->lookup) {
        ps__lookup *l = j->lookup;
        j->lookup = NULL;
        r = ps__lookup_finish(l, &j->d, &j->addrs, &j->naddrs);
    }
    ps_addr *addrs = j->addrs;
    size_t n = j->naddrs;
    j->addrs = NULL;
    if (ps__latch_set(j->claim)) {
        /* Ours: the connector waits for `done` before it closes `wake`. */
        if (r == 0) {
            ps__race_opts o = {j->wake, 1};
            r = ps__connect_race_with(addrs, n, &j->d, &o, &j->sock);
        }
        j->result = r;
        j->native = r != 0 ? ps_native_error() : 0;
        poke(j->wake);
        ps__latch_set(j->done);
    }
    if (addrs)
        ps__free_addrs(addrs);
    job_release(j);
    /* Taken by ps_connector_start for this thread. */
    ps__platform_cleanup();
}

/* A job no helper ever got: both parties' references are ours. */
static void job_destroy(job *j)
{
    ps__latch_release(j->claim);
    ps__latch_release(j->claim);
    ps__latch_release(j->done);
    ps__latch_release(j->done);
    job_free(j);
}

/* Hands the job to a helper thread with its own network-stack
 * reference, so ps_cleanup while it runs cannot pull the stack from under
 * it (Windows). On failure no helper holds the job. */
static int spawn(job *j)
{
    int r = ps__platform_init();
    if (r == 0) {
        r = ps__helper_run(helper_run, j);
        if (r != 0)
            ps__platform_cleanup();
    }
    return r;
}

int ps_connector_start(ps_connector **out, const char *host, const char *port,
                       int timeout_ms)
{
    if (!out)
        return PS_EINVAL;
    *out = NULL;
    int r = ps__connect_check(host, port);
    if (r != 0)
        return r;
    ps_connector *c = calloc(1, sizeof *c);
    if (!c)
        return PS_ENOMEM;
    r = ps_socketpair(c->pair);
    if (r != 0) {
        free(c);
        return r;
    }
    c->job = job_new(host, port, timeout_ms, c->pair[1]);
    r = c->job ? spawn(c->job) : PS_ENOMEM;
    if (r != 0) {
        if (c->job)
            job_destroy(c->job);
        ps_close(c->pair[0]);
        ps_close(c->pair[1]);
        free(c);
        return r;
    }
    c->state = RUNNING;
    *out = c;
    return 0;
}

int ps_connector_item(const ps_connector *c, ps_pollitem *item)
{
    if (!c || !item)
        return PS_EINVAL;
    item->kind = PS_KIND_SOCKET;
    item->sock = c->pair[0];
    item->fd = -1;
    item->handle = NULL;
    item->events = PS_POLL_READ;
    item->revents = 0;
    return 0;
}

int ps_connector_finish(ps_connector *c, ps_socket_t *out)
{
    if (!out)
        return PS_EINVAL;
    *out = PS_INVALID_SOCKET;
    if (!c || c->state != RUNNING)
        return PS_EINVAL;
    job *j = c->job;
    /* The helper pokes just before it sets `done`: once the poke is there,
     * the wait is that short. */
    if (!ps__latch_wait(j->done, 0)) {
        int ready = ps__poll_one(c->pair[0], PS__WANT_READ, 0);
        if (ready < 0)
            return ready;
        if (ready == 0)
            return PS_EWOULDBLOCK;
        ps__latch_wait(j->done, -1);
    }
    int r = j->result;
    if (r == 0)
        *out = j->sock;
    else
        ps__set_native_error(j->native);
    job_release(j);
    c->job = NULL;
    c->state = FINISHED; /* RUNNING -> FINISHED: the outcome is handed out */
    return r;
}

void ps_connector_free(ps_connector *c)
{
    if (!c)
        return;
    int saved = ps_native_error();
    if (c->state == RUNNING) {
        job *j = c->job;
        /* Lost the claim: the helper is racing (or done); a poke on our
         * end stops its race, and `done` says it has closed every attempt
         * and will not touch the pair again. Won it: the lookup is still
         * running, and the helper, abandoned, ends on its own. */
        if (!ps__latch_set(j->claim)) {
            poke(c->pair[0]);
            ps__latch_wait(j->done, -1);
            if (j->sock != PS_INVALID_SOCKET)
                ps_close(j->sock);
        }
        job_release(j);
    }
    ps_close(c->pair[0]);
    ps_close(c->pair[1]);
    ps__set_native_error(saved);
    free(c);
}
