/* SPDX-License-Identifier: MIT */
/* Blocking mode bookkeeping. Winsock cannot report whether a socket is in
 * non-blocking mode, so portsock remembers what it set: a hash set keyed by
 * SOCKET, guarded by one SRW lock. An entry exists while the user asked for
 * non-blocking mode (ps_set_nonblocking) or while timed calls hold the
 * socket non-blocking for one operation. */
#include "win32.h"

#include <stdlib.h>

typedef struct nb_entry {
    SOCKET s;      /* INVALID_SOCKET marks an empty slot */
    unsigned temp; /* timed operations in flight */
    int user;      /* ps_set_nonblocking(s, 1) in force */
} nb_entry;

static SRWLOCK nb_lock = SRWLOCK_INIT;
static nb_entry *nb_tab;
static size_t nb_cap; /* a power of two, or 0 */
static size_t nb_used;

static size_t nb_home(SOCKET s, size_t cap)
{
    /* SOCKET values are multiples of 4; multiply to spread them. */
    uint64_t h = (uint64_t)s * UINT64_C(0x9E3779B97F4A7C15);
    return (size_t)(h >> 32) & (cap - 1);
}

static nb_entry *nb_find(SOCKET s)
{
    size_t i;
    if (nb_cap == 0)
        return NULL;
    for (i = nb_home(s, nb_cap); nb_tab[i].s != INVALID_SOCKET;
         i = (i + 1) & (nb_cap - 1)) {
        if (nb_tab[i].s == s)
            return &nb_tab[i];
    }
    return NULL;
}

static nb_entry *nb_place(nb_entry *tab, size_t cap, SOCKET s)
{
    size_t i = nb_home(s, cap);
    while (tab[i].s != INVALID_SOCKET)
        i = (i + 1) & (cap - 1);
    tab[i].s = s;
    return &tab[i];
}

static int nb_grow(void)
{
    size_t cap = nb_cap ? nb_cap * 2 : 16, i;
    nb_entry *tab;
    if (cap < nb_cap || cap > SIZE_MAX / sizeof *tab)
        return -1;
    /* calloc, not malloc: clang's analyzer cannot follow the loop below
     * that marks every slot empty, and took a slot for unset. */
    tab = (nb_entry *)calloc(cap, sizeof *tab);
    if (tab == NULL)
        return -1;
    for (i = 0; i < cap; i++) {
        tab[i].s = INVALID_SOCKET;
        tab[i].temp = 0;
        tab[i].user = 0;
    }
    for (i = 0; i < nb_cap; i++) {
        if (nb_tab[i].s != INVALID_SOCKET)
            *nb_place(tab, cap, nb_tab[i].s) = nb_tab[i];
    }
    free(nb_tab);
    nb_tab = tab;
    nb_cap = cap;
    return 0;
}

/* A new empty entry for s, which must not be present. */
static nb_entry *nb_insert(SOCKET s)
{
    /* Keep the load at most one half so probes stay short. */
    if ((nb_used + 1) * 2 > nb_cap && nb_grow() != 0)
        return NULL;
    nb_used++;
    return nb_place(nb_tab, nb_cap, s);
}

static void nb_remove(const nb_entry *e)
{
    size_t mask = nb_cap - 1;
    size_t i = (size_t)(e - nb_tab), j = i;
    /* Backward-shift deletion: no tombstones, lookups stay exact. */
    for (;;) {
        size_t k;
        j = (j + 1) & mask;
        if (nb_tab[j].s == INVALID_SOCKET)
            break;
        k = nb_home(nb_tab[j].s, nb_cap);
        /* The entry at j may stay only if its home lies in (i, j]. */
        if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
            continue;
        nb_tab[i] = nb_tab[j];
        i = j;
    }
    nb_tab[i].s = INVALID_SOCKET;
    nb_tab[i].temp = 0;
    nb_tab[i].user = 0;
    if (--nb_used == 0) {
        free(nb_tab);
        nb_tab = NULL;
        nb_cap = 0;
    }
}

static int set_fionbio(SOCKET s, int on)
{
    u_long v = on ? 1 : 0;
    return ioctlsocket(s, FIONBIO, &v) == 0 ? 0 : WSAGetLastError();
}

int ps__nb_is_user(SOCKET s)
{
    nb_entry *e;
    int user;
    AcquireSRWLockShared(&nb_lock);
    e = nb_find(s);
    user = e != NULL && e->user;
    ReleaseSRWLockShared(&nb_lock);
    return user;
}

int ps__nb_enter(SOCKET s, ps__nb_guard *g)
{
    nb_entry *e;
    int err;
    g->s = s;
    g->active = 0;
    if (ps__nb_is_user(s))
        return 0;
    AcquireSRWLockExclusive(&nb_lock);
    e = nb_find(s);
    if (e != NULL) {
        /* Already non-blocking, by the user or by another thread's call. */
        if (!e->user) {
            e->temp++;
            g->active = 1;
        }
        ReleaseSRWLockExclusive(&nb_lock);
        return 0;
    }
    e = nb_insert(s);
    if (e == NULL) {
        ReleaseSRWLockExclusive(&nb_lock);
        return ps__win_error(WSA_NOT_ENOUGH_MEMORY);
    }
    /* Switched under the lock so a concurrent leave cannot switch back
     * between our switch and our operation. */
    err = set_fionbio(s, 1);
    if (err != 0) {
        nb_remove(e);
        ReleaseSRWLockExclusive(&nb_lock);
        return ps__win_error(err);
    }
    e->temp = 1;
    g->active = 1;
    ReleaseSRWLockExclusive(&nb_lock);
    return 0;
}

int ps__nb_leave(ps__nb_guard *g)
{
    nb_entry *e;
    int saved, err = 0;
    if (!g->active)
        return 0;
    g->active = 0;
    saved = WSAGetLastError();
    AcquireSRWLockExclusive(&nb_lock);
    e = nb_find(g->s);
    /* No entry: the socket was closed meanwhile; nothing to restore. */
    if (e != NULL && e->temp > 0 && --e->temp == 0 && !e->user) {
        err = set_fionbio(g->s, 0);
        if (err == 0 || err == WSAENOTSOCK) {
            /* Closed meanwhile: no mode to be wrong about. */
            nb_remove(e);
            err = 0;
        } else {
            /* Still non-blocking: say so, so no later call switches it
             * and believes it switched back. */
            e->user = 1;
        }
    }
    ReleaseSRWLockExclusive(&nb_lock);
    WSASetLastError(saved);
    return err;
}

void ps__nb_forget(SOCKET s)
{
    nb_entry *e;
    AcquireSRWLockExclusive(&nb_lock);
    e = nb_find(s);
    if (e != NULL)
        nb_remove(e);
    ReleaseSRWLockExclusive(&nb_lock);
}

int ps__set_nonblocking(ps_socket_t ps, int on)
{
    SOCKET s = (SOCKET)ps;
    nb_entry *e;
    int err = 0, rc;
    rc = ps__ensure_init();
    if (rc != 0)
        return rc;
    if (s == INVALID_SOCKET)
        return ps__win_error(WSAENOTSOCK);
    AcquireSRWLockExclusive(&nb_lock);
    e = nb_find(s);
    if (on) {
        if (e == NULL)
            e = nb_insert(s);
        if (e == NULL) {
            err = WSA_NOT_ENOUGH_MEMORY;
        } else if (e->temp == 0) {
            /* With temp > 0 the socket is non-blocking already. */
            err = set_fionbio(s, 1);
            if (err != 0)
                nb_remove(e);
        }
        if (err == 0)
            e->user = 1;
    } else if (e != NULL && e->temp > 0) {
        /* A timed call is in flight; its leave switches back to blocking. */
        e->user = 0;
    } else {
        /* Also for sockets not in the set: ps__socket_for makes
         * non-blocking sockets without registering them. */
        err = set_fionbio(s, 0);
        if (e != NULL)
            nb_remove(e);
    }
    ReleaseSRWLockExclusive(&nb_lock);
    return err != 0 ? ps__win_error(err) : 0;
}
