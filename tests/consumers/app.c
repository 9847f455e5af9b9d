/* SPDX-License-Identifier: MIT */
/* A tiny portsock consumer: one frame through a socket pair. Built by
 * ci/consumers.sh against each way of getting the library. */
#include <portsock.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
    static const char msg[] = "portsock consumer";
    ps_socket_t pair[2];
    char buf[64];
    size_t len = 0;
    int r = ps_socketpair(pair);
    if (r != 0) {
        fprintf(stderr, "ps_socketpair: %s\n", ps_strerror(r));
        return 1;
    }
    r = ps_send_frame(pair[0], msg, sizeof msg - 1, 5000);
    if (r == 0)
        r = ps_recv_frame(pair[1], buf, sizeof buf, &len, 5000);
    ps_close(pair[0]);
    ps_close(pair[1]);
    if (r != 0 || len != sizeof msg - 1 || memcmp(buf, msg, len) != 0) {
        fprintf(stderr, "frame round trip failed: %s\n", ps_errname(r));
        return 1;
    }
    printf("ok portsock %s\n", ps_version());
    return 0;
}
