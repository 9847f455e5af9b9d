/* SPDX-License-Identifier: MIT */
/* A client for chat_server (docs/chat.md): standard input and the socket
 * in one ps_poller loop.
 *
 *   chat_client HOST PORT
 *
 * Connects by name with a ps_connector (the loop never blocks on the
 * lookup or the connect), then sends what is typed and prints what the
 * server broadcasts. Ends at end of input, once what was typed is sent,
 * or when the server closes. Standard input is an fd item on every
 * platform: a terminal, a pipe or a file on POSIX, a console or a pipe on
 * Windows (psnc_sys_std_open makes a pipe Wine cannot watch watchable). */
#include <stdio.h>
#include <string.h>

#include "portsock.h"
#include "psnc_sys.h"

enum { TAG_CONNECTOR, TAG_STDIN, TAG_SOCKET };
static const int tags[] = {TAG_CONNECTOR, TAG_STDIN, TAG_SOCKET};

static ps_poller *poller;
static ps_conn *conn;
static ps_pollitem in_item, sock_item;
static int input_open = 1;

static int die(const char *what, int r)
{
    fprintf(stderr, "chat_client: %s: %s (%s)\n", what, ps_strerror(r),
            ps_errname(r));
    return 1;
}

/* Copies what the server sent to standard output (a blocking write: a
 * reader of the output that stops holds the chat up, as a terminal does). */
static int print_received(void)
{
    static const ps_pollitem out = {.kind = PS_KIND_FD, .fd = 1};
    char buf[16384];
    size_t got, sent;
    int r;
    while ((r = ps_conn_read(conn, buf, sizeof buf, &got)) == 0)
        for (size_t off = 0; off < got; off += sent)
            if ((r = ps_item_write(&out, buf + off, got - off, &sent)) != 0)
                return die("stdout", r);
    return r == PS_EWOULDBLOCK ? 0 : -1; /* -1: the server closed */
}

/* What the connection needs registered now. */
static int rearm(void)
{
    unsigned w = ps_conn_wants(conn);
    if (w == sock_item.events)
        return 0;
    sock_item.events = w;
    int r = ps_poller_modify(poller, &sock_item, (void *)&tags[TAG_SOCKET]);
    return r ? die("ps_poller_modify", r) : 0;
}

static int on_input(void)
{
    char buf[16384];
    size_t got = 0;
    int r = ps_item_read(&in_item, buf, sizeof buf, &got);
    if (r == PS_EWOULDBLOCK)
        return 0;
    if (r != 0 || got == 0) { /* end of input (or an unreadable one) */
        ps_poller_remove(poller, &in_item);
        input_open = 0;
        return 0;
    }
    r = ps_conn_send(conn, buf, got);
    return r ? die("send", r) : 0;
}

/* 0: go on, 1: done (a failure already said so on stderr), -1: the
 * server closed. */
static int on_socket(unsigned revents)
{
    int r;
    if ((revents & (PS_POLL_WRITE | PS_POLL_ERROR)) &&
        (r = ps_conn_flush(conn)) != 0)
        return die("send", r);
    if (revents & (PS_POLL_READ | PS_POLL_HUP | PS_POLL_ERROR)) {
        r = ps_conn_fill(conn, NULL);
        int printed = print_received();
        if (printed > 0)
            return 1;
        if (r != 0 && r != PS_ECLOSED)
            return die("receive", r);
        if (r == PS_ECLOSED || printed < 0)
            return -1;
    }
    return 0;
}

static int connected(ps_connector *cn)
{
    ps_socket_t s;
    int r = ps_connector_finish(cn, &s);
    if (r == PS_EWOULDBLOCK)
        return 0;
    ps_pollitem it;
    ps_connector_item(cn, &it);
    ps_poller_remove(poller, &it);
    if (r != 0)
        return die("connect", r);
    if ((r = ps_conn_new(&conn, s, NULL)) != 0) {
        ps_close(s);
        return die("ps_conn_new", r);
    }
    sock_item.kind = PS_KIND_SOCKET;
    sock_item.sock = s;
    sock_item.events = PS_POLL_READ;
    if ((r = ps_poller_add(poller, &sock_item, (void *)&tags[TAG_SOCKET])) ||
        (r = ps_poller_add(poller, &in_item, (void *)&tags[TAG_STDIN])))
        return die("ps_poller_add", r);
    return 0;
}

static int run(ps_connector *cn)
{
    ps_event ev[8];
    for (;;) {
        if (conn && !input_open && ps_conn_queued(conn) == 0)
            return 0; /* end of input, all of it sent */
        int n = ps_poller_wait(poller, ev, 8, -1);
        if (n < 0)
            return die("ps_poller_wait", n);
        for (int i = 0; i < n; i++) {
            int tag = *(const int *)ev[i].data, r = 0;
            if (tag == TAG_CONNECTOR)
                r = connected(cn);
            else if (tag == TAG_STDIN && input_open)
                r = on_input();
            else if (tag == TAG_SOCKET)
                r = on_socket(ev[i].revents);
            if (r != 0)
                return r < 0 ? 0 : 1;
        }
        if (conn && rearm() != 0)
            return 1;
    }
}

int main(int argc, char **argv)
{
    ps_connector *cn = NULL;
    ps_pollitem it;
    int r;
    if (argc != 3) {
        fprintf(stderr, "usage: %s HOST PORT\n", argv[0]);
        return 2;
    }
    psnc_sys_std_open();
    in_item.kind = PS_KIND_FD;
    in_item.fd = 0;
    in_item.events = PS_POLL_READ;
    if ((r = ps_poller_open(&poller)) != 0)
        return die("ps_poller_open", r);
    if ((r = ps_connector_start(&cn, argv[1], argv[2], 10000)) != 0 ||
        (r = ps_connector_item(cn, &it)) != 0 ||
        (r = ps_poller_add(poller, &it, (void *)&tags[TAG_CONNECTOR])) != 0) {
        ps_connector_free(cn);
        ps_poller_close(poller);
        return die("connect", r);
    }
    int status = run(cn);
    if (conn) {
        if (input_open)
            ps_poller_remove(poller, &in_item);
        ps_poller_remove(poller, &sock_item);
    } else {
        ps_poller_remove(poller, &it);
    }
    ps_connector_free(cn);
    ps_conn_close(conn, NULL);
    ps_poller_close(poller);
    return status;
}
