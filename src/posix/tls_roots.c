/* SPDX-License-Identifier: MIT */
/* The system trust store on POSIX systems is a set of files (a CA bundle,
 * a hashed directory) that the TLS library finds itself: nothing to
 * enumerate here. */
#include "portsock.h"
#include "system_roots.h"

int ps__tls_system_roots(ps__tls_root_fn each, void *arg)
{
    (void)each;
    (void)arg;
    return PS_ENOTSUP;
}
