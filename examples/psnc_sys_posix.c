/* SPDX-License-Identifier: MIT */
/* psnc_sys.h on POSIX. */
#include "psnc_sys.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

/* /dev/null on fd if fd is closed. open() returns the lowest free number,
 * which is fd itself when the lower ones are open; dup2 covers the rest. */
static void fill(int fd, int flags)
{
    if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
        return;
    int nul = open("/dev/null", flags);
    if (nul >= 0 && nul != fd) {
        dup2(nul, fd);
        close(nul);
    }
}

void psnc_sys_std_open(void)
{
    fill(0, O_RDONLY);
    fill(1, O_RDONLY); /* writes fail with EBADF, as on a closed fd */
    fill(2, O_WRONLY);
}

static volatile sig_atomic_t caught, armed;
static char stop_path[1024];

static void on_stop(int sig)
{
    if (!armed) {
        caught = sig;
        return;
    }
    unlink(stop_path);
    /* Pending until the handler returns, then fatal: the signal is
     * blocked while its handler runs. */
    signal(sig, SIG_DFL);
    raise(sig);
}

void psnc_sys_catch_stop(void)
{
    struct sigaction sa;
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGINT);
    sigaddset(&sa.sa_mask, SIGTERM);
    sa.sa_flags = 0; /* no SA_RESTART: a wait ends when a signal comes */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

void psnc_sys_stop_file(const char *path)
{
    armed = 0; /* the handler never sees a half-copied path */
    atomic_signal_fence(memory_order_seq_cst);
    if (path && snprintf(stop_path, sizeof stop_path, "%s", path) <
                    (int)sizeof stop_path) {
        /* The path is whole before the handler may read it. */
        atomic_signal_fence(memory_order_seq_cst);
        armed = 1;
    }
}

int psnc_sys_signal(void)
{
    return caught;
}
