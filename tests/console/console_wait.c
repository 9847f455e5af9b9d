/* SPDX-License-Identifier: MIT */
/* Waits on standard input, a terminal or console, as run_console.py drives
 * it from a pseudo-terminal (Wine then gives a Windows build a real
 * console), and reads it with ps_item_read.
 * argv[1]: "poller" (ps_poller) or "select" (ps_select);
 * argv[2]: "line" (a canonical terminal / console line input) or "raw".
 *
 * Prints "idle N" (what a 300 ms wait with no key reported: must be 0),
 * then "ready". Line mode: the driver types "ab" without Enter, which
 * must not be reported within 1.5 s ("partial N", N must be 0); then,
 * after "enter-now", Enter: READ, and ps_item_read (one byte at a time,
 * each time the waiter reporting READ again at once) returns "ab\n".
 * argv[2] "long": as "line", with 509 'x' before "ab": a line of 511
 * characters, whose "\r\n" a 512-character console read splits.
 * Raw mode: the driver types "k": READ, and ps_item_read returns "k".
 * argv[2] "eof": line mode; the driver types the end-of-input key at the
 * start of a line (Ctrl-D on a terminal, Ctrl-Z then Enter on a console):
 * READ, and one ps_item_read says what arrived, "input-ended" (0 bytes)
 * or "empty-line" ("\n", what Wine gives for Ctrl-Z); the driver knows
 * which one its platform must give.
 * Exits 0 when all of that held. */
#include <stdio.h>
#include <string.h>

#include "console_mode.h"
#include "portsock.h"

static int use_poller;
static ps_poller *poller;
static ps_pollitem item;

/* 1 when stdin was reported READ within timeout_ms, 0 if nothing was, -1
 * for anything else. */
static int wait_read(int timeout_ms)
{
    unsigned rev = 0;
    int n;
    if (use_poller) {
        ps_event ev[2];
        n = ps_poller_wait(poller, ev, 2, timeout_ms);
        if (n > 0)
            rev = ev[0].revents;
    } else {
        item.revents = 0;
        n = ps_select(&item, 1, timeout_ms);
        rev = item.revents;
    }
    if (n == 0)
        return 0;
    return n == 1 && rev == PS_POLL_READ ? 1 : -1;
}

static void say(const char *text)
{
    printf("%s\n", text);
    fflush(stdout);
}

static int read_line(char *out, size_t cap)
{
    size_t len = 0;
    while (len + 1 < cap) {
        size_t got = 0;
        int r = ps_item_read(&item, out + len, 1, &got);
        if (r != 0 || got != 1) {
            printf("read %s got %zu\n", ps_errname(r), got);
            return -1;
        }
        len++;
        if (out[len - 1] == '\n')
            break;
        /* The rest of the line is waiting: reported at once. */
        if (wait_read(0) != 1) {
            printf("rest of the line not reported after %zu bytes\n", len);
            return -1;
        }
    }
    out[len] = 0;
    return 0;
}

int main(int argc, char **argv)
{
    use_poller = argc > 1 && strcmp(argv[1], "poller") == 0;
    int line = !(argc > 2 && strcmp(argv[2], "raw") == 0);
    int longline = argc > 2 && strcmp(argv[2], "long") == 0;
    int eof = argc > 2 && strcmp(argv[2], "eof") == 0;
    int ok = 1, idle, r;
    char buf[600], want[600] = "";
    if (longline)
        memset(want, 'x', 509);
    strcat(want, "ab\n");
    memset(&item, 0, sizeof item);
    item.kind = PS_KIND_FD;
    item.fd = 0;
    item.sock = PS_INVALID_SOCKET;
    item.events = PS_POLL_READ;
    if (console_set_line_mode(line) != 0) {
        say("setup: cannot set the input mode");
        return 2;
    }
    if (use_poller) {
        int rc = ps_poller_open(&poller);
        if (rc == 0)
            rc = ps_poller_add(poller, &item, &item);
        if (rc != 0) {
            printf("setup %s\n", ps_errname(rc));
            return 2;
        }
    }
    idle = wait_read(300);
    printf("idle %d\n", idle);
    say("ready");
    ok = idle == 0;
    if (line && !eof) {
        r = wait_read(1500);
        printf("partial %d\n", r);
        say("enter-now");
        ok = ok && r == 0;
    }
    r = wait_read(15000);
    printf("key %d\n", r);
    ok = ok && r == 1;
    if (r == 1 && eof) {
        size_t got = 99;
        int rc = ps_item_read(&item, buf, sizeof buf, &got);
        if (rc == 0 && got == 0)
            say("input-ended");
        else if (rc == 0 && got == 1 && buf[0] == '\n')
            say("empty-line");
        else
            ok = 0;
        printf("eof read %s, %zu bytes\n", ps_errname(rc), got);
    } else if (r == 1) {
        if (line) {
            ok = ok && read_line(buf, sizeof buf) == 0 &&
                 strcmp(buf, want) == 0;
        } else {
            size_t got = 0;
            int rc = ps_item_read(&item, buf, sizeof buf - 1, &got);
            buf[rc == 0 ? got : 0] = 0;
            ok = ok && rc == 0 && strcmp(buf, "k") == 0;
        }
        size_t len = strlen(buf);
        /* A long line: its length and its end are enough. */
        printf("read %zu [%s", len, len > 16 ? "..." : "");
        for (const char *c = len > 16 ? buf + len - 8 : buf; *c; c++) {
            if (*c == '\n')
                printf("\\n");
            else if (*c == '\r')
                printf("\\r");
            else
                putchar(*c);
        }
        printf("]\n");
    }
    /* Standard output through ps_item_write too (a console under Wine). */
    ps_pollitem out = item;
    out.fd = 1;
    const char *msg = ok ? "result-ok (ps_item_write)\n"
                         : "result-FAILED (ps_item_write)\n";
    fflush(stdout);
    size_t sent = 0;
    if (ps_item_write(&out, msg, strlen(msg), &sent) != 0 ||
        sent != strlen(msg))
        ok = 0;
    ps_poller_close(poller);
    console_restore_mode();
    return ok ? 0 : 1;
}
