/* SPDX-License-Identifier: MIT */
#include "console_mode.h"

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
