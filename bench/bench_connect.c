/* SPDX-License-Identifier: MIT */
/* How long ps_connect takes to a name whose first address is silent: a
 * broken IPv6 path, common in the wild. "race.test" must resolve to ::1
 * and then 127.0.0.1 (ci/test.sh runs this program through
 * tests/ns/ns_run.sh with bench/race.hosts over /etc/hosts and
 * bench/race.nsswitch.conf over /etc/nsswitch.conf; PS_TEST_NS=1 says so).
 *
 * [::1]:P is a listener whose queue is filled with connections it never
 * accepts, so further SYNs are dropped; 127.0.0.1:P accepts. The program
 * times ps_connect("race.test", P) a few times and prints the median, next
 * to connecting to 127.0.0.1:P directly. A ps_connect that spends its whole
 * deadline on ::1 is reported as such (error name and time), and stops the
 * tries, so the program ends in seconds either way. Not a test: nothing
 * here passes or fails. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "portsock.h"
#include "raw.h"

#define NAME "race.test"
#define DEADLINE_MS 5000
#define TRIES 5
#define TRY_BUDGET_NS 3000000000LL /* no new try after this much time */
#define MAX_FILL 256

typedef struct {
    ps_socket_t l6, l4;
    char port[16];
    ps_socket_t fill[MAX_FILL];
    int nfill;
} bed;

/* [::1]:P and 127.0.0.1:P listening on one port. */
static int listen_both(bed *b)
{
    for (int attempt = 0; attempt < 20; attempt++) {
        int r = ps_listen(&b->l6, "::1", "0", 1);
        if (r != 0) {
            printf("cannot listen on [::1]: %s\n", ps_errname(r));
            return -1;
        }
        bench_port_text(b->l6, b->port, sizeof b->port);
        if (ps_listen(&b->l4, "127.0.0.1", b->port, 0) == 0)
            return 0;
        ps_close(b->l6); /* that port is taken on 127.0.0.1; another one */
    }
    printf("no port free on both ::1 and 127.0.0.1\n");
    return -1;
}

/* Fills the ::1 listener's queue with non-blocking connects it never
 * accepts until one gets no answer within 300 ms: from then on its SYNs
 * are dropped. 0 once silent; -1 (with a line saying why) otherwise. */
static int make_silent(bed *b)
{
    ps_addr to;
    char text[64];
    snprintf(text, sizeof text, "[::1]:%s", b->port);
    if (ps_addr_parse(&to, text) != 0)
        return -1;
    while (b->nfill < MAX_FILL) {
        ps_socket_t s;
        int r = ps_socket(&s, PS_AF_INET6, PS_SOCK_STREAM);
        if (r != 0) {
            printf("socket: %s\n", ps_errname(r));
            return -1;
        }
        b->fill[b->nfill++] = s;
        if ((r = ps_set_nonblocking(s, 1)) != 0) {
            printf("set_nonblocking: %s\n", ps_errname(r));
            return -1;
        }
        r = ps_connect_start(s, &to);
        if (r == 0)
            continue;
        if (r != PS_EWOULDBLOCK) {
            printf("filling the [::1] queue: connect %s\n", ps_errname(r));
            return -1;
        }
        ps_pollitem it = {PS_KIND_SOCKET, s, 0, NULL, PS_POLL_WRITE, 0};
        r = ps_select(&it, 1, 300);
        if (r == 0)
            return 0; /* no answer: silent */
        if (r < 0 || (r = ps_socket_error(s)) != 0) {
            printf("[::1]:%s with a full queue answers %s instead of staying "
                   "silent\n", b->port, ps_errname(r));
            return -1;
        }
    }
    printf("[::1]:%s still accepts after %d queued connections\n", b->port, MAX_FILL);
    return -1;
}

static void bed_close(bed *b)
{
    for (int i = 0; i < b->nfill; i++)
        ps_close(b->fill[i]);
    ps_close(b->l6);
    ps_close(b->l4);
}

/* One timed ps_connect to host; prints the outcome and sets *ms. Returns
 * the ps_connect result. The accepted end (if any) is closed at once. */
static int one_connect(bed *b, const char *host, int verbose, int try_no, double *ms)
{
    ps_socket_t s, peer;
    int64_t t0 = raw_now_ns();
    int r = ps_connect(&s, host, b->port, DEADLINE_MS);
    *ms = (double)(raw_now_ns() - t0) / 1e6;
    if (r != 0) {
        printf("  try %d: %s after %.1f ms\n", try_no, ps_errname(r), *ms);
        return r;
    }
    if (verbose) {
        ps_addr a;
        char text[PS_ADDRSTRLEN] = "?";
        if (ps_peer_addr(s, &a) == 0)
            ps_addr_format(&a, text, sizeof text);
        printf("  try %d: connected to %s in %.1f ms\n", try_no, text, *ms);
    }
    if (ps_accept(b->l4, &peer, NULL, 1000) == 0)
        ps_close(peer);
    ps_close(s);
    return 0;
}

int main(void)
{
    const char *ns = getenv("PS_TEST_NS");
    if (!ns || strcmp(ns, "1") != 0) {
        printf("bench_connect: skipped: needs " NAME " to resolve to ::1 then "
               "127.0.0.1 (run it through tests/ns/ns_run.sh as root): %s\n",
               ns ? ns : "PS_TEST_NS not set");
        return 0;
    }
    if (ps_init() != 0)
        return 1;
    printf("portsock %s connect to a name whose first address is silent, %s\n",
           ps_version(), raw_platform());
    char order[256];
    raw_resolve_text(NAME, order, sizeof order);
    printf(NAME " resolves to: %s\n", order[0] ? order : "(nothing)");

    bed b;
    memset(&b, 0, sizeof b);
    if (listen_both(&b) != 0) {
        ps_cleanup();
        return 1;
    }
    int rc = 0;
    if (make_silent(&b) != 0) {
        printf("no silent address here: no figures\n");
        goto out;
    }
    printf("[::1]:%s silent (%d connects queued on it), 127.0.0.1:%s accepting\n",
           b.port, b.nfill, b.port);

    double race[TRIES], direct[TRIES], ms;
    int nrace = 0, nok = 0;
    printf("ps_connect(\"" NAME "\", %s, %d ms):\n", b.port, DEADLINE_MS);
    int64_t start = raw_now_ns();
    while (nrace < TRIES && raw_now_ns() - start < TRY_BUDGET_NS) {
        int r = one_connect(&b, NAME, 1, nrace + 1, &ms);
        race[nrace++] = ms;
        nok += r == 0;
    }
    int ndirect = 0;
    for (; ndirect < TRIES; ndirect++)
        if (one_connect(&b, "127.0.0.1", 0, ndirect + 1, &direct[ndirect]) != 0) {
            rc = 1; /* a working address that fails is a broken run */
            goto out;
        }
    double m_race = bench_median(race, (size_t)nrace);
    double m_direct = bench_median(direct, (size_t)ndirect);
    printf("median of %d tr%s (%d connected): %.1f ms; straight to 127.0.0.1: "
           "%.2f ms; ratio %.0f\n",
           nrace, nrace == 1 ? "y" : "ies", nok, m_race, m_direct,
           m_direct > 0 ? m_race / m_direct : 0.0);
    if (nrace < TRIES)
        printf("(no further tries: each one takes seconds)\n");
out:
    bed_close(&b);
    ps_cleanup();
    return rc;
}
