/* SPDX-License-Identifier: MIT */
/* Private to the Windows ps_select (select*.c). */
#ifndef PS_WIN32_SELECT_H
#define PS_WIN32_SELECT_H

#include "win32.h"

/* What an item turned out to be. */
enum {
    PS__SEL_INVALID, /* not an open socket, fd or handle */
    PS__SEL_SOCKET,
    PS__SEL_READY, /* disk file or plain character device: always ready */
    PS__SEL_PIPE,
    PS__SEL_CONIN, /* console input buffer */
    PS__SEL_CONOUT /* console screen buffer: writable, never readable */
};

typedef struct ps__sel_entry {
    int cls;
    /* A connected socket in the except set has out-of-band data, not an
     * error; it is left out of the except set while waiting so it cannot
     * wake the wait again and again. */
    int no_except;
    SOCKET s; /* PS__SEL_SOCKET */
    HANDLE h; /* the other classes */
} ps__sel_entry;

/* Winsock's fd_set is a counted array, so any number of sockets fits in a
 * block allocated for it; FD_SET would stop at FD_SETSIZE. */
typedef struct ps__fdset {
    fd_set *set;
    u_int cap;
} ps__fdset;

/* The three sets of one call, each with room for every socket item plus
 * the wake-up socket. */
typedef struct ps__sel_sets {
    ps__fdset rd, wr, ex;
} ps__sel_sets;

/* select_classify.c */

/* Fills e from the item: its class and native socket or handle. */
void ps__sel_classify(const ps_pollitem *it, ps__sel_entry *e);
/* revents for a non-socket entry, from a check that never blocks. */
unsigned ps__sel_check_other(const ps_pollitem *it, ps__sel_entry *e);
/* Nonzero if the entry can only become ready through a wait on a helper
 * thread (a pipe or console input asked for READ). */
int ps__sel_needs_helper(const ps_pollitem *it, const ps__sel_entry *e);

/* select_sock.c */

int ps__sel_sets_alloc(ps__sel_sets *ss, size_t nsock);
void ps__sel_sets_free(ps__sel_sets *ss);
/* Sets revents of every socket entry from one select() that does not
 * wait. Sockets found not to be sockets become PS__SEL_INVALID. Returns 0
 * or a PS_E* code. */
int ps__sel_scan_sockets(ps_pollitem *items, ps__sel_entry *e, size_t n,
                         ps__sel_sets *ss);
/* One select() over the socket entries and `wake` (INVALID_SOCKET: none)
 * of at most timeout_ms (-1 forever); with nothing to select on, a sleep of
 * that long. The result is not read back: the caller scans again. When
 * select() fails, entries found not to be sockets become PS__SEL_INVALID.
 * Returns 0, or a PS_E* code when select() failed for a reason a new scan
 * would not show. */
int ps__sel_wait_sockets(const ps_pollitem *items, ps__sel_entry *e, size_t n,
                         ps__sel_sets *ss, SOCKET wake, int timeout_ms);

#endif
