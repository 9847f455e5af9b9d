/* SPDX-License-Identifier: MIT */
/* Echo server on libuv (a benchmark-only dependency): its TCP stream API,
 * the way libuv servers are written. Replies go out with uv_try_write, and
 * only what does not fit is queued with uv_write, so the common path makes
 * no allocation, like the other contenders.
 *
 * echo_libuv [PORT]   (0 or none: an ephemeral port). Prints "port N" on
 * stdout once it listens; runs until killed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#define BUF 4096

static uv_loop_t *loop;
static char rbuf[BUF]; /* one thread: every read lands here, then is echoed */

typedef struct pending {
    uv_write_t req;
    uv_buf_t buf;
    char data[];
} pending;

static _Noreturn void fail(const char *what, int r)
{
    fprintf(stderr, "echo_libuv: %s: %s\n", what, uv_strerror(r));
    exit(1);
}

static void on_close(uv_handle_t *h)
{
    free(h);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    (void)h;
    (void)hint;
    *buf = uv_buf_init(rbuf, BUF);
}

static void on_written(uv_write_t *req, int status)
{
    pending *p = (pending *)req;
    if (status < 0)
        uv_close((uv_handle_t *)req->handle, on_close);
    free(p);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    if (nread == 0)
        return;
    if (nread < 0) {
        uv_close((uv_handle_t *)s, on_close);
        return;
    }
    uv_buf_t out = uv_buf_init(buf->base, (unsigned)nread);
    int w = uv_try_write(s, &out, 1);
    if (w == nread)
        return;
    if (w < 0 && w != UV_EAGAIN) {
        uv_close((uv_handle_t *)s, on_close);
        return;
    }
    size_t done = w < 0 ? 0 : (size_t)w, left = (size_t)nread - done;
    pending *p = malloc(sizeof *p + left);
    if (!p)
        fail("malloc", UV_ENOMEM);
    memcpy(p->data, buf->base + done, left);
    p->buf = uv_buf_init(p->data, (unsigned)left);
    int r = uv_write(&p->req, s, &p->buf, 1, on_written);
    if (r != 0)
        fail("uv_write", r);
}

static void on_connection(uv_stream_t *server, int status)
{
    if (status < 0)
        return;
    uv_tcp_t *c = malloc(sizeof *c);
    if (!c)
        fail("malloc", UV_ENOMEM);
    uv_tcp_init(loop, c);
    if (uv_accept(server, (uv_stream_t *)c) != 0) {
        uv_close((uv_handle_t *)c, on_close);
        return;
    }
    uv_tcp_nodelay(c, 1);
    int r = uv_read_start((uv_stream_t *)c, on_alloc, on_read);
    if (r != 0)
        fail("uv_read_start", r);
}

int main(int argc, char **argv)
{
    uv_tcp_t server;
    struct sockaddr_in a;
    int namelen = sizeof a;
    int r;
    loop = uv_default_loop();
    uv_ip4_addr("127.0.0.1", argc > 1 ? atoi(argv[1]) : 0, &a);
    uv_tcp_init(loop, &server);
    if ((r = uv_tcp_bind(&server, (const struct sockaddr *)&a, 0)) != 0 ||
        (r = uv_listen((uv_stream_t *)&server, 4096, on_connection)) != 0 ||
        (r = uv_tcp_getsockname(&server, (struct sockaddr *)&a, &namelen)) != 0)
        fail("listen", r);
    printf("port %d\n", ntohs(a.sin_port));
    fflush(stdout);
    return uv_run(loop, UV_RUN_DEFAULT);
}
