/* SPDX-License-Identifier: MIT */
/* ps_addr_format on arbitrary ps_addr contents: input bytes 0..3 are len
 * (little-endian), the next 128 the storage (missing bytes are 0). Every
 * cap from 0 to PS_ADDRSTRLEN gets a buffer of exactly that size: the last
 * cap bytes of one heap block, the bytes before them poisoned, so
 * AddressSanitizer sees any byte written past either end (one block, not a
 * malloc per cap, which cost half the run time). Interface names come from
 * fake_ifaces.h. The contract checked
 * (include/portsock.h, ps_addr_format):
 *  - PS_ADDRSTRLEN is always enough: for a known family the call succeeds
 *    with that cap; for no known family it fails with every cap;
 *  - it succeeds exactly when cap > strlen(text), always with the same
 *    text; otherwise PS_EINVAL with "" in buf when cap > 0;
 *  - the text is the one the header describes: "a.b.c.d:port" and
 *    "[ipv6]:port" (inet_ntop's IPv6 form, the zone as the interface's name
 *    or else the index), the AF_UNIX path, "@name", "(unnamed)";
 *  - IP texts parse back (ps_addr_parse) to the same family, address, port
 *    and scope, and format again to the same text. */
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <sanitizer/asan_interface.h>

#include "fake_ifaces.h"
#include "fuzz_check.h"
#include "portsock.h"

/* The zone text the header describes: the interface's name when the
 * system has one for the index, unless longer than 63 bytes or all
 * digits; else the decimal index. */
static void zone_text(uint32_t scope, char *buf, size_t cap)
{
    char name[IF_NAMESIZE + 1];
    if (if_indextoname(scope, name)) {
        size_t n = strlen(name), i;
        for (i = 0; i < n && name[i] >= '0' && name[i] <= '9'; i++)
            ;
        if (n > 0 && n <= 63 && i < n) {
            snprintf(buf, cap, "%s", name);
            return;
        }
    }
    snprintf(buf, cap, "%lu", (unsigned long)scope);
}

/* Expected text, or 0 when the address is of no known family. For AF_UNIX
 * *prefix_only is set where the text may be a prefix of what is built here
 * (a name with a NUL inside, or a len beyond a real sockaddr_un). */
static int expected_text(const ps_addr *a, char *buf, size_t cap,
                         int *prefix_only)
{
    sa_family_t fam;
    *prefix_only = 0;
    if (a->len < sizeof fam || a->len > sizeof a->storage.bytes)
        return 0;
    memcpy(&fam, a->storage.bytes + offsetof(struct sockaddr, sa_family),
           sizeof fam);
    if (fam == AF_INET && a->len >= sizeof(struct sockaddr_in)) {
        struct sockaddr_in sin;
        memcpy(&sin, a->storage.bytes, sizeof sin);
        const unsigned char *ip = (const unsigned char *)&sin.sin_addr;
        snprintf(buf, cap, "%u.%u.%u.%u:%u", ip[0], ip[1], ip[2], ip[3],
                 (unsigned)ntohs(sin.sin_port));
        return 1;
    }
    if (fam == AF_INET6 && a->len >= sizeof(struct sockaddr_in6)) {
        struct sockaddr_in6 sin6;
        char ip[INET6_ADDRSTRLEN], zone[80];
        memcpy(&sin6, a->storage.bytes, sizeof sin6);
        HARNESS(inet_ntop(AF_INET6, &sin6.sin6_addr, ip, sizeof ip), "inet_ntop");
        if (sin6.sin6_scope_id == 0) {
            snprintf(buf, cap, "[%s]:%u", ip, (unsigned)ntohs(sin6.sin6_port));
        } else {
            zone_text(sin6.sin6_scope_id, zone, sizeof zone);
            snprintf(buf, cap, "[%s%%%s]:%u", ip, zone,
                     (unsigned)ntohs(sin6.sin6_port));
        }
        return 1;
    }
    if (fam == AF_UNIX) {
        size_t off = offsetof(struct sockaddr_un, sun_path);
        size_t n = a->len > off ? a->len - off : 0;
        const char *path = (const char *)a->storage.bytes + off;
        if (a->len > sizeof(struct sockaddr_un))
            *prefix_only = 1;
        if (n == 0) {
            snprintf(buf, cap, "(unnamed)");
        } else if (path[0] == '\0') {
            if (memchr(path + 1, '\0', n - 1))
                *prefix_only = 1;
            snprintf(buf, cap, "@%.*s", (int)(n - 1), path + 1);
        } else {
            snprintf(buf, cap, "%.*s", (int)n, path);
        }
        return 1;
    }
    return 0;
}

/* Family, port, address and scope of an IP ps_addr are the same. */
static void check_same_ip(const ps_addr *a, const ps_addr *b, const char *text)
{
    int fam = ps_addr_family(a);
    CHECK(ps_addr_family(b) == fam, "\"%s\": family %d, was %d", text,
          ps_addr_family(b), fam);
    CHECK(ps_addr_port(b) == ps_addr_port(a), "\"%s\": port %d, was %d", text,
          ps_addr_port(b), ps_addr_port(a));
    if (fam == PS_AF_INET) {
        struct sockaddr_in x, y;
        memcpy(&x, a->storage.bytes, sizeof x);
        memcpy(&y, b->storage.bytes, sizeof y);
        CHECK(memcmp(&x.sin_addr, &y.sin_addr, 4) == 0, "\"%s\": address", text);
    } else {
        struct sockaddr_in6 x, y;
        memcpy(&x, a->storage.bytes, sizeof x);
        memcpy(&y, b->storage.bytes, sizeof y);
        CHECK(memcmp(&x.sin6_addr, &y.sin6_addr, 16) == 0, "\"%s\": address",
              text);
        CHECK(x.sin6_scope_id == y.sin6_scope_id, "\"%s\": scope %u, was %u",
              text, (unsigned)y.sin6_scope_id, (unsigned)x.sin6_scope_id);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ps_addr a;
    unsigned char len[4] = {0, 0, 0, 0};
    char full[PS_ADDRSTRLEN], want[512];
    int prefix_only;

    memset(&a, 0, sizeof a);
    memcpy(len, data, size < 4 ? size : 4);
    a.len = ps_load_le32(len);
    if (size > 4)
        memcpy(a.storage.bytes, data + 4,
               size - 4 < sizeof a.storage.bytes ? size - 4 : sizeof a.storage.bytes);

    int known = expected_text(&a, want, sizeof want, &prefix_only);
    int family = ps_addr_family(&a);
    CHECK((family != PS_AF_UNSPEC) == known, "len %u: family %d, known %d",
          (unsigned)a.len, family, known);

    int rfull = ps_addr_format(&a, full, sizeof full);
    size_t n = 0;
    if (known) {
        CHECK(rfull == 0, "len %u family %d: PS_ADDRSTRLEN not enough: %s",
              (unsigned)a.len, family, ps_errname(rfull));
        n = strlen(full);
        CHECK(n > 0 && n < PS_ADDRSTRLEN, "text of %zu bytes", n);
        if (prefix_only)
            CHECK(strncmp(full, want, n) == 0, "\"%s\" is not a prefix of \"%s\"",
                  full, want);
        else
            CHECK(strcmp(full, want) == 0, "\"%s\", want \"%s\"", full, want);
    } else {
        CHECK(rfull == PS_EINVAL && full[0] == '\0',
              "len %u: no known family, but %s \"%s\"", (unsigned)a.len,
              ps_errname(rfull), rfull == 0 ? full : "");
    }

    char *block = malloc(PS_ADDRSTRLEN);
    HARNESS(block != NULL, "out of memory");
    for (size_t cap = 0; cap <= PS_ADDRSTRLEN; cap++) {
        /* cap 0 points just past the block, into ASan's red zone. */
        char *buf = block + PS_ADDRSTRLEN - cap;
        memset(buf, 'x', cap);
        ASAN_POISON_MEMORY_REGION(block, PS_ADDRSTRLEN - cap);
        int r = ps_addr_format(&a, buf, cap);
        ASAN_UNPOISON_MEMORY_REGION(block, PS_ADDRSTRLEN);
        if (known && cap > n) {
            CHECK(r == 0, "cap %zu > %zu: %s", cap, n, ps_errname(r));
            CHECK(memcmp(buf, full, n + 1) == 0, "cap %zu: other text", cap);
        } else {
            CHECK(r == PS_EINVAL, "cap %zu, text of %zu: %s", cap, n,
                  ps_errname(r));
            CHECK(cap == 0 || buf[0] == '\0', "cap %zu: buf not \"\"", cap);
        }
    }
    free(block);
    CHECK(ps_addr_format(&a, NULL, 0) == PS_EINVAL, "NULL buf");

    if (known && (family == PS_AF_INET || family == PS_AF_INET6)) {
        ps_addr b;
        char again[PS_ADDRSTRLEN];
        int r = ps_addr_parse(&b, full);
        CHECK(r == 0, "\"%s\" does not parse back: %s", full, ps_errname(r));
        check_same_ip(&a, &b, full);
        r = ps_addr_format(&b, again, sizeof again);
        CHECK(r == 0 && strcmp(again, full) == 0, "\"%s\" -> \"%s\"", full,
              r == 0 ? again : ps_errname(r));
    }
    return 0;
}
