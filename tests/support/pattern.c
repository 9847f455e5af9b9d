/* SPDX-License-Identifier: MIT */
/* The stream test pattern: see pattern.h. */
#include "pattern.h"

#include <criterion/criterion.h>

#include <stdint.h>
#include <stdlib.h>

unsigned char pst_pattern(size_t i)
{
    /* Knuth's multiplicative hash, folded: no period a test could hit. */
    uint32_t x = (uint32_t)i * 2654435761u;
    x ^= x >> 15;
    return (unsigned char)(x ^ (x >> 24));
}

void pst_pattern_fill(unsigned char *buf, size_t off, size_t n)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = pst_pattern(off + i);
}

unsigned char *pst_pattern_buffer(size_t off, size_t n)
{
    unsigned char *b = malloc(n ? n : 1);
    cr_assert_not_null(b, "malloc(%zu)", n);
    pst_pattern_fill(b, off, n);
    return b;
}

size_t pst_pattern_mismatch(const unsigned char *buf, size_t n, size_t off)
{
    for (size_t i = 0; i < n; i++)
        if (buf[i] != pst_pattern(off + i))
            return off + i;
    return PST_PATTERN_OK;
}
