/* SPDX-License-Identifier: MIT */
/* Datagrams: ps_udp_open, ps_sendto, ps_recvfrom. Loopback only, ephemeral
 * ports only. */
#include <criterion/criterion.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portsock.h"
#include "select_support.h"
#include "support.h"

#include "rc_assert.h"

/* The address to send to s, which is bound to a specific loopback address. */
static ps_addr address_of(ps_socket_t s)
{
    ps_addr a;
    memset(&a, 0, sizeof a);
    OK(ps_local_addr(s, &a));
    return a;
}

static int ipv6_missing(int rc)
{
    return rc == PS_EADDRNOTAVAIL || rc == PS_EAFNOSUPPORT;
}

Test(udp, loopback_round_trip, .timeout = 10)
{
    ps_socket_t a, b;
    ps_addr to, from;
    unsigned char buf[64];
    size_t got = 0;

    OK(ps_udp_open(&a, "127.0.0.1", "0"));
    OK(ps_udp_open(&b, "127.0.0.1", "0"));
    cr_assert_neq(pst_local_port(a), pst_local_port(b));

    to = address_of(b);
    OK(ps_sendto(a, "datagram", 8, &to, 2000));

    memset(&from, 0, sizeof from);
    memset(buf, 0, sizeof buf);
    OK(ps_recvfrom(b, buf, sizeof buf, &got, &from, 2000));
    cr_assert_eq(got, (size_t)8);
    cr_assert_arr_eq(buf, "datagram", 8);
    cr_assert_eq(ps_addr_family(&from), PS_AF_INET);
    cr_assert_eq(ps_addr_port(&from), pst_local_port(a),
                 "from port %d, sender port %d", ps_addr_port(&from),
                 pst_local_port(a));

    /* Reply to the address we got. */
    OK(ps_sendto(b, "reply", 5, &from, 2000));
    memset(buf, 0, sizeof buf);
    OK(ps_recvfrom(a, buf, sizeof buf, &got, NULL, 2000));
    cr_assert_eq(got, (size_t)5);
    cr_assert_arr_eq(buf, "reply", 5);

    OK(ps_close(a));
    OK(ps_close(b));
}

Test(udp, destination_from_parsed_text, .timeout = 10)
{
    ps_socket_t a, b;
    ps_addr to;
    char text[64];
    unsigned char buf[16];
    size_t got = 0;

    OK(ps_udp_open(&a, "127.0.0.1", "0"));
    OK(ps_udp_open(&b, "127.0.0.1", "0"));
    snprintf(text, sizeof text, "127.0.0.1:%d", pst_local_port(b));
    OK(ps_addr_parse(&to, text));
    OK(ps_sendto(a, "parsed", 6, &to, 2000));
    OK(ps_recvfrom(b, buf, sizeof buf, &got, NULL, 2000));
    cr_assert_eq(got, (size_t)6);
    cr_assert_arr_eq(buf, "parsed", 6);
    OK(ps_close(a));
    OK(ps_close(b));
}

Test(udp, datagram_boundaries_kept, .timeout = 10)
{
    ps_socket_t a, b;
    ps_addr to;
    unsigned char buf[64];
    size_t got = 0;
    const char *msgs[] = {"1", "22", "333"};

    OK(ps_udp_open(&a, "127.0.0.1", "0"));
    OK(ps_udp_open(&b, "127.0.0.1", "0"));
    to = address_of(b);
    for (int i = 0; i < 3; i++)
        OK(ps_sendto(a, msgs[i], strlen(msgs[i]), &to, 2000));
    for (int i = 0; i < 3; i++) {
        OK(ps_recvfrom(b, buf, sizeof buf, &got, NULL, 2000));
        cr_assert_eq(got, strlen(msgs[i]), "datagram %d", i);
        cr_assert_arr_eq(buf, msgs[i], got, "datagram %d", i);
    }
    RC_IS(ps_recvfrom(b, buf, sizeof buf, &got, NULL, 0), PS_EWOULDBLOCK);
    OK(ps_close(a));
    OK(ps_close(b));
}

Test(udp, recvfrom_timeouts, .timeout = 10)
{
    ps_socket_t b;
    unsigned char buf[16];
    size_t got = 0;

    OK(ps_udp_open(&b, "127.0.0.1", "0"));

    RC_IS(ps_recvfrom(b, buf, sizeof buf, &got, NULL, 0), PS_EWOULDBLOCK);

    int64_t t0 = pst_now_ms();
    RC_IS(ps_recvfrom(b, buf, sizeof buf, &got, NULL, 150), PS_ETIMEDOUT);
    int64_t dt = pst_now_ms() - t0;
    cr_assert_geq(dt, 145, "returned after %lld ms", (long long)dt);
    cr_assert_lt(dt, 2000, "returned after %lld ms", (long long)dt);

    OK(ps_close(b));
}

Test(udp, truncated_datagram, .timeout = 10)
{
    ps_socket_t a, b;
    ps_addr to, from;
    unsigned char out[100], buf[16];
    size_t got = 0;

    for (size_t i = 0; i < sizeof out; i++)
        out[i] = (unsigned char)(200 - i);
    OK(ps_udp_open(&a, "127.0.0.1", "0"));
    OK(ps_udp_open(&b, "127.0.0.1", "0"));
    to = address_of(b);
    OK(ps_sendto(a, out, sizeof out, &to, 2000));
    OK(ps_sendto(a, "next", 4, &to, 2000));

    memset(buf, 0, sizeof buf);
    memset(&from, 0, sizeof from);
    int rc = ps_recvfrom(b, buf, 10, &got, &from, 2000);
    cr_assert_eq(rc, PS_EMSGSIZE, "long datagram -> %s", ps_errname(rc));
    cr_assert_eq(got, (size_t)10);
    cr_assert_arr_eq(buf, out, 10);
    cr_assert_eq(buf[10], 0, "wrote past cap");

    /* The rest of the long datagram was discarded. */
    memset(buf, 0, sizeof buf);
    OK(ps_recvfrom(b, buf, sizeof buf, &got, NULL, 2000));
    cr_assert_eq(got, (size_t)4);
    cr_assert_arr_eq(buf, "next", 4);

    OK(ps_close(a));
    OK(ps_close(b));
}

Test(udp, unbound_socket_can_send, .timeout = 10)
{
    ps_socket_t u, b;
    ps_addr to, from;
    unsigned char buf[16];
    size_t got = 0;

    OK(ps_udp_open(&u, NULL, NULL));
    cr_assert_neq(u, PS_INVALID_SOCKET);
    OK(ps_udp_open(&b, "127.0.0.1", "0"));
    to = address_of(b);

    OK(ps_sendto(u, "unbound", 7, &to, 2000));
    memset(&from, 0, sizeof from);
    OK(ps_recvfrom(b, buf, sizeof buf, &got, &from, 2000));
    cr_assert_eq(got, (size_t)7);
    cr_assert_arr_eq(buf, "unbound", 7);
    cr_assert_eq(ps_addr_family(&from), PS_AF_INET);
    /* Sending bound it to an ephemeral port; the datagram came from it. */
    cr_assert_eq(ps_addr_port(&from), pst_local_port(u));

    OK(ps_close(u));
    OK(ps_close(b));
}

Test(udp, ipv6_loopback, .timeout = 10)
{
    ps_socket_t a, b;
    ps_addr to, from;
    unsigned char buf[16];
    size_t got = 0;
    int rc = ps_udp_open(&a, "::1", "0");

    if (ipv6_missing(rc))
        cr_skip_test("IPv6 loopback not available (ps_udp_open(\"::1\") -> "
                     "%s)",
                     ps_errname(rc));
    cr_assert_eq(rc, 0, "ps_udp_open(::1) -> %s", ps_errname(rc));
    OK(ps_udp_open(&b, "::1", "0"));
    to = address_of(b);
    cr_assert_eq(ps_addr_family(&to), PS_AF_INET6);

    OK(ps_sendto(a, "six", 3, &to, 2000));
    memset(&from, 0, sizeof from);
    OK(ps_recvfrom(b, buf, sizeof buf, &got, &from, 2000));
    cr_assert_eq(got, (size_t)3);
    cr_assert_arr_eq(buf, "six", 3);
    cr_assert_eq(ps_addr_family(&from), PS_AF_INET6);
    cr_assert_eq(ps_addr_port(&from), pst_local_port(a));

    OK(ps_close(a));
    OK(ps_close(b));
}

Test(udp, zero_length_datagram, .timeout = 10)
{
    ps_socket_t a, b;
    ps_addr to, from;
    unsigned char buf[16];
    size_t got = 77;

    OK(ps_udp_open(&a, "127.0.0.1", "0"));
    OK(ps_udp_open(&b, "127.0.0.1", "0"));
    to = address_of(b);

    OK(ps_sendto(a, buf, 0, &to, 2000));
    OK(ps_sendto(a, "after", 5, &to, 2000));

    memset(&from, 0, sizeof from);
    OK(ps_recvfrom(b, buf, sizeof buf, &got, &from, 2000));
    cr_assert_eq(got, (size_t)0, "empty datagram came back as %zu bytes", got);
    cr_assert_eq(ps_addr_port(&from), pst_local_port(a));

    OK(ps_recvfrom(b, buf, sizeof buf, &got, NULL, 2000));
    cr_assert_eq(got, (size_t)5);
    cr_assert_arr_eq(buf, "after", 5);

    OK(ps_close(a));
    OK(ps_close(b));
}

Test(udp, oversized_send, .timeout = 10)
{
    const size_t len = 70000; /* more than any UDP/IPv4 datagram holds */
    ps_socket_t a, b;
    ps_addr to;
    unsigned char *big = malloc(len);
    unsigned char buf[8];
    size_t got = 0;

    cr_assert_not_null(big);
    memset(big, 'u', len);
    OK(ps_udp_open(&a, "127.0.0.1", "0"));
    OK(ps_udp_open(&b, "127.0.0.1", "0"));
    to = address_of(b);

    RC_IS(ps_sendto(a, big, len, &to, 2000), PS_EMSGSIZE);
    RC_IS(ps_recvfrom(b, buf, sizeof buf, &got, NULL, 100), PS_ETIMEDOUT);

    OK(ps_close(a));
    OK(ps_close(b));
    free(big);
}

Test(udp, bad_arguments, .timeout = 10)
{
    ps_addr to;
    unsigned char buf[8];
    size_t got = 0;

    memset(&to, 0, sizeof to);
    OK(ps_addr_parse(&to, "127.0.0.1:0"));
    RC_IS(ps_udp_open(NULL, "127.0.0.1", "0"), PS_EINVAL);
    RC_IS(ps_sendto(PS_INVALID_SOCKET, "x", 1, &to, 100), PS_EBADF);
    RC_IS(ps_recvfrom(PS_INVALID_SOCKET, buf, sizeof buf, &got, NULL, 100),
          PS_EBADF);
}

/* A capacity beyond what one system call takes (SSIZE_MAX on POSIX, where
 * recvmsg refuses it; INT_MAX on Windows) is clamped on every platform.
 * On POSIX the buffer is small and real: the system writes only the
 * datagram, and only checks that the range lies in user space (so it is on
 * the heap, far below the top, where the stack may be too close to it).
 * Winsock instead checks the whole buffer against the (clamped) cap and
 * refuses one that is shorter (WSAEFAULT); a real 2 GiB buffer costs Wine
 * 2 GiB of touched memory and seconds per call, so there the cap is the
 * buffer's size. So it is under valgrind (the valgrind leg sets
 * PS_UNDER_MEMCHECK), which rightly reports a system call told of more
 * buffer than there is; the clamp is tested on the other legs. qemu-user
 * checks that the whole claimed range is mapped before the call (EFAULT),
 * where the kernel checks only that it lies in user space. */
Test(udp, recvfrom_huge_capacity, .timeout = 10)
{
    if (pst_under_qemu())
        cr_skip_test("qemu-user refuses a receive buffer whose claimed "
                     "capacity is not all mapped (EFAULT), where Linux "
                     "checks only that it lies in user space");
    enum { BUF = 64 };
    ps_socket_t a, b;
    ps_addr to;
    unsigned char *buf = malloc(BUF);
    size_t caps[] = {(size_t)-1, (size_t)-1 / 2 + 1, (size_t)INT_MAX + 1u};
    cr_assert_not_null(buf);
    if (pst_is_windows() || getenv("PS_UNDER_MEMCHECK") != NULL)
        caps[0] = caps[1] = caps[2] = BUF;
    OK(ps_udp_open(&a, "127.0.0.1", "0"));
    OK(ps_udp_open(&b, "127.0.0.1", "0"));
    to = address_of(b);
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
        size_t got = 99;
        memset(buf, 0, BUF);
        OK(ps_sendto(a, "small", 5, &to, 2000));
        int rc = ps_recvfrom(b, buf, caps[i], &got, NULL, 2000);
        cr_assert_eq(rc, 0, "cap %zu: %s", caps[i], ps_errname(rc));
        cr_assert_eq(got, 5u);
        cr_assert_eq(memcmp(buf, "small", 5), 0);
        cr_assert_eq(buf[5], 0, "wrote past the datagram");
    }
    free(buf);
    ps_close(a);
    ps_close(b);
}

/* Windows: a timed ps_recvfrom switches a blocking socket to non-blocking
 * mode for the one call and back. When Winsock refuses the switch back
 * (WSAEventSelect is active on the socket: it must stay non-blocking),
 * the call reports it, with the datagram it received, and from then on
 * the socket counts as non-blocking (as after ps_set_nonblocking(s, 1)),
 * so later calls neither switch nor fail. POSIX never switches. */
Test(udp, recvfrom_reports_failed_switch_back, .timeout = 20)
{
    ps_socket_t a, b;
    ps_addr to;
    char buf[16];
    size_t got = 99;
    OK(ps_udp_open(&a, "127.0.0.1", "0"));
    OK(ps_udp_open(&b, "127.0.0.1", "0"));
    to = address_of(b);
    int event_select = pst_event_select(b, 1) == 0;
    cr_assert_eq(event_select, pst_is_windows());

    OK(ps_sendto(a, "dgram", 5, &to, 1000));
    memset(buf, 0, sizeof buf);
    int rc = ps_recvfrom(b, buf, sizeof buf, &got, NULL, 1000);
    if (event_select) {
        RC_IS(rc, PS_EINVAL);
        cr_assert_neq(ps_native_error(), 0);
    } else {
        OK(rc);
    }
    cr_assert_eq(got, 5u, "the datagram's length is reported either way");
    cr_assert_eq(memcmp(buf, "dgram", 5), 0);

    /* Later timed calls work, and time out as they should. */
    RC_IS(ps_recvfrom(b, buf, sizeof buf, &got, NULL, 50), PS_ETIMEDOUT);
    OK(ps_sendto(a, "again", 5, &to, 1000));
    OK(ps_recvfrom(b, buf, sizeof buf, &got, NULL, 1000));
    cr_assert_eq(got, 5u);
    cr_assert_eq(memcmp(buf, "again", 5), 0);
    if (event_select) {
        /* Without the event selection it can be made blocking again. */
        cr_assert_eq(pst_event_select(b, 0), 0);
        OK(ps_set_nonblocking(b, 0));
        OK(ps_sendto(a, "third", 5, &to, 1000));
        OK(ps_recvfrom(b, buf, sizeof buf, &got, NULL, 1000));
        cr_assert_eq(got, 5u);
    }
    ps_close(a);
    ps_close(b);
}
