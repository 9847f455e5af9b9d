/* SPDX-License-Identifier: MIT */
/**
 * @file portsock.h
 * portsock — one body of socket code for Linux, macOS and Windows.
 *
 * Conventions used by every function below:
 *  - The return value is 0 on success or a negative PS_E* code. Counts come
 *    back through out-parameters.
 *  - timeout_ms < 0 waits forever, 0 does not wait, > 0 is a deadline for the
 *    whole call (not per system call), measured on a monotonic clock.
 *    When timeout_ms == 0 and nothing can move now, the result is
 *    PS_EWOULDBLOCK; when a positive deadline passes, PS_ETIMEDOUT.
 *    The timeout, not the socket's blocking mode, says how long a call may
 *    wait: on a non-blocking socket too, < 0 waits until the call can
 *    complete (portsock waits for readiness after the socket's "would
 *    block") and > 0 waits up to its deadline. Only ps_item_read and
 *    ps_item_write, which take no timeout, follow the socket's own mode.
 *  - EINTR never surfaces: it is retried with the time that remains.
 *  - Every function is safe to call from several threads at once on
 *    different sockets. Two threads may also use one socket when one only
 *    sends and the other only receives. Several threads receiving on one
 *    datagram socket (or accepting on one listener) is safe too; several
 *    reading one stream socket with timeouts is not (on Windows the loser
 *    of a race for the same bytes can wait past its deadline).
 *  - Sockets are plain native sockets: ps_socket_t is the int fd on POSIX and
 *    the SOCKET value on Windows, so they pass in and out of native code.
 *  - Calling ps_init() is optional; the first call that needs the network
 *    stack initializes it.
 *
 * This header includes only standard C headers.
 *
 * The comments in this header are the contract. They read as plain text
 * and are also the Doxygen input of the HTML reference; portsock(3) sums
 * up the conventions.
 */
#ifndef PORTSOCK_H
#define PORTSOCK_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Major version: bumped on incompatible changes. */
#define PS_VERSION_MAJOR 0
/** Minor version: bumped when features are added compatibly. */
#define PS_VERSION_MINOR 1
/** Patch version: bumped for fixes. */
#define PS_VERSION_PATCH 0

/**
 * Marks the public functions for linking: static or shared.
 *  - Static library, or the sources compiled into your own program: define
 *    nothing. (PS_STATIC forces this even if PS_SHARED is defined.)
 *  - Shared library (.so / .dylib / DLL): code that includes this header is
 *    compiled with PS_SHARED defined. The CMake target portsock::portsock
 *    (find_package or add_subdirectory) carries PS_SHARED as a PUBLIC
 *    definition in shared builds, and on Windows `pkg-config --cflags
 *    portsock` adds -DPS_SHARED for a DLL build, so consumers get it
 *    automatically. On Windows it selects __declspec(dllimport); elsewhere
 *    it changes nothing for users.
 *  - PS_BUILDING is defined (privately) only while compiling portsock
 *    itself: it marks the ps_* functions __declspec(dllexport) on Windows
 *    and default visibility for GCC/Clang. The library is compiled with
 *    hidden visibility, so the internal ps__* functions are not exported.
 */
#if defined(PS_STATIC) || !defined(PS_SHARED)
#define PS_API
#elif defined(_WIN32) || defined(__CYGWIN__)
#if defined(PS_BUILDING)
#define PS_API __declspec(dllexport)
#else
#define PS_API __declspec(dllimport)
#endif
#elif defined(__GNUC__) && defined(PS_BUILDING)
#define PS_API __attribute__((visibility("default")))
#else
#define PS_API
#endif

/* ---- Handles --------------------------------------------------------- */

/**
 * A socket: the file descriptor (int) on POSIX; on Windows a uintptr_t with
 * the same value as SOCKET.
 *
 * Every call that takes a socket returns PS_EBADF at once, whatever its
 * timeout, for PS_INVALID_SOCKET and any other value with the sign bit set
 * (a negative fd; no Windows SOCKET has it), and for a closed value or a
 * descriptor that is no socket (a file, a pipe), which it leaves as it was:
 * ps_close does not close it, ps_set_nonblocking does not change it. (Wine
 * answers most calls on a file or pipe handle with PS_ENOTSUP.)
 */
#ifdef _WIN32
typedef uintptr_t ps_socket_t;
/** No socket: INVALID_SOCKET's value. */
#define PS_INVALID_SOCKET ((ps_socket_t) ~(uintptr_t)0)
#else
typedef int ps_socket_t;
/** No socket: -1 on POSIX, INVALID_SOCKET's value on Windows. */
#define PS_INVALID_SOCKET (-1)
#endif

/* ---- Errors ------------------------------------------------------------ */

/**
 * The error codes, once: XX(name, value, text) for each. The code is PS_
 * and its name (PS_EINVAL for EINVAL); its value is negative and identical
 * on every platform (0, PS_OK, is success); text is what ps_strerror gives
 * for it, and ps_errname gives the code's name. The list generates the enum
 * below and the library's own tables; apply it to a macro of your own for
 * a table or a switch over every code, as with libuv's UV_ERRNO_MAP.
 * @param XX a macro taking (name, value, text)
 */
#define PS_ERROR_MAP(XX)                                                \
    XX(OK, 0, "success")                                                \
    XX(EINVAL, -1, "bad argument")                                      \
    XX(EBADF, -2, "not a valid open socket")                            \
    XX(ENOMEM, -3, "out of memory or buffer space")                     \
    XX(EWOULDBLOCK, -4, "nothing can move without waiting")             \
    XX(ETIMEDOUT, -5, "the deadline passed")                            \
    XX(ECLOSED, -6, "peer closed before the requested bytes arrived")   \
    XX(ECONNREFUSED, -7, "connection refused: nothing listens there")   \
    XX(ECONNRESET, -8, "connection reset by the peer")                  \
    XX(ECONNABORTED, -9, "connection aborted on this host")             \
    XX(EPIPE, -10, "write after the connection was shut down")          \
    XX(ENOTCONN, -11, "the socket is not connected")                    \
    XX(EADDRINUSE, -12, "the address is in use")                        \
    XX(EADDRNOTAVAIL, -13, "the address is not available on this host") \
    XX(EAFNOSUPPORT, -14, "address family not supported")               \
    XX(EHOSTUNREACH, -15, "no route to the host")                       \
    XX(ENETUNREACH, -16, "the network is unreachable")                  \
    XX(ENETDOWN, -17, "the network (or network stack) is down")         \
    XX(ENAME, -18, "name resolution failed")                            \
    XX(EMSGSIZE, -19, "message or frame too large for the buffer")      \
    XX(EMFILE, -20, "out of descriptors")                               \
    XX(EACCES, -21, "permission denied")                                \
    XX(ENOTSUP, -22, "not supported on this platform or socket")        \
    XX(EEXIST, -23, "already registered (ps_poller_add)")               \
    XX(ENOENT, -24, "not registered (ps_poller_modify / _remove)")      \
    XX(EUNKNOWN, -25, "a native error with no portable name")           \
    XX(ETLS, -26, "TLS handshake or protocol failure")                  \
    XX(ECERT, -27, "the peer's certificate was rejected")               \
    XX(ETRUNCATED, -28, "the peer ended the stream without close_notify")

/* One enumerator of the list; the docs build sees each one with its text. */
#define PS__ERROR_ENUM(name, value, text) PS_##name = value,
/** Error codes: negative and identical on every platform (PS_ERROR_MAP). */
enum { PS_ERROR_MAP(PS__ERROR_ENUM) };
#undef PS__ERROR_ENUM

/**
 * Text for a code. Never NULL, also for unknown codes. Thread-safe (static
 * strings).
 * @param err a PS_E* code (or any int)
 * @return a static string describing err
 */
PS_API const char *ps_strerror(int err);
/**
 * The code's name, such as "PS_ETIMEDOUT"; "PS_E?" style text for unknown
 * codes, never NULL. Thread-safe.
 * @param err a PS_E* code (or any int)
 * @return a static string naming err
 */
PS_API const char *ps_errname(int err);
/**
 * The raw errno (POSIX) or WSA / GetLastError code (Windows) behind the
 * calling thread's last failure that came from the system; 0 if none was
 * recorded. The value is per thread. Only a call that fails because a
 * system call failed records a code; every other outcome leaves the value
 * as it was before the call: success (also when the call met "would block"
 * or "connect in progress" on its way and waited, or ps_connect's race saw
 * other addresses fail, or ps_listen / ps_udp_open an earlier address),
 * PS_ETIMEDOUT,
 * PS_EWOULDBLOCK (timeout 0, or ps_connect_start's connect in progress),
 * end of stream (PS_ECLOSED, or 0 bytes read), a datagram or frame too
 * large for the buffer (PS_EMSGSIZE from ps_recvfrom, ps_recv_frame,
 * ps_send_frame), and arguments portsock rejects before any system call
 * (e.g. PS_EINVAL for a NULL buffer with a length).
 * @return the native error code, or 0 if none was recorded
 */
PS_API int ps_native_error(void);

/* ---- Library ------------------------------------------------------------ */

/**
 * Initializes the network stack (optional). Reference-counted, thread-safe.
 * On Windows each ps_init() pairs with
 * WSAStartup and each ps_cleanup() with WSACleanup; on POSIX they only count.
 * ps_init returns 0, or PS_ENETDOWN / PS_ENOTSUP if the stack is unusable.
 * ps_cleanup with no matching ps_init does nothing.
 *
 * Helper threads: timed name lookups (ps_resolve, ps_connect and the rest
 * with timeout_ms >= 0) and ps_connector run on helper threads. While
 * ps_init holds the library, a helper that has finished parks for up to
 * 100 ms (at most 8 at once) and takes the next such job, so a program
 * that calls ps_init does not pay a thread start per lookup or connector;
 * without ps_init each helper ends after its job. The last ps_cleanup ends
 * the parked helpers before it returns.
 * @return 0, PS_ENETDOWN or PS_ENOTSUP
 */
PS_API int ps_init(void);
/**
 * Releases one ps_init(). Reference-counted, thread-safe; on Windows it
 * pairs with WSACleanup, on POSIX it only counts. The last one ends the
 * parked helper threads (see ps_init) and waits for them. With no
 * matching ps_init it does nothing.
 */
PS_API void ps_cleanup(void);
/**
 * The library's version.
 * @return "MAJOR.MINOR.PATCH"; a static string.
 */
PS_API const char *ps_version(void);
/**
 * Milliseconds on the monotonic clock portsock measures its deadlines with
 * (CLOCK_MONOTONIC on POSIX, QueryPerformanceCounter on Windows). It never
 * goes backwards and ignores changes of the wall-clock time; its origin is
 * arbitrary (about the boot), so only differences between two values mean
 * anything. Never fails, needs no ps_init, thread-safe. A deadline that
 * spans several calls:
 * @code
 *     int64_t end = ps_now_ms() + 2000;
 *     for each call:  int64_t left = end - ps_now_ms();
 *                     if (left <= 0) give up (timed out);
 *                     else pass (int)left as timeout_ms
 * @endcode
 * (left <= 0 must be checked: a timeout of 0 means "do not wait", not
 * "expired").
 * @return the clock's value in milliseconds
 */
PS_API int64_t ps_now_ms(void);

/* ---- Addresses ------------------------------------------------------------ */

/** Address families (the values are portsock's own, not AF_*). */
enum {
    PS_AF_UNSPEC = 0, /**< none: an empty address */
    PS_AF_INET = 4,   /**< IPv4 */
    PS_AF_INET6 = 6,  /**< IPv6 */
    PS_AF_UNIX = 1    /**< AF_UNIX (local) sockets */
};
/** Socket types. */
enum {
    PS_SOCK_STREAM = 1, /**< a stream (TCP, or AF_UNIX stream) */
    PS_SOCK_DGRAM = 2   /**< datagrams (UDP, or AF_UNIX datagrams) */
};
/** What ps_shutdown shuts down. */
enum {
    PS_SHUT_RD = 0,  /**< the receiving side */
    PS_SHUT_WR = 1,  /**< the sending side (the peer sees end of stream) */
    PS_SHUT_RDWR = 2 /**< both */
};

/** Longest text ps_addr_format can produce, terminating NUL included. */
#define PS_ADDRSTRLEN 128

/**
 * A socket address. Big enough and aligned for any sockaddr (IPv4, IPv6,
 * AF_UNIX). The
 * contents are the native sockaddr; len is its length. Zero it to make an
 * empty address (family PS_AF_UNSPEC).
 */
typedef struct ps_addr {
    uint32_t len;       /**< length of the native sockaddr */
    uint32_t reserved_; /**< unused, keeps storage aligned */
    /** The native sockaddr (struct sockaddr_in, _in6, _un). */
    union {
        unsigned char bytes[128]; /**< the sockaddr's bytes */
        uint64_t align_;          /**< alignment only */
    } storage;
} ps_addr;

/**
 * Local address of a socket. PS_EBADF for a bad socket, PS_EINVAL for NULL.
 * @param s the socket
 * @param out receives the address
 * @return 0 or a negative PS_E* code
 */
PS_API int ps_local_addr(ps_socket_t s, ps_addr *out);
/**
 * Peer address of a socket. PS_EBADF for a bad socket, PS_ENOTCONN
 * from ps_peer_addr on an unconnected socket, PS_EINVAL for NULL.
 * @param s the socket
 * @param out receives the address
 * @return 0 or a negative PS_E* code
 */
PS_API int ps_peer_addr(ps_socket_t s, ps_addr *out);
/**
 * The family of an address.
 * @param a the address (may be NULL)
 * @return PS_AF_INET, PS_AF_INET6, PS_AF_UNIX, or PS_AF_UNSPEC (also for NULL).
 */
PS_API int ps_addr_family(const ps_addr *a);
/**
 * The port (0..65535) of an IPv4/IPv6 address; PS_EINVAL otherwise.
 * @param a the address
 * @return the port, or PS_EINVAL
 */
PS_API int ps_addr_port(const ps_addr *a);
/**
 * Formats an address as text: "127.0.0.1:8080", "[::1]:8080"; AF_UNIX:
 * the path ("@name" for Linux abstract names, "(unnamed)" for an unbound socket). An IPv6 address with
 * a zone (scope id != 0) shows it after '%': the interface's name when the
 * system has one for that index ("[fe80::1%eth0]:80"), else the decimal
 * index ("[fe80::1%7]:80"); also the index when the name is longer than 63
 * bytes or all digits, so the text always parses back to the same address.
 * That name is one query of the system (no name resolution), so the text
 * follows interfaces being renamed or removed. A buffer of PS_ADDRSTRLEN
 * bytes is always enough. A buffer too small, or an address of no known
 * family: PS_EINVAL, and buf (if cap > 0) holds "". Thread-safe.
 * @param a the address
 * @param buf receives the NUL-terminated text
 * @param cap size of buf in bytes
 * @return 0 or PS_EINVAL
 */
PS_API int ps_addr_format(const ps_addr *a, char *buf, size_t cap);
/**
 * Parses a numeric address: "ip:port" or "[ipv6]:port" (port: decimal
 * digits of value 0..65535, leading zeros allowed); no name lookup. An
 * IPv6 address may carry a zone, which sets its scope id:
 * "[fe80::1%lo]:80" names an interface (looked up now; PS_EINVAL if there
 * is no such interface), "[fe80::1%2]:80" gives its index (1..4294967295,
 * taken as given, whether or not such an interface exists now). As with
 * getaddrinfo, a zone is accepted on any IPv6 address; the system gives it
 * a meaning on link-local (and multicast) addresses. IPv4 has no zones:
 * "127.0.0.1%1:80" is PS_EINVAL, as are an empty zone ("[::1%]:80") and
 * index 0. Anything else: PS_EINVAL. Thread-safe.
 * @param out receives the address
 * @param text the text to parse
 * @return 0 or PS_EINVAL
 */
PS_API int ps_addr_parse(ps_addr *out, const char *text);

/* ---- Sockets -------------------------------------------------------------- */

/**
 * A new blocking socket. family: PS_AF_INET, PS_AF_INET6, PS_AF_UNIX;
 * type: PS_SOCK_STREAM or PS_SOCK_DGRAM. Sockets made by portsock are never
 * inherited by child processes and never raise SIGPIPE (MSG_NOSIGNAL on
 * Linux, SO_NOSIGPIPE on macOS). Errors: PS_EINVAL, PS_EAFNOSUPPORT (e.g.
 * AF_UNIX where the system lacks it), PS_EMFILE, PS_ENOMEM.
 * @param out receives the socket
 * @param family PS_AF_INET, PS_AF_INET6 or PS_AF_UNIX
 * @param type PS_SOCK_STREAM or PS_SOCK_DGRAM
 * @return 0 or a negative PS_E* code
 */
PS_API int ps_socket(ps_socket_t *out, int family, int type);
/**
 * Closes the socket. PS_EBADF if it is not an open socket (a file or pipe
 * descriptor is not closed).
 * @param s the socket
 * @return 0 or a negative PS_E* code
 */
PS_API int ps_close(ps_socket_t s);
/**
 * Shuts down one or both directions of a connection.
 * how: PS_SHUT_RD, PS_SHUT_WR, PS_SHUT_RDWR. PS_ENOTCONN if unconnected.
 * @param s the socket
 * @param how PS_SHUT_RD, PS_SHUT_WR or PS_SHUT_RDWR
 * @return 0 or a negative PS_E* code
 */
PS_API int ps_shutdown(ps_socket_t s, int how);

/**
 * @page ps_port_text Port text
 * Port text, in ps_connect, ps_listen, ps_udp_open and ps_resolve alike,
 * with or without a host: a decimal number 0..65535 in digits only
 * (leading zeros allowed; "0" where a socket is bound picks an ephemeral
 * port), or a service name the system resolver knows (e.g. "http"), which
 * must start with a letter. Anything else is PS_EINVAL before any lookup:
 * "", " 80", "80 ", "+80", "-1", "0x50", "65536", "4294967376". A service
 * name the system does not know is PS_EINVAL too (from the lookup, at once
 * with a numeric host). With a "unix:" host the port is not used.
 */

/**
 * Resolves host/port and returns a connected blocking stream socket in *out
 * (PS_INVALID_SOCKET on failure). host "unix:PATH" connects to an AF_UNIX
 * socket (port ignored).
 *
 * Several addresses are raced (Happy Eyeballs v2, RFC 8305), so one silent
 * address cannot use up the deadline while another would answer:
 *  - Order: IPv6 and IPv4 addresses alternate, starting with the family of
 *    the resolver's first address; each family keeps the resolver's order.
 *  - The first attempt starts at once; the next one starts when the previous
 *    one fails, or 250 ms after the last start if it has not failed by then.
 *    Earlier attempts stay in flight: the first one that connects wins.
 *  - One deadline, timeout_ms, covers the whole call, name lookup included
 *    (see ps_resolve for how a lookup is bounded and what it costs); < 0:
 *    no deadline; 0: PS_ETIMEDOUT unless an address connects at once (a
 *    name that needs a lookup cannot).
 *  - Every other attempt's socket is closed before the call returns, on
 *    success and on failure (deadline included); nothing is left open.
 *  - If no attempt connects, the most informative error is returned:
 *    PS_ECONNREFUSED (a host answered that nothing listens) before
 *    PS_EHOSTUNREACH / PS_ENETUNREACH / PS_ENETDOWN before PS_ETIMEDOUT
 *    before any other error (e.g. PS_EAFNOSUPPORT for a family the system
 *    lacks); among equals, the first failure seen. So with one address
 *    refused and another silent, the call waits for the silent one until
 *    the deadline and then returns PS_ECONNREFUSED.
 *  - A name with one address, a numeric host and "unix:" make a single
 *    attempt with no race.
 *
 * Windows retries a refused connection for about two seconds before it
 * reports PS_ECONNREFUSED; the race still starts the next address after
 * 250 ms, but a single refused address with a shorter timeout ends in
 * PS_ETIMEDOUT there.
 * A "unix:" path where no socket file is (missing, in a missing directory,
 * through a file): PS_ECONNREFUSED, as nothing listens there.
 * Errors: PS_ECONNREFUSED, PS_ETIMEDOUT, PS_ENAME (unknown name),
 * PS_EHOSTUNREACH, PS_ENETUNREACH, PS_EINVAL, PS_ENOMEM, PS_EMFILE, ...
 * ps_native_error() gives the native code behind the error returned.
 * @param out receives the socket (PS_INVALID_SOCKET on failure)
 * @param host a name, a numeric address, or "unix:PATH"
 * @param port the port or service (see @ref ps_port_text)
 * @param timeout_ms deadline for the whole call: < 0 none, 0 no wait
 * @return 0 or a negative PS_E* code
 */
PS_API int ps_connect(ps_socket_t *out, const char *host, const char *port,
                      int timeout_ms);

/**
 * A listening stream socket. host NULL listens on all interfaces, IPv6 with
 * IPv4 mapped in where the system allows, else IPv4 only; a numeric IPv6
 * host listens on IPv6 only. IPV6_V6ONLY is always set explicitly. port "0"
 * picks an ephemeral port (read it back with ps_local_addr). Address reuse:
 * SO_REUSEADDR on POSIX, SO_EXCLUSIVEADDRUSE on Windows. host "unix:PATH"
 * listens on an AF_UNIX path (an existing file there is an error:
 * PS_EADDRINUSE; a missing directory on the way: PS_EADDRNOTAVAIL).
 * backlog <= 0 picks the system maximum. The listener is
 * non-blocking, so a timed ps_accept never blocks when another thread or
 * process takes the connection first; sockets from ps_accept are blocking.
 * A "unix:" connect to a listener whose queue is full: PS_ECONNREFUSED.
 * @param out receives the listening socket
 * @param host NULL, a numeric address, a name, or "unix:PATH"
 * @param port the port or service (see @ref ps_port_text)
 * @param backlog the queue length; <= 0 the system maximum
 * @return 0 or a negative PS_E* code
 */
PS_API int ps_listen(ps_socket_t *out, const char *host, const char *port,
                     int backlog);

/**
 * Resolves host/port (names allowed; "unix:PATH" too) for a socket of type
 * PS_SOCK_STREAM or PS_SOCK_DGRAM. Fills up to cap addresses into out, in
 * the resolver's order, and sets *count (may be NULL) to how many were
 * found, which may exceed cap. host NULL gives the wildcard addresses for
 * binding. Errors: PS_ENAME (nothing found), PS_EINVAL (port NULL without
 * "unix:", out NULL with cap > 0, bad type), PS_ENOMEM, PS_EMFILE (out of
 * descriptors, so the system resolver could not read its files or reach a
 * server: also for a service name, and in ps_connect, ps_listen and
 * ps_udp_open), PS_ETIMEDOUT / PS_EWOULDBLOCK (below). Thread-safe.
 * timeout_ms < 0 blocks for as long as the system resolver takes, on the
 * calling thread. With timeout_ms >= 0 a name is looked up on a helper
 * thread (one parked since an earlier job while ps_init holds the library,
 * else one started for this call: see ps_init), and the call returns
 * PS_ETIMEDOUT when the deadline passes first; the helper is then
 * abandoned: it finishes the lookup on its own (as long as the system
 * resolver takes, often seconds with a dead DNS server), frees its result
 * and ends. The cost: a hand-over to a parked helper, or one thread start
 * per timed lookup of a name (tens of microseconds: ~50 us against ~8 us
 * for a hosts-file name looked up inline, on Linux), and one thread
 * with its stack per abandoned lookup until the system resolver gives up;
 * at most 128 such helpers run at once in a process (a timed lookup of a
 * name beyond that fails with PS_ENOMEM), so a dead DNS server cannot pile
 * them up; ps_cleanup and process exit are safe while one runs.
 * timeout_ms == 0 with a name starts no lookup: PS_EWOULDBLOCK. Numeric
 * hosts (any form the system resolver takes as numeric, zones such as
 * "fe80::1%eth0" included), host NULL and "unix:" paths never need the
 * helper or the time.
 * ps_connect's timeout_ms covers its name lookup the same way (timeout 0
 * with a name: PS_ETIMEDOUT, as ps_connect reports an unfinished connect).
 * @param host a name, a numeric address, "unix:PATH", or NULL
 * @param port the port or service (see @ref ps_port_text)
 * @param type PS_SOCK_STREAM or PS_SOCK_DGRAM
 * @param out receives up to cap addresses (may be NULL if cap is 0)
 * @param cap how many addresses out holds
 * @param count receives how many were found (may be NULL)
 * @param timeout_ms deadline for a lookup: < 0 none, 0 no wait
 * @return 0 or a negative PS_E* code
 */
PS_API int ps_resolve(const char *host, const char *port, int type,
                      ps_addr *out, size_t cap, size_t *count, int timeout_ms);

/**
 * Starts connecting an existing socket (made with ps_socket) to a numeric
 * address, without resolving names: the building block for event loops.
 * Returns 0 when connected at once; on a non-blocking socket PS_EWOULDBLOCK
 * while the connect goes on (wait for PS_POLL_WRITE with ps_select, then
 * read the outcome with ps_socket_error); on a blocking socket it blocks
 * until the connect finishes or fails.
 * @param s a socket made with ps_socket
 * @param to the numeric address to connect to
 * @return 0, PS_EWOULDBLOCK while in progress, or a negative PS_E* code
 */
PS_API int ps_connect_start(ps_socket_t s, const ps_addr *to);
/**
 * Binds an existing socket (made with ps_socket) to a numeric local address
 * (from ps_addr_parse, ps_resolve, ...): a chosen source address or port
 * before ps_connect_start, or the local port of a datagram socket. Port 0
 * lets the system pick one; read it back with ps_local_addr. A plain bind:
 * IPV6_V6ONLY keeps the system's default (Linux: usually off; Windows: on)
 * and no address-reuse option (SO_REUSEADDR / SO_EXCLUSIVEADDRUSE) is set,
 * so on POSIX a port still held by a closed connection in TIME_WAIT is
 * PS_EADDRINUSE (Windows has its own rules there; Wine allows the bind).
 * Does not block. Errors: PS_EINVAL (a NULL or empty address, or a socket
 * already bound), PS_EBADF (PS_INVALID_SOCKET, or not a socket),
 * PS_EADDRINUSE, PS_EADDRNOTAVAIL (not an address of this host), PS_EACCES
 * (a privileged port); an address of another family than the socket's:
 * the system's error, which varies (Linux PS_EAFNOSUPPORT, Windows
 * PS_EAFNOSUPPORT or PS_EINVAL, Wine PS_ENOTSUP).
 * @param s a socket made with ps_socket
 * @param a the local address
 * @return 0 or a negative PS_E* code
 */
PS_API int ps_bind(ps_socket_t s, const ps_addr *a);

/**
 * Accepts one connection within timeout_ms. The new socket is blocking.
 * peer may be NULL. PS_EWOULDBLOCK (timeout 0) / PS_ETIMEDOUT when none
 * arrived. At once, whatever the timeout: PS_EINVAL for a socket that does
 * not listen (connected, unconnected or datagram), PS_EBADF for anything
 * that is no open socket (a closed value, a pipe, a file, a negative fd).
 * @param listener the listening socket
 * @param out receives the new socket
 * @param peer receives the peer's address (may be NULL)
 * @param timeout_ms < 0 waits forever, 0 does not wait, > 0 a deadline
 * @return 0 or a negative PS_E* code
 */
PS_API int ps_accept(ps_socket_t listener, ps_socket_t *out, ps_addr *peer,
                     int timeout_ms);

/** Flags of ps_accept_ex. */
enum {
    PS_ACCEPT_NONBLOCK = 1 /**< the accepted socket is non-blocking */
};
/**
 * ps_accept with flags: with PS_ACCEPT_NONBLOCK the new socket comes out
 * non-blocking, ready for an event loop, in the accept call itself where
 * the system allows it (Linux: accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC,
 * one system call; macOS and the BSDs: accept, whose socket inherits the
 * listener's O_NONBLOCK, checked with one fcntl; Windows: accept, then
 * FIONBIO, recorded as ps_set_nonblocking(s, 1) records it, so timed calls
 * on the socket know its mode). The socket is otherwise as ps_accept's
 * (non-inheritable, SIGPIPE-free). flags 0 is ps_accept. A flag per call,
 * not a listener option: the caller says what it gets where it gets it,
 * one listener may feed both kinds, and no state is kept per listener.
 * Errors: PS_EINVAL for out NULL or an unknown flag (nothing accepted), and
 * those of ps_accept. On failure *out is PS_INVALID_SOCKET and no socket
 * stays open. Thread-safe as ps_accept.
 * @param listener the listening socket
 * @param out receives the new socket
 * @param peer receives the peer's address (may be NULL)
 * @param flags 0 or PS_ACCEPT_NONBLOCK
 * @param timeout_ms < 0 waits forever, 0 does not wait, > 0 a deadline
 * @return 0 or a negative PS_E* code
 */
PS_API int ps_accept_ex(ps_socket_t listener, ps_socket_t *out, ps_addr *peer,
                        int flags, int timeout_ms);

/**
 * A datagram socket bound to host/port. host NULL with port NULL: an unbound
 * IPv4 socket. host NULL with a port: bound on every interface of both
 * families, as ps_listen(NULL, ...): an IPv6 wildcard socket with
 * IPV6_V6ONLY off, or IPv4 where IPv6 is unavailable; ps_local_addr then
 * says PS_AF_INET6 (or PS_AF_INET). Such a socket sends to IPv4 addresses
 * too (ps_sendto), and reports IPv4 senders as plain IPv4 addresses
 * (ps_recvfrom), so replies work either way. A numeric host binds that
 * address only (an IPv6 one with IPV6_V6ONLY on).
 * @param out receives the socket
 * @param host NULL or a numeric address
 * @param port NULL or the port or service (see @ref ps_port_text)
 * @return 0 or a negative PS_E* code
 */
PS_API int ps_udp_open(ps_socket_t *out, const char *host, const char *port);
/**
 * Sends one datagram to `to` (NULL: the connected peer). PS_EMSGSIZE when
 * too large for one datagram (len above INT_MAX: before any system call,
 * on every platform). A `to` that is no address (empty: len 0,
 * a len past the storage, an unknown family, too short for its family):
 * PS_EINVAL before anything is sent, on stream sockets too. An IPv4 `to`
 * from an IPv6 socket whose IPV6_V6ONLY is off is sent as its IPv4-mapped
 * form \::ffff:a.b.c.d where the system needs that (Windows, the BSDs;
 * Linux takes IPv4 as it is).
 * @param s the socket
 * @param buf the datagram
 * @param len its length
 * @param to the destination, or NULL for the connected peer
 * @param timeout_ms < 0 waits forever, 0 does not wait, > 0 a deadline
 * @return 0 or a negative PS_E* code
 */
PS_API int ps_sendto(ps_socket_t s, const void *buf, size_t len,
                     const ps_addr *to, int timeout_ms);
/**
 * Receives one datagram: *got is its length (a datagram longer than cap is
 * cut to cap and the rest discarded, returning PS_EMSGSIZE with *got == cap).
 * from may be NULL. A sender the system reports as IPv4-mapped IPv6
 * (\::ffff:a.b.c.d, an IPv4 peer of a dual-stack socket) is given back as
 * the IPv4 address a.b.c.d, which ps_sendto accepts for the reply. A cap above INT_MAX is taken as INT_MAX on every
 * platform (no datagram is longer; one system call takes no more).
 * @param s the socket
 * @param buf receives the datagram
 * @param cap size of buf
 * @param got receives the datagram's length (as cut to cap)
 * @param from receives the sender's address (may be NULL)
 * @param timeout_ms < 0 waits forever, 0 does not wait, > 0 a deadline
 * @return 0, PS_EMSGSIZE (cut), or a negative PS_E* code
 */
PS_API int ps_recvfrom(ps_socket_t s, void *buf, size_t cap, size_t *got,
                       ps_addr *from, int timeout_ms);

/* ---- Batched datagrams ----------------------------------------------------- */

/**
 * One datagram of a batch, for ps_udp_sendmsgs and ps_udp_recvmsgs: its
 * bytes, the peer, the local address and interface, the ECN bits, and
 * whether it was cut or carries several segments. One type serves both
 * directions (a send only reads it, so a const buffer may be passed by
 * casting: the library never writes through buf on a send); zero it,
 * then fill what the direction needs.
 *
 * A send reads buf, len, peer (len 0: the connected peer), local (len 0:
 * the system's choice of source address; else its IP is the source, and
 * its port must be 0, meaning the socket's own, or the socket's own port:
 * a datagram cannot leave from another; see ps_udp_sendmsgs), ifindex (0: the system's choice; else the
 * interface to leave by), ecn (0: the socket's own TOS / traffic class;
 * 1..3: those ECN bits, with DSCP 0) and segment_size (below).
 *
 * A receive reads buf and len (the capacity) and writes len (the bytes
 * received, at most the capacity), peer (the sender; an IPv4 sender of a
 * dual-stack socket as plain IPv4, as ps_recvfrom reports it), local and
 * ifindex (the address the datagram was sent to, as plain IPv4 for IPv4
 * traffic of a dual-stack socket, port 0, and the interface it arrived
 * on; empty and 0 unless ps_set_recv_pktinfo is on), ecn (the ECN bits it
 * arrived with; 0 unless ps_set_recv_ecn is on), truncated (1 when the
 * datagram was longer than the capacity: its head is in buf, the rest is
 * lost) and segment_size.
 *
 * segment_size, send: 0 or at least len: one datagram. Otherwise buf
 * holds datagrams of segment_size bytes each, the last one possibly
 * shorter (so len / segment_size rounded up of them), all to the same
 * peer: with send segmentation (PS_UDP_OFFLOAD_SEND, see ps_udp_offload)
 * the system cuts them, in one call for the message, else portsock sends
 * them one by one. Where the system refuses to cut a message it was
 * offered (Linux: EIO when the route's device cannot checksum or segment
 * it; EINVAL for a socket with SO_NO_CHECK or a segment above the path
 * MTU), portsock sends that message, and the later segmented ones of the
 * same call, one by one as well: no error comes of the refusal itself,
 * and an error is then that of one datagram.
 *
 * segment_size, receive: 0 for one datagram. Nonzero only on a socket
 * with receive coalescing on (PS_UDP_OFFLOAD_RECV): the system joined
 * several datagrams of one sender into buf, each segment_size bytes long
 * but the last, which may be shorter; the caller splits them (every
 * datagram boundary is given, none is lost). Such a message can be up to
 * 65,535 bytes long: give a coalescing socket buffers that large, or
 * datagrams are cut (truncated).
 */
typedef struct ps_udp_msg {
    void *buf;           /**< the bytes (send) or where they go (receive) */
    size_t len;          /**< bytes to send; receive: capacity in, bytes out */
    ps_addr peer;        /**< destination (send) or sender (receive) */
    ps_addr local;       /**< source (send) or the address it arrived on */
    uint32_t ifindex;    /**< interface to leave by, or that it arrived on */
    int ecn;             /**< the ECN bits, 0..3 */
    int truncated;       /**< receive: 1 when cut to the capacity */
    size_t segment_size; /**< several datagrams of this size in buf, or 0 */
} ps_udp_msg;

/**
 * Offloads for ps_udp_offload: flags of want and got. Send segmentation:
 * one call hands the system a message of many segments, which it cuts
 * into datagrams (Linux UDP_SEGMENT, Windows UDP_SEND_MSG_SIZE). Receive
 * coalescing: the system joins datagrams of one sender into one message,
 * its segment size reported (Linux UDP_GRO, Windows
 * UDP_RECV_MAX_COALESCED_SIZE).
 */
enum {
    PS_UDP_OFFLOAD_SEND = 1, /**< send segmentation */
    PS_UDP_OFFLOAD_RECV = 2  /**< receive coalescing */
};

/**
 * Sends the messages msgs[0..n) in order, each as one datagram (or, with
 * segment_size, several; see ps_udp_msg), in as few system calls as the
 * platform allows: Linux sendmmsg (up to 64 messages a call), macOS and
 * the BSDs one sendmsg per message, Windows one WSASendMsg per message.
 * *done (may be NULL) is how many messages left: exactly, on success (n)
 * and on every failure, timeout included, so msgs[*done] is the first
 * that did not leave. A message of several segments that portsock cuts
 * itself (no send segmentation) leaves in several calls; if the call
 * fails between them, that message is not counted in *done although its
 * first datagrams left (a receiver must expect lost datagrams anyway).
 * timeout_ms covers the whole batch, as in ps_send_all: < 0 waits as long
 * as it takes, 0 does not wait (PS_EWOULDBLOCK when not even the first
 * message can leave now), > 0 a deadline (PS_ETIMEDOUT). n == 0: 0, no
 * call, after the check of s. Errors: PS_EINVAL before anything is sent for msgs NULL with
 * n > 0, a message with buf NULL and len > 0, a peer that is neither
 * empty nor an address (as ps_sendto), a local that is neither empty nor
 * an IP address, or whose port is neither 0 nor the socket's own (an
 * unbound socket has none yet), an ecn above 3; PS_EMSGSIZE (len or a segment above what
 * one datagram holds: reported when that message is reached); and those
 * of ps_sendto. An IPv4 peer of a dual-stack socket is mapped where the
 * system needs it, as by ps_sendto. The local source address is honoured
 * by Linux, macOS and the BSDs (IPv4 where IP_SENDSRCADDR exists) and
 * Windows; Wine ignores it.
 * @param s a datagram socket
 * @param msgs the messages
 * @param n how many
 * @param done receives how many messages left (may be NULL)
 * @param timeout_ms < 0 waits forever, 0 does not wait, > 0 a deadline
 * @return 0 or a negative PS_E* code
 */
PS_API int ps_udp_sendmsgs(ps_socket_t s, const ps_udp_msg *msgs, size_t n,
                           size_t *done, int timeout_ms);
/**
 * Receives up to n datagrams into msgs[0..n) (see ps_udp_msg for what each
 * gets): waits for the first within timeout_ms (< 0 forever, 0 not at all:
 * PS_EWOULDBLOCK, > 0 a deadline: PS_ETIMEDOUT), then takes those already
 * queued, up to n, without waiting again. Linux: recvmmsg (up to 64 a
 * call); macOS, the BSDs and Windows (WSARecvMsg): one call per datagram.
 * *done (may be NULL) is how many messages were filled, exactly, also on
 * failure: an error met after the first datagram ends the batch and is
 * returned, with msgs[0..*done) valid. A datagram longer than its buffer
 * is cut and flagged (truncated), not an error: the call returns 0.
 * Errors: PS_EINVAL for msgs NULL with n > 0 or a message with buf NULL
 * and a capacity; n == 0: PS_EINVAL (nothing could be received); the
 * errors of ps_recvfrom. A capacity above INT_MAX is taken as INT_MAX.
 * @param s a datagram socket
 * @param msgs the messages to fill
 * @param n how many
 * @param done receives how many were filled (may be NULL)
 * @param timeout_ms < 0 waits forever, 0 does not wait, > 0 a deadline
 *        for the first datagram
 * @return 0 or a negative PS_E* code
 */
PS_API int ps_udp_recvmsgs(ps_socket_t s, ps_udp_msg *msgs, size_t n,
                           size_t *done, int timeout_ms);
/**
 * Whether ps_udp_recvmsgs reports the local address and interface each
 * datagram arrived on (ps_udp_msg's local and ifindex): IP_PKTINFO, and
 * on an IPv6 socket IPV6_RECVPKTINFO (Windows IPV6_PKTINFO) with the IPv4
 * option too for its IPv4 traffic. macOS and the BSDs without IP_PKTINFO
 * use IP_RECVDSTADDR and IP_RECVIF for IPv4. Answering with that address
 * as the message's local sends from it (see ps_udp_sendmsgs). Errors:
 * PS_EINVAL (on not 0 or 1), PS_EBADF, PS_EAFNOSUPPORT (not an IP
 * socket), PS_ENOTSUP where the system refuses the option.
 * @param s an IPv4 or IPv6 datagram socket
 * @param on 1 or 0
 * @return 0 or a negative PS_E* code
 */
PS_API int ps_set_recv_pktinfo(ps_socket_t s, int on);
/**
 * Whether ps_udp_recvmsgs reports the ECN bits each datagram arrived with
 * (ps_udp_msg's ecn, the low 2 bits of the TOS byte or traffic class):
 * IP_RECVTOS and, on an IPv6 socket, IPV6_RECVTCLASS (with IP_RECVTOS for
 * its IPv4 traffic); Windows IP_ECN / IPV6_ECN where the system has them,
 * else IP_RECVTOS / IPV6_RECVTCLASS. Sending ECN bits needs no option
 * (ps_udp_msg's ecn). Wine 8 accepts the options, but no ECN bits arrive
 * between two of its sockets. Errors as ps_set_recv_pktinfo.
 * @param s an IPv4 or IPv6 datagram socket
 * @param on 1 or 0
 * @return 0 or a negative PS_E* code
 */
PS_API int ps_set_recv_ecn(ps_socket_t s, int on);
/**
 * Asks for segmentation offload and reports what the system gives: want
 * is a set of PS_UDP_OFFLOAD_* flags, *got (may be NULL) receives those
 * now in effect. PS_UDP_OFFLOAD_RECV turns receive coalescing on (and
 * leaving it out of want turns it off): Linux UDP_GRO, Windows
 * UDP_RECV_MAX_COALESCED_SIZE (65,535 bytes). PS_UDP_OFFLOAD_SEND reports
 * whether the system segments sends (Linux UDP_SEGMENT, 4.18 and later;
 * Windows UDP_SEND_MSG_SIZE); it changes nothing, since segment_size works
 * either way (portsock cuts the segments itself without it). An offload
 * the system lacks or refuses (macOS and the BSDs have neither; Wine 8
 * refuses both with WSAEINVAL) is left out of *got, and the call still
 * returns 0: the fallback, one datagram per system call, is always there.
 * With the environment variable PORTSOCK_UDP_PLAIN=1 at the first batch
 * call of the process, *got is always 0 and every batch call moves one
 * datagram per system call (the fallback, forced, as tests use it).
 * Errors: PS_EINVAL (an unknown flag), PS_EBADF, PS_EAFNOSUPPORT (not an
 * IP socket).
 * @param s an IPv4 or IPv6 datagram socket
 * @param want PS_UDP_OFFLOAD_* flags
 * @param got receives the offloads in effect (may be NULL)
 * @return 0 or a negative PS_E* code
 */
PS_API int ps_udp_offload(ps_socket_t s, unsigned want, unsigned *got);

/**
 * A connected pair of blocking stream sockets. POSIX: socketpair(AF_UNIX).
 * Windows: a loopback TCP connection whose accepted end is verified to be
 * the library's own connecting socket, so no other process can slip in.
 * @param pair receives the two connected sockets
 * @return 0 or a negative PS_E* code
 */
PS_API int ps_socketpair(ps_socket_t pair[2]);

/**
 * @page ps_socket_options Socket options
 * Options; on is 0 or 1. ps_set_buffer_sizes: 0 leaves one unchanged,
 * negative values are PS_EINVAL. On Windows the blocking mode cannot be
 * queried from the system; portsock remembers what ps_set_nonblocking set. A
 * socket made non-blocking by other means (ioctlsocket, WSAEventSelect)
 * should be passed to ps_set_nonblocking(s, 1) before portsock uses it with
 * a timeout, or a timed send may leave it blocking; and a socket marked so
 * should be closed with ps_close, which forgets the mark (a socket value
 * closed natively and reused could otherwise be taken as non-blocking).
 * Other values of on than 0 and 1: PS_EINVAL. An option the socket's
 * protocol lacks (TCP_NODELAY on a datagram or AF_UNIX socket):
 * PS_ENOTSUP (Wine: PS_EINVAL); SO_KEEPALIVE on a datagram socket is
 * accepted by Linux and may be refused elsewhere (PS_ENOTSUP).
 *
 * The options from ps_set_linger on: each returns 0 or a PS_E* code:
 * PS_EINVAL for an argument out of its range (on not 0 or 1, and as said
 * for each), PS_EBADF for PS_INVALID_SOCKET or anything that is no open
 * socket, PS_ENOTSUP where the platform lacks the option, and the
 * system's error otherwise.
 */

/**
 * Sets the socket's blocking mode (O_NONBLOCK / FIONBIO); see
 * @ref ps_socket_options.
 * @param s the socket
 * @param on 1: non-blocking, 0: blocking
 * @return 0 or a negative PS_E* code
 */
PS_API int ps_set_nonblocking(ps_socket_t s, int on);
/**
 * TCP_NODELAY: sends small segments without waiting (Nagle's algorithm
 * off); see @ref ps_socket_options.
 * @param s a TCP socket
 * @param on 1 or 0
 * @return 0 or a negative PS_E* code
 */
PS_API int ps_set_nodelay(ps_socket_t s, int on);
/**
 * SO_KEEPALIVE: probes an idle connection; see @ref ps_socket_options.
 * @param s the socket
 * @param on 1 or 0
 * @return 0 or a negative PS_E* code
 */
PS_API int ps_set_keepalive(ps_socket_t s, int on);
/**
 * SO_SNDBUF and SO_RCVBUF: 0 leaves one unchanged, negative values are
 * PS_EINVAL; see @ref ps_socket_options.
 * @param s the socket
 * @param sndbuf the send buffer size in bytes, or 0
 * @param rcvbuf the receive buffer size in bytes, or 0
 * @return 0 or a negative PS_E* code
 */
PS_API int ps_set_buffer_sizes(ps_socket_t s, int sndbuf, int rcvbuf);

/**
 * SO_LINGER: what ps_close does with unsent data.
 * on 1: ps_close waits up to `seconds` (0..65535) for unsent
 * data to leave; with 0 seconds the close resets the connection (RST)
 * instead, discarding unsent data. on 0: the system default (a close
 * returns at once and the data is sent in the background); seconds is
 * then ignored (but still checked). Every platform.
 * @param s the socket
 * @param on 1 to linger, 0 for the default
 * @param seconds how long a close waits (0..65535)
 * @return 0 or a negative PS_E* code
 */
PS_API int ps_set_linger(ps_socket_t s, int on, int seconds);
/**
 * An abortive close: linger on with 0 seconds, then ps_close, so a
 * connected stream peer sees PS_ECONNRESET instead of end of stream, and
 * no TIME_WAIT is left behind. Like ps_close it closes the socket in
 * every case, also when setting the option failed (that error is then
 * returned); only what is no socket (PS_EBADF) is left open.
 * @param s the socket
 * @return 0 or a negative PS_E* code (the socket is closed all the same,
 *         unless PS_EBADF)
 */
PS_API int ps_close_abort(ps_socket_t s);
/**
 * SO_REUSEPORT: several sockets, each with the option set before ps_bind,
 * may bind the same address and port. Linux spreads incoming connections
 * and datagrams over them; macOS and the BSDs deliver datagrams to
 * multicast and broadcast addresses to all, unicast to one. Windows has
 * no such option: PS_ENOTSUP (its SO_REUSEADDR is not used instead: it
 * lets any socket take over a port in use). Only for sockets made with
 * ps_socket (ps_listen and ps_udp_open bind at once).
 * @param s a socket made with ps_socket, not yet bound
 * @param on 1 or 0
 * @return 0 or a negative PS_E* code
 */
PS_API int ps_set_reuseport(ps_socket_t s, int on);
/**
 * SO_BROADCAST: lets a datagram socket send to broadcast addresses
 * (255.255.255.255, a subnet's, 127.255.255.255 on Linux); without it
 * such a send fails with PS_EACCES. Every platform.
 * @param s a datagram socket
 * @param on 1 or 0
 * @return 0 or a negative PS_E* code
 */
PS_API int ps_set_broadcast(ps_socket_t s, int on);
/**
 * The hop limit of unicast packets, 1..255: IP_TTL on an IPv4 socket,
 * IPV6_UNICAST_HOPS on an IPv6 one (and IP_TTL too for its IPv4 traffic
 * where the system takes it, Linux and Windows). The family is the
 * socket's own, bound or not. Not an IP socket (AF_UNIX):
 * PS_EAFNOSUPPORT. Every platform.
 * @param s an IPv4 or IPv6 socket
 * @param hops the hop limit, 1..255
 * @return 0 or a negative PS_E* code
 */
PS_API int ps_set_ttl(ps_socket_t s, int hops);
/**
 * Joins a multicast group on a datagram socket (and ps_leave_group
 * leaves it).
 * Joins / leaves a multicast group on a datagram socket: IP_ADD_MEMBERSHIP
 * / IP_DROP_MEMBERSHIP for an IPv4 group (224.0.0.0/4), IPV6_JOIN_GROUP /
 * IPV6_LEAVE_GROUP (Winsock: IPV6_ADD_MEMBERSHIP / _DROP_) for an IPv6 one
 * (ff00::/8); the port in `group` is ignored (bind the socket to the
 * group's port to receive). ifname names the interface ("lo", "eth0";
 * Windows: its adapter name, as in IPv6 zones) or is NULL for the system's
 * choice (the interface of the route to the group). The interface is
 * passed by index: IPv6 ipv6_mreq; IPv4 on Linux ip_mreqn, on Windows
 * ip_mreq with the index as 0.0.0.index (Winsock's convention), on macOS
 * and the BSDs MCAST_JOIN_GROUP (RFC 3678), which takes an index, else
 * ip_mreq with INADDR_ANY. An IPv4 group on an IPv6 socket with IPV6_V6ONLY off
 * (ps_udp_open(NULL, port)) applies to its IPv4 traffic where the system
 * allows it (Linux, Windows). Errors: PS_EINVAL (group NULL, not an IPv4
 * or IPv6 multicast address, ifname empty or no such interface),
 * PS_EAFNOSUPPORT (an IPv6 group on an IPv4 socket, or a socket that is
 * not IP), PS_EADDRINUSE (already joined, Linux), PS_EADDRNOTAVAIL
 * (leaving a group not joined, or an interface without multicast), the
 * system's error otherwise. Every platform.
 * @param s a datagram socket
 * @param group the group's address (its port is ignored)
 * @param ifname the interface's name, or NULL for the system's choice
 * @return 0 or a negative PS_E* code
 */
PS_API int ps_join_group(ps_socket_t s, const ps_addr *group,
                         const char *ifname);
/**
 * Leaves a multicast group joined with ps_join_group, which documents
 * both. PS_EADDRNOTAVAIL for a group not joined.
 * @param s a datagram socket
 * @param group the group's address (its port is ignored)
 * @param ifname the interface's name, or NULL for the system's choice
 * @return 0 or a negative PS_E* code
 */
PS_API int ps_leave_group(ps_socket_t s, const ps_addr *group,
                          const char *ifname);
/**
 * Whether multicast datagrams this socket sends are looped back to
 * receivers on this host (the default is on): IP_MULTICAST_LOOP /
 * IPV6_MULTICAST_LOOP by the socket's family, as ps_set_ttl. (Windows
 * applies the option on the receiving socket, POSIX on the sending one.)
 * Every platform.
 * @param s an IPv4 or IPv6 datagram socket
 * @param on 1 or 0
 * @return 0 or a negative PS_E* code
 */
PS_API int ps_set_multicast_loop(ps_socket_t s, int on);
/**
 * The hop limit of multicast datagrams sent, 0..255 (0: this host only;
 * the default is 1): IP_MULTICAST_TTL / IPV6_MULTICAST_HOPS by the
 * socket's family, as ps_set_ttl. Every platform.
 * @param s an IPv4 or IPv6 datagram socket
 * @param hops the hop limit, 0..255
 * @return 0 or a negative PS_E* code
 */
PS_API int ps_set_multicast_ttl(ps_socket_t s, int hops);

/**
 * The pending error of a socket, cleared by reading it (SO_ERROR), as a
 * portable code: 0 if none. Used after a non-blocking connect.
 * @param s the socket
 * @return 0, the pending error as a negative PS_E* code, or the call's own
 *         error (e.g. PS_EBADF)
 */
PS_API int ps_socket_error(ps_socket_t s);

/* ---- Data ----------------------------------------------------------------- */

/**
 * One transfer of up to len bytes; *sent (may be NULL) is how many moved.
 * Works on blocking and non-blocking sockets alike, as timeout_ms says: on
 * a non-blocking socket whose buffer is full, timeout_ms < 0 waits until
 * something can be sent, as on a blocking one (ps_item_write, which
 * follows the socket's mode, returns PS_EWOULDBLOCK there instead).
 * @param s the socket
 * @param buf the bytes
 * @param len how many
 * @param sent receives how many moved (may be NULL)
 * @param timeout_ms < 0 waits forever, 0 does not wait, > 0 a deadline
 * @return 0 or a negative PS_E* code
 */
PS_API int ps_send(ps_socket_t s, const void *buf, size_t len, size_t *sent,
                   int timeout_ms);
/**
 * One transfer of up to cap bytes; *got (may be NULL) is how many moved.
 * Orderly end of stream: returns 0 with *got == 0. cap == 0: PS_EINVAL
 * (it could not be told from end of stream). Works on blocking and
 * non-blocking sockets alike, as timeout_ms says: on a non-blocking socket
 * with nothing to read, timeout_ms < 0 waits until bytes or the end of
 * the stream arrive, as on a blocking one (ps_item_read, which follows the
 * socket's mode, returns PS_EWOULDBLOCK there instead).
 * @param s the socket
 * @param buf receives the bytes
 * @param cap size of buf (not 0)
 * @param got receives how many moved (may be NULL)
 * @param timeout_ms < 0 waits forever, 0 does not wait, > 0 a deadline
 * @return 0 (with *got == 0 at end of stream) or a negative PS_E* code
 */
PS_API int ps_recv(ps_socket_t s, void *buf, size_t cap, size_t *got,
                   int timeout_ms);
/**
 * Sends all len bytes (and ps_recv_all receives all len bytes).
 * Loop until all len bytes moved. On any failure, timeout included, *sent /
 * *got (may be NULL) says exactly how many bytes moved, so nothing is lost
 * silently. End of stream before len: PS_ECLOSED. The deadline covers the
 * whole loop.
 * @param s the socket
 * @param buf the bytes
 * @param len how many
 * @param sent receives how many moved (may be NULL)
 * @param timeout_ms deadline for the whole loop: < 0 none, 0 no wait
 * @return 0 or a negative PS_E* code
 */
PS_API int ps_send_all(ps_socket_t s, const void *buf, size_t len, size_t *sent,
                       int timeout_ms);
/**
 * Receives exactly len bytes, looping as ps_send_all does (see there): on
 * any failure *got says how many arrived; end of stream before len:
 * PS_ECLOSED.
 * @param s the socket
 * @param buf receives the bytes
 * @param len how many
 * @param got receives how many moved (may be NULL)
 * @param timeout_ms deadline for the whole loop: < 0 none, 0 no wait
 * @return 0 or a negative PS_E* code
 */
PS_API int ps_recv_all(ps_socket_t s, void *buf, size_t len, size_t *got,
                       int timeout_ms);

/**
 * @page ps_timed_calls Timed calls
 * Timed calls (timeout_ms >= 0). POSIX: one system call when the socket is
 * ready (MSG_DONTWAIT), as an untimed call. When the last timed attempt on
 * a socket in this direction, on this thread, found nothing to move, the
 * next one waits first (poll, then the call: two system calls) instead of
 * failing once more; every 16th such call tries first again, so a stream
 * that fills up is noticed. A frame's payload is always tried first.
 * Windows: a stream receive or a send of at most 512 bytes is a select()
 * (zero-time, or the wait) then a plain call; a larger send, ps_sendto,
 * ps_recvfrom and ps_accept switch the socket to non-blocking mode for the
 * one call and back. Winsock has no per-call "don't wait" flag, and the
 * other way round, overlapped I/O with a timeout, must cancel the I/O at
 * the deadline, which Windows may let cost the connection. So under Wine,
 * where every call is a round trip to its server, a timed wait costs
 * about 1.6-1.9 times an untimed one; natively it is one cheap select().
 * If Winsock refuses the switch back to blocking mode (it does while
 * WSAEventSelect or WSAAsyncSelect is active on the socket), the call
 * returns that error (PS_EINVAL; ps_native_error() WSAEINVAL) even though
 * its transfer went through: *sent / *got say what moved, ps_recvfrom's
 * buffer holds the datagram, and a connection ps_accept took is closed.
 * From then on the socket counts as non-blocking, as after
 * ps_set_nonblocking(s, 1), so later calls do not switch it.
 * On POSIX the blocking mode is never changed.
 * A stream socket that was never connected: POSIX fails at once
 * (PS_ENOTCONN; a send on Linux: PS_EPIPE), and so does Windows without a
 * timeout (PS_ENOTCONN); a timed call on Windows waits for its deadline,
 * as Winsock's select() shows such a socket neither readable nor writable,
 * just as while a connect is still in progress.
 */

/**
 * A buffer to send from, for ps_sendv and ps_sendv_all.
 * Gather/scatter buffers. Sends take ps_iovec (const: nothing is written);
 * receives take ps_recv_iovec, a separate type with a writable base, so a
 * receive into read-only memory does not compile instead of being cast
 * past const. Both match no system type: portsock converts them, at most
 * 64 buffers and INT_MAX bytes per system call on every platform, looping
 * for the rest, so any count is accepted. A buffer with len 0 may have
 * base NULL.
 */
typedef struct ps_iovec {
    const void *base; /**< the bytes (NULL allowed if len is 0) */
    size_t len;       /**< how many */
} ps_iovec;
/** A buffer to receive into, for ps_recvv; see ps_iovec. */
typedef struct ps_recv_iovec {
    void *base; /**< where bytes go (NULL allowed if len is 0) */
    size_t len; /**< its capacity */
} ps_recv_iovec;

/**
 * One gather transfer (sendmsg / WSASend) from the buffers in order, like
 * ps_send: *sent (may be NULL) is how many bytes moved, which may be fewer
 * than the total. All buffers empty: 0 with *sent == 0, nothing sent.
 * Errors: PS_EINVAL (iov NULL with n > 0, a NULL base with len > 0, a total
 * that does not fit size_t), and those of ps_send. (ps_send with len 0
 * does make the call, so it reports a broken connection.)
 * @param s the socket
 * @param iov the buffers
 * @param n how many buffers
 * @param sent receives how many bytes moved (may be NULL)
 * @param timeout_ms < 0 waits forever, 0 does not wait, > 0 a deadline
 * @return 0 or a negative PS_E* code
 */
PS_API int ps_sendv(ps_socket_t s, const ps_iovec *iov, size_t n, size_t *sent,
                    int timeout_ms);
/**
 * Loops until every byte of every buffer moved, as ps_send_all: on any
 * failure, timeout included, *sent (may be NULL) is exactly how many bytes
 * went (buffers counted in order).
 * @param s the socket
 * @param iov the buffers
 * @param n how many buffers
 * @param sent receives how many bytes moved (may be NULL)
 * @param timeout_ms deadline for the whole loop: < 0 none, 0 no wait
 * @return 0 or a negative PS_E* code
 */
PS_API int ps_sendv_all(ps_socket_t s, const ps_iovec *iov, size_t n,
                        size_t *sent, int timeout_ms);
/**
 * One scatter transfer (recvmsg / WSARecv) into the buffers in order, like
 * ps_recv: *got (may be NULL) is how many bytes arrived, filling each
 * buffer before the next. End of stream: 0 with *got == 0. A total capacity
 * of 0: PS_EINVAL. Other errors as ps_sendv.
 * @param s the socket
 * @param iov the buffers
 * @param n how many buffers
 * @param got receives how many bytes arrived (may be NULL)
 * @param timeout_ms < 0 waits forever, 0 does not wait, > 0 a deadline
 * @return 0 (with *got == 0 at end of stream) or a negative PS_E* code
 */
PS_API int ps_recvv(ps_socket_t s, const ps_recv_iovec *iov, size_t n,
                    size_t *got, int timeout_ms);

/**
 * Sends one frame (and ps_recv_frame receives one).
 * Framing: a 4-byte big-endian length, then the payload. A frame leaves in
 * one system call (header and payload gathered), so request/response
 * traffic never waits on Nagle's algorithm and the peer's delayed ACK;
 * only what the kernel did not take goes in further calls.
 * ps_send_frame: len > UINT32_MAX -> PS_EMSGSIZE (nothing sent). On another
 * failure part of the frame may have been sent; the stream is then out of
 * step and should be closed.
 * ps_recv_frame: reads one frame into buf; *len is the payload length. If
 * the announced length exceeds cap: PS_EMSGSIZE with *len set to the
 * announced length and the payload left unread, so the caller may read it
 * (e.g. ps_recv_all) or close. Never allocates. End of stream before a
 * header starts: PS_ECLOSED with *len == 0
 * A timeout or error after part of a frame was read leaves the stream out
 * of step (those bytes are consumed); close it.
 * @param s a stream socket
 * @param buf the payload
 * @param len its length (at most UINT32_MAX)
 * @param timeout_ms deadline for the whole frame: < 0 none, 0 no wait
 * @return 0 or a negative PS_E* code
 */
PS_API int ps_send_frame(ps_socket_t s, const void *buf, size_t len,
                         int timeout_ms);
/**
 * Receives one frame into buf (see ps_send_frame for the format and the
 * rules): *len is the payload length; PS_EMSGSIZE with the payload left
 * unread if it exceeds cap; PS_ECLOSED with *len == 0 at end of stream
 * before a header starts.
 * @param s a stream socket
 * @param buf receives the payload
 * @param cap size of buf
 * @param len receives the payload length (the announced one on PS_EMSGSIZE)
 * @param timeout_ms deadline for the whole frame: < 0 none, 0 no wait
 * @return 0 or a negative PS_E* code
 */
PS_API int ps_recv_frame(ps_socket_t s, void *buf, size_t cap, size_t *len,
                         int timeout_ms);

/* ---- Buffered connections: ps_conn ----------------------------------------
 *
 * A connection for event loops: a send queue that never blocks, a receive
 * buffer that hands out complete lines and frames, and the events to wait
 * for. It wraps a socket, or any transport (ps_conn_transport; portsock_tls
 * provides one for a TLS connection).
 */

/** A buffered connection (opaque). Used by one thread at a time. */
typedef struct ps_conn ps_conn;

/**
 * The transport a ps_conn moves its bytes through: a plain socket
 * (ps_conn_new provides it) or another layer such as TLS
 * (ps_tls_conn_new in portsock_tls). Public, because portsock_tls is
 * built on portsock's public API alone, and so that a user may plug in a
 * layer of their own (compression, a test double). No call may block.
 * Every function gets the ctx given to ps_conn_new_transport.
 */
typedef struct ps_conn_transport {
    /** Sends from the buffers in order, as much as can go now (a partial
     *  count means the transport is full for now): 0 with *sent (which may
     *  be 0), PS_EWOULDBLOCK when nothing could go, or a PS_E* error, which
     *  ends the connection. n 0 (iov NULL): only the next step of the
     *  transport's own work (a handshake), called by ps_conn_flush when
     *  nothing is queued and wants says something. */
    int (*send)(void *ctx, const ps_iovec *iov, size_t n, size_t *sent);
    /** Receives up to cap bytes: 0 with *got > 0, 0 with *got == 0 at end
     *  of stream, PS_EWOULDBLOCK when nothing is there, or a PS_E* error. */
    int (*recv)(void *ctx, void *buf, size_t cap, size_t *got);
    /** PS_POLL_READ / PS_POLL_WRITE the transport itself needs now (a TLS
     *  handshake, or a send that waits for the peer's data); may be NULL
     *  (none). */
    unsigned (*wants)(void *ctx);
    /** Bytes recv can give without waiting for the socket (TLS data already
     *  decrypted); may be NULL (none). */
    size_t (*pending)(void *ctx);
    /** Closes the transport and its socket and frees ctx: 0 or a PS_E*
     *  code. */
    int (*close)(void *ctx);
} ps_conn_transport;

/**
 * Limits of a ps_conn; a field of 0 takes its default. ps_conn_new and
 * ps_conn_new_transport copy them.
 */
typedef struct ps_conn_limits {
    size_t high_water; /**< queued bytes at which ps_conn_over_high_water
                            says 1 (default 64 KiB) */
    size_t max_queued; /**< most bytes the send queue holds: a send that
                            would queue more fails (default: no limit) */
    size_t max_line;   /**< longest line, without its "\n" (default 64 KiB) */
    size_t max_frame;  /**< largest frame payload (default 1 MiB) */
} ps_conn_limits;

/**
 * A connection's counts. Exact: accepted == sent + queued + dropped at
 * every moment.
 */
typedef struct ps_conn_stats {
    uint64_t accepted; /**< bytes ps_conn_send / _send_frame took (frame
                            headers included) */
    uint64_t sent;     /**< bytes the transport took (the kernel's buffer,
                            or TLS; whether the peer read them is unknown) */
    uint64_t dropped;  /**< bytes accepted but never sent: the queue when the
                            connection failed (a reset) or was closed */
    uint64_t received; /**< bytes read from the transport */
    size_t queued;     /**< bytes in the send queue now */
} ps_conn_stats;

/**
 * Wraps a connected stream socket in a ps_conn, which then owns it
 * (ps_conn_close closes it) and switches it to non-blocking mode. Register
 * ps_conn_socket(c) in a poller for ps_conn_wants(c). limits may be NULL
 * (every default). Allocates the connection only: the queue and the
 * receive buffer grow when first needed. Errors: PS_EINVAL (out NULL),
 * PS_EBADF (s is no socket), PS_ENOMEM. On failure *out is NULL and the
 * socket stays the caller's (its mode may have been switched).
 * @param out receives the connection
 * @param s a connected stream socket
 * @param limits the limits, or NULL
 * @return 0 or a negative PS_E* code
 */
PS_API int ps_conn_new(ps_conn **out, ps_socket_t s,
                       const ps_conn_limits *limits);
/**
 * A ps_conn over another transport: ctx is handed to every function of t,
 * and t->close(ctx) runs when the connection is closed (not when this call
 * fails). s is the socket to register in a poller (ps_conn_socket); the
 * transport, not ps_conn, sets its mode. t is copied. Errors: PS_EINVAL
 * (out or t NULL, or t without send, recv or close), PS_ENOMEM. On failure
 * *out is NULL and ctx stays the caller's.
 * @param out receives the connection
 * @param s the socket to wait on
 * @param t the transport's functions
 * @param ctx the transport's state
 * @param limits the limits, or NULL
 * @return 0 or a negative PS_E* code
 */
PS_API int ps_conn_new_transport(ps_conn **out, ps_socket_t s,
                                 const ps_conn_transport *t, void *ctx,
                                 const ps_conn_limits *limits);
/**
 * Closes the transport (the socket) and frees the connection, at once:
 * what is still queued is dropped and counted (call ps_conn_flush until
 * ps_conn_queued is 0 first for a complete send). *dropped (may be NULL)
 * receives every byte the connection dropped, this queue and any dropped
 * when it failed before. NULL does nothing (0, *dropped 0). Pointers from
 * ps_conn_read_line / _read_frame die with it.
 * @param c the connection, or NULL
 * @param dropped receives the bytes dropped (may be NULL)
 * @return 0, or the error of closing the transport (it is closed anyway)
 */
PS_API int ps_conn_close(ps_conn *c, uint64_t *dropped);
/**
 * The socket to register in a poller. PS_INVALID_SOCKET for NULL.
 * @param c the connection
 * @return the socket
 */
PS_API ps_socket_t ps_conn_socket(const ps_conn *c);
/**
 * Sends len bytes without blocking: sent at once as far as the transport
 * takes them (no copy then), the rest copied to the send queue, behind
 * whatever is queued already (then nothing is tried now: order is kept, and
 * ps_conn_flush sends on write readiness). Check ps_conn_over_high_water
 * afterwards to stop reading from this connection's source, or drop it.
 * Errors, nothing accepted: PS_EINVAL (c NULL, buf NULL with len > 0),
 * PS_ENOMEM when the bytes queued plus len exceed limits.max_queued
 * (checked before anything is tried, so the outcome does not depend on
 * how much the kernel would have taken), the connection's error once it
 * failed. The transport's error (PS_ECONNRESET, PS_EPIPE,
 * ...), or PS_ENOMEM when the queue cannot grow: the connection fails, the
 * bytes are accepted and whatever did not go counted as dropped, with the
 * rest of the queue. len 0: 0, nothing sent.
 * @param c the connection
 * @param buf the bytes
 * @param len how many
 * @return 0 or a negative PS_E* code
 */
PS_API int ps_conn_send(ps_conn *c, const void *buf, size_t len);
/**
 * ps_conn_send for one frame in ps_send_frame's format (a 4-byte
 * big-endian length, then the payload), header and payload in one gather
 * send when the queue is empty. len above UINT32_MAX: PS_EMSGSIZE, nothing
 * accepted. Other errors as ps_conn_send.
 * @param c the connection
 * @param buf the payload
 * @param len its length
 * @return 0 or a negative PS_E* code
 */
PS_API int ps_conn_send_frame(ps_conn *c, const void *buf, size_t len);
/**
 * ps_conn_send without the attempt: the bytes are copied to the end of the
 * send queue and nothing is sent until ps_conn_flush. For a loop that
 * gives one connection many small messages in a turn (a chat broadcast):
 * one ps_conn_flush per connection at the end of the turn sends them all
 * in one system call, where ps_conn_send would make one each. ps_conn_wants
 * has PS_POLL_WRITE while the queue is not empty; the high-water mark and
 * limits.max_queued apply as for ps_conn_send. Errors, nothing accepted:
 * PS_EINVAL (c NULL, buf NULL with len > 0), PS_ENOMEM when the bytes
 * queued plus len exceed limits.max_queued, the connection's error once
 * it failed. PS_ENOMEM when the queue cannot grow: the connection fails,
 * the bytes are accepted and counted as dropped, with the rest of the
 * queue. len 0: 0. Never touches the transport.
 * @param c the connection
 * @param buf the bytes
 * @param len how many
 * @return 0 or a negative PS_E* code
 */
PS_API int ps_conn_queue(ps_conn *c, const void *buf, size_t len);
/**
 * Sends from the queue what the transport takes now; call it when the
 * socket is writable (ps_conn_wants has PS_POLL_WRITE while the queue is
 * not empty, except while the transport's send waits for something else:
 * a TLS handshake waiting for the peer makes it PS_POLL_READ until the
 * next ps_conn_fill). 0 also when bytes remain queued. A transport error
 * (PS_ECONNRESET, PS_EPIPE, ...) fails the connection: the queue is
 * dropped and counted, and this and every later send, flush and fill
 * return that error. PS_EINVAL for c NULL.
 * @param c the connection
 * @return 0 or a negative PS_E* code
 */
PS_API int ps_conn_flush(ps_conn *c);
/**
 * Reads what has arrived into the receive buffer, without blocking; call
 * it when the socket is readable, then take lines, frames or bytes out.
 * One receive from the socket (a TLS transport's decrypted data is drained
 * too, so nothing waits in memory unseen). *got (may be NULL) is how many
 * bytes came. Returns 0 (also with *got 0: nothing there, or the buffer
 * holds a full line or frame's worth not yet taken), PS_ECLOSED once the
 * peer's end of stream was read, also by this call together with bytes
 * (*got > 0; what is buffered can still be taken), or
 * a transport error, which fails the connection as ps_conn_flush
 * describes (buffered bytes can still be taken). PS_EINVAL for c NULL.
 * Pointers from ps_conn_read_line / _read_frame are valid until the next
 * ps_conn_fill or ps_conn_close.
 * @param c the connection
 * @param got receives how many bytes were read (may be NULL)
 * @return 0 or a negative PS_E* code
 */
PS_API int ps_conn_fill(ps_conn *c, size_t *got);
/**
 * Takes one complete line from the receive buffer, without blocking:
 * *line points at it inside the buffer (no copy, not NUL-terminated) and
 * *len is its length without the "\n" (a "\r" before it is kept). Returns
 * PS_EWOULDBLOCK when no complete line is buffered. A line longer than
 * limits.max_line: PS_EMSGSIZE (with *len the bytes seen so far), and the
 * whole line up to its "\n" is discarded, also what arrives later, so the
 * next call returns the line after it: the connection stays usable. After
 * the peer's end of stream the last bytes without a "\n" are returned as a
 * line, then PS_ECLOSED; after a failure the complete lines still come,
 * then the failure (a partial line is not returned). PS_EINVAL for a NULL
 * argument.
 * @param c the connection
 * @param line receives a pointer to the line
 * @param len receives its length
 * @return 0 or a negative PS_E* code
 */
PS_API int ps_conn_read_line(ps_conn *c, const char **line, size_t *len);
/**
 * Takes one complete frame (ps_send_frame's format) from the receive
 * buffer, without blocking: *payload points at it inside the buffer and
 * *len is its length. PS_EWOULDBLOCK when no complete frame is buffered.
 * An announced length above limits.max_frame: PS_EMSGSIZE with *len the
 * announced length; that frame is discarded (also what arrives later), and
 * the next call returns the frame after it. After the peer's end of stream
 * (or a failure), with no complete frame buffered: PS_ECLOSED (or the
 * failure), a partial frame left unread. PS_EINVAL for a NULL argument.
 * @param c the connection
 * @param payload receives a pointer to the payload
 * @param len receives its length
 * @return 0 or a negative PS_E* code
 */
PS_API int ps_conn_read_frame(ps_conn *c, const void **payload, size_t *len);
/**
 * Copies up to cap buffered bytes into buf: 0 with *got > 0,
 * PS_EWOULDBLOCK when none are buffered, PS_ECLOSED (or the failure) when
 * none are and none will come. PS_EINVAL for a NULL argument or cap 0.
 * @param c the connection
 * @param buf receives the bytes
 * @param cap size of buf
 * @param got receives how many were copied
 * @return 0 or a negative PS_E* code
 */
PS_API int ps_conn_read(ps_conn *c, void *buf, size_t cap, size_t *got);
/**
 * The events to register for now: PS_POLL_READ until the peer's end of
 * stream was read, PS_POLL_WRITE while the queue is not empty, and what the
 * transport needs (a TLS handshake may need either). While the queue's
 * last send stopped because the transport waits to read (a TLS handshake
 * waiting for the peer), the queue asks for PS_POLL_READ instead of
 * PS_POLL_WRITE until the next ps_conn_fill, so a writable socket does not
 * wake the loop for a send that cannot go. 0 once the connection
 * failed, or for NULL.
 * @param c the connection
 * @return PS_POLL_* bits
 */
PS_API unsigned ps_conn_wants(const ps_conn *c);
/**
 * Bytes in the send queue (0 for NULL).
 * @param c the connection
 * @return the count
 */
PS_API size_t ps_conn_queued(const ps_conn *c);
/**
 * 1 when the queue holds limits.high_water bytes or more: time to stop
 * feeding this connection (stop reading its source) or to drop the peer;
 * else 0 (also for NULL).
 * @param c the connection
 * @return 1 or 0
 */
PS_API int ps_conn_over_high_water(const ps_conn *c);
/**
 * The connection's counts (see ps_conn_stats). PS_EINVAL for a NULL
 * argument.
 * @param c the connection
 * @param out receives the counts
 * @return 0 or PS_EINVAL
 */
PS_API int ps_conn_get_stats(const ps_conn *c, ps_conn_stats *out);

/* ---- Readiness: ps_select ------------------------------------------------
 *
 * One wait for any mix of sockets, pipes, console input and files, on every
 * platform, for any number of items (no FD_SETSIZE, 64-handle or
 * RLIMIT_NOFILE limit; one socket or fd may be in several items).
 */
/** Readiness bits of ps_pollitem.events / .revents and ps_event.revents. */
enum {
    PS_POLL_READ = 1,     /**< asked for and reported: a read will not block
                           * (data, end of stream, a pending connection on a
                           * listener, or a pending error) */
    PS_POLL_WRITE = 2,    /**< asked for and reported: a write will not block
                           * (includes a finished non-blocking connect) */
    PS_POLL_ERROR = 4,    /**< reported only: an error is pending; a failed
                           * non-blocking connect reports WRITE|ERROR to an
                           * item that asks for WRITE (on Windows only
                           * such an item learns of it), and
                           * ps_socket_error() gives the code */
    PS_POLL_HUP = 8,      /**< reported only: the peer closed its sending side,
                           * or the other end of a pipe is gone */
    PS_POLL_INVALID = 16, /**< reported only: not a valid open socket, fd or
                           * handle; counts as ready, never fails the call */
    PS_POLL_ONESHOT = 32, /**< ps_poller only, asked for: after one report the
                           * item is disarmed until ps_poller_modify */
    PS_POLL_TIMER = 64    /**< ps_poller only, reported only: the event is a
                           * timer's expiry (ps_poller_timer), alone */
};
/** Kinds of item: which field of ps_pollitem names it. */
enum {
    PS_KIND_SOCKET, /**< a socket, in ps_pollitem.sock */
    PS_KIND_FD,     /**< a POSIX fd or a Windows C runtime fd, in
                     *   ps_pollitem.fd */
    PS_KIND_HANDLE  /**< a Windows HANDLE, in ps_pollitem.handle */
};

/** One item to wait on: a socket, an fd or a handle, and its events. */
typedef struct ps_pollitem {
    int kind;         /**< which of the three fields below is used */
    ps_socket_t sock; /**< PS_KIND_SOCKET */
    int fd;           /**< PS_KIND_FD: a POSIX fd, or a C runtime fd on
                          * Windows (0 is standard input on both) */
    void *handle;     /**< PS_KIND_HANDLE: a Windows HANDLE; PS_ENOTSUP
                          * elsewhere */
    unsigned events;  /**< PS_POLL_READ | PS_POLL_WRITE */
    unsigned revents; /**< filled in by ps_select */
} ps_pollitem;

/**
 * Waits until at least one item is ready or the timeout passes (-1 forever,
 * 0 poll, else a deadline on the monotonic clock; never returns early,
 * EINTR is retried with the time that remains).
 *
 * Returns the number of items whose revents is non-zero (0 on timeout), or
 * for a failure of the call as a whole: PS_EINVAL (items NULL with n > 0,
 * n > INT_MAX, an unknown kind), PS_ENOMEM, PS_ENOTSUP (PS_KIND_HANDLE on
 * POSIX). Only the bits asked for in events, plus ERROR, HUP and INVALID,
 * are reported.
 *
 * What each kind reports:
 *  - Sockets: as above on every platform. A peer's orderly close gives
 *    READ|HUP (Linux POLLRDHUP; Windows: a readable socket with no bytes
 *    waiting that WSAPoll reports closed; a peek then tells a reset,
 *    READ|HUP|ERROR).
 *  - Regular files and character devices that are not consoles (e.g. the
 *    null device): ready at once for what was asked, as POSIX does.
 *  - Pipes: READ when bytes are available, READ|HUP when the writer is gone.
 *    POSIX: poll(). Windows: PeekNamedPipe; the wait is a zero-byte ReadFile
 *    on a helper thread, which consumes nothing. WRITE on a Windows pipe is
 *    reported at once (Windows offers no cheap way to ask for pipe space).
 *    A Windows PIPE_NOWAIT read end, whose reads never wait, is checked
 *    with PeekNamedPipe at intervals of up to 20 ms, so its READ can come
 *    up to 20 ms after the data.
 *  - Console input (Windows), as a POSIX terminal: in line-input mode
 *    (ENABLE_LINE_INPUT, the default, like a canonical terminal) READ only
 *    when a complete line is queued (an Enter key-down) or ps_item_read
 *    holds bytes of a line read earlier; in raw mode (ENABLE_LINE_INPUT
 *    off) READ when a key-down event with a character is queued. Other
 *    console events (focus, mouse, key-up, resize) are removed from the
 *    queue so they cannot wake the wait again and again. While a line is
 *    incomplete its key-downs are taken from the console's queue (so the
 *    wait does not wake for them again and again) and held by portsock;
 *    they are put back, in order, when the line is complete, when
 *    ps_select returns, when the console is removed from a poller or the
 *    poller is closed, and before ps_item_read reads. So typed-ahead
 *    input is never lost, and the console's own line editing (echo,
 *    backspace) runs when the line is read; but a program that reads the
 *    console by other means (ReadConsole, fgets) while a poller watches it
 *    does not see a partial line held there. A key that arrives in the
 *    instant keys are put back can land before them.
 *  - macOS: poll() does not work on terminals; such fds are waited on with
 *    select() (with _DARWIN_UNLIMITED_SELECT, so there is no FD_SETSIZE cap).
 *
 * Side effects: none on the items. Blocking mode, pipe contents and socket
 * state are as they were (a Windows console's incomplete line is back in
 * its queue when the call returns, see above). On Windows, a call that has to wait on pipes or
 * consoles together with anything else starts one helper thread per pipe
 * and per group of up to 63 console handles; they are cancelled and joined
 * before ps_select returns. A helper whose pipe read ignores cancellation
 * (a driver's choice; Windows' and Wine's pipes honour it) is given up
 * after 1 s: ps_select returns, and the helper ends on its own when its
 * zero-byte read returns; until then the program's own synchronous reads
 * of that pipe handle wait behind it. Calls on sockets only, or that find
 * something ready at once, start no thread.
 *
 * Thread-safe: several threads may call ps_select at once on different
 * items.
 * @param items the items; revents is filled in
 * @param n how many items
 * @param timeout_ms -1 forever, 0 poll, > 0 a deadline
 * @return the number of items whose revents is non-zero (0 on timeout),
 *         or a negative PS_E* code
 */
PS_API int ps_select(ps_pollitem *items, size_t n, int timeout_ms);

/**
 * Reads from any item ps_select takes, with at most one underlying read.
 *
 * One read(2)-like transfer of up to cap bytes from a socket
 * (PS_KIND_SOCKET), an fd (PS_KIND_FD: a POSIX fd, or a C runtime fd on
 * Windows) or a Windows handle (PS_KIND_HANDLE: a pipe, a console, a
 * file). It blocks as the item's own read does (a blocking socket or pipe
 * with nothing to read waits; a non-blocking one returns PS_EWOULDBLOCK).
 * On a socket it reads as ps_recv does (end of stream, errors) except for
 * that: ps_recv(..., -1) on a non-blocking socket with nothing to read
 * waits for data, ps_item_read returns PS_EWOULDBLOCK at once; on a
 * blocking socket the two wait alike. After ps_select or ps_poller_wait
 * reported READ for the item it does not block, on any platform, as long
 * as no one else read the item in between. When another reader took the
 * data first (e.g. two threads both told READ): on POSIX a read of a
 * blocking fd then waits, as read(2) does (a non-blocking fd returns
 * PS_EWOULDBLOCK); a Windows pipe or console input never waits then.
 * There each READ report covers one ps_item_read of that handle, by any
 * thread (the reader's own report first, else one another thread was
 * given): that read checks first and returns PS_EWOULDBLOCK when the pipe
 * holds no data and its writer is still open, or when the console holds
 * no complete line (raw mode: no key); end of input still reads 0. A
 * thread told READ again before it read holds one report; a read with no
 * report left waits as before, like read(2) on a blocking fd. Reports
 * never used (the handle read by other means, or closed) are kept, at
 * most one per thread told and 8 per handle, until the handle is removed
 * from its poller, the poller is closed, or end of input is read: so a
 * new pipe that gets a closed one's handle value can see that many reads
 * that would wait return PS_EWOULDBLOCK instead. Two Windows exceptions, where
 * Windows offers no way to ask: a pipe that cannot be peeked
 * (PeekNamedPipe fails, as for a pipe from a Unix process under Wine) and
 * a character device other than a console (a serial port, NUL) are
 * reported READ at once, and a read of them may still wait. EINTR is
 * retried. Only the item's kind and sock / fd / handle are read.
 *
 * End of input (a stream peer's orderly close, a pipe whose writer is
 * gone, the end of a file, Ctrl-D on a POSIX terminal, Ctrl-Z then Enter
 * at the start of a Windows console line) returns 0 with *got == 0, as
 * ps_recv does. Ctrl-Z on a console holds on Windows only: Wine's console
 * drops the 0x1A before ReadConsoleW returns, so under Wine Ctrl-Z then
 * Enter arrives as an empty line (`"\n"`) and is no end of input there (a
 * program under Wine sees the end of a pipe or file on standard input).
 *
 * Windows: an fd is read through its handle (_get_osfhandle), bypassing
 * the C runtime, so there is no text-mode translation (bytes as they are,
 * as on POSIX) and bytes the C runtime buffered for the fd are not seen;
 * do not mix with _read / fread on the same fd. Pipes are read with
 * ReadFile (also handles opened for overlapped I/O). A console reads
 * UTF-8 (ReadConsoleW, converted), whatever the console's code page. In
 * line-input mode a whole line is read into a buffer inside portsock
 * (one per process, as a process has one console) and served from there,
 * so a cap smaller than the line loses nothing and ps_select reports READ
 * while bytes of it remain; the line ends in `"\n"` (not `"\r\n"`), as on a
 * POSIX terminal. In raw mode the characters are returned as typed (Enter
 * is `"\r"`). Console reads from several threads are serialized: a
 * console read that waits (one with no report left, see above) also holds
 * up other threads' ps_select checks of the console until it returns;
 * ps_poller_wait does not wait for it (it leaves the console to that read
 * and watches it).
 *
 * @param item  the item (kind and sock / fd / handle)
 * @param buf   where the bytes go
 * @param cap   room in buf, at least 1; more than INT_MAX is taken as
 *              INT_MAX (one system call takes no more on any platform)
 * @param got   how many bytes arrived (0 at end of input)
 * @return 0, or PS_EINVAL (item, buf or got NULL, cap 0, an unknown
 *         kind), PS_ENOTSUP (PS_KIND_HANDLE on POSIX), PS_EBADF (not an
 *         open socket, fd or handle, or not open for reading),
 *         PS_EWOULDBLOCK (non-blocking, nothing to read), PS_ECONNRESET,
 *         and the other errors of ps_recv for sockets.
 */
PS_API int ps_item_read(const ps_pollitem *item, void *buf, size_t cap,
                        size_t *got);

/**
 * Writes to any item ps_select takes, with at most one underlying write.
 *
 * One write(2)-like transfer of up to len bytes to a socket, an fd or a
 * Windows handle; *sent may be fewer than len (call again for the rest).
 * It blocks as the item's own write does. On a socket it writes as
 * ps_send does except for that: ps_send(..., -1) on a non-blocking socket
 * whose buffer is full waits for room, ps_item_write returns
 * PS_EWOULDBLOCK at once; on a blocking socket the two wait alike.
 * EINTR is retried. Writing to a pipe or socket whose reader is gone
 * returns PS_EPIPE (or PS_ECONNRESET for a reset socket), as ps_send does,
 * and never raises SIGPIPE: on POSIX the signal is blocked for the call
 * and a SIGPIPE it caused is discarded.
 *
 * Windows: an fd is written through its handle, with no text-mode
 * translation (`"\n"` stays `"\n"`). A console screen buffer takes UTF-8,
 * shown with WriteConsoleW whatever the console's code page; a UTF-8
 * sequence cut at the end of buf is kept by portsock and counted as sent,
 * and completed by the next console write.
 *
 * @param item  the item (kind and sock / fd / handle)
 * @param buf   the bytes (may be NULL when len is 0)
 * @param len   how many; more than INT_MAX writes at most INT_MAX
 * @param sent  how many bytes went (may be NULL)
 * @return 0, or PS_EINVAL (item NULL, buf NULL with len > 0, an unknown
 *         kind), PS_ENOTSUP (PS_KIND_HANDLE on POSIX), PS_EBADF (not an
 *         open socket, fd or handle, or not open for writing), PS_EPIPE,
 *         PS_EWOULDBLOCK (non-blocking and full), and the other errors of
 *         ps_send for sockets.
 */
PS_API int ps_item_write(const ps_pollitem *item, const void *buf, size_t len,
                         size_t *sent);

/* ---- Readiness: ps_poller ------------------------------------------------ */

/**
 * A persistent readiness set for servers: items are registered once, and a
 * wait costs the same with 10 registered items or 100,000 (Linux epoll,
 * macOS/BSD kqueue, Windows an I/O completion port with AFD polls, a poll()
 * array elsewhere). Every kind ps_select takes, on Windows too: sockets,
 * pipes, console input and files in one set, with no FD_SETSIZE or
 * 64-handle limit.
 *
 * Items and bits are those of ps_select: kind and sock / fd / handle name
 * the item (one registration per socket, fd or handle: the same socket as
 * PS_KIND_SOCKET and as PS_KIND_FD is one item on POSIX); events asks for
 * PS_POLL_READ and/or PS_POLL_WRITE (0 registers the item and asks nothing:
 * only ERROR, HUP and INVALID are reported), plus PS_POLL_ONESHOT; revents
 * is not used. What each kind reports, and the failed-connect rule, are as
 * documented for ps_select; regular files are ready at once for what was
 * asked, on every wait.
 *
 * Level-triggered: an item that is ready is reported by every wait until it
 * is no longer ready (read, written, or removed). With PS_POLL_ONESHOT the
 * item is reported by one wait and then disarmed (still registered, never
 * reported) until ps_poller_modify arms it again: several threads can then
 * wait on one poller and each ready item goes to exactly one of them.
 *
 * Closing a registered item: remove it first (as epoll and wepoll ask). An
 * item closed while registered never crashes the poller; it stops being
 * reported or is reported once as PS_POLL_INVALID and dropped; modify or
 * remove of it (its number not reused yet) gives PS_EBADF and forgets it.
 * Because socket and fd numbers are reused, a new socket that gets a
 * closed item's number could be reported under the old registration's
 * data, or its ps_poller_add fail with PS_EEXIST, on some backends (poll(),
 * Windows) until a wait has dropped the old one: remove-before-close
 * avoids that everywhere. After PS_EEXIST, ps_poller_modify with the new
 * socket's events and data makes that registration the new socket's. And
 * while another descriptor still refers to the same socket or file (a dup,
 * or a copy inherited across fork), closing one without remove leaves it
 * in the kernel's set (epoll): its events keep coming for a registration
 * that is gone, are dropped, and can make waits return again and again at
 * full CPU. Remove first.
 *
 * Closing sockets on Windows: a socket is watched by AFD polls that name
 * its handle, and a reported item is polled again by that handle at the
 * start of a later wait. Closing a socket while one of its polls is
 * pending completes that poll with AFD_POLL_LOCAL_CLOSE (as wepoll, libuv
 * and mio read it), and the item is reported once as PS_POLL_INVALID and
 * dropped. A socket closed between two polls is polled again by its old
 * handle value, which may name another socket by then. On Windows itself
 * that socket is watched under the old registration until modify or remove
 * (no failure of Windows itself is known to come of it; not measured here).
 * Under Wine (seen with Wine 8.0) it is fatal when the value names a
 * socket that another thread's socket() is still setting up: Wine's server
 * aborts (server/fd.c: set_fd_events: Assertion `poll_users[user] == fd'
 * failed), and every call of every Wine process of that prefix then waits
 * forever. A poller cannot rule that out (only a duplicate handle would
 * keep the number from being reused, and it would keep the socket open
 * after the program closes it), so a program that may run under Wine must
 * remove every socket from its pollers before closing it.
 *
 * Exceptions on kqueue (macOS/BSD), which tells HUP and ERROR only along
 * with READ or WRITE: a socket or pipe registered with events 0 is told
 * nothing (once closed, modify or remove gives PS_EBADF); an error that
 * comes without end of stream (an ICMP error on a connected UDP socket)
 * gives ERROR only to an item that asks for READ, and just WRITE to one
 * that asks for WRITE alone (the next send returns the error).
 *
 * Pipes on Windows: a pipe registered for READ (or for nothing) has a
 * helper thread's zero-byte read pending on it while it is watched. On a
 * pipe handle opened for synchronous I/O, Windows runs one I/O at a time
 * per handle, so the program's own ReadFile / WriteFile on that same
 * handle waits behind the helper's read until data arrives (a synchronous
 * duplex named pipe registered for READ and written to through the same
 * handle blocks). Register such a pipe for READ only when this handle is
 * not written to, or open it for overlapped I/O; an anonymous pipe's read
 * end is not written to, and is unaffected. A pipe registered with events
 * 0 is watched for HUP until data arrives on it; from then on, until the
 * next ps_poller_modify, it is not watched (reading again would return at
 * once for the data it was not asked to report). A reported pipe or
 * console input is checked again at the start of each wait (PeekNamedPipe,
 * the console's queue), so while it is readable, or its writer is gone, it
 * is in every result, whichever item made the wait return; a one-shot one
 * is reported once. As for ps_select, a helper whose read ignores
 * cancellation is given up after 1 s on remove or close.
 *
 * Thread safety: ps_poller_add, _modify, _remove and _wake may be called
 * from any thread at any time, also while other threads wait; a change
 * takes effect for waits that start after it returns and, at the latest
 * after a wake, for a wait already in progress. Several threads may wait
 * on one poller at once (useful with PS_POLL_ONESHOT). ps_poller_close must
 * be the last call, with no other call on the poller in progress. */
typedef struct ps_poller ps_poller; /* opaque */
/** One ready item, as ps_poller_wait reports it. */
typedef struct ps_event {
    void *data;       /**< as given to ps_poller_add / _modify */
    unsigned revents; /**< PS_POLL_* bits, as ps_select reports them */
} ps_event;

/**
 * A new, empty poller in *out. Errors: PS_EINVAL (out NULL), PS_ENOMEM,
 * PS_EMFILE.
 * @param out receives the poller
 * @return 0 or a negative PS_E* code
 */
PS_API int ps_poller_open(ps_poller **out);
/**
 * Frees the poller, its descriptors and any helper threads; closes no
 * registered item. NULL does nothing.
 * @param p the poller, or NULL
 */
PS_API void ps_poller_close(ps_poller *p);
/**
 * Registers an item with events (READ | WRITE | ONESHOT) and data, which
 * comes back in ps_event.data. Errors: PS_EINVAL (NULL poller or item,
 * unknown kind, other event bits, or a descriptor the poller itself uses
 * on POSIX), PS_EEXIST (already registered),
 * PS_EBADF (not an open socket, fd or handle), PS_ENOTSUP (PS_KIND_HANDLE
 * on POSIX, or an fd/handle the system cannot wait on), PS_ENOMEM.
 * @param p the poller
 * @param item the item and its events
 * @param data given back in ps_event.data
 * @return 0 or a negative PS_E* code
 */
PS_API int ps_poller_add(ps_poller *p, const ps_pollitem *item, void *data);
/**
 * Replaces a registered item's events and data (and arms a disarmed
 * one-shot item). Errors as ps_poller_add, with PS_ENOENT for an item that
 * is not registered (a descriptor the poller itself uses among them).
 * @param p the poller
 * @param item the item and its new events
 * @param data the new data
 * @return 0 or a negative PS_E* code
 */
PS_API int ps_poller_modify(ps_poller *p, const ps_pollitem *item, void *data);
/**
 * Unregisters an item (only kind and sock / fd / handle are read). Once it
 * returns, no wait that starts afterwards reports the item. Call it before
 * closing the item (under Wine a must for sockets: see "Closing sockets on
 * Windows" above). Errors:
 * PS_EINVAL, PS_ENOENT (not registered, as a descriptor the poller itself
 * uses never is), PS_EBADF (closed meanwhile: the
 * registration is forgotten all the same), PS_ENOTSUP (PS_KIND_HANDLE on
 * POSIX, which can never be registered there).
 * @param p the poller
 * @param item the item (kind and sock / fd / handle)
 * @return 0 or a negative PS_E* code
 */
PS_API int ps_poller_remove(ps_poller *p, const ps_pollitem *item);
/**
 * Waits until at least one registered item is ready or timer is due
 * (ps_poller_timer), ps_poller_wake is called, or the timeout passes (-1 forever, 0 poll, else a deadline on the
 * monotonic clock; EINTR is retried with the time that remains). Fills up
 * to cap events (items beyond cap stay ready for the next wait) and
 * returns how many; 0 on timeout or wake. Timers due share cap with
 * ready items: see "Timers in ps_poller" below. Errors: PS_EINVAL (NULL poller
 * or events, cap 0), PS_ENOMEM.
 * @param p the poller
 * @param events receives up to cap events
 * @param cap size of events (not 0)
 * @param timeout_ms -1 forever, 0 poll, > 0 a deadline
 * @return the number of events filled in (0 on timeout or wake), or a
 *         negative PS_E* code
 */
PS_API int ps_poller_wait(ps_poller *p, ps_event *events, size_t cap,
                          int timeout_ms);
/**
 * Makes the wait in progress return now, or if none is in progress the
 * next one (at once, with 0 unless items are ready). Wakes coalesce: one
 * wait returns for any number of calls made before it. Any thread;
 * async-signal-safe on POSIX. Errors: PS_EINVAL (NULL).
 * @param p the poller
 * @return 0 or PS_EINVAL
 */
PS_API int ps_poller_wake(ps_poller *p);

/* ---- Timers in ps_poller ---------------------------------------------------
 *
 * One-shot and periodic timers on the ps_now_ms() clock, reported by
 * ps_poller_wait among the items' events: one ps_event per expiry, with
 * revents PS_POLL_TIMER and the timer's data. The same code serves every
 * backend (a heap whose earliest due time bounds each wait), so timers
 * behave alike everywhere:
 *
 *  - Never early: a timer is reported by a wait that takes it when
 *    ps_now_ms() >= its due time, never before. Timers due at different
 *    times are reported in that order; those due at the same millisecond
 *    in no set order.
 *  - Late by the wait's wake-up delay: under no load within about 1 ms on
 *    Linux (measured: bench_timers prints it). On Windows a wait sleeps in
 *    whole ticks of the system timer (15.6 ms unless a program asked for
 *    less with timeBeginPeriod), so a timer may be up to one tick late
 *    there; it is still never early. (Wine sleeps as Linux does.)
 *  - Periodic timers do not drift: each due time is the previous one plus
 *    the period. A loop that falls behind by several periods gets one
 *    report, and the next due time is the first of the series after now:
 *    missed ticks are coalesced, never delivered in a burst.
 *  - Fair: when timers are due, a wait gives I/O up to half of cap (with
 *    cap 1, every other wait) without waiting, and timers the rest; timers
 *    beyond cap stay due for the next wait. So a busy socket does not
 *    starve timers, nor do 100,000 expiring timers starve sockets.
 *  - Threads: ps_poller_timer and ps_poller_timer_cancel may be called
 *    from any thread, also while other threads wait, and cost O(log n) in
 *    the poller's timers. A timer set earlier than what a wait in progress
 *    waits for shortens that wait (without making it return 0 as
 *    ps_poller_wake does). With several threads waiting, each expiry goes
 *    to exactly one of them; the next tick of a periodic timer may go to
 *    another thread while the first still handles the previous tick.
 *  - Ids are never reused within a poller's life, so a stale id cannot
 *    cancel another timer. ps_poller_close frees every timer.
 */
/**
 * Sets a timer, reported by ps_poller_wait with revents PS_POLL_TIMER and
 * data, once when ps_now_ms() reaches due_ms (a time already past is due at
 * once) and, if period_ms > 0, again at due_ms + k * period_ms for k = 1,
 * 2, ... (missed ticks coalesced, see above) until cancelled. Due times
 * and periods beyond 2^61 ms are clamped to it. Any thread. Errors:
 * PS_EINVAL (NULL poller or id, period_ms < 0), PS_ENOMEM, or the
 * system's error when a wait in progress could not be woken to see an
 * earlier time (as ps_poller_wake's); after any error no timer is set.
 * @param p the poller
 * @param id receives the timer's id, for ps_poller_timer_cancel (never 0,
 *        never reused within the poller's life)
 * @param due_ms the first due time, on the ps_now_ms() clock
 * @param period_ms 0 for a one-shot timer, else the period
 * @param data given back in ps_event.data
 * @return 0 or a negative PS_E* code
 */
PS_API int ps_poller_timer(ps_poller *p, uint64_t *id, int64_t due_ms,
                           int64_t period_ms, void *data);
/**
 * Cancels a timer. Once it returns 0, no wait takes the timer again (a
 * wait in another thread may have taken it just before, as with
 * ps_poller_remove). Safe from any thread, and from the handling of the
 * timer's own event. Errors: PS_EINVAL (NULL poller), PS_ENOENT (no such
 * timer: a one-shot timer already reported, a timer already cancelled, or
 * an id this poller never gave).
 * @param p the poller
 * @param id as ps_poller_timer gave it
 * @return 0 or a negative PS_E* code
 */
PS_API int ps_poller_timer_cancel(ps_poller *p, uint64_t id);
/* ---- Connecting by name in an event loop: ps_connector -------------------
 */

/**
 * ps_connect for an event loop: the name lookup and the Happy Eyeballs
 * race of ps_connect, run without blocking the loop's thread. Opaque.
 *
 * How it works, and why: a connector runs ps_connect's work (the same
 * lookup within the deadline, the same race, the same error ranking) on
 * helper threads: a name's lookup on one, started by ps_connector_start,
 * and the race on another, with the attempts' sockets non-blocking; a
 * numeric host is resolved by ps_connector_start itself, which never
 * blocks. The loop watches a single item: one end of a socket pair that
 * the helper makes readable when the outcome is ready. With several attempts in
 * flight no one pollable object can stand for them all on every system
 * (Windows' AFD polls have no epoll-like descriptor to nest), while a
 * socket pair is an item every ps_poller backend and ps_select watch alike.
 * The item stays the same from start to finish, so it is registered once.
 * The cost per connector: a helper thread (parked since an earlier job
 * while ps_init holds the library, else a thread start), a second one for
 * a name's lookup, and one socket pair (on Windows a pair of loopback TCP sockets), on top of ps_connect's own work: on an
 * idle Linux machine about 0.4 ms more than a ps_connect to a numeric
 * loopback address (bench/bench_connector.c measures it under a busy
 * loop). A connect to a numeric address is no exception: its deadline
 * must wake the loop, and the helper is what does.
 *
 * Use: ps_connector_start; ps_connector_item gives the item to register
 * (PS_POLL_READ); when the loop reports it, ps_connector_finish hands out
 * the connected socket or ps_connect's error (PS_EWOULDBLOCK until then:
 * calling it early or often is harmless); ps_connector_free at the end, or
 * at any time before to cancel.
 *
 * Thread safety: one connector is used by one thread at a time; different
 * connectors are independent. Helpers count against the limit of 128
 * helper threads that ps_resolve describes (PS_ENOMEM beyond it). A
 * connector to a name with a deadline uses two of them while its lookup
 * runs (its own, and the timed lookup's, as ps_resolve's), so about 64
 * such lookups run at once; when the second cannot start, that
 * PS_ENOMEM comes from ps_connector_finish.
 */
typedef struct ps_connector ps_connector;

/**
 * Starts connecting to host/port, as ps_connect(out, host, port,
 * timeout_ms) would, without blocking: the deadline (< 0 none) covers the
 * lookup and the race from this call on, and host and port are copied.
 * Errors at once: PS_EINVAL (out or host NULL; port NULL without a
 * "unix:" host), PS_ENOMEM (also when the helper limit is reached),
 * PS_EMFILE (no descriptors for the socket pair), or what initializing the
 * network stack gives; *out is then NULL and nothing is left behind. Every
 * other error of ps_connect (an unknown name, bad port text, refused, the
 * deadline, PS_ENOMEM for a lookup's helper) comes from ps_connector_finish.
 * @param out receives the connector (NULL on failure)
 * @param host a name, a numeric address, or "unix:PATH"
 * @param port the port or service (see @ref ps_port_text)
 * @param timeout_ms deadline for the whole connect: < 0 none, 0 no wait
 * @return 0 or a negative PS_E* code
 */
PS_API int ps_connector_start(ps_connector **out, const char *host,
                              const char *port, int timeout_ms);

/**
 * Fills *item with the item to register in a ps_poller or pass to
 * ps_select: a PS_KIND_SOCKET item asking for PS_POLL_READ, the same for
 * the connector's whole life. It becomes readable once the outcome is
 * ready and stays so (level-triggered) until ps_connector_free. Remove it
 * from a poller before ps_connector_free closes it. Never fails for valid
 * arguments; does not block.
 * @param c the connector
 * @param item receives the item (kind, sock, events; revents 0)
 * @return 0, or PS_EINVAL for c or item NULL
 */
PS_API int ps_connector_item(const ps_connector *c, ps_pollitem *item);

/**
 * The outcome, without blocking: 0 with the connected socket in *out,
 * PS_EWOULDBLOCK while the lookup or the race goes on, or the error
 * ps_connect would have given for the same host, port and deadline
 * (PS_ECONNREFUSED, PS_ETIMEDOUT, PS_ENAME, PS_EINVAL for bad port text,
 * ...; ps_native_error() gives its native code). The socket is
 * non-blocking (the connector is for event loops; ps_set_nonblocking(s, 0)
 * makes it blocking) and belongs to the caller from then on; every other
 * attempt is closed. The outcome is handed out once: after it, the call
 * gives PS_EINVAL. *out is PS_INVALID_SOCKET except on success.
 * @param c the connector
 * @param out receives the connected socket
 * @return 0, PS_EWOULDBLOCK, or a negative PS_E* code (PS_EINVAL for c or
 *         out NULL, or an outcome already handed out)
 */
PS_API int ps_connector_finish(ps_connector *c, ps_socket_t *out);

/**
 * Frees a connector, cancelling whatever is still going on. NULL is
 * ignored. Remove the item from any poller first. After the call no
 * descriptor, handle or socket of the connector remains (a connected
 * socket that ps_connector_finish did not hand out is closed), and its
 * helper has done all its work (its thread ends on its own a moment
 * later), with one exception: a connector cancelled during its name
 * lookup abandons its helper as ps_resolve abandons a lookup whose
 * deadline passed. That helper holds no descriptor of the connector's
 * (only the system resolver's own, while it runs); it ends at the
 * deadline or when the system resolver returns, whichever comes first
 * (its lookup thread, as ps_resolve's, when the resolver returns), and
 * frees all it holds. A cancel during the race returns once every
 * attempt is closed: within the time a wake-up takes, not the deadline.
 * Leaves ps_native_error() as it was.
 * @param c the connector, or NULL
 */
PS_API void ps_connector_free(ps_connector *c);

/* ---- Byte order -------------------------------------------------------------
 * Safe on unaligned pointers, no undefined behaviour, branch-free. */

/**
 * Stores v at p as 2 bytes, big-endian (network order).
 * Safe on unaligned pointers.
 * @param p where the 2 bytes go (any alignment)
 * @param v the value
 */
static inline void ps_store_be16(void *p, uint16_t v)
{
    unsigned char *b = (unsigned char *)p;
    b[0] = (unsigned char)(v >> 8);
    b[1] = (unsigned char)v;
}
/**
 * Stores v at p as 4 bytes, big-endian (network order).
 * Safe on unaligned pointers.
 * @param p where the 4 bytes go (any alignment)
 * @param v the value
 */
static inline void ps_store_be32(void *p, uint32_t v)
{
    unsigned char *b = (unsigned char *)p;
    b[0] = (unsigned char)(v >> 24);
    b[1] = (unsigned char)(v >> 16);
    b[2] = (unsigned char)(v >> 8);
    b[3] = (unsigned char)v;
}
/**
 * Stores v at p as 8 bytes, big-endian (network order).
 * Safe on unaligned pointers.
 * @param p where the 8 bytes go (any alignment)
 * @param v the value
 */
static inline void ps_store_be64(void *p, uint64_t v)
{
    unsigned char *b = (unsigned char *)p;
    ps_store_be32(b, (uint32_t)(v >> 32));
    ps_store_be32(b + 4, (uint32_t)v);
}
/**
 * Stores v at p as 2 bytes, little-endian. Safe on unaligned pointers.
 * @param p where the 2 bytes go (any alignment)
 * @param v the value
 */
static inline void ps_store_le16(void *p, uint16_t v)
{
    unsigned char *b = (unsigned char *)p;
    b[0] = (unsigned char)v;
    b[1] = (unsigned char)(v >> 8);
}
/**
 * Stores v at p as 4 bytes, little-endian. Safe on unaligned pointers.
 * @param p where the 4 bytes go (any alignment)
 * @param v the value
 */
static inline void ps_store_le32(void *p, uint32_t v)
{
    unsigned char *b = (unsigned char *)p;
    b[0] = (unsigned char)v;
    b[1] = (unsigned char)(v >> 8);
    b[2] = (unsigned char)(v >> 16);
    b[3] = (unsigned char)(v >> 24);
}
/**
 * Stores v at p as 8 bytes, little-endian. Safe on unaligned pointers.
 * @param p where the 8 bytes go (any alignment)
 * @param v the value
 */
static inline void ps_store_le64(void *p, uint64_t v)
{
    unsigned char *b = (unsigned char *)p;
    ps_store_le32(b, (uint32_t)v);
    ps_store_le32(b + 4, (uint32_t)(v >> 32));
}
/**
 * Loads 2 bytes at p, big-endian (network order).
 * Safe on unaligned pointers.
 * @param p the 2 bytes (any alignment)
 * @return the value
 */
static inline uint16_t ps_load_be16(const void *p)
{
    const unsigned char *b = (const unsigned char *)p;
    return (uint16_t)((unsigned)b[0] << 8 | (unsigned)b[1]);
}
/**
 * Loads 4 bytes at p, big-endian (network order).
 * Safe on unaligned pointers.
 * @param p the 4 bytes (any alignment)
 * @return the value
 */
static inline uint32_t ps_load_be32(const void *p)
{
    const unsigned char *b = (const unsigned char *)p;
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 |
           (uint32_t)b[3];
}
/**
 * Loads 8 bytes at p, big-endian (network order).
 * Safe on unaligned pointers.
 * @param p the 8 bytes (any alignment)
 * @return the value
 */
static inline uint64_t ps_load_be64(const void *p)
{
    const unsigned char *b = (const unsigned char *)p;
    return (uint64_t)ps_load_be32(b) << 32 | ps_load_be32(b + 4);
}
/**
 * Loads 2 bytes at p, little-endian. Safe on unaligned pointers.
 * @param p the 2 bytes (any alignment)
 * @return the value
 */
static inline uint16_t ps_load_le16(const void *p)
{
    const unsigned char *b = (const unsigned char *)p;
    return (uint16_t)((unsigned)b[1] << 8 | (unsigned)b[0]);
}
/**
 * Loads 4 bytes at p, little-endian. Safe on unaligned pointers.
 * @param p the 4 bytes (any alignment)
 * @return the value
 */
static inline uint32_t ps_load_le32(const void *p)
{
    const unsigned char *b = (const unsigned char *)p;
    return (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 |
           (uint32_t)b[0];
}
/**
 * Loads 8 bytes at p, little-endian. Safe on unaligned pointers.
 * @param p the 8 bytes (any alignment)
 * @return the value
 */
static inline uint64_t ps_load_le64(const void *p)
{
    const unsigned char *b = (const unsigned char *)p;
    return (uint64_t)ps_load_le32(b + 4) << 32 | ps_load_le32(b);
}

/* Host <-> network order. Written through the byte stores so they need no
 * knowledge of the host's byte order; compilers turn them into one bswap. */
/**
 * Host to network order (16 bits), as htons does.
 * @param v a value in host order
 * @return v in network order (big-endian)
 */
static inline uint16_t ps_hton16(uint16_t v)
{
    uint16_t r;
    unsigned char b[2];
    ps_store_be16(b, v);
    memcpy(&r, b, sizeof r);
    return r;
}
/**
 * Host to network order (32 bits), as htonl does.
 * @param v a value in host order
 * @return v in network order (big-endian)
 */
static inline uint32_t ps_hton32(uint32_t v)
{
    uint32_t r;
    unsigned char b[4];
    ps_store_be32(b, v);
    memcpy(&r, b, sizeof r);
    return r;
}
/**
 * Host to network order (64 bits).
 * @param v a value in host order
 * @return v in network order (big-endian)
 */
static inline uint64_t ps_hton64(uint64_t v)
{
    uint64_t r;
    unsigned char b[8];
    ps_store_be64(b, v);
    memcpy(&r, b, sizeof r);
    return r;
}
/**
 * Network to host order (16 bits), as ntohs does.
 * @param v a value in network order (big-endian)
 * @return v in host order
 */
static inline uint16_t ps_ntoh16(uint16_t v)
{
    return ps_load_be16(&v);
}
/**
 * Network to host order (32 bits), as ntohl does.
 * @param v a value in network order (big-endian)
 * @return v in host order
 */
static inline uint32_t ps_ntoh32(uint32_t v)
{
    return ps_load_be32(&v);
}
/**
 * Network to host order (64 bits).
 * @param v a value in network order (big-endian)
 * @return v in host order
 */
static inline uint64_t ps_ntoh64(uint64_t v)
{
    return ps_load_be64(&v);
}

#ifdef __cplusplus
}
#endif

#endif /* PORTSOCK_H */
