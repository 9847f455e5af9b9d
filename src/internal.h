/* SPDX-License-Identifier: MIT */
/* The private platform interface. Common code (the .c files in src/) is written once
 * against these functions; src/posix and src/win32 implement them. Nothing
 * here names a system type. */
#ifndef PS_INTERNAL_H
#define PS_INTERNAL_H

#include "portsock.h"

#include <limits.h>
#include <stdint.h>

/* ---- Common helpers (the .c files in src/) ---- */

/* PS_EBADF for a value no socket can have: PS_INVALID_SOCKET, or any other
 * with the sign bit set (a negative fd, which poll() would skip instead of
 * reporting; Winsock never hands out such a SOCKET). Else 0. */
static inline int ps__check_socket(ps_socket_t s)
{
    /* The top bit, whether ps_socket_t is signed (POSIX) or not (Windows). */
    return (s >> (sizeof s * CHAR_BIT - 1)) != 0 ? PS_EBADF : 0;
}

/* Records the native error code behind a failure for ps_native_error(). */
void ps__set_native_error(int native);
/* For the end of a call that began when ps_native_error() was `saved`:
 * success, PS_ETIMEDOUT and PS_EWOULDBLOCK are no failure of the system,
 * so whatever was recorded on the way ("would block", "in progress") is
 * replaced by `saved` again. Returns r. */
int ps__keep_native(int r, int saved);

/* A deadline on the monotonic clock. timeout_ms < 0 never expires. */
typedef struct ps__deadline {
    int64_t end_ms;
    int forever;
    int zero; /* the caller asked not to wait at all */
} ps__deadline;

void ps__deadline_start(ps__deadline *d, int timeout_ms);
/* Milliseconds left: -1 forever, 0 when expired (or for a zero timeout). */
int ps__deadline_remaining_ms(const ps__deadline *d);
/* The timeout to hand to a further call made within d: -1 forever, 0 for a
 * zero timeout, else what remains. PS_ETIMEDOUT if a positive deadline has
 * already passed, else 0. */
int ps__deadline_next_timeout(const ps__deadline *d, int *timeout_ms);
/* PS_EWOULDBLOCK for a zero timeout, else PS_ETIMEDOUT. */
int ps__deadline_expired_error(const ps__deadline *d);

/* PS__WANT_CONNECT: writable, or a non-blocking connect that failed (which
 * Windows reports only as an exception, as it does out-of-band data). */
enum { PS__WANT_READ = 1, PS__WANT_WRITE = 2, PS__WANT_CONNECT = 4 };

/* Waits until s is ready for `want` or the deadline passes. Returns 0 when
 * ready, PS_ETIMEDOUT / PS_EWOULDBLOCK when the deadline passed, or an error.
 * Interrupted waits are resumed with the time that remains. */
int ps__wait_until(ps_socket_t s, int want, const ps__deadline *d);

/* One attempt at an operation (src/io.c), waiting as how says (PS__IO_*). */
typedef int (*ps__attempt_fn)(void *ctx, int how);
/* Runs attempt until it stops reporting PS_EWOULDBLOCK or d passes,
 * waiting for `want` between tries (and first, when the thread's last
 * timed attempt on s in that direction would have blocked, unless
 * try_first); ps_native_error() is left as it was unless the result is a
 * failure of the system. The loop of every timed transfer. */
int ps__until_ready(ps_socket_t s, int want, const ps__deadline *d,
                    int try_first, ps__attempt_fn attempt, void *ctx);
/* An IPv4 address as its IPv4-mapped IPv6 form \::ffff:a.b.c.d (to_v4 0),
 * or such a form back as plain IPv4 (to_v4 1), into *out (src/io.c). 0, or
 * nonzero when a is not of that kind (*out then unspecified). */
int ps__addr_mapped(const ps_addr *a, ps_addr *out, int to_v4);

/* ps_recv_all for bytes expected to be there already (a frame's payload
 * after its header): tries before it waits, whatever the wait-first hint
 * left by the read before says. */
int ps__recv_all_expected(ps_socket_t s, void *buf, size_t len, size_t *got,
                          int timeout_ms);

/* Copies host and port (NULL stays NULL) into malloc'ed text for a
 * helper thread (src/resolve.c): 0, or PS_ENOMEM with whatever was copied
 * left in *h / *p for the caller to free. */
int ps__copy_name(const char *host, const char *port, char **h, char **p);
/* ps_connect's and ps_connector_start's checks (src/connect.c): PS_EINVAL
 * for host NULL, or port NULL without a "unix:" host; else what
 * initializing the network stack gives. */
int ps__connect_check(const char *host, const char *port);

/* Splits "unix:PATH": returns the path, or NULL for an ordinary host. */
const char *ps__unix_path(const char *host);

/* Checks (non-NULL) port text as portsock.h describes it (src/resolve.c):
 * 0 with *num for a plain decimal 0..65535, PS_ENAME for a service name
 * (one that starts with a letter: the resolver judges it), PS_EINVAL for
 * anything else (empty, signs, white space, hex, out of range). */
int ps__port_number(const char *port, uint16_t *num);

/* Console text (src/console_text.c): what a Windows console read gives, as
 * ps_item_read returns it, with no system call, so it is tested natively.
 * A read arrives in chunks of UTF-16; each chunk goes through
 * ps__ctext_chunk, whose UTF-8 the caller appends:
 *  - a surrogate pair split between two chunks is joined; a lone surrogate
 *    becomes U+FFFD (as WideCharToMultiByte does);
 *  - in line mode the line ends in "\n": its "\r\n" (also when the two are
 *    split between chunks) or a lone final "\r" (Enter without processed
 *    input); a "\r" elsewhere stays;
 *  - in line mode Ctrl-Z (0x1A) as a line's first character is the end of
 *    input, as the C runtime reads it: the rest of that line is dropped.
 *    Elsewhere it is an ordinary character.
 * The high surrogate carried over lives on from one line to the next;
 * ps__ctext_line resets the rest for each new read. */
typedef struct ps__ctext {
    int line_mode;
    uint16_t high; /* a high surrogate that ended the last chunk, or 0 */
    int cr;        /* line mode: a "\r" ended a full chunk, not yet output */
    int started;   /* line mode: this line had a character */
    int skipping;  /* line mode: the line began with Ctrl-Z */
} ps__ctext;

/* The most UTF-8 ps__ctext_chunk writes for a chunk of n units. */
#define PS__CTEXT_OUT_MAX(n) (3 * (size_t)(n) + 4)
/* What the caller does after a chunk: read the next chunk of this read,
 * return the bytes it has, or return end of input (no bytes). */
enum { PS__CTEXT_MORE, PS__CTEXT_DONE, PS__CTEXT_END };

/* Starts a read (one line in line mode, one chunk in raw mode). */
void ps__ctext_line(ps__ctext *t, int line_mode);
/* Takes the chunk w[0, n); `full` says the read filled all the room it was
 * given (in line mode the line may then go on). Writes at most
 * PS__CTEXT_OUT_MAX(n) bytes of UTF-8 to out and their count to *len, and
 * returns PS__CTEXT_*. n == 0 (a read that Ctrl-C ended) asks for another
 * read, except after a line's Ctrl-Z, which then ends. */
int ps__ctext_chunk(ps__ctext *t, const uint16_t *w, size_t n, int full,
                    char *out, size_t *len);

/* ---- ps_conn's byte buffers (src/conn_buffer.c) ----
 * A growable block with the bytes in p[head, tail). All zero is empty. */
typedef struct ps__cbuf {
    unsigned char *p;
    size_t head, tail, cap;
} ps__cbuf;
/* Makes room for `room` more bytes after tail (moving the bytes to the
 * front, or to a block twice as large): 0 or PS_ENOMEM, the bytes kept. */
int ps__cbuf_reserve(ps__cbuf *b, size_t room);
/* Appends len bytes: 0 or PS_ENOMEM (nothing appended). */
int ps__cbuf_append(ps__cbuf *b, const void *src, size_t len);
/* Drops n <= tail - head bytes from the front. */
void ps__cbuf_consume(ps__cbuf *b, size_t n);
void ps__cbuf_free(ps__cbuf *b);

/* ---- Platform interface (src/posix, src/win32) ----
 * Each role has one file of the same name on both sides (CONTRIBUTING.md
 * has the table). A public function checks its arguments in a common file
 * of src/ and calls the ps__ function below; what stays in the platform is
 * the check that the socket is one, as each system reports (and records)
 * it. */

/* ---- Sockets (src/socket.c; src/posix/socket.c, src/win32/socket.c) ---- */

/* 0 if s is an open socket, else PS_EBADF with the native error recorded:
 * one cheap system call (getsockopt SO_TYPE), for the calls that would
 * otherwise not notice a descriptor or handle that is no socket. */
int ps__socket_probe(ps_socket_t s);
/* ps_socket: a new blocking, non-inheritable, SIGPIPE-free socket; family
 * is PS_AF_INET, PS_AF_INET6 or PS_AF_UNIX and type PS_SOCK_STREAM or
 * PS_SOCK_DGRAM (checked), *out already PS_INVALID_SOCKET. */
int ps__socket_new(int family, int type, ps_socket_t *out);
/* ps_close: PS_EBADF for what is no socket, which stays open (a file or a
 * pipe); an interrupted close is not retried. */
int ps__close(ps_socket_t s);
/* ps_shutdown; how is a PS_SHUT_* value (checked). */
int ps__shutdown(ps_socket_t s, int how);
/* ps_local_addr (peer 0) / ps_peer_addr (peer 1); out is non-NULL. An
 * unbound socket's local address is its family's wildcard, as on POSIX. */
int ps__socket_name(ps_socket_t s, ps_addr *out, int peer);

/* ps_socketpair (src/posix/pair.c: socketpair(); src/win32/pair.c: two
 * TCP sockets over loopback): pair is non-NULL and already holds
 * PS_INVALID_SOCKET twice; both ends blocking and non-inheritable. */
int ps__socketpair(ps_socket_t pair[2]);

/* ps_set_nonblocking (src/posix/nbmode.c: O_NONBLOCK; src/win32/nbmode.c:
 * FIONBIO and the record Windows needs, as it cannot report the mode);
 * on is 0 or 1 (checked). PS_EBADF for what is no socket, which stays as
 * it was (a pipe). */
int ps__set_nonblocking(ps_socket_t s, int on);

/* Initializes the network stack once per process; cheap after the first
 * call. Returns 0 or a PS_E* code. */
int ps__ensure_init(void);
int ps__platform_init(void);     /* one ps_init() reference */
void ps__platform_cleanup(void); /* one ps_cleanup() reference */

int64_t ps__monotonic_ms(void);

/* Maps the thread's last native socket error (errno / WSAGetLastError) to a
 * PS_E* code and records it for ps_native_error(). */
int ps__last_error(void);
/* The PS_E* code for a native error number (errno on POSIX; a WSA or
 * Win32 code on Windows), recording nothing: PS_EUNKNOWN where there is no
 * portable name, 0 for 0. One table per platform (src/posix/error.c,
 * src/win32/error.c), giving the same code for the same condition. */
int ps__error_code(int native);

/* One wait of at most timeout_ms (-1 forever) for readiness. Returns 1
 * ready, 0 not ready yet (timed out or interrupted), or a PS_E* code. */
int ps__poll_one(ps_socket_t s, int want, int timeout_ms);

/* How one transfer attempt may wait. */
enum {
    /* No deadline: the call may block as the socket's mode says. */
    PS__IO_BLOCK = 0,
    /* Never blocks: PS_EWOULDBLOCK if nothing can move now. */
    PS__IO_NOWAIT = 1,
    /* As PS__IO_NOWAIT, but a wait in this call has just reported the socket
     * ready for this direction, so a platform may skip its own readiness
     * check where readiness makes a plain call safe. */
    PS__IO_READY = 2
};

/* Most buffers one gather/scatter call takes; callers loop for the rest. */
#define PS__IOV_BATCH 64

/* One attempt at a transfer, waiting as `how` says (PS__IO_*). EINTR is
 * retried inside. The vectored forms start `skip` bytes into iov[0] and use
 * at most PS__IOV_BATCH buffers. */
int ps__send_once(ps_socket_t s, const void *buf, size_t len, size_t *sent,
                  int how);
int ps__recv_once(ps_socket_t s, void *buf, size_t cap, size_t *got, int how);
int ps__sendv_once(ps_socket_t s, const ps_iovec *iov, size_t n, size_t skip,
                   size_t *sent, int how);
int ps__recvv_once(ps_socket_t s, const ps_recv_iovec *iov, size_t n,
                   size_t skip, size_t *got, int how);
int ps__sendto_once(ps_socket_t s, const void *buf, size_t len,
                    const ps_addr *to, int how);
/* *truncated is set when the datagram was longer than cap. */
int ps__recvfrom_once(ps_socket_t s, void *buf, size_t cap, size_t *got,
                      ps_addr *from, int *truncated, int how);
/* One accept attempt, as above. The new socket is non-inheritable, and
 * blocking unless nonblocking is 1 (ps_accept_ex's PS_ACCEPT_NONBLOCK: set
 * by the accept call itself where the system can, and on Windows recorded
 * as ps_set_nonblocking(s, 1) records it). */
int ps__accept_once(ps_socket_t listener, ps_socket_t *out, ps_addr *peer,
                    int how, int nonblocking);

/* ---- Batched datagrams (src/udp_batch.c checks the arguments, owns the
 * deadline, cuts segments the system will not, and maps addresses back;
 * src/posix/udp_batch.c, src/win32/udp_batch.c make the calls) ---- */

/* Most messages one platform call takes (recvmmsg / sendmmsg vlen, and
 * the stack space for their headers); callers loop for the rest. */
#define PS__UDP_CHUNK 64
/* Most segments, and bytes, of one message the system is asked to cut
 * (Linux refuses more than 64 segments before 5.x); longer messages are
 * cut by common code. */
#define PS__UDP_SEG_MAX 64
#define PS__UDP_SEG_MAX_LEN 65000u
enum {
    /* One message per system call, no offload (the forced fallback). */
    PS__UDP_PLAIN = 1,
    /* The socket is IPv6 and wants IPv4 peers as \::ffff:a.b.c.d (Windows,
     * the BSDs); set by common code after a first send failed. */
    PS__UDP_MAP_V4 = 2
};
/* One attempt (how: PS__IO_*) to send msgs[0..n), n >= 1, arguments
 * checked, in order: 0 with *done >= 1 messages sent, or a PS_E* code
 * with *done 0 (nothing of msgs[0] left). A message whose segment_size is
 * below its len goes to the system whole, for it to cut (common code
 * passes such a message only where ps__udp_seg_supported said so). With
 * PS__UDP_PLAIN at most one message is sent. */
int ps__udp_send_some(ps_socket_t s, const ps_udp_msg *msgs, size_t n,
                      int flags, size_t *done, int how);
/* One attempt to receive into msgs[0..n), n >= 1, each len a capacity of
 * at most INT_MAX: 0 with *done >= 1 filled (len, peer and local as the
 * system gives them, IPv4-mapped forms included; ifindex, ecn,
 * truncated, segment_size), or a PS_E* code with *done 0. With
 * PS__UDP_PLAIN at most one. */
int ps__udp_recv_some(ps_socket_t s, ps_udp_msg *msgs, size_t n, int flags,
                      size_t *done, int how);
/* 1 when the system cuts segmented sends on s (UDP_SEGMENT,
 * UDP_SEND_MSG_SIZE), else 0; records no error. */
int ps__udp_seg_supported(ps_socket_t s);
/* The receive options of a socket of family (PS_AF_INET or PS_AF_INET6,
 * checked): PS__UDPOPT_PKTINFO, PS__UDPOPT_ECN, PS__UDPOPT_COALESCE. For
 * an IPv6 socket the IPv4 option is set too where the system takes it
 * (its failure ignored). PS_ENOTSUP where the system lacks the option. */
enum { PS__UDPOPT_PKTINFO, PS__UDPOPT_ECN, PS__UDPOPT_COALESCE };
int ps__udp_set_option(ps_socket_t s, int family, int which, int on);
/* Fills m's local (the IP, port 0; a link-local IPv6 address scoped to
 * its interface) and ifindex from a received packet-info control message:
 * family PS_AF_INET (ip: 4 bytes) or PS_AF_INET6 (16). */
void ps__udp_local_from(ps_udp_msg *m, int family, const void *ip,
                        uint32_t ifindex);
/* The socket's family, which must be IPv4 or IPv6 (src/options.c): 0, or
 * a PS_E* code (PS_EAFNOSUPPORT for another family). */
int ps__ip_family(ps_socket_t s, int *family);

/* Name resolution (src/posix/resolve.c, src/win32/resolve.c): an array of
 * addresses (free with ps__free_addrs).
 * flags: PS__RESOLVE_PASSIVE for binding (host NULL means any),
 * PS__RESOLVE_NUMERIC to accept only a numeric host (never blocks; PS_ENAME
 * for a name). type: PS_SOCK_*. */
enum { PS__RESOLVE_PASSIVE = 1, PS__RESOLVE_NUMERIC = 2 };
int ps__resolve(const char *host, const char *port, int flags, int type,
                ps_addr **out, size_t *count);
void ps__free_addrs(ps_addr *addrs);
/* (src/resolve.c) "unix:PATH" or host/port into an array as above, within
 * the deadline d (NULL: none). Numeric hosts, host NULL, "unix:" paths and
 * a forever deadline resolve on the calling thread; a name with a deadline
 * is looked up on a detached helper thread, abandoned when d passes:
 * PS_ETIMEDOUT (at once, with no lookup, when no time is left). */
int ps__resolve_within(const char *host, const char *port, int passive,
                       int type, const ps__deadline *d, ps_addr **out,
                       size_t *count);
/* The same in two steps, for a caller that must not block (ps_connector):
 * ps__resolve_begin resolves what never blocks at once, as above, and
 * starts a name's lookup on a helper (*lookup set), even with a forever
 * deadline when never_block != 0; ps__lookup_finish waits for it within d
 * (PS_ETIMEDOUT) and gives its result; ps__lookup_abandon lets it go
 * unread. Each started lookup is finished or abandoned once. */
typedef struct ps__lookup ps__lookup;
int ps__resolve_begin(const char *host, const char *port, int passive, int type,
                      const ps__deadline *d, int never_block, ps_addr **out,
                      size_t *count, ps__lookup **lookup);
int ps__lookup_finish(ps__lookup *l, const ps__deadline *d, ps_addr **out,
                      size_t *count);
void ps__lookup_abandon(ps__lookup *l);

/* A new non-inheritable, SIGPIPE-free socket for addr's family, blocking
 * unless nonblocking != 0. */
int ps__socket_for(const ps_addr *addr, int type, int nonblocking,
                   ps_socket_t *out);
/* Starts a connect: 0 connected, PS_EWOULDBLOCK in progress, or an error. */
int ps__connect_start(ps_socket_t s, const ps_addr *addr);
/* Connects to the first of addrs[0..n) that answers, Happy Eyeballs style
 * (src/connect_race.c): families interleaved starting with addrs[0]'s, the
 * next attempt 250 ms after the last or at once when one fails, all within
 * d. On success *out is a connected blocking socket and every other attempt
 * is closed; on failure nothing stays open and the most informative error
 * is returned (refused > unreachable > timed out > other). n == 0:
 * PS_ENAME. */
int ps__connect_race(const ps_addr *addrs, size_t n, const ps__deadline *d,
                     ps_socket_t *out);
/* The same race for ps_connector (src/connector.c), which runs it on a
 * helper thread: cancel, if not PS_INVALID_SOCKET, is watched for reading
 * beside the attempts, and once readable the race closes every attempt
 * and returns PS_ECONNABORTED; nonblocking != 0 leaves the winner
 * non-blocking. */
typedef struct ps__race_opts {
    ps_socket_t cancel;
    int nonblocking;
} ps__race_opts;
int ps__connect_race_with(const ps_addr *addrs, size_t n, const ps__deadline *d,
                          const ps__race_opts *o, ps_socket_t *out);
/* Binds addr; v6only (-1: leave, 0/1: set IPV6_V6ONLY) and reuse (safe
 * address reuse for listeners) are applied first. */
int ps__bind(ps_socket_t s, const ps_addr *addr, int v6only, int reuse);
int ps__listen(ps_socket_t s, int backlog);
/* Fills a wildcard address for family (PS_AF_INET/PS_AF_INET6) and port. */
int ps__any_addr(ps_addr *out, int family, uint16_t port);
int ps__unix_addr(ps_addr *out, const char *path);

/* One readiness wait over items (revents already zeroed, arguments already
 * checked) of at most timeout_ms (-1 forever). Returns how many items have
 * non-zero revents; 0 when nothing was ready yet (the time ran out, or the
 * wait was interrupted: the caller retries with the time that remains); or a
 * PS_E* code for the call as a whole. */
int ps__select_once(ps_pollitem *items, size_t n, int timeout_ms);

/* ps_item_read / ps_item_write (src/item.c checks the arguments: item,
 * buf and got non-NULL, a known kind, a socket or fd that is not negative,
 * 1 <= cap <= INT_MAX, len <= INT_MAX). One underlying transfer; EINTR
 * retried; end of input is 0 with *got == 0. */
int ps__item_read(const ps_pollitem *item, void *buf, size_t cap, size_t *got);
int ps__item_write(const ps_pollitem *item, const void *buf, size_t len,
                   size_t *sent);
/* Nonzero where PS_KIND_HANDLE items exist (Windows). */
int ps__item_handles(void);

/* Threads (src/posix/thread.c, src/win32/thread.c). A latch is a one-shot
 * event between two threads, made holding two references (one each). */
typedef struct ps__latch ps__latch;
int ps__latch_new(ps__latch **out);
/* 1 for the call that set the latch, 0 if it was set already: of two
 * threads that race to set it, exactly one wins (ps_connector's claim). */
int ps__latch_set(ps__latch *l);
/* 1 once the latch is set, 0 if timeout_ms (-1 forever) passed first. */
int ps__latch_wait(ps__latch *l, int timeout_ms);
/* Drops one reference. 1 for the last one: the latch is freed, and all
 * the other holder wrote before its release is visible here. Else 0. */
int ps__latch_release(ps__latch *l);
/* Unsets the latch, for reuse; only while no thread waits on or sets it. */
void ps__latch_reset(ps__latch *l);
/* Runs fn(arg) on a new detached thread with all signals blocked (POSIX).
 * At most PS__MAX_DETACHED such threads run at once, so abandoned lookups
 * cannot pile up without bound. 0, or PS_ENOMEM when no thread could be
 * made or the limit is reached. */
#define PS__MAX_DETACHED 128
int ps__thread_spawn_detached(void (*fn)(void *arg), void *arg);
/* One process-wide lock, statically made (no set-up, nothing to free), for
 * the short bookkeeping of common code (src/helpers.c). Not recursive. */
void ps__global_lock(void);
void ps__global_unlock(void);

/* Helper threads (src/helpers.c): runs fn(arg) on a helper, one parked
 * since an earlier job if there is one, else a new detached thread
 * (ps__thread_spawn_detached: its limit and errors). ps_init holds the
 * pool (helpers park between jobs only while it is held); the last
 * ps_cleanup ends the parked helpers. */
int ps__helper_run(void (*fn)(void *arg), void *arg);
void ps__helpers_hold(void);
void ps__helpers_drop(void);
/* In a child process after fork (src/posix/thread.c calls it, with the
 * global lock held): no helper thread exists there. */
void ps__helpers_forget(void);

/* A mutex (src/posix/thread.c: pthreads; src/win32/thread.c: an SRW
 * lock). ps__mutex_new: 0 or PS_ENOMEM. Not recursive. */
typedef struct ps__mutex ps__mutex;
int ps__mutex_new(ps__mutex **out);
void ps__mutex_free(ps__mutex *m);
void ps__mutex_lock(ps__mutex *m);
void ps__mutex_unlock(ps__mutex *m);
/* Stores v in *a and returns what *a held, atomically, with acquire and
 * release ordering; lock-free, so safe in a signal handler. */
long ps__atomic_swap(volatile long *a, long v);
/* What *a holds, read atomically with acquire ordering; lock-free. */
long ps__atomic_load(volatile long *a);

/* ---- Poller backends ----
 * One file per backend: src/posix/poller_epoll.c (Linux), poller_kqueue.c
 * (macOS/BSD), poller_poll.c (any POSIX; -DPS_POLLER_BACKEND=poll), and
 * src/win32/poller.c (I/O completion port + AFD polls). Each defines
 * struct ps_poller. src/poller.c checks the arguments (poller and item
 * non-NULL, a known kind, events within READ | WRITE | ONESHOT) and loops
 * over waits; a backend implements the contract in portsock.h for what
 * reaches it, thread safety included. */
int ps__poller_create(ps_poller **out);
void ps__poller_destroy(ps_poller *p);
enum { PS__POLLER_ADD, PS__POLLER_MODIFY, PS__POLLER_REMOVE };
/* ADD: PS_EEXIST if registered; MODIFY / REMOVE: PS_ENOENT if not. */
int ps__poller_ctl(ps_poller *p, int op, const ps_pollitem *item, void *data);
/* One wait of at most timeout_ms (-1 forever; cap >= 1): how many events
 * it filled; 0 when none (time ran out, an interruption, or a wake, which
 * sets *woken to 1); or a PS_E* code. */
int ps__poller_wait_once(ps_poller *p, ps_event *events, int cap,
                         int timeout_ms, int *woken);
int ps__poller_wake(ps_poller *p);

/* ---- Poller timers (src/timers.c), the same for every backend ----
 * Each backend's struct ps_poller embeds one ps__timers (zeroed by its
 * create) and gives it to common code through ps__poller_timers, so the
 * backends know nothing else of timers: src/poller.c sets them up after
 * ps__poller_create, frees them before ps__poller_destroy, and feeds the
 * earliest due time into each wait's timeout. A binary min-heap of due
 * times finds the next expiry; slots that stay put while the heap moves
 * hold each timer's data, and a timer's id names its slot, so cancel is
 * O(log n). Everything below takes the one mutex, except user_wake. */
struct ps__timer_entry; /* in the heap: due, slot */
struct ps__timer_slot;  /* id generation, heap position */
struct ps__timer_data;  /* period, data */
typedef struct ps__timers {
    ps__mutex *mu;
    struct ps__timer_entry *heap;
    struct ps__timer_slot *slots;
    struct ps__timer_data *data; /* indexed as slots */
    uint32_t count;              /* timers set, = heap entries = slots in use */
    uint32_t cap;                /* room in heap and slots */
    uint32_t free;               /* 1 + the first free slot, or 0 */
    int waiters;                 /* waits between ps__timers_enter and _leave */
    int io_turn;             /* cap 1 with timers due: 1 when I/O goes first */
    volatile long user_wake; /* ps_poller_wake was called (atomic) */
    volatile long used;      /* a timer was ever set (atomic; never reset) */
} ps__timers;
ps__timers *ps__poller_timers(ps_poller *p);
/* 0 or PS_ENOMEM. ps__timers_free frees every timer (also after a failed
 * init, on the zeroed struct). */
int ps__timers_init(ps__timers *t);
void ps__timers_free(ps__timers *t);
/* ps_poller_timer and ps_poller_timer_cancel, arguments checked. _set
 * sets *wake when the new timer is the earliest and a wait is in
 * progress, or when it is the poller's first timer (a wait may have begun
 * without looking at timers, see ps__timers_enter), which must then be
 * woken (ps__poller_wake) to shorten it. */
int ps__timers_set(ps__timers *t, uint64_t *id, int64_t due_ms,
                   int64_t period_ms, void *data, int *wake);
int ps__timers_cancel(ps__timers *t, uint64_t id);
/* Before a wait of at most cap events: milliseconds until the earliest
 * timer is due (-1 none, clamped to INT_MAX). 0 means one is due now:
 * *io_cap is then how many events I/O may fill first (cap / 2; with cap
 * 1, every other time 1), and the caller then takes timers into the rest.
 * Otherwise, where *waiting is set to 1, the caller counts as waiting
 * until ps__timers_leave. A poller that never had a timer takes no lock
 * (*waiting 0, -1 returned). */
int ps__timers_enter(ps__timers *t, int cap, int *io_cap, int *waiting);
void ps__timers_leave(ps__timers *t);
/* Fills up to cap events with timers due now (PS_POLL_TIMER), in due
 * order (equal due times in no set order); one-shots are forgotten, periodic ones move to their next due
 * time after now. Returns how many. */
int ps__timers_take(ps__timers *t, ps_event *events, int cap);

/* ---- Socket options (src/options.c checks the arguments; the platform
 * files set them: src/posix/options.c, src/win32/options.c) ---- */

/* An integer socket option: PS__SOCKOPT_NODELAY TCP_NODELAY,
 * PS__SOCKOPT_KEEPALIVE SO_KEEPALIVE (value 0 or 1), PS__SOCKOPT_SNDBUF
 * SO_SNDBUF, PS__SOCKOPT_RCVBUF SO_RCVBUF (value > 0). */
enum {
    PS__SOCKOPT_NODELAY,
    PS__SOCKOPT_KEEPALIVE,
    PS__SOCKOPT_SNDBUF,
    PS__SOCKOPT_RCVBUF
};
int ps__set_socket_option(ps_socket_t s, int which, int value);
/* ps_socket_error: the pending error (SO_ERROR), cleared, as a PS_E* code
 * with its native code recorded; 0 when there is none. */
int ps__socket_error(ps_socket_t s);
/* The socket's family as PS_AF_* (PS_AF_UNSPEC for one portsock has no
 * name for). Works on unbound sockets too. */
int ps__socket_family(ps_socket_t s, int *family);
/* SO_LINGER: on 0/1, seconds 0..65535. */
int ps__set_linger(ps_socket_t s, int on, int seconds);
/* SO_REUSEPORT, or PS_ENOTSUP where the system has none (after checking
 * that s is a socket). */
int ps__set_reuseport(ps_socket_t s, int on);
int ps__set_broadcast(ps_socket_t s, int on);
/* An IP-level integer option for a socket of family (PS_AF_INET or
 * PS_AF_INET6): PS__IPOPT_TTL is IP_TTL / IPV6_UNICAST_HOPS,
 * PS__IPOPT_MCAST_TTL IP_MULTICAST_TTL / IPV6_MULTICAST_HOPS,
 * PS__IPOPT_MCAST_LOOP IP_MULTICAST_LOOP / IPV6_MULTICAST_LOOP. For an IPv6
 * socket the IPv4 option is set too where the system takes it, for the
 * IPv4 traffic of a dual-stack socket; its failure is ignored. */
enum { PS__IPOPT_TTL, PS__IPOPT_MCAST_TTL, PS__IPOPT_MCAST_LOOP };
int ps__set_ip_option(ps_socket_t s, int family, int which, int value);
/* Joins (join 1) or leaves (0) the multicast group (an IPv4 or IPv6
 * multicast address, already checked) on the interface ifindex (0: the
 * system's choice). */
int ps__group_membership(ps_socket_t s, const ps_addr *group, uint32_t ifindex,
                         int join);

/* Address conversion between ps_addr and its portable parts (src/addr.c
 * writes the text forms once over them; src/posix/addr.c,
 * src/win32/addr.c). */
typedef struct ps__endpoint {
    int family; /* PS_AF_* */
    uint16_t port;
    unsigned char ip[16]; /* 4 bytes for IPv4 */
    uint32_t scope_id;
    char path[110]; /* AF_UNIX; path[0] == 0 and abstract == 0: unnamed */
    int abstract;   /* Linux abstract name (leading NUL) */
} ps__endpoint;
int ps__addr_decode(const ps_addr *a, ps__endpoint *ep);
int ps__addr_encode(const ps__endpoint *ep, ps_addr *a);
/* Text for an IP (no port, no brackets) and back; 0 or PS_EINVAL. */
int ps__ip_to_text(int family, const unsigned char *ip, char *buf, size_t cap);
int ps__ip_from_text(int family, const char *text, unsigned char *ip);
/* IPv6 zones: interface name <-> index. 0, or PS_EINVAL when there is no
 * such interface (index_to_name also when the name and its NUL do not fit
 * cap). Thread-safe; they query the system, no name resolution. */
int ps__if_name_to_index(const char *name, uint32_t *index);
int ps__if_index_to_name(uint32_t index, char *buf, size_t cap);

#endif
