/* SPDX-License-Identifier: MIT */
/* The TLS tests' certificates: tests/tls/make_certs.sh writes them (the
 * tls_certs fixture) to the directory PS_TLS_CERTS, which tests/CMakeLists.txt
 * defines for the TLS tests and for tls_certs.c. */
#ifndef PS_TEST_TLS_CERTS_H
#define PS_TEST_TLS_CERTS_H

/* The path of the certificate file name in that directory. The result
 * lives in one of four rotating buffers, so up to four can be used in one
 * expression (a certificate and its key, say); not thread-safe. */
const char *pst_cert(const char *name);

#endif
