/* Test helpers written once, on the public API and standard C: the same on
 * every platform. See support.h and select_support.h. */
#include "select_support.h"
#include "support.h"

#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

int pst_local_port(ps_socket_t s)
{
    ps_addr a;
    memset(&a, 0, sizeof a);
    int rc = ps_local_addr(s, &a);
    cr_assert_eq(rc, 0, "ps_local_addr: %s", ps_errname(rc));
    int port = ps_addr_port(&a);
    cr_assert_gt(port, 0, "local port %d", port);
    cr_assert_leq(port, 65535, "local port %d", port);
    return port;
}

void pst_tcp_pair(ps_socket_t *client, ps_socket_t *server)
{
    ps_socket_t l = PS_INVALID_SOCKET;
    char port[16];
    int rc, p;

    *client = PS_INVALID_SOCKET;
    *server = PS_INVALID_SOCKET;
    rc = ps_listen(&l, "127.0.0.1", "0", 4);
    cr_assert_eq(rc, 0, "pst_tcp_pair: ps_listen: %s", ps_errname(rc));
    p = pst_local_port(l);
    snprintf(port, sizeof port, "%d", p);
    rc = ps_connect(client, "127.0.0.1", port, 5000);
    cr_assert_eq(rc, 0, "pst_tcp_pair: ps_connect: %s", ps_errname(rc));
    rc = ps_accept(l, server, NULL, 5000);
    cr_assert_eq(rc, 0, "pst_tcp_pair: ps_accept: %s", ps_errname(rc));
    ps_close(l);
}

int pst_write_file(const char *path, const void *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t n = fwrite(buf, 1, len, f);
    return (fclose(f) == 0 && n == len) ? 0 : -1;
}
