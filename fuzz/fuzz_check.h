/* SPDX-License-Identifier: MIT */
/* Shared by the fuzz targets: a check that always runs (NDEBUG or not) and
 * aborts, so libFuzzer records the input as a crash. */
#ifndef PS_FUZZ_CHECK_H
#define PS_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond, ...)                                                   \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fprintf(stderr, "%s:%d: check failed: %s\n  ", __FILE__,       \
                    __LINE__, #cond);                                      \
            fprintf(stderr, __VA_ARGS__);                                  \
            fputc('\n', stderr);                                           \
            abort();                                                       \
        }                                                                  \
    } while (0)

/* A harness problem (not a finding about portsock): still fatal, so it is
 * seen, but labelled. */
#define HARNESS(cond, what)                                                \
    CHECK(cond, "harness: %s", what)

#endif
