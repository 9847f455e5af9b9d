/* SPDX-License-Identifier: MIT */
/* The text rules of a Windows console read (src/internal.h), kept apart
 * from the reading so they hold wherever a read's chunks happen to end,
 * and so they can be tested without a console. */
#include "internal.h"

#define CTRL_Z 0x1A
#define REPLACEMENT 0xFFFD

static int is_high(uint16_t u)
{
    return u >= 0xD800 && u <= 0xDBFF;
}

static int is_low(uint16_t u)
{
    return u >= 0xDC00 && u <= 0xDFFF;
}

static size_t put_utf8(char *out, uint32_t c)
{
    if (c < 0x80) {
        out[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        out[0] = (char)(0xC0 | (c >> 6));
        out[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        out[0] = (char)(0xE0 | (c >> 12));
        out[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        out[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (c >> 18));
    out[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    out[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

/* Encodes one unit; *pending is a high surrogate still waiting for its
 * low half. */
static size_t put_unit(uint16_t *pending, uint16_t u, char *out)
{
    size_t k = 0;
    if (*pending != 0) {
        uint16_t h = *pending;
        *pending = 0;
        if (is_low(u))
            return put_utf8(out, 0x10000 + (((uint32_t)h - 0xD800) << 10) +
                                     ((uint32_t)u - 0xDC00));
        k = put_utf8(out, REPLACEMENT);
    }
    if (is_high(u))
        *pending = u;
    else
        k += put_utf8(out + k, is_low(u) ? REPLACEMENT : u);
    return k;
}

/* Unit i of the chunk as the read saw it: the carried high half, then w. */
static uint16_t unit_at(uint16_t carried, const uint16_t *w, size_t i)
{
    if (carried == 0)
        return w[i];
    return i == 0 ? carried : w[i - 1];
}

void ps__ctext_line(ps__ctext *t, int line_mode)
{
    t->line_mode = line_mode;
    t->cr = 0;
    t->started = 0;
    t->skipping = 0;
}

/* A line that began with Ctrl-Z: its chunks are dropped up to its end. */
static int skip(const uint16_t *w, size_t n, int full)
{
    if (n == 0 || !full || w[n - 1] == '\n')
        return PS__CTEXT_END;
    return PS__CTEXT_MORE;
}

int ps__ctext_chunk(ps__ctext *t, const uint16_t *w, size_t n, int full,
                    char *out, size_t *len)
{
    uint16_t carried = t->high, pending = 0, last;
    size_t v, keep, i, k = 0;
    int lm = t->line_mode, more, newline = 0, trailing;
    *len = 0;
    if (t->skipping)
        return skip(w, n, full);
    if (n == 0 && carried == 0)
        return PS__CTEXT_MORE; /* Ctrl-C ended the read: as EINTR */
    if (lm && !t->started && carried == 0 && w[0] == CTRL_Z) {
        t->skipping = 1;
        return skip(w, n, full);
    }
    t->started = 1;
    if (n == 0)
        return PS__CTEXT_MORE; /* the carried half still waits for its pair */
    /* A pair split by the read: its low half comes next. */
    trailing = is_high(w[n - 1]);
    v = (carried != 0) + n - (size_t)trailing;
    t->high = trailing ? w[n - 1] : 0;
    if (v == 0)
        return PS__CTEXT_MORE;
    /* A CR that ended the previous chunk: "\r\n" split by the read is one
     * "\n"; before anything else it was a CR of the line. */
    if (t->cr && unit_at(carried, w, 0) != '\n')
        out[k++] = '\r';
    t->cr = 0;
    last = unit_at(carried, w, v - 1);
    /* A full buffer in line mode: the line goes on. */
    more = lm && full && last != '\n';
    keep = v;
    if (more && last == '\r') {
        t->cr = 1; /* its LF may come first in the next chunk */
        keep = v - 1;
    } else if (lm && !more && last == '\n' && v >= 2 &&
               unit_at(carried, w, v - 2) == '\r') {
        keep = v - 2;
        newline = 1;
    } else if (lm && !more && last == '\r') {
        keep = v - 1; /* Enter without processed input */
        newline = 1;
    }
    for (i = 0; i < keep; i++)
        k += put_unit(&pending, unit_at(carried, w, i), out + k);
    if (pending != 0)
        k += put_utf8(out + k, REPLACEMENT); /* cut off by a dropped CR */
    if (newline)
        out[k++] = '\n';
    *len = k;
    return more ? PS__CTEXT_MORE : PS__CTEXT_DONE;
}
