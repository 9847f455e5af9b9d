/* SPDX-License-Identifier: MIT */
/* console_wait's "busy" and "busyone" modes (console_busy.c). */
#ifndef PS_TEST_CONSOLE_BUSY_H
#define PS_TEST_CONSOLE_BUSY_H

/* Standard input (line mode) next to a busy socket, through ps_poller
 * (use_poller) or ps_select; returns 1 when everything held, else 0. */
int console_busy(int use_poller, int oneshot);

#endif
