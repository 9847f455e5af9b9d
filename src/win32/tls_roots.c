/* SPDX-License-Identifier: MIT */
/* The Windows trust store for a TLS library that has none of its own
 * there (OpenSSL's default paths name files that do not exist on
 * Windows): the ROOT system store, whose current-user view also holds
 * the machine's roots, certificate by certificate, less those the
 * Disallowed store distrusts. */
#include <windows.h>

#include <wincrypt.h>

#include "portsock.h"
#include "system_roots.h"

/* Windows may limit a root to some purposes (its "enhanced key usage"
 * property): a root an administrator kept from server authentication must
 * not become one here. No property means every purpose. */
static int for_servers(PCCERT_CONTEXT cert)
{
    DWORD size = 0;
    if (!CertGetEnhancedKeyUsage(cert, CERT_FIND_PROP_ONLY_ENHKEY_USAGE_FLAG,
                                 NULL, &size))
        return GetLastError() == (DWORD)CRYPT_E_NOT_FOUND;
    CERT_ENHKEY_USAGE *usage = HeapAlloc(GetProcessHeap(), 0, size);
    if (!usage)
        return 0;
    int ok = 0;
    if (CertGetEnhancedKeyUsage(cert, CERT_FIND_PROP_ONLY_ENHKEY_USAGE_FLAG,
                                usage, &size)) {
        /* An empty list with no error: valid for no purpose at all. */
        for (DWORD i = 0; i < usage->cUsageIdentifier && !ok; i++)
            ok = strcmp(usage->rgpszUsageIdentifier[i],
                        szOID_PKIX_KP_SERVER_AUTH) == 0;
    }
    HeapFree(GetProcessHeap(), 0, usage);
    return ok;
}

/* The certificate is in the Disallowed store: Windows' own chain engine
 * distrusts it there even when ROOT still holds it, and so must a TLS
 * library that reads ROOT by itself. Matched by SHA-1 hash, as Windows
 * identifies certificates across stores. */
static int disallowed(HCERTSTORE distrust, PCCERT_CONTEXT cert)
{
    BYTE hash[20];
    DWORD size = sizeof hash;
    /* No hash: it cannot be told apart, so it is not trusted. */
    if (!CertGetCertificateContextProperty(cert, CERT_SHA1_HASH_PROP_ID, hash,
                                           &size))
        return 1;
    CRYPT_HASH_BLOB blob = {size, hash};
    PCCERT_CONTEXT found = CertFindCertificateInStore(
        distrust, X509_ASN_ENCODING, 0, CERT_FIND_SHA1_HASH, &blob, NULL);
    if (!found)
        return 0;
    CertFreeCertificateContext(found);
    return 1;
}

int ps__tls_system_roots(ps__tls_root_fn each, void *arg)
{
    HCERTSTORE store = CertOpenSystemStoreW(0, L"ROOT");
    /* Without the list of distrusted certificates, ROOT cannot be read
     * safely: failing is what an unreadable ROOT does too. */
    HCERTSTORE distrust = CertOpenSystemStoreW(0, L"Disallowed");
    if (!store || !distrust) {
        if (store)
            CertCloseStore(store, 0);
        if (distrust)
            CertCloseStore(distrust, 0);
        return PS_EUNKNOWN;
    }
    int rc = 0;
    PCCERT_CONTEXT cert = NULL;
    while (rc == 0 && (cert = CertEnumCertificatesInStore(store, cert))) {
        if (cert->dwCertEncodingType == X509_ASN_ENCODING &&
            for_servers(cert) && !disallowed(distrust, cert))
            rc = each(cert->pbCertEncoded, cert->cbCertEncoded, arg);
    }
    /* Stopped early: the enumeration still holds the current one. */
    if (cert)
        CertFreeCertificateContext(cert);
    CertCloseStore(distrust, 0);
    CertCloseStore(store, 0);
    return rc;
}
