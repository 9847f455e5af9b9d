/* SPDX-License-Identifier: MIT */
/* Private to the POSIX backend. */
#ifndef PS_POSIX_H
#define PS_POSIX_H

#include "internal.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Maps an errno value to a PS_E* code and records it. */
int ps__posix_error(int err);

/* nbmode.c: ps_set_nonblocking without its check that fd is a socket, for
 * sockets the backend has just made. */
int ps__posix_set_nonblocking(int fd, int on);

/* socket.c: makes a freshly created or accepted descriptor close-on-exec
 * and, where the system has it, SIGPIPE-free (macOS SO_NOSIGPIPE). */
int ps__posix_prepare_fd(int fd, int set_cloexec);

/* options.c: setsockopt() of an int. */
int ps__posix_set_int(int fd, int level, int name, int value);

struct pollfd;
/* After poll(): where poll() cannot handle an open fd (macOS terminals and
 * some devices report POLLNVAL), waits again with select() and rewrites
 * revents. Returns 0 or a PS_E* code; a no-op elsewhere. */
int ps__select_fixup(struct pollfd *fds, size_t n, int timeout_ms);
/* poll() revents as PS_POLL_* bits, for an item that asked for `asked`
 * (select.c; the poll() poller backend uses it too). */
unsigned ps__poll_revents(unsigned asked, short rev);

/* ---- Poller records (fdtable.c), shared by the POSIX poller backends ----
 * Registrations indexed by fd number: O(1) to find, and a record whose fd
 * was closed without ps_poller_remove only occupies its slot until that
 * number is registered again (or the poller is closed). */
typedef struct ps__fdrec {
    void *data;          /* the user's data */
    uint32_t gen;        /* registration (and arming) number, never 0;
                          * 0: slot free */
    uint32_t pos;        /* the backend's index for the item */
    unsigned events;     /* as asked: PS_POLL_READ | WRITE | ONESHOT */
    unsigned char kind;  /* the backend's: how the item is waited on */
    unsigned char armed; /* 0: a one-shot item already reported */
} ps__fdrec;
typedef struct ps__fdtable {
    ps__fdrec *recs;
    size_t cap;
    uint32_t next_gen;
} ps__fdtable;
/* The registered record for fd, or NULL (fd < 0, out of range, slot free). */
ps__fdrec *ps__fdtable_find(ps__fdtable *t, int fd);
/* A free slot for fd (growing the table) with a new gen: NULL when out of
 * memory or fd < 0. The caller fills it; ps__fdtable_clear frees it. */
ps__fdrec *ps__fdtable_claim(ps__fdtable *t, int fd);
/* A number no live record has had lately (never 0). A backend gives a
 * record a new one when it re-arms or changes it, so that a wait holding
 * a result from before (an old poll() copy, a kernel event on its way) no
 * longer matches and drops it: a one-shot item re-armed after a read is
 * never reported on the strength of the data that was read. */
uint32_t ps__fdtable_new_gen(ps__fdtable *t);
void ps__fdtable_clear(ps__fdrec *r);
void ps__fdtable_free(ps__fdtable *t);

#ifdef MSG_NOSIGNAL
#define PS__SEND_FLAGS MSG_NOSIGNAL
#else
#define PS__SEND_FLAGS 0 /* SO_NOSIGPIPE is set on the socket instead */
#endif

#endif
