/* SPDX-License-Identifier: MIT */
/* Socket options: linger and abortive close, SO_REUSEPORT, broadcast, TTL,
 * multicast; and the dual-stack ps_udp_open(NULL, port). Loopback only,
 * ephemeral ports only. Options are read back natively
 * (support/sockopt_*.c). */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "portsock.h"
#include "sockopt_support.h"
#include "support.h"

#include "rc_assert.h"

static int getopt_int(ps_socket_t s, const char *name)
{
    int v = -2, err = pst_getsockopt_int(s, name, &v);
    cr_assert_eq(err, 0, "getsockopt %s -> %d", name, err);
    return v;
}

static ps_addr parse(const char *text)
{
    ps_addr a;
    OK(ps_addr_parse(&a, text));
    return a;
}

static ps_addr with_port(const char *ip, int port)
{
    char text[96];
    snprintf(text, sizeof text, strchr(ip, ':') ? "[%s]:%d" : "%s:%d", ip,
             port);
    return parse(text);
}

/* An IPv6 UDP socket on ::1: 1, or 0 where IPv6 is missing. */
static int open_v6(ps_socket_t *s)
{
    int rc = ps_udp_open(s, "::1", "0");
    if (rc == PS_EADDRNOTAVAIL || rc == PS_EAFNOSUPPORT)
        return 0;
    OK(rc);
    return 1;
}

/* ---- Linger and abortive close ---- */

Test(options, linger_set_and_read_back, .timeout = 10)
{
    ps_socket_t s;
    OK(ps_socket(&s, PS_AF_INET, PS_SOCK_STREAM));
    OK(ps_set_linger(s, 1, 7));
    cr_assert_eq(getopt_int(s, "SO_LINGER"), 7);
    OK(ps_set_linger(s, 1, 0));
    cr_assert_eq(getopt_int(s, "SO_LINGER"), 0);
    OK(ps_set_linger(s, 0, 0));
    cr_assert_eq(getopt_int(s, "SO_LINGER"), -1);
    RC_IS(ps_set_linger(s, 2, 1), PS_EINVAL);
    RC_IS(ps_set_linger(s, 1, -1), PS_EINVAL);
    RC_IS(ps_set_linger(s, 1, 65536), PS_EINVAL);
    OK(ps_close(s));
    RC_IS(ps_set_linger(PS_INVALID_SOCKET, 1, 1), PS_EBADF);
}

Test(options, close_abort_resets_the_peer, .timeout = 10)
{
    ps_socket_t c, sv;
    unsigned char buf[8];
    size_t got = 99;
    pst_tcp_pair(&c, &sv);
    OK(ps_send_all(c, "abc", 3, NULL, 2000));
    OK(ps_recv_all(sv, buf, 3, NULL, 2000));
    OK(ps_close_abort(c));
    /* An orderly close would read as end of stream (0 bytes). */
    int rc = ps_recv(sv, buf, sizeof buf, &got, 2000);
    if (rc == 0 && got == 0 && pst_under_wine()) {
        ps_close(sv);
        cr_skip_test("Wine closes with FIN despite SO_LINGER 0 (its server "
                     "holds the socket); Windows and POSIX send RST");
    }
    RC_IS(rc, PS_ECONNRESET);
    cr_assert_eq(got, (size_t)0);
    OK(ps_close(sv));
}

Test(options, close_abort_bad_socket, .timeout = 10)
{
    RC_IS(ps_close_abort(PS_INVALID_SOCKET), PS_EBADF);
}

/* ---- SO_REUSEPORT ---- */

Test(options, reuseport_two_listeners, .timeout = 10)
{
    ps_socket_t a, b, c, x;
    ps_addr any = parse("127.0.0.1:0"), bound;
    OK(ps_socket(&a, PS_AF_INET, PS_SOCK_STREAM));
    int rc = ps_set_reuseport(a, 1);
    if (pst_is_windows()) {
        /* Winsock has no SO_REUSEPORT. */
        RC_IS(rc, PS_ENOTSUP);
        OK(ps_close(a));
        return;
    }
    OK(rc);
    cr_assert_neq(getopt_int(a, "SO_REUSEPORT"), 0);
    OK(ps_bind(a, &any));
    OK(ps_local_addr(a, &bound));
    cr_assert_eq(pst_native_listen(a), 0);

    /* Without the option the port is taken... */
    OK(ps_socket(&x, PS_AF_INET, PS_SOCK_STREAM));
    RC_IS(ps_bind(x, &bound), PS_EADDRINUSE);
    OK(ps_close(x));
    /* ...with it a second listener shares it. */
    OK(ps_socket(&b, PS_AF_INET, PS_SOCK_STREAM));
    OK(ps_set_reuseport(b, 1));
    OK(ps_bind(b, &bound));
    cr_assert_eq(pst_native_listen(b), 0);

    /* A connection reaches one of them. */
    char port[16];
    snprintf(port, sizeof port, "%d", ps_addr_port(&bound));
    OK(ps_connect(&c, "127.0.0.1", port, 2000));
    ps_pollitem items[2];
    memset(items, 0, sizeof items);
    items[0].kind = PS_KIND_SOCKET;
    items[0].sock = a;
    items[0].events = PS_POLL_READ;
    items[1] = items[0];
    items[1].sock = b;
    int n = ps_select(items, 2, 2000);
    cr_assert_eq(n, 1, "one listener gets the connection: %d", n);
    OK(ps_accept(items[0].revents ? a : b, &x, NULL, 0));
    OK(ps_close(x));
    OK(ps_close(c));
    OK(ps_close(a));
    OK(ps_close(b));
    RC_IS(ps_set_reuseport(a, 2), PS_EINVAL);
    RC_IS(ps_set_reuseport(PS_INVALID_SOCKET, 1), PS_EBADF);
}

/* ---- Broadcast ---- */

Test(options, broadcast_to_loopback_subnet, .timeout = 10)
{
    ps_socket_t r, s;
    ps_addr from;
    unsigned char buf[16];
    size_t got = 0;
    if (pst_is_windows())
        cr_skip_test("127.255.255.255 is no broadcast address on Windows");
    /* The receiver is the dual-stack wildcard socket: the datagram comes
     * from 127.0.0.1, which it reports as such, not ::ffff:127.0.0.1. */
    OK(ps_udp_open(&r, NULL, "0"));
    ps_addr to = with_port("127.255.255.255", pst_local_port(r));
    OK(ps_udp_open(&s, "127.0.0.1", "0"));
    cr_assert_eq(getopt_int(s, "SO_BROADCAST"), 0);
    RC_IS(ps_sendto(s, "no", 2, &to, 2000), PS_EACCES);
    OK(ps_set_broadcast(s, 1));
    cr_assert_neq(getopt_int(s, "SO_BROADCAST"), 0);
    OK(ps_sendto(s, "bcast", 5, &to, 2000));
    OK(ps_recvfrom(r, buf, sizeof buf, &got, &from, 2000));
    cr_assert_eq(got, (size_t)5);
    cr_assert_arr_eq(buf, "bcast", 5);
    cr_assert_eq(ps_addr_family(&from), PS_AF_INET);
    OK(ps_set_broadcast(s, 0));
    cr_assert_eq(getopt_int(s, "SO_BROADCAST"), 0);
    RC_IS(ps_set_broadcast(s, -1), PS_EINVAL);
    OK(ps_close(s));
    OK(ps_close(r));
}

/* ---- TTL ---- */

Test(options, ttl_per_family, .timeout = 10)
{
    ps_socket_t s4, s6, u;
    OK(ps_udp_open(&s4, "127.0.0.1", "0"));
    OK(ps_set_ttl(s4, 17));
    cr_assert_eq(getopt_int(s4, "IP_TTL"), 17);
    RC_IS(ps_set_ttl(s4, 0), PS_EINVAL);
    RC_IS(ps_set_ttl(s4, 256), PS_EINVAL);
    OK(ps_close(s4));
    /* Unbound sockets have a family too. */
    OK(ps_socket(&s4, PS_AF_INET, PS_SOCK_STREAM));
    OK(ps_set_ttl(s4, 99));
    cr_assert_eq(getopt_int(s4, "IP_TTL"), 99);
    OK(ps_close(s4));
    if (open_v6(&s6)) {
        OK(ps_set_ttl(s6, 33));
        cr_assert_eq(getopt_int(s6, "IPV6_UNICAST_HOPS"), 33);
        OK(ps_close(s6));
    }
    if (ps_socket(&u, PS_AF_UNIX, PS_SOCK_STREAM) == 0) {
        RC_IS(ps_set_ttl(u, 5), PS_EAFNOSUPPORT);
        OK(ps_close(u));
    }
    RC_IS(ps_set_ttl(PS_INVALID_SOCKET, 5), PS_EBADF);
}

/* ---- Multicast options ---- */

Test(options, multicast_loop_and_ttl, .timeout = 10)
{
    ps_socket_t s4, s6;
    OK(ps_udp_open(&s4, "127.0.0.1", "0"));
    OK(ps_set_multicast_ttl(s4, 5));
    cr_assert_eq(getopt_int(s4, "IP_MULTICAST_TTL"), 5);
    OK(ps_set_multicast_ttl(s4, 0));
    cr_assert_eq(getopt_int(s4, "IP_MULTICAST_TTL"), 0);
    OK(ps_set_multicast_loop(s4, 0));
    cr_assert_eq(getopt_int(s4, "IP_MULTICAST_LOOP"), 0);
    OK(ps_set_multicast_loop(s4, 1));
    cr_assert_eq(getopt_int(s4, "IP_MULTICAST_LOOP"), 1);
    RC_IS(ps_set_multicast_ttl(s4, 256), PS_EINVAL);
    RC_IS(ps_set_multicast_ttl(s4, -1), PS_EINVAL);
    RC_IS(ps_set_multicast_loop(s4, 2), PS_EINVAL);
    OK(ps_close(s4));
    if (open_v6(&s6)) {
        OK(ps_set_multicast_ttl(s6, 9));
        cr_assert_eq(getopt_int(s6, "IPV6_MULTICAST_HOPS"), 9);
        OK(ps_set_multicast_loop(s6, 0));
        cr_assert_eq(getopt_int(s6, "IPV6_MULTICAST_LOOP"), 0);
        OK(ps_close(s6));
    }
    RC_IS(ps_set_multicast_ttl(PS_INVALID_SOCKET, 1), PS_EBADF);
    RC_IS(ps_set_multicast_loop(PS_INVALID_SOCKET, 1), PS_EBADF);
}

Test(options, join_group_argument_errors, .timeout = 10)
{
    ps_socket_t s4;
    ps_addr g6 = parse("[ff15::4242]:0"), unicast = parse("127.0.0.1:0");
    ps_addr g4 = parse("239.255.42.99:0"), empty;
    memset(&empty, 0, sizeof empty);
    OK(ps_udp_open(&s4, "127.0.0.1", "0"));
    RC_IS(ps_join_group(s4, NULL, NULL), PS_EINVAL);
    RC_IS(ps_join_group(s4, &empty, NULL), PS_EINVAL);
    RC_IS(ps_join_group(s4, &unicast, NULL), PS_EINVAL);
    RC_IS(ps_leave_group(s4, NULL, NULL), PS_EINVAL);
    RC_IS(ps_join_group(s4, &g4, ""), PS_EINVAL);
    RC_IS(ps_join_group(s4, &g4, "nosuchif9"), PS_EINVAL);
    /* An IPv4 socket takes no IPv6 group. */
    RC_IS(ps_join_group(s4, &g6, NULL), PS_EAFNOSUPPORT);
    RC_IS(ps_join_group(PS_INVALID_SOCKET, &g4, NULL), PS_EBADF);
    OK(ps_close(s4));
}

/* Leaving a group this socket never joined is PS_EADDRNOTAVAIL on every
 * platform, with or without a multicast route (Wine's Winsock answers
 * IP_DROP_MEMBERSHIP with WSAEINVAL there, Linux with EADDRNOTAVAIL). */
static void leave_unjoined(const char *bind_host, const char *group_ip)
{
    ps_socket_t s;
    ps_addr group = with_port(group_ip, 0);
    int rc = ps_udp_open(&s, bind_host, "0");
    if (rc == PS_EADDRNOTAVAIL || rc == PS_EAFNOSUPPORT)
        cr_skip_test("no %s here (%s)", bind_host, ps_errname(rc));
    OK(rc);
    RC_IS(ps_leave_group(s, &group, NULL), PS_EADDRNOTAVAIL);
    /* Still so after a join and a leave of another group. */
    ps_addr other = with_port(
        strchr(group_ip, ':') ? "ff15::4243" : "239.255.42.96", 0);
    if (ps_join_group(s, &other, NULL) == 0)
        OK(ps_leave_group(s, &other, NULL));
    RC_IS(ps_leave_group(s, &group, NULL), PS_EADDRNOTAVAIL);
    RC_IS(ps_leave_group(s, &other, NULL), PS_EADDRNOTAVAIL);
    OK(ps_close(s));
}

Test(options, leave_group_never_joined_ipv4, .timeout = 10)
{
    leave_unjoined("127.0.0.1", "239.255.42.97");
}

Test(options, leave_group_never_joined_ipv6, .timeout = 10)
{
    leave_unjoined("::1", "ff15::4241");
}

/* Sends "probe" to group:port from a fresh socket of the group's family,
 * kept on this host;
 * 1 when r received it within a second, 0 when not, -1 when the send
 * itself failed (no multicast route). */
static int multicast_reaches(ps_socket_t r, const char *group, int port)
{
    ps_socket_t s;
    unsigned char buf[16];
    size_t got = 0;
    ps_addr to = with_port(group, port);
    OK(ps_udp_open(&s, ps_addr_family(&to) == PS_AF_INET6 ? "::" : "0.0.0.0",
                   "0"));
    OK(ps_set_multicast_loop(s, 1));
    /* TTL / hop limit 0: the datagram never leaves this host (the tests
     * stay off the network); the loopback copy still arrives. */
    OK(ps_set_multicast_ttl(s, 0));
    int rc = ps_sendto(s, "probe", 5, &to, 2000);
    OK(ps_close(s));
    if (rc != 0)
        return -1;
    rc = ps_recvfrom(r, buf, sizeof buf, &got, NULL, 1000);
    if (rc == PS_ETIMEDOUT)
        return 0;
    OK(rc);
    cr_assert_eq(got, (size_t)5);
    return 1;
}

/* Whether multicast sent here loops back at all: IPv4 to the all-hosts
 * group 224.0.0.1, of which every host is a member without joining (an
 * IPv4 socket's; a dual-stack one is no member). IPv6 has no such group
 * without naming an interface; there a failed send says it. */
static void skip_without_ipv4_multicast(void)
{
    ps_socket_t p;
    OK(ps_udp_open(&p, "0.0.0.0", "0"));
    int rc = multicast_reaches(p, "224.0.0.1", pst_local_port(p));
    OK(ps_close(p));
    if (rc != 1)
        cr_skip_test("multicast to 224.0.0.1 is not looped back here (%s): "
                     "no multicast-capable interface or route (loopback has "
                     "no multicast in containers, nor under Wine)",
                     rc < 0 ? "send failed" : "nothing arrived");
}

/* Join, receive, leave, no longer receive, for a group nobody else
 * joins. */
static void join_receive_leave(const char *bind_host, const char *group_ip)
{
    ps_socket_t r;
    ps_addr group = with_port(group_ip, 0);
    if (ps_addr_family(&group) == PS_AF_INET)
        skip_without_ipv4_multicast();
    int rc = ps_udp_open(&r, bind_host, "0");
    if (rc == PS_EADDRNOTAVAIL || rc == PS_EAFNOSUPPORT)
        cr_skip_test("no %s here (%s)", bind_host, ps_errname(rc));
    OK(rc);
    int port = pst_local_port(r);

    rc = multicast_reaches(r, group_ip, port);
    if (rc < 0) {
        ps_close(r);
        cr_skip_test("no route for multicast to %s here: the send failed "
                     "(loopback has no multicast in containers, nor under "
                     "Wine)",
                     group_ip);
    }
    cr_assert_eq(rc, 0, "not joined yet, yet %s arrived", group_ip);
    rc = ps_join_group(r, &group, NULL);
    if (rc == PS_ENOTSUP) {
        ps_close(r);
        cr_skip_test("the system refuses to join %s: %s", group_ip,
                     ps_errname(rc));
    }
    OK(rc);
    cr_assert_eq(multicast_reaches(r, group_ip, port), 1,
                 "joined, but nothing from %s arrived", group_ip);
    OK(ps_leave_group(r, &group, NULL));
    cr_assert_eq(multicast_reaches(r, group_ip, port), 0,
                 "left, yet %s arrived", group_ip);
    OK(ps_close(r));
}

Test(options, multicast_ipv4_join_receive_leave, .timeout = 20)
{
    join_receive_leave("0.0.0.0", "239.255.42.99");
}

Test(options, multicast_ipv6_join_receive_leave, .timeout = 20)
{
    /* ff01::/ff02:: would need an interface; ff15:: (site-local,
     * transient) is routed like unicast. */
    join_receive_leave("::", "ff15::4242");
}

Test(options, multicast_ipv4_on_dual_stack_socket, .timeout = 20)
{
    /* ps_udp_open(NULL, port) is IPv6 with V6ONLY off where it can be. */
    join_receive_leave(NULL, "239.255.42.98");
}

/* By interface name: joined twice is an error, left twice too. */
static void join_by_name(const char *bind_host, const char *group_ip)
{
    const char *lo = pst_loopback_ifname();
    ps_socket_t r;
    if (!lo)
        cr_skip_test("no portable loopback interface name on Windows");
    int rc = ps_udp_open(&r, bind_host, "0");
    if (rc == PS_EADDRNOTAVAIL || rc == PS_EAFNOSUPPORT)
        cr_skip_test("no %s here (%s)", bind_host, ps_errname(rc));
    OK(rc);
    ps_addr group = with_port(group_ip, 0);
    rc = ps_join_group(r, &group, lo);
    if (rc != 0 && pst_under_qemu() && sizeof(long) == 8 &&
        ps_addr_family(&group) == PS_AF_INET) {
        ps_close(r);
        cr_skip_test("qemu-user 7.2 on a 64-bit target reads ip_mreqn's "
                     "interface index as a long, passes garbage to the "
                     "kernel and the join fails (%s)",
                     ps_errname(rc));
    }
    if (rc == PS_EADDRNOTAVAIL || rc == PS_ENOTSUP) {
        ps_close(r);
        cr_skip_test("%s takes no multicast group here (%s)", lo,
                     ps_errname(rc));
    }
    OK(rc);
    RC_IS(ps_join_group(r, &group, lo), PS_EADDRINUSE);
    OK(ps_leave_group(r, &group, lo));
    RC_IS(ps_leave_group(r, &group, lo), PS_EADDRNOTAVAIL);
    OK(ps_close(r));
}

Test(options, multicast_ipv4_join_by_name, .timeout = 10)
{
    join_by_name("0.0.0.0", "224.0.0.77");
}

Test(options, multicast_ipv6_join_by_name, .timeout = 10)
{
    join_by_name("::", "ff01::77");
}

/* ---- Dual-stack ps_udp_open(NULL, port) ---- */

Test(options, udp_wildcard_is_dual_stack, .timeout = 10)
{
    ps_socket_t w, s4, s6;
    ps_addr la, from, to;
    unsigned char buf[16];
    size_t got = 0;
    int have_v6 = open_v6(&s6);
    OK(ps_udp_open(&w, NULL, "0"));
    OK(ps_local_addr(w, &la));
    if (!have_v6) {
        cr_assert_eq(ps_addr_family(&la), PS_AF_INET);
        OK(ps_close(w));
        cr_skip_test("no IPv6 here: ps_udp_open(NULL, port) is IPv4");
    }
    cr_assert_eq(ps_addr_family(&la), PS_AF_INET6);
    int port = pst_local_port(w);

    /* From IPv4: the sender shows as 127.0.0.1, and a reply reaches it. */
    OK(ps_udp_open(&s4, "127.0.0.1", "0"));
    to = with_port("127.0.0.1", port);
    OK(ps_sendto(s4, "four", 4, &to, 2000));
    OK(ps_recvfrom(w, buf, sizeof buf, &got, &from, 2000));
    cr_assert_eq(got, (size_t)4);
    char text[PS_ADDRSTRLEN];
    OK(ps_addr_format(&from, text, sizeof text));
    cr_assert_eq(ps_addr_family(&from), PS_AF_INET, "sender %s", text);
    cr_assert_eq(ps_addr_port(&from), pst_local_port(s4));
    char want[32];
    snprintf(want, sizeof want, "127.0.0.1:%d", pst_local_port(s4));
    cr_assert_str_eq(text, want);
    OK(ps_sendto(w, "back", 4, &from, 2000));
    OK(ps_recvfrom(s4, buf, sizeof buf, &got, NULL, 2000));
    cr_assert_arr_eq(buf, "back", 4);

    /* From IPv6. */
    to = with_port("::1", port);
    OK(ps_sendto(s6, "six", 3, &to, 2000));
    OK(ps_recvfrom(w, buf, sizeof buf, &got, &from, 2000));
    cr_assert_eq(ps_addr_family(&from), PS_AF_INET6);
    OK(ps_sendto(w, "back6", 5, &from, 2000));
    OK(ps_recvfrom(s6, buf, sizeof buf, &got, NULL, 2000));
    cr_assert_arr_eq(buf, "back6", 5);
    OK(ps_close(s6));
    OK(ps_close(s4));
    OK(ps_close(w));
}
