/* SPDX-License-Identifier: MIT */
/* Small platform helpers for the tests only (threads, sleeping, clocks,
 * pipes), so the test sources themselves stay free of platform #ifdefs.
 * support_posix.c and support_win32.c implement it. */
#ifndef PS_TEST_SUPPORT_H
#define PS_TEST_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

#include "portsock.h"

typedef struct pst_thread pst_thread;

/* Starts fn(arg) on a new thread; returns NULL on failure. */
pst_thread *pst_thread_start(void (*fn)(void *arg), void *arg);
/* Waits for the thread to finish and frees it. */
void pst_thread_join(pst_thread *t);

void pst_sleep_ms(int ms);
/* Monotonic milliseconds. */
int64_t pst_now_ms(void);
/* An allowance for lateness, ms times PS_TEST_SLOWDOWN (a whole number
 * from 1 to 100 in the environment; the valgrind leg sets it), else ms.
 * For "returned within" bounds only, never for "not before" bounds. */
int64_t pst_slack_ms(int64_t ms);
/* Asserts that the time since t0 (from pst_now_ms) is at least at_least
 * ms and, when below > 0, under below ms; what names the timed call in the
 * message. */
void pst_assert_took(int64_t t0, int64_t at_least, int64_t below,
                     const char *what);
/* Nonzero when the program runs under valgrind's memcheck (the valgrind
 * leg's wrapper sets PS_UNDER_MEMCHECK). */
int pst_under_memcheck(void);
/* Nonzero when built with ThreadSanitizer (the tsan leg), which makes
 * every memory access many times dearer. */
int pst_under_tsan(void);
/* Nonzero when the program runs under qemu-user (cross builds' emulator:
 * tests/CMakeLists.txt sets PS_UNDER_QEMU), whose system-call translation
 * differs from a Linux kernel in a few checked places. */
int pst_under_qemu(void);

/* 1 when built for Linux (also under qemu-user), else 0. */
int pst_is_linux(void);
/* 1 when built for Windows, else 0. */
int pst_is_windows(void);
/* 1 when running under Wine (Windows build only), else 0. */
int pst_under_wine(void);
/* 1 when name lookup orders addresses by /etc/gai.conf: glibc, and Wine,
 * which resolves through the host's glibc (real Windows never runs the
 * namespace tests that bind one). 0 where the order cannot be configured:
 * musl sorts with a fixed RFC 6724 table, ::1 before 127.0.0.1. */
int pst_resolver_reads_gai_conf(void);

/* Raises the open-file limit to at least want; returns the new limit
 * (Windows: returns want, there is no such limit for sockets). */
long pst_raise_fd_limit(long want);
/* Sets the soft open-file limit (RLIMIT_NOFILE) to soft and returns the
 * previous soft limit, to be passed back to restore it (LONG_MAX stands for
 * no limit); -1 where there is no such limit (Windows) or it could not be
 * set. */
long pst_set_fd_limit(long soft);

/* An anonymous pipe as C runtime fds: fds[0] read end, fds[1] write end.
 * 0 on success. On Windows made with _pipe (CreatePipe underneath). */
int pst_pipe(int fds[2]);
/* write/read/close on a C runtime fd; return what the CRT call returns. */
long pst_fd_write(int fd, const void *buf, size_t len);
long pst_fd_read(int fd, void *buf, size_t len);
int pst_fd_close(int fd);

/* A unique temporary path for a file or AF_UNIX socket (not created). */
void pst_temp_path(char *buf, size_t cap, const char *tag);
int pst_remove(const char *path);

/* The port s is bound to, checked to be 1..65535 (aborts the test
 * otherwise). */
int pst_local_port(ps_socket_t s);

/* How many descriptors (POSIX: entries of /proc/self/fd or /dev/fd) or
 * handles (Windows: GetProcessHandleCount) the process holds; -1 if it
 * cannot be told (Wine has no handle count). Compare two counts to find a leak. */
long pst_open_handle_count(void);
/* How many threads the process runs; -1 if it cannot be told (POSIX
 * without /proc). */
long pst_thread_count(void);
/* The ids of up to cap of the process's threads (POSIX: /proc/self/task;
 * Windows: a thread snapshot): how many were filled, or -1 if they cannot
 * be told. Linux does not hand a thread id out again soon after. */
long pst_thread_ids(unsigned long *ids, long cap);
/* Waits (bounded by max_ms) until the process runs no more than start
 * threads, as helpers end; returns the last count (-1: no count here). */
long pst_settle_threads(long start, int max_ms);
/* Runs fn in a child process made by fork and returns its return value
 * (0..255), or -1 where there is no fork (Windows) or it failed. */
int pst_fork_run(int (*fn)(void));
/* CPU time (user + system) the process has used so far, in ms; -1 if it
 * cannot be told. */
long pst_process_cpu_ms(void);

/* The native error number this platform reports for a condition, named
 * by its POSIX errno name ("ECONNRESET") or, for conditions only Windows
 * has, its WSA name ("WSANOTINITIALISED"): the errno on POSIX, the WSA or
 * Win32 code on Windows; 0 when this platform has no such code; -1 for a
 * name neither platform's table knows (a typo in the test). */
int pst_native_error_for(const char *condition);

/* A connected TCP pair over 127.0.0.1 made with the public API (listener,
 * connect, accept). Aborts the current test on failure. */
void pst_tcp_pair(ps_socket_t *client, ps_socket_t *server);

/* 1 when a child process would inherit s (POSIX: FD_CLOEXEC is off;
 * Windows: HANDLE_FLAG_INHERIT is on), 0 when not, -1 if it cannot be
 * told. */
int pst_socket_inheritable(ps_socket_t s);

#endif
