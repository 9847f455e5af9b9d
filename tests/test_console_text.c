/* SPDX-License-Identifier: MIT */
/* The text rules of a Windows console read (src/console_text.c), natively:
 * surrogate pairs, CR/LF and Ctrl-Z, each where a read's chunk ends and
 * where it does not. A console read is played here by cutting the console's
 * UTF-16 into chunks of `room` units, as ReadConsoleW hands them out.
 * Reaches an internal function, so it is built against the static library
 * only (tests/CMakeLists.txt). */
#include <criterion/criterion.h>

#include <string.h>

#include "internal.h"

TestSuite(console_text, .timeout = 60);

/* A UTF-16 literal and its length in units. */
#define U16(lit) (lit), (sizeof(lit) / sizeof((lit)[0]) - 1)

/* Pieces that end in a hex escape, kept apart from what follows it. */
#define U_LOW u"\xDE00"  /* the low half of U+1F600, alone */
#define U_HIGH u"\xD83D" /* its high half, alone */
#define U_CTRL_Z u"\x1A"
#define SMILE "\xF0\x9F\x98\x80" /* U+1F600 in UTF-8 */
#define REPL "\xEF\xBF\xBD"      /* U+FFFD in UTF-8 */
#define CTRL_Z "\x1A"

enum { ROOM = 512, BIG = 4096 };

typedef struct read_result {
    char text[3 * BIG + 8];
    size_t len;
    int step;    /* PS__CTEXT_DONE or PS__CTEXT_END */
    size_t used; /* units of the input the read took */
    int chunks;
} read_result;

/* One ps_item_read's fill: chunks of at most room units from
 * in[r->used, n) until the transform has the read. */
static void console_read(ps__ctext *t, int line_mode, const uint16_t *in,
                         size_t n, size_t room, read_result *r)
{
    r->len = 0;
    r->chunks = 0;
    ps__ctext_line(t, line_mode);
    do {
        size_t k = n - r->used < room ? n - r->used : room, len = 99;
        char out[3 * ROOM + 8];
        /* A real console would block here for the next line. */
        cr_assert_gt(k, 0, "the read wants more than the console holds");
        r->step = ps__ctext_chunk(t, in + r->used, k, k == room, out, &len);
        cr_assert_leq(len, PS__CTEXT_OUT_MAX(k));
        cr_assert_leq(r->len + len, sizeof r->text);
        memcpy(r->text + r->len, out, len);
        r->len += len;
        r->used += k;
        r->chunks++;
    } while (r->step == PS__CTEXT_MORE);
}

static void expect_text(const read_result *r, const char *want)
{
    size_t n = strlen(want);
    cr_assert_eq(r->len, n, "got %zu bytes, want %zu", r->len, n);
    cr_assert(memcmp(r->text, want, n) == 0, "got \"%.*s\", want \"%s\"",
              (int)r->len, r->text, want);
}

/* One line-mode read of in[0, n) with the given room. */
static void line_read(const uint16_t *in, size_t n, size_t room, read_result *r)
{
    ps__ctext t = {0};
    memset(r, 0, sizeof *r);
    console_read(&t, 1, in, n, room, r);
}

Test(console_text, line_ends_in_one_newline)
{
    static const size_t rooms[] = {1, 2, 3, 4, 7, ROOM};
    size_t i;
    for (i = 0; i < sizeof rooms / sizeof rooms[0]; i++) {
        read_result r;
        line_read(U16(u"ab\r\n"), rooms[i], &r);
        cr_assert_eq(r.step, PS__CTEXT_DONE, "room %zu", rooms[i]);
        cr_assert_eq(r.used, 4, "room %zu: the whole line is read", rooms[i]);
        expect_text(&r, "ab\n");
        /* A CR inside the line is the line's own. */
        line_read(U16(u"a\rb\r\r\n"), rooms[i], &r);
        expect_text(&r, "a\rb\r\n");
    }
}

Test(console_text, lone_cr_is_enter_without_processed_input)
{
    read_result r;
    line_read(U16(u"ab\r"), ROOM, &r);
    cr_assert_eq(r.step, PS__CTEXT_DONE);
    expect_text(&r, "ab\n");
}

Test(console_text, crlf_split_between_chunks)
{
    /* "\r" fills the first chunk, "\n" starts the next. */
    read_result r;
    line_read(U16(u"abc\r\n"), 4, &r);
    cr_assert_eq(r.chunks, 2);
    expect_text(&r, "abc\n");

    /* The held CR is no line end when something else follows it. */
    line_read(U16(u"abc\rd\r\n"), 4, &r);
    cr_assert_eq(r.chunks, 2);
    expect_text(&r, "abc\rd\n");

    /* The held CR is not output with the chunk it ended. */
    {
        ps__ctext t;
        char out[32];
        size_t len = 0;
        ps__ctext_line(&t, 1);
        t.high = 0;
        cr_assert_eq(ps__ctext_chunk(&t, U16(u"abc\r"), 1, out, &len),
                     PS__CTEXT_MORE);
        cr_assert_eq(len, 3);
        cr_assert(memcmp(out, "abc", 3) == 0);
        cr_assert_eq(ps__ctext_chunk(&t, U16(u"\n"), 0, out, &len),
                     PS__CTEXT_DONE);
        cr_assert_eq(len, 1);
        cr_assert_eq(out[0], '\n');
    }
}

/* A line of `chars` characters typed and Enter, read 512 units a time. */
static void long_line(size_t chars)
{
    static uint16_t in[BIG];
    static char want[BIG];
    read_result r;
    size_t i;
    cr_assert_lt(chars + 2, (size_t)BIG);
    for (i = 0; i < chars; i++) {
        in[i] = (uint16_t)('a' + i % 26);
        want[i] = (char)('a' + i % 26);
    }
    in[chars] = '\r';
    in[chars + 1] = '\n';
    want[chars] = '\n';
    want[chars + 1] = 0;
    line_read(in, chars + 2, ROOM, &r);
    cr_assert_eq(r.step, PS__CTEXT_DONE, "%zu characters", chars);
    cr_assert_eq(r.used, chars + 2, "%zu characters: all of it read", chars);
    cr_assert_eq(r.chunks, (int)((chars + 2 + ROOM - 1) / ROOM),
                 "%zu characters", chars);
    expect_text(&r, want);
}

Test(console_text, lines_around_the_chunk_size)
{
    long_line(509); /* one chunk, not full */
    long_line(510); /* "\r\n" fills the chunk exactly: no second read */
    long_line(511); /* "\r" ends the chunk, "\n" is the next one */
    long_line(512); /* the chunk is all text, "\r\n" comes next */
    long_line(513);
    long_line(1023); /* the CR ends the second chunk */
    long_line(3000);
}

Test(console_text, surrogate_pair_split_between_chunks)
{
    /* U+1F600 is D83D DE00; U+00E9 and U+20AC take two and three bytes. */
    read_result r;
    line_read(U16(u"ab\U0001F600\r\n"), 3, &r);
    cr_assert_eq(r.chunks, 2);
    expect_text(&r, "ab" SMILE "\n");
    line_read(U16(u"\U0001F600\U0001F600\u00e9\u20ac\r\n"), 1, &r);
    expect_text(&r, SMILE SMILE "\xC3\xA9\xE2\x82\xAC\n");

    /* Raw mode: each read is one chunk, and the low half comes with the
     * next read. */
    {
        ps__ctext t = {0};
        memset(&r, 0, sizeof r);
        console_read(&t, 0, U16(u"a\U0001F600b"), 2, &r);
        cr_assert_eq(r.step, PS__CTEXT_DONE);
        expect_text(&r, "a");
        cr_assert_eq(r.used, 2);
        console_read(&t, 0, U16(u"a\U0001F600b"), 2, &r);
        expect_text(&r, SMILE "b");
        cr_assert_eq(t.high, 0);
    }
    /* A read that gives nothing but a high half reads again. */
    {
        ps__ctext t = {0};
        memset(&r, 0, sizeof r);
        console_read(&t, 0, U16(u"\U0001F600"), 1, &r);
        cr_assert_eq(r.chunks, 2);
        cr_assert_eq(r.step, PS__CTEXT_DONE);
        expect_text(&r, SMILE);
    }
}

Test(console_text, lone_surrogates_become_replacement_characters)
{
    /* As WideCharToMultiByte(CP_UTF8) without WC_ERR_INVALID_CHARS. */
    read_result r;
    line_read(U16(u"a" U_LOW u"b\r\n"), ROOM, &r);
    expect_text(&r, "a" REPL "b\n");
    line_read(U16(u"a" U_HIGH u"b\r\n"), ROOM, &r);
    expect_text(&r, "a" REPL "b\n");
    /* Two high halves, then a low one: the first is alone. */
    line_read(U16(u"\xD83D\xD83D\xDE00\r\n"), ROOM, &r);
    expect_text(&r, REPL SMILE "\n");
    /* A high half that the line's end cuts off, in one chunk or across. */
    line_read(U16(u"a\xD83D\r\n"), ROOM, &r);
    expect_text(&r, "a" REPL "\n");
    line_read(U16(u"a\xD83D\r\n"), 2, &r);
    expect_text(&r, "a" REPL "\n");
    /* ... and one cut off by a CR held at a chunk's end. */
    line_read(U16(u"a\xD83D\r\n"), 3, &r);
    expect_text(&r, "a" REPL "\n");
}

Test(console_text, ctrl_z_at_line_start_is_end_of_input)
{
    static uint16_t in[BIG];
    read_result r;
    size_t i, n = 0;
    line_read(U16(u"\x1A\r\n"), ROOM, &r);
    cr_assert_eq(r.step, PS__CTEXT_END);
    cr_assert_eq(r.len, 0);
    cr_assert_eq(r.used, 3);

    /* The rest of a long line is read and dropped, whatever the room. */
    in[n++] = 0x1A;
    for (i = 0; i < 2 * ROOM - 3; i++)
        in[n++] = 'z';
    in[n++] = '\r';
    in[n++] = '\n';
    /* The second chunk is full and ends with the line. */
    line_read(in, n, ROOM, &r);
    cr_assert_eq(r.step, PS__CTEXT_END);
    cr_assert_eq(r.len, 0);
    cr_assert_eq(r.used, n, "the whole line is consumed");
    cr_assert_eq(r.chunks, 2);
    line_read(in, n, 1, &r);
    cr_assert_eq(r.step, PS__CTEXT_END);
    cr_assert_eq(r.used, n);
    line_read(in, n, 300, &r);
    cr_assert_eq(r.step, PS__CTEXT_END);
    cr_assert_eq(r.used, n);
}

Test(console_text, ctrl_z_elsewhere_is_a_character)
{
    read_result r;
    ps__ctext t = {0};
    line_read(U16(u"a" U_CTRL_Z u"b\r\n"), ROOM, &r);
    cr_assert_eq(r.step, PS__CTEXT_DONE);
    expect_text(&r, "a" CTRL_Z "b\n");
    /* At the start of the line's second chunk: not the line's start. */
    line_read(U16(u"ab\x1A\r\n"), 2, &r);
    cr_assert_eq(r.step, PS__CTEXT_DONE);
    expect_text(&r, "ab\x1A\n");
    /* Raw mode has no end-of-input character. */
    memset(&r, 0, sizeof r);
    console_read(&t, 0, U16(u"\x1A"), ROOM, &r);
    cr_assert_eq(r.step, PS__CTEXT_DONE);
    expect_text(&r, "\x1A");
}

Test(console_text, each_read_is_a_new_line)
{
    /* Two lines typed ahead, then Ctrl-Z: one read each. */
    ps__ctext t = {0};
    read_result r;
    static const uint16_t in[] = {'a',  '\r', '\n', 'b', '\r',
                                  '\n', 0x1A, '\r', '\n'};
    size_t n = sizeof in / sizeof in[0];
    memset(&r, 0, sizeof r);
    /* A console read stops at the line's end. */
    console_read(&t, 1, in, 3, ROOM, &r);
    expect_text(&r, "a\n");
    console_read(&t, 1, in, 6, ROOM, &r);
    expect_text(&r, "b\n");
    console_read(&t, 1, in, n, ROOM, &r);
    cr_assert_eq(r.step, PS__CTEXT_END);
    cr_assert_eq(r.len, 0);
}

Test(console_text, interrupted_read)
{
    /* Ctrl-C ends a read with no units: read again, and the line's start
     * is still to come. */
    ps__ctext t;
    char out[16];
    size_t len = 99;
    ps__ctext_line(&t, 1);
    t.high = 0;
    cr_assert_eq(ps__ctext_chunk(&t, NULL, 0, 0, out, &len), PS__CTEXT_MORE);
    cr_assert_eq(len, 0);
    cr_assert_eq(ps__ctext_chunk(&t, U16(u"\x1A\r\n"), 0, out, &len),
                 PS__CTEXT_END);
    /* The same while the line's rest after Ctrl-Z is dropped: the end. */
    ps__ctext_line(&t, 1);
    cr_assert_eq(ps__ctext_chunk(&t, U16(U_CTRL_Z u"ab"), 1, out, &len),
                 PS__CTEXT_MORE);
    cr_assert_eq(ps__ctext_chunk(&t, NULL, 0, 0, out, &len), PS__CTEXT_END);
    cr_assert_eq(len, 0);
}

Test(console_text, output_bound_holds_for_the_worst_chunk)
{
    /* Lone halves give three bytes for each unit; a held CR and a carried
     * high half add to that. */
    static uint16_t in[ROOM];
    static char out[PS__CTEXT_OUT_MAX(ROOM) + 16];
    ps__ctext t;
    size_t i, len = 0;
    ps__ctext_line(&t, 1);
    t.high = 0;
    for (i = 0; i < ROOM - 1; i++)
        in[i] = 0xDC00;
    in[ROOM - 1] = '\r';
    cr_assert_eq(ps__ctext_chunk(&t, in, ROOM, 1, out, &len), PS__CTEXT_MORE);
    in[ROOM - 1] = 0xD800;
    cr_assert_eq(ps__ctext_chunk(&t, in, ROOM, 1, out, &len), PS__CTEXT_MORE);
    for (i = 0; i < ROOM; i++)
        in[i] = 0xDC00;
    memset(out, 0x55, sizeof out);
    cr_assert_eq(ps__ctext_chunk(&t, in, ROOM, 1, out, &len), PS__CTEXT_MORE);
    cr_assert_leq(len, PS__CTEXT_OUT_MAX(ROOM));
    for (i = len; i < sizeof out; i++)
        cr_assert_eq((unsigned char)out[i], 0x55, "written past the count");
}
