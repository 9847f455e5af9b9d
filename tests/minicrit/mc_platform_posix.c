/* minicrit elsewhere (only its self-test runs it natively): timeouts are
 * left to ctest, and a helper thread's failure ends the process. */
#include "mc_platform.h"

#include <stdio.h>
#include <stdlib.h>

void mc_platform_init(void) {}

void *mc_watch_start(double seconds)
{
    (void)seconds;
    return NULL;
}

void mc_watch_stop(void *watch) { (void)watch; }

void mc_end_helper_thread(void)
{
    fprintf(stderr, "[FAIL] helper thread cannot unwind; exiting\n");
    exit(1);
}
