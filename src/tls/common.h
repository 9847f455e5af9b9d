/* SPDX-License-Identifier: MIT */
/* Helpers shared by the common TLS files only (not the backends). */
#ifndef PS_TLS_COMMON_H
#define PS_TLS_COMMON_H

#include <stdint.h>

#include "backend.h"

/* A deadline over the public clock (portsock's own is internal to the
 * core library, which may be a shared one exporting ps_* only). */
typedef struct ps__tls_deadline {
    int forever, zero;
    int64_t end_ms;
} ps__tls_deadline;
void ps__tls_deadline_start(ps__tls_deadline *d, int timeout_ms);
/* The timeout_ms what remains means: -1, 0 for a zero timeout, else >= 0
 * (0 once a positive deadline passed). */
int ps__tls_deadline_left(const ps__tls_deadline *d);

/* After a step returned PS_EWOULDBLOCK: PS_EWOULDBLOCK for a zero timeout,
 * PS_ETIMEDOUT once the deadline passed, else waits (ps_select) for the
 * socket to be ready as t->wants says, or the deadline, and returns 0 to
 * try the step again. */
int ps__tls_wait(ps_tls *t, const ps__tls_deadline *d);

/* Runs the handshake to its end within d (at once when done). */
int ps__tls_handshake_within(ps_tls *t, const ps__tls_deadline *d);

/* Takes one reference to cfg and makes it immutable (src/tls/config.c). */
void ps__tls_config_hold(ps_tls_config *cfg);

/* Drops one reference to cfg (ps_tls_config_free's or a connection's);
 * the last frees it and the backend's context. */
void ps__tls_config_release(ps_tls_config *cfg);

#endif
