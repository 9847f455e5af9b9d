/* SPDX-License-Identifier: MIT */
#include "console_mode.h"

#include <stdlib.h>
#include <windows.h>

static DWORD saved;
static int have_saved;

int console_set_line_mode(int line)
{
    HANDLE h = GetStdHandle(STD_INPUT_HANDLE);
    DWORD mode;
    if (!GetConsoleMode(h, &mode))
        return -1;
    if (!have_saved) {
        saved = mode;
        have_saved = 1;
    }
    if (line)
        mode |= ENABLE_LINE_INPUT | ENABLE_ECHO_INPUT;
    else
        mode &= ~(DWORD)(ENABLE_LINE_INPUT | ENABLE_ECHO_INPUT);
    return SetConsoleMode(h, mode) ? 0 : -1;
}

void console_restore_mode(void)
{
    if (have_saved)
        SetConsoleMode(GetStdHandle(STD_INPUT_HANDLE), saved);
}

int console_input_nonblock(int on)
{
    (void)on;
    return 0;
}

struct start {
    void (*fn)(void *);
    void *arg;
};

static DWORD WINAPI thread_main(void *p)
{
    struct start st = *(struct start *)p;
    free(p);
    st.fn(st.arg);
    return 0;
}

int console_thread(void (*fn)(void *), void *arg)
{
    HANDLE t;
    struct start *st = malloc(sizeof *st);
    if (st == NULL)
        return -1;
    st->fn = fn;
    st->arg = arg;
    t = CreateThread(NULL, 0, thread_main, st, 0, NULL);
    if (t == NULL) {
        free(st);
        return -1;
    }
    CloseHandle(t);
    return 0;
}
