/* SPDX-License-Identifier: MIT */
/* The chat peers' command line and summary: see chat_peer.h. */
#include "chat_peer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long long arg(const char *prog, const char *name, const char *s,
                     long long min, long long max)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < min || v > max) {
        fprintf(stderr, "%s: bad %s: %s\n", prog, name, s);
        exit(2);
    }
    return v;
}

void chat_parse(int argc, char **argv, const char *prog, chat_opts *o)
{
    o->port = 0;
    o->hwm = 1024 * 1024;
    o->max_line = 1024;
    o->idle_ms = 0;
    for (int i = 1; i < argc; i += 2) {
        const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            fprintf(stderr, "%s: %s needs a value\n", prog, k);
            exit(2);
        }
        if (!strcmp(k, "--port"))
            o->port = (int)arg(prog, k, v, 0, 65535);
        else if (!strcmp(k, "--hwm"))
            o->hwm = (size_t)arg(prog, k, v, 1, 1LL << 40);
        else if (!strcmp(k, "--max-line"))
            o->max_line = (size_t)arg(prog, k, v, 2, 1 << 24);
        else if (!strcmp(k, "--idle-ms"))
            o->idle_ms = (long)arg(prog, k, v, 0, 1L << 30);
        else {
            fprintf(stderr,
                    "usage: %s [--port N] [--hwm BYTES] "
                    "[--max-line BYTES] [--idle-ms MS]\n",
                    prog);
            exit(2);
        }
    }
}

void chat_listening(int port)
{
    printf("listening on %d\n", port);
    fflush(stdout);
}

void chat_summary(const chat_stats *s)
{
    printf("summary clients=%llu lines_in=%llu lines_out=%llu cut_off=%llu "
           "overlong=%llu idle=%llu\n",
           s->clients, s->lines_in, s->lines_out, s->cut_off, s->overlong,
           s->idle);
    fflush(stdout);
}

void chat_join(chat_member **room, chat_member *m)
{
    m->prev = NULL;
    m->next = *room;
    if (*room)
        (*room)->prev = m;
    *room = m;
}

void chat_leave(chat_member **room, chat_member *m)
{
    if (m->prev)
        m->prev->next = m->next;
    else
        *room = m->next;
    if (m->next)
        m->next->prev = m->prev;
}
