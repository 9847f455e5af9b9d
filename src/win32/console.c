/* SPDX-License-Identifier: MIT */
/* Console input that behaves as a POSIX terminal, and UTF-8 in and out.
 *
 * A console input handle is signalled while any event is queued. In line
 * mode a read blocks until Enter, so readiness must wait for a complete
 * line; but a waiter on a handle that stays signalled (keys typed, no
 * Enter yet) would wake again and again. So a check that finds no Enter
 * takes the queued key-downs out of the queue into a held list (the other
 * events are dropped, as in raw mode): the handle goes unsignalled and a
 * helper waits on it in peace. When an Enter key-down arrives, everything
 * queued after the held keys is taken too and the whole list is written
 * back in order, so the console's own line editing (echo, backspace, the
 * arrows) processes the complete line when it is read. Held keys are put
 * back whenever nobody waits for them any more (ps_select returning, a
 * poller dropping the console) and before a read.
 *
 * A line-mode read leaves the rest of a line in the console when the
 * buffer is too small, with no event queued that a wait would see; so
 * ps_item_read reads whole lines (ReadConsoleW, as UTF-8) into a buffer
 * here and serves from it, and readiness reports READ while it holds
 * bytes. */
#include "console.h"

#include <stdlib.h>
#include <string.h>

static SRWLOCK in_lock = SRWLOCK_INIT;
static INPUT_RECORD *held; /* key events taken while a line is incomplete */
static DWORD nheld, held_cap;
static HANDLE held_from; /* the handle they were read from */
static char *line;       /* read, not yet returned: line[off, len) */
static size_t line_off, line_len, line_cap;
/* line_off < line_len, for checks made under a poller's lock: they must
 * not wait behind a console read that blocks while holding in_lock. */
static volatile LONG line_waiting;
/* Nonzero while a read waits in ReadConsoleW holding in_lock: a try-check
 * then gives up at once instead of waiting for the lock. */
static volatile LONG filling;
static ps__ctext text; /* what the last read left: a surrogate half */

static SRWLOCK out_lock = SRWLOCK_INIT;
static unsigned char out_part[4]; /* a UTF-8 sequence cut by a write */
static size_t out_npart;

static int is_key_down(const INPUT_RECORD *rec)
{
    return rec->EventType == KEY_EVENT && rec->Event.KeyEvent.bKeyDown;
}

static int is_char_key(const INPUT_RECORD *rec)
{
    return is_key_down(rec) && rec->Event.KeyEvent.uChar.UnicodeChar != 0;
}

static int is_enter(const INPUT_RECORD *rec)
{
    return is_key_down(rec) && rec->Event.KeyEvent.uChar.UnicodeChar == L'\r';
}

static int line_mode(HANDLE h)
{
    DWORD mode = 0;
    return GetConsoleMode(h, &mode) && (mode & ENABLE_LINE_INPUT);
}

static int hold_reserve(DWORD more)
{
    INPUT_RECORD *n;
    DWORD cap = held_cap ? held_cap : 64;
    if (more > (DWORD)-1 / 2 - nheld)
        return 0;
    while (cap < nheld + more)
        cap *= 2;
    if (cap == held_cap)
        return 1;
    n = (INPUT_RECORD *)realloc(held, cap * sizeof *n);
    if (n == NULL)
        return 0;
    held = n;
    held_cap = cap;
    return 1;
}

/* Writes held records to h; how many went. */
static DWORD write_back(HANDLE h, DWORD from)
{
    while (from < nheld) {
        DWORD w = 0;
        if (!WriteConsoleInputW(h, held + from, nheld - from, &w) || w == 0)
            break;
        from += w;
    }
    return from;
}

static void release_locked(void)
{
    DWORD done;
    if (nheld == 0)
        return;
    done = write_back(held_from, 0);
    if (done < nheld) {
        /* The handle was closed meanwhile: any handle to the process's
         * console input reaches the same queue. */
        HANDLE h = CreateFileW(L"CONIN$", GENERIC_READ | GENERIC_WRITE,
                               FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                               OPEN_EXISTING, 0, NULL);
        if (h != INVALID_HANDLE_VALUE) {
            write_back(h, done);
            CloseHandle(h);
        }
    }
    nheld = 0; /* with no console left there is nowhere to put them */
}

void ps__conin_release(void)
{
    /* A read waiting in ReadConsoleW put the held keys back before it
     * began, and no check can hold more meanwhile: nothing to wait for. */
    while (!TryAcquireSRWLockExclusive(&in_lock)) {
        if (InterlockedCompareExchange(&filling, 0, 0) != 0)
            return;
        SwitchToThread();
    }
    release_locked();
    ReleaseSRWLockExclusive(&in_lock);
}

int ps__conin_buffered(void)
{
    return InterlockedCompareExchange(&line_waiting, 0, 0) != 0;
}

/* Takes the first n queued records of h and keeps their key-downs. 0 when
 * they could not be taken (they stay queued). */
static int take_into_held(HANDLE h, INPUT_RECORD *tmp, DWORD n)
{
    DWORD got = 0, i;
    if (!hold_reserve(n))
        return 0;
    /* Reading as many as were peeked takes exactly those, from the front. */
    if (!ReadConsoleInputW(h, tmp, n, &got))
        return 0;
    /* Key-ups too: Alt+Numpad gives its character on the Alt key-up. */
    for (i = 0; i < got; i++)
        if (tmp[i].EventType == KEY_EVENT)
            held[nheld++] = tmp[i];
    held_from = h;
    return 1;
}

/* The queued events of h, peeked into a new array (*n of them). NULL with
 * *n == 0: none; NULL with *n != 0: out of memory; *err: a failed call. */
static INPUT_RECORD *peek_all(HANDLE h, DWORD *n, DWORD *err)
{
    INPUT_RECORD *tmp;
    DWORD got = 0;
    *err = 0;
    if (!GetNumberOfConsoleInputEvents(h, n)) {
        *err = GetLastError();
        *n = 0;
        return NULL;
    }
    if (*n == 0)
        return NULL;
    tmp = (INPUT_RECORD *)malloc(*n * sizeof *tmp);
    if (tmp == NULL)
        return NULL;
    if (!PeekConsoleInputW(h, tmp, *n, &got)) {
        *err = GetLastError();
        free(tmp);
        *n = 0;
        return NULL;
    }
    *n = got;
    if (got == 0) {
        free(tmp);
        return NULL;
    }
    return tmp;
}

static unsigned check_line(HANDLE h, unsigned r)
{
    DWORD n, err, i;
    int enter = 0;
    INPUT_RECORD *tmp = peek_all(h, &n, &err);
    if (err != 0)
        return err == ERROR_INVALID_HANDLE ? PS_POLL_INVALID : r | PS_POLL_READ;
    if (tmp == NULL)
        return n == 0 ? r : r | PS_POLL_READ; /* out of memory: a read copes */
    for (i = 0; i < n && !enter; i++)
        enter = is_enter(&tmp[i]);
    if (enter && nheld == 0) {
        free(tmp);
        return r | PS_POLL_READ; /* the line is in the queue as it is */
    }
    if (!take_into_held(h, tmp, n)) {
        free(tmp);
        return r | PS_POLL_READ; /* cannot hold them: let a read take them */
    }
    free(tmp);
    if (!enter)
        return r;
    /* The held keys are older than anything queued now: take those too,
     * then write the whole line back in order. */
    tmp = peek_all(h, &n, &err);
    if (tmp != NULL) {
        take_into_held(h, tmp, n);
        free(tmp);
    }
    release_locked();
    return r | PS_POLL_READ;
}

static unsigned check_raw(HANDLE h, unsigned r)
{
    INPUT_RECORD rec[64];
    for (;;) {
        DWORD got = 0, dropped = 0, i;
        if (!PeekConsoleInputW(h, rec, 64, &got))
            return GetLastError() == ERROR_INVALID_HANDLE ? PS_POLL_INVALID
                                                          : r | PS_POLL_READ;
        if (got == 0)
            return r;
        for (i = 0; i < got; i++)
            if (is_char_key(&rec[i]))
                return r | PS_POLL_READ;
        /* None of these is character input (focus, mouse, key-up, ...).
         * Drop them, or they keep the handle signalled and every wait
         * returns at once. Reading as many as were peeked takes exactly
         * these records, from the front of the queue. */
        if (!ReadConsoleInputW(h, rec, got, &dropped) || got < 64)
            return r;
    }
}

/* The check of ps__conin_check, in_lock held. */
static unsigned check_locked(HANDLE h, unsigned r)
{
    if (line_off < line_len)
        r |= PS_POLL_READ;
    else if (line_mode(h))
        r = check_line(h, r);
    else {
        release_locked(); /* held in line mode, and the mode changed */
        r = check_raw(h, r);
    }
    return r;
}

unsigned ps__conin_check(HANDLE h, unsigned ev)
{
    /* Writing to an input buffer fails at once; it never blocks. */
    unsigned r = ev & PS_POLL_WRITE;
    if (!(ev & PS_POLL_READ))
        return r;
    AcquireSRWLockExclusive(&in_lock);
    r = check_locked(h, r);
    ReleaseSRWLockExclusive(&in_lock);
    return r;
}

/* Tries before giving up: the lock may be held by a short check. */
#define TRY_LOCK_TRIES 200

int ps__conin_try_check(HANDLE h, unsigned ev, unsigned *rev)
{
    int tries;
    *rev = ev & PS_POLL_WRITE;
    if (!(ev & PS_POLL_READ))
        return 1;
    for (tries = 0; !TryAcquireSRWLockExclusive(&in_lock); tries++) {
        if (InterlockedCompareExchange(&filling, 0, 0) != 0 ||
            tries == TRY_LOCK_TRIES)
            return 0;
        SwitchToThread();
    }
    *rev = check_locked(h, *rev);
    ReleaseSRWLockExclusive(&in_lock);
    return 1;
}

static int console_error(DWORD err)
{
    ps__set_native_error((int)err);
    switch (err) {
    case ERROR_INVALID_HANDLE:
    case ERROR_ACCESS_DENIED:
        return PS_EBADF;
    case ERROR_NOT_ENOUGH_MEMORY:
    case ERROR_OUTOFMEMORY:
        return PS_ENOMEM;
    case ERROR_INVALID_PARAMETER:
        return PS_EINVAL;
    default:
        return PS_EUNKNOWN;
    }
}

/* Room for `more` bytes after the line buffer's line_len. */
static int line_reserve(size_t more)
{
    size_t cap = line_cap ? line_cap : 1024;
    char *b;
    if (line_len + more <= line_cap)
        return 0;
    while (cap < line_len + more)
        cap *= 2;
    b = (char *)realloc(line, cap);
    if (b == NULL)
        return PS_ENOMEM;
    line = b;
    line_cap = cap;
    return 0;
}

#define CHUNK 512

/* Reads what the console gives into the line buffer (empty on entry):
 * in line mode one whole line, in raw mode what one read returns. The
 * text rules (surrogates, CR/LF, Ctrl-Z) are ps__ctext_chunk's. */
static int fill(HANDLE h)
{
    uint16_t w[CHUNK];
    int step = PS__CTEXT_MORE;
    ps__ctext_line(&text, line_mode(h));
    while (step == PS__CTEXT_MORE) {
        DWORD n = 0;
        size_t len = 0;
        int rc;
        if (!ReadConsoleW(h, w, CHUNK, &n, NULL))
            /* After a Ctrl-Z only the rest of its line was left. */
            return text.skipping ? 0 : console_error(GetLastError());
        rc = line_reserve(PS__CTEXT_OUT_MAX(n));
        if (rc != 0)
            return rc;
        step = ps__ctext_chunk(&text, w, n, n == CHUNK, line + line_len, &len);
        line_len += len;
    }
    return 0;
}

/* After a report: is there anything a read takes without waiting (in_lock
 * held, line buffer empty)? Keys held for an incomplete line go back. */
static int queued_locked(HANDLE h)
{
    unsigned r = line_mode(h) ? check_line(h, 0) : check_raw(h, 0);
    release_locked();
    return r != 0;
}

int ps__conin_read(HANDLE h, void *buf, size_t cap, size_t *got, int reported)
{
    size_t take;
    int rc = 0;
    AcquireSRWLockExclusive(&in_lock);
    if (line_off == line_len) {
        line_off = line_len = 0;
        if (reported && !queued_locked(h)) {
            ReleaseSRWLockExclusive(&in_lock);
            *got = 0;
            return PS_EWOULDBLOCK; /* another reader took the line */
        }
        release_locked(); /* the read must see the keys held for it */
        InterlockedExchange(&filling, 1);
        rc = fill(h);
        InterlockedExchange(&filling, 0);
    }
    take = line_len - line_off;
    if (take > cap)
        take = cap;
    if (take > 0)
        memcpy(buf, line + line_off, take);
    line_off += take;
    if (line_off == line_len)
        line_off = line_len = 0;
    InterlockedExchange(&line_waiting, line_off < line_len);
    ReleaseSRWLockExclusive(&in_lock);
    *got = take;
    return take > 0 ? 0 : rc;
}

/* How many bytes at the end of b[0, n) start a UTF-8 sequence that is not
 * complete yet (0..3). */
static size_t cut_tail(const unsigned char *b, size_t n)
{
    size_t i;
    for (i = 1; i <= 3 && i <= n; i++) {
        unsigned char c = b[n - i];
        if ((c & 0xC0) == 0x80)
            continue; /* a continuation byte: look further back */
        if (c >= 0xC0) {
            size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
            return need > i ? i : 0;
        }
        return 0;
    }
    return 0;
}

#define OUT_MAX 16384

int ps__conout_write(HANDLE h, const void *buf, size_t len, size_t *sent)
{
    unsigned char tmp[OUT_MAX + 4];
    size_t n, tail;
    int rc = 0;
    if (len > OUT_MAX)
        len = OUT_MAX; /* a partial count; the caller writes the rest */
    AcquireSRWLockExclusive(&out_lock);
    memcpy(tmp, out_part, out_npart);
    if (len > 0)
        memcpy(tmp + out_npart, buf, len);
    n = out_npart + len;
    tail = cut_tail(tmp, n);
    if (n - tail > 0) {
        WCHAR w[OUT_MAX + 4];
        int wn = MultiByteToWideChar(CP_UTF8, 0, (const char *)tmp,
                                     (int)(n - tail), w, OUT_MAX + 4);
        DWORD done = 0, off = 0;
        if (wn <= 0)
            rc = console_error(GetLastError());
        while (rc == 0 && off < (DWORD)wn) {
            if (!WriteConsoleW(h, w + off, (DWORD)wn - off, &done, NULL))
                rc = console_error(GetLastError());
            else if (done == 0)
                rc = PS_EUNKNOWN;
            off += done;
        }
    }
    if (rc == 0) {
        /* Kept for the next write; counted as sent now. */
        memcpy(out_part, tmp + n - tail, tail);
        out_npart = tail;
        *sent = len;
    }
    ReleaseSRWLockExclusive(&out_lock);
    return rc;
}
