/* SPDX-License-Identifier: MIT */
/* The system trust store where the platform keeps it outside files: one
 * function per platform (src/posix/tls_roots.c, src/win32/tls_roots.c),
 * compiled into portsock_tls only. A backend turns each certificate into
 * its own form; the platform code never sees the TLS library. */
#ifndef PS_TLS_SYSTEM_ROOTS_H
#define PS_TLS_SYSTEM_ROOTS_H

#include <stddef.h>

/* Receives one DER certificate; 0 goes on, a negative PS_E* code stops the
 * enumeration and is returned by ps__tls_system_roots. */
typedef int (*ps__tls_root_fn)(const unsigned char *der, size_t len, void *arg);

/* Calls each for every trust anchor of the platform's store meant for
 * server authentication (Windows: the ROOT store, less the certificates in
 * the Disallowed store). 0 once done,
 * PS_ENOTSUP where the platform has no such store (POSIX: the TLS
 * library's default paths are the system store), each's code, or PS_EUNKNOWN
 * when the store (Windows: or Disallowed) cannot be opened. */
int ps__tls_system_roots(ps__tls_root_fn each, void *arg);

#endif
