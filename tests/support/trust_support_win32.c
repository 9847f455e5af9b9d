/* SPDX-License-Identifier: MIT */
/* Windows: the current user's ROOT store. Only under Wine, in the build
 * tree's private prefix: on Windows itself adding a root asks the user in
 * a dialog and changes what the account trusts. */
#include <windows.h>

#include <wincrypt.h>

#include <stdio.h>
#include <stdlib.h>
#include <wchar.h>

#include "support.h"
#include "trust_support.h"

/* The DER of the first certificate in a PEM file (free it), or NULL. */
static BYTE *read_der(const char *pem_path, DWORD *len)
{
    char pem[16384];
    FILE *f = fopen(pem_path, "rb");
    if (!f)
        return NULL;
    size_t n = fread(pem, 1, sizeof pem - 1, f);
    fclose(f);
    pem[n] = '\0';
    *len = 0;
    if (!CryptStringToBinaryA(pem, 0, CRYPT_STRING_BASE64HEADER, NULL, len,
                              NULL, NULL))
        return NULL;
    BYTE *der = malloc(*len);
    if (der && !CryptStringToBinaryA(pem, 0, CRYPT_STRING_BASE64HEADER, der,
                                     len, NULL, NULL)) {
        free(der);
        der = NULL;
    }
    return der;
}

/* The current user's own store name (its registry part): where a
 * certificate is added and from where it can be deleted again. */
static HCERTSTORE user_store(const wchar_t *name)
{
    return CertOpenStore(CERT_STORE_PROV_SYSTEM_W, 0, 0,
                         CERT_SYSTEM_STORE_CURRENT_USER, name);
}

/* Adds pem_path's certificate to the user's store name: NULL or why not. */
static const char *store_add(const wchar_t *name, const char *pem_path)
{
    if (!pst_under_wine())
        return "changing the system's trust on Windows asks the user and "
               "changes the account's trust; run under Wine only";
    DWORD len;
    BYTE *der = read_der(pem_path, &len);
    if (!der)
        return "cannot read the certificate's PEM file";
    HCERTSTORE store = user_store(name);
    BOOL ok = store && CertAddEncodedCertificateToStore(
                           store, X509_ASN_ENCODING, der, len,
                           CERT_STORE_ADD_REPLACE_EXISTING, NULL);
    if (store)
        CertCloseStore(store, 0);
    free(der);
    return ok ? NULL : "cannot add to the system store";
}

const char *pst_system_trust_add(const char *pem_path)
{
    return store_add(L"Root", pem_path);
}

const char *pst_system_distrust_add(const char *pem_path)
{
    return store_add(L"Disallowed", pem_path);
}

/* Wine 8 reports a certificate deleted from a current-user system store
 * but keeps its registry key (HKCU\Software\Microsoft\SystemCertificates\
 * name\Certificates\SHA-1 in hex), so the store still has it when opened
 * again: the key goes too. 0 once the key is not there. */
static int delete_key(const wchar_t *name, PCCERT_CONTEXT cert)
{
    BYTE hash[20];
    DWORD size = sizeof hash;
    if (!CertGetCertificateContextProperty(cert, CERT_SHA1_HASH_PROP_ID, hash,
                                           &size) ||
        size != sizeof hash)
        return -1;
    wchar_t key[160];
    int at = swprintf(key, 120,
                      L"Software\\Microsoft\\SystemCertificates\\%ls"
                      L"\\Certificates\\",
                      name);
    if (at < 0)
        return -1;
    for (DWORD i = 0; i < size; i++)
        swprintf(key + at + 2 * i, 3, L"%02X", hash[i]);
    LSTATUS e = RegDeleteKeyW(HKEY_CURRENT_USER, key);
    return e == ERROR_SUCCESS || e == ERROR_FILE_NOT_FOUND ? 0 : -1;
}

/* Deletes pem_path's certificate from the user's store name: 0 or -1. */
static int store_remove(const wchar_t *name, const char *pem_path)
{
    DWORD len;
    BYTE *der = read_der(pem_path, &len);
    if (!der)
        return -1;
    HCERTSTORE store = user_store(name);
    PCCERT_CONTEXT want = CertCreateCertificateContext(X509_ASN_ENCODING, der,
                                                       len);
    int rc = -1;
    if (store && want) {
        PCCERT_CONTEXT found = CertFindCertificateInStore(
            store, X509_ASN_ENCODING, 0, CERT_FIND_EXISTING, want, NULL);
        /* CertDeleteCertificateFromStore frees found, also on failure. */
        if (found && CertDeleteCertificateFromStore(found))
            rc = 0;
        if (rc == 0)
            rc = delete_key(name, want);
    }
    if (want)
        CertFreeCertificateContext(want);
    if (store)
        CertCloseStore(store, 0);
    free(der);
    return rc;
}

int pst_system_trust_remove(const char *pem_path)
{
    return store_remove(L"Root", pem_path);
}

int pst_system_distrust_remove(const char *pem_path)
{
    return store_remove(L"Disallowed", pem_path);
}
