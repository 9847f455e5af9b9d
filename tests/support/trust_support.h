/* SPDX-License-Identifier: MIT */
/* The system trust store, as ps_tls_config_set_ca(cfg, NULL) reads it,
 * changed for one test: tests/support/trust_support_posix.c and _win32.c. */
#ifndef PS_TEST_TRUST_SUPPORT_H
#define PS_TEST_TRUST_SUPPORT_H

/* Makes the CA certificate in pem_path (PEM) trusted by the system store
 * for this process's next configurations. NULL once done, else why it
 * cannot be done here (the caller skips with that text). */
const char *pst_system_trust_add(const char *pem_path);
/* Undoes pst_system_trust_add: 0 once the root is no longer trusted,
 * -1 if it could not be removed. */
int pst_system_trust_remove(const char *pem_path);

/* Puts the certificate in pem_path (PEM) in the system's list of
 * distrusted certificates (Windows: the current user's Disallowed store).
 * NULL once done, else why it cannot be done here (the caller skips). */
const char *pst_system_distrust_add(const char *pem_path);
/* Undoes pst_system_distrust_add: 0 once removed, -1 if it could not be. */
int pst_system_distrust_remove(const char *pem_path);

#endif
