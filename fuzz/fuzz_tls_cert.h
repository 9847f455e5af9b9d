/* SPDX-License-Identifier: MIT */
/* Shared by the TLS fuzz programs: a P-256 key and a self-signed
 * certificate for CN=localhost, made once per process with the OpenSSL API
 * and written as PEM files into a fresh temporary directory, because
 * ps_tls_config_set_cert takes file paths. The directory is removed at
 * exit. Nothing here is committed: every process makes its own key. */
#ifndef PS_FUZZ_TLS_CERT_H
#define PS_FUZZ_TLS_CERT_H

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_check.h"

static char tls_cert_dir[64];
static char tls_cert_path[96];
static char tls_key_path[96];

static void tls_cert_remove(void)
{
    (void)unlink(tls_cert_path);
    (void)unlink(tls_key_path);
    (void)rmdir(tls_cert_dir);
}

/* Makes the files once; sets tls_cert_path and tls_key_path. */
static void tls_cert_make(void)
{
    const char *tmp = getenv("TMPDIR");
    if (tmp == NULL || *tmp == '\0' || strlen(tmp) > 32)
        tmp = "/tmp";
    snprintf(tls_cert_dir, sizeof tls_cert_dir, "%s/ps-fuzz-tls.XXXXXX", tmp);
    HARNESS(mkdtemp(tls_cert_dir) != NULL, "mkdtemp");
    snprintf(tls_cert_path, sizeof tls_cert_path, "%s/cert.pem", tls_cert_dir);
    snprintf(tls_key_path, sizeof tls_key_path, "%s/key.pem", tls_cert_dir);
    HARNESS(atexit(tls_cert_remove) == 0, "atexit");

    EVP_PKEY *key = EVP_EC_gen("P-256");
    HARNESS(key != NULL, "EVP_EC_gen");
    X509 *x = X509_new();
    HARNESS(x != NULL, "X509_new");
    HARNESS(X509_set_version(x, 2) == 1, "X509_set_version");
    HARNESS(ASN1_INTEGER_set(X509_get_serialNumber(x), 1) == 1, "serial");
    HARNESS(X509_gmtime_adj(X509_getm_notBefore(x), -3600) != NULL,
            "notBefore");
    HARNESS(X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 365) != NULL,
            "notAfter");
    HARNESS(X509_set_pubkey(x, key) == 1, "X509_set_pubkey");
    X509_NAME *name = X509_get_subject_name(x);
    HARNESS(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                       (const unsigned char *)"localhost", -1,
                                       -1, 0) == 1,
            "subject");
    HARNESS(X509_set_issuer_name(x, name) == 1, "issuer");
    HARNESS(X509_sign(x, key, EVP_sha256()) > 0, "X509_sign");

    FILE *f = fopen(tls_key_path, "w");
    HARNESS(f != NULL, "fopen key");
    HARNESS(PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) == 1,
            "PEM_write_PrivateKey");
    HARNESS(fclose(f) == 0, "fclose key");
    f = fopen(tls_cert_path, "w");
    HARNESS(f != NULL, "fopen cert");
    HARNESS(PEM_write_X509(f, x) == 1, "PEM_write_X509");
    HARNESS(fclose(f) == 0, "fclose cert");
    X509_free(x);
    EVP_PKEY_free(key);
}

#endif
