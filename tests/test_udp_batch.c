/* SPDX-License-Identifier: MIT */
/* Batched datagrams: ps_udp_sendmsgs, ps_udp_recvmsgs, ps_set_recv_pktinfo,
 * ps_set_recv_ecn, ps_udp_offload. Loopback only, ephemeral ports only.
 * tests/CMakeLists.txt runs this program twice: as it is, and with
 * PORTSOCK_UDP_PLAIN=1, the forced fallback (one datagram per system
 * call, no offload), so every case here runs through both paths. */
#include <criterion/criterion.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portsock.h"
#include "sockopt_support.h"
#include "support.h"

#include "rc_assert.h"

static int plain_forced(void)
{
    const char *e = getenv("PORTSOCK_UDP_PLAIN");
    return e && strcmp(e, "1") == 0;
}

/* qemu-user with a big-endian guest (the s390x leg) passes these control
 * messages on wrongly: an IP_TOS or UDP_SEGMENT send fails or is not cut,
 * and UDP_GRO sizes come back wrong, where armhf (little-endian) and the
 * kernel itself are right. 1 when a case that needs them must skip. */
static int qemu_big_endian(void)
{
    const uint16_t one = 1;
    unsigned char first;
    memcpy(&first, &one, 1);
    return first == 0 && pst_under_qemu();
}

#define QEMU_BE_REASON                                                      \
    "qemu-user on a big-endian guest mistranslates IP_TOS / UDP_SEGMENT / " \
    "UDP_GRO control messages"

static ps_addr address_of(ps_socket_t s)
{
    ps_addr a;
    memset(&a, 0, sizeof a);
    OK(ps_local_addr(s, &a));
    return a;
}

static ps_addr parsed(const char *text)
{
    ps_addr a;
    OK(ps_addr_parse(&a, text));
    return a;
}

/* s's address as text with its port replaced by 0 ("127.0.0.1:0"). */
static void ip_text(const ps_addr *a, char *buf, size_t cap)
{
    OK(ps_addr_format(a, buf, cap));
    char *colon = strrchr(buf, ':');
    cr_assert_not_null(colon);
    snprintf(colon, cap - (size_t)(colon - buf), ":0");
}

/* Byte j of datagram i: different for every datagram and place. */
static unsigned char byte_of(size_t i, size_t j)
{
    return (unsigned char)(i * 31 + j * 7 + 1);
}

static void fill(unsigned char *buf, size_t i, size_t len)
{
    for (size_t j = 0; j < len; j++)
        buf[j] = byte_of(i, j);
}

static void check_bytes(const unsigned char *buf, size_t i, size_t len)
{
    for (size_t j = 0; j < len; j++)
        cr_assert_eq(buf[j], byte_of(i, j), "datagram %zu byte %zu", i, j);
}

/* Receives exactly want datagrams (a coalesced message counts as its
 * segments) into recv buffers of cap bytes, batches of up to batch. */
typedef struct got_dgram {
    unsigned char *data;
    size_t len;
    ps_addr peer;
} got_dgram;

static size_t receive_all(ps_socket_t s, got_dgram *out, size_t want,
                          size_t cap, size_t batch, size_t *coalesced)
{
    ps_udp_msg *m = calloc(batch, sizeof *m);
    unsigned char *space = malloc(batch * cap);
    size_t have = 0;
    cr_assert(m && space);
    if (coalesced)
        *coalesced = 0;
    while (have < want) {
        size_t done = 99;
        for (size_t i = 0; i < batch; i++) {
            memset(&m[i], 0, sizeof m[i]);
            m[i].buf = space + i * cap;
            m[i].len = cap;
        }
        int rc = ps_udp_recvmsgs(s, m, batch, &done, 3000);
        if (rc == PS_ETIMEDOUT)
            break;
        cr_assert_eq(rc, 0, "recvmsgs -> %s after %zu", ps_errname(rc), have);
        cr_assert(done >= 1 && done <= batch, "done %zu", done);
        for (size_t i = 0; i < done; i++) {
            size_t seg = m[i].segment_size ? m[i].segment_size : m[i].len;
            size_t off = 0;
            cr_assert_eq(m[i].truncated, 0);
            if (m[i].segment_size && coalesced)
                (*coalesced)++;
            do {
                size_t len = m[i].len - off < seg ? m[i].len - off : seg;
                cr_assert_lt(have, want, "more datagrams than sent");
                out[have].data = malloc(len ? len : 1);
                cr_assert_not_null(out[have].data);
                memcpy(out[have].data, (unsigned char *)m[i].buf + off, len);
                out[have].len = len;
                out[have].peer = m[i].peer;
                have++;
                off += len;
            } while (off < m[i].len);
        }
    }
    free(m);
    free(space);
    return have;
}

static void free_got(got_dgram *g, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(g[i].data);
}

Test(udp_batch, order_and_content, .timeout = 20)
{
    enum { N = 40 };
    ps_socket_t a, b;
    ps_udp_msg m[N];
    unsigned char data[N][300];
    got_dgram got[N];
    size_t done = 99;

    OK(ps_udp_open(&a, "127.0.0.1", "0"));
    OK(ps_udp_open(&b, "127.0.0.1", "0"));
    memset(m, 0, sizeof m);
    for (size_t i = 0; i < N; i++) {
        size_t len = (i * 37) % 300; /* 0 included: an empty datagram */
        fill(data[i], i, len);
        m[i].buf = data[i];
        m[i].len = len;
        m[i].peer = address_of(b);
    }
    OK(ps_udp_sendmsgs(a, m, N, &done, 2000));
    cr_assert_eq(done, (size_t)N);
    size_t have = receive_all(b, got, N, 512, 16, NULL);
    cr_assert_eq(have, (size_t)N);
    for (size_t i = 0; i < N; i++) {
        cr_assert_eq(got[i].len, m[i].len, "datagram %zu", i);
        check_bytes(got[i].data, i, got[i].len);
        cr_assert_eq(ps_addr_family(&got[i].peer), PS_AF_INET);
        cr_assert_eq(ps_addr_port(&got[i].peer), pst_local_port(a));
    }
    free_got(got, have);
    ps_close(a);
    ps_close(b);
}

/* A connected socket sends with an empty peer. */
Test(udp_batch, connected_peer, .timeout = 20)
{
    ps_socket_t a, b;
    ps_udp_msg m[2];
    unsigned char buf[16];
    size_t done = 0, got = 0;
    OK(ps_udp_open(&b, "127.0.0.1", "0"));
    OK(ps_socket(&a, PS_AF_INET, PS_SOCK_DGRAM));
    ps_addr to = address_of(b);
    OK(ps_connect_start(a, &to));
    memset(m, 0, sizeof m);
    m[0].buf = "one";
    m[0].len = 3;
    m[1].buf = "two!";
    m[1].len = 4;
    OK(ps_udp_sendmsgs(a, m, 2, &done, 2000));
    cr_assert_eq(done, 2u);
    OK(ps_recvfrom(b, buf, sizeof buf, &got, NULL, 2000));
    cr_assert_eq(got, 3u);
    OK(ps_recvfrom(b, buf, sizeof buf, &got, NULL, 2000));
    cr_assert_eq(got, 4u);
    cr_assert_eq(memcmp(buf, "two!", 4), 0);
    ps_close(a);
    ps_close(b);
}

Test(udp_batch, truncation_flagged_per_message, .timeout = 20)
{
    ps_socket_t a, b;
    unsigned char out[3][100], in[3][50];
    ps_udp_msg m[3];
    size_t lens[3] = {5, 100, 7}, done = 0, total = 0;

    OK(ps_udp_open(&a, "127.0.0.1", "0"));
    OK(ps_udp_open(&b, "127.0.0.1", "0"));
    ps_addr to = address_of(b);
    for (size_t i = 0; i < 3; i++) {
        fill(out[i], i, lens[i]);
        OK(ps_sendto(a, out[i], lens[i], &to, 2000));
    }
    memset(m, 0, sizeof m);
    memset(in, 0, sizeof in);
    while (total < 3) {
        for (size_t i = total; i < 3; i++) {
            m[i].buf = in[i];
            m[i].len = sizeof in[i];
        }
        OK(ps_udp_recvmsgs(b, m + total, 3 - total, &done, 2000));
        total += done;
    }
    cr_assert_eq(m[0].len, 5u);
    cr_assert_eq(m[0].truncated, 0);
    cr_assert_eq(m[1].len, 50u, "cut to the capacity: %zu", m[1].len);
    cr_assert_eq(m[1].truncated, 1, "the long datagram is flagged");
    check_bytes(in[1], 1, 50);
    cr_assert_eq(m[2].len, 7u);
    cr_assert_eq(m[2].truncated, 0, "the flag is per message");
    check_bytes(in[2], 2, 7);
    ps_close(a);
    ps_close(b);
}

typedef struct drain_job {
    ps_socket_t s;
    got_dgram *got;
    size_t want, have;
} drain_job;

static void drain_thread(void *arg)
{
    drain_job *j = (drain_job *)arg;
    j->have = receive_all(j->s, j->got, j->want, 64, 256, NULL);
}

/* More messages than one sendmmsg / recvmmsg takes (UIO_MAXIOV, 1024): the
 * calls go in turns and *done counts them all. */
Test(udp_batch, batch_larger_than_uio_maxiov, .timeout = 120)
{
    enum { N = 1500 };
    ps_socket_t a, b;
    ps_udp_msg *m = calloc(N, sizeof *m);
    unsigned char(*data)[8] = malloc(N * 8);
    got_dgram *got = calloc(N, sizeof *got);
    size_t done = 0;
    cr_assert(m && data && got);

    OK(ps_udp_open(&a, "127.0.0.1", "0"));
    OK(ps_udp_open(&b, "127.0.0.1", "0"));
    int rcvbuf = pst_force_rcvbuf(b, 16 << 20);
    /* Each queued datagram costs about 1 KiB of buffer: 1500 need more
     * than net.core.rmem_max gives without privilege (Wine, non-root). */
    int roomy = rcvbuf >= 8 << 20;
    for (size_t i = 0; i < N; i++) {
        fill(data[i], i, 8);
        m[i].buf = data[i];
        m[i].len = 8;
        m[i].peer = address_of(b);
    }
    if (roomy) {
        /* All queued first, then one receive takes them all. */
        OK(ps_udp_sendmsgs(a, m, N, &done, 5000));
        cr_assert_eq(done, (size_t)N);
        ps_udp_msg *r = calloc(N, sizeof *r);
        unsigned char(*in)[16] = malloc(N * 16);
        cr_assert(r && in);
        for (size_t i = 0; i < N; i++) {
            r[i].buf = in[i];
            r[i].len = 16;
        }
        done = 0;
        OK(ps_udp_recvmsgs(b, r, N, &done, 5000));
        cr_assert_eq(done, (size_t)N, "one receive took %zu of %d queued", done,
                     N);
        for (size_t i = 0; i < N; i++) {
            cr_assert_eq(r[i].len, 8u);
            check_bytes(in[i], i, 8);
        }
        free(r);
        free(in);
    } else {
        /* A receiver drains while the one send runs. */
        cr_log_info("receive buffer %d bytes: the receiver drains while "
                    "the batch is sent, instead of one receive of all",
                    rcvbuf);
        drain_job j = {b, got, N, 0};
        pst_thread *t = pst_thread_start(drain_thread, &j);
        cr_assert_not_null(t);
        OK(ps_udp_sendmsgs(a, m, N, &done, 20000));
        cr_assert_eq(done, (size_t)N);
        pst_thread_join(t);
        cr_assert_eq(j.have, (size_t)N, "received %zu of %d", j.have, N);
        for (size_t i = 0; i < N; i++) {
            cr_assert_eq(got[i].len, 8u);
            check_bytes(got[i].data, i, 8);
        }
        free_got(got, j.have);
    }
    free(m);
    free(data);
    free(got);
    ps_close(a);
    ps_close(b);
}

typedef struct late_send {
    ps_socket_t s;
    ps_addr to;
    int delay_ms;
} late_send;

static void late_send_thread(void *arg)
{
    late_send *l = (late_send *)arg;
    pst_sleep_ms(l->delay_ms);
    (void)ps_sendto(l->s, "late", 4, &l->to, 2000);
}

/* The receive waits for the first datagram only, then takes what is
 * queued: it never waits for n, nor for the deadline. */
Test(udp_batch, receive_returns_after_first_and_queued, .timeout = 30)
{
    ps_socket_t a, b;
    ps_udp_msg m[64];
    unsigned char in[64][16];
    size_t done = 0;
    OK(ps_udp_open(&a, "127.0.0.1", "0"));
    OK(ps_udp_open(&b, "127.0.0.1", "0"));
    ps_addr to = address_of(b);
    for (int i = 0; i < 5; i++)
        OK(ps_sendto(a, "queued", 6, &to, 2000));
    pst_sleep_ms(100); /* all five are queued on loopback by now */
    memset(m, 0, sizeof m);
    for (int i = 0; i < 64; i++) {
        m[i].buf = in[i];
        m[i].len = sizeof in[i];
    }
    int64_t t0 = pst_now_ms();
    OK(ps_udp_recvmsgs(b, m, 64, &done, 10000));
    int64_t dt = pst_now_ms() - t0;
    cr_assert_eq(done, 5u, "took %zu of the 5 queued", done);
    cr_assert_lt(dt, pst_slack_ms(3000), "returned after %lld ms",
                 (long long)dt);

    /* Nothing queued: one datagram 200 ms later ends the wait. */
    late_send l = {a, to, 200};
    pst_thread *t = pst_thread_start(late_send_thread, &l);
    cr_assert_not_null(t);
    t0 = pst_now_ms();
    OK(ps_udp_recvmsgs(b, m, 64, &done, 10000));
    dt = pst_now_ms() - t0;
    pst_thread_join(t);
    cr_assert_eq(done, 1u);
    cr_assert_eq(m[0].len, 4u);
    cr_assert_eq(memcmp(in[0], "late", 4), 0);
    cr_assert_lt(dt, pst_slack_ms(5000), "returned after %lld ms",
                 (long long)dt);

    /* Nothing at all: the documented codes, *done 0. */
    done = 9;
    RC_IS(ps_udp_recvmsgs(b, m, 64, &done, 0), PS_EWOULDBLOCK);
    cr_assert_eq(done, 0u);
    t0 = pst_now_ms();
    RC_IS(ps_udp_recvmsgs(b, m, 64, &done, 150), PS_ETIMEDOUT);
    pst_assert_took(t0, 140, pst_slack_ms(3000), "ps_udp_recvmsgs(150)");
    cr_assert_eq(done, 0u);
    ps_close(a);
    ps_close(b);
}

/* One receive on the dual-stack socket s with pktinfo on: the message
 * from `from`, its local address as text (port 0). */
static ps_udp_msg receive_one(ps_socket_t s, unsigned char *buf, size_t cap)
{
    ps_udp_msg m;
    size_t done = 0;
    memset(&m, 0, sizeof m);
    m.buf = buf;
    m.len = cap;
    OK(ps_udp_recvmsgs(s, &m, 1, &done, 3000));
    cr_assert_eq(done, 1u);
    return m;
}

static void local_address_case(ps_socket_t srv, const char *sender_ip,
                               const char *dest_ip, int family)
{
    ps_socket_t c;
    char text[PS_ADDRSTRLEN], want[PS_ADDRSTRLEN], dest[PS_ADDRSTRLEN];
    unsigned char buf[32];
    size_t got = 0;
    ps_addr from;
    OK(ps_udp_open(&c, sender_ip, "0"));
    snprintf(dest, sizeof dest, family == PS_AF_INET ? "%s:%d" : "[%s]:%d",
             dest_ip, pst_local_port(srv));
    ps_addr to = parsed(dest);
    OK(ps_sendto(c, "ask", 3, &to, 2000));
    ps_udp_msg m = receive_one(srv, buf, sizeof buf);
    cr_assert_eq(m.len, 3u);
    cr_assert_eq(ps_addr_family(&m.peer), family, "peer as plain family");
    cr_assert_eq(ps_addr_port(&m.peer), pst_local_port(c));
    cr_assert_eq(ps_addr_family(&m.local), family,
                 "local family %d for a %s sender", ps_addr_family(&m.local),
                 sender_ip);
    ip_text(&m.local, text, sizeof text);
    snprintf(want, sizeof want, family == PS_AF_INET ? "%s:0" : "[%s]:0",
             dest_ip);
    cr_assert_str_eq(text, want);
    cr_assert_eq(ps_addr_port(&m.local), 0);
    cr_assert_neq(m.ifindex, 0u, "the loopback interface's index");

    /* Answer from that address: it reaches the peer, from it. */
    ps_udp_msg reply = m;
    size_t done = 0;
    reply.buf = "answer";
    reply.len = 6;
    reply.ecn = 0;
    reply.truncated = 0;
    reply.segment_size = 0;
    OK(ps_udp_sendmsgs(srv, &reply, 1, &done, 2000));
    cr_assert_eq(done, 1u);
    memset(&from, 0, sizeof from);
    OK(ps_recvfrom(c, buf, sizeof buf, &got, &from, 3000));
    cr_assert_eq(got, 6u);
    cr_assert_eq(memcmp(buf, "answer", 6), 0);
    cr_assert_eq(ps_addr_port(&from), pst_local_port(srv));
    ip_text(&from, text, sizeof text);
    if (pst_under_wine() && strcmp(text, want) != 0)
        cr_log_info("Wine ignores the source address on send: the answer "
                    "came from %s, not %s",
                    text, want);
    else
        cr_assert_str_eq(text, want, "the answer's source address");
    ps_close(c);
}

Test(udp_batch, local_address_on_dual_stack_socket, .timeout = 30)
{
    ps_socket_t srv, probe;
    if (ps_udp_open(&probe, "::1", "0") != 0)
        cr_skip_test("no IPv6 loopback: no dual-stack socket to test");
    ps_close(probe);
    OK(ps_udp_open(&srv, NULL, "0"));
    ps_addr la = address_of(srv);
    cr_assert_eq(ps_addr_family(&la), PS_AF_INET6);
    OK(ps_set_recv_pktinfo(srv, 1));
    local_address_case(srv, "127.0.0.1", "127.0.0.1", PS_AF_INET);
    /* A second loopback address tells the destination from a guess. */
    if (pst_is_linux() || pst_under_wine())
        local_address_case(srv, "127.0.0.1", "127.0.0.2", PS_AF_INET);
    local_address_case(srv, "::1", "::1", PS_AF_INET6);

    /* Off again: no local address. */
    OK(ps_set_recv_pktinfo(srv, 0));
    ps_socket_t c;
    unsigned char buf[8];
    OK(ps_udp_open(&c, "127.0.0.1", "0"));
    ps_addr to = parsed("127.0.0.1:0");
    char t[64];
    snprintf(t, sizeof t, "127.0.0.1:%d", pst_local_port(srv));
    to = parsed(t);
    OK(ps_sendto(c, "x", 1, &to, 2000));
    ps_udp_msg m = receive_one(srv, buf, sizeof buf);
    cr_assert_eq(m.local.len, 0u, "no local address with pktinfo off");
    ps_close(c);
    ps_close(srv);
}

/* ECN bits sent with each message arrive with it. */
static int ecn_case(const char *ip)
{
    ps_socket_t a, b;
    ps_udp_msg m[4], r[4];
    unsigned char in[4][8];
    size_t done = 0, total = 0;
    int rc = ps_udp_open(&b, ip, "0");
    if (rc != 0)
        return -1;
    OK(ps_udp_open(&a, ip, "0"));
    OK(ps_set_recv_ecn(b, 1));
    memset(m, 0, sizeof m);
    for (int i = 0; i < 4; i++) {
        m[i].buf = "ecn";
        m[i].len = 3;
        m[i].peer = address_of(b);
        m[i].ecn = i; /* not-ECT, ECT(1), ECT(0), CE */
    }
    OK(ps_udp_sendmsgs(a, m, 4, &done, 2000));
    cr_assert_eq(done, 4u);
    memset(r, 0, sizeof r);
    while (total < 4) {
        for (int i = (int)total; i < 4; i++) {
            r[i].buf = in[i];
            r[i].len = sizeof in[i];
        }
        OK(ps_udp_recvmsgs(b, r + total, 4 - total, &done, 3000));
        total += done;
    }
    int matched = 0;
    for (int i = 0; i < 4; i++)
        matched += r[i].ecn == i;
    if (matched != 4 && pst_under_wine()) {
        cr_log_info("%s: Wine delivered ECN bits %d %d %d %d for 0 1 2 3", ip,
                    r[0].ecn, r[1].ecn, r[2].ecn, r[3].ecn);
        ps_close(a);
        ps_close(b);
        return 0;
    }
    for (int i = 0; i < 4; i++)
        cr_assert_eq(r[i].ecn, i, "%s: datagram %d arrived with ECN %d", ip, i,
                     r[i].ecn);
    ps_close(a);
    ps_close(b);
    return 1;
}

Test(udp_batch, ecn_round_trip, .timeout = 30)
{
    if (qemu_big_endian()) {
        cr_skip_test(QEMU_BE_REASON);
        return;
    }
    int v4 = ecn_case("127.0.0.1");
    int v6 = ecn_case("::1");
    cr_assert_neq(v4, -1);
    if (v4 == 0 || v6 == 0)
        cr_skip_test("Wine 8 accepts IP_ECN / IP_RECVTOS but no ECN bits "
                     "arrive between its sockets: not testable there");
}

/* Dual-stack: an IPv4 peer's ECN bits on a :: socket. */
Test(udp_batch, ecn_on_dual_stack_socket, .timeout = 30)
{
    if (qemu_big_endian()) {
        cr_skip_test(QEMU_BE_REASON);
        return;
    }
    ps_socket_t a, srv, probe;
    unsigned char buf[8];
    size_t done = 0;
    if (ps_udp_open(&probe, "::1", "0") != 0)
        cr_skip_test("no IPv6 loopback: no dual-stack socket to test");
    ps_close(probe);
    OK(ps_udp_open(&srv, NULL, "0"));
    OK(ps_set_recv_ecn(srv, 1));
    OK(ps_udp_open(&a, "127.0.0.1", "0"));
    char t[64];
    snprintf(t, sizeof t, "127.0.0.1:%d", pst_local_port(srv));
    ps_udp_msg m;
    memset(&m, 0, sizeof m);
    m.buf = "v4";
    m.len = 2;
    m.peer = parsed(t);
    m.ecn = 2;
    OK(ps_udp_sendmsgs(a, &m, 1, &done, 2000));
    ps_udp_msg r = receive_one(srv, buf, sizeof buf);
    cr_assert_eq(ps_addr_family(&r.peer), PS_AF_INET);
    if (pst_under_wine() && r.ecn == 0)
        cr_skip_test("Wine 8: no ECN bits arrive between its sockets");
    cr_assert_eq(r.ecn, 2, "ECN %d", r.ecn);
    ps_close(a);
    ps_close(srv);
}

static unsigned expected_send_offload(void)
{
    /* Linux 4.18 and later: UDP_SEGMENT; Wine refuses UDP_SEND_MSG_SIZE;
     * elsewhere (macOS, the BSDs) there is none. */
    return plain_forced() || !pst_is_linux() ? 0u : PS_UDP_OFFLOAD_SEND;
}

/* The segmented sends' set-up: a sender a that asked for send
 * segmentation (what it got is returned), a receiver b, and data: LEN
 * bytes, datagram i of SEG bytes (the last shorter) holding byte_of(i, j). */
enum { SEG = 100, LEN = 955 };

static unsigned segment_pair(ps_socket_t *a, ps_socket_t *b,
                             unsigned char *data)
{
    unsigned got_flags = 99;
    OK(ps_udp_open(a, "127.0.0.1", "0"));
    OK(ps_udp_open(b, "127.0.0.1", "0"));
    OK(ps_udp_offload(*a, PS_UDP_OFFLOAD_SEND, &got_flags));
    for (size_t i = 0; i < LEN; i++)
        data[i] = byte_of(i / SEG, i % SEG);
    return got_flags;
}

/* One message of 10 segments arrives as 10 datagrams at a plain receiver,
 * cut by the system (UDP_SEGMENT) or, without it, by portsock. */
Test(udp_batch, segmented_send_arrives_as_datagrams, .timeout = 30)
{
    if (qemu_big_endian()) {
        cr_skip_test(QEMU_BE_REASON);
        return;
    }
    ps_socket_t a, b;
    unsigned char data[LEN], buf[2000];
    size_t done = 0, got = 0;
    unsigned got_flags = segment_pair(&a, &b, data);
    cr_assert_eq(got_flags, expected_send_offload(), "offload %u", got_flags);
    ps_udp_msg m[2];
    memset(m, 0, sizeof m);
    m[0].buf = data;
    m[0].len = LEN;
    m[0].segment_size = SEG;
    m[0].peer = address_of(b);
    m[1].buf = "after";
    m[1].len = 5;
    m[1].peer = address_of(b);
    OK(ps_udp_sendmsgs(a, m, 2, &done, 2000));
    cr_assert_eq(done, 2u);
    for (size_t i = 0; i < 10; i++) {
        OK(ps_recvfrom(b, buf, sizeof buf, &got, NULL, 3000));
        cr_assert_eq(got, i < 9 ? (size_t)SEG : (size_t)(LEN - 9 * SEG),
                     "datagram %zu: %zu bytes", i, got);
        check_bytes(buf, i, got);
    }
    OK(ps_recvfrom(b, buf, sizeof buf, &got, NULL, 3000));
    cr_assert_eq(got, 5u, "the next message after the segments");
    ps_close(a);
    ps_close(b);
}

/* A message's local address chooses the source IP; the port is always the
 * socket's: port 0 means that one, the socket's own port is accepted, and
 * any other is PS_EINVAL before anything is sent (it cannot be honoured). */
Test(udp_batch, local_port_zero_or_own, .timeout = 20)
{
    ps_socket_t a, b;
    unsigned char buf[16];
    size_t done = 9, got = 0;
    char text[PS_ADDRSTRLEN + 8];
    ps_addr from;
    OK(ps_udp_open(&a, "127.0.0.1", "0"));
    OK(ps_udp_open(&b, "127.0.0.1", "0"));
    ps_udp_msg m[2];
    memset(m, 0, sizeof m);
    m[0].buf = "zero";
    m[0].len = 4;
    m[0].peer = address_of(b);
    m[0].local = parsed("127.0.0.1:0");
    m[1] = m[0];
    m[1].buf = "own!";
    snprintf(text, sizeof text, "127.0.0.1:%d", pst_local_port(a));
    m[1].local = parsed(text);
    OK(ps_udp_sendmsgs(a, m, 2, &done, 2000));
    cr_assert_eq(done, 2u);
    for (int i = 0; i < 2; i++) {
        memset(&from, 0, sizeof from);
        OK(ps_recvfrom(b, buf, sizeof buf, &got, &from, 3000));
        cr_assert_eq(got, 4u);
        cr_assert_eq(memcmp(buf, i == 0 ? "zero" : "own!", 4), 0);
        cr_assert_eq(ps_addr_port(&from), pst_local_port(a));
    }
    /* Another port: refused, nothing sent, not even the good first one. */
    snprintf(text, sizeof text, "127.0.0.1:%d", pst_local_port(b));
    m[1].local = parsed(text);
    done = 9;
    RC_IS(ps_udp_sendmsgs(a, m, 2, &done, 2000), PS_EINVAL);
    cr_assert_eq(done, 0u);
    RC_IS(ps_recvfrom(b, buf, sizeof buf, &got, NULL, 200), PS_ETIMEDOUT);
    ps_close(a);
    ps_close(b);
}

/* A segmented message the system refuses to cut (Linux: EIO from a
 * device that cannot checksum or segment it, EINVAL for a socket without
 * UDP checksums or a segment above the path MTU) is cut by portsock, as
 * the header says: SO_NO_CHECK makes the kernel refuse it here. */
Test(udp_batch, refused_segmentation_cut_by_portsock, .timeout = 30)
{
    ps_socket_t a, b;
    unsigned char data[LEN], buf[2000];
    size_t done = 0, got = 0;
    unsigned got_flags = segment_pair(&a, &b, data);
    if (!(got_flags & PS_UDP_OFFLOAD_SEND) || pst_udp_no_checksum(a) != 0) {
        ps_close(a);
        ps_close(b);
        cr_skip_test("no send segmentation, or no SO_NO_CHECK to make the "
                     "system refuse it");
        return;
    }
    ps_udp_msg m[3];
    memset(m, 0, sizeof m);
    m[0].buf = "before";
    m[0].len = 6;
    m[1].buf = data;
    m[1].len = LEN;
    m[1].segment_size = SEG;
    m[2] = m[1];
    for (size_t i = 0; i < 3; i++)
        m[i].peer = address_of(b);
    RC_IS(ps_udp_sendmsgs(a, m, 3, &done, 2000), 0);
    cr_assert_eq(done, 3u);
    OK(ps_recvfrom(b, buf, sizeof buf, &got, NULL, 3000));
    cr_assert_eq(got, 6u, "the message before the segments");
    for (size_t k = 0; k < 20; k++) {
        size_t i = k % 10;
        OK(ps_recvfrom(b, buf, sizeof buf, &got, NULL, 3000));
        cr_assert_eq(got, i < 9 ? (size_t)SEG : (size_t)(LEN - 9 * SEG),
                     "datagram %zu: %zu bytes", k, got);
        check_bytes(buf, i, got);
    }
    ps_close(a);
    ps_close(b);
}

/* Receive coalescing: the receiver sees the segment size and every
 * datagram boundary. Where the system does not coalesce (or the fallback
 * is forced) the same datagrams arrive one by one. */
Test(udp_batch, coalesced_receive_keeps_boundaries, .timeout = 30)
{
    if (qemu_big_endian()) {
        cr_skip_test(QEMU_BE_REASON);
        return;
    }
    ps_socket_t a, b;
    unsigned char data[LEN];
    got_dgram got[11];
    unsigned got_flags = 99;
    size_t done = 0, coalesced = 0;
    OK(ps_udp_open(&a, "127.0.0.1", "0"));
    OK(ps_udp_open(&b, "127.0.0.1", "0"));
    OK(ps_udp_offload(b, PS_UDP_OFFLOAD_RECV, &got_flags));
    unsigned want = plain_forced() || !pst_is_linux() ? 0u
                                                      : PS_UDP_OFFLOAD_RECV;
    cr_assert_eq(got_flags, want, "offload %u", got_flags);
    for (size_t i = 0; i < LEN; i++)
        data[i] = byte_of(i / SEG, i % SEG);
    ps_udp_msg m[2];
    memset(m, 0, sizeof m);
    m[0].buf = data;
    m[0].len = LEN;
    m[0].segment_size = SEG;
    m[0].peer = address_of(b);
    m[1].buf = data;
    m[1].len = 30;
    m[1].peer = address_of(b);
    OK(ps_udp_sendmsgs(a, m, 2, &done, 2000));
    cr_assert_eq(done, 2u);
    size_t have = receive_all(b, got, 11, 65535, 8, &coalesced);
    cr_assert_eq(have, 11u);
    for (size_t i = 0; i < 10; i++) {
        cr_assert_eq(got[i].len, i < 9 ? (size_t)SEG : (size_t)(LEN - 9 * SEG),
                     "datagram %zu", i);
        check_bytes(got[i].data, i, got[i].len);
    }
    cr_assert_eq(got[10].len, 30u);
    /* Linux's loopback hands a UDP_SEGMENT send to a UDP_GRO socket
     * whole: the receiver must have seen it coalesced. */
    if (want)
        cr_assert_geq(coalesced, 1u, "no coalesced message arrived");
    else
        cr_assert_eq(coalesced, 0u);
    free_got(got, have);

    /* Off again: one datagram per message. */
    OK(ps_udp_offload(b, 0, &got_flags));
    cr_assert_eq(got_flags, 0u);
    ps_close(a);
    ps_close(b);
}

Test(udp_batch, bad_arguments, .timeout = 20)
{
    ps_socket_t a;
    ps_udp_msg m;
    unsigned char buf[8] = {0}; /* sent further down: defined bytes */
    unsigned got_flags = 7;
    size_t done = 5;
    OK(ps_udp_open(&a, "127.0.0.1", "0"));
    memset(&m, 0, sizeof m);
    m.buf = buf;
    m.len = sizeof buf;
    m.peer = parsed("127.0.0.1:9");

    RC_IS(ps_udp_sendmsgs(PS_INVALID_SOCKET, &m, 1, &done, 100), PS_EBADF);
    cr_assert_eq(done, 0u);
    RC_IS(ps_udp_recvmsgs(PS_INVALID_SOCKET, &m, 1, &done, 100), PS_EBADF);
    RC_IS(ps_udp_sendmsgs(a, NULL, 1, &done, 100), PS_EINVAL);
    RC_IS(ps_udp_recvmsgs(a, NULL, 1, &done, 100), PS_EINVAL);
    RC_IS(ps_udp_recvmsgs(a, &m, 0, &done, 100), PS_EINVAL);
    OK(ps_udp_sendmsgs(a, NULL, 0, &done, 100));
    OK(ps_udp_sendmsgs(a, &m, 0, NULL, 0));

    ps_udp_msg bad = m;
    bad.buf = NULL;
    RC_IS(ps_udp_sendmsgs(a, &bad, 1, &done, 100), PS_EINVAL);
    RC_IS(ps_udp_recvmsgs(a, &bad, 1, &done, 100), PS_EINVAL);
    bad = m;
    bad.ecn = 4;
    RC_IS(ps_udp_sendmsgs(a, &bad, 1, &done, 100), PS_EINVAL);
    bad.ecn = -1;
    RC_IS(ps_udp_sendmsgs(a, &bad, 1, &done, 100), PS_EINVAL);
    bad = m;
    bad.peer.len = 3; /* too short for its family */
    RC_IS(ps_udp_sendmsgs(a, &bad, 1, &done, 100), PS_EINVAL);
    bad = m;
    bad.peer.len = 4000;
    RC_IS(ps_udp_sendmsgs(a, &bad, 1, &done, 100), PS_EINVAL);
    bad = m;
    bad.local = parsed("127.0.0.1:0");
    bad.local.len = 2;
    RC_IS(ps_udp_sendmsgs(a, &bad, 1, &done, 100), PS_EINVAL);
    /* A bad message anywhere: nothing is sent. */
    ps_udp_msg two[2] = {m, bad};
    done = 9;
    RC_IS(ps_udp_sendmsgs(a, two, 2, &done, 100), PS_EINVAL);
    cr_assert_eq(done, 0u);

    RC_IS(ps_set_recv_pktinfo(a, 2), PS_EINVAL);
    RC_IS(ps_set_recv_ecn(a, -1), PS_EINVAL);
    RC_IS(ps_set_recv_pktinfo(PS_INVALID_SOCKET, 1), PS_EBADF);
    RC_IS(ps_set_recv_ecn(PS_INVALID_SOCKET, 1), PS_EBADF);
    RC_IS(ps_udp_offload(a, 4, &got_flags), PS_EINVAL);
    cr_assert_eq(got_flags, 0u);
    RC_IS(ps_udp_offload(PS_INVALID_SOCKET, 0, &got_flags), PS_EBADF);
    OK(ps_udp_offload(a, 0, NULL));
    if (!pst_is_windows()) {
        ps_socket_t pair[2];
        OK(ps_socketpair(pair));
        RC_IS(ps_set_recv_pktinfo(pair[0], 1), PS_EAFNOSUPPORT);
        RC_IS(ps_udp_offload(pair[0], PS_UDP_OFFLOAD_RECV, NULL),
              PS_EAFNOSUPPORT);
        ps_close(pair[0]);
        ps_close(pair[1]);
    }

    /* Too long for a datagram: PS_EMSGSIZE for that message, *done
     * counts those before it. */
    unsigned char *big = calloc(1, 70000);
    cr_assert_not_null(big);
    ps_socket_t b;
    OK(ps_udp_open(&b, "127.0.0.1", "0"));
    ps_udp_msg seq[3] = {m, m, m};
    for (int i = 0; i < 3; i++)
        seq[i].peer = address_of(b);
    seq[1].buf = big;
    seq[1].len = 70000;
    RC_IS(ps_udp_sendmsgs(a, seq, 3, &done, 2000), PS_EMSGSIZE);
    cr_assert_eq(done, 1u, "the message before the long one left");
    free(big);
    ps_close(a);
    ps_close(b);
}

/* *done is exact when a send stops at a full buffer. A UDP sender on
 * loopback never blocks (the receiver drops instead), so the full buffer
 * is an AF_UNIX datagram socket nobody reads, which does block; POSIX
 * only (Wine has no AF_UNIX). */
Test(udp_batch, send_deadline_done_exact, .timeout = 60)
{
    enum { N = 20000, LEN = 64 };
    char path[200], host[220];
    ps_addr to;
    size_t count = 0;
    if (pst_is_windows())
        cr_skip_test("no AF_UNIX datagram sockets under Wine: a UDP sender on "
                     "loopback never fills up, so no send deadline can pass");
    pst_temp_path(path, sizeof path, "udpbatch");
    snprintf(host, sizeof host, "unix:%s", path);
    OK(ps_resolve(host, NULL, PS_SOCK_DGRAM, &to, 1, &count, 1000));
    ps_socket_t r, w;
    OK(ps_socket(&r, PS_AF_UNIX, PS_SOCK_DGRAM));
    OK(ps_bind(r, &to));
    OK(ps_socket(&w, PS_AF_UNIX, PS_SOCK_DGRAM));
    ps_udp_msg *m = calloc(N, sizeof *m);
    unsigned char(*data)[LEN] = malloc((size_t)N * LEN);
    cr_assert(m && data);
    for (size_t i = 0; i < N; i++) {
        fill(data[i], i, LEN);
        m[i].buf = data[i];
        m[i].len = LEN;
        m[i].peer = to;
    }
    size_t first = 0, second = 0;
    RC_IS(ps_udp_sendmsgs(w, m, N, &first, 0), PS_EWOULDBLOCK);
    cr_assert(first > 0 && first < N, "done %zu", first);
    /* Full now: a deadline passes with nothing more sent. */
    int64_t t0 = pst_now_ms();
    RC_IS(ps_udp_sendmsgs(w, m + first, N - first, &second, 200), PS_ETIMEDOUT);
    pst_assert_took(t0, 190, pst_slack_ms(5000), "ps_udp_sendmsgs(200)");
    cr_assert_eq(second, 0u);
    /* ps_sendto meets the same deadline on the same full socket (it spun
     * for ever: the socket polls writable, and the wait after the
     * deadline reported it ready at once). */
    t0 = pst_now_ms();
    RC_IS(ps_sendto(w, "x", 1, &to, 100), PS_ETIMEDOUT);
    pst_assert_took(t0, 90, pst_slack_ms(5000), "ps_sendto(100)");
    /* Exactly first datagrams are queued, in order. */
    ps_udp_msg in[64];
    unsigned char buf[64][LEN + 8];
    size_t have = 0, done = 0;
    for (;;) {
        for (int i = 0; i < 64; i++) {
            memset(&in[i], 0, sizeof in[i]);
            in[i].buf = buf[i];
            in[i].len = sizeof buf[i];
        }
        int rc = ps_udp_recvmsgs(r, in, 64, &done, 0);
        if (rc == PS_EWOULDBLOCK)
            break;
        OK(rc);
        for (size_t i = 0; i < done; i++) {
            cr_assert_eq(in[i].len, (size_t)LEN);
            check_bytes(buf[i], have + i, LEN);
        }
        have += done;
    }
    cr_assert_eq(have, first, "queued %zu, *done said %zu", have, first);
    free(m);
    free(data);
    ps_close(r);
    ps_close(w);
    pst_remove(path);
}
