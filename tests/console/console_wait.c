/* SPDX-License-Identifier: MIT */
/* Waits on standard input, a terminal or console, as run_console.py drives
 * it from a pseudo-terminal (Wine then gives a Windows build a real
 * console). argv[1]: "poller" (ps_poller) or "select" (ps_select).
 * Prints "idle N" (what a 300 ms wait with no key reported: must be 0),
 * "ready", then after the driver types a key "key N REVENTS"; exits 0 when
 * the key was reported as READ. */
#include <stdio.h>
#include <string.h>

#include "portsock.h"

static int wait_select(ps_pollitem *it, int timeout_ms, unsigned *rev)
{
    it->revents = 0;
    int n = ps_select(it, 1, timeout_ms);
    *rev = it->revents;
    return n;
}

static int wait_poller(ps_poller *p, int timeout_ms, unsigned *rev)
{
    ps_event ev[2];
    int n = ps_poller_wait(p, ev, 2, timeout_ms);
    *rev = n > 0 ? ev[0].revents : 0;
    return n;
}

int main(int argc, char **argv)
{
    int use_poller = argc > 1 && strcmp(argv[1], "poller") == 0;
    ps_pollitem it;
    ps_poller *p = NULL;
    unsigned rev = 0;
    memset(&it, 0, sizeof it);
    it.kind = PS_KIND_FD;
    it.fd = 0;
    it.sock = PS_INVALID_SOCKET;
    it.events = PS_POLL_READ;
    if (use_poller) {
        int rc = ps_poller_open(&p);
        if (rc == 0)
            rc = ps_poller_add(p, &it, &it);
        if (rc != 0) {
            printf("setup %s\n", ps_errname(rc));
            return 2;
        }
    }
    int idle = use_poller ? wait_poller(p, 300, &rev) : wait_select(&it, 300, &rev);
    printf("idle %d\nready\n", idle);
    fflush(stdout);
    int n = use_poller ? wait_poller(p, 15000, &rev) : wait_select(&it, 15000, &rev);
    printf("key %d %u\n", n, rev);
    fflush(stdout);
    ps_poller_close(p);
    return idle == 0 && n == 1 && (rev & PS_POLL_READ) ? 0 : 1;
}
