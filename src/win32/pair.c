/* SPDX-License-Identifier: MIT */
/* ps_socketpair: Windows has no socketpair(), so connect two TCP sockets
 * over loopback and make sure the accepted end is really ours. */
#include "win32.h"

/* How many foreign connections we close before giving up. */
#define PAIR_ACCEPT_TRIES 8
/* An accept that does not come within this long never will. */
#define PAIR_ACCEPT_WAIT_MS 5000

static int same_endpoint(const ps_addr *a, const ps_addr *b)
{
    ps__endpoint x, y;
    if (ps__addr_decode(a, &x) != 0 || ps__addr_decode(b, &y) != 0)
        return 0;
    return x.family == y.family && x.port == y.port &&
           memcmp(x.ip, y.ip, sizeof x.ip) == 0;
}

static void close_quietly(SOCKET s)
{
    if (s != INVALID_SOCKET) {
        int saved = WSAGetLastError();
        closesocket(s);
        WSASetLastError(saved);
    }
}

int ps__socketpair(ps_socket_t pair[2])
{
    SOCKET l = INVALID_SOCKET, c = INVALID_SOCKET, a = INVALID_SOCKET;
    ps_addr laddr, caddr, peer;
    ps__endpoint ep;
    int rc, tries;
    rc = ps__ensure_init();
    if (rc != 0)
        return rc;

    memset(&ep, 0, sizeof ep);
    ep.family = PS_AF_INET;
    ep.ip[0] = 127;
    ep.ip[3] = 1;
    if ((rc = ps__addr_encode(&ep, &laddr)) != 0)
        return rc;
    if ((rc = ps__win_new_socket(AF_INET, SOCK_STREAM, &l)) != 0)
        return rc;
    /* Exclusive use so no other process can bind over our listener. */
    if ((rc = ps__bind((ps_socket_t)l, &laddr, -1, 1)) != 0 ||
        (rc = ps__listen((ps_socket_t)l, 1)) != 0 ||
        (rc = ps__socket_name((ps_socket_t)l, &laddr, 0)) != 0)
        goto fail;
    if ((rc = ps__win_new_socket(AF_INET, SOCK_STREAM, &c)) != 0)
        goto fail;
    if ((rc = ps__connect_start((ps_socket_t)c, &laddr)) != 0 ||
        (rc = ps__socket_name((ps_socket_t)c, &caddr, 0)) != 0)
        goto fail;

    for (tries = 0;; tries++) {
        u_long off = 0;
        if (tries == PAIR_ACCEPT_TRIES) {
            rc = ps__win_error(WSAECONNABORTED);
            goto fail;
        }
        /* Bounded wait: our connection is complete, so it is queued unless
         * something reset it. */
        rc = ps__poll_one((ps_socket_t)l, PS__WANT_READ, PAIR_ACCEPT_WAIT_MS);
        if (rc <= 0) {
            if (rc == 0)
                rc = ps__win_error(WSAETIMEDOUT);
            goto fail;
        }
        a = accept(l, NULL, NULL);
        if (a == INVALID_SOCKET) {
            rc = ps__last_error();
            goto fail;
        }
        ps__win_no_inherit(a);
        ps__nb_forget(a);
        if (ioctlsocket(a, FIONBIO, &off) != 0) {
            rc = ps__last_error();
            goto fail;
        }
        if (ps__socket_name((ps_socket_t)a, &peer, 1) == 0 &&
            same_endpoint(&peer, &caddr))
            break;
        /* Someone else connected to our port first. */
        closesocket(a);
        a = INVALID_SOCKET;
    }
    closesocket(l);
    pair[0] = (ps_socket_t)c;
    pair[1] = (ps_socket_t)a;
    return 0;

fail:
    close_quietly(a);
    close_quietly(c);
    close_quietly(l);
    return rc;
}
