/* SPDX-License-Identifier: MIT */
/* The things psnc does differently on POSIX and Windows
 * (psnc_sys_posix.c, psnc_sys_win32.c): standard streams that were closed
 * (or, on Windows, could not be watched) when psnc started, and the end of
 * psnc on SIGINT / SIGTERM. */
#ifndef PSNC_SYS_H
#define PSNC_SYS_H

/* Opens the null device on each of standard input, output and error that
 * is closed, before any socket exists, so that no socket can take fd 0, 1
 * or 2 and be read or written as if it were standard input or output. A
 * closed input then reads as empty (end of input at once); a closed output
 * is opened for reading only, so every write to it still fails, as writes
 * to a closed one do. On Windows an input pipe whose state cannot be
 * observed (under Wine, a pipe from a Unix process) is replaced by a
 * Windows pipe that a helper thread feeds from it, so that ps_select can
 * tell when it has data. */
void psnc_sys_std_open(void);

/* Catches SIGINT and SIGTERM (on Windows, Ctrl-C). Until a file is armed
 * the handler only records the signal, which psnc_sys_signal() returns
 * and psnc acts on while it waits. */
void psnc_sys_catch_stop(void);

/* path: the socket file psnc created, removed when a signal ends psnc;
 * NULL: none any more. On POSIX the handler itself then removes the file
 * (unlink is async-signal-safe) and ends psnc by the signal, wherever psnc
 * is blocked, a write to a full pipe included. On Windows the handler only
 * records the signal (ISO C allows no more), and psnc's waits act on it. */
void psnc_sys_stop_file(const char *path);

/* The signal caught and not yet acted on, or 0. */
int psnc_sys_signal(void);

#endif
