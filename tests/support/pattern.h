/* SPDX-License-Identifier: MIT */
/* A byte pattern for stream tests (pattern.c): byte i of every stream is
 * pst_pattern(i), a hash of i with no short period, so a shifted, lost,
 * doubled or reordered block shows up as a mismatch at once. */
#ifndef PS_TEST_PATTERN_H
#define PS_TEST_PATTERN_H

#include <stddef.h>

unsigned char pst_pattern(size_t i);
/* buf[0..n) = the pattern from stream offset off. */
void pst_pattern_fill(unsigned char *buf, size_t off, size_t n);
/* A malloc'ed buffer of n pattern bytes from stream offset off (free it);
 * aborts the test when out of memory. */
unsigned char *pst_pattern_buffer(size_t off, size_t n);
/* The stream offset of the first byte of buf[0..n) (which holds the bytes
 * from offset off) that breaks the pattern, or PST_PATTERN_OK. */
#define PST_PATTERN_OK ((size_t)-1)
size_t pst_pattern_mismatch(const unsigned char *buf, size_t n, size_t off);

#endif
