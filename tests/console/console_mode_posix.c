/* SPDX-License-Identifier: MIT */
#include "console_mode.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

static struct termios saved;
static int have_saved;

int console_set_line_mode(int line)
{
    struct termios t;
    if (tcgetattr(0, &t) != 0)
        return -1;
    if (!have_saved) {
        saved = t;
        have_saved = 1;
    }
    if (line) {
        t.c_lflag |= ICANON | ECHO;
        t.c_iflag |= ICRNL;
    } else {
        t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
        t.c_cc[VMIN] = 1;
        t.c_cc[VTIME] = 0;
    }
    return tcsetattr(0, TCSANOW, &t);
}

void console_restore_mode(void)
{
    if (have_saved)
        tcsetattr(0, TCSANOW, &saved);
}

int console_input_nonblock(int on)
{
    int fl = fcntl(0, F_GETFL);
    if (fl < 0)
        return -1;
    fl = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
    return fcntl(0, F_SETFL, fl) == 0 ? 0 : -1;
}

struct start {
    void (*fn)(void *);
    void *arg;
};

static void *thread_main(void *p)
{
    struct start st = *(struct start *)p;
    free(p);
    st.fn(st.arg);
    return NULL;
}

int console_thread(void (*fn)(void *), void *arg)
{
    pthread_t t;
    struct start *st = malloc(sizeof *st);
    if (st == NULL)
        return -1;
    st->fn = fn;
    st->arg = arg;
    if (pthread_create(&t, NULL, thread_main, st) != 0) {
        free(st);
        return -1;
    }
    pthread_detach(t);
    return 0;
}
