/* SPDX-License-Identifier: MIT */
/* Private helpers shared by the Winsock backend. */
#ifndef PS_WIN32_H
#define PS_WIN32_H

/* winsock2.h must come before windows.h, or windows.h drags in the
 * incompatible winsock 1 declarations. */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>

#include "internal.h"

/* Own definition so the build does not depend on <afunix.h>, which older
 * SDKs and MinGW releases lack. The layout is the one Windows 10 uses. */
#define PS__UNIX_PATH_MAX 108
typedef struct ps__win_sockaddr_un {
    ADDRESS_FAMILY sun_family;
    char sun_path[PS__UNIX_PATH_MAX];
} ps__win_sockaddr_un;

#ifndef SIO_UDP_CONNRESET
#define SIO_UDP_CONNRESET _WSAIOW(IOC_VENDOR, 12)
#endif

/* error.c: records `wsa` for ps_native_error() and returns its PS_E* code. */
int ps__win_error(int wsa);
/* The PS_E* code for a getaddrinfo() result, recorded the same way. */
int ps__win_gai_error(int rc);

/* socket.c: a new non-inheritable socket (SIO_UDP_CONNRESET disabled for
 * datagram sockets), in blocking mode. */
int ps__win_new_socket(int af, int type, SOCKET *out);
/* Clears the inherit flag; failure is harmless, so it is not reported. */
void ps__win_no_inherit(SOCKET s);
/* PS_SOCK_* -> SOCK_*, 0 if unknown. */
int ps__win_socktype(int type);

/* nbmode.c: the registry of sockets portsock knows to be non-blocking.
 * A guard makes one operation non-blocking on a socket assumed blocking;
 * the mode is shared per socket so two threads (one sending, one
 * receiving) cannot undo each other's switch. */
typedef struct ps__nb_guard {
    SOCKET s;
    int active;
} ps__nb_guard;
int ps__nb_enter(SOCKET s, ps__nb_guard *g);
/* Restores the blocking mode; preserves WSAGetLastError(). Returns 0, or
 * the WSA error when Winsock refused the switch back (e.g. WSAEINVAL while
 * WSAEventSelect is active on the socket): the socket is then recorded as
 * non-blocking, as after ps_set_nonblocking(s, 1), which it is. */
int ps__nb_leave(ps__nb_guard *g);
/* Nonzero if ps_set_nonblocking(s, 1) is in force. */
int ps__nb_is_user(SOCKET s);
/* Drops any record of s (closed, or a fresh handle reusing the value). */
void ps__nb_forget(SOCKET s);

/* io.c: for a call that may block. A socket in blocking mode can still
 * report WSAEWOULDBLOCK while another thread's timed call holds it
 * non-blocking; then wait as the blocking call would have. Returns 1 to
 * retry, 0 when err is a real failure, or a PS_E* code. */
int ps__win_block_wait(SOCKET s, int err, int want);
/* io.c: runs fn(s, ctx) (0, or a WSA error; WSAEINTR asks for another
 * run) once as how says (PS__IO_*), as ps__sendto_once runs sendto: a
 * timed call switches the socket to non-blocking mode for it. Returns 0
 * or a PS_E* code (recorded); *done says whether fn succeeded, also when
 * the switch back then failed (that error is returned). */
int ps__win_call(SOCKET s, int want, int how, int (*fn)(SOCKET s, void *ctx),
                 void *ctx, int *done);

#endif
