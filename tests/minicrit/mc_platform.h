/* SPDX-License-Identifier: MIT */
/* minicrit's platform part: per-test timeouts, crash reports, ending a
 * helper thread (mc_platform_win32.c, mc_platform_posix.c). */
#ifndef MINICRIT_PLATFORM_H
#define MINICRIT_PLATFORM_H

#include "criterion/criterion.h"

/* The test that is running, for messages. */
extern struct mc_test *mc_current;

/* Once, before the first test: crash reporting, no error dialogs. */
void mc_platform_init(void);
/* A watchdog that ends the process if the test runs past seconds (0: none).
 * Returns a handle for mc_watch_stop (may be NULL). */
void *mc_watch_start(double seconds);
void mc_watch_stop(void *watch);
/* Ends the calling helper thread after a failed assertion (there is nothing
 * to unwind to). Does not return. */
void mc_end_helper_thread(void);

#endif
