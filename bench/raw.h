/* SPDX-License-Identifier: MIT */
/* The platform pieces the benchmarks need (raw_posix.c, raw_win32.c): the
 * raw system calls portsock is compared with, plus threads, a clock and a
 * way to start a second copy of the program, so the benchmark sources stay
 * free of platform conditionals. */
#ifndef PS_BENCH_RAW_H
#define PS_BENCH_RAW_H

#include <stddef.h>
#include <stdint.h>

#include "portsock.h"

long raw_send(ps_socket_t s, const void *buf, size_t len);
long raw_recv(ps_socket_t s, void *buf, size_t len);
/* Waits for readability on n sockets, like ps_select with PS_POLL_READ on
 * each; returns how many are ready. Any set-up it needs is timed too. */
int raw_wait_readable(const ps_socket_t *socks, size_t n, int timeout_ms);
/* Monotonic nanoseconds. */
int64_t raw_now_ns(void);
/* What the figures were measured on, e.g. "Linux" or "Windows build under
 * Wine 8.0"; a static string. */
const char *raw_platform(void);

/* Threads: fn(arg) on a new thread; NULL on failure. Join frees it. */
typedef struct raw_thread raw_thread;
raw_thread *raw_thread_start(void (*fn)(void *arg), void *arg);
void raw_thread_join(raw_thread *t);

/* Starts the running program again with args (a NULL-terminated list, put
 * after the program name). argv0 is main's argv[0], used only where the
 * running executable cannot be found otherwise. NULL on failure. */
typedef struct raw_child raw_child;
raw_child *raw_spawn_self(const char *argv0, const char *const *args);
/* Waits for the child to end and frees it; returns its exit status, or -1
 * if it could not be told (killed by a signal, wait failed). */
int raw_child_wait(raw_child *c);

/* The addresses host resolves to (any family, stream sockets), in the
 * resolver's order, as text such as "::1, 127.0.0.1" ("" when none, with
 * -1 returned). For printing only. */
int raw_resolve_text(const char *host, char *buf, size_t cap);

/* How many CPUs the process may run on; 0 when it cannot be told. The
 * set is the one the first call of this or raw_pin_thread saw: make it
 * before any thread is pinned (threads inherit a pinned thread's CPU). */
int raw_cpus_allowed(void);
/* Pins the calling thread to the slot-th CPU (0, 1, ...) of that set. 0
 * once pinned; -1 where there is no such CPU or no way to pin (only Linux
 * pins). */
int raw_pin_thread(int slot);

/* UDP, for bench_udp: the plain calls (blocking), the sender's address
 * discarded as ps_recvfrom's caller would keep it. -1 on error. */
long raw_sendto(ps_socket_t s, const void *buf, size_t len, const ps_addr *to);
long raw_recvfrom(ps_socket_t s, void *buf, size_t cap);
/* Linux sendmmsg / recvmmsg of n (at most 64) datagrams: bufs[i] holds
 * len bytes (send) or has room for cap (receive, which waits for the
 * first only and writes each length to lens[i]). How many moved, -1 on
 * error; raw_has_mmsg() is 0 where the system has neither (then both
 * return -1). */
int raw_has_mmsg(void);
int raw_sendmmsg(ps_socket_t s, void *const *bufs, size_t len, size_t n,
                 const ps_addr *to);
int raw_recvmmsg(ps_socket_t s, void *const *bufs, size_t cap, size_t n,
                 size_t *lens);
/* Sets the receive buffer to bytes, past the system's limit where the
 * process may (Linux SO_RCVBUFFORCE as root); returns the size then in
 * effect as the system reports it, -1 when unreadable. */
int raw_set_rcvbuf(ps_socket_t s, int bytes);
/* The calling thread's CPU time (user + system), nanoseconds; -1 when
 * unknown. */
int64_t raw_thread_cpu_ns(void);

/* Sleeps about ms milliseconds. */
void raw_sleep_ms(int ms);

/* An anonymous pipe (pipe() / CreatePipe): its read end as an item for
 * ps_select and ps_poller (PS_KIND_FD on POSIX, PS_KIND_HANDLE on
 * Windows), and plain blocking read / write on its ends (-1 on error).
 * NULL on failure. */
typedef struct raw_pipe raw_pipe;
raw_pipe *raw_pipe_open(ps_pollitem *read_end);
long raw_pipe_write(raw_pipe *p, const void *buf, size_t len);
long raw_pipe_read(raw_pipe *p, void *buf, size_t len);
void raw_pipe_close(raw_pipe *p);

#endif
