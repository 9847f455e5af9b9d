/* SPDX-License-Identifier: MIT */
#include "console_mode.h"

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
