/* SPDX-License-Identifier: MIT */
/* POSIX: the system store is OpenSSL's default paths, and SSL_CERT_FILE
 * replaces its default file for this process only. */
#include <stdlib.h>

#include "trust_support.h"

const char *pst_system_trust_add(const char *pem_path)
{
    return setenv("SSL_CERT_FILE", pem_path, 1) == 0 ? NULL : "setenv failed";
}

int pst_system_trust_remove(const char *pem_path)
{
    (void)pem_path;
    return unsetenv("SSL_CERT_FILE") == 0 ? 0 : -1;
}

/* OpenSSL's default paths have no list of distrusted certificates. */
const char *pst_system_distrust_add(const char *pem_path)
{
    (void)pem_path;
    return "the system store here (OpenSSL's default paths) has no "
           "Disallowed store";
}

int pst_system_distrust_remove(const char *pem_path)
{
    (void)pem_path;
    return -1;
}
