/* SPDX-License-Identifier: MIT */
/* Hostile arguments to every public function of portsock.h: NULL pointers,
 * PS_INVALID_SOCKET and other values no socket has, closed sockets, pipes
 * and regular files given as sockets, SIZE_MAX lengths, INT_MAX / INT_MIN
 * timeouts (INT_MIN waits forever, INT_MAX about 24 days: used only where
 * the call must return at once), unknown kinds and event bits, ps_addr with
 * a garbage len and garbage bytes, over-long "unix:" paths and 100 KB host
 * and port text. Every result must be one the header documents for that
 * call (listed at each check), come within BOUND_MS where the call must
 * not wait, and never crash or hang; run natively under ASan+UBSan (asan
 * preset) and under Wine (mingw64 preset).
 *
 * Where platforms differ, each check says how and allows exactly that.
 * Each test prints how many calls it made and which functions and kinds
 * of argument they covered (PS_HOSTILE_LIST=1 lists the pairs).
 *
 * Only lies the contract can see are told: a buffer is always at least as
 * large as what the call may write into it (a SIZE_MAX capacity is given
 * where only a few bytes can arrive; Windows checks the whole claimed
 * buffer and refuses it); a length larger than its buffer is given only
 * where the call must refuse it before reading (ps_send_frame, ps_sendto:
 * PS_EMSGSIZE). Garbage addresses never have a family and length that
 * would connect or bind anywhere (no traffic leaves the host, no file is
 * created), and pipes and files given as sockets are checked to be
 * untouched afterwards. */
#include <criterion/criterion.h>

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portsock.h"
#include "select_support.h"
#include "support.h"

#include "rc_assert.h"

/* ---- The check ----------------------------------------------------------- */

/* A set of results: bit -code for PS_OK..PS_EUNKNOWN, and ANY_COUNT for
 * the non-negative counts ps_select and ps_poller_wait return. */
typedef uint32_t rcset;
#define R(code) ((rcset)1u << (unsigned)-(code))
#define ANY_COUNT ((rcset)1u << 31)

/* Calls that must not wait return within this (a generous bound: they
 * take microseconds; Wine's first socket calls take milliseconds). */
#define BOUND_MS 1000

/* The kind of hostile argument the checks that follow use. */
static const char *arg_kind = "?";
/* Where a loop runs the same checks over several bad sockets. */
static const char *subject = "";

/* Which (function, argument kind) pairs a test covered, for its summary. */
#define MAX_PAIRS 512
static struct pair {
    char fn[32];
    const char *kind;
} pairs[MAX_PAIRS];
static size_t npairs, ncalls;

static void note_pair(const char *expr)
{
    char fn[32];
    size_t n = strcspn(expr, "( ");
    if (n >= sizeof fn)
        n = sizeof fn - 1;
    memcpy(fn, expr, n);
    fn[n] = '\0';
    ncalls++;
    for (size_t i = 0; i < npairs; i++)
        if (strcmp(pairs[i].fn, fn) == 0 &&
            strcmp(pairs[i].kind, arg_kind) == 0)
            return;
    if (npairs < MAX_PAIRS) {
        memcpy(pairs[npairs].fn, fn, n + 1);
        pairs[npairs++].kind = arg_kind;
    }
}

static void start(void)
{
    npairs = ncalls = 0;
    arg_kind = "?";
    subject = "";
}

static void summary(const char *test)
{
    size_t nfn = 0;
    for (size_t i = 0; i < npairs; i++) {
        size_t j = 0;
        while (j < i && strcmp(pairs[j].fn, pairs[i].fn) != 0)
            j++;
        nfn += j == i;
    }
    fprintf(stderr,
            "hostile/%s: %zu calls, %zu functions, %zu function x "
            "argument-kind pairs\n",
            test, ncalls, nfn, npairs);
    if (getenv("PS_HOSTILE_LIST"))
        for (size_t i = 0; i < npairs; i++)
            fprintf(stderr, "  %s: %s\n", pairs[i].fn, pairs[i].kind);
}

static void check_result(const char *expr, int line, int rc, rcset allowed,
                         int64_t bound_ms, int64_t took_ms)
{
    int ok = rc >= 0 ? (rc == 0 ? (allowed & R(PS_OK)) != 0
                                : (allowed & ANY_COUNT) != 0)
                     : rc >= PS_EUNKNOWN && (allowed & R(rc)) != 0;
    note_pair(expr);
    cr_assert(ok,
              "line %d: %s%s%s [%s] -> %s (%d), native %d: not a result "
              "documented for this call",
              line, expr, *subject ? " on " : "", subject, arg_kind,
              ps_errname(rc), rc, ps_native_error());
    cr_assert(bound_ms <= 0 || took_ms < bound_ms,
              "line %d: %s%s%s [%s] took %lld ms (must not wait)", line, expr,
              *subject ? " on " : "", subject, arg_kind, (long long)took_ms);
}

/* HOSTILE(allowed, bound_ms, call): bound_ms 0 checks no time. */
#define HOSTILE(allowed, bound_ms, expr)                            \
    do {                                                            \
        int64_t h_t0_ = pst_now_ms();                               \
        int h_rc_ = (expr);                                         \
        check_result(#expr, __LINE__, h_rc_, (allowed), (bound_ms), \
                     pst_now_ms() - h_t0_);                         \
    } while (0)
/* The usual case: must fail (or succeed) at once. */
#define AT_ONCE(allowed, expr) HOSTILE(allowed, BOUND_MS, expr)

/* The test tells the system of more buffer than there is, on purpose, which
 * memcheck rightly reports; the ASan+UBSan leg runs it with every other. */
static void skip_under_memcheck(void)
{
    if (pst_under_memcheck())
        cr_skip_test("lies about buffer sizes on purpose: run by every leg "
                     "but valgrind's");
}

/* ---- Fixtures -------------------------------------------------------------- */

/* 100 KB of c, NUL-terminated, after an optional prefix. */
static char *big_text(const char *prefix, char c)
{
    size_t p = strlen(prefix), n = 100 * 1024;
    char *t = malloc(p + n + 1);
    cr_assert_not_null(t);
    memcpy(t, prefix, p);
    memset(t + p, c, n);
    t[p + n] = '\0';
    return t;
}

/* Values that are no open socket, each with the code Wine may give instead
 * of PS_EBADF (it answers calls on file and pipe handles with PS_ENOTSUP). */
typedef struct bad_sock {
    ps_socket_t s;
    const char *what;
    int alt;
    int open_fd; /* an open pipe or file (POSIX: an fd like any other) */
} bad_sock;

typedef struct bad_set {
    bad_sock b[8];
    size_t n;
    int fds[2];
    int file;
    char path[512];
} bad_set;

static void bad_add(bad_set *x, ps_socket_t s, const char *what, int alt,
                    int open_fd)
{
    x->b[x->n].s = s;
    x->b[x->n].what = what;
    x->b[x->n].alt = alt;
    x->b[x->n].open_fd = open_fd;
    x->n++;
}

static void bad_open(bad_set *x)
{
    ps_socket_t closed;
    int wine_alt = pst_under_wine() ? PS_ENOTSUP : PS_EBADF;
    memset(x, 0, sizeof *x);
    bad_add(x, PS_INVALID_SOCKET, "PS_INVALID_SOCKET", PS_EBADF, 0);
    bad_add(x, (ps_socket_t)-5, "-5", PS_EBADF, 0);
    bad_add(x, (ps_socket_t)INT_MIN, "INT_MIN", PS_EBADF, 0);
    /* A value far above any open descriptor or handle. */
    bad_add(x, (ps_socket_t)INT_MAX, "INT_MAX (never opened)", PS_EBADF, 0);
    cr_assert_eq(pst_pipe(x->fds), 0);
    bad_add(x, pst_fd_as_socket(x->fds[0]), "a pipe's read end", wine_alt, 1);
    bad_add(x, pst_fd_as_socket(x->fds[1]), "a pipe's write end", wine_alt, 1);
    pst_temp_path(x->path, sizeof x->path, "hostile");
    cr_assert_eq(pst_write_file(x->path, "abc", 3), 0);
    x->file = pst_open_read(x->path);
    cr_assert_geq(x->file, 0);
    bad_add(x, pst_fd_as_socket(x->file), "a regular file", wine_alt, 1);
    /* Closed last: no descriptor is opened after it, so its number stays
     * free. */
    OK(ps_socket(&closed, PS_AF_INET, PS_SOCK_STREAM));
    OK(ps_close(closed));
    bad_add(x, closed, "a closed socket", PS_EBADF, 0);
}

/* The pipe and the file were neither read, written nor closed. */
static void bad_close(bad_set *x)
{
    char buf[8];
    cr_assert_eq(pst_fd_write(x->fds[1], "z", 1), 1, "pipe write end harmed");
    cr_assert_eq(pst_fd_read(x->fds[0], buf, sizeof buf), 1,
                 "pipe read end harmed, or bytes appeared in the pipe");
    cr_assert_eq(buf[0], 'z');
    cr_assert_eq(pst_fd_read(x->file, buf, sizeof buf), 3, "file harmed");
    cr_assert_arr_eq(buf, "abc", 3);
    cr_assert_eq(pst_fd_close(x->fds[0]), 0);
    cr_assert_eq(pst_fd_close(x->fds[1]), 0);
    cr_assert_eq(pst_fd_close(x->file), 0);
    pst_remove(x->path);
}

/* Addresses with a garbage len and garbage bytes. fill: the byte pattern;
 * family bytes are never those of a real family unless the test sets them. */
static void garbage_addr(ps_addr *a, uint32_t len, unsigned char fill)
{
    memset(a, fill, sizeof *a);
    a->len = len;
    a->reserved_ = 0xDEADBEEFu;
}

static const uint32_t garbage_lens[] = {
    0, 1, 129, 130, 255, 256, 4096, 0x7FFFFFFFu, 0x80000000u, UINT32_MAX};
#define NLENS (sizeof garbage_lens / sizeof garbage_lens[0])
static const unsigned char garbage_fills[] = {0x00, 0xFF, 0xA5};
#define NFILLS (sizeof garbage_fills / sizeof garbage_fills[0])

/* A family number no system uses, in the first two bytes of storage (the
 * sa_family of Linux and Windows; macOS: sa_len then sa_family). */
static void unknown_family(ps_addr *a, uint32_t len)
{
    garbage_addr(a, len, 0x5A);
    a->storage.bytes[0] = 0xFE;
    a->storage.bytes[1] = 0xFE;
}

typedef struct world {
    ps_socket_t listener; /* TCP, 127.0.0.1 */
    ps_socket_t c, sv;    /* a connected TCP pair */
    ps_socket_t udp;      /* UDP bound to 127.0.0.1 */
    ps_addr udp_addr;
    ps_socket_t fresh; /* TCP, neither bound nor connected */
    char port[16];     /* the listener's */
} world;

static void world_open(world *w)
{
    ps_addr la;
    OK(ps_listen(&w->listener, "127.0.0.1", "0", 8));
    OK(ps_local_addr(w->listener, &la));
    snprintf(w->port, sizeof w->port, "%d", ps_addr_port(&la));
    OK(ps_connect(&w->c, "127.0.0.1", w->port, 5000));
    OK(ps_accept(w->listener, &w->sv, NULL, 5000));
    OK(ps_udp_open(&w->udp, "127.0.0.1", "0"));
    OK(ps_local_addr(w->udp, &w->udp_addr));
    OK(ps_socket(&w->fresh, PS_AF_INET, PS_SOCK_STREAM));
}

static void world_close(world *w)
{
    OK(ps_close(w->listener));
    OK(ps_close(w->c));
    OK(ps_close(w->sv));
    OK(ps_close(w->udp));
    OK(ps_close(w->fresh));
}

/* The connected pair still carries bytes both ways, unharmed. */
static void still_works(ps_socket_t a, ps_socket_t b)
{
    char buf[8];
    size_t got = 0;
    OK(ps_send_all(a, "ping", 4, NULL, 5000));
    OK(ps_recv_all(b, buf, 4, &got, 5000));
    cr_assert_arr_eq(buf, "ping", 4);
    OK(ps_send_all(b, "pong", 4, NULL, 5000));
    OK(ps_recv_all(a, buf, 4, &got, 5000));
    cr_assert_arr_eq(buf, "pong", 4);
}

#define EBADF_OR(alt) (R(PS_EBADF) | R(alt))

/* After a read with a capacity beyond its buffer: n bytes of want came.
 * Only Windows refuses such a read (n == 0); the bytes are read then.
 * qemu-user refuses a first buffer not all mapped and reads later ones as
 * empty (a short read: the rest is read then). */
static void read_rest(ps_socket_t s, size_t n, size_t want)
{
    char buf[16];
    if (n == want)
        return;
    cr_assert((pst_is_windows() && n == 0) || (pst_under_qemu() && n < want),
              "%zu of %zu bytes", n, want);
    want -= n;
    OK(ps_recv_all(s, buf, want, &n, 5000));
}

/* ---- Library, errors, clock ------------------------------------------------ */

Test(hostile, library_and_errors, .timeout = 60)
{
    skip_under_memcheck();
    start();
    static const int codes[] = {INT_MIN,     INT_MIN + 1, -1000,  -26,
                                PS_EUNKNOWN, PS_EINVAL,   0,      1,
                                26,          1000,        INT_MAX};
    arg_kind = "any int code";
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        const char *t = ps_strerror(codes[i]), *n = ps_errname(codes[i]);
        cr_assert(t != NULL && t[0] != '\0', "ps_strerror(%d)", codes[i]);
        cr_assert(n != NULL && n[0] != '\0', "ps_errname(%d)", codes[i]);
        note_pair("ps_strerror");
        note_pair("ps_errname");
    }
    for (int c = PS_EUNKNOWN; c <= 0; c++)
        cr_assert(strncmp(ps_errname(c), "PS_", 3) == 0, "code %d", c);

    arg_kind = "none";
    const char *v = ps_version();
    char want[32];
    snprintf(want, sizeof want, "%d.%d.%d", PS_VERSION_MAJOR, PS_VERSION_MINOR,
             PS_VERSION_PATCH);
    cr_assert_not_null(v);
    cr_assert_str_eq(v, want);
    note_pair("ps_version");
    int64_t t0 = ps_now_ms(), t1 = ps_now_ms();
    cr_assert_geq(t1, t0, "ps_now_ms went backwards");
    note_pair("ps_now_ms");
    (void)ps_native_error();
    note_pair("ps_native_error");

    /* ps_cleanup without ps_init, many times over: nothing happens, and
     * the library still works without any ps_init. */
    arg_kind = "unbalanced calls";
    for (int i = 0; i < 20; i++) {
        ps_cleanup();
        note_pair("ps_cleanup");
    }
    ps_socket_t a, b, pair[2];
    AT_ONCE(R(PS_OK), ps_socketpair(pair));
    still_works(pair[0], pair[1]);
    OK(ps_close(pair[0]));
    OK(ps_close(pair[1]));
    pst_tcp_pair(&a, &b);
    still_works(a, b);
    OK(ps_close(a));
    OK(ps_close(b));
    for (int i = 0; i < 3; i++)
        AT_ONCE(R(PS_OK), ps_init());
    for (int i = 0; i < 6; i++)
        ps_cleanup();
    pst_tcp_pair(&a, &b);
    still_works(a, b);
    OK(ps_close(a));
    OK(ps_close(b));
    summary("library_and_errors");
}

/* ---- Addresses ---------------------------------------------------------------- */

/* What ps_addr_format must do with any address: 0 and a NUL-terminated
 * text shorter than PS_ADDRSTRLEN, or PS_EINVAL and "". */
static void format_any(const ps_addr *a)
{
    char buf[PS_ADDRSTRLEN];
    memset(buf, 'x', sizeof buf);
    int rc = ps_addr_format(a, buf, sizeof buf);
    check_result("ps_addr_format(a, buf, sizeof buf)", __LINE__, rc,
                 R(PS_OK) | R(PS_EINVAL), 0, 0);
    cr_assert_lt(strnlen(buf, sizeof buf), sizeof buf, "not terminated");
    if (rc != 0)
        cr_assert_str_empty(buf);
    /* A capacity larger than the buffer: the contract says PS_ADDRSTRLEN
     * bytes are always enough, so no more may be written. */
    memset(buf, 'x', sizeof buf);
    rc = ps_addr_format(a, buf, SIZE_MAX);
    check_result("ps_addr_format(a, buf, SIZE_MAX)", __LINE__, rc,
                 R(PS_OK) | R(PS_EINVAL), 0, 0);
    cr_assert_lt(strnlen(buf, sizeof buf), sizeof buf, "not terminated");
    /* Every smaller buffer: PS_EINVAL and "" unless the text fits. */
    for (size_t cap = 1; cap < 8; cap++) {
        char small[8];
        memset(small, 'x', sizeof small);
        rc = ps_addr_format(a, small, cap);
        check_result("ps_addr_format(a, small, cap)", __LINE__, rc,
                     R(PS_OK) | R(PS_EINVAL), 0, 0);
        cr_assert_lt(strnlen(small, cap), cap, "not terminated in cap %zu",
                     cap);
        for (size_t i = cap; i < sizeof small; i++)
            cr_assert_eq(small[i], 'x', "written past cap %zu", cap);
    }
}

static void accessors_any(const ps_addr *a, int must_be_unspec)
{
    int f = ps_addr_family(a);
    note_pair("ps_addr_family");
    cr_assert(f == PS_AF_UNSPEC || f == PS_AF_INET || f == PS_AF_INET6 ||
                  f == PS_AF_UNIX,
              "ps_addr_family [%s] -> %d", arg_kind, f);
    if (must_be_unspec)
        cr_assert_eq(f, PS_AF_UNSPEC, "ps_addr_family [%s] len %u -> %d",
                     arg_kind, (unsigned)a->len, f);
    int p = ps_addr_port(a);
    note_pair("ps_addr_port");
    cr_assert(p == PS_EINVAL || (p >= 0 && p <= 65535),
              "ps_addr_port [%s] -> %d", arg_kind, p);
    if (f != PS_AF_INET && f != PS_AF_INET6)
        cr_assert_eq(p, PS_EINVAL, "a port for family %d", f);
    format_any(a);
}

Test(hostile, addresses, .timeout = 60)
{
    skip_under_memcheck();
    start();
    ps_addr a;
    char buf[PS_ADDRSTRLEN];

    arg_kind = "NULL pointer";
    cr_assert_eq(ps_addr_family(NULL), PS_AF_UNSPEC);
    note_pair("ps_addr_family");
    AT_ONCE(R(PS_EINVAL), ps_addr_port(NULL));
    strcpy(buf, "junk");
    AT_ONCE(R(PS_EINVAL), ps_addr_format(NULL, buf, sizeof buf));
    cr_assert_str_empty(buf);
    OK(ps_addr_parse(&a, "127.0.0.1:80"));
    AT_ONCE(R(PS_EINVAL), ps_addr_format(&a, NULL, 0));
    AT_ONCE(R(PS_EINVAL), ps_addr_format(&a, NULL, 64));
    AT_ONCE(R(PS_EINVAL), ps_addr_format(&a, buf, 0));
    AT_ONCE(R(PS_EINVAL), ps_addr_parse(NULL, "127.0.0.1:80"));
    AT_ONCE(R(PS_EINVAL), ps_addr_parse(&a, NULL));
    AT_ONCE(R(PS_EINVAL), ps_addr_parse(NULL, NULL));

    /* Garbage len (0, 1, past the storage) with garbage bytes: no
     * family, whatever the bytes say. */
    arg_kind = "garbage ps_addr.len";
    for (size_t i = 0; i < NLENS; i++) {
        for (size_t j = 0; j < NFILLS; j++) {
            garbage_addr(&a, garbage_lens[i], garbage_fills[j]);
            /* len 1 cannot hold a two-byte family (Linux, Windows). */
            accessors_any(&a, garbage_lens[i] == 0 || garbage_lens[i] > 128 ||
                                  (garbage_lens[i] == 1 && !pst_is_windows() &&
                                   ps_addr_family(&a) == PS_AF_UNSPEC));
        }
        /* A real address's bytes with a garbage length. */
        OK(ps_addr_parse(&a, "[::1]:443"));
        a.len = garbage_lens[i];
        accessors_any(&a, garbage_lens[i] == 0 || garbage_lens[i] > 128);
        OK(ps_addr_parse(&a, "10.1.2.3:7"));
        a.len = garbage_lens[i];
        accessors_any(&a, garbage_lens[i] == 0 || garbage_lens[i] > 128);
    }
    /* Every length 0..128 over garbage bytes, and over a real family whose
     * length is too short or too long for it. */
    arg_kind = "garbage ps_addr bytes";
    for (uint32_t len = 0; len <= 128; len++) {
        for (size_t j = 0; j < NFILLS; j++) {
            garbage_addr(&a, len, garbage_fills[j]);
            accessors_any(&a, len == 0);
        }
        unknown_family(&a, len);
        accessors_any(&a, 1);
        OK(ps_addr_parse(&a, "[fe80::1%1]:1"));
        memset(a.storage.bytes + 28, 0xEE, sizeof a.storage.bytes - 28);
        a.len = len;
        accessors_any(&a, 0);
        OK(ps_addr_parse(&a, "255.255.255.255:65535"));
        memset(a.storage.bytes + 16, 0xEE, sizeof a.storage.bytes - 16);
        a.len = len;
        accessors_any(&a, 0);
    }
    /* An AF_UNIX address full of non-NUL bytes (no terminator anywhere),
     * as a named and as an abstract (leading NUL) path, at every length
     * from the family alone to the whole storage. Made by ps_resolve,
     * which builds it without a socket (Wine has no AF_UNIX sockets). */
    arg_kind = "AF_UNIX ps_addr without NUL";
    ps_addr ua;
    OK(ps_resolve("unix:/tmp/x", NULL, PS_SOCK_STREAM, &ua, 1, NULL, 0));
    cr_assert_eq(ps_addr_family(&ua), PS_AF_UNIX);
    size_t off = 0;
    while (off + 6 < sizeof ua.storage.bytes &&
           memcmp(ua.storage.bytes + off, "/tmp/x", 6) != 0)
        off++;
    cr_assert_lt(off + 6, sizeof ua.storage.bytes,
                 "no path in the AF_UNIX address");
    for (uint32_t len = (uint32_t)off; len <= 128; len++) {
        a = ua;
        memset(a.storage.bytes + off, 'Q', sizeof a.storage.bytes - off);
        a.len = len;
        accessors_any(&a, 0);
        cr_assert_eq(ps_addr_family(&a), PS_AF_UNIX, "len %u", (unsigned)len);
        a.storage.bytes[off] = '\0';
        accessors_any(&a, 0);
        cr_assert_eq(ps_addr_family(&a), PS_AF_UNIX, "len %u", (unsigned)len);
    }

    /* 100 KB texts of every shape the grammar has. */
    arg_kind = "100 KB text";
    char *t;
    const char *prefixes[] = {"",           "[",      "[::1%",
                              "127.0.0.1:", "[::1]:", "1.2.3.4%",
                              "::",         "[::1]",  "127.0.0.1:80"};
    const char fills[] = {'1', 'a', ':', ']', '%', '[', '.', (char)0xFF};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        for (size_t j = 0; j < sizeof fills; j++) {
            t = big_text(prefixes[i], fills[j]);
            AT_ONCE(R(PS_EINVAL), ps_addr_parse(&a, t));
            free(t);
        }
    }
    /* A 100 KB zone, and 100 KB after a valid address. */
    t = big_text("[fe80::1%", 'z');
    strcpy(t + strlen(t) - 4, "]:80");
    AT_ONCE(R(PS_EINVAL), ps_addr_parse(&a, t));
    free(t);
    t = big_text("[fe80::1%", '7');
    strcpy(t + strlen(t) - 4, "]:80");
    AT_ONCE(R(PS_EINVAL), ps_addr_parse(&a, t));
    free(t);
    t = big_text("127.0.0.1:", '0');
    strcpy(t + strlen(t) - 2, "80");
    /* Leading zeros are read by value, however many: port 80. */
    AT_ONCE(R(0), ps_addr_parse(&a, t));
    cr_assert_eq(ps_addr_port(&a), 80);
    free(t);
    t = big_text("127.0.0.1:", '0');
    strcpy(t + strlen(t) - 5, "65536");
    AT_ONCE(R(PS_EINVAL), ps_addr_parse(&a, t));
    free(t);
    summary("addresses");
}

/* ---- Sockets: construction ---------------------------------------------------- */

Test(hostile, socket_construction, .timeout = 60)
{
    skip_under_memcheck();
    start();
    ps_socket_t s = 12345;
    static const int bad_ints[] = {-1, 3, 5, 7, 100, INT_MAX, INT_MIN};

    arg_kind = "NULL pointer";
    AT_ONCE(R(PS_EINVAL), ps_socket(NULL, PS_AF_INET, PS_SOCK_STREAM));
    AT_ONCE(R(PS_EINVAL), ps_socketpair(NULL));
    AT_ONCE(R(PS_EINVAL), ps_connect(NULL, "127.0.0.1", "80", 0));
    AT_ONCE(R(PS_EINVAL), ps_connect(&s, NULL, "80", INT_MIN));
    cr_assert_eq(s, PS_INVALID_SOCKET, "*out not set on failure");
    AT_ONCE(R(PS_EINVAL), ps_connect(&s, "127.0.0.1", NULL, INT_MIN));
    AT_ONCE(R(PS_EINVAL), ps_connect(&s, NULL, NULL, INT_MAX));
    AT_ONCE(R(PS_EINVAL), ps_listen(NULL, NULL, "0", 0));
    AT_ONCE(R(PS_EINVAL), ps_listen(&s, NULL, NULL, 0));
    AT_ONCE(R(PS_EINVAL), ps_listen(&s, "127.0.0.1", NULL, 0));
    AT_ONCE(R(PS_EINVAL), ps_udp_open(NULL, NULL, NULL));
    AT_ONCE(R(PS_EINVAL), ps_udp_open(NULL, "127.0.0.1", "0"));
    AT_ONCE(R(PS_EINVAL),
            ps_resolve(NULL, NULL, PS_SOCK_STREAM, NULL, 0, NULL, INT_MIN));
    AT_ONCE(R(PS_EINVAL),
            ps_resolve("127.0.0.1", NULL, PS_SOCK_STREAM, NULL, 0, NULL, 0));
    AT_ONCE(R(PS_EINVAL),
            ps_resolve("127.0.0.1", "80", PS_SOCK_STREAM, NULL, 1, NULL, 0));
    AT_ONCE(R(PS_EINVAL), ps_resolve("127.0.0.1", "80", PS_SOCK_STREAM, NULL,
                                     SIZE_MAX, NULL, 0));
    /* NULL out with cap 0 and NULL count: a lookup whose result is thrown
     * away, which is allowed. */
    AT_ONCE(R(PS_OK), ps_resolve("127.0.0.1", "80", PS_SOCK_STREAM, NULL, 0,
                                 NULL, INT_MIN));

    arg_kind = "unknown family / type / how";
    for (size_t i = 0; i < sizeof bad_ints / sizeof bad_ints[0]; i++) {
        int v = bad_ints[i];
        if (v != PS_AF_INET && v != PS_AF_INET6 && v != PS_AF_UNIX)
            AT_ONCE(R(PS_EINVAL), ps_socket(&s, v, PS_SOCK_STREAM));
        AT_ONCE(R(PS_EINVAL), ps_socket(&s, PS_AF_INET, v));
        AT_ONCE(R(PS_EINVAL),
                ps_resolve("127.0.0.1", "80", v, NULL, 0, NULL, 0));
    }
    AT_ONCE(R(PS_EINVAL), ps_socket(&s, PS_AF_UNSPEC, PS_SOCK_STREAM));
    AT_ONCE(R(PS_EINVAL), ps_socket(&s, PS_AF_INET, 0));

    /* Port text: every malformed form, and 100 KB of digits or letters,
     * with and without a host, under timeouts that must not matter. */
    arg_kind = "bad port text";
    static const char *bad_ports[] = {
        "",      " 80",        "80 ",  "+80", "-1",  "0x50", "65536",
        "99999", "4294967376", "8\t0", "1e3", "80:", "\xff"};
    static const int tmo[] = {0, INT_MAX, INT_MIN};
    for (size_t i = 0; i < sizeof bad_ports / sizeof bad_ports[0]; i++) {
        for (size_t k = 0; k < 3; k++) {
            AT_ONCE(R(PS_EINVAL),
                    ps_connect(&s, "127.0.0.1", bad_ports[i], tmo[k]));
            AT_ONCE(R(PS_EINVAL),
                    ps_connect(&s, "localhost", bad_ports[i], tmo[k]));
            AT_ONCE(R(PS_EINVAL),
                    ps_resolve("127.0.0.1", bad_ports[i], PS_SOCK_DGRAM, NULL,
                               0, NULL, tmo[k]));
            AT_ONCE(R(PS_EINVAL), ps_resolve(NULL, bad_ports[i], PS_SOCK_STREAM,
                                             NULL, 0, NULL, tmo[k]));
        }
        AT_ONCE(R(PS_EINVAL), ps_listen(&s, NULL, bad_ports[i], 0));
        AT_ONCE(R(PS_EINVAL), ps_listen(&s, "127.0.0.1", bad_ports[i], 0));
        AT_ONCE(R(PS_EINVAL), ps_udp_open(&s, NULL, bad_ports[i]));
        AT_ONCE(R(PS_EINVAL), ps_udp_open(&s, "127.0.0.1", bad_ports[i]));
    }
    arg_kind = "100 KB port";
    char *digits = big_text("", '9'), *letters = big_text("", 'q');
    for (size_t k = 0; k < 3; k++) {
        AT_ONCE(R(PS_EINVAL), ps_connect(&s, "127.0.0.1", digits, tmo[k]));
        AT_ONCE(R(PS_EINVAL), ps_resolve("::1", digits, PS_SOCK_STREAM, NULL, 0,
                                         NULL, tmo[k]));
        /* A service name no resolver knows: bad port text, at once with
         * a numeric host (also with timeout 0, which allows no lookup of
         * a name). */
        AT_ONCE(R(PS_EINVAL), ps_connect(&s, "127.0.0.1", letters,
                                         tmo[k] == 0 ? 1000 : tmo[k]));
        AT_ONCE(R(PS_EINVAL), ps_resolve("127.0.0.1", letters, PS_SOCK_STREAM,
                                         NULL, 0, NULL, tmo[k]));
        AT_ONCE(R(PS_EINVAL), ps_resolve("::1", "nosuchservice", PS_SOCK_DGRAM,
                                         NULL, 0, NULL, tmo[k]));
    }
    AT_ONCE(R(PS_EINVAL), ps_listen(&s, NULL, digits, INT_MAX));
    AT_ONCE(R(PS_EINVAL), ps_udp_open(&s, NULL, digits));
    AT_ONCE(R(PS_EINVAL), ps_udp_open(&s, "127.0.0.1", digits));
    AT_ONCE(R(PS_EINVAL), ps_listen(&s, NULL, letters, INT_MIN));
    AT_ONCE(R(PS_EINVAL), ps_udp_open(&s, NULL, letters));
    AT_ONCE(R(PS_EINVAL), ps_udp_open(&s, "127.0.0.1", letters));
    free(digits);
    free(letters);

    /* A 100 KB host is no name any resolver has: PS_ENAME, at once, or
     * with a timeout of 0, which allows no lookup of a name, PS_ETIMEDOUT
     * from ps_connect and PS_EWOULDBLOCK from ps_resolve (a slow lookup
     * on the helper thread may also run out of its 2 s). */
    arg_kind = "100 KB host";
    const char hosts[] = {'a', '1', '.', '-', ':', '%', '['};
    for (size_t i = 0; i < sizeof hosts; i++) {
        char *h = big_text("", hosts[i]);
        subject = (const char[]){hosts[i], '\0'};
        HOSTILE(R(PS_ENAME) | R(PS_ETIMEDOUT), 5000,
                ps_connect(&s, h, "80", 2000));
        HOSTILE(R(PS_ENAME), 5000, ps_connect(&s, h, "80", INT_MIN));
        AT_ONCE(R(PS_ETIMEDOUT), ps_connect(&s, h, "80", 0));
        HOSTILE(R(PS_ENAME) | R(PS_ETIMEDOUT), 5000,
                ps_resolve(h, "80", PS_SOCK_STREAM, NULL, 0, NULL, 2000));
        HOSTILE(R(PS_ENAME), 5000,
                ps_resolve(h, "80", PS_SOCK_DGRAM, NULL, 0, NULL, INT_MIN));
        AT_ONCE(R(PS_EWOULDBLOCK),
                ps_resolve(h, "80", PS_SOCK_STREAM, NULL, 0, NULL, 0));
        HOSTILE(R(PS_ENAME), 5000, ps_listen(&s, h, "0", 0));
        HOSTILE(R(PS_ENAME), 5000, ps_udp_open(&s, h, "0"));
        free(h);
    }
    subject = "";

    /* "unix:" paths: empty, one byte too long for sun_path (108 on Linux,
     * 104 on macOS; Windows' AF_UNIX 108) and 100 KB: PS_EINVAL whatever
     * the port (it is not used) and timeout. Wine has no AF_UNIX. */
    arg_kind = "over-long unix: path";
    char longpath[200];
    memset(longpath, 'p', sizeof longpath);
    memcpy(longpath, "unix:/tmp/", 10);
    longpath[5 + 108] = '\0';
    char *huge = big_text("unix:/tmp/", 'u');
    const char *upaths[] = {"unix:", longpath, huge};
    for (size_t i = 0; i < 3; i++) {
        for (size_t k = 0; k < 3; k++)
            AT_ONCE(R(PS_EINVAL), ps_connect(&s, upaths[i], NULL, tmo[k]));
        AT_ONCE(R(PS_EINVAL), ps_connect(&s, upaths[i], "junk port", INT_MIN));
        AT_ONCE(R(PS_EINVAL), ps_listen(&s, upaths[i], NULL, 0));
        AT_ONCE(R(PS_EINVAL), ps_listen(&s, upaths[i], "99999", INT_MAX));
        AT_ONCE(R(PS_EINVAL), ps_udp_open(&s, upaths[i], NULL));
        AT_ONCE(R(PS_EINVAL), ps_resolve(upaths[i], NULL, PS_SOCK_STREAM, NULL,
                                         0, NULL, INT_MIN));
    }
    free(huge);
    /* The longest path that fits, where nothing is: refused (no file), or
     * no AF_UNIX at all. */
    longpath[5 + 100] = '\0';
    arg_kind = "longest unix: path, nothing there";
    AT_ONCE(R(PS_ECONNREFUSED) | R(PS_EAFNOSUPPORT),
            ps_connect(&s, longpath, NULL, INT_MIN));

    /* Backlogs the system must clamp, and a listener that works after. */
    arg_kind = "INT_MAX / INT_MIN backlog";
    static const int backlogs[] = {INT_MAX, INT_MIN, -1, 0};
    for (size_t i = 0; i < 4; i++) {
        ps_socket_t l, c, a;
        ps_addr la;
        char port[16];
        AT_ONCE(R(PS_OK), ps_listen(&l, "127.0.0.1", "0", backlogs[i]));
        OK(ps_local_addr(l, &la));
        snprintf(port, sizeof port, "%d", ps_addr_port(&la));
        OK(ps_connect(&c, "127.0.0.1", port, 5000));
        OK(ps_accept(l, &a, NULL, 5000));
        still_works(c, a);
        OK(ps_close(a));
        OK(ps_close(c));
        OK(ps_close(l));
    }

    /* Nothing listens on a port held by a socket that is bound, not
     * listening: refused, at once, whatever the timeout (Windows
     * retries a refused connect for about 2 s first). */
    arg_kind = "INT_MAX / INT_MIN timeout, refused";
    int rport;
    ps_socket_t holder = pst_refusing_port(&rport);
    cr_assert_neq(holder, PS_INVALID_SOCKET);
    char rp[16];
    snprintf(rp, sizeof rp, "%d", rport);
    int64_t refused_bound = pst_is_windows() && !pst_under_wine() ? 5000
                                                                  : BOUND_MS;
    HOSTILE(R(PS_ECONNREFUSED), refused_bound,
            ps_connect(&s, "127.0.0.1", rp, INT_MAX));
    HOSTILE(R(PS_ECONNREFUSED), refused_bound,
            ps_connect(&s, "127.0.0.1", rp, INT_MIN));
    OK(ps_close(holder));
    summary("socket_construction");
}

/* ---- Sockets: every call on values that are no socket -------------------- */

/* Every call that takes a socket, with timeouts INT_MAX and INT_MIN (both
 * must not matter: the value is refused first), SIZE_MAX lengths and NULL
 * out-parameters where allowed. */
static void calls_on_bad(const bad_sock *b)
{
    char buf[64];
    size_t n;
    ps_addr a, to;
    ps_socket_t out;
    rcset bad = EBADF_OR(b->alt);
    /* With another argument bad too, either error may win. */
    rcset bad2 = bad | R(PS_EINVAL);
    ps_iovec ov[2] = {{"ab", 2}, {"cd", 2}};
    ps_recv_iovec iv[1] = {{buf, sizeof buf}};
    static const int tmo[] = {INT_MAX, INT_MIN, 0, 1000};

    subject = b->what;
    OK(ps_addr_parse(&to, "127.0.0.1:9"));
    arg_kind = "no socket";
    AT_ONCE(bad, ps_shutdown(b->s, PS_SHUT_RDWR));
    AT_ONCE(bad, ps_set_nonblocking(b->s, 1));
    AT_ONCE(bad, ps_set_nodelay(b->s, 0));
    AT_ONCE(bad, ps_set_keepalive(b->s, 1));
    AT_ONCE(bad, ps_set_buffer_sizes(b->s, 0, 0));
    AT_ONCE(bad, ps_set_buffer_sizes(b->s, 4096, 0));
    AT_ONCE(bad, ps_socket_error(b->s));
    AT_ONCE(bad, ps_local_addr(b->s, &a));
    AT_ONCE(bad, ps_peer_addr(b->s, &a));
    AT_ONCE(bad, ps_bind(b->s, &to));
    AT_ONCE(bad, ps_connect_start(b->s, &to));
    for (size_t k = 0; k < 4; k++) {
        arg_kind = tmo[k] == INT_MAX   ? "no socket, INT_MAX timeout"
                   : tmo[k] == INT_MIN ? "no socket, INT_MIN timeout"
                                       : "no socket";
        AT_ONCE(bad, ps_accept(b->s, &out, &a, tmo[k]));
        AT_ONCE(bad, ps_accept(b->s, &out, NULL, tmo[k]));
        AT_ONCE(bad, ps_sendto(b->s, "x", 1, &to, tmo[k]));
        AT_ONCE(bad, ps_sendto(b->s, "x", 1, NULL, tmo[k]));
        AT_ONCE(bad, ps_recvfrom(b->s, buf, sizeof buf, &n, &a, tmo[k]));
        AT_ONCE(bad, ps_recvfrom(b->s, buf, sizeof buf, NULL, NULL, tmo[k]));
        AT_ONCE(bad, ps_send(b->s, "x", 1, &n, tmo[k]));
        AT_ONCE(bad, ps_send(b->s, "", 0, NULL, tmo[k]));
        AT_ONCE(bad, ps_recv(b->s, buf, sizeof buf, &n, tmo[k]));
        AT_ONCE(bad, ps_send_all(b->s, "xy", 2, NULL, tmo[k]));
        AT_ONCE(bad, ps_send_all(b->s, NULL, 0, &n, tmo[k]));
        AT_ONCE(bad, ps_recv_all(b->s, buf, sizeof buf, NULL, tmo[k]));
        AT_ONCE(bad, ps_recv_all(b->s, NULL, 0, &n, tmo[k]));
        AT_ONCE(bad, ps_sendv(b->s, ov, 2, &n, tmo[k]));
        AT_ONCE(bad, ps_sendv(b->s, NULL, 0, NULL, tmo[k]));
        AT_ONCE(bad, ps_sendv_all(b->s, ov, 2, NULL, tmo[k]));
        AT_ONCE(bad, ps_recvv(b->s, iv, 1, &n, tmo[k]));
        AT_ONCE(bad, ps_send_frame(b->s, "x", 1, tmo[k]));
        AT_ONCE(bad, ps_send_frame(b->s, NULL, 0, tmo[k]));
        AT_ONCE(bad, ps_recv_frame(b->s, buf, sizeof buf, &n, tmo[k]));
        AT_ONCE(bad, ps_recv_frame(b->s, NULL, 0, &n, tmo[k]));
    }
    /* A SIZE_MAX length into a real buffer: the socket is refused before
     * the length could matter (or the length, before the socket). */
    arg_kind = "no socket, SIZE_MAX length";
    AT_ONCE(bad2 | R(PS_EMSGSIZE),
            ps_sendto(b->s, buf, SIZE_MAX, &to, INT_MIN));
    AT_ONCE(bad2, ps_recvfrom(b->s, buf, SIZE_MAX, &n, NULL, INT_MIN));
    AT_ONCE(bad2, ps_recv(b->s, buf, SIZE_MAX, &n, INT_MAX));
    AT_ONCE(bad2, ps_recv_all(b->s, buf, SIZE_MAX, &n, INT_MIN));
    AT_ONCE(bad2, ps_recv_frame(b->s, buf, SIZE_MAX, &n, INT_MIN));
    AT_ONCE(bad2 | R(PS_EMSGSIZE), ps_send_frame(b->s, buf, SIZE_MAX, INT_MIN));
    /* NULL where a pointer is needed, on a bad socket: either error. */
    arg_kind = "no socket, NULL pointer";
    AT_ONCE(bad2, ps_accept(b->s, NULL, NULL, INT_MIN));
    AT_ONCE(bad2, ps_local_addr(b->s, NULL));
    AT_ONCE(bad2, ps_peer_addr(b->s, NULL));
    AT_ONCE(bad2, ps_bind(b->s, NULL));
    AT_ONCE(bad2, ps_connect_start(b->s, NULL));
    AT_ONCE(bad2, ps_send(b->s, NULL, 1, NULL, INT_MIN));
    AT_ONCE(bad2, ps_recv(b->s, NULL, 1, NULL, INT_MIN));
    AT_ONCE(bad2, ps_recv(b->s, buf, 0, NULL, INT_MIN));
    AT_ONCE(bad2, ps_sendv(b->s, NULL, 1, NULL, INT_MIN));
    AT_ONCE(bad2, ps_recvv(b->s, NULL, 1, NULL, INT_MIN));
    AT_ONCE(bad2, ps_recv_frame(b->s, buf, sizeof buf, NULL, INT_MIN));
    arg_kind = "no socket, bad int argument";
    AT_ONCE(bad2, ps_shutdown(b->s, 9));
    AT_ONCE(bad2, ps_set_nonblocking(b->s, 2));
    AT_ONCE(bad2, ps_set_buffer_sizes(b->s, -1, INT_MIN));
    arg_kind = "no socket";
    AT_ONCE(bad, ps_close(b->s));
    subject = "";
}

Test(hostile, calls_on_values_that_are_no_socket, .timeout = 120)
{
    skip_under_memcheck();
    start();
    bad_set x;
    bad_open(&x);
    for (size_t i = 0; i < x.n; i++)
        calls_on_bad(&x.b[i]);
    bad_close(&x);
    summary("calls_on_values_that_are_no_socket");
}

/* ---- Sockets: hostile arguments on good sockets ---------------------------- */

Test(hostile, data_calls_on_good_sockets, .timeout = 120)
{
    skip_under_memcheck();
    start();
    world w;
    char buf[64];
    size_t n;
    ps_addr a;
    ps_socket_t out;

    world_open(&w);

    arg_kind = "NULL pointer";
    AT_ONCE(R(PS_EINVAL), ps_send(w.c, NULL, 1, &n, INT_MIN));
    AT_ONCE(R(PS_EINVAL), ps_send(w.c, NULL, SIZE_MAX, &n, INT_MIN));
    AT_ONCE(R(PS_EINVAL), ps_send_all(w.c, NULL, 5, NULL, INT_MIN));
    AT_ONCE(R(PS_EINVAL), ps_recv(w.sv, NULL, 5, &n, INT_MIN));
    AT_ONCE(R(PS_EINVAL), ps_recv(w.sv, NULL, SIZE_MAX, &n, INT_MIN));
    AT_ONCE(R(PS_EINVAL), ps_recv_all(w.sv, NULL, 5, &n, INT_MIN));
    AT_ONCE(R(PS_EINVAL), ps_sendv(w.c, NULL, 1, &n, INT_MIN));
    AT_ONCE(R(PS_EINVAL), ps_sendv(w.c, NULL, SIZE_MAX, &n, INT_MIN));
    AT_ONCE(R(PS_EINVAL), ps_sendv_all(w.c, NULL, 3, &n, INT_MIN));
    AT_ONCE(R(PS_EINVAL), ps_recvv(w.sv, NULL, 1, &n, INT_MIN));
    AT_ONCE(R(PS_EINVAL), ps_recvv(w.sv, NULL, 0, &n, INT_MIN));
    AT_ONCE(R(PS_EINVAL), ps_send_frame(w.c, NULL, 3, INT_MIN));
    AT_ONCE(R(PS_EINVAL), ps_recv_frame(w.sv, NULL, 3, &n, INT_MIN));
    AT_ONCE(R(PS_EINVAL), ps_recv_frame(w.sv, buf, sizeof buf, NULL, INT_MIN));
    AT_ONCE(R(PS_EINVAL), ps_sendto(w.udp, NULL, 1, &w.udp_addr, INT_MIN));
    AT_ONCE(R(PS_EINVAL), ps_recvfrom(w.udp, NULL, 1, &n, NULL, INT_MIN));
    AT_ONCE(R(PS_EINVAL), ps_accept(w.listener, NULL, NULL, INT_MIN));
    AT_ONCE(R(PS_EINVAL), ps_local_addr(w.c, NULL));
    AT_ONCE(R(PS_EINVAL), ps_peer_addr(w.c, NULL));
    AT_ONCE(R(PS_EINVAL), ps_bind(w.fresh, NULL));
    AT_ONCE(R(PS_EINVAL), ps_connect_start(w.fresh, NULL));
    /* Buffers that are NULL but empty are allowed; an iovec entry that is
     * NULL with a length is not. */
    ps_iovec nullv[2] = {{NULL, 0}, {NULL, 4}};
    ps_recv_iovec nullr[2] = {{NULL, 0}, {NULL, 4}};
    AT_ONCE(R(PS_EINVAL), ps_sendv(w.c, nullv, 2, &n, INT_MIN));
    AT_ONCE(R(PS_EINVAL), ps_sendv_all(w.c, nullv, 2, &n, INT_MIN));
    AT_ONCE(R(PS_EINVAL), ps_recvv(w.sv, nullr, 2, &n, INT_MIN));
    AT_ONCE(R(PS_EINVAL),
            ps_recvv(w.sv, nullr, 1, &n, INT_MIN)); /* capacity 0 */
    AT_ONCE(R(PS_OK),
            ps_sendv(w.c, nullv, 1, &n, INT_MIN)); /* nothing to send */
    AT_ONCE(R(PS_OK),
            ps_recv_all(w.sv, NULL, 0, &n, INT_MIN)); /* nothing to wait for */
    AT_ONCE(R(PS_EINVAL),
            ps_recv(w.sv, buf, 0, &n, INT_MIN)); /* 0 reads as end of stream */

    /* Totals that do not fit size_t. */
    arg_kind = "SIZE_MAX length";
    ps_iovec huge[2] = {{buf, SIZE_MAX}, {buf, 1}};
    ps_recv_iovec rhuge[2] = {{buf, SIZE_MAX}, {buf, 2}};
    AT_ONCE(R(PS_EINVAL), ps_sendv(w.c, huge, 2, &n, INT_MIN));
    AT_ONCE(R(PS_EINVAL), ps_sendv_all(w.c, huge, 2, &n, INT_MIN));
    AT_ONCE(R(PS_EINVAL), ps_recvv(w.sv, rhuge, 2, &n, INT_MIN));
    /* A frame longer than its 4-byte length can say: PS_EMSGSIZE, nothing
     * sent (only where size_t is wider than 32 bits). */
    if (sizeof(size_t) > 4) {
        AT_ONCE(R(PS_EMSGSIZE), ps_send_frame(w.c, buf, SIZE_MAX, INT_MIN));
        AT_ONCE(R(PS_EMSGSIZE),
                ps_send_frame(w.c, buf, (size_t)UINT32_MAX + 1, INT_MAX));
    }
    /* A datagram longer than any: PS_EMSGSIZE, before the buffer is read. */
    AT_ONCE(R(PS_EMSGSIZE),
            ps_sendto(w.udp, buf, SIZE_MAX, &w.udp_addr, INT_MIN));
    AT_ONCE(R(PS_EMSGSIZE),
            ps_sendto(w.udp, buf, (size_t)INT_MAX + 1, &w.udp_addr, INT_MAX));
    /* Capacities beyond the buffer where only a few bytes can arrive, and
     * timeouts that must not matter because they do. */
    arg_kind = "SIZE_MAX capacity, INT_MAX / INT_MIN timeout";
    /* On the heap: Linux checks the claimed range (up to 2 GiB a call)
     * against the address space, and a stack near its top would fail it.
     * Windows checks the whole claimed buffer (WSAEFAULT: PS_EINVAL) and
     * moves nothing; the bytes are then read as usual. So does qemu-user,
     * which checks that the whole claimed range is mapped (EFAULT). */
    char *hb = malloc(64);
    cr_assert_not_null(hb);
    rcset over = R(PS_OK) |
                 (pst_is_windows() || pst_under_qemu() ? R(PS_EINVAL) : 0);
    OK(ps_send_all(w.c, "hello", 5, NULL, 5000));
    AT_ONCE(R(PS_OK), ps_recv_all(w.sv, buf, 5, &n, INT_MAX));
    OK(ps_send_all(w.c, "hello", 5, NULL, 5000));
    pst_sleep_ms(50);
    AT_ONCE(over, ps_recv(w.sv, hb, SIZE_MAX, &n, INT_MAX));
    read_rest(w.sv, n, 5);
    OK(ps_send_all(w.c, "hello", 5, NULL, 5000));
    pst_sleep_ms(50);
    ps_recv_iovec big1[2] = {{hb, 2}, {hb + 2, SIZE_MAX - 2}};
    AT_ONCE(over, ps_recvv(w.sv, big1, 2, &n, INT_MIN));
    read_rest(w.sv, n, 5);
    OK(ps_send_frame(w.c, "frame", 5, 5000));
    AT_ONCE(R(PS_OK), ps_recv_frame(w.sv, hb, SIZE_MAX, &n, INT_MIN));
    cr_assert_eq(n, 5u);
    cr_assert_arr_eq(hb, "frame", 5);
    /* An empty frame with no buffer at all. */
    OK(ps_send_frame(w.c, NULL, 0, 5000));
    AT_ONCE(R(PS_OK), ps_recv_frame(w.sv, NULL, 0, &n, INT_MAX));
    cr_assert_eq(n, 0u);
    /* Datagrams: a capacity beyond the buffer, and none at all. */
    OK(ps_sendto(w.udp, "dgram", 5, &w.udp_addr, 5000));
    AT_ONCE(over, ps_recvfrom(w.udp, hb, SIZE_MAX, &n, &a, INT_MAX));
    if (n != 5) {
        cr_assert((pst_is_windows() || pst_under_qemu()) && n == 0, "%zu bytes",
                  n);
        OK(ps_recvfrom(w.udp, buf, sizeof buf, &n, &a, 5000));
    }
    OK(ps_sendto(w.udp, "dgram", 5, &w.udp_addr, 5000));
    AT_ONCE(R(PS_EMSGSIZE), ps_recvfrom(w.udp, NULL, 0, &n, NULL, INT_MIN));
    cr_assert_eq(n, 0u);
    /* Nothing was sent by the refused calls: the stream is in step. */
    still_works(w.c, w.sv);

    /* Garbage destination addresses: refused before anything is sent, on
     * a datagram and on a connected stream socket alike. */
    arg_kind = "garbage ps_addr.len";
    for (size_t i = 0; i < NLENS; i++)
        for (size_t j = 0; j < NFILLS; j++) {
            garbage_addr(&a, garbage_lens[i], garbage_fills[j]);
            AT_ONCE(R(PS_EINVAL), ps_sendto(w.udp, "x", 1, &a, INT_MIN));
            AT_ONCE(R(PS_EINVAL), ps_sendto(w.c, "x", 1, &a, INT_MIN));
            AT_ONCE(R(PS_EINVAL), ps_connect_start(w.fresh, &a));
            AT_ONCE(R(PS_EINVAL), ps_bind(w.fresh, &a));
        }
    arg_kind = "garbage ps_addr bytes";
    for (uint32_t len = 2; len <= 128; len += 7) {
        unknown_family(&a, len);
        AT_ONCE(R(PS_EINVAL), ps_sendto(w.udp, "x", 1, &a, INT_MIN));
        AT_ONCE(R(PS_EINVAL), ps_sendto(w.c, "x", 1, &a, INT_MIN));
        AT_ONCE(R(PS_EINVAL), ps_connect_start(w.fresh, &a));
        AT_ONCE(R(PS_EINVAL), ps_bind(w.fresh, &a));
        /* A real family, too short for it. */
        OK(ps_addr_parse(&a, "127.0.0.1:9"));
        a.len = len < 16 ? len : 15;
        AT_ONCE(R(PS_EINVAL), ps_sendto(w.udp, "x", 1, &a, INT_MIN));
        AT_ONCE(R(PS_EINVAL), ps_connect_start(w.fresh, &a));
        AT_ONCE(R(PS_EINVAL), ps_bind(w.fresh, &a));
    }
    /* No byte of those reached the peer. */
    still_works(w.c, w.sv);
    AT_ONCE(R(PS_EWOULDBLOCK),
            ps_recvfrom(w.udp, buf, sizeof buf, &n, NULL, 0));

    /* Calls that cannot succeed on this kind of socket fail at once,
     * whatever the timeout. */
    arg_kind = "wrong kind of socket, INT_MAX / INT_MIN timeout";
    AT_ONCE(R(PS_EINVAL), ps_accept(w.c, &out, NULL, INT_MAX));
    AT_ONCE(R(PS_EINVAL), ps_accept(w.sv, &out, NULL, INT_MIN));
    AT_ONCE(R(PS_EINVAL), ps_accept(w.udp, &out, &a, INT_MIN));
    AT_ONCE(R(PS_EINVAL), ps_accept(w.fresh, &out, &a, INT_MAX));
    cr_assert_eq(out, PS_INVALID_SOCKET);
    AT_ONCE(R(PS_ENOTCONN), ps_peer_addr(w.fresh, &a));
    AT_ONCE(R(PS_ENOTCONN), ps_peer_addr(w.udp, &a));
    AT_ONCE(R(PS_ENOTCONN), ps_shutdown(w.fresh, PS_SHUT_WR));
    /* A stream socket never connected: nothing to read or write. POSIX
     * fails at once (a Linux send: PS_EPIPE), and so does Windows without
     * a timeout (Wine: PS_ECONNRESET after the shutdown above); a timed
     * call on Windows waits for its deadline, as the header says, so it
     * gets a short one there. */
    rcset unconn = R(PS_ENOTCONN) | R(PS_EPIPE) |
                   (pst_under_wine() ? R(PS_ECONNRESET) : 0);
    int utmo = pst_is_windows() ? 100 : INT_MAX;
    rcset unconn_timed = unconn | (pst_is_windows() ? R(PS_ETIMEDOUT) : 0);
    AT_ONCE(unconn, ps_send(w.fresh, "x", 1, &n, INT_MIN));
    AT_ONCE(unconn, ps_recv(w.fresh, buf, sizeof buf, &n, INT_MIN));
    AT_ONCE(unconn, ps_send_frame(w.fresh, "x", 1, INT_MIN));
    AT_ONCE(unconn_timed, ps_send(w.fresh, "x", 1, &n, utmo));
    AT_ONCE(unconn_timed, ps_recv(w.fresh, buf, sizeof buf, &n, utmo));
    AT_ONCE(unconn_timed, ps_send_frame(w.fresh, "x", 1, utmo));
    /* An unconnected datagram socket with no destination. */
    AT_ONCE(R(PS_ENOTCONN) | R(PS_EINVAL),
            ps_sendto(w.udp, "x", 1, NULL, INT_MIN));
    AT_ONCE(R(PS_ENOTCONN) | R(PS_EINVAL), ps_send(w.udp, "x", 1, &n, INT_MIN));
    AT_ONCE(R(PS_EWOULDBLOCK), ps_accept(w.listener, &out, NULL, 0));

    /* A peer that closed: reads end at once however long they may wait. */
    arg_kind = "peer closed, INT_MAX / INT_MIN timeout";
    OK(ps_send_all(w.c, "tail", 4, NULL, 5000));
    OK(ps_shutdown(w.c, PS_SHUT_WR));
    AT_ONCE(R(PS_ECLOSED) | (over & R(PS_EINVAL)),
            ps_recv_all(w.sv, hb, SIZE_MAX, &n, INT_MAX));
    read_rest(w.sv, n, 4);
    AT_ONCE(R(PS_OK), ps_recv(w.sv, buf, sizeof buf, &n, INT_MIN));
    cr_assert_eq(n, 0u);
    AT_ONCE(R(PS_ECLOSED), ps_recv_frame(w.sv, buf, sizeof buf, &n, INT_MIN));
    ps_recv_iovec rest[1] = {{buf, sizeof buf}};
    AT_ONCE(R(PS_OK), ps_recvv(w.sv, rest, 1, &n, INT_MAX));
    cr_assert_eq(n, 0u);

    free(hb);
    world_close(&w);
    summary("data_calls_on_good_sockets");
}

Test(hostile, options_on_good_sockets, .timeout = 60)
{
    skip_under_memcheck();
    start();
    world w;
    ps_socket_t pair[2];
    static const int bad_on[] = {2, -1, 7, INT_MAX, INT_MIN};

    world_open(&w);
    OK(ps_socketpair(pair));
    arg_kind = "on other than 0 / 1";
    for (size_t i = 0; i < sizeof bad_on / sizeof bad_on[0]; i++) {
        AT_ONCE(R(PS_EINVAL), ps_set_nonblocking(w.c, bad_on[i]));
        AT_ONCE(R(PS_EINVAL), ps_set_nodelay(w.c, bad_on[i]));
        AT_ONCE(R(PS_EINVAL), ps_set_keepalive(w.c, bad_on[i]));
        AT_ONCE(R(PS_EINVAL), ps_shutdown(w.c, bad_on[i] == 2 ? 3 : bad_on[i]));
    }
    arg_kind = "negative / INT_MIN buffer size";
    AT_ONCE(R(PS_EINVAL), ps_set_buffer_sizes(w.c, -1, 0));
    AT_ONCE(R(PS_EINVAL), ps_set_buffer_sizes(w.c, 0, -1));
    AT_ONCE(R(PS_EINVAL), ps_set_buffer_sizes(w.c, INT_MIN, INT_MIN));
    AT_ONCE(R(PS_EINVAL), ps_set_buffer_sizes(w.c, INT_MAX, INT_MIN));
    /* The system clamps a size it finds too large. */
    arg_kind = "INT_MAX buffer size";
    AT_ONCE(R(PS_OK), ps_set_buffer_sizes(w.c, INT_MAX, INT_MAX));
    AT_ONCE(R(PS_OK), ps_set_buffer_sizes(w.udp, INT_MAX, 1));
    /* Options a socket's protocol lacks: PS_ENOTSUP (TCP_NODELAY on a
     * datagram or AF_UNIX socket; Windows also refuses keep-alive on a
     * datagram socket, which POSIX systems accept). */
    arg_kind = "option the protocol lacks";
    rcset lacks = R(PS_ENOTSUP) | (pst_under_wine() ? R(PS_EINVAL) : 0);
    AT_ONCE(lacks, ps_set_nodelay(w.udp, 1));
    AT_ONCE(R(PS_OK) | lacks, ps_set_keepalive(w.udp, 1));
    if (!pst_is_windows())
        AT_ONCE(R(PS_ENOTSUP), ps_set_nodelay(pair[0], 1));
    /* The refused calls harmed nothing. */
    still_works(w.c, w.sv);
    still_works(pair[0], pair[1]);
    AT_ONCE(R(PS_OK), ps_socket_error(w.c));
    OK(ps_close(pair[0]));
    OK(ps_close(pair[1]));
    world_close(&w);
    summary("options_on_good_sockets");
}

/* ---- ps_select ------------------------------------------------------------------- */

Test(hostile, select, .timeout = 60)
{
    skip_under_memcheck();
    start();
    ps_pollitem it[4];
    world w;
    bad_set x;

    world_open(&w);
    bad_open(&x);

    arg_kind = "NULL pointer";
    AT_ONCE(R(PS_EINVAL), ps_select(NULL, 1, INT_MIN));
    AT_ONCE(R(PS_EINVAL), ps_select(NULL, SIZE_MAX, INT_MIN));
    AT_ONCE(R(PS_OK), ps_select(NULL, 0, 0));
    arg_kind = "SIZE_MAX count";
    it[0] = pst_sock_item(w.c, PS_POLL_WRITE);
    AT_ONCE(R(PS_EINVAL), ps_select(it, SIZE_MAX, INT_MIN));
    if (sizeof(size_t) > sizeof(int))
        AT_ONCE(R(PS_EINVAL), ps_select(it, (size_t)INT_MAX + 1, INT_MIN));
    arg_kind = "unknown kind";
    static const int kinds[] = {3, 4, -1, INT_MAX, INT_MIN};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        it[0] = pst_sock_item(w.c, PS_POLL_WRITE);
        it[1] = pst_sock_item(w.sv, PS_POLL_READ);
        it[1].kind = kinds[i];
        AT_ONCE(R(PS_EINVAL), ps_select(it, 2, INT_MIN));
    }
    /* Unknown event bits are not asked for anything: only the documented
     * bits come back. */
    arg_kind = "unknown event bits";
    static const unsigned evs[] = {~0u, 0x80000000u, 0x40u, PS_POLL_ONESHOT,
                                   PS_POLL_ERROR | PS_POLL_HUP |
                                       PS_POLL_INVALID};
    const unsigned known = PS_POLL_READ | PS_POLL_WRITE | PS_POLL_ERROR |
                           PS_POLL_HUP | PS_POLL_INVALID;
    for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++) {
        it[0] = pst_sock_item(w.c, evs[i]);
        it[0].revents = 0xFFFFu;
        /* Nothing asked may be ready: wait a little, not forever. */
        HOSTILE(ANY_COUNT | R(PS_OK), 0, ps_select(it, 1, 50));
        cr_assert_eq(it[0].revents & ~known, 0u, "revents 0x%x for events 0x%x",
                     it[0].revents, evs[i]);
        if (!(evs[i] & PS_POLL_WRITE))
            cr_assert_eq(it[0].revents & PS_POLL_WRITE, 0u);
    }
    /* Items that are no socket, fd or handle: INVALID, at once, whatever
     * the timeout; the call never fails for them. */
    arg_kind = "no socket / fd, INT_MIN timeout";
    for (size_t i = 0; i < x.n; i++) {
        subject = x.b[i].what;
        it[0] = pst_sock_item(w.c, 0); /* never ready */
        it[1] = pst_sock_item(x.b[i].s, PS_POLL_READ);
        if (x.b[i].open_fd && !pst_is_windows()) {
            /* POSIX: a pipe or file given as a socket is an fd like any
             * other (an empty pipe's read end is not ready): no wait that
             * could last. */
            HOSTILE(ANY_COUNT | R(PS_OK), 0, ps_select(it, 2, 20));
            cr_assert_eq(it[1].revents & ~known, 0u);
            continue;
        }
        AT_ONCE(ANY_COUNT, ps_select(it, 2, INT_MIN));
        cr_assert_eq(it[0].revents, 0u);
        cr_assert_eq(it[1].revents, (unsigned)PS_POLL_INVALID, "revents 0x%x",
                     it[1].revents);
        AT_ONCE(ANY_COUNT, ps_select(it, 2, INT_MAX));
        cr_assert_eq(it[1].revents, (unsigned)PS_POLL_INVALID);
    }
    subject = "";
    static const int bad_fds[] = {-1, -5, INT_MIN, INT_MAX};
    for (size_t i = 0; i < sizeof bad_fds / sizeof bad_fds[0]; i++) {
        it[0] = pst_fd_item(bad_fds[i], PS_POLL_READ);
        AT_ONCE(ANY_COUNT, ps_select(it, 1, INT_MIN));
        cr_assert_eq(it[0].revents, (unsigned)PS_POLL_INVALID, "fd %d: 0x%x",
                     bad_fds[i], it[0].revents);
    }
    arg_kind = "NULL / invalid handle";
    void *handles[] = {NULL, (void *)(intptr_t)-1,
                       (void *)(intptr_t)0x7FFFFFF0};
    for (size_t i = 0; i < 3; i++) {
        it[0] = pst_handle_item(handles[i], PS_POLL_READ);
        if (pst_is_windows()) {
            AT_ONCE(ANY_COUNT, ps_select(it, 1, INT_MIN));
            cr_assert_eq(it[0].revents, (unsigned)PS_POLL_INVALID);
        } else {
            AT_ONCE(R(PS_ENOTSUP), ps_select(it, 1, INT_MIN));
        }
    }
    /* Ready at once: INT_MAX does not matter. */
    arg_kind = "INT_MAX timeout, ready";
    it[0] = pst_sock_item(w.c, PS_POLL_WRITE);
    AT_ONCE(ANY_COUNT, ps_select(it, 1, INT_MAX));
    cr_assert_eq(it[0].revents, (unsigned)PS_POLL_WRITE);
    AT_ONCE(ANY_COUNT, ps_select(it, 1, INT_MIN));
    /* The same socket many times over, with and without bits. */
    arg_kind = "duplicates";
    ps_pollitem many[300];
    for (size_t i = 0; i < 300; i++)
        many[i] = pst_sock_item(i % 3 ? w.c : w.sv, (unsigned)i);
    AT_ONCE(ANY_COUNT, ps_select(many, 300, INT_MAX));

    bad_close(&x);
    world_close(&w);
    summary("select");
}

/* ---- ps_poller -------------------------------------------------------------------- */

Test(hostile, poller, .timeout = 60)
{
    skip_under_memcheck();
    start();
    ps_poller *p = NULL;
    ps_pollitem it;
    ps_event ev[4];
    world w;
    bad_set x;

    /* The poller's own descriptors before the bad values, so that the
     * closed socket's number stays free. */
    OK(ps_poller_open(&p));
    world_open(&w);
    bad_open(&x);

    arg_kind = "NULL pointer";
    AT_ONCE(R(PS_EINVAL), ps_poller_open(NULL));
    ps_poller_close(NULL);
    note_pair("ps_poller_close");
    it = pst_sock_item(w.c, PS_POLL_READ);
    AT_ONCE(R(PS_EINVAL), ps_poller_add(NULL, &it, NULL));
    AT_ONCE(R(PS_EINVAL), ps_poller_add(p, NULL, NULL));
    AT_ONCE(R(PS_EINVAL), ps_poller_modify(NULL, &it, NULL));
    AT_ONCE(R(PS_EINVAL), ps_poller_modify(p, NULL, NULL));
    AT_ONCE(R(PS_EINVAL), ps_poller_remove(NULL, &it));
    AT_ONCE(R(PS_EINVAL), ps_poller_remove(p, NULL));
    AT_ONCE(R(PS_EINVAL), ps_poller_wait(NULL, ev, 4, INT_MIN));
    AT_ONCE(R(PS_EINVAL), ps_poller_wait(p, NULL, 4, INT_MIN));
    AT_ONCE(R(PS_EINVAL), ps_poller_wait(p, ev, 0, INT_MIN));
    AT_ONCE(R(PS_EINVAL), ps_poller_wake(NULL));

    arg_kind = "unknown kind";
    static const int kinds[] = {3, -1, INT_MAX, INT_MIN};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        it = pst_sock_item(w.c, PS_POLL_READ);
        it.kind = kinds[i];
        AT_ONCE(R(PS_EINVAL), ps_poller_add(p, &it, NULL));
        AT_ONCE(R(PS_EINVAL), ps_poller_modify(p, &it, NULL));
        AT_ONCE(R(PS_EINVAL), ps_poller_remove(p, &it));
    }
    arg_kind = "unknown event bits";
    static const unsigned evs[] = {PS_POLL_ERROR, PS_POLL_HUP, PS_POLL_INVALID,
                                   0x40u,         0x80000000u, ~0u};
    for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++) {
        it = pst_sock_item(w.c, PS_POLL_READ | evs[i]);
        AT_ONCE(R(PS_EINVAL), ps_poller_add(p, &it, NULL));
    }
    /* Not registered yet. */
    arg_kind = "not registered";
    it = pst_sock_item(w.c, PS_POLL_READ);
    AT_ONCE(R(PS_ENOENT), ps_poller_modify(p, &it, NULL));
    AT_ONCE(R(PS_ENOENT), ps_poller_remove(p, &it));
    AT_ONCE(R(PS_OK), ps_poller_add(p, &it, NULL));
    arg_kind = "registered twice";
    AT_ONCE(R(PS_EEXIST), ps_poller_add(p, &it, NULL));
    /* Unknown bits in modify are refused too, and leave it registered;
     * remove reads only kind and the value. */
    arg_kind = "unknown event bits";
    it.events = ~0u;
    AT_ONCE(R(PS_EINVAL), ps_poller_modify(p, &it, NULL));
    AT_ONCE(R(PS_OK), ps_poller_remove(p, &it));

    /* Values that are no socket: refused (POSIX registers a pipe given as
     * a socket, since both are fds; a regular file is ready at once). */
    arg_kind = "no socket / fd";
    for (size_t i = 0; i < x.n; i++) {
        subject = x.b[i].what;
        it = pst_sock_item(x.b[i].s, PS_POLL_READ);
        int rc = ps_poller_add(p, &it, NULL);
        check_result("ps_poller_add(p, &it, NULL)", __LINE__, rc,
                     R(PS_OK) | EBADF_OR(x.b[i].alt) | R(PS_ENOTSUP), BOUND_MS,
                     0);
        if (rc == 0)
            AT_ONCE(R(PS_OK), ps_poller_remove(p, &it));
        else
            AT_ONCE(R(PS_ENOENT) | EBADF_OR(x.b[i].alt),
                    ps_poller_remove(p, &it));
        AT_ONCE(R(PS_ENOENT) | EBADF_OR(x.b[i].alt),
                ps_poller_modify(p, &it, NULL));
    }
    subject = "";
    static const int bad_fds[] = {-1, -5, INT_MIN, INT_MAX};
    for (size_t i = 0; i < sizeof bad_fds / sizeof bad_fds[0]; i++) {
        it = pst_fd_item(bad_fds[i], PS_POLL_READ);
        AT_ONCE(R(PS_EBADF), ps_poller_add(p, &it, NULL));
        AT_ONCE(R(PS_ENOENT) | R(PS_EBADF), ps_poller_modify(p, &it, NULL));
        AT_ONCE(R(PS_ENOENT) | R(PS_EBADF), ps_poller_remove(p, &it));
    }
    arg_kind = "NULL / invalid handle";
    void *handles[] = {NULL, (void *)(intptr_t)-1,
                       (void *)(intptr_t)0x7FFFFFF0};
    for (size_t i = 0; i < 3; i++) {
        it = pst_handle_item(handles[i], PS_POLL_READ);
        rcset want = pst_is_windows() ? R(PS_EBADF) | R(PS_ENOTSUP)
                                      : R(PS_ENOTSUP);
        AT_ONCE(want, ps_poller_add(p, &it, NULL));
        AT_ONCE(want | R(PS_ENOENT), ps_poller_modify(p, &it, NULL));
        AT_ONCE(want | R(PS_ENOENT), ps_poller_remove(p, &it));
    }

    /* Waits that must return at once: a pending wake, a ready item. */
    arg_kind = "INT_MAX / INT_MIN timeout, woken";
    OK(ps_poller_wake(p));
    AT_ONCE(R(PS_OK), ps_poller_wait(p, ev, SIZE_MAX, INT_MIN));
    OK(ps_poller_wake(p));
    OK(ps_poller_wake(p));
    AT_ONCE(R(PS_OK), ps_poller_wait(p, ev, 4, INT_MAX));
    arg_kind = "SIZE_MAX capacity, ready";
    it = pst_sock_item(w.c, PS_POLL_WRITE);
    OK(ps_poller_add(p, &it, &w));
    AT_ONCE(ANY_COUNT, ps_poller_wait(p, ev, SIZE_MAX, INT_MIN));
    cr_assert(ev[0].data == &w && ev[0].revents == PS_POLL_WRITE);
    OK(ps_poller_remove(p, &it));
    ps_poller_close(p);
    note_pair("ps_poller_close");

    bad_close(&x);
    world_close(&w);
    summary("poller");
}
