/* SPDX-License-Identifier: MIT */
#include "ex_opts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

long ex_parse_count(const char *text, long max)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < 1 || v > max)
        return -1;
    return v;
}

static const ex_opt *find(const ex_opt *opts, size_t nopts, const char *a)
{
    for (size_t k = 0; k < nopts; k++)
        if (strcmp(opts[k].name, a) == 0)
            return &opts[k];
    return NULL;
}

/* Takes argv[*i] (option o) and its value if it has one: 1 if taken, 0 if
 * its value is missing, -1 after reporting a bad count. */
static int take(const ex_opt *o, int argc, char **argv, int *i)
{
    if (o->kind == EX_OPT_FLAG) {
        *(int *)o->value = 1;
        return 1;
    }
    if (*i + 1 >= argc)
        return 0;
    const char *v = argv[++*i];
    if (o->kind == EX_OPT_TEXT) {
        *(const char **)o->value = v;
        return 1;
    }
    long n = ex_parse_count(v, o->max);
    if (n < 0) {
        fprintf(stderr, "bad %s: %s\n", o->name, v);
        return -1;
    }
    *(long *)o->value = n;
    return 1;
}

int ex_parse_opts(int argc, char **argv, const ex_opt *opts, size_t nopts,
                  const char **port, void (*usage)(const char *prog))
{
    *port = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const ex_opt *o = find(opts, nopts, a);
        int r = o ? take(o, argc, argv, &i) : 0;
        if (r < 0)
            return 2;
        if (r > 0)
            continue;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(argv[0]);
            return 0;
        }
        if ((a[0] == '-' && a[1] != '\0') || *port) {
            usage(argv[0]);
            return 2;
        }
        *port = a;
    }
    if (!*port) {
        usage(argv[0]);
        return 2;
    }
    return -1;
}
