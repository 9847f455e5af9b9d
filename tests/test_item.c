/* SPDX-License-Identifier: MIT */
/* ps_item_read / ps_item_write on every kind of item: sockets, pipes and
 * files as fds, Windows handles; end of input, a reader gone, bad
 * arguments; and that a read after ps_select / ps_poller reported READ
 * does not block. The same source runs natively and under Wine. */
#include <criterion/criterion.h>

#include <string.h>

#include "portsock.h"
#include "select_support.h"
#include "support.h"

TestSuite(item, .timeout = 60);

static void pair(ps_socket_t sv[2])
{
    cr_assert_eq(ps_socketpair(sv), 0);
}

Test(item, arguments)
{
    char b[4];
    size_t got = 77, sent = 77;
    ps_pollitem it = pst_fd_item(0, PS_POLL_READ);
    cr_assert_eq(ps_item_read(NULL, b, sizeof b, &got), PS_EINVAL);
    cr_assert_eq(got, 0, "*got is zeroed on failure");
    cr_assert_eq(ps_item_read(&it, NULL, sizeof b, &got), PS_EINVAL);
    cr_assert_eq(ps_item_read(&it, b, sizeof b, NULL), PS_EINVAL);
    cr_assert_eq(ps_item_read(&it, b, 0, &got), PS_EINVAL);
    cr_assert_eq(ps_item_write(NULL, b, 1, &sent), PS_EINVAL);
    cr_assert_eq(sent, 0);
    cr_assert_eq(ps_item_write(&it, NULL, 1, &sent), PS_EINVAL);

    ps_pollitem bad = it;
    bad.kind = 7;
    cr_assert_eq(ps_item_read(&bad, b, sizeof b, &got), PS_EINVAL);
    cr_assert_eq(ps_item_write(&bad, b, 1, NULL), PS_EINVAL);
    bad = pst_fd_item(-1, PS_POLL_READ);
    cr_assert_eq(ps_item_read(&bad, b, sizeof b, &got), PS_EBADF);
    cr_assert_eq(ps_item_write(&bad, b, 1, NULL), PS_EBADF);
    bad = pst_sock_item(PS_INVALID_SOCKET, PS_POLL_READ);
    cr_assert_eq(ps_item_read(&bad, b, sizeof b, &got), PS_EBADF);
    cr_assert_eq(ps_item_write(&bad, b, 1, NULL), PS_EBADF);

    /* Handles are Windows': PS_ENOTSUP elsewhere, an invalid one PS_EBADF. */
    bad = pst_handle_item(NULL, PS_POLL_READ);
    int want = pst_is_windows() ? PS_EBADF : PS_ENOTSUP;
    cr_assert_eq(ps_item_read(&bad, b, sizeof b, &got), want);
    cr_assert_eq(ps_item_write(&bad, b, 1, NULL), want);
}

Test(item, socket_pair_and_end_of_stream)
{
    ps_socket_t sv[2];
    char b[16];
    size_t got = 0, sent = 0;
    pair(sv);
    ps_pollitem a = pst_sock_item(sv[0], 0), z = pst_sock_item(sv[1], 0);
    cr_assert_eq(ps_item_write(&a, "hello", 5, &sent), 0);
    cr_assert_eq(sent, 5);
    /* A small buffer takes part; the rest comes next. */
    cr_assert_eq(ps_item_read(&z, b, 3, &got), 0);
    cr_assert_eq(got, 3);
    cr_assert_eq(memcmp(b, "hel", 3), 0);
    cr_assert_eq(ps_item_read(&z, b, sizeof b, &got), 0);
    cr_assert_eq(got, 2);
    cr_assert_eq(memcmp(b, "lo", 2), 0);
    cr_assert_eq(ps_item_write(&z, "back", 4, NULL), 0);
    cr_assert_eq(ps_item_read(&a, b, sizeof b, &got), 0);
    cr_assert_eq(got, 4);

    /* The peer's close: 0 bytes, as ps_recv says end of stream. */
    cr_assert_eq(ps_close(sv[0]), 0);
    got = 99;
    cr_assert_eq(ps_item_read(&z, b, sizeof b, &got), 0);
    cr_assert_eq(got, 0);
    /* Writing to it fails as ps_send does, sooner or later. */
    int r = 0;
    for (int i = 0; i < 50 && r == 0; i++) {
        r = ps_item_write(&z, "x", 1, &sent);
        if (r == 0)
            pst_sleep_ms(10);
    }
    cr_assert(r == PS_EPIPE || r == PS_ECONNRESET || r == PS_ECONNABORTED,
              "write after the peer closed: %s", ps_errname(r));
    ps_close(sv[1]);
}

Test(item, pipe_fds_and_end_of_input)
{
    int fds[2];
    char b[16];
    size_t got = 0, sent = 0;
    cr_assert_eq(pst_pipe(fds), 0);
    ps_pollitem rd = pst_fd_item(fds[0], 0), wr = pst_fd_item(fds[1], 0);
    /* Bytes as they are: no text-mode translation on Windows. */
    cr_assert_eq(ps_item_write(&wr,
                               "a\nb\r\n\x1a"
                               "c",
                               7, &sent),
                 0);
    cr_assert_eq(sent, 7);
    cr_assert_eq(ps_item_read(&rd, b, 4, &got), 0);
    cr_assert_eq(got, 4);
    cr_assert_eq(memcmp(b, "a\nb\r", 4), 0);
    cr_assert_eq(ps_item_read(&rd, b, sizeof b, &got), 0);
    cr_assert_eq(got, 3);
    cr_assert_eq(memcmp(b,
                        "\n\x1a"
                        "c",
                        3),
                 0);
    /* The write end's direction is not readable, and the other way. */
    int r = ps_item_read(&wr, b, sizeof b, &got);
    cr_assert(r == PS_EBADF, "read of a write end: %s", ps_errname(r));
    cr_assert_eq(pst_fd_close(fds[1]), 0);
    got = 99;
    cr_assert_eq(ps_item_read(&rd, b, sizeof b, &got), 0);
    cr_assert_eq(got, 0, "the writer gone: end of input");
    cr_assert_eq(pst_fd_close(fds[0]), 0);
}

Test(item, pipe_reader_gone_is_epipe_without_a_signal)
{
    int fds[2];
    size_t sent = 77;
    cr_assert_eq(pst_pipe(fds), 0);
    cr_assert_eq(pst_fd_close(fds[0]), 0);
    ps_pollitem wr = pst_fd_item(fds[1], 0);
    /* On POSIX a SIGPIPE would end the test process here. */
    cr_assert_eq(ps_item_write(&wr, "x", 1, &sent), PS_EPIPE);
    cr_assert_eq(sent, 0);
    cr_assert_eq(ps_item_write(&wr, "x", 1, &sent), PS_EPIPE);
    cr_assert_eq(pst_fd_close(fds[1]), 0);
}

Test(item, regular_file)
{
    char path[256], b[64];
    size_t got = 0, sent = 0, total = 0;
    pst_temp_path(path, sizeof path, "item");
    int fd = pst_open_write(path);
    cr_assert(fd >= 0);
    ps_pollitem it = pst_fd_item(fd, 0);
    cr_assert_eq(ps_item_write(&it, "line one\nline two\n", 18, &sent), 0);
    cr_assert_eq(sent, 18);
    cr_assert_eq(ps_item_read(&it, b, sizeof b, &got), PS_EBADF,
                 "a file open for writing only");
    cr_assert_eq(pst_fd_close(fd), 0);

    fd = pst_open_read(path);
    cr_assert(fd >= 0);
    it = pst_fd_item(fd, 0);
    cr_assert_eq(ps_item_write(&it, "x", 1, &sent), PS_EBADF,
                 "a file open for reading only");
    /* The file position moves as with read(). */
    cr_assert_eq(ps_item_read(&it, b, 5, &got), 0);
    cr_assert_eq(got, 5);
    total += got;
    while (ps_item_read(&it, b + total, sizeof b - total, &got) == 0 && got > 0)
        total += got;
    cr_assert_eq(got, 0, "end of file: 0 bytes");
    cr_assert_eq(total, 18);
    cr_assert_eq(memcmp(b, "line one\nline two\n", 18), 0);
    cr_assert_eq(pst_fd_close(fd), 0);
    pst_remove(path);
}

Test(item, windows_handles)
{
    void *h[2];
    char b[16];
    size_t got = 0, sent = 0;
    if (!pst_is_windows()) {
        ps_pollitem it = pst_handle_item(&got, 0);
        cr_assert_eq(ps_item_read(&it, b, sizeof b, &got), PS_ENOTSUP);
        cr_assert_eq(ps_item_write(&it, b, 1, &sent), PS_ENOTSUP);
        return;
    }
    /* CreatePipe: read, write, end of input when the writer is gone. */
    cr_assert_eq(pst_os_pipe(h), 0);
    ps_pollitem rd = pst_handle_item(h[0], 0), wr = pst_handle_item(h[1], 0);
    cr_assert_eq(ps_item_write(&wr, "pipe\n", 5, &sent), 0);
    cr_assert_eq(sent, 5);
    cr_assert_eq(ps_item_read(&rd, b, sizeof b, &got), 0);
    cr_assert_eq(got, 5);
    cr_assert_eq(memcmp(b, "pipe\n", 5), 0);
    pst_close_handle(h[1]);
    got = 99;
    cr_assert_eq(ps_item_read(&rd, b, sizeof b, &got), 0, "broken pipe");
    cr_assert_eq(got, 0);
    pst_close_handle(h[0]);

    /* The reader gone: PS_EPIPE. */
    cr_assert_eq(pst_os_pipe(h), 0);
    pst_close_handle(h[0]);
    wr = pst_handle_item(h[1], 0);
    cr_assert_eq(ps_item_write(&wr, "x", 1, &sent), PS_EPIPE);
    pst_close_handle(h[1]);

    /* A full PIPE_NOWAIT pipe: PS_EWOULDBLOCK, not success with 0 sent
     * (a caller's write-all loop would spin). */
    cr_assert_eq(pst_os_pipe(h), 0);
    cr_assert_eq(pst_pipe_nowait(h[1]), 0);
    wr = pst_handle_item(h[1], 0);
    static char big[65536];
    int r = 0, rounds = 0;
    for (; rounds < 64; rounds++) {
        sent = 0;
        r = ps_item_write(&wr, big, sizeof big, &sent);
        if (r != 0)
            break;
        cr_assert(sent > 0, "success with nothing sent, round %d", rounds);
    }
    cr_assert_eq(r, PS_EWOULDBLOCK,
                 "a full non-blocking pipe: %s after %d writes", ps_errname(r),
                 rounds);
    pst_close_handle(h[0]);
    pst_close_handle(h[1]);

    /* A file through its handle. */
    char path[256];
    pst_temp_path(path, sizeof path, "itemh");
    cr_assert_eq(pst_write_file(path, "file", 4), 0);
    int fd = pst_open_read(path);
    cr_assert(fd >= 0);
    ps_pollitem fh = pst_handle_item(pst_fd_handle(fd), 0);
    cr_assert_eq(ps_item_read(&fh, b, sizeof b, &got), 0);
    cr_assert_eq(got, 4);
    cr_assert_eq(ps_item_read(&fh, b, sizeof b, &got), 0);
    cr_assert_eq(got, 0, "end of file");
    cr_assert_eq(pst_fd_close(fd), 0);
    pst_remove(path);
}

/* A blocking read end with data, its writer kept open: a read that
 * blocked would hang until the suite's timeout fails the test. */
static void check_no_block(int use_poller)
{
    int fds[2];
    char b[64];
    size_t got = 0;
    ps_socket_t sv[2];
    cr_assert_eq(pst_pipe(fds), 0);
    pair(sv);
    ps_pollitem items[2];
    items[0] = pst_fd_item(fds[0], PS_POLL_READ);
    items[1] = pst_sock_item(sv[1], PS_POLL_READ);
    ps_poller *p = NULL;
    if (use_poller) {
        cr_assert_eq(ps_poller_open(&p), 0);
        cr_assert_eq(ps_poller_add(p, &items[0], &items[0]), 0);
        cr_assert_eq(ps_poller_add(p, &items[1], &items[1]), 0);
    }
    for (int round = 0; round < 3; round++) {
        cr_assert_eq(pst_fd_write(fds[1], "data", 4), 4);
        cr_assert_eq(ps_send(sv[0], "sock", 4, NULL, 1000), 0);
        for (int want = 2; want > 0;) {
            ps_pollitem *ready[2];
            int n = 0;
            if (use_poller) {
                ps_event ev[2];
                n = ps_poller_wait(p, ev, 2, 5000);
                for (int i = 0; i < n; i++) {
                    cr_assert(ev[i].revents & PS_POLL_READ);
                    ready[i] = ev[i].data;
                }
            } else {
                n = ps_select(items, 2, 5000);
                int k = 0;
                for (int i = 0; i < 2; i++)
                    if (items[i].revents & PS_POLL_READ)
                        ready[k++] = &items[i];
                cr_assert_eq(k, n);
            }
            cr_assert(n > 0, "nothing reported: %d", n);
            for (int i = 0; i < n; i++) {
                int64_t t0 = pst_now_ms();
                cr_assert_eq(ps_item_read(ready[i], b, sizeof b, &got), 0);
                cr_assert_eq(got, 4);
                cr_assert(pst_now_ms() - t0 < pst_slack_ms(2000));
                want--;
            }
        }
        /* All read: nothing is ready now. */
        if (use_poller) {
            ps_event ev[2];
            cr_assert_eq(ps_poller_wait(p, ev, 2, 0), 0);
        } else {
            cr_assert_eq(ps_select(items, 2, 0), 0);
        }
    }
    ps_poller_close(p);
    ps_close(sv[0]);
    ps_close(sv[1]);
    pst_fd_close(fds[0]);
    pst_fd_close(fds[1]);
}

Test(item, read_after_select_does_not_block)
{
    check_no_block(0);
}

Test(item, read_after_poller_does_not_block)
{
    check_no_block(1);
}

/* A socket's item follows the socket's own mode; ps_recv / ps_send follow
 * their timeout. So on a non-blocking socket with nothing to move the item
 * gives PS_EWOULDBLOCK at once, where ps_recv(..., -1) and ps_send(..., -1)
 * wait until they can (portsock.h, ps_item_read and ps_recv). */
typedef struct late_peer {
    ps_socket_t s;
    size_t drain; /* bytes to read; 0: send one byte instead */
    int rc;
} late_peer;

static void late_peer_main(void *arg)
{
    late_peer *p = (late_peer *)arg;
    char buf[4096];
    size_t done = 0, n = 0;
    pst_sleep_ms(200);
    if (p->drain == 0) {
        p->rc = ps_send(p->s, "!", 1, NULL, 5000);
        return;
    }
    while (done < p->drain && p->rc == 0) {
        p->rc = ps_recv(p->s, buf, sizeof buf, &n, 5000);
        done += n;
        if (p->rc == 0 && n == 0)
            p->rc = PS_ECLOSED;
    }
}

Test(item, nonblocking_socket_item_does_not_wait_where_recv_send_do)
{
    ps_socket_t c, s;
    char b[16], chunk[4096];
    size_t got = 99, sent = 0, total = 0;
    int r = 0, i;
    late_peer peer = {0};
    pst_thread *t;
    int64_t t0;
    pst_tcp_pair(&c, &s);
    cr_assert_eq(ps_set_nonblocking(c, 1), 0);
    cr_assert_eq(ps_set_nonblocking(s, 1), 0);
    ps_pollitem ci = pst_sock_item(c, 0), si = pst_sock_item(s, 0);

    /* Nothing to read: the item says so at once, ps_recv(-1) waits. */
    cr_assert_eq(ps_item_read(&si, b, sizeof b, &got), PS_EWOULDBLOCK);
    cr_assert_eq(got, 0);
    peer.s = c;
    t = pst_thread_start(late_peer_main, &peer);
    cr_assert_not_null(t);
    t0 = pst_now_ms();
    r = ps_recv(s, b, sizeof b, &got, -1);
    cr_assert_eq(r, 0, "ps_recv(-1) -> %s", ps_errname(r));
    cr_assert_geq(pst_now_ms() - t0, 150, "ps_recv(-1) did not wait");
    pst_thread_join(t);
    cr_assert_eq(peer.rc, 0);
    cr_assert_eq(got, 1);

    /* No room to write: the item says so, ps_send(-1) waits for room. */
    cr_assert_eq(ps_set_buffer_sizes(c, 4096, 0), 0);
    cr_assert_eq(ps_set_buffer_sizes(s, 0, 4096), 0);
    memset(chunk, 'w', sizeof chunk);
    for (i = 0; i < 100000 && r == 0; i++) {
        sent = 0;
        r = ps_item_write(&ci, chunk, sizeof chunk, &sent);
        total += sent;
    }
    cr_assert_eq(r, PS_EWOULDBLOCK, "ps_item_write -> %s after %zu bytes",
                 ps_errname(r), total);
    peer.s = s;
    peer.drain = total + 1;
    peer.rc = 0;
    t = pst_thread_start(late_peer_main, &peer);
    cr_assert_not_null(t);
    t0 = pst_now_ms();
    r = ps_send(c, "x", 1, &sent, -1);
    cr_assert_eq(r, 0, "ps_send(-1) -> %s", ps_errname(r));
    cr_assert_geq(pst_now_ms() - t0, 150, "ps_send(-1) did not wait");
    cr_assert_eq(sent, 1);
    pst_thread_join(t);
    cr_assert_eq(peer.rc, 0, "the reader -> %s", ps_errname(peer.rc));
    ps_close(c);
    ps_close(s);
}
