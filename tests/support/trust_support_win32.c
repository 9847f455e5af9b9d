/* SPDX-License-Identifier: MIT */
/* Windows: the current user's ROOT store. Only under Wine, in the build
 * tree's private prefix: on Windows itself adding a root asks the user in
 * a dialog and changes what the account trusts. */
#include <windows.h>

#include <wincrypt.h>

#include <stdio.h>
#include <stdlib.h>

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

/* The current user's own ROOT store (its registry part): where a root is
 * added and from where it can be deleted again. */
static HCERTSTORE user_root(void)
{
    return CertOpenStore(CERT_STORE_PROV_SYSTEM_W, 0, 0,
                         CERT_SYSTEM_STORE_CURRENT_USER, L"Root");
}

const char *pst_system_trust_add(const char *pem_path)
{
    if (!pst_under_wine())
        return "adding a root on Windows asks the user and changes the "
               "account's trust; run under Wine only";
    DWORD len;
    BYTE *der = read_der(pem_path, &len);
    if (!der)
        return "cannot read the CA's PEM file";
    HCERTSTORE store = user_root();
    BOOL ok = store && CertAddEncodedCertificateToStore(
                           store, X509_ASN_ENCODING, der, len,
                           CERT_STORE_ADD_REPLACE_EXISTING, NULL);
    if (store)
        CertCloseStore(store, 0);
    free(der);
    return ok ? NULL : "cannot add to the ROOT store";
}

int pst_system_trust_remove(const char *pem_path)
{
    DWORD len;
    BYTE *der = read_der(pem_path, &len);
    if (!der)
        return -1;
    HCERTSTORE store = user_root();
    PCCERT_CONTEXT want = CertCreateCertificateContext(X509_ASN_ENCODING, der,
                                                       len);
    int rc = -1;
    if (store && want) {
        PCCERT_CONTEXT found = CertFindCertificateInStore(
            store, X509_ASN_ENCODING, 0, CERT_FIND_EXISTING, want, NULL);
        /* CertDeleteCertificateFromStore frees found, also on failure. */
        if (found && CertDeleteCertificateFromStore(found))
            rc = 0;
    }
    if (want)
        CertFreeCertificateContext(want);
    if (store)
        CertCloseStore(store, 0);
    free(der);
    return rc;
}
