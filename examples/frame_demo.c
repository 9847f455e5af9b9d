/* SPDX-License-Identifier: MIT */
/* Length-prefixed messages with ps_send_frame / ps_recv_frame:
 *   frame_demo
 * One program plays both sides over real loopback TCP: a server thread
 * listening on 127.0.0.1 (a free port) that sends every message back, and a
 * client on the main thread. The messages include an empty one and ones
 * larger than the receiver's buffer, to show PS_EMSGSIZE: the header has
 * been read and the announced length is known, the payload is still
 * unread, so the receiver can read it into a bigger buffer.
 * Exits 0 when every check passed, 1 otherwise. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ex_thread.h"
#include "portsock.h"

enum { TIMEOUT_MS = 15000, SERVER_BUF = 4096, CLIENT_BUF = 65536 };

typedef struct demo {
    ps_socket_t listener;
    int failed;          /* written by the server thread, read after join */
    long frames;
} demo;

/* Reads one frame into small, or, when it does not fit, into a buffer of
 * the announced size that *big is set to (the caller frees it). *payload
 * points at whichever holds it. */
static int recv_message(const char *who, ps_socket_t s, unsigned char *small,
                        size_t cap, unsigned char **big,
                        const unsigned char **payload, size_t *len)
{
    *big = NULL;
    int r = ps_recv_frame(s, small, cap, len, TIMEOUT_MS);
    if (r == 0) {
        *payload = small;
        return 0;
    }
    if (r != PS_EMSGSIZE)
        return r;
    printf("%s: a %zu-byte frame does not fit its %zu-byte buffer "
           "(PS_EMSGSIZE); reading the payload into a bigger one\n",
           who, *len, cap);
    *big = malloc(*len);
    if (!*big)
        return PS_ENOMEM;
    r = ps_recv_all(s, *big, *len, NULL, TIMEOUT_MS);
    *payload = *big;
    return r;
}

static void server_main(void *arg)
{
    demo *d = arg;
    ps_socket_t s;
    int r = ps_accept(d->listener, &s, NULL, TIMEOUT_MS);
    if (r != 0) {
        printf("server: accept: %s\n", ps_errname(r));
        d->failed = 1;
        return;
    }
    unsigned char small[SERVER_BUF];
    for (;;) {
        unsigned char *big;
        const unsigned char *payload;
        size_t len;
        r = recv_message("server", s, small, sizeof small, &big, &payload,
                         &len);
        if (r == PS_ECLOSED && len == 0) {
            printf("server: the client closed between frames; done\n");
            break;
        }
        if (r != 0) {
            printf("server: receive: %s\n", ps_errname(r));
            d->failed = 1;
            free(big);
            break;
        }
        d->frames++;
        r = ps_send_frame(s, payload, len, TIMEOUT_MS);
        free(big);
        if (r != 0) {
            printf("server: send: %s\n", ps_errname(r));
            d->failed = 1;
            break;
        }
    }
    ps_close(s);
}

static void fill(unsigned char *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        p[i] = (unsigned char)(i * 31 + len);
}

int main(void)
{
    static const size_t sizes[] = {5, 0, 3000, SERVER_BUF + 1, 200000};
    enum { NSIZES = sizeof sizes / sizeof sizes[0] };
    demo d = {PS_INVALID_SOCKET, 0, 0};
    int failures = 0;

    int r = ps_listen(&d.listener, "127.0.0.1", "0", 1);
    if (r != 0) {
        printf("listen: %s\n", ps_errname(r));
        return 1;
    }
    ps_addr a;
    char where[PS_ADDRSTRLEN];
    char port[8];
    if (ps_local_addr(d.listener, &a) != 0 ||
        ps_addr_format(&a, where, sizeof where) != 0) {
        printf("cannot read the bound address\n");
        return 1;
    }
    snprintf(port, sizeof port, "%d", ps_addr_port(&a));
    printf("server listening on %s (buffer %d bytes); client buffer %d bytes\n",
           where, SERVER_BUF, CLIENT_BUF);

    ex_thread *server;
    if (ex_thread_start(&server, server_main, &d) != 0) {
        printf("cannot start the server thread\n");
        return 1;
    }

    ps_socket_t c;
    r = ps_connect(&c, "127.0.0.1", port, TIMEOUT_MS);
    if (r != 0) {
        printf("client: connect: %s\n", ps_errname(r));
        /* The server thread gives up after its accept timeout. */
        ex_thread_join(server);
        return 1;
    }
    unsigned char *reply = malloc(CLIENT_BUF);
    if (!reply) {
        printf("out of memory\n");
        return 1;
    }
    for (size_t i = 0; i < NSIZES; i++) {
        size_t len = sizes[i];
        unsigned char *msg = malloc(len ? len : 1);
        if (!msg) {
            failures++;
            break;
        }
        fill(msg, len);
        r = ps_send_frame(c, msg, len, TIMEOUT_MS);
        if (r != 0) {
            printf("client: send %zu bytes: %s\n", len, ps_errname(r));
            free(msg);
            failures++;
            break;
        }
        unsigned char *big;
        const unsigned char *payload;
        size_t got;
        r = recv_message("client", c, reply, CLIENT_BUF, &big, &payload, &got);
        int same = r == 0 && got == len && (len == 0 || memcmp(payload, msg, len) == 0);
        if (r != 0)
            printf("client: sent %zu bytes, receive failed: %s\n", len,
                   ps_errname(r));
        else
            printf("client: sent a %zu-byte message, got %zu bytes back: %s\n",
                   len, got, same ? "same" : "DIFFERENT");
        free(big);
        free(msg);
        if (!same) {
            failures++;
            break;
        }
    }

    /* End of stream between frames: the server's ps_recv_frame returns
     * PS_ECLOSED with length 0; it then closes, and so do we see it. */
    ps_shutdown(c, PS_SHUT_WR);
    size_t got = 1;
    r = ps_recv_frame(c, reply, CLIENT_BUF, &got, TIMEOUT_MS);
    if (r == PS_ECLOSED && got == 0) {
        printf("client: the server closed between frames, as expected\n");
    } else {
        printf("client: expected PS_ECLOSED at the end, got %s\n", ps_errname(r));
        failures++;
    }
    ps_close(c);
    ex_thread_join(server);
    ps_close(d.listener);
    free(reply);

    if (d.failed)
        failures++;
    if (d.frames != (long)NSIZES) {
        printf("server echoed %ld frames, expected %d\n", d.frames, (int)NSIZES);
        failures++;
    }
    printf("%s: %d messages, %d failures\n", failures ? "FAILED" : "ok",
           (int)NSIZES, failures);
    return failures ? 1 : 0;
}
