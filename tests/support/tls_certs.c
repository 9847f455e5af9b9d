/* SPDX-License-Identifier: MIT */
/* The TLS tests' certificate paths: see tls_certs.h. */
#include "tls_certs.h"

#include <stdio.h>

const char *pst_cert(const char *name)
{
    static char path[4][512];
    static int next;
    char *p = path[next++ % 4];
    snprintf(p, sizeof path[0], "%s/%s", PS_TLS_CERTS, name);
    return p;
}
