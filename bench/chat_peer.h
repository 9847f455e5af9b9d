/* SPDX-License-Identifier: MIT */
/* What the chat benchmark's peer servers (chat_libevent, chat_libuv)
 * share: the command line and the summary of docs/chat.md. */
#ifndef PS_BENCH_CHAT_PEER_H
#define PS_BENCH_CHAT_PEER_H

#include <stddef.h>

typedef struct chat_opts {
    int port;        /* 0: ephemeral */
    size_t hwm;      /* output queue limit, bytes */
    size_t max_line; /* including the '\n' */
    long idle_ms;    /* 0: no idle timeout */
} chat_opts;

/* The counters of the summary line. */
typedef struct chat_stats {
    unsigned long long clients, lines_in, lines_out, cut_off, overlong, idle;
} chat_stats;

/* The room: every connected client, in a doubly linked list through a
 * chat_member that is the first field of the peer's client record. */
typedef struct chat_member {
    struct chat_member *prev, *next;
} chat_member;

void chat_join(chat_member **room, chat_member *m);
void chat_leave(chat_member **room, chat_member *m);

/* Parses the options of docs/chat.md; a bad one: a message and exit 2. */
void chat_parse(int argc, char **argv, const char *prog, chat_opts *o);
/* "listening on PORT\n" on stdout, flushed. */
void chat_listening(int port);
/* The summary line on stdout, flushed. */
void chat_summary(const chat_stats *s);

#endif
