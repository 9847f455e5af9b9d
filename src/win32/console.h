/* SPDX-License-Identifier: MIT */
/* Console input and output shared by ps_select, ps_poller and
 * ps_item_read / ps_item_write (console.c). A process has one console,
 * so the state is process-wide, under one lock. */
#ifndef PS_WIN32_CONSOLE_H
#define PS_WIN32_CONSOLE_H

#include "win32.h"

/* revents for console input h asked for ev (READ / WRITE), without
 * blocking, as portsock.h describes it: raw mode READ on a character
 * key-down; line mode READ when a line is complete (an Enter key-down
 * queued) or ps_item_read holds bytes. In line mode with no complete line
 * the queued key-downs are taken into the held list, so the handle is no
 * longer signalled and a wait on it sleeps until the next key. */
unsigned ps__conin_check(HANDLE h, unsigned ev);
/* The same check for a wait that must not block: 0 (nothing checked) when
 * another thread's read holds the console, waiting for input; else 1 and
 * *rev set. */
int ps__conin_try_check(HANDLE h, unsigned ev, unsigned *rev);
/* Puts held key-downs back into the console's queue, in order. Never
 * waits for a console read in progress (it put them back itself). */
void ps__conin_release(void);
/* Nonzero while ps_item_read holds bytes not yet returned. */
int ps__conin_buffered(void);
/* ps_item_read / ps_item_write on console input / a screen buffer. A
 * read `reported` READ (see watcher.h) with nothing held and nothing it
 * could take without waiting returns PS_EWOULDBLOCK. */
int ps__conin_read(HANDLE h, void *buf, size_t cap, size_t *got, int reported);
int ps__conout_write(HANDLE h, const void *buf, size_t len, size_t *sent);

#endif
