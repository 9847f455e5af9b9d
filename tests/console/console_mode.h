/* SPDX-License-Identifier: MIT */
/* The input mode of standard input, a terminal or console, for
 * console_wait: console_mode_posix.c (termios), console_mode_win32.c
 * (SetConsoleMode). */
#ifndef PS_TEST_CONSOLE_MODE_H
#define PS_TEST_CONSOLE_MODE_H

/* line != 0: line input with echo (a canonical terminal, a console with
 * ENABLE_LINE_INPUT | ENABLE_ECHO_INPUT); 0: raw, one key at a time, no
 * echo. 0 on success. */
int console_set_line_mode(int line);
/* Puts back the mode standard input had before the first change. */
void console_restore_mode(void);
/* POSIX: O_NONBLOCK on standard input (on != 0) or off, 0 on success; a
 * read of a blocking terminal after a report another reader raced waits,
 * as read(2) does. Windows: nothing to do, returns 0: there a reported
 * console's ps_item_read never waits. */
int console_input_nonblock(int on);
/* Runs fn(arg) on a new thread, never joined; 0 on success. */
int console_thread(void (*fn)(void *), void *arg);

#endif
