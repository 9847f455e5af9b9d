/* SPDX-License-Identifier: MIT */
/* The READ reports of pipes and consoles that ps_item_read honours (see
 * watcher.h): a fixed open-addressed table. A handle lives within WINDOW
 * slots of its hash; lookups scan the whole window (an empty slot does
 * not end it), so removal needs no tombstones. A report is kept as the id
 * of the thread it went to. */
#include "watcher.h"

#define WINDOW 16

typedef struct slot {
    HANDLE h; /* NULL: free */
    unsigned n;
    DWORD tid[PS__REPORTED_MAX]; /* the threads holding a report */
    unsigned long long stamp;    /* when last reported, for eviction */
} slot;

static SRWLOCK lock = SRWLOCK_INIT;
static slot table[PS__REPORTED_SLOTS];
static unsigned long long clock_now;

static size_t home(HANDLE h)
{
    /* Handle values are multiples of 4. */
    unsigned long long x = (unsigned long long)((uintptr_t)h >> 2);
    return (size_t)((x * 0x9E3779B97F4A7C15ull) >> 40) % PS__REPORTED_SLOTS;
}

static slot *at(size_t i)
{
    return &table[i % PS__REPORTED_SLOTS];
}

/* h's slot, or NULL (lock held). */
static slot *find(HANDLE h)
{
    size_t i, base = home(h);
    if (h == NULL || h == INVALID_HANDLE_VALUE)
        return NULL; /* NULL marks a free slot */
    for (i = 0; i < WINDOW; i++)
        if (at(base + i)->h == h)
            return at(base + i);
    return NULL;
}

/* A slot for h: a free one, else the least recently reported (lock held). */
static slot *claim(HANDLE h)
{
    size_t i, base = home(h);
    slot *old = at(base);
    for (i = 0; i < WINDOW; i++) {
        slot *s = at(base + i);
        if (s->h == NULL)
            return s;
        if (s->stamp < old->stamp)
            old = s;
    }
    return old;
}

static int holder(const slot *s, DWORD tid)
{
    unsigned i;
    for (i = 0; i < s->n; i++)
        if (s->tid[i] == tid)
            return (int)i;
    return -1;
}

void ps__reported_mark(HANDLE h)
{
    DWORD tid = GetCurrentThreadId();
    slot *s;
    if (h == NULL || h == INVALID_HANDLE_VALUE)
        return;
    AcquireSRWLockExclusive(&lock);
    s = find(h);
    if (s == NULL) {
        s = claim(h);
        s->h = h;
        s->n = 0;
    }
    /* A thread told again before it read holds one report. */
    if (holder(s, tid) < 0 && s->n < PS__REPORTED_MAX)
        s->tid[s->n++] = tid;
    s->stamp = ++clock_now;
    ReleaseSRWLockExclusive(&lock);
}

int ps__reported_take(HANDLE h)
{
    slot *s;
    int i;
    AcquireSRWLockExclusive(&lock);
    s = find(h);
    if (s == NULL) {
        ReleaseSRWLockExclusive(&lock);
        return 0;
    }
    /* The reader's own report, else one handed over by another thread. */
    i = holder(s, GetCurrentThreadId());
    if (i < 0)
        i = (int)s->n - 1;
    s->tid[i] = s->tid[--s->n];
    if (s->n == 0)
        s->h = NULL;
    ReleaseSRWLockExclusive(&lock);
    return 1;
}

void ps__reported_forget(HANDLE h)
{
    slot *s;
    AcquireSRWLockExclusive(&lock);
    s = find(h);
    if (s != NULL)
        s->h = NULL;
    ReleaseSRWLockExclusive(&lock);
}
