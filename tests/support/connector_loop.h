/* SPDX-License-Identifier: MIT */
/* An event loop that drives a ps_connector to its outcome while it keeps
 * serving another socket pair (connector_loop.c): the round trips counted
 * there show whether the connect ever blocked the loop. */
#ifndef PST_CONNECTOR_LOOP_H
#define PST_CONNECTOR_LOOP_H

#include "portsock.h"

#include <stdint.h>

/* What the loop saw. */
typedef struct pst_drive {
    int rc;           /* ps_connector_finish's outcome */
    int native;       /* ps_native_error() right after it */
    ps_socket_t sock; /* the connected socket on success */
    long round_trips; /* bytes echoed over the other pair meanwhile */
} pst_drive;

/* Runs a ps_poller loop over the connector's item and, with serve != 0, a
 * socket pair of its own whose byte it bounces back and forth, until
 * ps_connector_finish gives something other than PS_EWOULDBLOCK. Aborts
 * the test when a call fails. */
pst_drive pst_drive_connector(ps_connector *c, int serve);

/* Cancels a connector that must still be in progress (its finish gives
 * PS_EWOULDBLOCK, asserted): frees it and returns how long the free took,
 * in ms. */
int64_t pst_cancel_in_progress(ps_connector *c);

/* Asserts that nothing is left over a connector: within max_ms the thread
 * count is back to threads, and the descriptor or handle count is back to
 * handles (each check skipped where its count is -1, e.g. handles under
 * Wine). */
void pst_assert_nothing_left(long threads, long handles, int max_ms);

#endif
