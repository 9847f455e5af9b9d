/* Socket options and the pending socket error. */
#include "win32.h"

static int set_int(ps_socket_t s, int level, int name, int value)
{
    int rc = ps__ensure_init();
    if (rc != 0)
        return rc;
    if (setsockopt((SOCKET)s, level, name, (const char *)&value,
                   sizeof value) != 0)
        return ps__last_error();
    return 0;
}

int ps_set_nodelay(ps_socket_t s, int on)
{
    if (on != 0 && on != 1)
        return PS_EINVAL;
    return set_int(s, IPPROTO_TCP, TCP_NODELAY, on);
}

int ps_set_keepalive(ps_socket_t s, int on)
{
    if (on != 0 && on != 1)
        return PS_EINVAL;
    return set_int(s, SOL_SOCKET, SO_KEEPALIVE, on);
}

int ps_set_buffer_sizes(ps_socket_t s, int sndbuf, int rcvbuf)
{
    int rc;
    /* Check both before changing either. */
    if (sndbuf < 0 || rcvbuf < 0)
        return PS_EINVAL;
    if (sndbuf > 0 && (rc = set_int(s, SOL_SOCKET, SO_SNDBUF, sndbuf)) != 0)
        return rc;
    if (rcvbuf > 0 && (rc = set_int(s, SOL_SOCKET, SO_RCVBUF, rcvbuf)) != 0)
        return rc;
    /* Nothing to set, but a bad socket is still an error. */
    if (sndbuf == 0 && rcvbuf == 0)
        return ps__socket_probe(s);
    return 0;
}

int ps__socket_probe(ps_socket_t s)
{
    int type, len = sizeof type, rc = ps__ensure_init();
    if (rc != 0)
        return rc;
    if (getsockopt((SOCKET)s, SOL_SOCKET, SO_TYPE, (char *)&type, &len) != 0)
        return ps__last_error(); /* WSAENOTSOCK */
    return 0;
}

int ps_socket_error(ps_socket_t s)
{
    int err = 0, len = sizeof err, rc = ps__ensure_init();
    if (rc != 0)
        return rc;
    if (getsockopt((SOCKET)s, SOL_SOCKET, SO_ERROR, (char *)&err, &len) != 0)
        return ps__last_error();
    return err != 0 ? ps__win_error(err) : 0;
}
