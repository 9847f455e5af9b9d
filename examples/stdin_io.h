/* SPDX-License-Identifier: MIT */
/* Raw, unbuffered standard input for the examples: stdio's buffering would
 * hide bytes from ps_select. stdin_io_posix.c / stdin_io_win32.c. */
#ifndef PS_EXAMPLE_STDIN_IO_H
#define PS_EXAMPLE_STDIN_IO_H

#include <stddef.h>

/* Reads up to cap bytes from fd 0: >0 bytes, 0 at end of input, <0 error. */
long stdin_read(void *buf, size_t cap);
/* Writes all len bytes to fd 1; 0 on success. Binary-safe on Windows. */
int stdout_write_all(const void *buf, size_t len);

#endif
