/* SPDX-License-Identifier: MIT */
/* Byte-order helpers: known vectors, unaligned access, round trips. */
#include <criterion/criterion.h>

#include <stdint.h>
#include <string.h>

#include "portsock.h"

static const unsigned char seq[8] = {0x01, 0x02, 0x03, 0x04,
                                     0x05, 0x06, 0x07, 0x08};

/* A simple deterministic generator (xorshift64) for the round trips. */
static uint64_t next_value(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    return x;
}

static uint64_t swap64(uint64_t v)
{
    uint64_t r = 0;
    int i;
    for (i = 0; i < 8; i++)
        r = r << 8 | (v >> (8 * i) & 0xff);
    return r;
}

Test(byteorder, store_be_vectors, .timeout = 10)
{
    unsigned char b[8];

    memset(b, 0xee, sizeof b);
    ps_store_be16(b, 0x0102);
    cr_assert_arr_eq(b, seq, 2);
    cr_assert_eq(b[2], 0xee, "store_be16 wrote past 2 bytes");

    memset(b, 0xee, sizeof b);
    ps_store_be32(b, 0x01020304u);
    cr_assert_arr_eq(b, seq, 4);
    cr_assert_eq(b[4], 0xee, "store_be32 wrote past 4 bytes");

    ps_store_be64(b, UINT64_C(0x0102030405060708));
    cr_assert_arr_eq(b, seq, 8);
}

Test(byteorder, store_le_vectors, .timeout = 10)
{
    static const unsigned char rev8[8] = {0x08, 0x07, 0x06, 0x05,
                                          0x04, 0x03, 0x02, 0x01};
    static const unsigned char rev4[4] = {0x04, 0x03, 0x02, 0x01};
    static const unsigned char rev2[2] = {0x02, 0x01};
    unsigned char b[8];

    memset(b, 0xee, sizeof b);
    ps_store_le16(b, 0x0102);
    cr_assert_arr_eq(b, rev2, 2);
    cr_assert_eq(b[2], 0xee, "store_le16 wrote past 2 bytes");

    memset(b, 0xee, sizeof b);
    ps_store_le32(b, 0x01020304u);
    cr_assert_arr_eq(b, rev4, 4);
    cr_assert_eq(b[4], 0xee, "store_le32 wrote past 4 bytes");

    ps_store_le64(b, UINT64_C(0x0102030405060708));
    cr_assert_arr_eq(b, rev8, 8);
}

Test(byteorder, load_vectors, .timeout = 10)
{
    cr_assert_eq(ps_load_be16(seq), 0x0102);
    cr_assert_eq(ps_load_be32(seq), 0x01020304u);
    cr_assert_eq(ps_load_be64(seq), UINT64_C(0x0102030405060708));
    cr_assert_eq(ps_load_le16(seq), 0x0201);
    cr_assert_eq(ps_load_le32(seq), 0x04030201u);
    cr_assert_eq(ps_load_le64(seq), UINT64_C(0x0807060504030201));
}

Test(byteorder, high_bits, .timeout = 10)
{
    /* Values with the top bit set catch sign-extension mistakes. */
    static const unsigned char ff[8] = {0xff, 0xfe, 0x80, 0x81,
                                        0x90, 0xa0, 0xc0, 0xf0};
    unsigned char b[8];

    cr_assert_eq(ps_load_be16(ff), 0xfffe);
    cr_assert_eq(ps_load_le16(ff), 0xfeff);
    cr_assert_eq(ps_load_be32(ff), 0xfffe8081u);
    cr_assert_eq(ps_load_le32(ff), 0x8180feffu);
    cr_assert_eq(ps_load_be64(ff), UINT64_C(0xfffe808190a0c0f0));
    cr_assert_eq(ps_load_le64(ff), UINT64_C(0xf0c0a0908180feff));
    ps_store_be64(b, UINT64_C(0xfffe808190a0c0f0));
    cr_assert_arr_eq(b, ff, 8);
    ps_store_le64(b, UINT64_C(0xf0c0a0908180feff));
    cr_assert_arr_eq(b, ff, 8);
    cr_assert_eq(ps_load_be64(b), UINT64_C(0xfffe808190a0c0f0));
}

Test(byteorder, hton_is_big_endian_in_memory, .timeout = 10)
{
    uint16_t v16 = ps_hton16(0x0102);
    uint32_t v32 = ps_hton32(0x01020304u);
    uint64_t v64 = ps_hton64(UINT64_C(0x0102030405060708));
    unsigned char b[8];

    memcpy(b, &v16, 2);
    cr_assert_arr_eq(b, seq, 2, "ps_hton16 bytes are not big-endian");
    memcpy(b, &v32, 4);
    cr_assert_arr_eq(b, seq, 4, "ps_hton32 bytes are not big-endian");
    memcpy(b, &v64, 8);
    cr_assert_arr_eq(b, seq, 8, "ps_hton64 bytes are not big-endian");
}

Test(byteorder, ntoh_reads_big_endian_memory, .timeout = 10)
{
    uint16_t v16;
    uint32_t v32;
    uint64_t v64;

    memcpy(&v16, seq, 2);
    memcpy(&v32, seq, 4);
    memcpy(&v64, seq, 8);
    cr_assert_eq(ps_ntoh16(v16), 0x0102);
    cr_assert_eq(ps_ntoh32(v32), 0x01020304u);
    cr_assert_eq(ps_ntoh64(v64), UINT64_C(0x0102030405060708));
}

Test(byteorder, hton_ntoh_consistent_with_host_order, .timeout = 10)
{
    /* On a little-endian host hton swaps, on a big-endian one it does not;
     * either way it equals a load in host order of the big-endian bytes. */
    uint32_t one = 1;
    unsigned char first;
    memcpy(&first, &one, 1);
    if (first == 1) {
        cr_assert_eq(ps_hton32(0x01020304u), 0x04030201u);
        cr_assert_eq(ps_hton16(0x0102), 0x0201);
        cr_assert_eq(ps_hton64(UINT64_C(0x0102030405060708)),
                     UINT64_C(0x0807060504030201));
    } else {
        cr_assert_eq(ps_hton32(0x01020304u), 0x01020304u);
        cr_assert_eq(ps_hton16(0x0102), 0x0102);
        cr_assert_eq(ps_hton64(UINT64_C(0x0102030405060708)),
                     UINT64_C(0x0102030405060708));
    }
}

Test(byteorder, unaligned_access, .timeout = 10)
{
    /* Every offset 1..7 into a buffer, through the public helpers only. */
    unsigned char buf[32];
    size_t off;

    for (off = 1; off < 8; off++) {
        memset(buf, 0xaa, sizeof buf);
        ps_store_be64(buf + off, UINT64_C(0x0102030405060708));
        cr_assert_arr_eq(buf + off, seq, 8, "offset %zu", off);
        cr_assert_eq(buf[off - 1], 0xaa, "offset %zu: byte before changed",
                     off);
        cr_assert_eq(buf[off + 8], 0xaa, "offset %zu: byte after changed", off);
        cr_assert_eq(ps_load_be64(buf + off), UINT64_C(0x0102030405060708));
        cr_assert_eq(ps_load_le64(buf + off), UINT64_C(0x0807060504030201));
        cr_assert_eq(ps_load_be32(buf + off + 1), 0x02030405u);
        cr_assert_eq(ps_load_be16(buf + off + 3), 0x0405);

        ps_store_le32(buf + off, 0xdeadbeefu);
        cr_assert_eq(buf[off], 0xef);
        cr_assert_eq(buf[off + 3], 0xde);
        cr_assert_eq(ps_load_le32(buf + off), 0xdeadbeefu);
        ps_store_be16(buf + off + 5, 0xcafe);
        cr_assert_eq(ps_load_be16(buf + off + 5), 0xcafe);
        ps_store_le16(buf + off + 5, 0xcafe);
        cr_assert_eq(ps_load_le16(buf + off + 5), 0xcafe);
        cr_assert_eq(buf[off + 5], 0xfe);
    }
}

Test(byteorder, round_trips, .timeout = 30)
{
    uint64_t state = UINT64_C(0x9e3779b97f4a7c15);
    unsigned char b[16];
    int i;

    for (i = 0; i < 100000; i++) {
        uint64_t v = next_value(&state);
        uint32_t v32 = (uint32_t)v;
        uint16_t v16 = (uint16_t)v;
        size_t off = (size_t)(i % 8);

        cr_assert_eq(ps_ntoh64(ps_hton64(v)), v);
        cr_assert_eq(ps_ntoh32(ps_hton32(v32)), v32);
        cr_assert_eq(ps_ntoh16(ps_hton16(v16)), v16);
        ps_store_be64(b + off, v);
        cr_assert_eq(ps_load_be64(b + off), v);
        /* BE then LE reads of the same bytes are byte-reversed. */
        cr_assert_eq(ps_load_le64(b + off), swap64(v));
        ps_store_le64(b + off, v);
        cr_assert_eq(ps_load_le64(b + off), v);
        ps_store_be32(b + off, v32);
        cr_assert_eq(ps_load_be32(b + off), v32);
        ps_store_le32(b + off, v32);
        cr_assert_eq(ps_load_le32(b + off), v32);
        ps_store_be16(b + off, v16);
        cr_assert_eq(ps_load_be16(b + off), v16);
        ps_store_le16(b + off, v16);
        cr_assert_eq(ps_load_le16(b + off), v16);
        /* hton's memory image equals store_be's. */
        {
            uint64_t n = ps_hton64(v);
            unsigned char img[8];
            ps_store_be64(img, v);
            cr_assert_arr_eq(&n, img, 8);
        }
    }
}

Test(byteorder, edge_values, .timeout = 10)
{
    static const uint64_t vals[] = {0,
                                    1,
                                    0x7f,
                                    0x80,
                                    0xff,
                                    0x100,
                                    0x7fff,
                                    0x8000,
                                    0xffff,
                                    0x7fffffff,
                                    0x80000000u,
                                    0xffffffffu,
                                    UINT64_C(0x100000000),
                                    UINT64_C(0x7fffffffffffffff),
                                    UINT64_C(0x8000000000000000),
                                    UINT64_MAX};
    size_t i;
    unsigned char b[8];

    for (i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        uint64_t v = vals[i];
        ps_store_be64(b, v);
        cr_assert_eq(ps_load_be64(b), v, "value %zu", i);
        cr_assert_eq(b[0], (unsigned char)(v >> 56));
        cr_assert_eq(b[7], (unsigned char)v);
        cr_assert_eq(ps_ntoh64(ps_hton64(v)), v);
        cr_assert_eq(ps_ntoh32(ps_hton32((uint32_t)v)), (uint32_t)v);
        cr_assert_eq(ps_ntoh16(ps_hton16((uint16_t)v)), (uint16_t)v);
    }
    cr_assert_eq(ps_hton16(0), 0);
    cr_assert_eq(ps_hton32(0xffffffffu), 0xffffffffu);
    cr_assert_eq(ps_hton64(UINT64_MAX), UINT64_MAX);
}
