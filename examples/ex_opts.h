/* SPDX-License-Identifier: MIT */
/* The example servers' command line: "--name VALUE" options and flags
 * from a table, -h / --help, and one PORT operand. */
#ifndef PS_EXAMPLE_OPTS_H
#define PS_EXAMPLE_OPTS_H

#include <stddef.h>

enum ex_opt_kind {
    EX_OPT_TEXT,  /* value: const char **, set to the next argument */
    EX_OPT_COUNT, /* value: long *, a count in [1, max] */
    EX_OPT_FLAG   /* value: int *, set to 1 */
};

typedef struct ex_opt {
    const char *name; /* "--host" */
    enum ex_opt_kind kind;
    long max;         /* EX_OPT_COUNT only */
    void *value;
} ex_opt;

/* A count in [1, max]; -1 if the text is not one. */
long ex_parse_count(const char *text, long max);

/* Parses argv against opts and sets *port to the one operand. Returns -1
 * to go on, else the exit status: 0 after -h / --help (usage printed), 2
 * for a usage error (usage printed; for a bad count, "bad --NAME: VALUE"
 * on stderr instead). An option missing its value counts as unknown. */
int ex_parse_opts(int argc, char **argv, const ex_opt *opts, size_t nopts,
                  const char **port, void (*usage)(const char *prog));

#endif
