/* SPDX-License-Identifier: MIT */
/* Test helpers for ps_select that need the platform (raw descriptors and
 * handles); select_support_posix.c and select_support_win32.c. */
#ifndef PS_TEST_SELECT_SUPPORT_H
#define PS_TEST_SELECT_SUPPORT_H

#include <stddef.h>

#include "portsock.h"

/* Opens an existing file read-only as a C runtime fd; -1 on failure. */
int pst_open_read(const char *path);
/* Creates (or truncates) a file and opens it write-only as a C runtime
 * fd; -1 on failure. */
int pst_open_write(const char *path);
/* Writes len bytes to a new file at path; 0 on success. */
int pst_write_file(const char *path, const void *buf, size_t len);

/* One raw recv() on the socket with no portsock logic in between: returns
 * the byte count, or -1 when the system said "would block", or -2 on
 * another error. Tells whether the socket is still blocking. */
long pst_raw_recv(ps_socket_t s, void *buf, size_t len);

/* Windows: WSAEventSelect(s, an event, FD_READ) when on, else cancels it
 * (WSAEventSelect(s, NULL, 0)). While it is active the socket is
 * non-blocking by other means than portsock's, and Winsock refuses to put
 * it back into blocking mode. 0 on success; -1 on failure and elsewhere
 * (POSIX has nothing like it). */
int pst_event_select(ps_socket_t s, int on);

/* A TCP socket bound to 127.0.0.1 on an ephemeral port but not listening:
 * a connect to *port is refused, and no other process can take the port
 * while the caller holds the socket (close it with ps_close). Returns
 * PS_INVALID_SOCKET on failure. */
ps_socket_t pst_refusing_port(int *port);
/* The same on a chosen address: a TCP socket bound to ip ("127.0.0.1" or
 * "::1") and *port (0: an ephemeral port, stored back in *port) but not
 * listening. Returns 0, PS_EADDRINUSE when the port is taken, or another
 * PS_E* code. */
int pst_refusing_port_at(ps_socket_t *out, const char *ip, int *port);

/* A listener that never answers: ip:port (port 0: an ephemeral one) with a
 * listen queue filled by unaccepted non-blocking connects, so further SYNs
 * are dropped (Linux, and Wine over Linux; Windows itself refuses them).
 * Aborts the test on failure. Close with pst_silent_close. */
#define PST_SILENT_FILL_MAX 16
typedef struct pst_silent {
    ps_socket_t listener;
    ps_socket_t fill[PST_SILENT_FILL_MAX];
    size_t nfill;
    int port;
} pst_silent;
/* 0, or PS_EADDRINUSE when port is taken (nothing is left open then). */
int pst_silent_open(pst_silent *s, const char *ip, int port);
void pst_silent_close(pst_silent *s);

/* Windows: the OS handle behind a C runtime fd; elsewhere NULL. */
void *pst_fd_handle(int fd);
/* Windows: a pipe as two OS handles made with CreatePipe (0 on success);
 * elsewhere -1. */
int pst_os_pipe(void *handles[2]);
/* Windows: CloseHandle; elsewhere nothing. */
void pst_close_handle(void *h);
/* Windows: puts a pipe handle in PIPE_NOWAIT mode (0, or -1; -1 on POSIX). */
int pst_pipe_nowait(void *h);
/* POSIX: sets O_NONBLOCK on fd (0, or -1); Windows: -1, C runtime fds
 * have no such mode. */
int pst_fd_nonblock(int fd);
/* A C runtime fd's object passed where a socket is expected: the fd itself
 * on POSIX, its OS handle on Windows (a value that names no socket when the
 * fd is a pipe or file). */
ps_socket_t pst_fd_as_socket(int fd);

/* A ps_pollitem of each kind asking for `events`; unused fields are set to
 * values no test would take for real (-1, PS_INVALID_SOCKET, NULL). */
ps_pollitem pst_sock_item(ps_socket_t s, unsigned events);
ps_pollitem pst_fd_item(int fd, unsigned events);
ps_pollitem pst_handle_item(void *h, unsigned events);

#endif
