/* SPDX-License-Identifier: MIT */
/* A complete line queued on standard input next to a socket that stays
 * readable, so every wait returns at once, whoever made it return:
 *  - "busy": the console is in every one of WAITS results until the line
 *    is read (level-triggered, however the helper thread's timing falls);
 *    then two threads both told READ: one reads the line, and the other's
 *    ps_item_read must return PS_EWOULDBLOCK, not wait for a new line
 *    (on POSIX standard input is made non-blocking for that part, as a
 *    blocking terminal's read after a raced report waits, as read(2)
 *    does; a Windows console needs nothing);
 *  - "busyone" (ps_poller only): registered one-shot, the console is
 *    reported by one wait, and by none of the next WAITS.
 * The driver types "ab" and Enter at "ready". */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "console_busy.h"
#include "console_mode.h"
#include "portsock.h"

#define WAITS 300

static ps_pollitem in_item, sock_item;
static ps_poller *poller; /* NULL: ps_select */
static int tag_in, tag_sock;

/* What one wait reported for standard input and the socket. */
struct seen {
    int n;
    unsigned in, sock;
};

static struct seen wait_both(int timeout_ms)
{
    struct seen s = {0, 0, 0};
    if (poller != NULL) {
        ps_event ev[4];
        s.n = ps_poller_wait(poller, ev, 4, timeout_ms);
        for (int i = 0; i < s.n; i++) {
            if (ev[i].data == &tag_in)
                s.in = ev[i].revents;
            else if (ev[i].data == &tag_sock)
                s.sock = ev[i].revents;
        }
    } else {
        ps_pollitem it[2] = {in_item, sock_item};
        s.n = ps_select(it, 2, timeout_ms);
        s.in = it[0].revents;
        s.sock = it[1].revents;
    }
    return s;
}

static void pause_ms(int ms)
{
    ps_select(NULL, 0, ms); /* no items: a sleep */
}

/* The other reader of the raced read. */
static atomic_int other_told, line_taken, other_done;
static int other_rc;
static size_t other_got;

static void other_main(void *arg)
{
    char buf[64];
    (void)arg;
    atomic_store(&other_told, wait_both(5000).in == PS_POLL_READ ? 1 : -1);
    for (int i = 0; i < 5000 && !atomic_load(&line_taken); i++)
        pause_ms(1);
    other_rc = ps_item_read(&in_item, buf, sizeof buf, &other_got);
    atomic_store(&other_done, 1);
}

/* Waits up to about 5 s for *flag to become nonzero; its value. */
static int await(atomic_int *flag)
{
    for (int i = 0; i < 5000 && !atomic_load(flag); i++)
        pause_ms(1);
    return atomic_load(flag);
}

static int read_line_at_once(void)
{
    char buf[600];
    size_t got = 0;
    int rc = ps_item_read(&in_item, buf, sizeof buf - 1, &got);
    buf[rc == 0 ? got : 0] = 0;
    printf("line read %s [%s]\n", ps_errname(rc),
           strcmp(buf, "ab\n") == 0 ? "ab\\n" : buf);
    return rc == 0 && strcmp(buf, "ab\n") == 0;
}

/* Two threads told READ; this one reads the line, the other must get
 * PS_EWOULDBLOCK within the bound (else the process ends with it still
 * blocked, which fails the run). */
static int raced_read(void)
{
    int ok, told;
    if (console_input_nonblock(1) != 0 || console_thread(other_main, NULL) != 0)
        return 0;
    ok = wait_both(0).in == PS_POLL_READ;
    told = await(&other_told);
    ok = read_line_at_once() && ok;
    atomic_store(&line_taken, 1);
    if (!await(&other_done)) {
        printf("raced read: told %d, still blocked after 5 s\n", told);
        return 0;
    }
    printf("raced read: told %d, %s, %zu bytes\n", told, ps_errname(other_rc),
           other_got);
    console_input_nonblock(0);
    return ok && told == 1 && other_rc == PS_EWOULDBLOCK;
}

static int setup(int use_poller, int oneshot, ps_socket_t pair[2])
{
    memset(&in_item, 0, sizeof in_item);
    in_item.kind = PS_KIND_FD;
    in_item.fd = 0;
    in_item.sock = PS_INVALID_SOCKET;
    in_item.events = PS_POLL_READ | (oneshot ? PS_POLL_ONESHOT : 0);
    if (ps_socketpair(pair) != 0)
        return -1;
    memset(&sock_item, 0, sizeof sock_item);
    sock_item.kind = PS_KIND_SOCKET;
    sock_item.sock = pair[1];
    sock_item.fd = -1;
    sock_item.events = PS_POLL_READ;
    if (!use_poller)
        return 0;
    if (ps_poller_open(&poller) != 0 ||
        ps_poller_add(poller, &in_item, &tag_in) != 0 ||
        ps_poller_add(poller, &sock_item, &tag_sock) != 0)
        return -1;
    return 0;
}

int console_busy(int use_poller, int oneshot)
{
    ps_socket_t pair[2];
    size_t sent = 0;
    int missed = 0, extra = 0, sock_missed = 0, ok;
    char c;
    if (setup(use_poller, oneshot, pair) != 0) {
        printf("setup failed\n");
        return 0;
    }
    struct seen s = wait_both(300);
    printf("idle %d\n", s.n);
    printf("ready\n");
    fflush(stdout);
    ok = s.n == 0;
    s = wait_both(15000);
    printf("line reported 0x%x\n", s.in);
    ok = ok && s.in == PS_POLL_READ;
    ok = ok && ps_send(pair[0], "s", 1, &sent, 2000) == 0 && sent == 1;
    for (int i = 0; ok && i < WAITS; i++) {
        s = wait_both(2000);
        sock_missed += !(s.sock & PS_POLL_READ);
        if (oneshot)
            extra += s.in != 0;
        else
            missed += s.in != PS_POLL_READ;
    }
    printf("busy: console missing in %d, reported after its one shot in %d,"
           " socket missing in %d, of %d waits\n",
           missed, extra, sock_missed, WAITS);
    ok = ok && missed == 0 && extra == 0 && sock_missed == 0;
    if (ok)
        ok = oneshot ? read_line_at_once() : raced_read();
    ok = ok && ps_recv(pair[1], &c, 1, &sent, 2000) == 0;
    s = wait_both(0);
    printf("after reading %d\n", s.n);
    ok = ok && s.n == 0;
    ps_poller_close(poller);
    poller = NULL;
    ps_close(pair[0]);
    ps_close(pair[1]);
    return ok;
}
