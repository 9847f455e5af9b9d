/* SPDX-License-Identifier: MIT */
/* Fault injection for tests/test_faults.c: signal storms, abortive closes,
 * descriptor exhaustion and a look into the kernel's socket queues.
 * fault_support_posix.c and fault_support_win32.c implement it; what a
 * platform cannot do returns -1, and the test skips with a message. */
#ifndef PS_TEST_FAULT_SUPPORT_H
#define PS_TEST_FAULT_SUPPORT_H

#include "portsock.h"

/* Starts a SIGALRM storm at the calling thread: a handler installed without
 * SA_RESTART (so blocking system calls fail with EINTR) and a timer that
 * sends the signal to this thread only, every period_us microseconds
 * (Linux: timer_create with SIGEV_THREAD_ID; other POSIX systems: a thread
 * that pthread_kill()s it). 0, or -1 where there are no signals (Windows)
 * or the storm could not start. One storm at a time. */
int pst_storm_start(long period_us);
/* How many times the handler has run since the storm started. */
long pst_storm_count(void);
/* Stops the storm, takes any signal still pending and puts the previous
 * handler back. Returns the final count. Safe without a storm. */
long pst_storm_stop(void);

/* SO_LINGER {on, 0 s}: closing s then resets the connection (RST) instead
 * of the orderly close. 0, or -1 on failure. */
int pst_linger_reset(ps_socket_t s);

/* Bytes that arrived on s and wait to be read (FIONREAD); -1 when it cannot
 * be told. */
long pst_unread_bytes(ps_socket_t s);
/* Bytes s's kernel accepted from send() that it has not transmitted yet:
 * Linux TCP SIOCOUTQNSD; 0 for an AF_UNIX stream socket, whose sends go
 * straight into the peer's queue; -1 where it cannot be told. */
long pst_unsent_bytes(ps_socket_t s);

/* Lowers the soft RLIMIT_NOFILE so that exactly `spare` more descriptors
 * can be opened (numbers are handed out lowest first: the limit is set
 * just past the spare-th free number, counting from 0). Returns the soft
 * limit to restore with pst_set_fd_limit; -1 where there is no such limit
 * (Windows) or it could not be set. */
long pst_fd_limit_spare(int spare);

#endif
